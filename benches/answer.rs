//! Answer latency against the index's own floor, cost estimates per second, and start-up with an
//! existing index.
//!
//! Run: `cargo bench --bench answer` (add `-- --warm-up-time 1 --measurement-time 3` to change
//! criterion's defaults set below). Before the criterion groups, a plain timing loop prints the
//! per-call median and p99 over every question of `tests/data/dev.jsonl` for the full path
//! (`Engine::answer`) and for the bare tantivy search (analyzer tokens as a `Should` query of body
//! `TermQuery`s, top 5, no snippets): criterion reports means per iteration, not percentiles.
//! `LATENCY_ROUNDS` (default 300) sets how many times each question is timed.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use productbot::cost::{self, CallRequest, ConversationRequest, CostRequest, Input, Period, PriceTable};
use productbot::engine::Engine;
use productbot::index::SearchIndex;
use productbot::store::{Store, StoreConfig};
use productbot::text;
use tantivy::Term;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn prices() -> Arc<PriceTable> {
    Arc::new(
        productbot::config::Config::load_with_env(
            Some(&Path::new(env!("CARGO_MANIFEST_DIR")).join("bot.toml")),
            Vec::new(),
        )
        .expect("bot.toml loads")
        .prices,
    )
}

fn engine() -> Engine {
    Engine::from_corpus_dir(&root().join("corpus"), prices()).expect("shipped corpus loads")
}

fn dev_questions() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("tests/data/dev.jsonl")).expect("dev.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("dev.jsonl line is JSON");
            v["q"].as_str().expect("q").to_owned()
        })
        .collect()
}

/// The floor: what tantivy alone does for a question. Analyzer tokens, one `Should` `TermQuery` per
/// token on the body field, top 5 by score, nothing fetched. Returns the number of hits.
fn bare_search(index: &SearchIndex, analyzer: &mut TextAnalyzer, question: &str) -> usize {
    let searcher = index.searcher();
    let body = index.fields().body;
    let terms = text::terms(analyzer, question);
    if terms.is_empty() {
        return 0;
    }
    let clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .iter()
        .map(|t| {
            let q: Box<dyn Query> =
                Box::new(TermQuery::new(Term::from_field_text(body, t), IndexRecordOption::WithFreqs));
            (Occur::Should, q)
        })
        .collect();
    let query = BooleanQuery::new(clauses);
    searcher.search(&query, &TopDocs::with_limit(5).order_by_score()).expect("search").len()
}

fn typical_call() -> CostRequest {
    CostRequest::Calls(CallRequest {
        model: Some("gpt-4o".into()),
        input: Some(Input::Tokens(1_000)),
        output_tokens: Some(500),
        requests: 10_000,
        per: Some(Period::Day),
        ..CallRequest::default()
    })
}

fn typical_conversation() -> CostRequest {
    CostRequest::Conversation(ConversationRequest {
        model: Some("gpt-4o-mini".into()),
        conversations_per_day: 20,
        turns: 10,
        user_tokens: 200,
        reply_tokens: 400,
        batch: false,
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // Nearest-rank percentile.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

struct Stats {
    median: Duration,
    p99: Duration,
    mean: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort_unstable();
    let mean = samples.iter().sum::<Duration>() / samples.len().max(1) as u32;
    Stats { median: percentile(&samples, 50.0), p99: percentile(&samples, 99.0), mean }
}

/// Times every call: rounds over all questions, full and bare interleaved per round so that both
/// see the same machine state. Prints pooled median/p99 over all calls and a per-question table.
fn latency_report(engine: &Engine, questions: &[String], rounds: usize) {
    let index = engine.search_index();
    let mut analyzer = index.analyzer();
    // Warm-up: caches, lazy statics, branch predictors.
    for _ in 0..20 {
        for q in questions {
            black_box(engine.answer(q));
            black_box(bare_search(index, &mut analyzer, q));
        }
    }
    let mut full: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); questions.len()];
    let mut bare: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); questions.len()];
    for _ in 0..rounds {
        for (i, q) in questions.iter().enumerate() {
            let t = Instant::now();
            black_box(engine.answer(black_box(q)));
            full[i].push(t.elapsed());
        }
        for (i, q) in questions.iter().enumerate() {
            let t = Instant::now();
            black_box(bare_search(index, &mut analyzer, black_box(q)));
            bare[i].push(t.elapsed());
        }
    }

    println!("\n== answer latency: {} dev questions x {rounds} rounds, one call timed at a time ==", questions.len());
    println!("{:>9} {:>9} {:>6}  question", "full µs", "bare µs", "ratio");
    let mut per_q_full = Vec::new();
    let mut per_q_bare = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let f = stats(full[i].clone());
        let b = stats(bare[i].clone());
        per_q_full.push(f.median);
        per_q_bare.push(b.median);
        println!("{:>9.1} {:>9.1} {:>6.1}  {q}", us(f.median), us(b.median), us(f.median) / us(b.median).max(1e-3));
    }
    let all_full = stats(full.into_iter().flatten().collect());
    let all_bare = stats(bare.into_iter().flatten().collect());
    let max_f = per_q_full.iter().copied().max().unwrap_or_default();
    let max_b = per_q_bare.iter().copied().max().unwrap_or_default();
    let qf = stats(per_q_full);
    let qb = stats(per_q_bare);
    println!(
        "pooled over all calls:   full median {:.1} µs, p99 {:.1} µs, mean {:.1} µs",
        us(all_full.median),
        us(all_full.p99),
        us(all_full.mean)
    );
    println!(
        "                         bare median {:.1} µs, p99 {:.1} µs, mean {:.1} µs",
        us(all_bare.median),
        us(all_bare.p99),
        us(all_bare.mean)
    );
    println!(
        "ratio full/bare:         median {:.2}x, p99 {:.2}x, mean {:.2}x",
        us(all_full.median) / us(all_bare.median),
        us(all_full.p99) / us(all_bare.p99),
        us(all_full.mean) / us(all_bare.mean)
    );
    println!(
        "per-question medians:    full: median {:.1} µs, slowest question {:.1} µs; bare: median {:.1} µs, slowest {:.1} µs",
        us(qf.median),
        us(max_f),
        us(qb.median),
        us(max_b)
    );
}

fn cost_report(table: &PriceTable, iterations: u32) {
    for (name, req) in [("call", typical_call()), ("conversation", typical_conversation())] {
        cost::estimate(table, &req).expect("typical request estimates");
        let t = Instant::now();
        for _ in 0..iterations {
            black_box(cost::estimate(table, black_box(&req)).ok());
        }
        let per = t.elapsed() / iterations;
        println!(
            "cost::estimate ({name}): {:.0} ns each, {:.2} million estimates/s (one thread)",
            per.as_nanos(),
            1e3 / per.as_nanos().max(1) as f64
        );
    }
}

fn test_mode() -> bool {
    std::env::args().any(|a| a == "--test" || a == "--list")
}

fn rounds() -> usize {
    if test_mode() {
        return 2;
    }
    std::env::var("LATENCY_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

fn bench_answer(c: &mut Criterion) {
    let engine = engine();
    let questions = dev_questions();
    let index = engine.search_index();
    let mut analyzer = index.analyzer();
    let mut g = c.benchmark_group("dev_set");
    // One iteration answers every dev question once; divide by the question count for a per-question mean.
    g.bench_function("full_answer_all_35", |b| {
        b.iter(|| {
            for q in &questions {
                black_box(engine.answer(black_box(q)));
            }
        })
    });
    g.bench_function("bare_search_all_35", |b| {
        b.iter(|| {
            for q in &questions {
                black_box(bare_search(index, &mut analyzer, black_box(q)));
            }
        })
    });
    g.finish();
    let mut g = c.benchmark_group("question");
    for (name, q) in [
        ("feature", "Does the API have memory?"),
        ("search", "When is ChatGPT cheaper than the API?"),
        ("out_of_scope", "How tall is Mount Everest?"),
    ] {
        g.bench_function(format!("full/{name}"), |b| b.iter(|| black_box(engine.answer(black_box(q)))));
        g.bench_function(format!("bare/{name}"), |b| {
            b.iter(|| black_box(bare_search(index, &mut analyzer, black_box(q))))
        });
    }
    g.finish();
}

fn bench_cost(c: &mut Criterion) {
    let engine = engine();
    let table = engine.prices();
    let call = typical_call();
    let conversation = typical_conversation();
    c.bench_function("cost/estimate_call", |b| b.iter(|| black_box(cost::estimate(table, black_box(&call)).ok())));
    c.bench_function("cost/estimate_conversation", |b| {
        b.iter(|| black_box(cost::estimate(table, black_box(&conversation)).ok()))
    });
}

/// A corpus copy in a temp dir with its index already built, so `Store::open` finds it current.
struct Prebuilt {
    _tmp: tempfile::TempDir,
    cfg: StoreConfig,
}

fn prebuilt() -> Prebuilt {
    let tmp = tempfile::tempdir().expect("tempdir");
    let corpus: PathBuf = tmp.path().join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    for e in std::fs::read_dir(root().join("corpus")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), corpus.join(e.file_name())).unwrap();
    }
    let cfg = StoreConfig { corpus_dir: corpus, index_dir: tmp.path().join("index"), threads: 1, articles: None };
    let (store, _) = Store::open(cfg.clone(), prices()).expect("first open builds");
    drop(store);
    Prebuilt { _tmp: tmp, cfg }
}

fn bench_startup(c: &mut Criterion) {
    let p = prebuilt();
    let table = prices();
    c.bench_function("startup/store_open_existing_index", |b| {
        b.iter(|| {
            let (store, opened) = Store::open(p.cfg.clone(), table.clone()).expect("opens");
            assert_eq!(opened, productbot::store::Opened::Existing);
            black_box(store.snapshot().revision().corpus.len())
        })
    });
    // Price table validation is part of start-up too (the CLI validates bot.toml's prices).
    c.bench_function("startup/store_open_with_price_validation", |b| {
        b.iter(|| {
            let (store, _) = Store::open(p.cfg.clone(), prices()).expect("opens");
            black_box(store.snapshot().revision().corpus.len())
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = bench_answer, bench_cost, bench_startup
}

fn main() {
    let engine = engine();
    latency_report(&engine, &dev_questions(), rounds());
    println!();
    cost_report(engine.prices(), if test_mode() { 1_000 } else { 1_000_000 });
    let p = prebuilt();
    let table = prices();
    let n = if test_mode() { 2 } else { 200 };
    let mut opens = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let (store, _) = Store::open(p.cfg.clone(), table.clone()).expect("opens");
        black_box(store.snapshot());
        opens.push(t.elapsed());
    }
    let s = stats(opens);
    println!(
        "Store::open on an existing index: median {:.2} ms, p99 {:.2} ms over {n} opens\n",
        us(s.median) / 1e3,
        us(s.p99) / 1e3
    );
    drop(p);
    drop(engine);

    benches();
    Criterion::default().configure_from_args().final_summary();
}
