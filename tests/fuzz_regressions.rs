//! Replays every input saved from fuzzing (`tests/data/fuzz-regressions/<target>-<n>.bin`) through the
//! code path its fuzz target drives, plus a few seed inputs that always run, so the test means
//! something even with no saved crash. Fuzzing itself is not part of CI; see `fuzz/` and BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use productbot::engine::Engine;

#[path = "fuzz_support/mod.rs"]
mod fuzz_support;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| fuzz_support::shipped_engine(root()))
}

/// Saved inputs for `target`, sorted by name.
fn saved(target: &str) -> Vec<PathBuf> {
    let dir = root().join("tests/data/fuzz-regressions");
    let prefix = format!("{target}-");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                name.starts_with(&prefix) && name.ends_with(".bin")
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// Every saved file must name a known target, so an input saved under a typo is not silently skipped.
#[test]
fn saved_inputs_name_a_target() {
    let dir = root().join("tests/data/fuzz-regressions");
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.ends_with(".md") {
            continue;
        }
        assert!(
            (name.starts_with("question-") || name.starts_with("loader-")) && name.ends_with(".bin"),
            "{name}: expected question-<n>.bin or loader-<n>.bin"
        );
    }
}

#[test]
fn question_inputs_replay() {
    let seeds: &[&[u8]] = &[
        b"Does the API have memory?",
        b"memory AND( api title:x -\"",
        b"\xff\xfe\x00\x1b[31m gpt-5 \xe2\x80\xae cost $",
        &[b'a'; 10_000],
        b"",
    ];
    for s in seeds {
        fuzz_support::question(engine(), s);
    }
    for path in saved("question") {
        let data = std::fs::read(&path).unwrap();
        fuzz_support::question(engine(), &data);
    }
}

#[test]
fn loader_inputs_replay() {
    let scratch = tempfile::tempdir().unwrap();
    let md = std::fs::read(root().join("corpus/openai-api-vs-chatgpt.md")).unwrap();
    // The loader names its one document `doc`.
    let table = std::fs::read_to_string(root().join("corpus/features.toml"))
        .unwrap()
        .replace("doc = \"openai-api-vs-chatgpt\"", "doc = \"doc\"")
        .into_bytes();
    let shipped: Vec<u8> = [md.as_slice(), &[fuzz_support::SEPARATOR], table.as_slice()].concat();
    let seeds: Vec<Vec<u8>> = vec![
        shipped,
        b"# T\n\n## S\n\nMemory \xe2\x80\x94 remembers. [VERIFY x]\n\xff[[feature]]\nid = \"m\"\n".to_vec(),
        b"\xc3\x28\n# \n##\n\xff\xe2\x82 = [".to_vec(),
        Vec::new(),
    ];
    let loaded: Vec<bool> = seeds.iter().map(|s| fuzz_support::loader(s, scratch.path())).collect();
    assert_eq!(loaded, [true, false, false, false], "the shipped corpus loads, the broken seeds do not");
    for path in saved("loader") {
        let data = std::fs::read(&path).unwrap();
        fuzz_support::loader(&data, scratch.path());
    }
}
