//! Re-index benchmark (bench binary, `cargo bench --bench reindex`): re-index time for the shipped
//! corpus and for a generated 20 MB corpus, and answer latency measured while those re-indexes run.

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use productbot::store::{Store, StoreConfig};

fn copy_corpus(to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// Extra documents made of the article's paragraphs with varied numbers, so terms vary.
fn grow(dir: &Path, bytes: usize) {
    let article = fs::read_to_string(dir.join("openai-api-vs-chatgpt.md")).unwrap();
    let paras: Vec<&str> = article.split("\n\n").filter(|p| !p.starts_with('#') && p.len() > 80).collect();
    let (mut written, mut doc, mut i) = (0, 0, 0usize);
    while written < bytes {
        let mut text = format!("# Generated document {doc}\n\n");
        while text.len() < 1_000_000 {
            text.push_str(&format!(
                "## Section {doc}-{i}\n\n{} (variant {i} term{})\n\n",
                paras[i % paras.len()],
                i % 5000
            ));
            i += 1;
        }
        written += text.len();
        fs::write(dir.join(format!("generated-{doc}.md")), text).unwrap();
        doc += 1;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn run(label: &str, extra_bytes: usize, rounds: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    copy_corpus(&corpus);
    if extra_bytes > 0 {
        grow(&corpus, extra_bytes);
    }
    let prices = Arc::new(
        productbot::config::Config::load_with_env(
            Some(&Path::new(env!("CARGO_MANIFEST_DIR")).join("bot.toml")),
            Vec::new(),
        )
        .expect("bot.toml loads")
        .prices,
    );
    let cfg = StoreConfig { corpus_dir: corpus, index_dir: tmp.path().join("index"), threads: 1, articles: None };
    let (store, _) = Store::open(cfg, prices).unwrap();
    let store = Arc::new(store);

    // Baseline latency with no re-index running.
    let q = "Does the API have memory?";
    let mut idle: Vec<Duration> = (0..2000)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(store.snapshot().answer(q));
            t.elapsed()
        })
        .collect();
    idle.sort();

    let stop = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let asker = {
        let (store, stop, samples) = (store.clone(), stop.clone(), samples.clone());
        std::thread::spawn(move || {
            let mut local = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let a = store.snapshot().answer(q);
                local.push(t.elapsed());
                assert!(a.verdict().is_some());
            }
            samples.lock().unwrap().extend(local);
        })
    };
    let mut times = Vec::new();
    for _ in 0..rounds {
        let r = store.reindex().unwrap();
        times.push(Duration::from_millis(r.build_ms));
    }
    stop.store(true, Ordering::Relaxed);
    asker.join().unwrap();
    let mut during = samples.lock().unwrap().clone();
    during.sort();
    times.sort();
    let mb = store.snapshot().passages().iter().map(|p| p.text.len()).sum::<usize>() as f64 / 1e6;
    println!(
        "{label}: {mb:.1} MB of passage text, {} passages; re-index median {:?} (min {:?}, max {:?}) over {rounds}",
        store.snapshot().passages().len(),
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
    println!(
        "  answer latency idle: median {:?} p99 {:?}; during re-index: median {:?} p99 {:?} max {:?} over {} answers",
        percentile(&idle, 0.5),
        percentile(&idle, 0.99),
        percentile(&during, 0.5),
        percentile(&during, 0.99),
        during[during.len() - 1],
        during.len()
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing and should stay quick.
    let full = std::env::args().any(|a| a == "--bench");
    run("shipped corpus", 0, if full { 20 } else { 2 });
    if full {
        run("20 MB corpus", 20_000_000, 3);
    }
}
