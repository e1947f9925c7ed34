//! The transport-neutral service: everything a request needs (the store, analytics, the install's
//! key, other replicas, the per-user cooldown, the requests in flight) behind one entry,
//! [`Service::handle`]. The gateway, the HTTP interactions endpoint, the shell and the CLI only turn
//! their input into a `(Command, Caller)` and render the [`Reply`]; `crate::app` builds the service
//! once. Nothing here knows Discord or terminals.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TaskTrackerToken;
use tracing::error;

use crate::analytics::{Analytics, Origin};
use crate::commands::{self, Caller, Command, Context, Reply, ask::Ask};
use crate::conversation::{self, ConversationConfig, Memory};
use crate::cooldown::{self, Cooldown};
use crate::cost::PriceTable;
use crate::engine::Engine;
use crate::key::InstallKey;
use crate::replicas::Replicas;
use crate::store::Store;

pub struct Service {
    /// `None` for a service that answers only commands which need no index (`productbot cost`).
    store: Option<Arc<Store>>,
    prices: Arc<PriceTable>,
    analytics: Option<Arc<Analytics>>,
    replicas: Option<Arc<Replicas>>,
    key: Arc<InstallKey>,
    cooldown: Option<Cooldown>,
    /// Servers and channels answered from a corpus (or some articles) of their own, and servers
    /// with a cooldown of their own.
    routes: Routes,
    /// Conversations' topics and the places the bot answers without a mention.
    memory: Memory,
    conversation: ConversationConfig,
    /// Requests at work, so that shutdown can wait for them.
    inflight: TaskTracker,
}

/// Which store answers where, and servers with a cooldown of their own.
#[derive(Default)]
struct Routes {
    guilds: HashMap<u64, Arc<Store>>,
    /// Channels limited to some articles (and the threads and posts in them).
    channels: HashMap<u64, Arc<Store>>,
    cooldowns: HashMap<u64, Cooldown>,
}

impl Service {
    /// A service over `store`, with no analytics, no replicas, no cooldown and an ephemeral key.
    pub fn new(store: Arc<Store>) -> Service {
        let prices = Arc::new(store.prices().clone());
        Service { store: Some(store), ..Service::prices_only(prices) }
    }

    /// A service for commands that need no index ([`Command::needs_store`] false).
    pub fn prices_only(prices: Arc<PriceTable>) -> Service {
        Service {
            store: None,
            prices,
            analytics: None,
            replicas: None,
            key: Arc::new(InstallKey::ephemeral()),
            cooldown: None,
            routes: Routes::default(),
            memory: Memory::new(None),
            conversation: ConversationConfig::default(),
            inflight: TaskTracker::new(),
        }
    }

    /// Where answers are recorded and what `/gaps` and `/stats` read.
    pub fn with_analytics(self, analytics: Arc<Analytics>) -> Service {
        Service { memory: Memory::new(Some(analytics.clone())), analytics: Some(analytics), ..self }
    }

    /// How long follow-ups are read with the question before (`[conversation]`).
    pub fn with_conversations(self, conversation: ConversationConfig) -> Service {
        Service { conversation, ..self }
    }

    /// The other replicas a re-index is announced to.
    pub fn with_replicas(self, replicas: Arc<Replicas>) -> Service {
        Service { replicas: Some(replicas), ..self }
    }

    /// The install's key: tags on button and form custom ids.
    pub fn with_key(self, key: Arc<InstallKey>) -> Service {
        Service { key, ..self }
    }

    /// At most `questions` per `window` for each [`Caller::limited`] caller; counted in the
    /// analytics database for every replica when that is PostgreSQL (set analytics first).
    pub fn with_cooldown(self, questions: u32, window: Duration) -> Service {
        Service { cooldown: Some(self.new_cooldown(questions, window)), ..self }
    }

    /// A cooldown, counted in the analytics database when that is PostgreSQL.
    fn new_cooldown(&self, questions: u32, window: Duration) -> Cooldown {
        let cooldown = Cooldown::new(questions, window);
        match &self.analytics {
            Some(analytics) => cooldown.shared(analytics.clone()),
            None => cooldown,
        }
    }

    /// A server answered from a store of its own (its `[guilds.ID] corpus`).
    pub fn with_guild_store(mut self, guild: u64, store: Arc<Store>) -> Service {
        self.routes.guilds.insert(guild, store);
        self
    }

    /// A channel (and the threads and posts in it) answered from a store of its own: some articles.
    pub fn with_channel_store(mut self, channel: u64, store: Arc<Store>) -> Service {
        self.routes.channels.insert(channel, store);
        self
    }

    /// A server with a cooldown of its own (counted apart from other servers' questions).
    pub fn with_guild_cooldown(mut self, guild: u64, questions: u32, window: Duration) -> Service {
        let cooldown = self.new_cooldown(questions, window);
        self.routes.cooldowns.insert(guild, cooldown);
        self
    }

    /// Runs one command for `caller`: the cooldown (for a question by a limited caller), then the
    /// one dispatcher, against the store that serves where the caller is. Blocking (searches, token
    /// counts, a re-index): async transports call [`Service::handle_async`].
    pub fn handle(&self, command: Command, caller: &Caller) -> Reply {
        if command.is_question()
            && caller.limited
            && let Err(wait) = self.cooldown_check(caller)
        {
            crate::metrics::METRICS.cooldown_refusals.inc();
            return Reply::SlowDown { wait_secs: cooldown::wait_secs(wait) };
        }
        let store = self.store_for(&caller.origin);
        let reindex = matches!(command, Command::Reindex(_)) && caller.admin;
        let reply = match (command, &caller.conversation, store) {
            (Command::Ask(ask), Some(conversation), Some(store)) if self.conversation.turns > 0 => {
                self.ask_in(conversation, ask, store, caller)
            }
            (command, ..) => commands::dispatch(self.context(store), command, caller),
        };
        if reindex && !reply.is_error() {
            self.reindex_siblings(store);
        }
        reply
    }

    /// A guild's own cooldown, else the bot's.
    fn cooldown_check(&self, caller: &Caller) -> Result<(), Duration> {
        match caller.origin.guild.and_then(|g| self.routes.cooldowns.get(&g).map(|c| (g, c))) {
            // Counted apart from the user's questions elsewhere (the shared window is per key).
            Some((guild, c)) => c.check(&format!("{guild}:{}", caller.id)),
            None => self.cooldown.as_ref().map_or(Ok(()), |c| c.check(&caller.id)),
        }
    }

    /// The store that answers where `origin` is: the channel's (or the thread's parent's) when it is
    /// limited to some articles, else the server's own corpus, else the default.
    pub fn store_for(&self, origin: &Origin) -> Option<&Arc<Store>> {
        [origin.channel, origin.parent]
            .into_iter()
            .flatten()
            .find_map(|c| self.routes.channels.get(&c))
            .or_else(|| origin.guild.and_then(|g| self.routes.guilds.get(&g)))
            .or(self.store.as_ref())
    }

    /// Every store served, the default first, each once.
    pub fn stores(&self) -> Vec<Arc<Store>> {
        let mut out: Vec<Arc<Store>> = self.store.iter().cloned().collect();
        for s in self.routes.guilds.values().chain(self.routes.channels.values()) {
            if !out.iter().any(|o| Arc::ptr_eq(o, s)) {
                out.push(s.clone());
            }
        }
        out
    }

    /// After `/reindex` of one store, the others over the same corpus directory (channels limited
    /// to some of its articles): they read the same files.
    fn reindex_siblings(&self, done: Option<&Arc<Store>>) {
        let Some(done) = done else { return };
        let dir = &done.config().corpus_dir;
        for s in self.stores().iter().filter(|s| !Arc::ptr_eq(s, done) && s.config().corpus_dir == *dir) {
            if let Err(e) = s.reindex() {
                tracing::warn!(index = %s.config().index_dir.display(), "re-indexing a channel's articles failed: {e}");
            }
        }
    }

    /// A question in a conversation: a follow-up is read with the topic of the question before
    /// (`crate::conversation`), and the topic kept for the next.
    fn ask_in(&self, conversation: &str, ask: Ask, store: &Arc<Store>, caller: &Caller) -> Reply {
        let engine = store.snapshot();
        let prev = self
            .memory
            .topic(conversation, self.conversation.expiry)
            .filter(|t| t.follow_ups < self.conversation.turns);
        let named = engine.mentions(&ask.question);
        let reading = prev.as_ref().and_then(|p| conversation::read(p, &named, &ask.question, engine.features()));
        let (question, named) = match &reading {
            Some(r) => (r.question.clone(), engine.mentions(&r.question)),
            None => (ask.question.clone(), named),
        };
        let mut reply = commands::dispatch(self.context(Some(store)), Command::Ask(Ask { question, ..ask }), caller);
        if let Reply::Answer(a) = &mut reply {
            a.read_as = reading.as_ref().map(|r| r.question.clone());
            let answered: Vec<String> = a.verdicts.iter().map(|v| v.feature.clone()).collect();
            let topic = conversation::next_topic(prev.as_ref(), reading.as_ref(), &named, &answered);
            self.memory.set_topic(conversation, &topic);
        }
        reply
    }

    /// Remembers a place (a thread the bot started, a post it answered: the transport names it) as
    /// one where the bot answers without a mention, with the channel it is in (whose articles it
    /// is limited to, if any); kept in the database when there is one.
    pub fn remember_place(&self, place: &str, parent: Option<u64>) {
        self.memory.remember_place(place, parent);
    }

    /// The channel a place of the bot's is in, as [`Service::remember_place`] was told.
    pub fn parent_of(&self, place: &str) -> Option<u64> {
        self.memory.parent_of(place)
    }

    /// Whether the question in `place` is with people now (`escalate` until staff reply or
    /// `/resolve`): the transport does not auto-answer there. May read the database.
    pub fn is_handed_over(&self, place: &str) -> bool {
        commands::handover::is_handed_over(&self.memory, place)
    }

    /// Someone with the support role replied in `place`: the bot answers there again.
    pub fn hand_back(&self, place: &str) -> bool {
        commands::handover::hand_back(&self.memory, place)
    }

    /// Whether [`Service::remember_place`] was called for `place` (by this process, an earlier one
    /// or a replica). May read the database: off the async workers.
    pub fn is_place(&self, place: &str) -> bool {
        self.memory.is_place(place)
    }

    /// [`Service::handle`] off the async workers.
    pub async fn handle_async(self: &Arc<Self>, command: Command, caller: Caller) -> Reply {
        let name = command.spec().name;
        let service = self.clone();
        match tokio::task::spawn_blocking(move || service.handle(command, &caller)).await {
            Ok(reply) => reply,
            Err(e) => {
                error!(command = name, "command failed: {e}");
                Reply::Error { message: format!("/{name} failed unexpectedly; the error was logged.") }
            }
        }
    }

    fn context<'a>(&'a self, store: Option<&'a Arc<Store>>) -> Context<'a> {
        let mut ctx = match store {
            Some(store) => Context::new(store),
            None => Context::prices_only(&self.prices),
        }
        .with_memory(&self.memory);
        if let Some(a) = &self.analytics {
            ctx = ctx.with_analytics(a);
        }
        if let Some(r) = &self.replicas {
            ctx = ctx.with_replicas(r);
        }
        ctx
    }

    /// Leaks the store: a process about to exit need not free the index piece by piece (a large
    /// feature table is millions of allocations).
    pub fn forget_store(&mut self) {
        if let Some(store) = self.store.take() {
            std::mem::forget(store);
        }
    }

    pub fn store(&self) -> Option<&Arc<Store>> {
        self.store.as_ref()
    }

    /// The serving engine, for what transports show besides replies (autocomplete, banners).
    pub fn engine(&self) -> Option<Arc<Engine>> {
        self.store.as_ref().map(|s| s.snapshot())
    }

    /// The engine that serves where `origin` is ([`Service::store_for`]).
    pub fn engine_for(&self, origin: &Origin) -> Option<Arc<Engine>> {
        self.store_for(origin).map(|s| s.snapshot())
    }

    pub fn prices(&self) -> &PriceTable {
        &self.prices
    }

    pub fn analytics(&self) -> Option<&Arc<Analytics>> {
        self.analytics.as_ref()
    }

    pub fn key(&self) -> &Arc<InstallKey> {
        &self.key
    }

    /// Registers one request, or `None` once shutdown began: a request is either refused or waited
    /// for.
    pub fn enter(&self) -> Option<TaskTrackerToken> {
        enter(&self.inflight)
    }

    /// How many requests are at work.
    pub fn in_flight(&self) -> usize {
        self.inflight.len()
    }

    /// Stops taking new requests and waits up to `timeout` for those in flight. True if all ended.
    pub async fn drain(&self, timeout: Duration) -> bool {
        drain(&self.inflight, timeout).await
    }

    /// Writes what is queued for the database (bounded: a database that does not answer loses them,
    /// counted and logged). False if records were left.
    pub async fn flush(&self, timeout: Duration) -> bool {
        let Some(analytics) = self.analytics.clone() else { return true };
        tokio::task::spawn_blocking(move || analytics.flush(timeout)).await.unwrap_or(false)
    }
}

/// Registers one request with the tracker, or `None` once shutdown began (the tracker is closed).
/// The token counts before the check, and shutdown closes before it waits: a request is either
/// refused or waited for.
fn enter(tracker: &TaskTracker) -> Option<TaskTrackerToken> {
    let token = tracker.token();
    (!tracker.is_closed()).then_some(token)
}

async fn drain(tracker: &TaskTracker, timeout: Duration) -> bool {
    tracker.close();
    tokio::time::timeout(timeout, tracker.wait()).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drain_waits_for_inflight_and_refuses_new_work() {
        let t = TaskTracker::new();
        let g = enter(&t).expect("open");
        let t2 = t.clone();
        let drained = tokio::spawn(async move { drain(&t2, Duration::from_secs(10)).await });
        // Once closing, new requests are refused; the one in flight keeps the drain waiting.
        while !t.is_closed() {
            tokio::task::yield_now().await;
        }
        assert!(enter(&t).is_none());
        assert!(!drained.is_finished());
        drop(g);
        assert!(drained.await.unwrap());
        assert_eq!(t.len(), 0);
    }

    #[tokio::test]
    async fn drain_gives_up_after_the_timeout() {
        let t = TaskTracker::new();
        let _g = enter(&t).unwrap();
        assert!(!drain(&t, Duration::from_millis(20)).await);
    }

    #[test]
    fn servers_and_channels_route_to_their_own_store_and_cooldown() {
        let dir = tempfile::tempdir().unwrap();
        let open = |name: &str| {
            let cfg = crate::store::StoreConfig {
                corpus_dir: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus"),
                index_dir: dir.path().join(name),
                threads: 1,
                articles: None,
            };
            Arc::new(Store::open(cfg, Arc::new(PriceTable::empty())).unwrap().0)
        };
        let (default, guild, channel) = (open("a"), open("b"), open("c"));
        let service = Service::new(default.clone())
            .with_guild_store(1, guild.clone())
            .with_channel_store(10, channel.clone())
            .with_cooldown(5, Duration::from_secs(60))
            .with_guild_cooldown(1, 1, Duration::from_secs(60));
        let at = |guild, channel, parent| Origin { guild, channel, parent, ..Origin::default() };
        let is = |o: Origin, s: &Arc<Store>| Arc::ptr_eq(service.store_for(&o).unwrap(), s);
        assert!(is(at(None, Some(10), None), &channel), "a DM channel id is no guild's");
        assert!(is(at(Some(2), Some(5), None), &default));
        assert!(is(at(Some(1), Some(5), None), &guild));
        assert!(is(at(Some(1), Some(10), None), &channel));
        assert!(is(at(Some(1), Some(11), Some(10)), &channel), "a thread in the limited channel");
        assert_eq!(service.stores().len(), 3);
        // Guild 1 allows one question a minute, counted apart from the default's five.
        let person = |guild| Caller { limited: true, origin: at(guild, Some(5), None), ..Caller::local() };
        assert!(service.cooldown_check(&person(Some(1))).is_ok());
        assert!(service.cooldown_check(&person(Some(1))).is_err());
        for _ in 0..5 {
            assert!(service.cooldown_check(&person(Some(2))).is_ok());
        }
        assert!(service.cooldown_check(&person(Some(2))).is_err());
    }

    #[test]
    fn the_cooldown_counts_limited_callers_only() {
        let service = Service::prices_only(Arc::new(PriceTable::default())).with_cooldown(1, Duration::from_secs(60));
        let ask = || Command::Ask(commands::ask::Ask { question: "anything?".into(), private: false });
        let person = Caller { limited: true, ..Caller::local() };
        // No index here: the first question is an error reply, but it counts.
        assert!(!matches!(service.handle(ask(), &person), Reply::SlowDown { .. }));
        assert!(matches!(service.handle(ask(), &person), Reply::SlowDown { wait_secs: 60 }));
        let other = Caller { id: "other".into(), ..person.clone() };
        assert!(!matches!(service.handle(ask(), &other), Reply::SlowDown { .. }));
        // The local operator is never limited.
        for _ in 0..3 {
            assert!(!matches!(service.handle(ask(), &Caller::local()), Reply::SlowDown { .. }));
        }
    }
}
