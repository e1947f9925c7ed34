//! The gateway event handler: translates interactions, mentions and DMs into commands, runs them
//! through the one dispatcher and sends the rendered replies. It also registers the slash commands on
//! READY and counts requests in flight so that shutdown can wait for them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serenity::all::{
    CommandData, CommandDataOptionValue, CommandInteraction, Context, EventHandler, Http, Interaction, Message,
    MessageReference, Permissions, Ready, RoleId,
};
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TaskTrackerToken;
use tracing::{error, info, warn};

use super::cooldown::{self, Cooldown};
use super::register::{self, Scope};
use super::render::{self, Rendered};
use super::retry::{INTERACTION_BUDGET, MESSAGE_BUDGET, retry};
use crate::commands::{self, Caller, Command, Completion, Context as CommandContext, Invocation, OptValue, Reply};
use crate::config::DiscordConfig;
use crate::store::Store;

/// Who may run admin commands besides members with Administrator or Manage Server.
#[derive(Debug, Clone, Default)]
pub struct Admins {
    pub users: Vec<u64>,
    pub roles: Vec<u64>,
}

impl Admins {
    /// Server-side check: Discord's default permission on the command can be overridden by a server,
    /// so it is not trusted alone.
    pub fn allows(&self, user: u64, permissions: Option<Permissions>, roles: &[RoleId]) -> bool {
        permissions.is_some_and(|p| p.administrator() || p.manage_guild())
            || self.users.contains(&user)
            || roles.iter().any(|r| self.roles.contains(&r.get()))
    }
}

/// State shared by every event of every shard.
pub struct Shared {
    pub store: Arc<Store>,
    pub admins: Admins,
    pub cooldown: Cooldown,
    /// Requests at work, so that shutdown can wait for them.
    pub inflight: TaskTracker,
    /// Where to register commands on READY; `None` leaves registration to `productbot register`.
    pub register_on_ready: Option<Scope>,
    registered: AtomicBool,
    /// Learnt from READY; 0 until then.
    bot_id: AtomicU64,
    /// Notified on every READY (the first ends serve's wait for a connection).
    pub ready: Arc<tokio::sync::Notify>,
}

impl Shared {
    pub fn new(store: Arc<Store>, cfg: &DiscordConfig) -> Self {
        Shared {
            store,
            admins: Admins { users: cfg.admin_users.clone(), roles: cfg.admin_roles.clone() },
            cooldown: Cooldown::new(cfg.cooldown_questions, Duration::from_secs(cfg.cooldown_seconds)),
            inflight: TaskTracker::new(),
            register_on_ready: cfg.register_on_start.then(|| cfg.guild_id.map_or(Scope::Global, Scope::Guild)),
            registered: AtomicBool::new(false),
            bot_id: AtomicU64::new(0),
            ready: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Whether a shard has been READY.
    pub fn is_ready(&self) -> bool {
        self.bot_id.load(Ordering::SeqCst) != 0
    }
}

/// Registers one request with the tracker, or `None` once shutdown began (the tracker is closed).
/// The token counts before the check, and shutdown closes before it waits: a request is either
/// refused or waited for.
pub fn enter(tracker: &TaskTracker) -> Option<TaskTrackerToken> {
    let token = tracker.token();
    (!tracker.is_closed()).then_some(token)
}

/// Stops taking new requests and waits up to `timeout` for those in flight. True if all ended.
pub async fn drain(tracker: &TaskTracker, timeout: Duration) -> bool {
    tracker.close();
    tokio::time::timeout(timeout, tracker.wait()).await.is_ok()
}

pub struct Handler {
    pub shared: Arc<Shared>,
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let s = &self.shared;
        s.bot_id.store(ready.user.id.get(), Ordering::SeqCst);
        // notify_one keeps a permit, so serve's wait sees a READY that came before it waited.
        s.ready.notify_one();
        info!(user = %ready.user.name, shard = ?ready.shard.map(|s| s.id.0), guilds = ready.guilds.len(), "connected to Discord");
        // Every shard (and every re-identify) sends READY; the command set needs registering once.
        if let Some(scope) = s.register_on_ready
            && !s.registered.swap(true, Ordering::SeqCst)
        {
            match register::register(&ctx.http, scope).await {
                Ok(cmds) => info!(commands = cmds.len(), "registered slash commands {scope}"),
                Err(e) => {
                    s.registered.store(false, Ordering::SeqCst);
                    error!("could not register slash commands {scope}: {e}");
                }
            }
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let Some(_guard) = enter(&self.shared.inflight) else {
            if let Interaction::Command(c) = &interaction
                && let Err(e) = c.create_response(&ctx.http, render::restarting().response()).await
            {
                warn!("could not answer an interaction during shutdown: {e}");
            }
            return;
        };
        let result = match &interaction {
            Interaction::Command(c) => self.command(&ctx.http, c).await,
            Interaction::Autocomplete(c) => self.autocomplete(&ctx.http, c).await,
            _ => Ok(()),
        };
        if let Err(e) = result {
            warn!("could not answer an interaction: {e}");
        }
    }

    async fn message(&self, ctx: Context, msg: Message) {
        if msg.author.bot {
            return;
        }
        let bot = self.shared.bot_id.load(Ordering::SeqCst);
        let is_dm = msg.guild_id.is_none();
        let mentioned = bot != 0 && msg.mentions_user_id(bot);
        if !is_dm && !mentioned {
            return;
        }
        let Some(_guard) = enter(&self.shared.inflight) else { return };
        let rendered = self.answer_message(&msg, bot).await;
        // If the question was deleted meanwhile, post the answer anyway rather than fail.
        let reference = MessageReference::from(&msg).fail_if_not_exists(false);
        let send = || msg.channel_id.send_message(&ctx.http, rendered.message().reference_message(reference.clone()));
        if let Err(e) = retry("reply to a message", MESSAGE_BUDGET, send).await {
            warn!(channel = %msg.channel_id, "could not reply to a message: {e}");
        }
    }
}

impl Handler {
    async fn command(&self, http: &Http, c: &CommandInteraction) -> serenity::Result<()> {
        let s = &self.shared;
        let roles = c.member.as_ref().map(|m| m.roles.as_slice()).unwrap_or_default();
        let permissions = c.member.as_ref().and_then(|m| m.permissions);
        let caller = Caller {
            id: c.user.id.to_string(),
            name: c.user.name.clone(),
            admin: s.admins.allows(c.user.id.get(), permissions, roles),
        };
        let respond = |rendered: Rendered| async move {
            retry("answer an interaction", INTERACTION_BUDGET, || c.create_response(http, rendered.response())).await
        };
        let command = match Command::from_invocation(&invocation(&c.data)) {
            Ok(command) => without_mentions(command),
            Err(e) => return respond(render::usage(&e)).await,
        };
        if command.is_question()
            && let Err(wait) = s.cooldown.check(c.user.id.get())
        {
            return respond(render::slow_down(cooldown::wait_secs(wait), true)).await;
        }
        let spec = command.spec();
        // A refused admin command is answered at once: dispatch refuses it (and logs the attempt)
        // without doing any work.
        if spec.slow && (!spec.admin || caller.admin) {
            retry("defer an interaction", INTERACTION_BUDGET, || c.create_response(http, render::deferred())).await?;
            let rendered = render::reply(&run(&s.store, command, caller).await);
            if let Err(e) =
                retry("edit a deferred response", MESSAGE_BUDGET, || c.edit_response(http, rendered.edit())).await
            {
                warn!("could not edit a deferred response, sending a follow-up: {e}");
                retry("send a follow-up", MESSAGE_BUDGET, || c.create_followup(http, rendered.followup())).await?;
            }
            return Ok(());
        }
        let reply = run(&s.store, command, caller).await;
        respond(render::reply(&reply)).await
    }

    async fn autocomplete(&self, http: &Http, c: &CommandInteraction) -> serenity::Result<()> {
        let choices: Vec<(String, String)> = match c.data.autocomplete() {
            Some(focused) => {
                let complete = commands::spec(&c.data.name)
                    .and_then(|spec| spec.options.iter().find(|o| o.name == focused.name))
                    .map_or(Completion::None, |o| o.complete);
                let engine = self.shared.store.snapshot();
                match complete {
                    Completion::Feature => engine
                        .complete_feature(focused.value)
                        .into_iter()
                        .map(|f| (f.name.clone(), f.id.clone()))
                        .collect(),
                    Completion::Model => {
                        engine.prices().complete_model(focused.value).into_iter().map(|m| (m.clone(), m)).collect()
                    }
                    Completion::None => Vec::new(),
                }
            }
            None => Vec::new(),
        };
        retry("answer an autocomplete", INTERACTION_BUDGET, || {
            c.create_response(http, render::autocomplete(choices.clone()))
        })
        .await
    }

    /// The reply to a mention or DM: a question, or a command line if it starts with '/'.
    async fn answer_message(&self, msg: &Message, bot: u64) -> Rendered {
        let s = &self.shared;
        let text = strip_mention(&msg.content, bot);
        if text.is_empty() {
            return render::short_help(&s.store.snapshot().covers_phrase());
        }
        if let Err(wait) = s.cooldown.check(msg.author.id.get()) {
            return render::slow_down(cooldown::wait_secs(wait), false);
        }
        let command = match commands::parse_line(&text).and_then(|i| Command::from_invocation(&i)) {
            Ok(command) => without_mentions(command),
            Err(e) => return render::usage(&e),
        };
        // Message events carry no permission bits, so only the configured users and roles are admins.
        let roles = msg.member.as_ref().map(|m| m.roles.as_slice()).unwrap_or_default();
        let caller = Caller {
            id: msg.author.id.to_string(),
            name: msg.author.name.clone(),
            admin: s.admins.allows(msg.author.id.get(), None, roles),
        };
        render::reply(&run(&s.store, command, caller).await)
    }
}

/// A question without the chat mentions it carries: they say who is addressed, not what is asked.
fn without_mentions(command: Command) -> Command {
    match command {
        Command::Ask(mut a) => {
            a.question = strip_mentions(&a.question).into_owned();
            Command::Ask(a)
        }
        other => other,
    }
}

/// Runs the dispatcher off the async workers: searches and token counts block, and a re-index takes
/// seconds.
async fn run(store: &Arc<Store>, command: Command, caller: Caller) -> Reply {
    let store = store.clone();
    let name = command.spec().name;
    match tokio::task::spawn_blocking(move || commands::dispatch(CommandContext::new(&store), command, &caller)).await {
        Ok(reply) => reply,
        Err(e) => {
            error!(command = name, "command failed: {e}");
            Reply::Error { message: format!("/{name} failed unexpectedly; the error was logged.") }
        }
    }
}

/// The interaction's options as the dispatcher takes them.
pub fn invocation(data: &CommandData) -> Invocation {
    let options = data
        .options
        .iter()
        .filter_map(|o| {
            let v = match &o.value {
                CommandDataOptionValue::String(s) => OptValue::Str(s.clone()),
                CommandDataOptionValue::Integer(i) => OptValue::Int(*i),
                CommandDataOptionValue::Boolean(b) => OptValue::Bool(*b),
                CommandDataOptionValue::Number(n) => OptValue::Str(n.to_string()),
                CommandDataOptionValue::Autocomplete { value, .. } => OptValue::Str(value.clone()),
                _ => return None,
            };
            Some((o.name.clone(), v))
        })
        .collect();
    Invocation { name: data.name.clone(), options }
}

/// The text without chat mentions (`@everyone`, `@here`, `<@123>`, `<@&456>`, `<#789>`).
pub fn strip_mentions(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('@') && !text.contains("<#") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for word in text.split_inclusive(char::is_whitespace) {
        let w = word.trim_end();
        let bare = w.trim_end_matches([',', '.', ':', '!', '?', ';']);
        let mention = matches!(bare, "@everyone" | "@here")
            || (bare.starts_with('<')
                && bare.ends_with('>')
                && (bare.starts_with("<@") || bare.starts_with("<#"))
                && bare[1..bare.len() - 1]
                    .trim_start_matches(['@', '!', '&', '#'])
                    .chars()
                    .all(|c| c.is_ascii_digit()));
        if mention {
            out.push_str(&w[bare.len()..]);
            out.push(' ');
        } else {
            out.push_str(word);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The message text without the bot's `<@id>` / `<@!id>` mentions.
pub fn strip_mention(content: &str, bot: u64) -> String {
    content.replace(&format!("<@{bot}>"), " ").replace(&format!("<@!{bot}>"), " ").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn admin_by_permission_user_or_role() {
        let admins = Admins { users: vec![7], roles: vec![42] };
        assert!(admins.allows(1, Some(Permissions::MANAGE_GUILD), &[]));
        assert!(admins.allows(1, Some(Permissions::ADMINISTRATOR), &[]));
        assert!(!admins.allows(1, Some(Permissions::SEND_MESSAGES | Permissions::MANAGE_MESSAGES), &[]));
        assert!(!admins.allows(1, None, &[RoleId::new(41)]));
        assert!(admins.allows(1, None, &[RoleId::new(41), RoleId::new(42)]));
        assert!(admins.allows(7, None, &[]));
    }

    #[test]
    fn mentions_are_not_question_words() {
        let q = strip_mentions("@everyone what does <@!123> cost? <@&9>");
        assert_eq!(q.split_whitespace().collect::<Vec<_>>(), ["what", "does", "cost?"]);
        assert_eq!(strip_mentions("email me@example.com"), "email me@example.com");
    }

    #[test]
    fn mentions_are_stripped() {
        assert_eq!(strip_mention("<@99> does the API have memory?", 99), "does the API have memory?");
        assert_eq!(strip_mention("<@!99> /features", 99), "/features");
        assert_eq!(strip_mention("<@99>", 99), "");
        assert_eq!(strip_mention("<@98> hi", 99), "<@98> hi");
    }

    #[test]
    fn options_translate_to_an_invocation() {
        let data: CommandData = serde_json::from_value(json!({
            "id": "1", "name": "cost", "type": 1,
            "options": [
                {"name": "model", "type": 3, "value": "gpt-4o"},
                {"name": "input_tokens", "type": 4, "value": 1000},
                {"name": "batch", "type": 5, "value": true},
                {"name": "requests", "type": 10, "value": 3.0}
            ]
        }))
        .unwrap();
        let inv = invocation(&data);
        assert_eq!(inv.name, "cost");
        assert_eq!(
            inv.options,
            vec![
                ("model".into(), OptValue::Str("gpt-4o".into())),
                ("input_tokens".into(), OptValue::Int(1000)),
                ("batch".into(), OptValue::Bool(true)),
                ("requests".into(), OptValue::Str("3".into())),
            ]
        );
        assert!(Command::from_invocation(&inv).is_ok());
    }

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
}
