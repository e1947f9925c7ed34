//! The HTTP interactions endpoint, on 127.0.0.1: requests signed in the test with ed25519-dalek,
//! the same commands, buttons and forms as the gateway, the deferred path completing through the
//! mock Discord's webhook route (reached through `api_proxy`), signature failures refused and
//! counted, `/readyz` before the index is loaded, and the binary serving HTTP only.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ed25519_dalek::{Signer, SigningKey};
use productbot::config::Config;
use serde_json::{Value, json};
use support::bot::{ALICE, BOB, MANAGE_GUILD, Site, T, assert_valid_message, is_ephemeral};
use support::mock_discord::{
    APP_ID, MockDiscord, autocomplete_interaction, component_interaction, dm_slash_interaction, slash_interaction,
};
use tokio::sync::oneshot;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

type Serving = tokio::task::JoinHandle<anyhow::Result<()>>;

/// Runs `serve_on` with the HTTP endpoint on a free port of 127.0.0.1: its address, the shutdown
/// trigger and the serve task.
async fn spawn_serve(config: Config) -> (SocketAddr, oneshot::Sender<()>, Serving) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let serve = tokio::spawn(productbot::app::serve_on(
        config,
        async move {
            let _ = rx.await;
        },
        Some(listener),
    ));
    (addr, tx, serve)
}

/// A bot serving HTTP only (no gateway), its REST calls going to the mock.
struct HttpBot {
    addr: SocketAddr,
    mock: MockDiscord,
    site: Site,
    client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    serve: Serving,
}

impl HttpBot {
    async fn start(extra: &str) -> HttpBot {
        HttpBot::start_with_env(extra, &[]).await
    }

    /// With `PRODUCTBOT__...` variables (the `[http]` table is the test's own).
    async fn start_with_env(extra: &str, vars: &[(&str, &str)]) -> HttpBot {
        HttpBot::start_in(HttpBot::site(extra), vars).await
    }

    /// The site of an HTTP-only bot, with `extra` config.
    fn site(extra: &str) -> Site {
        Site::new(&format!("[discord]\ngateway = false\n[http]\nlisten = \"127.0.0.1:0\"\n{extra}\n"))
    }

    /// Starts on a site the test has set up.
    async fn start_in(site: Site, vars: &[(&str, &str)]) -> HttpBot {
        let mock = MockDiscord::start().await;
        let mut env = vec![
            ("DISCORD_PUBLIC_KEY".to_owned(), hex(key().verifying_key().as_bytes())),
            ("PRODUCTBOT__DISCORD__API_PROXY".to_owned(), mock.http_base()),
        ];
        env.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let config = Config::load_with_env(Some(&site.config_file), env).unwrap();
        let (addr, tx, serve) = spawn_serve(config).await;
        let bot = HttpBot { addr, mock, site, client: reqwest::Client::new(), shutdown: Some(tx), serve };
        bot.wait_ready().await;
        bot
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self.get("/readyz").await.0 == 200 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("never ready");
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = self.client.get(format!("http://{}{path}", self.addr)).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Posts `body` with the given signature headers (`None`: header left out).
    async fn post_raw(&self, body: &[u8], signature: Option<String>, timestamp: Option<String>) -> (u16, Value) {
        let mut req = self.client.post(format!("http://{}/interactions", self.addr)).body(body.to_vec());
        if let Some(s) = signature {
            req = req.header("X-Signature-Ed25519", s);
        }
        if let Some(t) = timestamp {
            req = req.header("X-Signature-Timestamp", t);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// Posts an interaction signed as Discord signs it.
    async fn post(&self, interaction: &Value) -> (u16, Value) {
        let body = serde_json::to_vec(interaction).unwrap();
        let ts = now().to_string();
        let sig = sign(&key(), &ts, &body);
        self.post_raw(&body, Some(sig), Some(ts)).await
    }

    async fn metric_owned(&self, name: String) -> f64 {
        self.metric(&name).await
    }

    async fn metric(&self, name: &str) -> f64 {
        let (_, text) = self.get("/metrics").await;
        text.lines()
            .filter(|l| l.starts_with(name) && !l.starts_with('#'))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    async fn stop(mut self) -> anyhow::Result<()> {
        let _ = self.shutdown.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(20), &mut self.serve).await.expect("stopped").unwrap()
    }
}

fn sign(key: &SigningKey, ts: &str, body: &[u8]) -> String {
    hex(&key.sign(&[ts.as_bytes(), body].concat()).to_bytes())
}

fn ping() -> Value {
    json!({ "id": "1", "application_id": APP_ID.to_string(), "type": 1, "token": "t", "version": 1 })
}

fn ask(id: u64, user: u64, q: &str) -> Value {
    slash_interaction(id, "ask", json!([{"name": "question", "type": 3, "value": q}]), user, 0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_is_answered_and_bad_signatures_are_refused_and_counted() {
    let bot = HttpBot::start("").await;
    let (status, body) = bot.post(&ping()).await;
    assert_eq!((status, body), (200, json!({"type": 1})));

    let before = bot.metric("productbot_signature_failures_total").await;
    let body = serde_json::to_vec(&ping()).unwrap();
    let ts = now().to_string();
    let good = sign(&key(), &ts, &body);
    // (what, body, signature header, timestamp header)
    type Case<'a> = (&'a str, Vec<u8>, Option<String>, Option<String>);
    let cases: Vec<Case> = vec![
        ("wrong signature", body.clone(), Some("00".repeat(64)), Some(ts.clone())),
        ("wrong key", body.clone(), Some(sign(&SigningKey::from_bytes(&[9u8; 32]), &ts, &body)), Some(ts.clone())),
        ("body changed after signing", [&body[..], b" "].concat(), Some(good.clone()), Some(ts.clone())),
        ("signed timestamp changed", body.clone(), Some(good.clone()), Some((now() + 1).to_string())),
        (
            "old timestamp",
            body.clone(),
            {
                let old = (now() - 600).to_string();
                Some(sign(&key(), &old, &body))
            },
            Some((now() - 600).to_string()),
        ),
        ("missing signature", body.clone(), None, Some(ts.clone())),
        ("missing timestamp", body.clone(), Some(good.clone()), None),
        ("garbage signature", body.clone(), Some("not hex".into()), Some(ts.clone())),
    ];
    let n = cases.len() as f64;
    for (name, body, sig, ts) in cases {
        let (status, _) = bot.post_raw(&body, sig, ts).await;
        assert_eq!(status, 401, "{name}");
    }
    assert_eq!(bot.metric("productbot_signature_failures_total").await - before, n);
    // A signed request that is not an interaction is a 400, not a crash.
    let junk = b"{\"type\": 77}";
    let ts = now().to_string();
    assert_eq!(bot.post_raw(junk, Some(sign(&key(), &ts, junk)), Some(ts)).await.0, 400);
    assert_eq!(bot.get("/healthz").await.0, 200);
    assert!(bot.stop().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_autocomplete_buttons_and_forms_answer_in_the_response() {
    let bot = HttpBot::start("").await;
    let (status, r) = bot.post(&ask(11, ALICE, "does the api have memory?")).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["type"], 4);
    assert_valid_message(&r["data"]);
    assert_eq!(r["data"]["embeds"][0]["title"], "No. The API does not offer memory.");
    let buttons: Vec<String> = r["data"]["components"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["custom_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(buttons.len(), 3, "{buttons:?}");
    assert!(buttons[0].starts_with("vote:") && buttons[0].split(':').nth(2) == Some("1"), "{buttons:?}");
    assert!(buttons[2].starts_with(&format!("remove:{ALICE}:")), "{buttons:?}");

    // Autocomplete over HTTP.
    let (status, r) = bot
        .post(&autocomplete_interaction(12, "feature", json!([{"name": "name", "type": 3, "value": "mem"}]), ALICE))
        .await;
    assert_eq!((status, r["type"].clone()), (200, json!(8)), "{r}");
    assert!(r["data"]["choices"].as_array().unwrap().iter().any(|c| c["value"] == "memory"), "{r}");

    // A 👍 press: an ephemeral thank-you; a 👎: the form; the form's answer: a thank-you.
    let message = json!({
        "id": "900000000000000001", "channel_id": "100", "author": support::mock_discord::bot_user(),
        "content": "", "timestamp": "2026-01-01T00:00:00.000Z", "edited_timestamp": null, "tts": false,
        "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
        "pinned": false, "type": 0
    });
    let (status, r) = bot.post(&component_interaction(13, &buttons[0], message.clone(), BOB, 0)).await;
    assert_eq!((status, r["type"].clone()), (200, json!(4)), "{r}");
    assert!(is_ephemeral(&r["data"]));
    let (_, r) = bot.post(&component_interaction(14, &buttons[1], message.clone(), BOB, 0)).await;
    assert_eq!(r["type"], 9, "{r}");
    let form = support::mock_discord::modal_submit_interaction(15, &buttons[1], &[("comment", "webhooks")], BOB);
    let (_, r) = bot.post(&form).await;
    assert_eq!(r["type"], 4, "{r}");
    assert!(is_ephemeral(&r["data"]));
    // 🗑 by someone else is refused in the response; nothing is deleted.
    let (_, r) = bot.post(&component_interaction(16, &buttons[2], message.clone(), BOB, 0)).await;
    assert_eq!(r["type"], 4);
    assert!(is_ephemeral(&r["data"]) && r["data"]["embeds"][0]["description"].as_str().unwrap().contains("Only"));
    // 🗑 by the asker: acknowledged in the response, the message deleted afterwards (no bot token
    // here: through the interaction's webhook, with no Authorization header at all).
    let (_, r) = bot.post(&component_interaction(17, &buttons[2], message.clone(), ALICE, 0)).await;
    assert_eq!(r["type"], 6, "{r}");
    let delete =
        bot.mock.wait_request(T, |q| q.is("DELETE", &format!("/webhooks/{APP_ID}/itoken-17/messages/@original"))).await;
    assert_eq!(delete.authorization, None);
    assert!(bot.metric("productbot_interactions_total{outcome=\"ok\",type=\"component\"}").await >= 3.0);
    assert!(bot.metric("productbot_answers_total").await >= 1.0);
    assert!(bot.stop().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_command_is_deferred_at_once_and_completed_through_the_webhook() {
    let bot = HttpBot::start("").await;
    let started = Instant::now();
    let (status, r) = bot.post(&slash_interaction(21, "reindex", json!([]), ALICE, MANAGE_GUILD)).await;
    let took = started.elapsed();
    assert_eq!((status, r["type"].clone()), (200, json!(5)), "{r}");
    assert!(is_ephemeral(&r["data"]));
    assert!(took < Duration::from_secs(3), "deferred in {took:?}");
    let edit =
        bot.mock.wait_request(T, |q| q.is("PATCH", &format!("/webhooks/{APP_ID}/itoken-21/messages/@original"))).await;
    assert_valid_message(&edit.body);
    assert_eq!(edit.body["embeds"][0]["title"], "Re-indexed");
    // With no bot token, webhook calls carry no `Authorization: Bot ` with nothing after it.
    assert_eq!(edit.authorization, None, "{:?}", edit.authorization);
    // A member without Manage Server is refused at once, in the response.
    let (_, r) = bot.post(&slash_interaction(22, "reindex", json!([]), BOB, 0)).await;
    assert_eq!(r["type"], 4);
    assert!(is_ephemeral(&r["data"]));
    assert!(bot.metric("productbot_reindex_total{outcome=\"ok\"}").await >= 1.0);
    assert!(bot.stop().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_reindex_counts_as_refused_not_as_failed() {
    let bot = HttpBot::start("").await;
    let metric = |outcome: &'static str| bot.metric_owned(format!("productbot_reindex_total{{outcome=\"{outcome}\"}}"));
    let (refused, failed) = (metric("refused").await, metric("failed").await);
    let (_, r) = bot.post(&slash_interaction(23, "reindex", json!([]), BOB, 0)).await;
    assert_eq!(r["type"], 4, "{r}");
    // `failed` is what README says to alert on: a member without the permission must not move it.
    assert_eq!((metric("refused").await, metric("failed").await), (refused + 1.0, failed));
    assert!(bot.stop().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_says_503_until_the_index_is_loaded() {
    // A corpus big enough that building its index takes a while.
    let site = Site::new("[discord]\ngateway = false\n[http]\nlisten = \"127.0.0.1:0\"\n");
    let article = std::fs::read_to_string(site.dir.path().join("corpus/openai-api-vs-chatgpt.md")).unwrap();
    for i in 0..40 {
        let text = format!("# Extra document {i}\n\n{}", article.replace("# ", &format!("## Part {i} ")));
        std::fs::write(site.dir.path().join(format!("corpus/extra-{i}.md")), text).unwrap();
    }
    let env = vec![("DISCORD_PUBLIC_KEY".to_owned(), hex(key().verifying_key().as_bytes()))];
    let config = Config::load_with_env(Some(&site.config_file), env).unwrap();
    let (addr, tx, serve) = spawn_serve(config).await;
    let client = reqwest::Client::new();
    let status = |path: &'static str| {
        let client = client.clone();
        async move { client.get(format!("http://{addr}{path}")).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status("/readyz").await, 503);
    assert_eq!(status("/healthz").await, 200);
    let deadline = Instant::now() + Duration::from_secs(120);
    while status("/readyz").await != 200 {
        assert!(Instant::now() < deadline, "never ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = tx.send(());
    assert!(tokio::time::timeout(Duration::from_secs(20), serve).await.unwrap().unwrap().is_ok());
}

#[test]
fn a_bad_public_key_stops_start_up_naming_the_variable() {
    let site = Site::new("[discord]\ngateway = false\n[http]\nlisten = \"127.0.0.1:0\"\n");
    let rt = tokio::runtime::Runtime::new().unwrap();
    for (value, expect) in [(None, "DISCORD_PUBLIC_KEY is not"), (Some("abc"), "64 hexadecimal digits")] {
        let env: Vec<(String, String)> =
            value.map(|v| ("DISCORD_PUBLIC_KEY".to_owned(), v.to_owned())).into_iter().collect();
        let config = Config::load_with_env(Some(&site.config_file), env).unwrap();
        let e = rt.block_on(productbot::app::serve(config, std::future::pending())).unwrap_err().to_string();
        assert!(e.contains(expect), "{e}");
    }
    // HTTP off and the gateway off: refused at load.
    std::fs::write(&site.config_file, "[discord]\ngateway = false\n").unwrap();
    let e = Config::load_with_env(Some(&site.config_file), Vec::new()).unwrap_err().to_string();
    assert!(e.contains("discord.gateway") && e.contains("http"), "{e}");
}

#[test]
fn the_binary_serves_interactions_over_http_and_stops_on_sigterm() {
    use std::io::Read;
    let site = Site::new("[discord]\ngateway = false\n");
    // A free port: bound, read, released.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_productbot"))
        .args(["--config", site.config_file.to_str().unwrap(), "serve"])
        .env("PRODUCTBOT__HTTP__LISTEN", format!("127.0.0.1:{port}"))
        .env("DISCORD_PUBLIC_KEY", hex(key().verifying_key().as_bytes()))
        .env_remove("DISCORD_TOKEN")
        .env_remove("RUST_LOG")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.get(format!("{base}/readyz")).send().await
                && r.status() == 200
            {
                break;
            }
            assert!(Instant::now() < deadline, "the binary never became ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let body = serde_json::to_vec(&ask(31, ALICE, "can I fine-tune in chatgpt?")).unwrap();
        let ts = now().to_string();
        let r = client
            .post(format!("{base}/interactions"))
            .header("X-Signature-Ed25519", sign(&key(), &ts, &body))
            .header("X-Signature-Timestamp", ts)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert_eq!(v["type"], 4);
        assert!(v["data"]["embeds"][0]["title"].as_str().unwrap().contains("fine-tuning"), "{v}");
    });
    // SIGTERM: a clean exit.
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(status.success(), "{err}");
    assert!(err.contains("HTTP only"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: PRODUCTBOT_TEST_POSTGRES (.ci/run starts a server and runs these)"]
async fn serves_with_analytics_on_postgres() {
    // (Sync PostgreSQL clients run off the async workers, in the test as in the bot.)
    let url = tokio::task::spawn_blocking(support::postgres_database).await.unwrap();
    let bot = HttpBot::start(&format!("[analytics]\ndatabase = \"{url}\"\n")).await;
    let (status, r) = bot.post(&ask(41, ALICE, "does the api have memory?")).await;
    assert_eq!((status, r["type"].clone()), (200, json!(4)), "{r}");
    // The record goes through the writer's queue (and the writer migrates the database on its own
    // thread, which readiness does not wait for): wait until it is in the database.
    let count = {
        let url = url.clone();
        move || -> i64 {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            c.query_one("SELECT COUNT(*)::BIGINT FROM answers", &[]).map_or(0, |r| r.get(0))
        }
    };
    let deadline = Instant::now() + T;
    while tokio::task::spawn_blocking(count.clone()).await.unwrap() < 1 {
        assert!(Instant::now() < deadline, "the answer was never recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(tokio::task::spawn_blocking(count).await.unwrap(), 1);
    let (_, r) = bot.post(&slash_interaction(42, "stats", json!([]), ALICE, MANAGE_GUILD)).await;
    assert_eq!(r["type"], 5, "{r}");
    let edit =
        bot.mock.wait_request(T, |q| q.is("PATCH", &format!("/webhooks/{APP_ID}/itoken-42/messages/@original"))).await;
    let text = edit.body["embeds"][0]["description"].as_str().unwrap_or_default().to_owned();
    assert!(text.contains("**1** answers") && !text.contains(":productbot@"), "{text}");
    assert!(bot.stop().await.is_ok());
}

// ---- hostile clients and faults (issue 21) ----

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The status of the response on `stream`, waiting at most `within`; `None` when none came.
async fn status_of(stream: &mut TcpStream, within: Duration) -> Option<u16> {
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = buf.windows(2).position(|w| w == b"\r\n") {
                return String::from_utf8_lossy(&buf[..end]).split(' ').nth(1)?.parse().ok();
            }
        }
    };
    tokio::time::timeout(within, read).await.ok().flatten()
}

/// Whether the server closes `stream` within `within` (whatever it sends first).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let read = async {
        let mut chunk = [0u8; 1024];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, read).await.is_ok()
}

/// A connection that has sent `bytes`.
async fn raw(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(bytes).await.unwrap();
    c
}

/// Headers of a POST to /interactions declaring `length` bytes of body.
fn post_head(length: usize, signature: Option<(&str, &str)>) -> Vec<u8> {
    let mut h = format!(
        "POST /interactions HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n"
    );
    if let Some((sig, ts)) = signature {
        h.push_str(&format!("X-Signature-Ed25519: {sig}\r\nX-Signature-Timestamp: {ts}\r\n"));
    }
    h.push_str("\r\n");
    h.into_bytes()
}

/// A whole signed request for `interaction`, as bytes on the wire.
fn signed_request(interaction: &Value) -> Vec<u8> {
    let body = serde_json::to_vec(interaction).unwrap();
    let ts = now().to_string();
    let mut r = post_head(body.len(), Some((&sign(&key(), &ts, &body), &ts)));
    r.extend_from_slice(&body);
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_refused_on_their_headers_before_any_body_is_read() {
    let bot = HttpBot::start("").await;
    let (unsigned, too_large) = (
        bot.metric("productbot_signature_failures_total").await,
        bot.metric("productbot_interactions_total{outcome=\"too_large\"").await,
    );
    let fresh = now().to_string();
    let shaped = "ab".repeat(64);
    // (what, headers, status expected at once, with no body sent)
    let cases: [(&str, Vec<u8>, u16); 4] = [
        ("no signature headers", post_head(1_999_999, None), 401),
        ("a malformed signature", post_head(1_999_999, Some(("abc", &fresh))), 401),
        ("a stale timestamp", post_head(1_999_999, Some((&shaped, &(now() - 3600).to_string()))), 401),
        ("a body far over an interaction's", post_head(1_999_999, Some((&shaped, &fresh))), 413),
    ];
    for (what, head, want) in cases {
        let mut c = raw(bot.addr, &head).await;
        assert_eq!(status_of(&mut c, Duration::from_secs(3)).await, Some(want), "{what}");
    }
    // A body with no declared length is read only up to the limit.
    let mut c = raw(
        bot.addr,
        format!(
            "POST /interactions HTTP/1.1\r\nHost: bot\r\nTransfer-Encoding: chunked\r\nX-Signature-Ed25519: {shaped}\r\nX-Signature-Timestamp: {fresh}\r\n\r\n"
        )
        .as_bytes(),
    )
    .await;
    let chunk = format!("{:x}\r\n{}\r\n", 16 * 1024, "x".repeat(16 * 1024));
    for _ in 0..8 {
        if c.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    assert_eq!(status_of(&mut c, Duration::from_secs(3)).await, Some(413));
    // A body that never arrives in full is given up on (408) after the request timeout.
    let bot_quick = HttpBot::start_with_env("", &[("PRODUCTBOT__HTTP__TIMEOUT_S", "1")]).await;
    let mut c = raw(bot_quick.addr, &post_head(300, Some((&shaped, &fresh)))).await;
    c.write_all(&[b'{'; 100]).await.unwrap();
    assert_eq!(status_of(&mut c, Duration::from_secs(5)).await, Some(408));
    // Every refusal is counted; a signed request still goes through.
    assert!(bot.metric("productbot_signature_failures_total").await - unsigned >= 3.0);
    assert!(bot.metric("productbot_interactions_total{outcome=\"too_large\"").await - too_large >= 2.0);
    let mut c = raw(bot.addr, &signed_request(&ping())).await;
    assert_eq!(status_of(&mut c, Duration::from_secs(3)).await, Some(200));
    assert!(bot_quick.stop().await.is_ok());
    assert!(bot.stop().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn past_the_connection_cap_health_answers_interactions_get_503_and_idle_connections_close() {
    let bot = HttpBot::start_with_env(
        "",
        &[("PRODUCTBOT__HTTP__MAX_CONNECTIONS", "8"), ("PRODUCTBOT__HTTP__TIMEOUT_S", "2")],
    )
    .await;
    // The client's pooled connections from start-up are closed by the server's idle timeout.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (shed, refused) = (
        bot.metric("productbot_http_connections_shed_total").await,
        bot.metric("productbot_http_connections_refused_total").await,
    );
    let half = b"POST /interactions HTTP/1.1\r\nHost: bot\r\n";
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(raw(bot.addr, half).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Past the cap: health checks answer, interactions are turned away.
    let mut c = raw(bot.addr, b"GET /healthz HTTP/1.1\r\nHost: bot\r\n\r\n").await;
    assert_eq!(status_of(&mut c, Duration::from_secs(2)).await, Some(200), "/healthz past the cap");
    let mut c = raw(bot.addr, &signed_request(&ping())).await;
    assert_eq!(status_of(&mut c, Duration::from_secs(2)).await, Some(503), "an interaction past the cap");
    // Past the spare connections too: closed as soon as accepted.
    for _ in 0..productbot::http::SPARE_CONNECTIONS {
        held.push(raw(bot.addr, half).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = raw(bot.addr, half).await;
    assert!(closed_within(&mut extra, Duration::from_secs(1)).await, "a connection past every limit is closed");
    // The half-open connections are closed by the server once their headers are late.
    for (i, c) in held.iter_mut().enumerate() {
        assert!(closed_within(c, Duration::from_secs(5)).await, "half-open connection {i} still open");
    }
    let mut c = raw(bot.addr, &signed_request(&ping())).await;
    assert_eq!(status_of(&mut c, Duration::from_secs(2)).await, Some(200), "served again");
    assert!(bot.metric("productbot_http_connections_shed_total").await - shed >= 2.0);
    assert!(bot.metric("productbot_http_connections_refused_total").await - refused >= 1.0);
    assert!(bot.stop().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_interaction_is_refused_not_run_twice() {
    let bot = HttpBot::start("").await;
    let replayed = bot.metric("productbot_interactions_total{outcome=\"replayed\"").await;
    let request = signed_request(&ask(51, ALICE, "does the api have memory?"));
    let mut c = raw(bot.addr, &request).await;
    assert_eq!(status_of(&mut c, Duration::from_secs(5)).await, Some(200));
    let answers = bot.metric("productbot_answers_total").await;
    let mut c = raw(bot.addr, &request).await;
    assert_eq!(status_of(&mut c, Duration::from_secs(5)).await, Some(409));
    assert_eq!(bot.metric("productbot_interactions_total{outcome=\"replayed\"").await, replayed + 1.0);
    assert_eq!(bot.metric("productbot_answers_total").await, answers, "not answered again");
    assert!(bot.stop().await.is_ok());
}

/// `s` with its last hex digit changed.
fn flip_last(s: &str) -> String {
    let (head, last) = s.split_at(s.len() - 1);
    format!("{head}{}", if last == "0" { "1" } else { "0" })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_custom_ids_are_refused() {
    let bot = HttpBot::start("").await;
    let (_, r) = bot.post(&ask(61, ALICE, "does the api have memory?")).await;
    let buttons: Vec<String> = r["data"]["components"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["custom_id"].as_str().unwrap().to_owned())
        .collect();
    let message = json!({
        "id": "900000000000000061", "channel_id": "100", "author": support::mock_discord::bot_user(),
        "content": "", "timestamp": "2026-01-01T00:00:00.000Z", "edited_timestamp": null, "tts": false,
        "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
        "pinned": false, "type": 0
    });
    // Bob names himself as the asker; or votes for an answer the bot never gave; or sends Alice's
    // real 🗑 as a form.
    let forged = [
        component_interaction(62, &format!("remove:{BOB}"), message.clone(), BOB, 0),
        component_interaction(63, "vote:123456789:1", message.clone(), BOB, 0),
        component_interaction(64, &flip_last(&buttons[2]), message.clone(), BOB, 0),
        support::mock_discord::modal_submit_interaction(65, &buttons[2], &[], ALICE),
    ];
    for (i, f) in forged.iter().enumerate() {
        let (status, r) = bot.post(f).await;
        assert_eq!((status, r["type"].clone()), (200, json!(4)), "forgery {i}: {r}");
        assert!(is_ephemeral(&r["data"]), "forgery {i}: {r}");
        let text = r["data"]["embeds"][0]["description"].as_str().unwrap_or_default();
        assert!(text.contains("another version") && !text.contains("Removed"), "forgery {i}: {r}");
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(!bot.mock.requests().iter().any(|q| q.method == "DELETE"), "nothing was deleted");
    assert!(bot.stop().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_question_text_off_a_vote_down_opens_no_form() {
    let bot = HttpBot::start("[analytics]\nstore_questions = false\n").await;
    let (_, r) = bot.post(&ask(71, ALICE, "does the api support webhooks?")).await;
    let down = r["data"]["components"][0]["components"][1]["custom_id"].as_str().unwrap().to_owned();
    let message = json!({
        "id": "900000000000000071", "channel_id": "100", "author": support::mock_discord::bot_user(),
        "content": "", "timestamp": "2026-01-01T00:00:00.000Z", "edited_timestamp": null, "tts": false,
        "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
        "pinned": false, "type": 0
    });
    let (_, r) = bot.post(&component_interaction(72, &down, message, BOB, 0)).await;
    assert_eq!(r["type"], 4, "a thank-you, not a form: {r}");
    assert!(bot.stop().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_analytics_database_delays_neither_readiness_nor_answers() {
    let silent = support::faulty::Faulty::silent();
    let url = format!("postgres://productbot:s3cr3t-pw@{}/analytics", silent.addr);
    let started = Instant::now();
    let bot = HttpBot::start(&format!("[analytics]\ndatabase = \"{url}\"\n")).await;
    assert!(started.elapsed() < Duration::from_secs(15), "ready after {:?}", started.elapsed());
    let (status, r) = bot.post(&ask(81, ALICE, "does the api have memory?")).await;
    assert_eq!((status, r["type"].clone()), (200, json!(4)), "{r}");
    // /stats gives up within the database's timeouts and says which database.
    let (_, r) = bot.post(&slash_interaction(82, "stats", json!([]), ALICE, MANAGE_GUILD)).await;
    assert_eq!(r["type"], 5, "{r}");
    let edit = bot
        .mock
        .wait_request(Duration::from_secs(30), |q| {
            q.is("PATCH", &format!("/webhooks/{APP_ID}/itoken-82/messages/@original"))
        })
        .await;
    let text = edit.body["embeds"][0]["description"].as_str().unwrap_or_default().to_owned();
    let shown = format!("postgres://productbot@{}/analytics", silent.addr);
    assert!(text.contains(&shown) && text.contains("did not answer") && !text.contains("s3cr3t"), "{text}");
    assert!(bot.stop().await.is_ok());
}

/// The binary serving HTTP only on a free port of 127.0.0.1 from `site` (extra environment in
/// `env`), and its base URL once `/readyz` says 200.
fn spawn_binary(site: &Site, env: &[(&str, &str)]) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_productbot"));
    cmd.args(["--config", site.config_file.to_str().unwrap(), "serve"])
        .current_dir(site.dir.path())
        .env("PRODUCTBOT__HTTP__LISTEN", format!("127.0.0.1:{port}"))
        .env("DISCORD_PUBLIC_KEY", hex(key().verifying_key().as_bytes()))
        .env_remove("DISCORD_TOKEN")
        .env_remove("RUST_LOG")
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if get_status(&format!("{base}/readyz")) == Some(200) {
            break;
        }
        assert!(Instant::now() < deadline, "the binary never became ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, base)
}

/// The status of a GET of `url`, from outside a runtime.
fn get_status(url: &str) -> Option<u16> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async { Some(reqwest::get(url).await.ok()?.status().as_u16()) })
}

/// Resident memory of process `pid`, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap();
    kb * 1024
}

/// Waits (up to `within`) for `child` to exit.
fn exited_within(child: &mut std::process::Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn unsigned_two_megabyte_bodies_on_300_connections_leave_memory_flat() {
    let site = Site::new("[discord]\ngateway = false\n");
    let (mut child, base) = spawn_binary(&site, &[]);
    let addr: SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let pid = child.id();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let before = rss(pid);
    let peak = rt.block_on(async {
        let sends: Vec<_> = (0..300)
            .map(|_| {
                tokio::spawn(async move {
                    let Ok(mut c) = TcpStream::connect(addr).await else { return };
                    let _ = c.write_all(&post_head(1_999_999, None)).await;
                    let block = vec![b'x'; 64 * 1024];
                    let mut sent = 0;
                    while sent < 1_999_999 {
                        let n = block.len().min(1_999_999 - sent);
                        if c.write_all(&block[..n]).await.is_err() {
                            break;
                        }
                        sent += n;
                    }
                    let _ = status_of(&mut c, Duration::from_secs(5)).await;
                })
            })
            .collect();
        let mut peak = before;
        while sends.iter().any(|s| !s.is_finished()) {
            peak = peak.max(rss(pid));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        peak
    });
    std::thread::sleep(Duration::from_secs(1));
    let after = rss(pid);
    let metrics = rt.block_on(async { reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap() });
    std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    let status = exited_within(&mut child, Duration::from_secs(15));
    let mb = |b: u64| b as f64 / 1e6;
    assert!(
        peak < before + 64_000_000 && after < before + 16_000_000,
        "RSS {:.0} MB before, {:.0} MB at the peak, {:.0} MB after",
        mb(before),
        mb(peak),
        mb(after)
    );
    let refused: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("productbot_signature_failures_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert!(refused >= 300.0, "every unsigned request is counted: {refused}");
    assert!(status.is_some_and(|s| s.success()));
}

#[test]
fn sigterm_with_half_sent_requests_ends_within_ten_seconds_keeping_every_record() {
    let site = Site::new("[discord]\ngateway = false\n");
    let (mut child, base) = spawn_binary(&site, &[]);
    let addr: SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _held = rt.block_on(async {
        for i in 0..3 {
            let mut c = raw(addr, &signed_request(&ask(90 + i, ALICE, "does the api have memory?"))).await;
            assert_eq!(status_of(&mut c, Duration::from_secs(5)).await, Some(200));
        }
        // One client stops in the middle of its headers, another in the middle of its body.
        let headers = raw(addr, b"POST /interactions HTTP/1.1\r\nHost: bot\r\nContent-Le").await;
        let ts = now().to_string();
        let body = raw(addr, &post_head(500, Some((&"ab".repeat(64), &ts)))).await;
        let mut body = body;
        body.write_all(&[b'{'; 100]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        (headers, body)
    });
    let signalled = Instant::now();
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = exited_within(&mut child, Duration::from_secs(13));
    if status.is_none() {
        let _ = child.kill();
    }
    let took = signalled.elapsed();
    assert!(status.is_some_and(|s| s.success()), "still running {took:?} after SIGTERM");
    let db = rusqlite::Connection::open(site.dir.path().join("data/productbot.db")).unwrap();
    let n: i64 = db.query_row("SELECT COUNT(*) FROM answers", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 3, "every answer recorded before the process ended");
}

/// `corpus.watch = true` re-indexes in HTTP-only mode too: the watcher is started by the app module
/// whichever transports run (it used to start only after the gateway's early return).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_corpus_watcher_runs_without_the_gateway() {
    let bot = HttpBot::start_with_env(
        "",
        &[("PRODUCTBOT__CORPUS__WATCH", "true"), ("PRODUCTBOT__CORPUS__WATCH_DEBOUNCE_MS", "100")],
    )
    .await;
    let before = bot.site.current_generation();
    let article = bot.site.dir.path().join("corpus/openai-api-vs-chatgpt.md");
    let mut text = std::fs::read_to_string(&article).unwrap();
    text.push_str("\n\n## Zebra hosting\n\nThe zebra hosting plan keeps zebras in a managed stable.\n");
    // The watcher may start a moment after /readyz: write until it notices.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        std::fs::write(&article, &text).unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        if bot.site.current_generation() != before {
            break;
        }
        assert!(Instant::now() < deadline, "no re-index after the corpus changed (still {before})");
    }
    bot.stop().await.unwrap();
}

/// `/ask` over HTTP in a DM is one conversation: a follow-up naming only a product is read with the
/// question before; in a guild channel (not a thread of the bot's) every question stands alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_in_a_dm_reads_follow_ups_in_context() {
    let bot = HttpBot::start("").await;
    let ask = |id: u64, q: &str, dm: bool| {
        let options = json!([{"name": "question", "type": 3, "value": q}]);
        if dm { dm_slash_interaction(id, "ask", options, ALICE) } else { slash_interaction(id, "ask", options, BOB, 0) }
    };
    let text = |body: &Value| {
        let e = &body["data"]["embeds"][0];
        format!("{}\n{}", e["title"].as_str().unwrap_or_default(), e["description"].as_str().unwrap_or_default())
    };
    let (status, first) = bot.post(&ask(9101, "does chatgpt have memory?", true)).await;
    assert_eq!(status, 200, "{first}");
    assert!(text(&first).starts_with("Yes. ChatGPT offers memory."), "{first}");
    let (_, follow) = bot.post(&ask(9102, "and the api?", true)).await;
    let t = text(&follow);
    assert!(
        t.starts_with("No. The API does not offer memory.") && t.contains("Reading this as: does the API have memory?"),
        "{t}"
    );
    // The same two questions in a guild channel: the second is read alone.
    bot.post(&ask(9103, "does chatgpt have memory?", false)).await;
    let (_, alone) = bot.post(&ask(9104, "and the api?", false)).await;
    assert!(!text(&alone).contains("Reading this as"), "{alone}");
    bot.stop().await.unwrap();
}

/// Two HTTP replicas on one PostgreSQL database (and one install key, as replicas share) count a
/// user's questions in one window: three allowed in all, the fourth refused by the replica that had
/// seen only one of them; someone else is unaffected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set PRODUCTBOT_TEST_POSTGRES (.ci/run does)"]
async fn the_cooldown_is_shared_by_two_replicas_on_postgres() {
    let db = tokio::task::spawn_blocking(support::postgres_database).await.unwrap();
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("productbot.key").display().to_string();
    let vars = [
        ("PRODUCTBOT__ANALYTICS__DATABASE", db.as_str()),
        ("PRODUCTBOT__ANALYTICS__KEY_FILE", key_file.as_str()),
        ("PRODUCTBOT__DISCORD__COOLDOWN__QUESTIONS", "3"),
        ("PRODUCTBOT__DISCORD__COOLDOWN__SECONDS", "600"),
    ];
    let a = HttpBot::start_with_env("", &vars).await;
    let b = HttpBot::start_with_env("", &vars).await;
    // The writer creates the tables on its own thread: wait for them rather than count locally.
    let url = db.clone();
    tokio::task::spawn_blocking(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while c
            .query_opt("SELECT 1 FROM information_schema.tables WHERE table_name = 'cooldown'", &[])
            .unwrap()
            .is_none()
        {
            assert!(Instant::now() < deadline, "the cooldown table never appeared");
            std::thread::sleep(Duration::from_millis(100));
        }
    })
    .await
    .unwrap();
    let ask = |id: u64, user: u64| {
        slash_interaction(
            id,
            "ask",
            json!([{"name": "question", "type": 3, "value": "does the API have memory?"}]),
            user,
            0,
        )
    };
    let slowed = |body: &Value| body["data"]["content"].as_str().is_some_and(|c| c.starts_with("Slow down"));
    for (i, bot) in [&a, &b, &a].into_iter().enumerate() {
        let (status, body) = bot.post(&ask(9201 + i as u64, ALICE)).await;
        assert!(status == 200 && !slowed(&body), "question {} refused: {body}", i + 1);
    }
    let (_, fourth) = b.post(&ask(9204, ALICE)).await;
    assert!(slowed(&fourth), "the second replica allowed a fourth question: {fourth}");
    assert!(is_ephemeral(&fourth["data"]), "{fourth}");
    let (_, other) = b.post(&ask(9205, BOB)).await;
    assert!(!slowed(&other), "{other}");
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

/// Over HTTP as through the gateway (`tests/servers.rs`): a server with a `[guilds.ID]` corpus of its
/// own answers the same question differently from one on the default corpus, and a channel limited
/// to one article answers from it alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_and_a_limited_channel_answer_from_their_own_corpus_over_http() {
    let other: u64 = 900000000000000002;
    let claude_only: u64 = 710000000000000902;
    let site = HttpBot::site(&format!(
        "[guilds.{other}]\ncorpus = \"corpus-b\"\n[guilds.{other}.channels.{claude_only}]\n\
         articles = [\"claude-apps-vs-anthropic-api\"]\n"
    ));
    support::copy_dir(&support::repo().join("tests/fixtures/two-vendors"), &site.dir.path().join("corpus-b"));
    let bot = HttpBot::start_in(site, &[]).await;
    let title = |body: &Value| body["data"]["embeds"][0]["title"].as_str().unwrap_or_default().to_owned();
    let ask_in = |id: u64, q: &str, guild: Option<u64>, channel: Option<u64>| {
        let mut d = ask(id, ALICE, q);
        if let Some(g) = guild {
            d["guild_id"] = json!(g.to_string());
        }
        if let Some(c) = channel {
            d["channel_id"] = json!(c.to_string());
        }
        d
    };
    let (_, here) = bot.post(&ask_in(9301, "does claude have memory?", None, None)).await;
    assert!(here.to_string().contains("outside what I cover"), "{here}");
    let (_, there) = bot.post(&ask_in(9302, "does claude have memory?", Some(other), None)).await;
    assert_eq!(title(&there), "Yes. The Claude apps offer memory.", "{there}");
    let (_, limited) = bot.post(&ask_in(9303, "does the api have memory?", Some(other), Some(claude_only))).await;
    assert_eq!(title(&limited), "No. The Anthropic API does not offer memory.", "{limited}");
    bot.stop().await.unwrap();
}
