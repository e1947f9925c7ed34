//! Replays every input saved from fuzzing (`tests/data/fuzz-regressions/<target>-<n>.bin`) through the
//! code path its fuzz target drives, plus a few seed inputs that always run, so the test means
//! something even with no saved crash. Fuzzing itself is not part of CI; see `fuzz/` and BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use productbot::cost::PriceTable;
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

fn prices() -> &'static PriceTable {
    static PRICES: OnceLock<PriceTable> = OnceLock::new();
    PRICES.get_or_init(|| fuzz_support::shipped_prices(root()))
}

/// The fuzz targets, as `fuzz/Cargo.toml` names them.
const TARGETS: &[&str] = &["question", "loader", "options", "config"];

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
            TARGETS.iter().any(|t| name.starts_with(&format!("{t}-"))) && name.ends_with(".bin"),
            "{name}: expected <target>-<n>.bin with a target of {TARGETS:?}"
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

#[test]
fn options_inputs_replay() {
    let estimates: &[&[u8]] = &[
        b"/cost input_tokens:1000 output_tokens:500 requests:10000 per:day",
        b"/cost model:4o input_tokens:10k output_tokens:1.5m requests:1,000 per:month batch",
        b"/cost conversations_per_day:100000000 turns:10000 user_tokens:10b reply_tokens:10b batch:true",
        b"/cost text:\"\x1b[31m red \xe2\x80\xae \xff\" model:\"3.5\" output_tokens:0.5k",
    ];
    for s in estimates {
        let text = fuzz_support::options(prices(), s).unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(s)));
        assert!(text.contains('$'), "{text}");
    }
    let errors: &[(&[u8], &str)] = &[
        (b"/cost input_tokens:99999999999999999999999", "too large"),
        (b"/cost input_tokens:1.0001k", "whole number"),
        (b"/cost model:gpt4o-mni input_tokens:1", "did you mean gpt-4o-mini"),
        (b"/cost text:\"unclosed", "unclosed quote"),
        (b"/cost conversations_per_day:5 input_tokens:3", "cannot be combined"),
        (b"/\x1b[2J", "unknown command"),
    ];
    for (s, want) in errors {
        let e = fuzz_support::options(prices(), s).expect_err(&String::from_utf8_lossy(s));
        assert!(e.contains(want), "{}: {e}", String::from_utf8_lossy(s));
    }
    assert_eq!(fuzz_support::options(prices(), b"does the API have memory?"), Ok("ask".to_owned()));
    assert!(fuzz_support::options(prices(), b"/help cost").is_ok_and(|h| h.contains("cached_input_tokens")));
    for path in saved("options") {
        let data = std::fs::read(&path).unwrap();
        let _ = fuzz_support::options(prices(), &data);
    }
}

#[test]
fn config_inputs_replay() {
    let scratch = tempfile::tempdir().unwrap();
    let shipped = std::fs::read(root().join("bot.toml")).unwrap();
    let with_env = [shipped.as_slice(), b"\xffDISCORD_TOKEN= MTIz.abc.def \nPRODUCTBOT__DISCORD__SHARDS=3\n"].concat();
    assert_eq!(fuzz_support::config(&shipped, scratch.path()), Ok(()));
    assert_eq!(fuzz_support::config(&with_env, scratch.path()), Ok(()));
    for (s, want) in [
        (&b"[discord]\ntoken = \"MTIzNDU2.secret.value\"\n"[..], "discord.token"),
        (b"[index]\nthreads = 0\n", "index.threads"),
        (b"[corpus]\ndirr = \"x\"\n", "dirr"),
        (b"[corpus]\ndir = \"\xc3\x28\"\n", "UTF-8"),
        (b"\xffPRODUCTBOT__DISCORD__SHARDS=0", "shards"),
    ] {
        let e = fuzz_support::config(s, scratch.path()).expect_err(&String::from_utf8_lossy(s));
        assert!(e.contains(want), "{}: {e}", String::from_utf8_lossy(s));
    }
    for path in saved("config") {
        let data = std::fs::read(&path).unwrap();
        let _ = fuzz_support::config(&data, scratch.path());
    }
}
