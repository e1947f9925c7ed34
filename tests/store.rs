//! Re-index without downtime: atomic generations, faults that leave the serving index untouched,
//! crash recovery, coalesced builds, and a second process publishing a generation.
//!
//! Fixture corpora are copies of the shipped corpus in temp dirs; version B changes the Memory item's
//! text and its availability, so every answer reveals which version it came from.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

mod support;

use productbot::render;
use productbot::store::{Opened, Store, StoreConfig};

const A_TEXT: &str = "The API has no equivalent.";
const B_TEXT: &str = "The API now has a beta equivalent.";
const QUESTION: &str = "Does the API have memory?";

struct Fixture {
    _scratch: support::Scratch,
    corpus: PathBuf,
    index: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let scratch = support::Scratch::shipped();
        let (corpus, index) = (scratch.corpus(), scratch.index());
        Fixture { _scratch: scratch, corpus, index }
    }

    fn config(&self) -> StoreConfig {
        StoreConfig { corpus_dir: self.corpus.clone(), index_dir: self.index.clone(), threads: 1, articles: None }
    }

    fn open(&self) -> (Store, Opened) {
        Store::open(self.config(), support::prices()).expect("store opens")
    }

    fn article(&self) -> PathBuf {
        self.corpus.join("openai-api-vs-chatgpt.md")
    }

    fn features(&self) -> PathBuf {
        self.corpus.join("features.toml")
    }

    fn edit(&self, path: &Path, from: &str, to: &str) {
        let text = fs::read_to_string(path).unwrap();
        assert!(text.contains(from), "{from:?} not in {}", path.display());
        fs::write(path, text.replacen(from, to, 1)).unwrap();
    }

    /// Version B: the memory passage and the table both say the API now has partial memory.
    fn to_b(&self) {
        self.edit(&self.article(), A_TEXT, B_TEXT);
        self.edit(
            &self.features(),
            "availability = { chatgpt = \"yes\", api = \"no\" }\nnote = \"ChatGPT remembers",
            "availability = { chatgpt = \"yes\", api = \"partial\" }\nnote = \"ChatGPT remembers",
        );
    }

    fn to_a(&self) {
        self.edit(&self.article(), B_TEXT, A_TEXT);
        self.edit(
            &self.features(),
            "availability = { chatgpt = \"yes\", api = \"partial\" }\nnote = \"ChatGPT remembers",
            "availability = { chatgpt = \"yes\", api = \"no\" }\nnote = \"ChatGPT remembers",
        );
    }

    fn current(&self) -> String {
        fs::read_to_string(self.index.join("current")).unwrap().trim().to_owned()
    }
}

/// Which corpus version an answer came from; panics on an answer mixing both.
fn version(store: &Store) -> char {
    let a = store.snapshot().answer(QUESTION);
    let api = a.verdict().and_then(|v| v.asked_value()).map_or("none", |v| v.as_str());
    let snippet = a.sources.first().map(|s| s.snippet.text.clone()).unwrap_or_default();
    match (api, snippet.contains("no equivalent"), snippet.contains("beta equivalent")) {
        ("no", true, false) => 'A',
        ("partial", false, true) => 'B',
        other => panic!("inconsistent answer {other:?}: {}", render::plain(&a)),
    }
}

#[test]
fn answers_stay_consistent_while_reindexing_under_load() {
    let f = Fixture::new();
    let (store, _) = f.open();
    let store = Arc::new(store);
    assert_eq!(version(&store), 'A');
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let seen_b = Arc::new(AtomicBool::new(false));
    let askers: Vec<_> = (0..3)
        .map(|_| {
            let (store, stop, answered, seen_b) = (store.clone(), stop.clone(), answered.clone(), seen_b.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if version(&store) == 'B' {
                        seen_b.store(true, Ordering::Relaxed);
                    }
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for round in 0..8 {
        if round % 2 == 0 {
            f.to_b()
        } else {
            f.to_a()
        }
        let report = store.reindex().expect("re-index succeeds");
        assert_eq!(version(&store), if round % 2 == 0 { 'B' } else { 'A' });
        assert!(report.diff.availability_changes.iter().any(|c| c.starts_with("api.memory:")), "{:?}", report.diff);
    }
    stop.store(true, Ordering::Relaxed);
    for a in askers {
        a.join().expect("no asker panicked (every answer was consistent)");
    }
    assert!(answered.load(Ordering::Relaxed) > 100, "askers ran: {}", answered.load(Ordering::Relaxed));
    assert!(seen_b.load(Ordering::Relaxed), "askers saw the swaps");
    // Old generations are removed once no reader holds them: current plus at most one previous.
    let gens = fs::read_dir(&f.index)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("gen-"))
        .count();
    assert!(gens <= 2, "{gens} generations left");
}

#[test]
fn report_diffs_against_the_previous_generation() {
    let f = Fixture::new();
    let (store, _) = f.open();
    f.to_b();
    fs::write(f.corpus.join("notes.md"), "# Notes\n\n## Extra Section\n\nSome new text about tokens.\n").unwrap();
    let r = store.reindex().unwrap();
    assert_eq!(r.documents, 2);
    assert_eq!(r.diff.availability_changes, ["api.memory: no -> partial"]);
    assert_eq!(r.diff.sections_changed, ["openai-api-vs-chatgpt › Features Only in ChatGPT"]);
    assert!(r.diff.sections_added.contains(&"notes › Extra Section".to_owned()), "{:?}", r.diff);
    let text = render::text::reindex(&r);
    assert!(text.contains("api.memory: no -> partial") && text.contains("passages"), "{text}");
    let again = store.reindex().unwrap();
    assert!(again.diff.is_empty());
    assert!(render::text::reindex(&again).contains("No changes"));
}

/// Each corpus fault fails the re-index with a message naming the problem, keeps serving the old
/// snapshot, and the next good re-index succeeds.
#[test]
fn faults_leave_the_serving_snapshot_untouched() {
    let f = Fixture::new();
    let (store, _) = f.open();
    let good_article = fs::read(f.article()).unwrap();
    let good_features = fs::read_to_string(f.features()).unwrap();
    type Break = Box<dyn Fn(&Fixture)>;
    let cases: Vec<(&str, Break, &str)> = vec![
        (
            "unreadable file",
            Box::new(|f: &Fixture| std::os::unix::fs::symlink("/nonexistent/file", f.corpus.join("gone.md")).unwrap()),
            "gone.md",
        ),
        (
            "invalid utf-8",
            Box::new(|f: &Fixture| {
                let mut b = fs::read(f.article()).unwrap();
                b.splice(0..0, b"line one\nline two\n\xff\xfe\n".iter().copied());
                fs::write(f.article(), b).unwrap();
            }),
            "openai-api-vs-chatgpt.md:3: invalid UTF-8",
        ),
        ("empty corpus", Box::new(|f: &Fixture| fs::remove_file(f.article()).unwrap()), "no .md or .txt document"),
        (
            "features.toml syntax error",
            Box::new(|f: &Fixture| f.edit(&f.features(), "id = \"canvas\"", "id = \"canvas")),
            ": TOML syntax: invalid basic string",
        ),
        (
            "duplicate id",
            Box::new(|f: &Fixture| f.edit(&f.features(), "id = \"canvas\"", "id = \"memory\"")),
            "duplicate feature id `memory`",
        ),
        (
            "feature citing a missing section",
            Box::new(|f: &Fixture| {
                f.edit(
                    &f.features(),
                    "section = \"Features Only in the API\"\nheading = \"Logprobs\"",
                    "section = \"Features Only in Narnia\"",
                )
            }),
            "section `Features Only in Narnia` does not exist",
        ),
        (
            "unknown availability",
            Box::new(|f: &Fixture| f.edit(&f.features(), "api = \"partial\"", "api = \"sometimes\"")),
            "unknown availability `sometimes`",
        ),
    ];
    for (name, break_it, expect) in cases {
        let before = store.snapshot().revision().clone();
        let current = f.current();
        break_it(&f);
        let err = store.reindex().expect_err(name).to_string();
        assert!(err.contains(expect), "{name}: {err}");
        if name != "empty corpus" {
            assert!(
                err.contains(".md") || err.contains("features.toml") || err.contains("corpus"),
                "{name} names a file: {err}"
            );
        }
        assert_eq!(store.snapshot().revision(), &before, "{name}: snapshot unchanged");
        assert_eq!(f.current(), current, "{name}: current unchanged");
        assert_eq!(version(&store), 'A', "{name}: old answers still come back");
        // Repair and re-index.
        let _ = fs::remove_file(f.corpus.join("gone.md"));
        fs::write(f.article(), &good_article).unwrap();
        fs::write(f.features(), &good_features).unwrap();
        store.reindex().unwrap_or_else(|e| panic!("{name}: good re-index after repair failed: {e}"));
        assert_eq!(version(&store), 'A');
    }
    // No half-built generation is left behind by the failures.
    let leftovers: Vec<_> = fs::read_dir(&f.index)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn gen_dir(f: &Fixture) -> PathBuf {
    f.index.join(f.current())
}

fn tantivy_files(f: &Fixture, ext: &str) -> Vec<PathBuf> {
    fs::read_dir(gen_dir(f).join("tantivy"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect()
}

#[test]
fn restart_recovers_from_crashes_and_corruption() {
    type Damage = Box<dyn Fn(&Fixture)>;
    let cases: Vec<(&str, Damage)> = vec![
        (
            "half-written generation",
            Box::new(|f: &Fixture| {
                fs::create_dir_all(f.index.join(".tmp-1-2/tantivy")).unwrap();
                fs::write(f.index.join(".tmp-1-2/tantivy/meta.json"), "{").unwrap();
                fs::create_dir_all(f.index.join("gen-000099/tantivy")).unwrap();
            }),
        ),
        (
            "truncated segment",
            Box::new(|f: &Fixture| {
                for p in tantivy_files(f, "idx").into_iter().chain(tantivy_files(f, "store")) {
                    let len = fs::metadata(&p).unwrap().len();
                    fs::OpenOptions::new().write(true).open(&p).unwrap().set_len(len / 3).unwrap();
                }
            }),
        ),
        (
            "garbage meta.json",
            Box::new(|f: &Fixture| fs::write(gen_dir(f).join("tantivy/meta.json"), "garbage{{").unwrap()),
        ),
        ("garbage manifest", Box::new(|f: &Fixture| fs::write(gen_dir(f).join("manifest.json"), "\0\0").unwrap())),
        (
            "current pointing nowhere",
            Box::new(|f: &Fixture| fs::write(f.index.join("current"), "gen-424242\n").unwrap()),
        ),
        ("current is garbage", Box::new(|f: &Fixture| fs::write(f.index.join("current"), "../../etc\n").unwrap())),
        ("corpus file lost", Box::new(|f: &Fixture| fs::remove_file(gen_dir(f).join("corpus.json")).unwrap())),
        (
            // Valid JSON, same counts, one verdict changed by hand: only the checksum can tell.
            "hand-edited corpus.json",
            Box::new(|f: &Fixture| {
                let p = gen_dir(f).join("corpus.json");
                let text = fs::read_to_string(&p).unwrap();
                let edited = text.replacen("\"partial\"", "\"no\"", 1);
                assert_ne!(edited, text, "the fixture has a partial verdict to edit");
                fs::write(&p, edited).unwrap();
            }),
        ),
        (
            "older format",
            Box::new(|f: &Fixture| {
                let p = gen_dir(f).join("manifest.json");
                let text = fs::read_to_string(&p).unwrap();
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                let mut v = v.as_object().unwrap().clone();
                v.insert("format".into(), serde_json::json!(0));
                fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
            }),
        ),
    ];
    for (name, damage) in cases {
        let f = Fixture::new();
        drop(f.open());
        damage(&f);
        let (store, opened) = f.open();
        if name == "half-written generation" {
            assert_eq!(opened, Opened::Existing, "{name}");
            assert!(
                !f.index.join(".tmp-1-2").exists() && !f.index.join("gen-000099").exists(),
                "{name}: leftovers removed"
            );
        } else {
            assert!(matches!(opened, Opened::Rebuilt(_)), "{name}: {opened:?}");
        }
        assert_eq!(version(&store), 'A', "{name}");
    }
}

#[test]
fn stale_index_is_rebuilt_at_start() {
    let f = Fixture::new();
    drop(f.open());
    f.to_b();
    let (store, opened) = f.open();
    assert!(matches!(&opened, Opened::Rebuilt(why) if why.contains("changed")), "{opened:?}");
    assert_eq!(version(&store), 'B');
    let (_, opened) = f.open();
    assert_eq!(opened, Opened::Existing);
}

#[test]
fn broken_corpus_at_start_serves_the_previous_generation() {
    let f = Fixture::new();
    drop(f.open());
    f.edit(&f.features(), "api = \"partial\"", "api = \"sometimes\"");
    let (store, opened) = f.open();
    assert!(matches!(&opened, Opened::StaleFallback(e) if e.contains("sometimes")), "{opened:?}");
    assert_eq!(version(&store), 'A');
}

/// A big corpus so that a build takes long enough for a second request to arrive during it.
fn grow(f: &Fixture, bytes: usize) {
    let para = "Tokens and prices and limits differ between products in ways the article explains at length. ";
    let mut text = String::from("# Filler\n\n");
    let mut i = 0;
    while text.len() < bytes {
        text.push_str(&format!("## Section {i}\n\n{}\n\n", para.repeat(8)));
        i += 1;
    }
    fs::write(f.corpus.join("filler.md"), text).unwrap();
}

#[test]
fn simultaneous_reindex_requests_share_one_build() {
    let f = Fixture::new();
    grow(&f, 3_000_000);
    let (store, _) = f.open();
    let store = Arc::new(store);
    let gen_before = f.current();
    let start = Arc::new(Barrier::new(2));
    let first = {
        let (store, start) = (store.clone(), start.clone());
        std::thread::spawn(move || {
            start.wait();
            store.reindex()
        })
    };
    start.wait();
    // Join only once the first build is under way.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !store.is_building() {
        assert!(std::time::Instant::now() < deadline, "first build never started");
        std::thread::yield_now();
    }
    let second = store.reindex().expect("joined build succeeds");
    let first = first.join().unwrap().expect("first build succeeds");
    assert_eq!(first.generation, second.generation, "one build served both");
    assert!(!first.coalesced && second.coalesced);
    let n = |g: &str| g.trim_start_matches("gen-").parse::<u32>().unwrap();
    assert_eq!(n(&f.current()), n(&gen_before) + 1, "exactly one new generation");
}

#[test]
fn generation_published_by_another_process_is_picked_up() {
    let f = Fixture::new();
    let (store, _) = f.open();
    let before = store.snapshot().revision().generation.clone();
    f.to_b();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_productbot"))
        .args(["reindex", "--json"])
        .env("PRODUCTBOT__CORPUS__DIR", &f.corpus)
        .env("PRODUCTBOT__INDEX__DIR", &f.index)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(version(&store), 'A', "still the old snapshot until refreshed");
    let new = store.refresh().expect("a new generation was noticed");
    assert_eq!(report["generation"], new.as_str());
    assert_ne!(new, before);
    assert_eq!(version(&store), 'B');
    assert_eq!(store.refresh(), None, "nothing new the second time");
}

/// A write failure in the middle of a build (here the file-size limit, which fails writes the way a
/// full disk does) fails that re-index and leaves `current` and the answers as they were.
#[test]
fn write_failure_mid_build_keeps_the_old_generation() {
    let f = Fixture::new();
    drop(f.open());
    let current = f.current();
    f.to_b();
    let script = format!("trap '' XFSZ; ulimit -f 8; exec \"{}\" reindex", env!("CARGO_BIN_EXE_productbot"));
    grow(&f, 200_000);
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .env("PRODUCTBOT__CORPUS__DIR", &f.corpus)
        .env("PRODUCTBOT__INDEX__DIR", &f.index)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the build should fail: {stderr}");
    assert!(stderr.contains("too large") || stderr.contains("File too large") || stderr.contains("index"), "{stderr}");
    assert_eq!(f.current(), current, "current unchanged");
    fs::remove_file(f.corpus.join("filler.md")).unwrap();
    f.to_a();
    let (store, opened) = f.open();
    assert_eq!(opened, Opened::Existing, "the old generation still serves");
    assert_eq!(version(&store), 'A');
}

#[test]
fn watcher_reindexes_when_corpus_files_change() {
    let f = Fixture::new();
    let (store, _) = f.open();
    let store = Arc::new(store);
    let _watcher = productbot::watch::spawn(store.clone(), Duration::from_millis(300)).unwrap();
    f.to_b();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while version(&store) != 'B' {
        assert!(std::time::Instant::now() < deadline, "the watcher never re-indexed");
        std::thread::sleep(Duration::from_millis(20));
    }
    // A broken edit is picked up too: the watcher's re-index fails and version B keeps serving.
    let (builds, _) = store.last_reindex();
    f.edit(
        &f.features(),
        "api = \"partial\" }\nnote = \"ChatGPT remembers",
        "api = \"maybe\" }\nnote = \"ChatGPT remembers",
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    // Late events of the first edit may still re-index version B; wait for the failed build.
    let outcome = loop {
        match store.last_reindex() {
            (n, Some(outcome @ Err(_))) if n > builds => break outcome,
            _ => {
                assert!(std::time::Instant::now() < deadline, "the watcher never tried the broken edit");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    };
    let err = outcome.expect_err("a broken table does not index").to_string();
    assert!(err.contains("unknown availability `maybe`"), "{err}");
    assert_eq!(version(&store), 'B');
}
