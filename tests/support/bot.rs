//! A bot under test: a corpus copy and bot.toml in a temp dir ([`Site`]), and the real serve path
//! against the mock Discord ([`Bot`]), with the checks every Discord test shares.

use std::path::{Path, PathBuf};
use std::time::Duration;

use productbot::config::Config;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::mock_discord::{APP_ID, MockDiscord, Recorded, TOKEN, slash_interaction};

pub const T: Duration = Duration::from_secs(10);
/// serenity's shard queuer waits 5 s between two shards' IDENTIFYs.
pub const T_SHARDS: Duration = Duration::from_secs(20);
pub const MANAGE_GUILD: u64 = 1 << 5;
pub const ALICE: u64 = 600000000000000001;
pub const BOB: u64 = 600000000000000002;

/// A corpus copy, an index directory and a bot.toml in a temp dir.
pub struct Site {
    pub dir: TempDir,
    pub config_file: PathBuf,
}

impl Site {
    pub fn new(extra_toml: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        super::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"), &dir.path().join("corpus"));
        let config_file = dir.path().join("bot.toml");
        // The prices for /cost and model autocomplete are the corpus's own price file.
        let toml = format!("[corpus]\ndir = \"corpus\"\n\n[index]\ndir = \"index\"\npoll_ms = 200\n\n{extra_toml}\n");
        std::fs::write(&config_file, toml).unwrap();
        Site { dir, config_file }
    }

    pub fn config(&self, token: Option<&str>) -> Config {
        self.config_via(token, "http://127.0.0.1:9")
    }

    /// The config with REST calls going to `proxy` (the mock), as an operator sets
    /// `PRODUCTBOT__DISCORD__API_PROXY`.
    pub fn config_via(&self, token: Option<&str>, proxy: &str) -> Config {
        let mut env: Vec<(String, String)> =
            token.map(|t| ("DISCORD_TOKEN".to_owned(), t.to_owned())).into_iter().collect();
        env.push(("PRODUCTBOT__DISCORD__API_PROXY".to_owned(), proxy.to_owned()));
        Config::load_with_env(Some(&self.config_file), env).unwrap()
    }

    pub fn current_generation(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("index/current")).unwrap().trim().to_owned()
    }
}

/// A running bot: the mock, its site, and the serve task with its shutdown trigger.
pub struct Bot {
    pub mock: MockDiscord,
    pub site: Site,
    pub shutdown: Option<oneshot::Sender<()>>,
    pub serve: JoinHandle<anyhow::Result<()>>,
}

pub const DISCORD_DEFAULTS: &str = "[discord]\nshards = 1\n\n[discord.cooldown]\nquestions = 5\nseconds = 30\n";

impl Bot {
    pub async fn start() -> Bot {
        Bot::start_with(DISCORD_DEFAULTS).await
    }

    /// Starts serve and waits until the bot has identified on the gateway.
    pub async fn start_with(toml: &str) -> Bot {
        Bot::start_on(MockDiscord::start().await, toml).await
    }

    /// As [`Bot::start_with`], on a mock the test has set up (failures queued, IDENTIFY silenced).
    pub async fn start_on(mock: MockDiscord, toml: &str) -> Bot {
        Bot::start_in(mock, Site::new(toml)).await
    }

    /// As [`Bot::start_on`], in a site the test has set up (more corpora beside the default one).
    pub async fn start_in(mock: MockDiscord, site: Site) -> Bot {
        let config = site.config_via(Some(TOKEN), &mock.http_base());
        let (tx, rx) = oneshot::channel::<()>();
        let serve = tokio::spawn(productbot::app::serve(config, async move {
            let _ = rx.await;
        }));
        mock.wait_identify(T).await;
        Bot { mock, site, shutdown: Some(tx), serve }
    }

    /// Waits for READY to have been handled: registration is its last step.
    pub async fn registered(&self) -> Recorded {
        self.mock.wait_request(T, |r| r.is("PUT", &format!("/applications/{APP_ID}/commands"))).await
    }

    pub async fn interact(&self, data: Value) -> Recorded {
        let id = data["id"].as_str().unwrap().to_owned();
        let token = data["token"].as_str().unwrap().to_owned();
        self.mock.dispatch("INTERACTION_CREATE", data).await;
        self.mock.wait_request(T, |r| r.is("POST", &format!("/interactions/{id}/{token}/callback"))).await
    }

    pub async fn ask(&self, id: u64, user: u64, question: &str) -> Recorded {
        self.interact(slash_interaction(
            id,
            "ask",
            json!([{"name": "question", "type": 3, "value": question}]),
            user,
            0,
        ))
        .await
    }

    /// Shuts the bot down (checking it stopped cleanly) and starts it again on the same site
    /// (corpus, index, analytics database) and mock, waiting for its new IDENTIFY.
    pub async fn restart(mut self) -> Bot {
        let _ = self.shutdown.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(20), &mut self.serve)
            .await
            .expect("serve returned after shutdown")
            .unwrap()
            .unwrap();
        let before = self.mock.identifies().len();
        let config = self.site.config_via(Some(TOKEN), &self.mock.http_base());
        let (tx, rx) = oneshot::channel::<()>();
        let serve = tokio::spawn(productbot::app::serve(config, async move {
            let _ = rx.await;
        }));
        self.mock.wait_identifies(before + 1, T).await;
        Bot { mock: self.mock, site: self.site, shutdown: Some(tx), serve }
    }

    /// Triggers shutdown and returns serve's result (bounded).
    pub async fn stop(mut self) -> (anyhow::Result<()>, MockDiscord) {
        let _ = self.shutdown.take().unwrap().send(());
        let r = tokio::time::timeout(Duration::from_secs(20), &mut self.serve)
            .await
            .expect("serve returned after shutdown")
            .unwrap();
        (r, self.mock)
    }
}

/// Every limit Discord enforces on a message body (interaction `data`, a webhook edit or a channel
/// message), and empty allowed mentions.
pub fn assert_valid_message(body: &Value) {
    let n = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    assert!(n(&body["content"]) <= 2000);
    let embeds = body["embeds"].as_array().cloned().unwrap_or_default();
    assert!(embeds.len() <= 10);
    let mut total = 0;
    for e in &embeds {
        assert!(n(&e["title"]) <= 256 && n(&e["description"]) <= 4096 && n(&e["footer"]["text"]) <= 2048, "{e}");
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        assert!(fields.len() <= 25);
        for f in &fields {
            assert!((1..=256).contains(&n(&f["name"])) && (1..=1024).contains(&n(&f["value"])), "{f}");
            total += n(&f["name"]) + n(&f["value"]);
        }
        total += n(&e["title"]) + n(&e["description"]) + n(&e["footer"]["text"]);
    }
    assert!(total <= 6000, "{total} characters across embeds");
    assert!(n(&body["content"]) > 0 || !embeds.is_empty(), "empty message: {body}");
    assert_eq!(body["allowed_mentions"]["parse"], json!([]), "allowed_mentions must be empty: {body}");
}

pub fn is_ephemeral(data: &Value) -> bool {
    data["flags"].as_u64().is_some_and(|f| f & 64 != 0)
}
