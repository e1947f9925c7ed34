//! A mock Discord (REST API v10 + WebSocket gateway) on 127.0.0.1 for integration tests.
//!
//! Role: lets the REAL serenity 0.12.5 client run end to end inside `cargo test` with no network.
//! One axum server on `127.0.0.1:0` answers both the REST routes (under `/api/v10`) and the
//! gateway WebSocket (on `/gateway-ws`). Every REST request is recorded ([`Recorded`]) and every
//! gateway IDENTIFY is kept, so a test drives the bot by [`MockDiscord::dispatch`]ing gateway
//! events and asserts on what the bot sent back with [`MockDiscord::wait_request`].
//!
//! Pointing serenity at it (the snippet the self-test uses; serenity 0.12.5, `serenity::all::*`):
//! ```ignore
//! let mock = MockDiscord::start().await;
//! let http = HttpBuilder::new(mock_discord::TOKEN)
//!     .proxy(mock.http_base())     // string-replaces `https://discord.com` in every REST URL
//!     .ratelimiter_disabled(true)  // REQUIRED: with the ratelimiter on, the proxy is ignored
//!     .build();
//! let intents = GatewayIntents::GUILD_MESSAGES | GatewayIntents::DIRECT_MESSAGES | GatewayIntents::MESSAGE_CONTENT;
//! let mut client = ClientBuilder::new_with_http(http, intents).event_handler(handler).await?;
//! // The builder already asked GET /api/v10/gateway, so `client.ws_url` is `mock.ws_url()`:
//! // nothing to set.
//! let shard_manager = client.shard_manager.clone();
//! let run = tokio::spawn(async move { client.start().await });
//! let identify = mock.wait_identify(Duration::from_secs(10)).await;   // d.token, d.intents, d.shard
//! mock.dispatch("INTERACTION_CREATE", slash_interaction(1, "ask", json!([]), 600000000000000001, 0)).await;
//! let cb = mock.wait_request(Duration::from_secs(10), |r| r.is("POST", "/interactions/1/itoken-1/callback")).await;
//! assert_eq!(cb.body["data"]["content"], "pong");
//! shard_manager.shutdown_all().await;   // Close 1000 per shard; `run` then ends with Ok(())
//! ```
//!
//! What it covers of the Discord API:
//! - Gateway (JSON text frames, no compression): HELLO (op 10, heartbeat_interval 41250 so a
//!   test never heartbeats) on connect; IDENTIFY (op 2) -> READY (op 0, `s`=1, the bot user,
//!   one unavailable guild [`GUILD_ID`], `application.id` = [`APP_ID`], `shard` echoed from the
//!   IDENTIFY); HEARTBEAT (op 1) -> HEARTBEAT_ACK (op 11); RESUME (op 6) of a session this mock
//!   issued -> RESUMED, of an unknown one -> INVALID_SESSION (op 9, false). Several connections
//!   (shards) at once, each with its own sequence numbers. Any other op is only recorded
//!   ([`MockDiscord::gateway_messages`]). Close frames from the client are answered and their
//!   codes recorded ([`MockDiscord::client_close_codes`]).
//! - REST (paths after `/api/v10`; the query string is recorded but ignored):
//!   `GET gateway`, `GET gateway/bot` (shard count: [`MockDiscord::set_gateway_shards`]),
//!   `GET users/@me`, `GET oauth2/applications/@me`,
//!   `PUT|GET applications/{app}/commands`, `PUT|GET applications/{app}/guilds/{g}/commands`,
//!   `POST applications/{app}/commands`, `POST applications/{app}/guilds/{g}/commands`,
//!   `POST interactions/{id}/{token}/callback` (204),
//!   `POST webhooks/{app}/{token}` (follow-up), `GET|PATCH|DELETE webhooks/{app}/{token}/messages/{@original|id}`,
//!   `POST channels/{id}/messages`, `PATCH|DELETE channels/{id}/messages/{mid}`,
//!   `POST channels/{id}/messages/{mid}/threads` (a public thread started from that message: the
//!   thread's id is `mid`, as on Discord, its parent `id`, its name the request's; see [`thread_channel`]),
//!   `POST channels/{id}/typing` (204), `PUT|DELETE channels/{id}/messages/{mid}/reactions/..` (204).
//!   Anything else -> 404 `{"message":"Unknown route","code":0}` (still recorded).
//!   Message replies echo `content`, `embeds` and `flags` of the request; JSON and
//!   multipart/form-data bodies (serenity uses multipart when files are attached: the
//!   `payload_json` part becomes [`Recorded::body`], file parts go to [`Recorded::files`]).
//!   One-shot failures can be injected with [`MockDiscord::fail_next`], and a request can be held
//!   unanswered (recorded at once, answered on [`Held::release`]) with [`MockDiscord::hold_next`], so a
//!   test can keep a bot handler in flight for as long as it needs.
//!
//! What it does NOT cover: guild/channel/member/role REST routes, GUILD_CREATE (not sent; a test
//! may dispatch one itself), zlib transport compression, rate limits (no 429 unless injected; with
//! `ratelimiter_disabled(true)` serenity does not retry 429s anyway), voice, CDN / attachment
//! downloads (serenity does not proxy those), and validation of tokens or permissions: it accepts
//! whatever the client sends.
//!
//! Surprises about serenity 0.12.5 found while building this (checked by a self-test that runs the
//! real client against this file):
//! - serenity does NOT validate the token format on `HttpBuilder`/`ClientBuilder`; `Http` prefixes
//!   "Bot " and the gateway IDENTIFY carries the same prefixed string (`d.token == "Bot <token>"`).
//! - `Client::start()` asks `GET /gateway` (not `/gateway/bot`); only `start_autosharded()` asks
//!   `/gateway/bot`. It appends `?v=10` to the URL, so `ws_url` may carry a path.
//! - The shard queuer waits 5 s between two shard IDENTIFYs: a 2-shard test needs waits > 5 s.
//! - Required fields (each one's removal breaks deserialization, checked field by field):
//!   READY `d`: `v, user, guilds, session_id, resume_gateway_url, application{id, flags}`, and
//!   the frame itself must carry `s`; INTERACTION_CREATE: `id, application_id, type, data,
//!   channel_id, token, version, locale, entitlements, attachment_size_limit`; Message: `id,
//!   channel_id, author, content, timestamp, tts, mention_everyone, mentions, mention_roles,
//!   attachments, embeds, pinned, type`; Command: `id, type, application_id, name, description,
//!   version`; CurrentApplicationInfo: `id, name, description, bot_public,
//!   bot_require_code_grant, verify_key`; User: `id, username`; gateway/bot: `url, shards,
//!   session_start_limit{total, remaining, reset_after, max_concurrency}`.
//! - `shard_manager.shutdown_all()` sends a Close frame (code 1000) per shard and waits for the
//!   server's Close reply (up to 5 s per shard), then makes `client.start()` return `Ok(())`.
//!   A server close with code 4004 (authentication failed) makes `client.start()` return `Err`;
//!   other close codes make serenity reconnect and RESUME.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};

/// The bot's user id (also in READY and `GET /users/@me`).
pub const BOT_USER_ID: u64 = 900000000000000001;
/// The application id (READY `application.id`; serenity uses it for follow-up webhooks).
pub const APP_ID: u64 = 900000000000000001;
/// The guild listed (unavailable) in READY and used by guild interaction helpers.
pub const GUILD_ID: u64 = 800000000000000001;
/// Default channel of interaction helpers and of webhook (follow-up) messages.
pub const CHANNEL_ID: u64 = 700000000000000001;
/// Owner of the application in `GET /oauth2/applications/@me`.
pub const OWNER_USER_ID: u64 = 600000000000000099;
/// A syntactically valid fake bot token (serenity 0.12.5 does not check it, but it is 3 dot parts).
pub const TOKEN: &str = "OTAwMDAwMDAwMDAwMDAwMDAx.mock00.mock-token-not-a-secret";
/// Bot username in READY / `users/@me`.
pub const BOT_USERNAME: &str = "testbot";
/// Default time a `dispatch` waits for a READY connection.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

const HEARTBEAT_INTERVAL_MS: u64 = 41250;
const TIMESTAMP: &str = "2025-01-01T00:00:00.000000+00:00";

/// One REST request received by the mock.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// "GET", "POST", ...
    pub method: String,
    /// Full path as sent, e.g. "/api/v10/channels/7/messages" (no query string).
    pub path: String,
    /// Query string without '?', "" if none.
    pub query: String,
    /// JSON body; `Null` if empty or not JSON. For multipart, the parsed `payload_json` part.
    pub body: Value,
    /// File parts of a multipart body.
    pub files: Vec<RecordedFile>,
    /// The `Authorization` header, e.g. "Bot <token>".
    pub authorization: Option<String>,
}

/// A file part of a multipart/form-data request.
#[derive(Clone, Debug)]
pub struct RecordedFile {
    /// Form field name, e.g. "files[0]".
    pub field: String,
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

impl Recorded {
    /// Path with the `/api/v10` prefix removed, e.g. "/channels/7/messages".
    pub fn route(&self) -> &str {
        self.path.strip_prefix("/api/v10").unwrap_or(&self.path)
    }
    /// `method == m && route() == route`.
    pub fn is(&self, method: &str, route: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && self.route() == route
    }
}

enum Outgoing {
    Text(String),
    Close(u16),
}

struct Conn {
    id: usize,
    tx: mpsc::UnboundedSender<Outgoing>,
    open: bool,
    ready: bool,
    seq: u64,
    /// `[shard_id, total]` from IDENTIFY, if any.
    shard: Option<[u64; 2]>,
    session: Option<String>,
}

struct Hold {
    method: String,
    route_prefix: String,
    release: Arc<Notify>,
}

/// A request held by [`MockDiscord::hold_next`]; dropping it without releasing keeps it held.
pub struct Held(Arc<Notify>);

impl Held {
    /// Lets the held request (or the next matching one, if none arrived yet) be answered.
    pub fn release(&self) {
        self.0.notify_one();
    }
}

struct Failure {
    method: String,
    route_prefix: String,
    status: u16,
    body: Value,
}

#[derive(Default)]
struct St {
    requests: Vec<Recorded>,
    identifies: Vec<Value>,
    gateway_messages: Vec<Value>,
    conns: Vec<Conn>,
    client_close_codes: Vec<Option<u16>>,
    /// session id -> shard info, for RESUME.
    sessions: HashMap<String, Option<[u64; 2]>>,
    /// registered commands by scope: None = global, Some(guild).
    commands: HashMap<Option<String>, Vec<Value>>,
    failures: Vec<Failure>,
    holds: Vec<Hold>,
    gateway_shards: u64,
    /// IDENTIFY gets no READY (a gateway that accepts and then says nothing).
    silent_identify: bool,
}

struct Inner {
    st: Mutex<St>,
    changed: Notify,
    ids: AtomicU64,
    port: u16,
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, St> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/gateway-ws", self.port)
    }
    fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }
    /// Waits until `check` returns Some, re-checking after each state change.
    async fn wait_for<T>(&self, timeout: Duration, mut check: impl FnMut(&mut St) -> Option<T>) -> Option<T> {
        let fut = async {
            loop {
                let notified = self.changed.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if let Some(v) = check(&mut self.lock()) {
                    return v;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, fut).await.ok()
    }
}

/// A running mock Discord. Dropping it stops accepting connections; gateway connections already
/// open stay up until the test's runtime ends (closing them would only make serenity reconnect).
pub struct MockDiscord {
    inner: Arc<Inner>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for MockDiscord {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl MockDiscord {
    /// Binds 127.0.0.1:0 and serves REST (`/api/v10/...`) and the gateway (`/gateway-ws`).
    pub async fn start() -> MockDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local_addr");
        let inner = Arc::new(Inner {
            st: Mutex::new(St { gateway_shards: 1, ..St::default() }),
            changed: Notify::new(),
            ids: AtomicU64::new(1_000_000_000_000_000_001),
            port: addr.port(),
        });
        let app = Router::new()
            .route("/gateway-ws", get(ws_handler))
            .fallback(rest_handler)
            .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
            .with_state(inner.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        MockDiscord { inner, addr, server }
    }

    /// "http://127.0.0.1:PORT", for `HttpBuilder::proxy`.
    pub fn http_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// "ws://127.0.0.1:PORT/gateway-ws" (what `GET /gateway` and `/gateway/bot` return).
    pub fn ws_url(&self) -> String {
        self.inner.ws_url()
    }

    /// Shard count returned by `GET /gateway/bot` (used by `start_autosharded`). Default 1.
    pub fn set_gateway_shards(&self, n: u64) {
        self.inner.lock().gateway_shards = n;
    }

    /// The first IDENTIFY's `d` (token, intents, shard, properties...). Panics on timeout.
    pub async fn wait_identify(&self, timeout: Duration) -> Value {
        self.wait_identifies(1, timeout).await.remove(0)
    }

    /// The first `n` IDENTIFY payloads (`d`), e.g. one per shard. Panics on timeout.
    pub async fn wait_identifies(&self, n: usize, timeout: Duration) -> Vec<Value> {
        match self.inner.wait_for(timeout, |st| (st.identifies.len() >= n).then(|| st.identifies[..n].to_vec())).await {
            Some(v) => v,
            None => panic!(
                "mock discord: expected {n} IDENTIFY within {timeout:?}, got {:?}; gateway connections: {}",
                self.identifies(),
                self.connections()
            ),
        }
    }

    /// All IDENTIFY payloads (`d`) so far.
    pub fn identifies(&self) -> Vec<Value> {
        self.inner.lock().identifies.clone()
    }

    /// Every gateway message the client sent (full `{op, d}` objects), including heartbeats.
    pub fn gateway_messages(&self) -> Vec<Value> {
        self.inner.lock().gateway_messages.clone()
    }

    /// Sends dispatch `event` (op 0, next sequence number) on shard 0's live connection (or the
    /// connection without shard info), waiting up to [`DEFAULT_WAIT`] for it to have been sent READY.
    pub async fn dispatch(&self, event: &str, data: Value) {
        self.dispatch_to_shard(0, event, data).await
    }

    /// Like [`Self::dispatch`] but to the connection that identified as `shard` (`[shard, total]`).
    pub async fn dispatch_to_shard(&self, shard: u64, event: &str, data: Value) {
        let mut data = Some(data);
        let sent = self
            .inner
            .wait_for(DEFAULT_WAIT, |st| {
                // The most recent open, READY connection of that shard (shard-less counts as 0).
                let c =
                    st.conns.iter_mut().rev().find(|c| c.open && c.ready && c.shard.map_or(0, |s| s[0]) == shard)?;
                c.seq += 1;
                let msg = json!({ "op": 0, "s": c.seq, "t": event, "d": data.take() });
                c.tx.send(Outgoing::Text(msg.to_string())).ok()
            })
            .await;
        assert!(
            sent.is_some(),
            "mock discord: no READY gateway connection for shard {shard} within {DEFAULT_WAIT:?} \
             (connections seen: {}); is the client started?",
            self.connections()
        );
    }

    /// Waits until at least `n` REST requests match `pred` and returns all matching ones so far
    /// (e.g. the second message sent to a channel). Panics on timeout with a dump.
    pub async fn wait_requests(&self, n: usize, timeout: Duration, pred: impl Fn(&Recorded) -> bool) -> Vec<Recorded> {
        let found = self
            .inner
            .wait_for(timeout, |st| {
                let v: Vec<Recorded> = st.requests.iter().filter(|r| pred(r)).cloned().collect();
                (v.len() >= n).then_some(v)
            })
            .await;
        match found {
            Some(v) => v,
            None => panic!(
                "mock discord: fewer than {n} matching REST requests within {timeout:?}; recorded:\n{}",
                dump(&self.requests())
            ),
        }
    }

    /// All REST requests so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().requests.clone()
    }

    /// Waits for a REST request matching `pred` (already received or future) and returns the
    /// first such. Panics on timeout with a dump of every recorded request.
    pub async fn wait_request(&self, timeout: Duration, pred: impl Fn(&Recorded) -> bool) -> Recorded {
        match self.inner.wait_for(timeout, |st| st.requests.iter().find(|r| pred(r)).cloned()).await {
            Some(r) => r,
            None => panic!(
                "mock discord: no matching REST request within {timeout:?}; recorded:\n{}",
                dump(&self.requests())
            ),
        }
    }

    /// Number of gateway WebSocket connections accepted so far (open or closed).
    pub fn connections(&self) -> usize {
        self.inner.lock().conns.len()
    }

    /// Number of gateway connections currently open.
    pub fn open_connections(&self) -> usize {
        self.inner.lock().conns.iter().filter(|c| c.open).count()
    }

    /// Close codes of Close frames the client sent (None for a close without code).
    /// `shard_manager.shutdown_all()` sends 1000 per shard.
    pub fn client_close_codes(&self) -> Vec<Option<u16>> {
        self.inner.lock().client_close_codes.clone()
    }

    /// Waits until at least one connection was seen and none is open (e.g. after the bot shut down).
    /// Panics on timeout.
    pub async fn wait_disconnected(&self, timeout: Duration) {
        if self
            .inner
            .wait_for(timeout, |st| (!st.conns.is_empty() && st.conns.iter().all(|c| !c.open)).then_some(()))
            .await
            .is_none()
        {
            panic!("mock discord: {} gateway connection(s) still open after {timeout:?}", self.open_connections());
        }
    }

    /// Server-side close of every open gateway connection with `code`, waiting (10 s) until they
    /// are closed. 4004 (authentication failed) is fatal for serenity: `client.start()` returns
    /// `Err`. 1000/4000 make serenity reconnect and RESUME (this mock answers RESUMED).
    pub async fn close_gateway(&self, code: u16) {
        let ids: Vec<usize> = {
            let st = self.inner.lock();
            st.conns
                .iter()
                .filter(|c| c.open)
                .filter(|c| c.tx.send(Outgoing::Close(code)).is_ok())
                .map(|c| c.id)
                .collect()
        };
        let closed =
            self.inner.wait_for(DEFAULT_WAIT, |st| ids.iter().all(|id| !st.conns[*id].open).then_some(())).await;
        assert!(closed.is_some(), "mock discord: gateway connections {ids:?} did not close");
    }

    /// Holds the next REST request whose method is `method` and whose route starts with
    /// `route_prefix`: it is recorded at once (so `wait_request` sees it) but answered only after
    /// [`Held::release`]. The client waits meanwhile, as for a slow Discord.
    pub fn hold_next(&self, method: &str, route_prefix: &str) -> Held {
        let release = Arc::new(Notify::new());
        self.inner.lock().holds.push(Hold {
            method: method.to_uppercase(),
            route_prefix: route_prefix.to_string(),
            release: release.clone(),
        });
        Held(release)
    }

    /// From now on, IDENTIFY is recorded but never answered with READY.
    pub fn silence_identify(&self) {
        self.inner.lock().silent_identify = true;
    }

    /// Sends INVALID_SESSION (op 9, `d` = `resumable`) on every open connection, as Discord does
    /// when a session ends on its side; the client must IDENTIFY (or RESUME) again.
    pub fn invalidate_sessions(&self, resumable: bool) {
        let st = self.inner.lock();
        for c in st.conns.iter().filter(|c| c.open) {
            let _ = c.tx.send(Outgoing::Text(json!({ "op": 9, "s": null, "t": null, "d": resumable }).to_string()));
        }
    }

    /// Makes the next REST request whose method is `method` and whose route (path after
    /// `/api/v10`) starts with `route_prefix` fail with `status` and `body`, once.
    pub fn fail_next(&self, method: &str, route_prefix: &str, status: u16, body: Value) {
        self.inner.lock().failures.push(Failure {
            method: method.to_uppercase(),
            route_prefix: route_prefix.to_string(),
            status,
            body,
        });
    }
}

fn dump(reqs: &[Recorded]) -> String {
    if reqs.is_empty() {
        return "  (none)".into();
    }
    reqs.iter()
        .map(|r| {
            let q = if r.query.is_empty() { String::new() } else { format!("?{}", r.query) };
            format!("  {} {}{} {}", r.method, r.path, q, r.body)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------------
// Payload helpers
// ---------------------------------------------------------------------------------------------

/// The bot user object.
pub fn bot_user() -> Value {
    json!({
        "id": BOT_USER_ID.to_string(), "username": BOT_USERNAME, "discriminator": "0",
        "global_name": null, "avatar": null, "bot": true, "verified": true, "mfa_enabled": false, "flags": 0
    })
}

/// A (human) user object.
pub fn user(id: u64, name: &str) -> Value {
    json!({ "id": id.to_string(), "username": name, "discriminator": "0", "global_name": null, "avatar": null })
}

/// READY `d`: bot user, one unavailable guild, `application {id, flags}`; `shard` if given.
pub fn ready_payload(shard: Option<Value>, session_id: &str, resume_url: &str) -> Value {
    let mut d = json!({
        "v": 10,
        "user": bot_user(),
        "guilds": [{ "id": GUILD_ID.to_string(), "unavailable": true }],
        "session_id": session_id,
        "resume_gateway_url": resume_url,
        "application": { "id": APP_ID.to_string(), "flags": 0 }
    });
    if let Some(s) = shard.filter(|s| !s.is_null()) {
        d["shard"] = s;
    }
    d
}

fn interaction_base(id: u64, kind: u8, name: &str, options: Value) -> Value {
    json!({
        "id": id.to_string(),
        "application_id": APP_ID.to_string(),
        "type": kind,
        "data": { "id": (400000000000000000u64 + id % 1000).to_string(), "name": name, "type": 1, "options": options },
        "channel_id": CHANNEL_ID.to_string(),
        "token": format!("itoken-{id}"),
        "version": 1,
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": 8388608,
        "app_permissions": "0"
    })
}

/// Guild slash-command INTERACTION_CREATE data (type 2) in [`GUILD_ID`]/[`CHANNEL_ID`], token
/// `itoken-{id}`, from member `user_id` whose permission bits are `permissions`.
/// `options`: e.g. `json!([{"name":"question","type":3,"value":"hi"}])`.
pub fn slash_interaction(id: u64, name: &str, options: Value, user_id: u64, permissions: u64) -> Value {
    let mut d = interaction_base(id, 2, name, options);
    d["guild_id"] = json!(GUILD_ID.to_string());
    d["guild_locale"] = json!("en-US");
    d["context"] = json!(0);
    d["member"] = json!({
        "user": user(user_id, "alice"),
        "roles": [], "joined_at": "2025-01-01T00:00:00.000Z", "deaf": false, "mute": false, "flags": 0,
        "permissions": permissions.to_string()
    });
    d
}

/// Autocomplete INTERACTION_CREATE data (type 4) in the guild; mark the focused option with
/// `"focused": true` in `options` (if none is marked, the first one is).
pub fn autocomplete_interaction(id: u64, name: &str, options: Value, user_id: u64) -> Value {
    let mut options = options;
    if let Some(arr) = options.as_array_mut()
        && !arr.iter().any(|o| o["focused"] == json!(true))
        && let Some(first) = arr.first_mut()
    {
        first["focused"] = json!(true);
    }
    let mut d = slash_interaction(id, name, options, user_id, 0);
    d["type"] = json!(4);
    d
}

/// DM slash-command INTERACTION_CREATE data (type 2): `user` instead of `guild_id` + `member`.
pub fn dm_slash_interaction(id: u64, name: &str, options: Value, user_id: u64) -> Value {
    let mut d = interaction_base(id, 2, name, options);
    d["user"] = user(user_id, "alice");
    d["context"] = json!(1);
    d
}

/// MESSAGE_CREATE data from user `author_id` in `channel_id` (a guild message in [`GUILD_ID`]);
/// when `mentions_bot`, `mentions` contains the bot user (content is used as given: include
/// `<@BOT_USER_ID>` yourself if the bot parses it).
pub fn message_create(id: u64, channel_id: u64, author_id: u64, content: &str, mentions_bot: bool) -> Value {
    let mut m = message_object(id, channel_id, user(author_id, "alice"), content, json!([]), Value::Null);
    m["guild_id"] = json!(GUILD_ID.to_string());
    m["member"] =
        json!({ "roles": [], "joined_at": "2025-01-01T00:00:00.000Z", "deaf": false, "mute": false, "flags": 0 });
    if mentions_bot {
        m["mentions"] = json!([bot_user()]);
    }
    m
}

/// MESSAGE_CREATE data of a direct message (no `guild_id`).
pub fn dm_message_create(id: u64, channel_id: u64, author_id: u64, content: &str) -> Value {
    message_object(id, channel_id, user(author_id, "alice"), content, json!([]), Value::Null)
}

/// A message object with every field serenity's `Message` requires.
pub fn message_object(id: u64, channel_id: u64, author: Value, content: &str, embeds: Value, flags: Value) -> Value {
    let mut m = json!({
        "id": id.to_string(), "channel_id": channel_id.to_string(), "author": author,
        "content": content, "timestamp": TIMESTAMP, "edited_timestamp": null, "tts": false,
        "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": embeds, "pinned": false, "type": 0
    });
    if flags.is_u64() {
        m["flags"] = flags;
    }
    m
}

/// The guild member object of interaction helpers: user `user_id` with `permissions` bits.
fn interaction_member(user_id: u64, permissions: u64) -> Value {
    json!({
        "user": user(user_id, "alice"),
        "roles": [], "joined_at": "2025-01-01T00:00:00.000Z", "deaf": false, "mute": false, "flags": 0,
        "permissions": permissions.to_string()
    })
}

/// Guild button-press INTERACTION_CREATE data (MESSAGE_COMPONENT, type 3) in [`GUILD_ID`], token
/// `itoken-{id}`, from member `user_id` whose permission bits are `permissions`: `data` is
/// `{custom_id, component_type: 2}` and `message` the message the button was on (build it with
/// [`message_object`] and put the reply's `components` in it; serenity requires a full message).
/// `channel_id` is the message's, [`CHANNEL_ID`] if it has none.
pub fn component_interaction(id: u64, custom_id: &str, message: Value, user_id: u64, permissions: u64) -> Value {
    let mut d = interaction_base(id, 3, "", json!([]));
    d["data"] = json!({ "custom_id": custom_id, "component_type": 2 });
    if let Some(ch) = message.get("channel_id").filter(|c| c.is_string()) {
        d["channel_id"] = ch.clone();
    }
    d["message"] = message;
    d["guild_id"] = json!(GUILD_ID.to_string());
    d["guild_locale"] = json!("en-US");
    d["context"] = json!(0);
    d["member"] = interaction_member(user_id, permissions);
    d
}

/// Guild form-submit INTERACTION_CREATE data (MODAL_SUBMIT, type 5) in [`GUILD_ID`]/[`CHANNEL_ID`],
/// token `itoken-{id}`, from member `user_id` (no permissions): `data` is the modal's `custom_id`
/// and one action row per `(field custom_id, value)`, each holding one text input (type 4).
pub fn modal_submit_interaction(id: u64, custom_id: &str, fields: &[(&str, &str)], user_id: u64) -> Value {
    let mut d = interaction_base(id, 5, "", json!([]));
    let rows: Vec<Value> = fields
        .iter()
        .map(|(f, v)| json!({ "type": 1, "components": [{ "type": 4, "custom_id": f, "value": v }] }))
        .collect();
    d["data"] = json!({ "custom_id": custom_id, "components": rows });
    d["guild_id"] = json!(GUILD_ID.to_string());
    d["guild_locale"] = json!("en-US");
    d["context"] = json!(0);
    d["member"] = interaction_member(user_id, 0);
    d
}

/// A public thread (channel type 11) in [`GUILD_ID`] under `parent_id`, owned by the bot, open
/// (not archived or locked): what `POST channels/{ch}/messages/{mid}/threads` returns, and the `d`
/// of a THREAD_CREATE event (a forum post is such a thread whose parent is the forum channel).
pub fn thread_channel(id: u64, parent_id: u64, name: &str) -> Value {
    json!({
        "id": id.to_string(), "type": 11, "guild_id": GUILD_ID.to_string(), "parent_id": parent_id.to_string(),
        "name": name, "owner_id": BOT_USER_ID.to_string(), "last_message_id": null, "rate_limit_per_user": 0,
        "flags": 0, "member_count": 1, "message_count": 0, "total_message_sent": 0,
        "thread_metadata": {
            "archived": false, "auto_archive_duration": 1440, "archive_timestamp": TIMESTAMP,
            "locked": false, "create_timestamp": TIMESTAMP
        }
    })
}

fn application_info() -> Value {
    json!({
        "id": APP_ID.to_string(), "name": BOT_USERNAME, "icon": null, "description": "mock application",
        "rpc_origins": [], "bot_public": false, "bot_require_code_grant": false,
        "owner": user(OWNER_USER_ID, "owner"), "verify_key": "00".repeat(32), "team": null, "flags": 0,
        "bot": bot_user()
    })
}

// ---------------------------------------------------------------------------------------------
// Gateway
// ---------------------------------------------------------------------------------------------

async fn ws_handler(State(inner): State<Arc<Inner>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| gateway_conn(inner, socket))
}

async fn gateway_conn(inner: Arc<Inner>, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = {
        let mut st = inner.lock();
        let id = st.conns.len();
        st.conns.push(Conn { id, tx, open: true, ready: false, seq: 0, shard: None, session: None });
        id
    };
    inner.changed.notify_waiters();
    let hello = json!({ "op": 10, "s": null, "t": null, "d": { "heartbeat_interval": HEARTBEAT_INTERVAL_MS } });
    let mut alive = socket.send(Message::Text(hello.to_string().into())).await.is_ok();
    let mut closing = false;
    while alive {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                    for reply in on_gateway_message(&inner, id, v) {
                        if socket.send(Message::Text(reply.into())).await.is_err() { alive = false; }
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    if !closing {
                        // Client-initiated (not the echo of a close this mock sent).
                        inner.lock().client_close_codes.push(frame.map(|f| f.code));
                    }
                    mark_closed(&inner, id);
                    closing = true; // keep reading: the library sends the Close reply, then the stream ends
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => alive = false,
            },
            out = rx.recv(), if !closing => match out {
                Some(Outgoing::Text(s)) => {
                    if socket.send(Message::Text(s.into())).await.is_err() { alive = false; }
                }
                Some(Outgoing::Close(code)) => {
                    let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: "mock close".into() }))).await;
                    mark_closed(&inner, id);
                    closing = true;
                }
                None => alive = false,
            },
        }
    }
    mark_closed(&inner, id);
}

fn mark_closed(inner: &Inner, id: usize) {
    let changed = {
        let mut st = inner.lock();
        let c = &mut st.conns[id];
        std::mem::replace(&mut c.open, false)
    };
    if changed {
        inner.changed.notify_waiters();
    }
}

/// Handles one client gateway message; returns the texts to send back on this connection.
fn on_gateway_message(inner: &Inner, id: usize, v: Value) -> Vec<String> {
    let op = v.get("op").and_then(Value::as_u64);
    let d = v.get("d").cloned().unwrap_or(Value::Null);
    let mut out = Vec::new();
    {
        let mut st = inner.lock();
        st.gateway_messages.push(v);
        match op {
            Some(1) => out.push(json!({ "op": 11, "s": null, "t": null, "d": null }).to_string()),
            Some(2) if st.silent_identify => {
                st.identifies.push(d);
            }
            Some(2) => {
                let shard = d.get("shard").cloned().filter(|s| !s.is_null());
                let session = format!("mock-session-{id}");
                st.identifies.push(d);
                let shard_arr = shard.as_ref().and_then(shard_pair);
                st.sessions.insert(session.clone(), shard_arr);
                let c = &mut st.conns[id];
                c.shard = shard_arr;
                c.session = Some(session.clone());
                c.seq = 1;
                c.ready = true;
                let ready = ready_payload(shard, &session, &inner.ws_url());
                out.push(json!({ "op": 0, "s": 1, "t": "READY", "d": ready }).to_string());
            }
            Some(6) => {
                let session = d.get("session_id").and_then(Value::as_str).unwrap_or_default().to_string();
                match st.sessions.get(&session).copied() {
                    Some(shard) => {
                        let seq = d.get("seq").and_then(Value::as_u64).unwrap_or(0) + 1;
                        let c = &mut st.conns[id];
                        c.shard = shard;
                        c.session = Some(session);
                        c.seq = seq;
                        c.ready = true;
                        out.push(json!({ "op": 0, "s": seq, "t": "RESUMED", "d": {} }).to_string());
                    }
                    None => out.push(json!({ "op": 9, "s": null, "t": null, "d": false }).to_string()),
                }
            }
            _ => {}
        }
    }
    inner.changed.notify_waiters();
    out
}

fn shard_pair(v: &Value) -> Option<[u64; 2]> {
    let a = v.as_array()?;
    Some([a.first()?.as_u64()?, a.get(1)?.as_u64()?])
}

// ---------------------------------------------------------------------------------------------
// REST
// ---------------------------------------------------------------------------------------------

async fn rest_handler(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (body_json, files) = parse_body(&content_type, &body);
    let rec = Recorded {
        method: method.as_str().to_string(),
        path: uri.path().to_string(),
        query: uri.query().unwrap_or("").to_string(),
        body: body_json,
        files,
        authorization: headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string),
    };
    let failure = {
        let mut st = inner.lock();
        st.requests.push(rec.clone());
        let pos = st.failures.iter().position(|f| f.method == rec.method && rec.route().starts_with(&f.route_prefix));
        let failure = pos.map(|i| st.failures.remove(i));
        let pos = st.holds.iter().position(|h| h.method == rec.method && rec.route().starts_with(&h.route_prefix));
        (failure, pos.map(|i| st.holds.remove(i).release))
    };
    inner.changed.notify_waiters();
    let (failure, hold) = failure;
    if let Some(release) = hold {
        release.notified().await;
    }
    if let Some(f) = failure {
        let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (status, axum::Json(f.body)).into_response();
    }
    route(&inner, &rec)
}

fn ok(v: Value) -> Response {
    axum::Json(v).into_response()
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

fn route(inner: &Inner, rec: &Recorded) -> Response {
    let segs: Vec<&str> = rec.route().trim_matches('/').split('/').collect();
    let m = rec.method.as_str();
    match (m, segs.as_slice()) {
        ("GET", ["gateway"]) => ok(json!({ "url": inner.ws_url() })),
        ("GET", ["gateway", "bot"]) => {
            let shards = inner.lock().gateway_shards;
            ok(json!({
                "url": inner.ws_url(), "shards": shards,
                "session_start_limit": { "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1 }
            }))
        }
        ("GET", ["users", "@me"]) => ok(bot_user()),
        ("GET", ["oauth2", "applications", "@me"]) => ok(application_info()),
        ("PUT", ["applications", app, "commands"]) => ok(put_commands(inner, app, None, &rec.body)),
        ("PUT", ["applications", app, "guilds", g, "commands"]) => ok(put_commands(inner, app, Some(g), &rec.body)),
        ("GET", ["applications", _, "commands"]) => ok(get_commands(inner, None)),
        ("GET", ["applications", _, "guilds", g, "commands"]) => ok(get_commands(inner, Some(g))),
        ("POST", ["applications", app, "commands"]) => ok(post_command(inner, app, None, &rec.body)),
        ("POST", ["applications", app, "guilds", g, "commands"]) => ok(post_command(inner, app, Some(g), &rec.body)),
        ("POST", ["interactions", _, _, "callback"]) => no_content(),
        ("POST", ["webhooks", app, _]) => ok(webhook_message(inner, app, &rec.body)),
        ("GET" | "PATCH", ["webhooks", app, _, "messages", _]) => ok(webhook_message(inner, app, &rec.body)),
        ("DELETE", ["webhooks", _, _, "messages", _]) => no_content(),
        ("POST", ["channels", ch, "messages"]) => ok(channel_message(inner, ch, None, &rec.body)),
        ("PATCH", ["channels", ch, "messages", mid]) => ok(channel_message(inner, ch, Some(mid), &rec.body)),
        ("DELETE", ["channels", _, "messages", _]) => no_content(),
        ("POST", ["channels", ch, "messages", mid, "threads"]) => {
            let name = rec.body.get("name").and_then(Value::as_str).unwrap_or("thread");
            ok(thread_channel(parse_id(mid, 0), parse_id(ch, CHANNEL_ID), name))
        }
        ("POST", ["channels", _, "typing"]) => no_content(),
        ("PUT" | "DELETE", ["channels", _, "messages", _, "reactions", ..]) => no_content(),
        _ => (StatusCode::NOT_FOUND, axum::Json(json!({ "message": "Unknown route", "code": 0 }))).into_response(),
    }
}

fn parse_id(s: &str, default: u64) -> u64 {
    s.parse().unwrap_or(default)
}

fn command_echo(inner: &Inner, app: &str, guild: Option<&str>, c: &Value) -> Value {
    let mut out = json!({
        "id": inner.next_id().to_string(),
        "type": c.get("type").cloned().unwrap_or(json!(1)),
        "application_id": app,
        "name": c.get("name").cloned().unwrap_or(json!("")),
        "description": c.get("description").cloned().unwrap_or(json!("")),
        "version": inner.next_id().to_string(),
        "options": c.get("options").cloned().unwrap_or(json!([])),
        "default_member_permissions": c.get("default_member_permissions").cloned().unwrap_or(Value::Null),
        "nsfw": c.get("nsfw").cloned().unwrap_or(json!(false)),
    });
    if let Some(g) = guild {
        out["guild_id"] = json!(g);
    }
    for k in ["name_localizations", "description_localizations", "dm_permission", "contexts", "integration_types"] {
        if let Some(v) = c.get(k) {
            out[k] = v.clone();
        }
    }
    out
}

fn put_commands(inner: &Inner, app: &str, guild: Option<&str>, body: &Value) -> Value {
    let cmds: Vec<Value> =
        body.as_array().map(|a| a.iter().map(|c| command_echo(inner, app, guild, c)).collect()).unwrap_or_default();
    inner.lock().commands.insert(guild.map(str::to_string), cmds.clone());
    Value::Array(cmds)
}

fn post_command(inner: &Inner, app: &str, guild: Option<&str>, body: &Value) -> Value {
    let cmd = command_echo(inner, app, guild, body);
    let mut st = inner.lock();
    let list = st.commands.entry(guild.map(str::to_string)).or_default();
    list.retain(|c| c.get("name") != cmd.get("name"));
    list.push(cmd.clone());
    cmd
}

fn get_commands(inner: &Inner, guild: Option<&str>) -> Value {
    Value::Array(inner.lock().commands.get(&guild.map(str::to_string)).cloned().unwrap_or_default())
}

fn echo_fields(body: &Value) -> (String, Value, Value) {
    let content = body.get("content").and_then(Value::as_str).unwrap_or("").to_string();
    let mut embeds = body.get("embeds").cloned().filter(Value::is_array).unwrap_or(json!([]));
    for e in embeds.as_array_mut().into_iter().flatten() {
        if e.is_object() && e.get("type").is_none() {
            e["type"] = json!("rich");
        }
    }
    (content, embeds, body.get("flags").cloned().unwrap_or(Value::Null))
}

fn webhook_message(inner: &Inner, app: &str, body: &Value) -> Value {
    let (content, embeds, flags) = echo_fields(body);
    let mut m = message_object(inner.next_id(), CHANNEL_ID, bot_user(), &content, embeds, flags);
    m["webhook_id"] = json!(app);
    m["application_id"] = json!(app);
    m
}

fn channel_message(inner: &Inner, ch: &str, mid: Option<&str>, body: &Value) -> Value {
    let (content, embeds, flags) = echo_fields(body);
    let id = mid.map(|m| parse_id(m, 0)).filter(|&m| m != 0).unwrap_or_else(|| inner.next_id());
    message_object(id, parse_id(ch, CHANNEL_ID), bot_user(), &content, embeds, flags)
}

/// JSON body, or for multipart/form-data the `payload_json` part plus the file parts.
fn parse_body(content_type: &str, body: &[u8]) -> (Value, Vec<RecordedFile>) {
    if let Some(boundary) = content_type
        .strip_prefix("multipart/form-data")
        .and_then(|rest| rest.split(';').map(str::trim).find_map(|p| p.strip_prefix("boundary=")))
    {
        let boundary = boundary.trim_matches('"');
        let mut payload = Value::Null;
        let mut files = Vec::new();
        for part in multipart_parts(body, boundary) {
            if part.0 == "payload_json" {
                payload = serde_json::from_slice(&part.2).unwrap_or(Value::Null);
            } else {
                files.push(RecordedFile { field: part.0, filename: part.1, data: part.2 });
            }
        }
        return (payload, files);
    }
    (serde_json::from_slice(body).unwrap_or(Value::Null), Vec::new())
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..].windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// (field name, filename, data) of each part.
fn multipart_parts(body: &[u8], boundary: &str) -> Vec<(String, Option<String>, Vec<u8>)> {
    let delim = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let Some(mut pos) = find(body, &delim, 0) else {
        return parts;
    };
    loop {
        let start = pos + delim.len();
        if body[start..].starts_with(b"--") {
            break; // closing delimiter
        }
        let Some(next) = find(body, &delim, start) else {
            break;
        };
        let part = &body[start..next];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        if let Some(h_end) = find(part, b"\r\n\r\n", 0) {
            let head = String::from_utf8_lossy(&part[..h_end]).to_string();
            let data = part[h_end + 4..].to_vec();
            // Content-Disposition parameters; `name=` must not match inside `filename=`.
            let param = |key: &str| {
                let pat = format!("{key}=\"");
                head.split([';', '\r', '\n']).map(str::trim).find_map(|p| {
                    let rest = p.strip_prefix(&pat)?;
                    Some(rest[..rest.find('"')?].to_string())
                })
            };
            let name = param("name").unwrap_or_default();
            parts.push((name, param("filename"), data));
        }
        pos = next;
    }
    parts
}
