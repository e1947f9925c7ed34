//! Soak benchmark (bench binary, `cargo bench --bench soak`): the bot answers continuously while the
//! corpus changes and is re-indexed every second, for `SOAK_SECS` seconds (default 600). Reports the
//! process's resident memory at the start, every minute and at the end, the number of answers and
//! re-indexes, and the failures: an answer that differs from the one given before the soak (the
//! corpus only gains or loses a trailing blank line, so every answer must stay the same, whichever
//! generation served it), a panic in an answering thread, or a re-index that failed.
//! `cargo test --benches` runs it for 3 seconds.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use productbot::store::{Store, StoreConfig};

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn rss_kib() -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// What must not change across generations of the same content: everything but the revision.
fn key(a: &productbot::answer::Answer) -> String {
    let mut v = serde_json::to_value(productbot::render::json::answer(a)).expect("answers serialize");
    if let Some(o) = v.as_object_mut() {
        o.remove("revision");
    }
    v.to_string()
}

fn questions() -> Vec<String> {
    ["tests/data/dev.jsonl", "tests/data/extra.jsonl"]
        .iter()
        .map(|f| fs::read_to_string(manifest_dir().join(f)).expect("question set"))
        .collect::<Vec<_>>()
        .join("\n")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("jsonl")["q"].as_str().unwrap().to_string())
        .collect()
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let secs: u64 = std::env::var("SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(if full { 600 } else { 3 });
    let askers: usize = std::env::var("SOAK_ASKERS").ok().and_then(|s| s.parse().ok()).unwrap_or(1);

    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    fs::create_dir_all(&corpus).unwrap();
    for e in fs::read_dir(manifest_dir().join("corpus")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), corpus.join(e.file_name())).unwrap();
    }
    let article = corpus.join("openai-api-vs-chatgpt.md");
    let original = fs::read_to_string(&article).unwrap();
    let prices = Arc::new(
        productbot::config::Config::load_with_env(Some(&manifest_dir().join("bot.toml")), Vec::new())
            .expect("bot.toml loads")
            .prices,
    );
    let cfg = StoreConfig { corpus_dir: corpus, index_dir: tmp.path().join("index"), threads: 1, articles: None };
    let (store, _) = Store::open(cfg, prices).unwrap();
    let store = Arc::new(store);

    let qs = questions();
    let expected: Arc<Vec<(String, String)>> =
        Arc::new(qs.iter().map(|q| (q.clone(), key(&store.snapshot().answer(q)))).collect());
    // Warm up: one re-index and a pass over the questions, so the first RSS sample is not the cold one.
    store.reindex().expect("first re-index");
    for (q, _) in expected.iter() {
        std::hint::black_box(store.snapshot().answer(q));
    }
    let rss_start = rss_kib();

    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let wrong = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..askers)
        .map(|t| {
            let (store, stop, answered, wrong, expected) =
                (store.clone(), stop.clone(), answered.clone(), wrong.clone(), expected.clone());
            std::thread::spawn(move || {
                let mut i = t;
                while !stop.load(Ordering::Relaxed) {
                    let (q, want) = &expected[i % expected.len()];
                    if key(&store.snapshot().answer(q)) != *want && wrong.fetch_add(1, Ordering::Relaxed) < 3 {
                        eprintln!("different answer during the soak for {q:?}");
                    }
                    answered.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            })
        })
        .collect();

    let started = Instant::now();
    let (mut reindexes, mut failed_reindexes, mut build_ms) = (0u64, 0u64, Vec::new());
    let mut next_sample = Duration::from_secs(60);
    println!("soak: {secs} s, {askers} answering thread(s), {} distinct questions", expected.len());
    println!("  rss at start {rss_start} KiB");
    while started.elapsed() < Duration::from_secs(secs) {
        let tick = Instant::now();
        let text = if reindexes % 2 == 0 { format!("{original}\n") } else { original.clone() };
        fs::write(&article, text).unwrap();
        match store.reindex() {
            Ok(r) => build_ms.push(r.build_ms),
            Err(e) => {
                failed_reindexes += 1;
                eprintln!("re-index failed: {e}");
            }
        }
        reindexes += 1;
        if started.elapsed() >= next_sample {
            println!(
                "  {:>4} s: rss {} KiB, {} answers",
                started.elapsed().as_secs(),
                rss_kib(),
                answered.load(Ordering::Relaxed)
            );
            next_sample += Duration::from_secs(60);
        }
        std::thread::sleep(Duration::from_secs(1).saturating_sub(tick.elapsed()));
    }
    stop.store(true, Ordering::Relaxed);
    let panicked = threads.into_iter().map(|t| t.join()).filter(Result::is_err).count();
    let rss_end = rss_kib();
    build_ms.sort_unstable();
    let median = build_ms.get(build_ms.len() / 2).copied().unwrap_or(0);
    let generations = fs::read_dir(tmp.path().join("index")).map(|d| d.count()).unwrap_or(0);
    println!("  rss at end   {rss_end} KiB ({:+} KiB)", rss_end as i64 - rss_start as i64);
    println!(
        "  {} answers, {} different from before the soak, {panicked} answering thread(s) panicked",
        answered.load(Ordering::Relaxed),
        wrong.load(Ordering::Relaxed)
    );
    println!(
        "  {reindexes} re-indexes ({failed_reindexes} failed), median build {median} ms; {generations} entries left in index/"
    );
    let failed = wrong.load(Ordering::Relaxed) + panicked as u64 + failed_reindexes;
    if failed > 0 {
        eprintln!("soak FAILED: {failed} failures");
        std::process::exit(1);
    }
}
