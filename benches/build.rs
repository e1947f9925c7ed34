//! Index build throughput: the shipped corpus, and a generated 100 MB corpus with 1 and 2 indexing
//! threads through `productbot::index::build`, next to plain tantivy (default tokenizer, one text
//! field) indexing the same passage texts with the same memory budget.
//!
//! A third indexer, plain tantivy with productbot's analyzer on one field, shows how much of the gap
//! is the analyzer (stemming, stopwords) rather than the schema.
//!
//! Run: `cargo bench --bench build`. Manual timing (a few seconds per build, so criterion's sampling
//! would take minutes). `BUILD_MB` (default 100) sets the generated corpus size, `BUILD_ITERS`
//! (default 3) the runs per configuration; the median run is reported. MB/s is always corpus
//! Markdown bytes (10^6) divided by wall time.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use productbot::corpus::{self, Passage};
use productbot::engine::Engine;
use productbot::index::{self, SearchIndex};
use productbot::text;
use tantivy::schema::{IndexRecordOption, Schema, TEXT, TextFieldIndexing, TextOptions};
use tantivy::{Index, TantivyDocument, doc};

/// The same per-thread writer budget as `productbot::index` uses.
const WRITER_MEMORY_PER_THREAD: usize = 32_000_000;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn test_mode() -> bool {
    std::env::args().any(|a| a == "--test" || a == "--list")
}

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Paragraphs of the shipped article (headings and blank lines dropped).
fn article_paragraphs() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("corpus/openai-api-vs-chatgpt.md")).expect("article");
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty() && !p.starts_with('#'))
        .collect()
}

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pra", "sto", "gle", "dri", "fen", "mor", "qua", "xen", "bly",
];

/// A made-up word, so the generated corpus has a growing vocabulary rather than the article's ~1,500
/// distinct terms repeated.
fn invented_word(rng: &mut Rng) -> String {
    let n = 2 + rng.below(3);
    (0..n).map(|_| SYLLABLES[rng.below(SYLLABLES.len())]).collect()
}

/// Writes Markdown files of about 1 MB each into `dir` until `total` bytes: the article's paragraphs
/// shuffled, with about one word in eight replaced by an invented word or suffixed with a number, under
/// generated `##` sections. Returns the bytes written.
fn generate_corpus(dir: &Path, total: usize, seed: u64) -> u64 {
    const FILE_BYTES: usize = 1_000_000;
    let paragraphs = article_paragraphs();
    let mut rng = Rng(seed);
    let mut written = 0u64;
    let mut file_no = 0;
    while (written as usize) < total {
        let mut doc = String::with_capacity(FILE_BYTES + 4096);
        let _ = writeln!(doc, "# Generated document {file_no}\n");
        let target = FILE_BYTES.min(total - written as usize);
        let mut section = 0;
        while doc.len() < target {
            if section == 0 || rng.below(6) == 0 {
                let _ = writeln!(doc, "## Section {section} {}\n", invented_word(&mut rng));
                section += 1;
            }
            let para = &paragraphs[rng.below(paragraphs.len())];
            for (i, w) in para.split(' ').enumerate() {
                if i > 0 {
                    doc.push(' ');
                }
                match rng.below(16) {
                    0 => doc.push_str(&invented_word(&mut rng)),
                    1 => {
                        let _ = write!(doc, "{w}{}", rng.below(1000));
                    }
                    _ => doc.push_str(w),
                }
            }
            doc.push_str("\n\n");
        }
        std::fs::write(dir.join(format!("gen-{file_no:04}.md")), &doc).expect("write generated doc");
        written += doc.len() as u64;
        file_no += 1;
    }
    written
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn mb_per_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

/// Builds our index of `passages` in a fresh temp dir; returns the wall time of `index::build`.
fn time_ours(passages: &[Passage], threads: usize) -> Duration {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = Instant::now();
    index::build(tmp.path(), passages, threads).expect("build");
    t.elapsed()
}

/// Plain tantivy: one `TEXT` field (default tokenizer), the passages' bodies, committed, merges waited
/// for, exactly like `index::build`.
fn time_plain_tantivy(passages: &[Passage], threads: usize) -> Duration {
    time_one_field(passages, threads, false)
}

/// The same one-field index with productbot's analyzer (stopwords, stemming) instead of the default
/// tokenizer: separates the analyzer's cost from the schema's (title field, pid fast field).
fn time_plain_with_our_analyzer(passages: &[Passage], threads: usize) -> Duration {
    time_one_field(passages, threads, true)
}

fn time_one_field(passages: &[Passage], threads: usize, our_analyzer: bool) -> Duration {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut b = Schema::builder();
    let options = if our_analyzer {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(text::ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    } else {
        TEXT
    };
    let body = b.add_text_field("body", options);
    let t = Instant::now();
    let index = Index::create_in_dir(tmp.path(), b.build()).expect("create");
    index.tokenizers().register(text::ANALYZER, text::index_analyzer());
    let mut writer =
        index.writer_with_num_threads::<TantivyDocument>(threads, threads * WRITER_MEMORY_PER_THREAD).expect("writer");
    for p in passages {
        writer.add_document(doc!(body => p.text.as_str())).expect("add");
    }
    writer.commit().expect("commit");
    writer.wait_merging_threads().expect("merge");
    t.elapsed()
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.metadata().map(|m| if m.is_dir() { dir_size(&e.path()) } else { m.len() }).unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

fn shipped(iters: usize) {
    let dir = root().join("corpus");
    let corpus = corpus::load(&dir).expect("shipped corpus");
    println!("== shipped corpus: {} bytes of Markdown, {} passages ==", corpus.bytes, corpus.passages.len());
    let mut load = Vec::new();
    let mut ours = Vec::new();
    let mut ram = Vec::new();
    let mut engine = Vec::new();
    let prices = Arc::new(
        productbot::config::Config::load_with_env(
            Some(&Path::new(env!("CARGO_MANIFEST_DIR")).join("bot.toml")),
            Vec::new(),
        )
        .expect("bot.toml loads")
        .prices,
    );
    for _ in 0..iters {
        let t = Instant::now();
        black_box(corpus::load(&dir).expect("load"));
        load.push(t.elapsed());
        ours.push(time_ours(&corpus.passages, 1));
        let t = Instant::now();
        black_box(SearchIndex::in_ram(&corpus.passages).expect("ram"));
        ram.push(t.elapsed());
        let t = Instant::now();
        black_box(Engine::from_corpus_dir(&dir, prices.clone()).expect("engine"));
        engine.push(t.elapsed());
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (load, ours, ram, engine) = (median(load), median(ours), median(ram), median(engine));
    println!("corpus::load:                 {:.2} ms", ms(load));
    println!("index::build (dir, 1 thread):     {:.2} ms ({:.1} MB/s)", ms(ours), mb_per_s(corpus.bytes, ours));
    println!("SearchIndex::in_ram:              {:.2} ms ({:.1} MB/s)", ms(ram), mb_per_s(corpus.bytes, ram));
    println!("Engine::from_corpus_dir (all):    {:.2} ms", ms(engine));
    println!("(medians of {iters} runs)\n");
}

fn generated(mb: usize, iters: usize) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir: PathBuf = tmp.path().join("corpus");
    std::fs::create_dir_all(&dir).unwrap();
    let t = Instant::now();
    let bytes = generate_corpus(&dir, mb * 1_000_000, 0x5EED_CAFE);
    println!("== generated corpus: {:.1} MB of Markdown in {:.1} s ==", bytes as f64 / 1e6, t.elapsed().as_secs_f64());
    let t = Instant::now();
    let corpus = corpus::load(&dir).expect("generated corpus loads");
    let load = t.elapsed();
    let text_bytes: usize = corpus.passages.iter().map(|p| p.text.len()).sum();
    println!(
        "corpus::load: {:.2} s ({:.1} MB/s), {} passages, {:.1} MB of passage text",
        load.as_secs_f64(),
        mb_per_s(bytes, load),
        corpus.passages.len(),
        text_bytes as f64 / 1e6
    );
    {
        let probe = tempfile::tempdir().unwrap();
        index::build(probe.path(), &corpus.passages, 2).unwrap();
        println!("index size on disk (ours): {:.1} MB", dir_size(probe.path()) as f64 / 1e6);
    }
    let configs: [(&str, usize, Builder); 6] = [
        ("productbot::index::build", 1, time_ours),
        ("productbot::index::build", 2, time_ours),
        ("plain tantivy, default tokenizer", 1, time_plain_tantivy),
        ("plain tantivy, default tokenizer", 2, time_plain_tantivy),
        ("plain tantivy, productbot analyzer", 1, time_plain_with_our_analyzer),
        ("plain tantivy, productbot analyzer", 2, time_plain_with_our_analyzer),
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); configs.len()];
    for _ in 0..iters {
        for (i, (_, threads, f)) in configs.iter().enumerate() {
            times[i].push(f(&corpus.passages, *threads));
        }
    }
    println!("{:<36} {:>7} {:>9} {:>8}   runs (s)", "indexer", "threads", "median s", "MB/s");
    for (i, (name, threads, _)) in configs.iter().enumerate() {
        let runs: Vec<String> = times[i].iter().map(|d| format!("{:.2}", d.as_secs_f64())).collect();
        let m = median(times[i].clone());
        println!(
            "{name:<36} {threads:>7} {:>9.2} {:>8.1}   [{}]",
            m.as_secs_f64(),
            mb_per_s(bytes, m),
            runs.join(", ")
        );
    }
    println!(
        "(MB/s = {:.1} MB of Markdown / median wall time; both indexers get {} MB of writer memory per thread)",
        bytes as f64 / 1e6,
        WRITER_MEMORY_PER_THREAD / 1_000_000
    );
}

/// Builds an index of the passages with this many threads and returns how long it took.
type Builder = fn(&[Passage], usize) -> Duration;

fn main() {
    let quick = test_mode();
    shipped(if quick { 1 } else { 20 });
    generated(if quick { 1 } else { env_or("BUILD_MB", 100) }, if quick { 1 } else { env_or("BUILD_ITERS", 3) });
}
