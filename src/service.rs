//! The transport-neutral service: everything a request needs (the store, analytics, the install's
//! key, other replicas, the per-user cooldown, the requests in flight) behind one entry,
//! [`Service::handle`]. The gateway, the HTTP interactions endpoint, the shell and the CLI only turn
//! their input into a `(Command, Caller)` and render the [`Reply`]; `crate::app` builds the service
//! once. Nothing here knows Discord or terminals.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TaskTrackerToken;
use tracing::error;

use crate::analytics::Analytics;
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
    /// Conversations' topics and the places the bot answers without a mention.
    memory: Memory,
    conversation: ConversationConfig,
    /// Requests at work, so that shutdown can wait for them.
    inflight: TaskTracker,
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
        let mut cooldown = Cooldown::new(questions, window);
        if let Some(analytics) = &self.analytics {
            cooldown = cooldown.shared(analytics.clone());
        }
        Service { cooldown: Some(cooldown), ..self }
    }

    /// Runs one command for `caller`: the cooldown (for a question by a limited caller), then the
    /// one dispatcher. Blocking (searches, token counts, a re-index): async transports call
    /// [`Service::handle_async`].
    pub fn handle(&self, command: Command, caller: &Caller) -> Reply {
        if command.is_question()
            && caller.limited
            && let Some(c) = &self.cooldown
            && let Err(wait) = c.check(&caller.id)
        {
            crate::metrics::METRICS.cooldown_refusals.inc();
            return Reply::SlowDown { wait_secs: cooldown::wait_secs(wait) };
        }
        match (command, &caller.conversation, &self.store) {
            (Command::Ask(ask), Some(conversation), Some(store)) if self.conversation.turns > 0 => {
                self.ask_in(conversation, ask, store, caller)
            }
            (command, ..) => commands::dispatch(self.context(), command, caller),
        }
    }

    /// A question in a conversation: a follow-up is read with the topic of the question before
    /// (`crate::conversation`), and the topic kept for the next.
    fn ask_in(&self, conversation: &str, ask: Ask, store: &Store, caller: &Caller) -> Reply {
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
        let mut reply = commands::dispatch(self.context(), Command::Ask(Ask { question, ..ask }), caller);
        if let Reply::Answer(a) = &mut reply {
            a.read_as = reading.as_ref().map(|r| r.question.clone());
            let answered: Vec<String> = a.verdicts.iter().map(|v| v.feature.clone()).collect();
            let topic = conversation::next_topic(prev.as_ref(), reading.as_ref(), &named, &answered);
            self.memory.set_topic(conversation, &topic);
        }
        reply
    }

    /// Remembers a place (a thread the bot started, a post it answered: the transport names it) as
    /// one where the bot answers without a mention; kept in the database when there is one.
    pub fn remember_place(&self, place: &str) {
        self.memory.remember_place(place);
    }

    /// Whether [`Service::remember_place`] was called for `place` (by this process, an earlier one
    /// or a replica). May read the database: off the async workers.
    pub fn is_place(&self, place: &str) -> bool {
        self.memory.is_place(place)
    }

    /// Sets or clears a flag on a place (a question handed to people: see `discord`); kept in the
    /// database when there is one.
    pub fn set_flag(&self, flag: &str, place: &str, on: bool) {
        self.memory.put(&format!("{flag}:{place}"), if on { "1" } else { "0" }.to_owned());
    }

    /// Whether [`Service::set_flag`] last set `flag` on `place`. May read the database.
    pub fn flag(&self, flag: &str, place: &str) -> bool {
        self.memory.get(&format!("{flag}:{place}")).is_some_and(|(v, _)| v == "1")
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

    fn context(&self) -> Context<'_> {
        let mut ctx = match &self.store {
            Some(store) => Context::new(store),
            None => Context::prices_only(&self.prices),
        };
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
