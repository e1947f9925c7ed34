//! Shared fixtures for the integration tests: the shipped corpus and prices, engines over it (and
//! over the test corpora in `tests/fixtures`), corpus copies in temp dirs, and scoring of question
//! sets with the rules of `shared/eval/score.py`.
#![allow(dead_code)]

pub mod bot;
pub mod faulty;
pub mod mock_discord;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use productbot::config::Config;
use productbot::cost::PriceTable;
use productbot::engine::Engine;
use productbot::render;
use serde_json::Value;

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped bot.toml's `[pricing]` override: none, so engines price with their corpus's files.
pub fn prices() -> Arc<PriceTable> {
    static PRICES: OnceLock<Arc<PriceTable>> = OnceLock::new();
    PRICES
        .get_or_init(|| {
            let config = Config::load_with_env(Some(&repo().join("bot.toml")), Vec::new()).expect("bot.toml loads");
            Arc::new(config.prices)
        })
        .clone()
}

/// The engine over the shipped corpus, index in RAM, built once per test binary.
pub fn shipped() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| engine(&repo().join("corpus")))
}

pub fn engine(dir: &Path) -> Engine {
    Engine::from_corpus_dir(dir, prices()).unwrap_or_else(|e| panic!("{} loads: {e}", dir.display()))
}

/// Copies every file of `from` into `to` (created).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A temp dir holding `corpus/` (a copy of the shipped corpus) and room for `index/`.
pub struct Scratch {
    pub tmp: tempfile::TempDir,
}

impl Scratch {
    pub fn shipped() -> Self {
        Self::of(&repo().join("corpus"))
    }

    pub fn of(corpus: &Path) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(corpus, &tmp.path().join("corpus"));
        Scratch { tmp }
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.tmp.path().join(p)
    }

    pub fn corpus(&self) -> PathBuf {
        self.path("corpus")
    }

    pub fn index(&self) -> PathBuf {
        self.path("index")
    }
}

/// The shipped corpus plus the article in `tests/data/DIR` (its Markdown files, and its
/// `features.toml` entries appended to the shipped table), in a temp dir.
pub fn with_article(dir: &str) -> Scratch {
    let s = Scratch::shipped();
    let extra = repo().join("tests/data").join(dir);
    for entry in std::fs::read_dir(&extra).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            std::fs::copy(&path, s.corpus().join(path.file_name().unwrap())).unwrap();
        }
    }
    let mut table = std::fs::read_to_string(s.corpus().join("features.toml")).unwrap();
    table.push('\n');
    table.push_str(&std::fs::read_to_string(extra.join("features.toml")).unwrap());
    std::fs::write(s.corpus().join("features.toml"), table).unwrap();
    s
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Scores a JSONL question set as `shared/eval/score.py` does; returns (passed, total, failures).
pub fn score(engine: &Engine, file: &Path) -> (usize, usize, Vec<String>) {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut fails = Vec::new();
    let mut total = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        total += 1;
        let case: Value = serde_json::from_str(line).unwrap();
        let q = case["q"].as_str().unwrap();
        let out = serde_json::to_value(render::json::answer(&engine.answer(q))).unwrap();
        let secs: Vec<String> =
            out["sources"].as_array().unwrap().iter().map(|s| norm(s["section"].as_str().unwrap())).collect();
        let want: Vec<String> = case["sections"]
            .as_array()
            .map(|a| a.iter().map(|s| norm(s.as_str().unwrap())).collect())
            .unwrap_or_default();
        let ok = match case["kind"].as_str().unwrap() {
            "out_of_scope" => out["kind"] == "out_of_scope",
            "search" => out["kind"] != "out_of_scope" && secs.first().is_some_and(|s| want.contains(s)),
            _ => {
                let v = &out["verdict"];
                let avail = &v["availability"];
                let feature_ok = v["feature"].as_str() == case["feature"].as_str();
                let avail_ok = match case["product"].as_str() {
                    Some(p) => case["expect"].as_array().unwrap().iter().any(|e| e == &avail[p]),
                    None => case["expect"]
                        .as_object()
                        .unwrap()
                        .iter()
                        .all(|(p, allowed)| allowed.as_array().unwrap().iter().any(|e| e == &avail[p])),
                };
                feature_ok && avail_ok && secs.iter().take(3).any(|s| want.contains(s))
            }
        };
        if !ok {
            fails.push(format!("{q} -> kind={} verdict={} sources={secs:?}", out["kind"], out["verdict"]));
        }
    }
    (total - fails.len(), total, fails)
}

/// A fresh, empty PostgreSQL database on the server `PRODUCTBOT_TEST_POSTGRES` names (an admin URL,
/// as `.ci/run` sets), as a URL. Only `#[ignore]`d tests call it: one asked for without a server
/// fails, it is never a silent pass.
pub fn postgres_database() -> String {
    let admin = match std::env::var("PRODUCTBOT_TEST_POSTGRES") {
        Ok(a) if !a.trim().is_empty() => a.trim().to_owned(),
        _ => panic!(
            "PRODUCTBOT_TEST_POSTGRES is not set: this test needs a PostgreSQL server (an admin URL; .ci/run \
             starts one)"
        ),
    };
    let mut client = postgres::Client::connect(&admin, postgres::NoTls)
        .unwrap_or_else(|e| panic!("PRODUCTBOT_TEST_POSTGRES does not connect: {e}"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    // Databases of earlier runs (named with their creation time) more than an hour old are dropped,
    // so a developer's server does not fill up; a running test's are always younger.
    static SWEEP: std::sync::Once = std::sync::Once::new();
    SWEEP.call_once(|| {
        let old: Vec<String> = client
            .query("SELECT datname FROM pg_database WHERE datname LIKE 'productbot_test_%'", &[])
            .map(|rows| rows.iter().map(|r| r.get(0)).collect())
            .unwrap_or_default();
        for name in old {
            let created = name.split('_').nth(2).and_then(|t| t.parse::<u64>().ok()).unwrap_or(0);
            if created + 3600 < now {
                let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"));
            }
        }
    });
    let name = format!("productbot_test_{now}_{:08x}", rand::random::<u32>());
    client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let (base, _) = admin.rsplit_once('/').expect("a URL ending in /DATABASE");
    format!("{base}/{name}")
}

/// The effective user id, from /proc (no libc binding needed): tests that need file modes to hold
/// run the binary as `nobody` when this is root.
pub fn euid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

/// The problems `corpus::load` refuses `dir` with, one line each, the dir's path cut off
/// ("features.toml:12: ..."); panics when the corpus loads or fails otherwise.
pub fn load_problems(dir: &Path) -> Vec<String> {
    match productbot::corpus::load(dir) {
        Err(productbot::corpus::CorpusError::Invalid(d)) => {
            d.0.iter().map(|d| d.to_string().replace(&format!("{}/", dir.display()), "")).collect()
        }
        Err(other) => panic!("expected content problems, got {other}"),
        Ok(_) => panic!("expected the corpus to be refused"),
    }
}
