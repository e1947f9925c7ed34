//! Configuration in layers with the `config` crate: built-in defaults, then `bot.toml` (or `--config`),
//! then environment variables `PRODUCTBOT__SECTION__KEY`. The raw layers are resolved into a validated
//! [`Config`]; a bad value fails at start and names its key. The Discord token only ever comes from
//! the environment.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cost::{PriceTable, PricingConfig};

/// The config file read when `--config` is not given (a missing default file is not an error).
pub const DEFAULT_FILE: &str = "bot.toml";
pub const ENV_PREFIX: &str = "PRODUCTBOT";
/// The conventional variable for the bot token, accepted besides `PRODUCTBOT__DISCORD__TOKEN`.
pub const TOKEN_ENV: &str = "DISCORD_TOKEN";

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
    cooldown: RawCooldown,
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
            cooldown: RawCooldown::default(),
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
}

impl<'de> Deserialize<'de> for Shards {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        let parse_n = |n: u64| match u32::try_from(n) {
            Ok(n) if n >= 1 => Ok(Shards::Fixed(n)),
            _ => Err(serde::de::Error::custom(format!("shards must be \"auto\" or a count from 1, got {n}"))),
        };
        match Raw::deserialize(d)? {
            Raw::N(n) => parse_n(n),
            Raw::S(s) if s.eq_ignore_ascii_case("auto") => Ok(Shards::Auto),
            Raw::S(s) => match s.trim().parse::<u64>() {
                Ok(n) => parse_n(n),
                Err(_) => Err(serde::de::Error::custom(format!("shards must be \"auto\" or a count, got {s:?}"))),
            },
        }
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
    pub prices: PriceTable,
    pub discord: DiscordConfig,
}

#[derive(Debug, Clone)]
pub struct DiscordConfig {
    pub token: Option<Secret>,
    pub application_id: Option<u64>,
    pub register_on_start: bool,
    pub guild_id: Option<u64>,
    pub admin_users: Vec<u64>,
    pub admin_roles: Vec<u64>,
    pub shards: Shards,
    pub cooldown_questions: u32,
    pub cooldown_seconds: u64,
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
        for (k, v) in env {
            if k == TOKEN_ENV {
                token_env = Some(v);
            } else if k.starts_with(&format!("{ENV_PREFIX}__")) {
                env_map.insert(k, v);
            }
        }

        let mut builder = config::Config::builder();
        if let Some(f) = &file {
            reject_token_in_file(f)?;
            builder = builder.add_source(config::File::from(f.as_path()).format(config::FileFormat::Toml));
        }
        builder = builder.add_source(
            config::Environment::with_prefix(ENV_PREFIX)
                .prefix_separator("__")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("discord.admin_users")
                .with_list_parse_key("discord.admin_roles")
                .try_parsing(true)
                .source(Some(env_map.into_iter().collect())),
        );
        let raw: RawConfig =
            builder.build().and_then(|c| c.try_deserialize()).map_err(|e| ConfigError::Load(e.to_string()))?;

        let base = file.as_ref().and_then(|f| f.parent()).map(Path::to_path_buf).unwrap_or_default();
        let resolve = |p: PathBuf| if p.is_absolute() || base.as_os_str().is_empty() { p } else { base.join(p) };
        let prices = match raw.pricing {
            None => Ok(PriceTable::empty()),
            Some(p) => p.validate().map_err(|e| ConfigError::Invalid { key: "pricing".into(), message: e.to_string() }),
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
        let token = match (token_env, raw.discord.token) {
            (Some(t), _) if !t.trim().is_empty() => Some(Secret::new(t.trim())),
            (_, Some(t)) if !t.expose().trim().is_empty() => Some(Secret::new(t.expose().trim())),
            _ => None,
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
                application_id: raw.discord.application_id,
                register_on_start: raw.discord.register_on_start,
                guild_id: raw.discord.guild_id,
                admin_users: raw.discord.admin_users,
                admin_roles: raw.discord.admin_roles,
                shards: raw.discord.shards,
                cooldown_questions: raw.discord.cooldown.questions,
                cooldown_seconds: raw.discord.cooldown.seconds,
            },
        })
    }
}

fn reject_token_in_file(file: &Path) -> Result<(), ConfigError> {
    let text = std::fs::read_to_string(file).map_err(|e| ConfigError::Load(format!("{}: {e}", file.display())))?;
    let value: toml::Table =
        toml::from_str(&text).map_err(|e| ConfigError::Load(format!("{}: {e}", file.display())))?;
    let has_token = value.get("discord").and_then(|d| d.as_table()).is_some_and(|d| d.contains_key("token"));
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
    fn unknown_key_is_rejected() {
        let f = file("[corpus]\ndirr = \"x\"\n");
        let e = Config::load_with_env(Some(f.path()), env(&[])).unwrap_err().to_string();
        assert!(e.contains("dirr"), "{e}");
    }
}
