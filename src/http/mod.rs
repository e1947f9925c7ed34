//! The HTTP transport (axum): Discord's interactions endpoint (`POST /interactions`, Ed25519-signed),
//! and `GET /healthz`, `GET /readyz`, `GET /metrics` for operators. This module checks requests and
//! hands each interaction to an [`Interactions`] (the Discord adapter's planning, which `crate::app`
//! wires in; nothing here imports it): the response is this request's body, and the work after it
//! (a slow command's result, a deletion) runs in a task counted among the service's requests in
//! flight.
//!
//! A request to `/interactions` is refused on its headers before its body is read (no signature
//! headers, a malformed signature, a stale timestamp, a declared body over
//! [`INTERACTION_BODY_LIMIT`]); the body is then read up to that limit, its signature checked, and an
//! interaction id this process has already handled is refused (a replay). `server` holds the
//! connection limits and timeouts.
//!
//! Any number of identical processes can serve this endpoint behind a load balancer: nothing here
//! depends on state kept in one process beyond the replay set (the cooldown and conversations are
//! in the database when it is PostgreSQL).

mod server;

pub use self::server::{DRAIN, Limits, SPARE_CONNECTIONS};

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serenity::all::Interaction;
use serenity::interactions_endpoint::Verifier;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::metrics::METRICS;
use crate::service::Service;

pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// What the endpoint hands a verified interaction to.
pub trait Interactions: Send + Sync {
    /// The response to `interaction` and the work left after it; `None` for kinds not handled.
    fn respond<'a>(&'a self, interaction: &'a Interaction) -> BoxFuture<'a, Option<Responded>>;
    /// The response while shutting down.
    fn restarting(&self) -> serde_json::Result<Vec<u8>>;
}

/// A planned response: the body (JSON) and the work to run once it is sent.
pub struct Responded {
    pub body: serde_json::Result<Vec<u8>>,
    pub after: Option<BoxFuture<'static, ()>>,
}

/// What serves interactions once the index is loaded.
struct Ready {
    service: Arc<Service>,
    interactions: Arc<dyn Interactions>,
}

/// Signed requests older (or newer) than this are refused: a captured request cannot be replayed
/// later, and one replayed sooner is caught by the set of ids already handled.
pub const MAX_SKEW: Duration = Duration::from_secs(300);
/// The largest interaction body read. Discord's are a few KB (a button press carries its message,
/// embeds included: tens of KB at most).
pub const INTERACTION_BODY_LIMIT: usize = 64 * 1024;
/// Interaction ids remembered at most (each for `MAX_SKEW` past its timestamp, about 10 bytes
/// each): over 3,000 interactions a second for five minutes. Past it, replays are not caught until
/// ids expire.
const MAX_REMEMBERED: usize = 1_000_000;

/// What the endpoint serves from; `ready` is set once the index is loaded (`/readyz` says 503
/// until then).
pub struct HttpState {
    verifier: Verifier,
    ready: OnceLock<Ready>,
    replays: Mutex<Replays>,
}

impl HttpState {
    pub fn new(verifier: Verifier) -> Arc<HttpState> {
        Arc::new(HttpState { verifier, ready: OnceLock::new(), replays: Mutex::new(Replays::default()) })
    }

    /// Marks the endpoint ready to answer: requests are counted in `service`'s requests in flight
    /// and interactions handed to `interactions`.
    pub fn set_ready(&self, service: Arc<Service>, interactions: Arc<dyn Interactions>) {
        let _ = self.ready.set(Ready { service, interactions });
    }
}

/// Interaction ids handled here, each until its signed timestamp is too old to be accepted again,
/// in buckets of [`BUCKET_SECS`] by expiry: a bucket is dropped whole (its memory freed) once all of
/// its ids have expired.
#[derive(Default)]
struct Replays {
    /// (end of the bucket's expiry range, Unix seconds; ids), oldest first.
    buckets: VecDeque<(u64, HashSet<u64>)>,
    len: usize,
    full_warned: bool,
}

/// The span of expiry times one bucket of remembered ids covers.
const BUCKET_SECS: u64 = 30;

impl Replays {
    /// Whether `id` is new (and now remembered until `expires`, Unix seconds).
    fn first_time(&mut self, id: u64, expires: u64, now: u64) -> bool {
        while self.buckets.front().is_some_and(|(end, _)| *end <= now) {
            if let Some((_, ids)) = self.buckets.pop_front() {
                self.len -= ids.len();
            }
        }
        if self.buckets.iter().any(|(_, ids)| ids.contains(&id)) {
            return false;
        }
        if self.len >= MAX_REMEMBERED {
            if !std::mem::replace(&mut self.full_warned, true) {
                warn!(
                    "more than {MAX_REMEMBERED} interactions in five minutes: replays are not caught until ids expire"
                );
            }
            return true;
        }
        let end = (expires / BUCKET_SECS + 1) * BUCKET_SECS;
        let at = self.buckets.partition_point(|(e, _)| *e < end);
        if self.buckets.get(at).is_none_or(|(e, _)| *e != end) {
            self.buckets.insert(at, (end, HashSet::new()));
        }
        self.buckets[at].1.insert(id);
        self.len += 1;
        true
    }
}

/// The application's public key from its hex form; the error names the variable, never the value.
pub fn verifier(hex: Option<&str>) -> anyhow::Result<Verifier> {
    let var = crate::config::PUBLIC_KEY_ENV;
    let Some(hex) = hex else {
        anyhow::bail!(
            "[http] listen is set but {var} is not: set it to the application's public key (Developer Portal > General Information)"
        );
    };
    let bytes = (hex.len() == 64 && hex.is_ascii())
        .then(|| (0..32).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()).collect::<Option<Vec<u8>>>())
        .flatten()
        .and_then(|b| <[u8; 32]>::try_from(b).ok());
    let Some(bytes) = bytes else {
        anyhow::bail!("{var} must be the application's public key: 64 hexadecimal digits");
    };
    Verifier::try_new(bytes).map_err(|_| anyhow::anyhow!("{var} is not a valid Ed25519 public key"))
}

/// The routes, with a request (headers and body) allowed `timeout` to arrive.
pub fn router(state: Arc<HttpState>, timeout: Duration) -> Router {
    Router::new()
        .route("/interactions", post(interactions_endpoint))
        .merge(health_routes())
        .with_state(state)
        .layer(DefaultBodyLimit::max(INTERACTION_BODY_LIMIT))
        .layer(
            tower::ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    METRICS.http_timeouts.inc();
                    (StatusCode::REQUEST_TIMEOUT, "the request did not arrive in time\n")
                }))
                .layer(tower::timeout::TimeoutLayer::new(timeout)),
        )
}

fn health_routes() -> Router<Arc<HttpState>> {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// What a connection past the cap is served: health and metrics, and 503 for anything else.
fn shed_router(state: Arc<HttpState>) -> Router {
    health_routes()
        .fallback(|| async {
            METRICS.interactions.with_label_values(&["unknown", "busy"]).inc();
            (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "1")], "too many connections\n")
        })
        .with_state(state)
}

/// Binds `addr` (port 0 picks a free one); the listener's address is logged.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    let listener =
        TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr} (http.listen): {e}"))?;
    if let Ok(a) = listener.local_addr() {
        info!(address = %a, "HTTP endpoint listening (POST /interactions, GET /healthz /readyz /metrics)");
    }
    Ok(listener)
}

/// Serves until `stop` is cancelled, then lets open connections finish for up to [`DRAIN`] and
/// closes the rest.
pub async fn run(listener: TcpListener, state: Arc<HttpState>, limits: Limits, stop: CancellationToken) {
    let app = router(state.clone(), limits.timeout);
    server::serve(listener, app, shed_router(state), limits, stop).await;
}

async fn readyz(State(st): State<Arc<HttpState>>) -> Response {
    match st.ready.get() {
        Some(_) => (StatusCode::OK, "ready\n").into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "loading the index\n").into_response(),
    }
}

async fn metrics(State(st): State<Arc<HttpState>>) -> Response {
    if let Some(a) = st.ready.get().and_then(|r| r.service.analytics()) {
        let h = a.health();
        METRICS.db_write_failures.set(h.write_failures as i64);
        METRICS.db_dropped.set(h.dropped as i64);
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], METRICS.render()).into_response()
}

fn refuse(why: &'static str) -> Response {
    METRICS.signature_failures.inc();
    METRICS.interactions.with_label_values(&["unknown", "unauthorized"]).inc();
    (StatusCode::UNAUTHORIZED, why).into_response()
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The signature headers of a request, checked for presence, shape and freshness, and its declared
/// length, before any of its body is read.
struct SignatureHeaders {
    signature: String,
    timestamp: String,
    /// The signed timestamp, Unix seconds.
    at: u64,
}

impl<S: Send + Sync> FromRequestParts<S> for SignatureHeaders {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let (Some(signature), Some(timestamp)) = (header("x-signature-ed25519"), header("x-signature-timestamp"))
        else {
            return Err(refuse("missing signature headers\n"));
        };
        // An Ed25519 signature is 64 bytes: 128 hex digits.
        if signature.len() != 128 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(refuse("invalid request signature\n"));
        }
        let Some(at) = timestamp.trim().parse::<u64>().ok().filter(|ts| now_secs().abs_diff(*ts) <= MAX_SKEW.as_secs())
        else {
            return Err(refuse("stale request timestamp\n"));
        };
        let declared = header("content-length").and_then(|l| l.trim().parse::<u64>().ok());
        if declared.is_some_and(|l| l > INTERACTION_BODY_LIMIT as u64) {
            return Err(too_large());
        }
        Ok(SignatureHeaders { signature: signature.to_owned(), timestamp: timestamp.to_owned(), at })
    }
}

fn too_large() -> Response {
    METRICS.interactions.with_label_values(&["unknown", "too_large"]).inc();
    (StatusCode::PAYLOAD_TOO_LARGE, format!("an interaction is at most {INTERACTION_BODY_LIMIT} bytes\n"))
        .into_response()
}

fn kind(i: &Interaction) -> &'static str {
    match i {
        Interaction::Ping(_) => "ping",
        Interaction::Command(_) => "command",
        Interaction::Autocomplete(_) => "autocomplete",
        Interaction::Component(_) => "component",
        Interaction::Modal(_) => "modal",
        _ => "other",
    }
}

async fn interactions_endpoint(
    State(st): State<Arc<HttpState>>,
    signed: SignatureHeaders,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(),
        Err(e) => {
            METRICS.interactions.with_label_values(&["unknown", "bad_request"]).inc();
            return (e.status(), format!("cannot read the request: {e}\n")).into_response();
        }
    };
    if st.verifier.verify(&signed.signature, &signed.timestamp, &body).is_err() {
        return refuse("invalid request signature\n");
    }
    let interaction: Interaction = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(e) => {
            METRICS.interactions.with_label_values(&["unknown", "bad_request"]).inc();
            return (StatusCode::BAD_REQUEST, format!("not an interaction: {e}\n")).into_response();
        }
    };
    let kind = kind(&interaction);
    let first_time = {
        let mut replays = st.replays.lock().unwrap_or_else(|p| p.into_inner());
        replays.first_time(interaction.id().get(), signed.at + MAX_SKEW.as_secs(), now_secs())
    };
    if !first_time {
        METRICS.interactions.with_label_values(&[kind, "replayed"]).inc();
        return (StatusCode::CONFLICT, "this interaction was handled already\n").into_response();
    }
    if let Interaction::Ping(_) = interaction {
        METRICS.interactions.with_label_values(&[kind, "ok"]).inc();
        return axum::Json(serde_json::json!({ "type": 1 })).into_response();
    }
    let Some(ready) = st.ready.get() else {
        METRICS.interactions.with_label_values(&[kind, "not_ready"]).inc();
        return (StatusCode::SERVICE_UNAVAILABLE, "loading the index\n").into_response();
    };
    let Some(guard) = ready.service.enter() else {
        METRICS.interactions.with_label_values(&[kind, "shutting_down"]).inc();
        return json_response(ready.interactions.restarting());
    };
    let Some(responded) = ready.interactions.respond(&interaction).await else {
        METRICS.interactions.with_label_values(&[kind, "ignored"]).inc();
        return StatusCode::NO_CONTENT.into_response();
    };
    METRICS.interactions.with_label_values(&[kind, "ok"]).inc();
    if let Some(after) = responded.after {
        tokio::spawn(async move {
            // The request's slot in flight lasts until the follow-up work is done.
            let _guard = guard;
            after.await;
        });
    }
    json_response(responded.body)
}

fn json_response(body: serde_json::Result<Vec<u8>>) -> Response {
    match body {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("cannot encode the response: {e}\n")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_refused_until_its_timestamp_would_be_refused_anyway() {
        let mut r = Replays::default();
        let now = 1_000_000;
        assert!(r.first_time(1, now + 300, now));
        assert!(r.first_time(2, now + 10, now));
        assert!(!r.first_time(2, now + 10, now + 5));
        assert!(!r.first_time(1, now + 300, now + 100));
        // Expired ids go, bucket by bucket; the others stay.
        assert!(r.first_time(2, now + 400, now + 100));
        assert!(!r.first_time(1, now + 300, now + 299));
        assert!(r.first_time(1, now + 700, now + 400));
        assert!(r.buckets.iter().all(|(end, _)| *end > now + 400) && r.len == 2, "{:?}", r.len);
    }
}
