//! The HTTP transport (axum): Discord's interactions endpoint (`POST /interactions`, Ed25519-signed),
//! and `GET /healthz`, `GET /readyz`, `GET /metrics` for operators. Interactions go through the same
//! planning as the gateway's (`discord::interactions`): the response is this request's body, and the
//! work after it (a slow command's result, a deletion) runs in a task that edits the response
//! through Discord's webhook routes (or the `api_proxy`).
//!
//! Any number of identical processes can serve this endpoint behind a load balancer: nothing here
//! depends on state kept in one process, beyond the per-process cooldown.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serenity::all::{Http, Interaction};
use serenity::interactions_endpoint::Verifier;
use tokio::net::TcpListener;
use tracing::{info, warn};

use crate::discord::handler::{Shared, enter};
use crate::discord::interactions;
use crate::discord::render;
use crate::metrics::METRICS;

/// Signed requests older (or newer) than this are refused: a captured request cannot be replayed.
pub const MAX_SKEW: Duration = Duration::from_secs(300);

/// What the endpoint serves from; `shared` is set once the index is loaded (`/readyz` says 503
/// until then).
pub struct HttpState {
    verifier: Verifier,
    shared: OnceLock<Arc<Shared>>,
    http: Arc<Http>,
}

impl HttpState {
    pub fn new(verifier: Verifier, http: Arc<Http>) -> Arc<HttpState> {
        Arc::new(HttpState { verifier, shared: OnceLock::new(), http })
    }

    /// Marks the endpoint ready to answer.
    pub fn set_ready(&self, shared: Arc<Shared>) {
        let _ = self.shared.set(shared);
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

pub fn router(state: Arc<HttpState>) -> Router {
    Router::new()
        .route("/interactions", post(interactions_endpoint))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
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

/// Serves until `stop` resolves.
pub async fn run(
    listener: TcpListener,
    state: Arc<HttpState>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(stop).await
}

async fn readyz(State(st): State<Arc<HttpState>>) -> Response {
    match st.shared.get() {
        Some(_) => (StatusCode::OK, "ready\n").into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "loading the index\n").into_response(),
    }
}

async fn metrics(State(st): State<Arc<HttpState>>) -> Response {
    if let Some(s) = st.shared.get() {
        let h = s.analytics.health();
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

/// Whether the signed timestamp is within [`MAX_SKEW`] of now.
fn fresh(timestamp: &str) -> bool {
    let Ok(ts) = timestamp.trim().parse::<u64>() else { return false };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    now.abs_diff(ts) <= MAX_SKEW.as_secs()
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

async fn interactions_endpoint(State(st): State<Arc<HttpState>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(signature), Some(timestamp)) = (header("x-signature-ed25519"), header("x-signature-timestamp")) else {
        return refuse("missing signature headers\n");
    };
    if st.verifier.verify(signature, timestamp, &body).is_err() {
        return refuse("invalid request signature\n");
    }
    if !fresh(timestamp) {
        return refuse("stale request timestamp\n");
    }
    let interaction: Interaction = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(e) => {
            METRICS.interactions.with_label_values(&["unknown", "bad_request"]).inc();
            return (StatusCode::BAD_REQUEST, format!("not an interaction: {e}\n")).into_response();
        }
    };
    let kind = kind(&interaction);
    if let Interaction::Ping(_) = interaction {
        METRICS.interactions.with_label_values(&[kind, "ok"]).inc();
        return axum::Json(serde_json::json!({ "type": 1 })).into_response();
    }
    let Some(shared) = st.shared.get().cloned() else {
        METRICS.interactions.with_label_values(&[kind, "not_ready"]).inc();
        return (StatusCode::SERVICE_UNAVAILABLE, "loading the index\n").into_response();
    };
    let Some(guard) = enter(&shared.inflight) else {
        METRICS.interactions.with_label_values(&[kind, "shutting_down"]).inc();
        return json_response(&render::restarting().response());
    };
    // Webhook routes (editing a deferred response) need the application id; the interaction has it.
    if st.http.application_id().is_none()
        && let Some(app) = application_id(&interaction)
    {
        st.http.set_application_id(app);
    }
    let Some(plan) = interactions::plan(&shared, &interaction).await else {
        METRICS.interactions.with_label_values(&[kind, "ignored"]).inc();
        return StatusCode::NO_CONTENT.into_response();
    };
    METRICS.interactions.with_label_values(&[kind, "ok"]).inc();
    let response = json_response(&plan.response);
    let after = plan.after;
    if !matches!(after, interactions::After::Nothing) {
        let http = st.http.clone();
        tokio::spawn(async move {
            // The request's slot in flight lasts until the follow-up work is done.
            let _guard = guard;
            if let Err(e) = interactions::finish(&shared, &http, &plan.token, after).await {
                warn!("could not complete an interaction: {e}");
            }
        });
    }
    response
}

fn application_id(i: &Interaction) -> Option<serenity::all::ApplicationId> {
    match i {
        Interaction::Command(c) | Interaction::Autocomplete(c) => Some(c.application_id),
        Interaction::Component(c) => Some(c.application_id),
        Interaction::Modal(m) => Some(m.application_id),
        _ => None,
    }
}

fn json_response(r: &serenity::all::CreateInteractionResponse) -> Response {
    match serde_json::to_vec(r) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("cannot encode the response: {e}\n")).into_response(),
    }
}
