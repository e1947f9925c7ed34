//! The gateway event handler: translates interactions, mentions and DMs into commands, runs them
//! through the one dispatcher and sends the rendered replies. It also registers the slash commands on
//! READY and counts requests in flight so that shutdown can wait for them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use serenity::all::{
    ChannelId, CommandData, CommandDataOptionValue, Context, CreateThread, EventHandler, GuildChannel, Http,
    Interaction, Member, Message, MessageReference, Permissions, Ready, RoleId, User,
};
use serenity::builder::Builder as _;
use tracing::{error, info, warn};

use super::interactions;
use super::register::{self, Scope};
use super::render::{self, Audience, Rendered};
use super::retry::{INTERACTION_BUDGET, MESSAGE_BUDGET, retry};
use crate::analytics::Origin;
use crate::commands::{self, Caller, Command, Invocation, OptValue, Reply};
use crate::config::{DiscordConfig, GuildConfig};
use crate::key::InstallKey;
use crate::service::Service;

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

/// A server's channels and roles: its `[guilds.ID]` block's, else `[discord]`'s.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub admins: Admins,
    /// Channels whose every message is answered (with the Message Content intent).
    pub help_channels: HashSet<u64>,
    /// Forum channels whose new posts are answered.
    pub forum_channels: HashSet<u64>,
    /// Pinged when a question is handed to people ("Ask a human", or an auto-answer declined or
    /// unsure); the bot then stays silent there until someone with the role replies or `/resolve`.
    pub support_role: Option<u64>,
    /// Where the hand-over notice goes (with a link), instead of the question's own thread.
    pub support_channel: Option<u64>,
}

impl Settings {
    fn of(d: &DiscordConfig, g: Option<&GuildConfig>) -> Settings {
        let pick = |own: Option<&Vec<u64>>, default: &Vec<u64>| own.unwrap_or(default).iter().copied().collect();
        Settings {
            admins: Admins {
                users: d.admin_users.clone(),
                roles: g.and_then(|g| g.admin_roles.clone()).unwrap_or_else(|| d.admin_roles.clone()),
            },
            help_channels: pick(g.and_then(|g| g.help_channels.as_ref()), &d.help_channels),
            forum_channels: pick(g.and_then(|g| g.forum_channels.as_ref()), &d.forum_channels),
            support_role: g.and_then(|g| g.support_role).or(d.support_role),
            support_channel: g.and_then(|g| g.support_channel).or(d.support_channel),
        }
    }

    /// Whether a member with these roles is on the support team.
    pub fn is_support(&self, roles: &[RoleId]) -> bool {
        self.support_role.is_some_and(|role| roles.iter().any(|r| r.get() == role))
    }
}

/// What the Discord adapter keeps besides the service: shared by every event of every shard and by
/// the HTTP endpoint's interactions.
pub struct Shared {
    /// Everything a request needs (store, analytics, the install's key, cooldown, requests in flight).
    pub service: Arc<Service>,
    /// `[discord]`'s channels and roles, for servers without a block of their own.
    defaults: Settings,
    /// Servers with a `[guilds.ID]` block.
    guilds: HashMap<u64, Settings>,
    /// Some server has a forum configured (a message may be a post's first).
    any_forum: bool,
    /// Where to register commands on READY; `None` leaves registration to `productbot register`.
    pub register_on_ready: Option<Scope>,
    registered: AtomicBool,
    /// Learnt from READY; 0 until then.
    bot_id: AtomicU64,
    /// Notified on every READY (the first ends serve's wait for a connection).
    pub ready: Arc<tokio::sync::Notify>,
    /// Mention answers go in a thread started on the question.
    answer_in_thread: bool,
    /// With the Message Content intent: follow-ups in `threads` are answered without a mention.
    message_content: bool,
    /// Forum posts seen by one of their two events but not yet the other.
    forum: Mutex<ForumPending>,
}

/// A forum post arrives as THREAD_CREATE (which says its forum) and the post's first message (whose
/// id is the post's). serenity handles events concurrently, so either may be handled first: whichever
/// comes first waits here for the other.
#[derive(Default)]
struct ForumPending {
    /// Posts in a configured forum whose first message has not come yet, with their forum.
    posts: HashMap<u64, u64>,
    /// First messages of posts whose THREAD_CREATE has not come yet.
    starters: HashMap<u64, (std::time::Instant, Message)>,
}

/// Bounds on what is remembered about threads and posts (a process runs for weeks).
const MAX_REMEMBERED: usize = 10_000;
/// How long a forum post's first message waits for its THREAD_CREATE.
const STARTER_WAIT: Duration = Duration::from_secs(60);

/// Inserts into a bounded map: when full, it starts over (such a post then needs a mention).
fn remember(map: &mut HashMap<u64, u64>, id: u64, value: u64) {
    if map.len() >= MAX_REMEMBERED {
        map.clear();
    }
    map.insert(id, value);
}

impl Shared {
    pub fn new(service: Arc<Service>, cfg: &DiscordConfig, guilds: &[GuildConfig]) -> Self {
        Shared {
            service,
            answer_in_thread: cfg.answer_in_thread,
            message_content: cfg.message_content,
            any_forum: crate::config::answers_forums(cfg, guilds),
            defaults: Settings::of(cfg, None),
            guilds: guilds.iter().map(|g| (g.id, Settings::of(cfg, Some(g)))).collect(),
            forum: Mutex::new(ForumPending::default()),
            register_on_ready: cfg.register_on_start.then(|| cfg.guild_id.map_or(Scope::Global, Scope::Guild)),
            registered: AtomicBool::new(false),
            bot_id: AtomicU64::new(0),
            ready: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// The channels and roles of `guild` (a DM: the defaults).
    pub fn settings(&self, guild: Option<u64>) -> &Settings {
        guild.and_then(|g| self.guilds.get(&g)).unwrap_or(&self.defaults)
    }

    /// Whether a shard has been READY.
    pub fn is_ready(&self) -> bool {
        self.bot_id.load(Ordering::SeqCst) != 0
    }

    /// The install's key: tags on the custom ids of the buttons and forms this bot makes.
    pub fn key(&self) -> &Arc<InstallKey> {
        self.service.key()
    }

    /// Whether `channel` is a thread the bot started or a forum post it answered (by this process,
    /// an earlier one or a replica: the service keeps them in the database).
    pub(super) async fn is_ours(&self, channel: u64) -> bool {
        let service = self.service.clone();
        tokio::task::spawn_blocking(move || service.is_place(&place(channel))).await.unwrap_or(false)
    }

    /// What the bot answers from where `origin` is, for short help.
    fn covers(&self, origin: &Origin) -> String {
        self.service.engine_for(origin).map(|e| e.covers_phrase()).unwrap_or_default()
    }
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
        let Some(_guard) = self.shared.service.enter() else {
            if let Interaction::Command(c) = &interaction
                && let Err(e) = c.create_response(&ctx.http, render::restarting().response()).await
            {
                warn!("could not answer an interaction during shutdown: {e}");
            }
            return;
        };
        let Some(plan) = interactions::plan(&self.shared, &interaction).await else { return };
        let id = interaction.id();
        let respond = || plan.response.clone().execute(&ctx.http, (id, plan.token.as_str()));
        let result = match retry("answer an interaction", INTERACTION_BUDGET, respond).await {
            Ok(()) => {
                let hooks = super::webhook::Webhooks::Bot(&ctx.http);
                interactions::finish(&self.shared, hooks, &plan.token, plan.after).await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            warn!("could not answer an interaction: {e}");
        }
    }

    async fn thread_create(&self, ctx: Context, thread: GuildChannel) {
        let s = &self.shared;
        let forums = &s.settings(Some(thread.guild_id.get())).forum_channels;
        let Some(forum) = thread.parent_id.map(|p| p.get()).filter(|p| s.message_content && forums.contains(p)) else {
            return;
        };
        let id = thread.id.get();
        let starter = {
            let mut forum_state = lock(&s.forum);
            let starter = forum_state.starters.remove(&id).map(|(_, m)| m);
            if starter.is_none() {
                remember(&mut forum_state.posts, id, forum);
            }
            starter
        };
        if let Some(msg) = starter {
            self.reply(&ctx.http, &msg, Asked::ForumPost, Some(forum)).await;
        }
    }

    async fn message(&self, ctx: Context, msg: Message) {
        if msg.author.bot {
            return;
        }
        let s = &self.shared;
        let bot = s.bot_id.load(Ordering::SeqCst);
        let mentioned = bot != 0 && msg.mentions_user_id(bot);
        let channel = msg.channel_id.get();
        // A forum post's first message has the post's (thread's) id; its THREAD_CREATE says whether
        // the post is in a configured forum, and may not have been handled yet.
        if s.message_content && s.any_forum && msg.id.get() == channel && msg.guild_id.is_some() {
            let known = {
                let mut forum = lock(&s.forum);
                let known = forum.posts.remove(&channel);
                // A mention is answered below anyway (in the post): nothing to wait for.
                if known.is_none() && !mentioned {
                    // A post's two events come within moments of each other: a first message whose
                    // THREAD_CREATE has not come for a minute is from a forum not configured here.
                    forum.starters.retain(|_, (at, _)| at.elapsed() < STARTER_WAIT);
                    if forum.starters.len() < MAX_REMEMBERED {
                        forum.starters.insert(channel, (std::time::Instant::now(), msg.clone()));
                    }
                }
                known
            };
            if let Some(forum) = known {
                self.reply(&ctx.http, &msg, Asked::ForumPost, Some(forum)).await;
            }
            if known.is_some() || !mentioned {
                return;
            }
            // The first message of a post that mentions the bot: answered in the post.
            self.reply(&ctx.http, &msg, Asked::ForumPost, None).await;
            return;
        }
        let guild = msg.guild_id.map(|g| g.get());
        let settings = s.settings(guild);
        let help = s.message_content && settings.help_channels.contains(&channel);
        let ours = guild.is_some() && !help && s.is_ours(channel).await;
        let (asked, parent) = if guild.is_none() {
            (Asked::Direct, None)
        } else if ours {
            if !mentioned && !s.message_content {
                return;
            }
            (Asked::InOurThread, s.parent_of(channel).await)
        } else if help {
            (Asked::Help, None)
        } else if mentioned {
            (Asked::Mention, None)
        } else {
            return;
        };
        // Handed to people: silent until someone with the support role replies there (or runs
        // /resolve).
        if matches!(asked, Asked::InOurThread | Asked::Help) && settings.support_role.is_some() {
            let service = s.service.clone();
            let handed = tokio::task::spawn_blocking(move || service.is_handed_over(&place(channel)));
            if handed.await.unwrap_or(false) {
                if msg.member.as_ref().is_some_and(|m| settings.is_support(&m.roles)) {
                    let service = s.service.clone();
                    let _ = tokio::task::spawn_blocking(move || service.hand_back(&place(channel))).await;
                }
                return;
            }
        }
        self.reply(&ctx.http, &msg, asked, parent).await;
    }
}

/// How a message reached the bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
    Direct,
    /// A mention in a channel: answered in a new thread with `answer_in_thread`.
    Mention,
    /// In a thread the bot started for an answer: with or without a mention, answered there.
    InOurThread,
    ForumPost,
    /// Any message in a help channel: answered like a mention.
    Help,
}

impl Asked {
    /// Where people come for help: a declined or unsure answer there is handed to people.
    fn hands_over(self) -> bool {
        matches!(self, Asked::InOurThread | Asked::ForumPost | Asked::Help)
    }
}

impl Handler {
    /// Answers a message where it was asked (or in a new thread for a mention, when configured).
    /// `parent`: the channel the message's thread or post is in, when known.
    async fn reply(&self, http: &Http, msg: &Message, asked: Asked, parent: Option<u64>) {
        let s = &self.shared;
        let Some(_guard) = s.service.enter() else { return };
        let bot = s.bot_id.load(Ordering::SeqCst);
        let mut target = msg.channel_id;
        if s.answer_in_thread && matches!(asked, Asked::Mention | Asked::Help) {
            match start_thread(http, msg, bot).await {
                Ok(thread) => {
                    remember_place(s, thread.get(), Some(msg.channel_id.get())).await;
                    target = thread;
                }
                Err(e) => warn!(channel = %msg.channel_id, "could not start a thread, answering in the channel: {e}"),
            }
        }
        if asked == Asked::ForumPost {
            remember_place(s, target.get(), parent).await;
        }
        // A DM, a thread of the bot's or a forum post is one conversation; a mention or a help
        // channel's message answered in the channel itself stands alone.
        let in_channel = target == msg.channel_id && matches!(asked, Asked::Mention | Asked::Help);
        let conversation = (!in_channel).then(|| place(target.get()));
        let hand_over = asked.hands_over().then(|| place(target.get()));
        let (rendered, handed) = self.answer_message(msg, bot, conversation, parent, hand_over).await;
        // If the question was deleted meanwhile, post the answer anyway rather than fail.
        let reference = MessageReference::from(msg).fail_if_not_exists(false);
        let send = || {
            let m = rendered.message();
            let m = if target == msg.channel_id { m.reference_message(reference.clone()) } else { m };
            target.send_message(http, m)
        };
        if let Err(e) = retry("reply to a message", MESSAGE_BUDGET, send).await {
            warn!(channel = %target, "could not reply to a message: {e}");
        }
        // A declined or unsure auto-answer where people ask for help was handed to people (the
        // service keeps that): ping the support role.
        if handed {
            let settings = s.settings(msg.guild_id.map(|g| g.get()));
            if let Some(role) = settings.support_role {
                let guild = msg.guild_id.map_or(0, |g| g.get());
                notify_support(http, settings, role, render::HandOver::Unsure, guild, target).await;
            }
        }
    }
}

/// Posts the hand-over notice: in the support channel with a link to the question's place, or in
/// the place itself. False (logged) if it could not be posted.
pub(super) async fn notify_support(
    http: &Http,
    settings: &Settings,
    role: u64,
    why: render::HandOver,
    guild: u64,
    at: ChannelId,
) -> bool {
    let (to, elsewhere) = match settings.support_channel {
        Some(c) => (ChannelId::new(c), Some((guild, at.get()))),
        None => (at, None),
    };
    let notice = || to.send_message(http, render::support_notice(role, why, elsewhere));
    match retry("ask for a human", MESSAGE_BUDGET, notice).await {
        Ok(_) => true,
        Err(e) => {
            warn!(channel = %to, "could not post the notice asking for a human: {e}");
            false
        }
    }
}

impl Shared {
    /// The channel one of the bot's threads or posts is in, as remembered.
    async fn parent_of(&self, channel: u64) -> Option<u64> {
        let service = self.service.clone();
        tokio::task::spawn_blocking(move || service.parent_of(&place(channel))).await.ok().flatten()
    }
}

/// The conversation a question in `channel` belongs to: a DM, or a thread or post of the bot's;
/// `None` elsewhere (a channel's questions stand alone).
pub(super) async fn conversation_in(s: &Shared, guild: Option<u64>, channel: u64) -> Option<String> {
    (guild.is_none() || s.is_ours(channel).await).then(|| place(channel))
}

/// How the service names a Discord channel (a conversation, one of the bot's places).
pub(super) fn place(channel: u64) -> String {
    format!("discord:{channel}")
}

async fn remember_place(s: &Shared, channel: u64, parent: Option<u64>) {
    let service = s.service.clone();
    let _ = tokio::task::spawn_blocking(move || service.remember_place(&place(channel), parent)).await;
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts a public thread on the question, named after it.
async fn start_thread(http: &Http, msg: &Message, bot: u64) -> serenity::Result<ChannelId> {
    let question = strip_mentions(&strip_mention(&msg.content, bot)).into_owned();
    let name: String = question.chars().filter(|c| !c.is_control()).take(90).collect::<String>().trim().to_owned();
    let name = if name.is_empty() { "Answer".to_owned() } else { name };
    let thread = retry("start a thread", MESSAGE_BUDGET, || {
        msg.channel_id.create_thread_from_message(http, msg.id, CreateThread::new(name.clone()))
    })
    .await?;
    Ok(thread.id)
}

/// Where an interaction came from: its guild, channel, the channel's parent (a thread's channel)
/// and the interaction's id.
pub(super) struct Whence {
    pub guild: Option<u64>,
    pub channel: u64,
    pub parent: Option<u64>,
    pub interaction: u64,
}

impl Whence {
    /// The origin the service routes and records by.
    pub fn origin(&self) -> Origin {
        Origin {
            transport: "discord",
            guild: self.guild,
            channel: Some(self.channel),
            parent: self.parent,
            record: true,
            interaction: Some(self.interaction),
        }
    }
}

/// Who pressed or typed: their id, name, whether they may run admin commands or are on the support
/// team, where they are, and the interaction (its record's id derives from it).
pub(super) fn caller(s: &Shared, user: &User, member: Option<&Member>, w: Whence) -> Caller {
    let roles = member.map(|m| m.roles.as_slice()).unwrap_or_default();
    let permissions = member.and_then(|m| m.permissions);
    let settings = s.settings(w.guild);
    Caller {
        id: user.id.to_string(),
        name: user.name.clone(),
        admin: settings.admins.allows(user.id.get(), permissions, roles),
        support: settings.is_support(roles),
        limited: true,
        conversation: None,
        origin: w.origin(),
    }
}

impl Handler {
    /// The reply to a mention or DM: a question, or a command line if it starts with '/'. With
    /// `hand_over` (the place, where people come for help) and a support role, an answer declined
    /// or unsure is handed to people there: the reply says whether it was.
    async fn answer_message(
        &self,
        msg: &Message,
        bot: u64,
        conversation: Option<String>,
        parent: Option<u64>,
        hand_over: Option<String>,
    ) -> (Rendered, bool) {
        let s = &self.shared;
        let guild = msg.guild_id.map(|g| g.get());
        let settings = s.settings(guild);
        let origin = Origin {
            transport: "discord",
            guild,
            channel: Some(msg.channel_id.get()),
            parent,
            record: true,
            interaction: None,
        };
        let text = strip_mention(&msg.content, bot);
        if text.is_empty() {
            return (render::short_help(&s.covers(&origin)), false);
        }
        let command = match commands::parse_line(&text).and_then(|i| Command::from_invocation(&i)) {
            Ok(command) => without_mentions(command),
            Err(e) => return (render::usage(&e), false),
        };
        // Message events carry no permission bits, so only the configured users and roles are admins.
        let roles = msg.member.as_ref().map(|m| m.roles.as_slice()).unwrap_or_default();
        let caller = Caller {
            id: msg.author.id.to_string(),
            name: msg.author.name.clone(),
            admin: settings.admins.allows(msg.author.id.get(), None, roles),
            support: settings.is_support(roles),
            limited: true,
            conversation,
            origin,
        };
        let to = Audience { asker: msg.author.id.get(), private: false, support: settings.support_role.is_some() };
        let reply = s.service.handle_async(command, caller.clone()).await;
        let unsure = matches!(&reply, Reply::Answer(a)
            if a.declined.is_some() || a.confidence == crate::answer::Confidence::Low);
        let mut handed = false;
        if let Some(place) = hand_over.filter(|_| unsure && settings.support_role.is_some()) {
            let answer = match &reply {
                Reply::Answer(a) => a.record,
                _ => None,
            };
            let escalate = Command::Escalate(commands::handover::Escalate { answer });
            let caller = Caller { limited: false, conversation: Some(place), ..caller };
            handed = matches!(s.service.handle_async(escalate, caller).await, Reply::HandedOver { already: false, .. });
        }
        (rendered(reply, to, s.key().clone()).await, handed)
    }
}

/// A question without the chat mentions it carries: they say who is addressed, not what is asked.
pub(super) fn without_mentions(command: Command) -> Command {
    match command {
        Command::Ask(mut a) => {
            a.question = strip_mentions(&a.question).into_owned();
            Command::Ask(a)
        }
        other => other,
    }
}

/// Renders a reply off the async workers: a chart (`/stats`, a conversation `/cost`) is drawn and
/// encoded as PNG, which takes milliseconds.
pub(super) async fn rendered(reply: Reply, to: Audience, key: Arc<InstallKey>) -> Rendered {
    match tokio::task::spawn_blocking(move || render::reply_to(&reply, to, &key)).await {
        Ok(r) => r,
        Err(e) => {
            error!("rendering a reply failed: {e}");
            render::reply(&Reply::error("The reply could not be drawn; the error was logged."))
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
}
