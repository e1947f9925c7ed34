//! The code paths the fuzz targets drive, shared by `fuzz/fuzz_targets/*.rs` and by
//! `tests/fuzz_regressions.rs` (both include this file with `#[path]`), so a saved crash replays
//! through exactly what the fuzzer ran.
//!
//! Input formats:
//! - `question`: any bytes, read as lossy UTF-8, asked as one question.
//! - `loader`: a Markdown document, then a `0xFF` byte (never part of UTF-8), then a `features.toml`.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use productbot::answer::Kind;
use productbot::config::Config;
use productbot::corpus::{self, CorpusError, FEATURES_FILE};
use productbot::cost::PriceTable;
use productbot::engine::Engine;
use productbot::render;

/// Separates the document from the feature table in a `loader` input.
pub const SEPARATOR: u8 = 0xFF;

/// The engine over the shipped corpus in `root`, with the shipped bot.toml's prices.
pub fn shipped_engine(root: &Path) -> Engine {
    let prices: Arc<PriceTable> =
        Arc::new(Config::load_with_env(Some(&root.join("bot.toml")), Vec::new()).expect("bot.toml loads").prices);
    Engine::from_corpus_dir(&root.join("corpus"), prices).expect("shipped corpus loads")
}

/// Asks the question in `data` and checks what every answer must have.
pub fn question(engine: &Engine, data: &[u8]) {
    let q = String::from_utf8_lossy(data);
    let a = engine.answer(&q);
    let text = render::plain(&a);
    assert!(!text.trim().is_empty(), "empty answer text");
    assert!(!text.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "control character in {text:?}");
    assert_eq!(a.question, q.trim());
    serde_json::to_string(&render::json::answer(&a)).expect("the answer serializes");
    match a.kind {
        Kind::OutOfScope => assert!(a.verdicts.is_empty() && a.sources.is_empty() && a.declined.is_some()),
        Kind::Feature => assert!(!a.verdicts.is_empty() && !a.sources.is_empty()),
        Kind::Search => assert!(a.verdicts.is_empty() && !a.sources.is_empty()),
    }
}

/// Splits a `loader` input into the document's bytes and the feature table's bytes.
pub fn split_input(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == SEPARATOR) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// Loads the document and feature table of `data` two ways: in memory (`split_document` +
/// `table::parse` on lossy text) and from files in `scratch` (`corpus::load` on the raw bytes).
/// Either may fail, never panic; every problem must name the file and a line inside it. Returns
/// whether the files loaded.
pub fn loader(data: &[u8], scratch: &Path) -> bool {
    let (doc, table) = split_input(data);

    let text = String::from_utf8_lossy(doc);
    let (document, passages) = corpus::split_document("doc", &text);
    for p in &passages {
        assert!(!p.heading.is_empty() || !p.section.is_empty() || p.intro, "passage without heading: {p:?}");
    }
    let toml = String::from_utf8_lossy(table);
    let lines = toml.lines().count().max(1) + 1;
    if let Err(problems) = corpus::table::parse(Path::new(FEATURES_FILE), &toml, &[document], &passages) {
        assert!(!problems.is_empty(), "an error with no problem in it");
        for p in problems {
            assert_eq!(p.path, Path::new(FEATURES_FILE));
            assert!((1..=lines).contains(&p.line), "line {} of {lines}: {p}", p.line);
            assert!(!p.message.trim().is_empty(), "{p}");
        }
    }

    // The same bytes as files, as the store reads them.
    std::fs::write(scratch.join("doc.md"), doc).expect("write doc.md");
    std::fs::write(scratch.join(FEATURES_FILE), table).expect("write features.toml");
    match corpus::load(scratch) {
        Ok(c) => {
            assert!(!c.docs.is_empty() && !c.passages.is_empty() && !c.table.features.is_empty());
            true
        }
        Err(CorpusError::Invalid(problems)) => {
            for p in &problems.0 {
                let name = p.path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                assert!(name == "doc.md" || name == FEATURES_FILE, "{p}");
                assert!(p.line >= 1, "{p}");
            }
            false
        }
        Err(e) => {
            assert!(e.to_string().contains(&scratch.display().to_string()), "names the directory or file: {e}");
            false
        }
    }
}
