//! The speed baseline: a plain bot over SQLite FTS5 (BM25, Porter stemming) against the article's
//! passages, answering each line of a question file with the top 3 passages as one JSON line, as
//! `productbot ask --json -` does; both timed in the same run, as whole processes reading the same
//! file (the baseline re-executes this binary with `--fts5`).
//!
//! `cargo bench --bench fts5_baseline` (10,000 dev questions repeated; `FTS5_QUESTIONS=N` for another
//! count, `FTS5_RUNS=N` for the runs per side, the median reported). Needs `target/release/productbot`.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use productbot::corpus;
use rusqlite::Connection;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The baseline bot: an in-memory FTS5 table of the corpus's passages, one query per input line.
fn fts5_bot(corpus_dir: &Path) -> anyhow::Result<()> {
    let corpus = corpus::load(corpus_dir)?;
    let db = Connection::open_in_memory()?;
    db.execute_batch("CREATE VIRTUAL TABLE p USING fts5(section, heading, body, tokenize = 'porter unicode61')")?;
    {
        let mut insert = db.prepare("INSERT INTO p (section, heading, body) VALUES (?1, ?2, ?3)")?;
        for p in &corpus.passages {
            insert.execute((&p.section, &p.heading, &p.text))?;
        }
    }
    let mut query = db.prepare(
        "SELECT section, heading, bm25(p) AS score, snippet(p, 2, '', '', '…', 24) FROM p WHERE p MATCH ?1 \
         ORDER BY score LIMIT 3",
    )?;
    let stdin = std::io::stdin();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line?;
        // The question's words, each quoted (FTS5 syntax never comes from the user), ORed.
        let terms: Vec<String> = line
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 1)
            .map(|w| format!("\"{}\"", w.to_lowercase()))
            .collect();
        let mut sources = Vec::new();
        if !terms.is_empty() {
            let mut rows = query.query([terms.join(" OR ")])?;
            while let Some(r) = rows.next()? {
                let (section, heading, score, snippet): (String, String, f64, String) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                sources.push(
                    serde_json::json!({"section": section, "heading": heading, "score": -score, "snippet": snippet}),
                );
            }
        }
        let kind = if sources.is_empty() { "out_of_scope" } else { "search" };
        serde_json::to_writer(&mut out, &serde_json::json!({"question": line, "kind": kind, "sources": sources}))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// One run of `program args < questions`, its output discarded; the wall time.
fn run(program: &Path, args: &[&str], questions: &Path) -> anyhow::Result<Duration> {
    let input = std::fs::File::open(questions)?;
    let started = Instant::now();
    let status = Command::new(program).args(args).stdin(input).stdout(Stdio::null()).status()?;
    anyhow::ensure!(status.success(), "{} {args:?} failed: {status}", program.display());
    Ok(started.elapsed())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let corpus_dir = root().join("corpus");
    if args.iter().any(|a| a == "--fts5") {
        return fts5_bot(&corpus_dir);
    }
    let n: usize = std::env::var("FTS5_QUESTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let runs: usize = std::env::var("FTS5_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let dev: Vec<String> = std::fs::read_to_string(root().join("tests/data/dev.jsonl"))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<serde_json::Value>(l).map(|v| v["q"].as_str().unwrap_or_default().to_owned()))
        .collect::<Result<_, _>>()?;
    let dir = tempfile::tempdir()?;
    let questions = dir.path().join("questions.txt");
    let text: Vec<&str> = (0..n).map(|i| dev[i % dev.len()].as_str()).collect();
    std::fs::write(&questions, text.join("\n") + "\n")?;
    let bot = root().join("target/release/productbot");
    anyhow::ensure!(bot.exists(), "build the bot first: cargo build --release");
    let me = std::env::current_exe()?;
    // Warm both (page cache, and the bot's index under index/).
    run(&bot, &["ask", "--json", "-"], &questions)?;
    run(&me, &["--fts5"], &questions)?;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        ours.push(run(&bot, &["ask", "--json", "-"], &questions)?);
        theirs.push(run(&me, &["--fts5"], &questions)?);
    }
    let (ours, theirs) = (median(ours), median(theirs));
    println!("{n} questions, median of {runs} runs each, whole processes:");
    println!("  productbot ask --json -   {:8.1} ms", ours.as_secs_f64() * 1e3);
    println!("  FTS5 BM25 baseline        {:8.1} ms", theirs.as_secs_f64() * 1e3);
    println!("  ratio productbot/FTS5     {:8.2}x (target: at most 0.5x)", ours.as_secs_f64() / theirs.as_secs_f64());
    Ok(())
}
