//! The Discord adapter (serenity) over the one [`crate::service::Service`]: a gateway client that
//! answers slash commands, mentions and DMs, the planning of interactions that the gateway and the
//! HTTP endpoint share, and `productbot register`. Architecture invariant: with `crate::http`, this
//! is the only module that knows Discord; the core takes and returns plain structs.
//!
//! # Layout
//! - [`run_gateway`] runs the gateway client and owns its shutdown; [`http_interactions`] is what
//!   `crate::http` hands interactions to. `crate::app` wires both.
//! - `handler` translates events into commands; `interactions` plans an interaction's response;
//!   `render` turns replies into embeds within Discord's limits; `register` generates slash commands
//!   from the command table.

pub(crate) mod handler;
pub(crate) mod interactions;
pub mod register;
pub mod render;
mod retry;
pub(crate) mod webhook;

use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serenity::all::{ApplicationId, ClientBuilder, GatewayIntents, Http, HttpBuilder};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use self::handler::Handler;
pub use self::handler::Shared;
pub use self::register::Scope;
use crate::config::{Config, Shards, TOKEN_ENV};

/// How long shutdown waits for the gateway client to stop after closing its shards.
const CLIENT_STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Runs the gateway client over `shared` until `shutdown` resolves (then `on_shutdown` is
/// cancelled, requests in flight finish for up to `app::DRAIN_TIMEOUT`, and the shards close), or
/// until the client ends by itself (an error naming why), or no shard is READY within
/// `discord.ready_timeout_s`.
pub async fn run_gateway(
    config: &Config,
    token: &str,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let http = http(token, config)?;
    let intents = intents(config);
    let mut client = ClientBuilder::new_with_http(http, intents)
        .event_handler(Handler { shared: shared.clone() })
        .await
        .context("cannot create the Discord client")?;
    let shard_manager = client.shard_manager.clone();
    let service = shared.service.clone();

    let shards = config.discord.shards;
    let ready = shared.ready.clone();
    let mut run = tokio::spawn(async move {
        match shards {
            Shards::Auto => client.start_autosharded().await,
            Shards::Fixed(n) => client.start_shards(n).await,
            // serenity's range end is the last shard itself (`start_shards(n)` is `0..n-1`).
            Shards::Range { first, last, total } => client.start_shard_range(first..last, total).await,
        }
    });
    info!(shards = ?shards, "starting the Discord gateway client");

    tokio::pin!(shutdown);
    let ready_timeout = config.discord.ready_timeout;
    let never_ready = async {
        if tokio::time::timeout(ready_timeout, ready.notified()).await.is_err() {
            return;
        }
        std::future::pending::<()>().await
    };
    let ended = tokio::select! {
        r = &mut run => Ended::Client(r),
        () = &mut shutdown => Ended::Shutdown,
        () = never_ready => Ended::NeverReady,
    };
    match ended {
        Ended::Client(r) => match r {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(gateway_error(e, intents)),
            Err(e) => Err(anyhow::Error::new(e).context("the Discord gateway client crashed")),
        },
        Ended::NeverReady => {
            shard_manager.shutdown_all().await;
            run.abort();
            Err(anyhow::anyhow!(
                "no connection to the Discord gateway became ready within {} s (discord.ready_timeout_s); \
                 is Discord reachable from here? The log above has each failed attempt",
                ready_timeout.as_secs()
            ))
        }
        Ended::Shutdown if !shared.is_ready() => {
            // Never connected: nothing to drain or close politely.
            info!("shutting down before any shard connected");
            run.abort();
            Ok(())
        }
        Ended::Shutdown => {
            info!(in_flight = service.in_flight(), "shutting down: finishing requests in flight");
            on_shutdown.cancel();
            if !service.drain(crate::app::DRAIN_TIMEOUT).await {
                warn!(in_flight = service.in_flight(), "gave up waiting for requests in flight");
            }
            shard_manager.shutdown_all().await;
            match tokio::time::timeout(CLIENT_STOP_TIMEOUT, &mut run).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => warn!("the gateway client reported an error while stopping: {e}"),
                Ok(Err(e)) => warn!("the gateway client task failed while stopping: {e}"),
                Err(_) => {
                    warn!("the gateway client did not stop in time; abandoning it");
                    run.abort();
                }
            }
            info!("stopped");
            Ok(())
        }
    }
}

/// What the HTTP endpoint hands interactions to: this module's planning, with the REST client its
/// webhook calls go out on (with the bot's token if there is one; without, with no `Authorization`
/// header: `webhook`).
pub fn http_interactions(
    config: &Config,
    token: Option<&str>,
    shared: Arc<Shared>,
) -> anyhow::Result<Arc<dyn crate::http::Interactions>> {
    let tokenless = token.is_none().then(|| rest_client(config)).transpose()?;
    let http = Arc::new(http(token.unwrap_or(""), config)?);
    Ok(Arc::new(interactions::Endpoint { shared, http, tokenless }))
}

/// How the gateway client's run ended.
enum Ended {
    Client(Result<Result<(), serenity::Error>, tokio::task::JoinError>),
    Shutdown,
    NeverReady,
}

/// The gateway client's own end, in words an operator can act on.
fn gateway_error(e: serenity::Error, intents: GatewayIntents) -> anyhow::Error {
    use serenity::all::GatewayError;
    match &e {
        serenity::Error::Gateway(GatewayError::InvalidAuthentication) => anyhow::anyhow!(
            "Discord rejected the bot token (gateway close code 4004); copy it again from the Developer Portal's Bot page"
        ),
        serenity::Error::Gateway(GatewayError::DisallowedGatewayIntents) => anyhow::anyhow!(
            "Discord refused the gateway intents (close code 4014): this bot asks for {}; \
             enable the privileged ones (Message Content) on the Developer Portal's Bot page, or turn off the options that need them",
            intents_named(intents)
        ),
        serenity::Error::Gateway(GatewayError::InvalidGatewayIntents) => {
            anyhow::anyhow!(
                "Discord says the gateway intents are invalid (close code 4013): {}",
                intents_named(intents)
            )
        }
        _ => anyhow::Error::new(e).context("the Discord gateway client stopped"),
    }
}

/// Mentions and DMs carry their content without the privileged MESSAGE_CONTENT intent; follow-ups in
/// threads and forum posts need it (`discord.message_content`), and forum posts arrive as
/// THREAD_CREATE, which needs GUILDS.
pub fn intents(config: &crate::config::Config) -> GatewayIntents {
    let cfg = &config.discord;
    let mut i = GatewayIntents::GUILD_MESSAGES | GatewayIntents::DIRECT_MESSAGES;
    if cfg.message_content {
        i |= GatewayIntents::MESSAGE_CONTENT;
    }
    if crate::config::answers_forums(cfg, &config.guilds) {
        i |= GatewayIntents::GUILDS;
    }
    i
}

fn intents_named(i: GatewayIntents) -> String {
    i.iter_names().map(|(n, _)| n).collect::<Vec<_>>().join(", ")
}

/// What [`register`] registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub scope: Scope,
    pub application_id: u64,
    pub commands: Vec<String>,
}

impl std::fmt::Display for Registered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.commands.iter().map(|c| format!("/{c}")).collect();
        write!(
            f,
            "registered {} slash commands {} for application {}: {}",
            self.commands.len(),
            self.scope,
            self.application_id,
            names.join(", ")
        )?;
        match self.scope {
            Scope::Global => write!(f, "\nglobal commands can take a few minutes to show in every server"),
            Scope::Guild(_) => write!(f, "\nguild commands show at once"),
        }
    }
}

/// Registers the command table's slash commands over HTTP only (no gateway): for `guild` (or
/// `discord.guild_id`), else globally. The application id comes from `discord.application_id` or
/// is asked of Discord.
pub async fn register(config: &Config, guild: Option<u64>) -> anyhow::Result<Registered> {
    let token = token(config)?;
    let http = http(token, config)?;
    let application_id = match http.application_id() {
        Some(id) => id,
        None => {
            let info = http
                .get_current_application_info()
                .await
                .context("cannot look up the Discord application (is the token right?)")?;
            http.set_application_id(info.id);
            info.id
        }
    };
    let scope = guild.or(config.discord.guild_id).map_or(Scope::Global, Scope::Guild);
    let cmds = register::register(&http, scope)
        .await
        .with_context(|| format!("cannot register the slash commands {scope}"))?;
    Ok(Registered { scope, application_id: application_id.get(), commands: cmds.into_iter().map(|c| c.name).collect() })
}

/// `productbot register [--guild ID]`: [`register`], then print what was registered.
pub fn register_blocking(config: Config, guild: Option<u64>) -> anyhow::Result<ExitCode> {
    let rt =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")?;
    let registered = rt.block_on(register(&config, guild))?;
    println!("{registered}");
    Ok(ExitCode::SUCCESS)
}

/// The bot token, checked for shape. Errors name where it comes from and never include it.
pub(crate) fn token(config: &Config) -> anyhow::Result<&str> {
    let Some(secret) = &config.discord.token else {
        bail!(
            "no Discord bot token: set the {TOKEN_ENV} environment variable (or PRODUCTBOT__DISCORD__TOKEN) to the token from the Developer Portal's Bot page"
        )
    };
    if serenity::utils::validate_token(secret.expose()).is_err() {
        bail!(
            "the Discord bot token in {} is malformed: a bot token has three parts separated by dots; copy it again from the Developer Portal's Bot page",
            config.discord.token_var
        );
    }
    Ok(secret.expose())
}

/// The REST client: every call times out after `discord.http_timeout_s` (a Discord, or proxy,
/// that accepts and never answers must not hang the bot), through `discord.api_proxy` if set.
fn http(token: &str, config: &Config) -> anyhow::Result<Http> {
    let d = &config.discord;
    let mut b = HttpBuilder::new(token).client(rest_client(config)?);
    if let Some(p) = &d.api_proxy {
        // serenity ignores the proxy while its own rate limiter is on; the proxy does the limiting.
        b = b.proxy(p).ratelimiter_disabled(true);
    }
    if let Some(id) = d.application_id {
        b = b.application_id(ApplicationId::new(id));
    }
    Ok(b.default_allowed_mentions(render::no_mentions()).build())
}

/// The client REST calls go out on: every call times out after `discord.http_timeout_s`.
fn rest_client(config: &Config) -> anyhow::Result<reqwest::Client> {
    let d = &config.discord;
    reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(d.http_timeout)
        .connect_timeout(d.http_timeout.min(Duration::from_secs(10)))
        .build()
        .context("cannot create the HTTP client")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(token: Option<&str>) -> Config {
        // An explicit empty file, so the working directory's bot.toml does not leak in.
        let file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        let env: Vec<(String, String)> = token.map(|t| (TOKEN_ENV.to_owned(), t.to_owned())).into_iter().collect();
        Config::load_with_env(Some(file.path()), env).unwrap()
    }

    #[test]
    fn token_errors_name_the_variable_and_hide_the_value() {
        let e = token(&config(None)).unwrap_err().to_string();
        assert!(e.contains("DISCORD_TOKEN"), "{e}");
        let bad = "definitely-not-a-token-s3cr3t";
        let e = token(&config(Some(bad))).unwrap_err();
        let shown = format!("{e:#} {e:?}");
        assert!(shown.contains("malformed") && !shown.contains(bad), "{shown}");
        assert_eq!(token(&config(Some("a.b.c"))).unwrap(), "a.b.c");
        // The token's own variable is the one named.
        let file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        let env = vec![("PRODUCTBOT__DISCORD__TOKEN".to_owned(), bad.to_owned())];
        let e = token(&Config::load_with_env(Some(file.path()), env).unwrap()).unwrap_err().to_string();
        assert!(e.contains("in PRODUCTBOT__DISCORD__TOKEN is malformed") && !e.contains(bad), "{e}");
    }

    #[test]
    fn registered_says_what_and_where() {
        let r =
            Registered { scope: Scope::Guild(5), application_id: 9, commands: vec!["ask".into(), "reindex".into()] };
        let s = r.to_string();
        assert!(s.contains("2 slash commands for guild 5") && s.contains("/ask, /reindex"), "{s}");
    }
}
