//! The code paths the fuzz targets drive, shared by `fuzz/fuzz_targets/*.rs` and by
//! `tests/fuzz_regressions.rs` (both include this file with `#[path]`), so a saved crash replays
//! through exactly what the fuzzer ran.
//!
//! Input formats:
//! - `question`: any bytes, read as lossy UTF-8, asked as one question.
//! - `loader`: a Markdown document, then a `0xFF` byte (never part of UTF-8), then a `features.toml`.

#![allow(dead_code)]

use std::path::Path;

use productbot::answer::Kind;
use productbot::corpus::{self, Corpus};
use productbot::engine::Engine;
use productbot::features;

/// Separates the document from the feature table in a `loader` input.
pub const SEPARATOR: u8 = 0xFF;

/// Asks the question in `data` and checks what every answer must have.
pub fn question(engine: &Engine, data: &[u8]) {
    let q = String::from_utf8_lossy(data);
    let a = engine.answer(&q);
    assert!(!a.text.trim().is_empty(), "empty answer text");
    assert_eq!(a.question, q.trim());
    if a.kind != Kind::OutOfScope {
        assert!(!a.sources.is_empty(), "{:?} answer without sources", a.kind);
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
/// `features::parse` on lossy text) and from files in `scratch` (`load_dir` + `features::load` on the
/// raw bytes). Either may fail; neither may panic. Errors are formatted, as callers show them.
pub fn loader(data: &[u8], scratch: &Path) {
    let (doc, table) = split_input(data);

    let text = String::from_utf8_lossy(doc);
    let (document, passages) = corpus::split_document("fuzz", &text);
    for p in &passages {
        assert!(!p.heading.is_empty() || !p.section.is_empty() || p.intro, "passage without heading: {p:?}");
    }
    let in_memory = Corpus { docs: vec![document], passages, fingerprint: "0".repeat(64), bytes: doc.len() as u64 };
    let toml = String::from_utf8_lossy(table);
    if let Err(e) = features::parse(Path::new("features.toml"), &toml, &in_memory) {
        assert!(!e.to_string().is_empty());
    }

    // The same bytes as files, as the store reads them.
    std::fs::write(scratch.join("doc.md"), doc).expect("write doc.md");
    std::fs::write(scratch.join(features::FEATURES_FILE), table).expect("write features.toml");
    match corpus::load_dir(scratch) {
        Ok(corpus) => {
            if let Err(e) = features::load(scratch, &corpus) {
                assert!(!e.to_string().is_empty());
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}
