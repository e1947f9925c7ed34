//! The HTTP interactions endpoint, on 127.0.0.1: requests signed in the test with ed25519-dalek,
//! the same commands, buttons and forms as the gateway, the deferred path completing through the
//! mock Discord's webhook route (reached through `api_proxy`), signature failures refused and
//! counted, `/readyz` before the index is loaded, and the binary serving HTTP only.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ed25519_dalek::{Signer, SigningKey};
use productbot::config::Config;
use productbot::discord;
use serde_json::{Value, json};
use support::bot::{ALICE, BOB, MANAGE_GUILD, Site, T, assert_valid_message, is_ephemeral};
use support::mock_discord::{APP_ID, MockDiscord, autocomplete_interaction, component_interaction, slash_interaction};
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
    let serve = tokio::spawn(discord::serve_on(
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
    _site: Site,
    client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    serve: Serving,
}

impl HttpBot {
    async fn start(extra: &str) -> HttpBot {
        let mock = MockDiscord::start().await;
        let site = Site::new(&format!("[discord]\ngateway = false\n[http]\nlisten = \"127.0.0.1:0\"\n{extra}\n"));
        let env = vec![
            ("DISCORD_PUBLIC_KEY".to_owned(), hex(key().verifying_key().as_bytes())),
            ("PRODUCTBOT__DISCORD__API_PROXY".to_owned(), mock.http_base()),
        ];
        let config = Config::load_with_env(Some(&site.config_file), env).unwrap();
        let (addr, tx, serve) = spawn_serve(config).await;
        let bot = HttpBot { addr, mock, _site: site, client: reqwest::Client::new(), shutdown: Some(tx), serve };
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
    assert!(buttons[0].starts_with("vote:") && buttons[0].ends_with(":1"));
    assert_eq!(buttons[2], format!("remove:{ALICE}"));

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
    // 🗑 by the asker: acknowledged in the response, the message deleted afterwards.
    let (_, r) = bot.post(&component_interaction(17, &buttons[2], message.clone(), ALICE, 0)).await;
    assert_eq!(r["type"], 6, "{r}");
    bot.mock.wait_request(T, |q| q.is("DELETE", "/channels/100/messages/900000000000000001")).await;
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
        let e = rt.block_on(discord::serve(config, std::future::pending())).unwrap_err().to_string();
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
async fn serves_with_analytics_on_postgres() {
    // (Sync PostgreSQL clients run off the async workers, in the test as in the bot.)
    let Some(url) = tokio::task::spawn_blocking(support::postgres_database).await.unwrap() else { return };
    let bot = HttpBot::start(&format!("[analytics]\ndatabase = \"{url}\"\n")).await;
    let (status, r) = bot.post(&ask(41, ALICE, "does the api have memory?")).await;
    assert_eq!((status, r["type"].clone()), (200, json!(4)), "{r}");
    // The record goes through the writer's queue: wait until it is in the database.
    let count = {
        let url = url.clone();
        move || -> i64 {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            c.query_one("SELECT COUNT(*)::BIGINT FROM answers", &[]).unwrap().get(0)
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
