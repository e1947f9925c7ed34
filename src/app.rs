//! Wiring, done once: the config becomes a [`Service`] (store, analytics, the install's key,
//! replicas, cooldown) and the background work that keeps it current (the poller for generations
//! published by another process, the corpus watcher), and the transports are started over it.
//! `serve` runs the HTTP interactions endpoint and/or the Discord gateway; the shell and the CLI
//! take their service from [`local`].
//!
//! Adding a transport is a folder of its own (translate its input into a `(Command, Caller)`, call
//! [`Service::handle`], render the reply) plus the lines here that start it.

use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::analytics::{Analytics, is_postgres};
use crate::config::Config;
use crate::key::InstallKey;
use crate::replicas::Replicas;
use crate::service::Service;
use crate::store::{Opened, Store, StoreConfig};

/// How long shutdown waits for requests in flight.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for queued records to be written.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs the bot until `shutdown` resolves, then stops taking new work, lets requests in flight finish
/// (up to 10 s), closes the gateway and returns `Ok`. Returns `Err` at once for a missing or
/// malformed token or an unusable corpus; when the gateway client ends by itself (Discord rejected
/// the token or the intents: the message says which); and when no shard is READY within
/// `discord.ready_timeout_s` (Discord unreachable), instead of retrying forever.
pub async fn serve(config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    serve_on(config, shutdown, None).await
}

/// [`serve`], with the HTTP endpoint on `listener` rather than on a socket bound to `[http]
/// listen` (tests bind port 0 and read the port back). With `[http] listen` (or a listener) the
/// interactions endpoint, `/healthz`, `/readyz` and `/metrics` are served, `/readyz` saying 503
/// until the index is loaded; with `discord.gateway = false` that is all that runs (with the
/// poller and the corpus watcher, as with the gateway).
pub async fn serve_on(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
    listener: Option<tokio::net::TcpListener>,
) -> anyhow::Result<()> {
    let gateway = config.discord.gateway;
    // The gateway needs the token; the HTTP endpoint's webhook calls authenticate with each
    // interaction's own token.
    let token =
        if gateway || config.discord.token.is_some() { Some(crate::discord::token(&config)?.to_owned()) } else { None };
    // Cancelled when shutdown begins (or serve_on returns early): the HTTP endpoint stops accepting,
    // lets open connections finish for up to `http::DRAIN`, then closes them.
    let stop_http = CancellationToken::new();
    let _stop_http_on_return = stop_http.clone().drop_guard();
    let mut http = None;
    if listener.is_some() || config.http_listen.is_some() {
        let state = crate::http::HttpState::new(crate::http::verifier(config.public_key.as_deref())?);
        let listener = match (listener, config.http_listen) {
            (Some(l), _) => l,
            (None, Some(addr)) => crate::http::bind(addr).await?,
            (None, None) => unreachable!("checked above"),
        };
        let server = tokio::spawn(crate::http::run(listener, state.clone(), config.http_limits, stop_http.clone()));
        http = Some((state, server));
    }
    let service = Arc::new(open_service(&config).await?);
    let background = Background::start(&config, &service)?;
    let discord = Arc::new(crate::discord::Shared::new(service.clone(), &config.discord, &config.guilds));
    if let Some((state, _)) = &http {
        state
            .set_ready(service.clone(), crate::discord::http_interactions(&config, token.as_deref(), discord.clone())?);
    }
    let stop_http_server = async {
        stop_http.cancel();
        if let Some((_, server)) = http
            && let Err(e) = server.await
        {
            warn!("the HTTP endpoint task failed: {e}");
        }
    };
    let result = if gateway {
        let token = token.as_deref().unwrap_or_default();
        crate::discord::run_gateway(&config, token, discord, shutdown, stop_http.clone()).await
    } else {
        info!("serving interactions over HTTP only (discord.gateway = false)");
        shutdown.await;
        info!(in_flight = service.in_flight(), "shutting down: finishing requests in flight");
        stop_http.cancel();
        // The endpoint stops taking connections at once; requests in flight and open connections
        // share one deadline.
        if !service.drain(DRAIN_TIMEOUT).await {
            warn!(in_flight = service.in_flight(), "gave up waiting for requests in flight");
        }
        Ok(())
    };
    stop_http_server.await;
    background.stop().await;
    if !service.flush(FLUSH_TIMEOUT).await {
        warn!("records still queued for the analytics database after {} s were not written", FLUSH_TIMEOUT.as_secs());
    }
    result
}

/// `productbot serve`: [`serve`] until SIGINT or SIGTERM.
pub fn serve_blocking(config: Config) -> anyhow::Result<ExitCode> {
    let rt =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    rt.block_on(serve(config, shutdown_signal()))?;
    Ok(ExitCode::SUCCESS)
}

/// The serving service: the store opened (off the async workers: it may build the index), analytics
/// (whose writer connects on its own thread: nothing here waits for the database), the install's
/// key, replicas on a shared PostgreSQL database, the cooldown.
async fn open_service(config: &Config) -> anyhow::Result<Service> {
    let store = open_store(config, store_config(config)).await?;
    let d = &config.discord;
    let mut service = Service::new(store.clone())
        .with_analytics(Arc::new(Analytics::open(config.analytics.clone())))
        .with_key(Arc::new(InstallKey::load_or_ephemeral(&config.analytics.key_file)))
        .with_cooldown(d.cooldown_questions, Duration::from_secs(d.cooldown_seconds))
        .with_conversations(config.conversation);
    // Servers with a corpus of their own and channels limited to some articles: a store each
    // (one per corpus and set of articles), indexed under the default index directory.
    let mut opened: Vec<(StoreConfig, Arc<Store>)> = vec![(store_config(config), store.clone())];
    for g in &config.guilds {
        let corpus = g.corpus_dir.clone().unwrap_or_else(|| config.corpus_dir.clone());
        let guild_store = scoped_store(config, &mut opened, &corpus, None, &format!("guilds.{}.corpus", g.id)).await?;
        if !Arc::ptr_eq(&guild_store, &store) {
            service = service.with_guild_store(g.id, guild_store);
        }
        for (channel, articles) in &g.channels {
            let key = format!("guilds.{}.channels.{channel}.articles", g.id);
            let s = scoped_store(config, &mut opened, &corpus, Some(articles), &key).await?;
            service = service.with_channel_store(*channel, s);
        }
        if let Some((questions, seconds)) = g.cooldown {
            service = service.with_guild_cooldown(g.id, questions, Duration::from_secs(seconds));
        }
    }
    if let Some(url) = postgres_url(config) {
        service = service.with_replicas(Arc::new(Replicas::join(url, store)));
    }
    Ok(service)
}

/// Opens (off the async workers: it may build the index) the store `cfg` describes.
async fn open_store(config: &Config, cfg: StoreConfig) -> anyhow::Result<Arc<Store>> {
    let prices = Arc::new(config.prices.clone());
    let corpus_dir = cfg.corpus_dir.clone();
    let (store, opened) = tokio::task::spawn_blocking(move || Store::open(cfg, prices))
        .await
        .context("opening the index panicked")?
        .with_context(|| format!("cannot serve the corpus in {}", corpus_dir.display()))?;
    match opened {
        Opened::Existing => {}
        Opened::Rebuilt(why) => info!(corpus = %corpus_dir.display(), "built the index ({why})"),
        Opened::StaleFallback(e) => warn!(corpus = %corpus_dir.display(), "answers come from an older index: {e}"),
    }
    Ok(Arc::new(store))
}

/// The store of `corpus` (some `articles` of it, or all), opened once however many servers and
/// channels it serves. Its index lives in `index/scope-HASH/`, HASH naming the corpus directory and
/// the articles. An article the corpus does not have is a fault of the config key `key`.
async fn scoped_store(
    config: &Config,
    opened: &mut Vec<(StoreConfig, Arc<Store>)>,
    corpus: &std::path::Path,
    articles: Option<&Vec<String>>,
    key: &str,
) -> anyhow::Result<Arc<Store>> {
    let mut articles = articles.cloned();
    if let Some(a) = &mut articles {
        a.sort();
        a.dedup();
        let have = crate::corpus::article_names(corpus).with_context(|| format!("config key `{key}`"))?;
        let missing: Vec<&String> = a.iter().filter(|x| !have.contains(x)).collect();
        if !missing.is_empty() {
            anyhow::bail!(
                "config key `{key}`: no article {} in {} (articles there: {})",
                missing.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>().join(", "),
                corpus.display(),
                have.join(", ")
            );
        }
    }
    let canonical = std::fs::canonicalize(corpus).ok();
    let same = |c: &StoreConfig| c.articles == articles && std::fs::canonicalize(&c.corpus_dir).ok() == canonical;
    if let Some((_, s)) = opened.iter().find(|(c, _)| same(c)) {
        return Ok(s.clone());
    }
    let canonical = canonical.unwrap_or_else(|| corpus.to_owned());
    let named = format!("{}\n{}", canonical.display(), articles.clone().unwrap_or_default().join("\n"));
    let id = crate::corpus::hex(&<sha2::Sha256 as sha2::Digest>::digest(named.as_bytes()));
    let cfg = StoreConfig {
        corpus_dir: corpus.to_owned(),
        index_dir: config.index_dir.join(format!("scope-{}", &id[..12])),
        threads: config.index_threads,
        articles,
    };
    let store = open_store(config, cfg.clone()).await?;
    opened.push((cfg, store.clone()));
    Ok(store)
}

fn postgres_url(config: &Config) -> Option<&str> {
    let db = &config.analytics.database;
    db.to_str().filter(|_| is_postgres(db))
}

pub fn store_config(config: &Config) -> StoreConfig {
    StoreConfig {
        corpus_dir: config.corpus_dir.clone(),
        index_dir: config.index_dir.clone(),
        threads: config.index_threads,
        articles: None,
    }
}

/// What keeps a serving store current, whichever transports run: the poller (generations another
/// process published) and, with `corpus.watch`, the corpus watcher.
struct Background {
    stop: CancellationToken,
    pollers: Vec<tokio::task::JoinHandle<()>>,
    /// Dropped when serving ends, which stops watching.
    _watchers: Vec<crate::watch::Watcher>,
}

impl Background {
    /// A poller and (with `corpus.watch`) a watcher for every store served: each server's corpus
    /// and each channel's articles are re-indexed on their own.
    fn start(config: &Config, service: &Service) -> anyhow::Result<Background> {
        let stop = CancellationToken::new();
        let mut pollers = Vec::new();
        let mut watchers = Vec::new();
        for store in service.stores() {
            if config.poll_ms > 0 {
                pollers.push(tokio::spawn(poll_store(
                    store.clone(),
                    Duration::from_millis(config.poll_ms),
                    stop.clone(),
                )));
            }
            if config.watch {
                watchers.push(crate::watch::spawn(store, Duration::from_millis(config.watch_debounce_ms))?);
            }
        }
        Ok(Background { stop, pollers, _watchers: watchers })
    }

    async fn stop(self) {
        self.stop.cancel();
        for p in self.pollers {
            let _ = p.await;
        }
    }
}

/// Picks up generations published by another process (`productbot reindex`) until `stop`.
async fn poll_store(store: Arc<Store>, every: Duration, stop: CancellationToken) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let s = store.clone();
                if let Ok(Some(generation)) = tokio::task::spawn_blocking(move || s.refresh()).await {
                    info!(%generation, "now serving a generation published by another process");
                }
            }
            () = stop.cancelled() => break,
        }
    }
}

/// What the local transports (the shell, the CLI) need opened.
pub struct Local {
    /// Open the index (else only commands that need none can run).
    pub store: bool,
    /// Open the analytics database: the shell and `ask --record` record, `gaps` and `stats` read.
    pub analytics: bool,
    /// Wait for the database rather than drop records (a batch: nobody waits on a chat reply).
    pub lossless: bool,
    /// Open the index as it is, to re-index it (`productbot reindex`), and tell replicas.
    pub reindex: bool,
}

/// The service for the shell and the CLI: no cooldown (the local operator), nothing rendered for
/// Discord (so no install key is read).
pub fn local(config: &Config, what: Local) -> anyhow::Result<Service> {
    let prices = Arc::new(config.prices.clone());
    let mut service = if what.reindex {
        let store = Store::open_for_reindex(store_config(config), prices)
            .with_context(|| format!("cannot index the corpus in {}", config.corpus_dir.display()))?;
        Service::new(Arc::new(store))
    } else if what.store {
        let (store, opened) = Store::open(store_config(config), prices)
            .with_context(|| format!("cannot serve the corpus in {}", config.corpus_dir.display()))?;
        if let Opened::StaleFallback(e) = opened {
            warn!("answers come from an older index; the corpus cannot be indexed:\n{e}");
        }
        Service::new(Arc::new(store))
    } else {
        // Prices without an index: the corpus's price files, after bot.toml's override.
        let files = match crate::corpus::load_prices(&config.corpus_dir) {
            Ok(files) => files,
            // No corpus here: only bot.toml's prices, if it has any.
            Err(crate::corpus::CorpusError::Dir { .. }) => Vec::new(),
            Err(e) => return Err(anyhow::anyhow!("{e}")),
        };
        let (prices, _) = crate::corpus::prices::combined(&files, &prices);
        Service::prices_only(Arc::new(prices))
    };
    service = service.with_conversations(config.conversation);
    if what.analytics {
        let analytics = Analytics::open(config.analytics.clone());
        let analytics = if what.lossless { analytics.lossless() } else { analytics };
        service = service.with_analytics(Arc::new(analytics));
    }
    // Replicas on a shared PostgreSQL database hear of a re-index made here.
    if what.reindex
        && let Some(url) = postgres_url(config)
    {
        service = service.with_replicas(Arc::new(Replicas::announcer(url)));
    }
    Ok(service)
}

/// `productbot shell`: the shell over the local service, with the corpus watcher when configured.
pub fn shell(config: &Config) -> anyhow::Result<ExitCode> {
    let service = local(config, Local { store: true, analytics: true, lossless: false, reindex: false })?;
    let store = service.store().context("the shell's service has a store")?.clone();
    let _watcher = if config.watch {
        Some(crate::watch::spawn(store, Duration::from_millis(config.watch_debounce_ms))?)
    } else {
        None
    };
    crate::shell::run(&service)?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    info!("shutdown signal received");
}
