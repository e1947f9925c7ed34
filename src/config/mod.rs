//! Configuration in layers with the `config` crate: built-in defaults, then `bot.toml` (or `--config`),
//! then environment variables `PRODUCTBOT__SECTION__KEY`. The raw layers are resolved into a validated
//! [`Config`]; a bad value fails at start and names its key. The Discord token only ever comes from
//! the environment.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cost::{PriceTable, PricingConfig};

pub mod schema;

/// The config file read when `--config` is not given (a missing default file is not an error).
pub const DEFAULT_FILE: &str = "bot.toml";
pub const ENV_PREFIX: &str = "PRODUCTBOT";
/// The conventional variable for the bot token, accepted besides `PRODUCTBOT__DISCORD__TOKEN`.
pub const TOKEN_ENV: &str = "DISCORD_TOKEN";

/// Said under every estimate priced from bot.toml's `[pricing]`, and logged at start.
pub const PRICING_OVERRIDE_NOTE: &str = "these prices are from [pricing] in bot.toml, which overrides the corpus's price files; prices now live in the corpus directory (NAME.prices.toml beside each article)";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {0} does not exist")]
    Missing(PathBuf),
    #[error("config: {0}")]
    Load(String),
    #[error("config key `{key}`: {message}")]
    Invalid { key: String, message: String },
    #[error("{file}: `discord.token` must not be in a config file; set the {TOKEN_ENV} environment variable instead")]
    TokenInFile { file: PathBuf },
    /// Every problem of the file and the environment, one per line.
    #[error("{}", .0.join("\n"))]
    Problems(Vec<String>),
}

/// A secret string that never prints.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    corpus: RawCorpus,
    index: RawIndex,
    pricing: Option<PricingConfig>,
    discord: RawDiscord,
    analytics: RawAnalytics,
    http: RawHttp,
    conversation: RawConversation,
    guilds: std::collections::BTreeMap<String, RawGuild>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawGuild {
    corpus: Option<PathBuf>,
    help_channels: Option<Vec<u64>>,
    forum_channels: Option<Vec<u64>>,
    admin_roles: Option<Vec<u64>>,
    support_role: Option<u64>,
    support_channel: Option<u64>,
    cooldown: Option<RawCooldown>,
    channels: std::collections::BTreeMap<String, RawChannel>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawChannel {
    articles: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawConversation {
    turns: u32,
    minutes: u64,
}

impl Default for RawConversation {
    fn default() -> Self {
        let d = crate::conversation::ConversationConfig::default();
        RawConversation { turns: d.turns, minutes: d.expiry.as_secs() / 60 }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawHttp {
    listen: Option<String>,
    timeout_s: u64,
    max_connections: usize,
}

impl Default for RawHttp {
    fn default() -> Self {
        let d = crate::http::Limits::default();
        RawHttp { listen: None, timeout_s: d.timeout.as_secs(), max_connections: d.max_connections }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawAnalytics {
    enabled: bool,
    database: PathBuf,
    store_questions: bool,
    retention_days: u32,
    key_file: PathBuf,
}

impl Default for RawAnalytics {
    fn default() -> Self {
        RawAnalytics {
            enabled: true,
            database: "data/productbot.db".into(),
            store_questions: true,
            retention_days: 90,
            key_file: "data/productbot.key".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawCorpus {
    dir: PathBuf,
    watch: bool,
    watch_debounce_ms: u64,
}

impl Default for RawCorpus {
    fn default() -> Self {
        RawCorpus { dir: "corpus".into(), watch: false, watch_debounce_ms: 500 }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawIndex {
    dir: PathBuf,
    threads: usize,
    /// How often a serving process checks whether another process published a new generation.
    poll_ms: u64,
}

impl Default for RawIndex {
    fn default() -> Self {
        RawIndex { dir: "index".into(), threads: 1, poll_ms: 2_000 }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawDiscord {
    token: Option<Secret>,
    application_id: Option<u64>,
    register_on_start: bool,
    guild_id: Option<u64>,
    admin_users: Vec<u64>,
    admin_roles: Vec<u64>,
    shards: Shards,
    api_proxy: Option<String>,
    http_timeout_s: u64,
    ready_timeout_s: u64,
    cooldown: RawCooldown,
    answer_in_thread: bool,
    message_content: bool,
    forum_channels: Vec<u64>,
    help_channels: Vec<u64>,
    gateway: bool,
    support_role: Option<u64>,
    support_channel: Option<u64>,
}

impl Default for RawDiscord {
    fn default() -> Self {
        RawDiscord {
            token: None,
            application_id: None,
            register_on_start: true,
            guild_id: None,
            admin_users: Vec::new(),
            admin_roles: Vec::new(),
            shards: Shards::Auto,
            api_proxy: None,
            http_timeout_s: 30,
            ready_timeout_s: 60,
            cooldown: RawCooldown::default(),
            answer_in_thread: false,
            message_content: false,
            forum_channels: Vec::new(),
            help_channels: Vec::new(),
            gateway: true,
            support_role: None,
            support_channel: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawCooldown {
    questions: u32,
    seconds: u64,
}

impl Default for RawCooldown {
    fn default() -> Self {
        RawCooldown { questions: 5, seconds: 30 }
    }
}

/// How many gateway connections the bot opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shards {
    /// As many as Discord recommends (`GET /gateway/bot`).
    Auto,
    Fixed(u32),
    /// Shards `first..=last` of `total`, for one of several processes.
    Range {
        first: u32,
        last: u32,
        total: u32,
    },
}

impl<'de> Deserialize<'de> for Shards {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The schema check has refused anything else already; this keeps the type honest.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u32),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => schema::parse_shards(&n.to_string()),
            Raw::S(s) => schema::parse_shards(&s),
        }
        .map_err(serde::de::Error::custom)
    }
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file the config was read from, if any.
    pub file: Option<PathBuf>,
    pub corpus_dir: PathBuf,
    pub index_dir: PathBuf,
    pub watch: bool,
    pub watch_debounce_ms: u64,
    pub index_threads: usize,
    pub poll_ms: u64,
    /// bot.toml's `[pricing]`, if it has one: it overrides the corpus's price files for the models
    /// it names. Empty without one (the prices are then the corpus's own).
    pub prices: PriceTable,
    pub discord: DiscordConfig,
    pub analytics: crate::analytics::AnalyticsConfig,
    /// `[http] listen`: where the interactions endpoint, health and metrics are served; `None`: no
    /// HTTP server.
    pub http_listen: Option<std::net::SocketAddr>,
    /// `[http] timeout_s` and `max_connections`.
    pub http_limits: crate::http::Limits,
    /// `DISCORD_PUBLIC_KEY` (hex), for verifying interactions sent over HTTP.
    pub public_key: Option<String>,
    /// `[conversation]`: how long follow-ups are read with the question before.
    pub conversation: crate::conversation::ConversationConfig,
    /// `[guilds.ID]` blocks: servers with settings of their own, in id order.
    pub guilds: Vec<GuildConfig>,
}

/// One `[guilds.ID]` block: what differs for that server. A setting it does not give is `[corpus]`'s
/// or `[discord]`'s.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuildConfig {
    pub id: u64,
    /// Its own corpus directory, indexed and re-indexed on its own (under `index/`).
    pub corpus_dir: Option<PathBuf>,
    pub help_channels: Option<Vec<u64>>,
    pub forum_channels: Option<Vec<u64>>,
    pub admin_roles: Option<Vec<u64>>,
    pub support_role: Option<u64>,
    pub support_channel: Option<u64>,
    /// (questions, seconds).
    pub cooldown: Option<(u32, u64)>,
    /// Channels limited to some articles of the guild's corpus: (channel id, article names).
    pub channels: Vec<(u64, Vec<String>)>,
}

/// The environment variable holding the application's public key.
pub const PUBLIC_KEY_ENV: &str = "DISCORD_PUBLIC_KEY";

#[derive(Debug, Clone)]
pub struct DiscordConfig {
    pub token: Option<Secret>,
    /// The variable the token came from, for messages about it.
    pub token_var: &'static str,
    pub application_id: Option<u64>,
    pub register_on_start: bool,
    pub guild_id: Option<u64>,
    pub admin_users: Vec<u64>,
    pub admin_roles: Vec<u64>,
    pub shards: Shards,
    /// A REST proxy (twilight-http-proxy, nirn-proxy, or a mock) that replaces `https://discord.com`;
    /// serenity's own rate limiter is off then, as the proxy does the limiting.
    pub api_proxy: Option<String>,
    /// Every REST call gives up after this long.
    pub http_timeout: std::time::Duration,
    /// `serve` fails when no shard is READY this long after starting.
    pub ready_timeout: std::time::Duration,
    pub cooldown_questions: u32,
    pub cooldown_seconds: u64,
    /// Mention answers go in a thread started on the question.
    pub answer_in_thread: bool,
    /// The privileged Message Content intent is enabled for the bot: follow-ups in its threads and
    /// new forum posts are answered without a mention.
    pub message_content: bool,
    /// Forum channels whose new posts the bot answers (needs `message_content`).
    pub forum_channels: Vec<u64>,
    /// Help channels whose every message the bot answers (needs `message_content`); a declined or
    /// unsure answer there is handed to the support role.
    pub help_channels: Vec<u64>,
    /// Where hand-over notices go (with a link to the question) instead of the question's thread.
    pub support_channel: Option<u64>,
    /// The role pinged when an auto-answer in a forum post or a thread of the bot's is declined or
    /// unsure; the bot then stays silent there until someone with the role replies.
    pub support_role: Option<u64>,
    /// Connect to the gateway (mentions, DMs, and interactions unless HTTP takes them). `false` runs
    /// the HTTP interactions endpoint only.
    pub gateway: bool,
}

impl Config {
    /// Loads `explicit` (which must exist) or `bot.toml` in the working directory (if present), then
    /// the environment. Relative paths in a file are relative to that file's directory.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_with_env(explicit, std::env::vars())
    }

    /// [`Config::load`] with the environment given, so tests need not touch the process's.
    pub fn load_with_env(
        explicit: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let file = match explicit {
            Some(p) if !p.is_file() => return Err(ConfigError::Missing(p.to_owned())),
            Some(p) => Some(p.to_owned()),
            None => Some(PathBuf::from(DEFAULT_FILE)).filter(|p| p.is_file()),
        };
        let mut env_map: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        let mut token_env = None;
        let mut public_key = None;
        let mut problems: Vec<String> = Vec::new();
        let prefix = format!("{ENV_PREFIX}__");
        let mut env: Vec<(String, String)> = env.into_iter().collect();
        env.sort();
        for (k, v) in env {
            if k == TOKEN_ENV {
                token_env = Some(v);
            } else if k == PUBLIC_KEY_ENV {
                public_key = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
            } else if let Some(path) = k.strip_prefix(&prefix) {
                let path = path.to_ascii_lowercase().replace("__", ".");
                match schema::check_env(&k, &path, &v) {
                    Ok(()) => {
                        env_map.insert(k, v);
                    }
                    Err(p) => problems.push(p),
                }
            }
        }

        let mut builder = config::Config::builder();
        if let Some(f) = &file {
            let text = std::fs::read_to_string(f).map_err(|e| ConfigError::Load(format!("{}: {e}", f.display())))?;
            reject_token_in_file(f, &text)?;
            problems.splice(0..0, schema::check_file(f, &text).into_iter().map(|d| d.to_string()));
            builder = builder.add_source(config::File::from(f.as_path()).format(config::FileFormat::Toml));
        }
        if !problems.is_empty() {
            return Err(ConfigError::Problems(problems));
        }
        builder = builder.add_source(
            config::Environment::with_prefix(ENV_PREFIX)
                .prefix_separator("__")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("discord.admin_users")
                .with_list_parse_key("discord.admin_roles")
                .with_list_parse_key("discord.forum_channels")
                .with_list_parse_key("discord.help_channels")
                .try_parsing(true)
                .source(Some(env_map.into_iter().collect())),
        );
        let raw: RawConfig =
            builder.build().and_then(|c| c.try_deserialize()).map_err(|e| ConfigError::Load(e.to_string()))?;

        let base = file.as_ref().and_then(|f| f.parent()).map(Path::to_path_buf).unwrap_or_default();
        let resolve = |p: PathBuf| if p.is_absolute() || base.as_os_str().is_empty() { p } else { base.join(p) };
        let prices = match raw.pricing {
            None => Ok(PriceTable::empty()),
            Some(p) => p
                .validate()
                .map(|t| t.noted(PRICING_OVERRIDE_NOTE))
                .map_err(|e| ConfigError::Invalid { key: "pricing".into(), message: e.to_string() }),
        }?;
        if raw.index.threads == 0 || raw.index.threads > 64 {
            return Err(ConfigError::Invalid {
                key: "index.threads".into(),
                message: format!("must be 1 to 64, got {}", raw.index.threads),
            });
        }
        if raw.discord.cooldown.questions == 0 {
            return Err(ConfigError::Invalid {
                key: "discord.cooldown.questions".into(),
                message: "must be at least 1".into(),
            });
        }
        let http_listen = match raw.http.listen.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            None => None,
            Some(l) => Some(l.parse::<std::net::SocketAddr>().map_err(|_| ConfigError::Invalid {
                key: "http.listen".into(),
                message: format!("must be an address and port such as \"127.0.0.1:8080\", not {l:?}"),
            })?),
        };
        if !raw.discord.gateway && http_listen.is_none() {
            return Err(ConfigError::Invalid {
                key: "discord.gateway".into(),
                message: "is false but [http] listen is not set: nothing would receive interactions".into(),
            });
        }
        let guilds = guild_blocks(raw.guilds, &resolve)?;
        let needs_intent = |key: String, channels: &[u64], what: &str| -> Result<(), ConfigError> {
            if channels.is_empty() || raw.discord.message_content {
                return Ok(());
            }
            Err(ConfigError::Invalid {
                key,
                message: format!(
                    "answering {what} needs the privileged Message Content intent: enable it for the bot \
                     (Developer Portal > Bot > Privileged Gateway Intents > Message Content) and set \
                     discord.message_content = true"
                ),
            })
        };
        needs_intent("discord.forum_channels".into(), &raw.discord.forum_channels, "forum posts")?;
        needs_intent("discord.help_channels".into(), &raw.discord.help_channels, "help channels")?;
        for g in &guilds {
            let forums = g.forum_channels.as_deref().unwrap_or_default();
            needs_intent(format!("guilds.{}.forum_channels", g.id), forums, "forum posts")?;
            let help = g.help_channels.as_deref().unwrap_or_default();
            needs_intent(format!("guilds.{}.help_channels", g.id), help, "help channels")?;
        }
        let (token, token_var) = match (token_env, raw.discord.token) {
            (Some(t), _) if !t.trim().is_empty() => (Some(Secret::new(t.trim())), TOKEN_ENV),
            (_, Some(t)) if !t.expose().trim().is_empty() => {
                (Some(Secret::new(t.expose().trim())), "PRODUCTBOT__DISCORD__TOKEN")
            }
            _ => (None, TOKEN_ENV),
        };
        Ok(Config {
            file,
            corpus_dir: resolve(raw.corpus.dir),
            index_dir: resolve(raw.index.dir),
            watch: raw.corpus.watch,
            watch_debounce_ms: raw.corpus.watch_debounce_ms.max(50),
            index_threads: raw.index.threads,
            poll_ms: raw.index.poll_ms,
            prices,
            discord: DiscordConfig {
                token,
                token_var,
                application_id: raw.discord.application_id,
                register_on_start: raw.discord.register_on_start,
                guild_id: raw.discord.guild_id,
                admin_users: raw.discord.admin_users,
                admin_roles: raw.discord.admin_roles,
                shards: raw.discord.shards,
                api_proxy: raw.discord.api_proxy.filter(|p| !p.trim().is_empty()),
                http_timeout: std::time::Duration::from_secs(raw.discord.http_timeout_s),
                ready_timeout: std::time::Duration::from_secs(raw.discord.ready_timeout_s),
                cooldown_questions: raw.discord.cooldown.questions,
                cooldown_seconds: raw.discord.cooldown.seconds,
                answer_in_thread: raw.discord.answer_in_thread,
                message_content: raw.discord.message_content,
                forum_channels: raw.discord.forum_channels,
                help_channels: raw.discord.help_channels,
                support_role: raw.discord.support_role,
                support_channel: raw.discord.support_channel,
                gateway: raw.discord.gateway,
            },
            http_listen,
            http_limits: crate::http::Limits {
                timeout: std::time::Duration::from_secs(raw.http.timeout_s),
                max_connections: raw.http.max_connections,
            },
            public_key,
            conversation: crate::conversation::ConversationConfig {
                turns: raw.conversation.turns,
                expiry: std::time::Duration::from_secs(raw.conversation.minutes * 60),
            },
            analytics: crate::analytics::AnalyticsConfig {
                enabled: raw.analytics.enabled,
                // A server URL is not a path relative to the config file.
                database: if crate::analytics::is_postgres(&raw.analytics.database) {
                    raw.analytics.database
                } else {
                    resolve(raw.analytics.database)
                },
                store_questions: raw.analytics.store_questions,
                retention_days: raw.analytics.retention_days,
                key_file: resolve(raw.analytics.key_file),
            },
            guilds,
        })
    }
}

/// Whether some server answers forum posts: `[discord] forum_channels` or a `[guilds.ID]` block's.
pub fn answers_forums(discord: &DiscordConfig, guilds: &[GuildConfig]) -> bool {
    !discord.forum_channels.is_empty()
        || guilds.iter().any(|g| g.forum_channels.as_ref().is_some_and(|f| !f.is_empty()))
}

/// The `[guilds.ID]` blocks, resolved (the schema check has refused keys that are not ids).
fn guild_blocks(
    raw: std::collections::BTreeMap<String, RawGuild>,
    resolve: &dyn Fn(PathBuf) -> PathBuf,
) -> Result<Vec<GuildConfig>, ConfigError> {
    let id = |key: &str, text: &str| {
        schema::parse_id(text)
            .map_err(|m| ConfigError::Invalid { key: key.to_owned(), message: format!("the key {m}") })
    };
    let mut out = Vec::new();
    for (gid, g) in raw {
        let key = format!("guilds.{gid}");
        let mut channels = Vec::new();
        for (cid, c) in g.channels {
            let ckey = format!("{key}.channels.{cid}");
            if c.articles.iter().all(|a| a.trim().is_empty()) {
                return Err(ConfigError::Invalid {
                    key: format!("{ckey}.articles"),
                    message: "must name at least one article (a file name in the corpus without its extension)".into(),
                });
            }
            channels.push((id(&ckey, &cid)?, c.articles.into_iter().map(|a| a.trim().to_owned()).collect()));
        }
        out.push(GuildConfig {
            id: id(&key, &gid)?,
            corpus_dir: g.corpus.map(resolve),
            help_channels: g.help_channels,
            forum_channels: g.forum_channels,
            admin_roles: g.admin_roles,
            support_role: g.support_role,
            support_channel: g.support_channel,
            cooldown: g.cooldown.map(|c| (c.questions, c.seconds)),
            channels,
        });
    }
    out.sort_by_key(|g| g.id);
    Ok(out)
}

/// A token in the file is refused outright, before any other check could quote it. Recovering parse:
/// a syntax error elsewhere does not hide it.
fn reject_token_in_file(file: &Path, text: &str) -> Result<(), ConfigError> {
    let (root, _) = toml::de::DeTable::parse_recoverable(text);
    let root = root.into_inner();
    let has_token = crate::corpus::diag::get(&root, "discord")
        .and_then(|(_, d)| d.get_ref().as_table())
        .is_some_and(|d| crate::corpus::diag::get(d, "token").is_some());
    if has_token {
        return Err(ConfigError::TokenInFile { file: file.to_owned() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_then_file_then_env() {
        let f = file("[corpus]\ndir = \"docs\"\n[discord.cooldown]\nquestions = 3\n");
        let c =
            Config::load_with_env(Some(f.path()), env(&[("PRODUCTBOT__DISCORD__COOLDOWN__QUESTIONS", "7")])).unwrap();
        assert_eq!(c.corpus_dir, f.path().parent().unwrap().join("docs"));
        assert_eq!(c.discord.cooldown_questions, 7);
        assert_eq!(c.discord.shards, Shards::Auto);
        assert_eq!(c.discord.cooldown_seconds, 30);
    }

    #[test]
    fn bad_value_names_the_key() {
        let f = file("[discord.cooldown]\nquestions = \"many\"\n");
        let e = Config::load_with_env(Some(f.path()), env(&[])).unwrap_err().to_string();
        assert!(e.contains("discord.cooldown.questions"), "{e}");
    }

    #[test]
    fn token_in_file_is_refused_without_echoing_it() {
        let f = file("[discord]\ntoken = \"MTIz.secret.value\"\n");
        let e = Config::load_with_env(Some(f.path()), env(&[])).unwrap_err().to_string();
        assert!(e.contains("discord.token") && !e.contains("secret.value"), "{e}");
    }

    #[test]
    fn token_from_env_is_redacted_in_debug() {
        let c = Config::load_with_env(None, env(&[("DISCORD_TOKEN", "abc.def.ghi")])).unwrap();
        assert_eq!(c.discord.token.as_ref().unwrap().expose(), "abc.def.ghi");
        assert!(!format!("{c:?}").contains("abc.def"));
        let c = Config::load_with_env(None, env(&[("PRODUCTBOT__DISCORD__TOKEN", "x.y.z")])).unwrap();
        assert_eq!(c.discord.token.unwrap().expose(), "x.y.z");
    }

    #[test]
    fn env_lists_and_shards() {
        let c = Config::load_with_env(
            None,
            env(&[("PRODUCTBOT__DISCORD__ADMIN_USERS", "1,2"), ("PRODUCTBOT__DISCORD__SHARDS", "3")]),
        )
        .unwrap();
        assert_eq!(c.discord.admin_users, [1, 2]);
        assert_eq!(c.discord.shards, Shards::Fixed(3));
    }

    #[test]
    fn explicit_missing_file_is_an_error() {
        let e = Config::load_with_env(Some(Path::new("/nonexistent/bot.toml")), env(&[])).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/bot.toml"));
    }

    #[test]
    fn nothing_is_coerced_and_every_problem_names_its_line() {
        let f = file(
            "[discord]\nguild_id = 12.7\nadmin_users = [1.9, 5]\nshards = -3\napplication_id = true\n\
             [discord.cooldown]\nseconds = 2.5\nquestions = 1e1\n[index]\nthreds = 2\n",
        );
        let e = Config::load_with_env(Some(f.path()), env(&[])).unwrap_err().to_string();
        let lines: Vec<&str> = e.lines().collect();
        let name = f.path().display().to_string();
        for (line, key) in [
            (2, "discord.guild_id"),
            (3, "discord.admin_users"),
            (4, "discord.shards"),
            (5, "discord.application_id"),
            (7, "discord.cooldown.seconds"),
            (8, "discord.cooldown.questions"),
            (10, "threds"),
        ] {
            assert!(lines.iter().any(|l| l.starts_with(&format!("{name}:{line}:")) && l.contains(key)), "{key}: {e}");
        }
        assert_eq!(lines.len(), 7, "{e}");
        assert!(e.contains("did you mean `threads`"), "{e}");
    }

    #[test]
    fn ids_are_whole_numbers_from_one_within_64_bits() {
        for text in ["[discord]\nguild_id = 0\n", "[discord]\nguild_id = true\n", "[discord]\nguild_id = -4\n"] {
            let e = Config::load_with_env(Some(file(text).path()), env(&[])).unwrap_err().to_string();
            assert!(e.contains("discord.guild_id"), "{text}: {e}");
        }
        let e = Config::load_with_env(None, env(&[("PRODUCTBOT__DISCORD__APPLICATION_ID", "99999999999999999999999")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("PRODUCTBOT__DISCORD__APPLICATION_ID") && e.contains("too large"), "{e}");
        let c = Config::load_with_env(Some(file("[discord]\nguild_id = \"81384788765712384\"\n").path()), env(&[]))
            .unwrap();
        assert_eq!(c.discord.guild_id, Some(81384788765712384));
    }

    #[test]
    fn environment_values_are_checked_and_name_their_variable() {
        let e = Config::load_with_env(
            None,
            env(&[
                ("PRODUCTBOT__DISCORD__GUILDID", "5"),
                ("PRODUCTBOT__DISCORD__COOLDOWN__SECONDS", "2.5"),
                ("PRODUCTBOT__CORPUS__WATCH", "yes"),
                ("PRODUCTBOT__DISCORD__ADMIN_USERS", "1,x"),
            ]),
        )
        .unwrap_err()
        .to_string();
        for var in [
            "PRODUCTBOT__DISCORD__GUILDID",
            "PRODUCTBOT__DISCORD__COOLDOWN__SECONDS",
            "PRODUCTBOT__CORPUS__WATCH",
            "PRODUCTBOT__DISCORD__ADMIN_USERS",
        ] {
            assert!(e.contains(var), "{var}: {e}");
        }
        assert!(e.contains("did you mean `guild_id`"), "{e}");
    }

    #[test]
    fn shard_ranges() {
        let shards =
            |v: &str| Config::load_with_env(None, env(&[("PRODUCTBOT__DISCORD__SHARDS", v)])).map(|c| c.discord.shards);
        assert_eq!(shards("0-3/16").unwrap(), Shards::Range { first: 0, last: 3, total: 16 });
        assert_eq!(shards("15-15/16").unwrap(), Shards::Range { first: 15, last: 15, total: 16 });
        assert_eq!(shards("auto").unwrap(), Shards::Auto);
        assert_eq!(shards("4").unwrap(), Shards::Fixed(4));
        for bad in ["4-3/16", "0-16/16", "a-b", "a-b/4", "0", "-3", "1-2/0"] {
            let e = shards(bad).unwrap_err().to_string();
            assert!(e.contains("PRODUCTBOT__DISCORD__SHARDS"), "{bad}: {e}");
        }
        let e = Config::load_with_env(Some(file("[discord]\nshards = \"0-16/16\"\n").path()), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains(":2:") && e.contains("discord.shards"), "{e}");
    }

    #[test]
    fn a_token_line_is_never_quoted_even_when_malformed() {
        for text in ["[discord]\ntoken = \"MTIz.abc.SECRETVAL\n", "[discord]\ntoken = MTIz.abc.SECRETVAL\nx = [\n"] {
            let e = Config::load_with_env(Some(file(text).path()), env(&[])).unwrap_err().to_string();
            assert!(!e.contains("SECRETVAL") && e.contains("discord.token"), "{e}");
        }
    }

    #[test]
    fn guild_blocks_override_the_defaults_and_name_their_faults() {
        let f = file(
            "[discord]\nmessage_content = true\nsupport_role = 5\n\
             [guilds.81384788765712384]\ncorpus = \"other\"\nhelp_channels = [7]\nsupport_role = 9\n\
             cooldown = { questions = 2, seconds = 60 }\n\
             [guilds.81384788765712384.channels.123]\narticles = [\"a\", \"b\"]\n",
        );
        let c = Config::load_with_env(Some(f.path()), env(&[])).unwrap();
        let g = &c.guilds[0];
        assert_eq!(g.id, 81384788765712384);
        assert_eq!(g.corpus_dir.as_deref(), Some(f.path().parent().unwrap().join("other").as_path()));
        assert_eq!((g.help_channels.clone(), g.support_role, g.cooldown), (Some(vec![7]), Some(9), Some((2, 60))));
        assert_eq!(g.channels, [(123, vec!["a".to_owned(), "b".to_owned()])]);
        assert_eq!(g.forum_channels, None, "not set: [discord]'s");

        // Every fault at once, each at its line: a key that is no id, an unknown setting, a bad
        // value, articles that are not strings.
        let f = file(
            "[guilds.general]\ncorpus = \"x\"\n[guilds.5]\ncorpos = \"x\"\nsupport_role = true\n\
             [guilds.5.channels.6]\narticles = [1]\n",
        );
        let e = Config::load_with_env(Some(f.path()), env(&[])).unwrap_err().to_string();
        let name = f.path().display().to_string();
        for (line, what) in [(1, "guilds.general"), (4, "corpos"), (5, "guilds.5.support_role"), (7, "articles")] {
            assert!(e.lines().any(|l| l.starts_with(&format!("{name}:{line}:")) && l.contains(what)), "{what}: {e}");
        }
        // A help channel needs the Message Content intent; blocks are not set from the environment.
        let f = file("[guilds.5]\nhelp_channels = [7]\n");
        let e = Config::load_with_env(Some(f.path()), env(&[])).unwrap_err().to_string();
        assert!(e.contains("guilds.5.help_channels") && e.contains("Message Content"), "{e}");
        let e = Config::load_with_env(None, env(&[("PRODUCTBOT__GUILDS__5__CORPUS", "x")])).unwrap_err().to_string();
        assert!(e.contains("PRODUCTBOT__GUILDS__5__CORPUS") && e.contains("config file"), "{e}");
    }

    #[test]
    fn unknown_key_is_rejected() {
        let f = file("[corpus]\ndirr = \"x\"\n");
        let e = Config::load_with_env(Some(f.path()), env(&[])).unwrap_err().to_string();
        assert!(e.contains("dirr"), "{e}");
    }
}
