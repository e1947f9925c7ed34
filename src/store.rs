//! The serving snapshot and its re-index life cycle. The current [`Engine`] sits behind an atomic
//! pointer; a re-index builds a complete new generation in a fresh directory, validates it, publishes
//! it by renaming a small `current` pointer file, then swaps the pointer. Readers never wait and never
//! see half of two corpora.
//!
//! On disk (`index/`): `current` names the serving generation; `gen_name-NNNNNN/` holds a tantivy index
//! (`tantivy/`), the passages, the feature table and `manifest.json` (written last); `.tmp-*` are builds
//! in progress (or left by a crash, removed at start); `.build.lock` serializes builders across processes.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use crate::corpus::{self, Passage};
use crate::cost::PriceTable;
use crate::engine::{Engine, Parts, Revision};
use crate::features::{self, Availability, FeatureTable};
use crate::index::{self, SearchIndex};

/// Bumped whenever the on-disk layout, the schema, the analyzer or corpus splitting changes: a
/// generation of another format is rebuilt at start.
pub const FORMAT: u32 = 3;
const CURRENT: &str = "current";
const MANIFEST: &str = "manifest.json";
const PASSAGES: &str = "passages.json";
const FEATURES: &str = "features.json";
const TANTIVY: &str = "tantivy";
const LOCK: &str = ".build.lock";
const TMP_PREFIX: &str = ".tmp-";
const GEN_PREFIX: &str = "gen-";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: u32,
    pub fingerprint: String,
    pub created_unix_ms: u64,
    pub build_ms: u64,
    pub documents: Vec<DocInfo>,
    pub passages: usize,
    pub corpus_bytes: u64,
    /// Section key ("doc › section") -> digest of its passages, for diffs between generations.
    pub sections: BTreeMap<String, String>,
    /// Feature id -> (chatgpt, api).
    pub availability: BTreeMap<String, (Availability, Availability)>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DocInfo {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReindexReport {
    pub generation: String,
    pub revision: String,
    pub documents: usize,
    pub passages: usize,
    pub features: usize,
    pub corpus_bytes: u64,
    pub build_ms: u64,
    /// True when this request joined a build another request had started.
    pub coalesced: bool,
    pub diff: Diff,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Diff {
    pub previous: Option<String>,
    pub sections_added: Vec<String>,
    pub sections_removed: Vec<String>,
    pub sections_changed: Vec<String>,
    pub features_added: Vec<String>,
    pub features_removed: Vec<String>,
    /// E.g. "api.memory: no -> partial".
    pub availability_changes: Vec<String>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.sections_added.is_empty()
            && self.sections_removed.is_empty()
            && self.sections_changed.is_empty()
            && self.features_added.is_empty()
            && self.features_removed.is_empty()
            && self.availability_changes.is_empty()
    }
}

impl ReindexReport {
    pub fn render_text(&self) -> String {
        let mut s = format!(
            "Re-indexed {} document(s): {} passages, {} features in {} ms ({}, revision {}){}.\n",
            self.documents,
            self.passages,
            self.features,
            self.build_ms,
            self.generation,
            self.revision,
            if self.coalesced { "; joined a re-index already running" } else { "" }
        );
        let d = &self.diff;
        match &d.previous {
            None => s.push_str("No previous generation to compare with.\n"),
            Some(_) if d.is_empty() => s.push_str("No changes since the previous generation.\n"),
            Some(p) => {
                s.push_str(&format!("Changes since {p}:\n"));
                let mut list = |label: &str, items: &[String]| {
                    if !items.is_empty() {
                        s.push_str(&format!("- {label}: {}\n", items.join("; ")));
                    }
                };
                list("sections added", &d.sections_added);
                list("sections removed", &d.sections_removed);
                list("sections changed", &d.sections_changed);
                list("features added", &d.features_added);
                list("features removed", &d.features_removed);
                list("availability", &d.availability_changes);
            }
        }
        s.trim_end().to_owned()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Corpus(#[from] corpus::CorpusError),
    #[error(transparent)]
    Features(#[from] features::FeatureError),
    #[error(transparent)]
    Index(#[from] index::IndexError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Data { path: PathBuf, message: String },
    #[error("validation of the new index failed: {0}")]
    Validation(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_owned(), source }
}

/// Where the corpus and index live, and how to build.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub corpus_dir: PathBuf,
    pub index_dir: PathBuf,
    pub threads: usize,
}

/// How the serving snapshot came to be at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// The `current` generation matched the corpus.
    Existing,
    /// Rebuilt; the string says why.
    Rebuilt(String),
    /// The corpus could not be indexed; an older generation is served. The string is the error.
    StaleFallback(String),
}

/// A re-index outcome shared by every request that joined the same build.
type Outcome = Result<ReindexReport, Arc<StoreError>>;

#[derive(Default)]
struct BuildState {
    running: bool,
    epoch: u64,
    last: Option<Outcome>,
}

pub struct Store {
    cfg: StoreConfig,
    current: ArcSwap<Engine>,
    prices: Mutex<Arc<PriceTable>>,
    build: Mutex<BuildState>,
    built: Condvar,
    /// Engines that were replaced, to delete their directories once no reader holds them.
    retired: Mutex<Vec<(PathBuf, Weak<Engine>)>>,
}

impl Store {
    /// Opens the `current` generation if it matches the corpus; otherwise builds one.
    pub fn open(cfg: StoreConfig, prices: Arc<PriceTable>) -> Result<(Store, Opened), StoreError> {
        fs::create_dir_all(&cfg.index_dir).map_err(io(&cfg.index_dir))?;
        clean_leftovers(&cfg.index_dir);
        let fingerprint = corpus::fingerprint_dir(&cfg.corpus_dir);
        let existing = read_current(&cfg.index_dir);
        let attempt = match (&existing, &fingerprint) {
            (Some(gen_name), Ok(fp)) => match open_generation(&cfg.index_dir.join(gen_name), prices.clone()) {
                Ok((engine, manifest)) if manifest.fingerprint == *fp => Ok(engine),
                Ok((engine, _)) => Err(("the corpus changed since it was indexed".to_owned(), Some(engine))),
                Err(e) => Err((format!("generation {gen_name} is unusable ({e})"), None)),
            },
            (None, _) => Err(("no index yet".to_owned(), None)),
            (Some(_), Err(e)) => Err((format!("cannot read the corpus ({e})"), None)),
        };
        let (engine, opened) = match attempt {
            Ok(engine) => (engine, Opened::Existing),
            Err((why, fallback)) => {
                if existing.is_some() {
                    warn!("rebuilding the index: {why}");
                } else {
                    info!("building the index: {why}");
                }
                match build_generation(&cfg, prices.clone()) {
                    Ok((engine, _, _)) => (engine, Opened::Rebuilt(why)),
                    Err(e) => match fallback {
                        Some(old) => {
                            warn!("serving the previous index: the corpus cannot be indexed: {e}");
                            (old, Opened::StaleFallback(e.to_string()))
                        }
                        None => return Err(e),
                    },
                }
            }
        };
        let store = Store {
            cfg,
            current: ArcSwap::from_pointee(engine),
            prices: Mutex::new(prices),
            build: Mutex::new(BuildState::default()),
            built: Condvar::new(),
            retired: Mutex::new(Vec::new()),
        };
        store.collect_garbage();
        Ok((store, opened))
    }

    /// The engine to answer one request with. Hold it for the whole request.
    pub fn snapshot(&self) -> Arc<Engine> {
        self.current.load_full()
    }

    pub fn config(&self) -> &StoreConfig {
        &self.cfg
    }

    /// Replaces the price table used by the next generation and the current one.
    pub fn set_prices(&self, prices: Arc<PriceTable>) {
        *self.prices.lock().unwrap_or_else(|e| e.into_inner()) = prices;
    }

    fn prices(&self) -> Arc<PriceTable> {
        self.prices.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Builds, validates and publishes a new generation. Requests that arrive while a build runs wait
    /// for it and share its outcome instead of starting a second build.
    pub fn reindex(&self) -> Result<ReindexReport, Arc<StoreError>> {
        let mut state = self.build.lock().unwrap_or_else(|e| e.into_inner());
        if state.running {
            let joined = state.epoch;
            while state.epoch == joined {
                state = self.built.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            return match state.last.clone() {
                Some(Ok(mut report)) => {
                    report.coalesced = true;
                    Ok(report)
                }
                Some(Err(e)) => Err(e),
                None => Err(Arc::new(StoreError::Validation("the joined re-index left no outcome".into()))),
            };
        }
        state.running = true;
        drop(state);

        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.reindex_now()))
            .unwrap_or_else(|_| Err(StoreError::Validation("the re-index panicked".into())))
            .map_err(Arc::new);

        let mut state = self.build.lock().unwrap_or_else(|e| e.into_inner());
        state.running = false;
        state.epoch += 1;
        state.last = Some(outcome.clone());
        drop(state);
        self.built.notify_all();
        outcome
    }

    /// Whether a re-index is running in this process now.
    pub fn is_building(&self) -> bool {
        self.build.lock().unwrap_or_else(|e| e.into_inner()).running
    }

    fn reindex_now(&self) -> Result<ReindexReport, StoreError> {
        let previous = read_current(&self.cfg.index_dir);
        let previous_manifest = previous.as_ref().and_then(|g| read_manifest(&self.cfg.index_dir.join(g)).ok());
        let (engine, manifest, gen_name) = build_generation(&self.cfg, self.prices())?;
        let table_len = engine.features().features.len();
        self.swap(engine);
        let diff = diff(previous.as_deref(), previous_manifest.as_ref(), &manifest);
        info!(generation = %gen_name, passages = manifest.passages, build_ms = manifest.build_ms, "re-indexed");
        Ok(ReindexReport {
            generation: gen_name,
            revision: short(&manifest.fingerprint),
            documents: manifest.documents.len(),
            passages: manifest.passages,
            features: table_len,
            corpus_bytes: manifest.corpus_bytes,
            build_ms: manifest.build_ms,
            coalesced: false,
            diff,
        })
    }

    fn swap(&self, engine: Engine) {
        let old = self.current.swap(Arc::new(engine));
        let gen_name = &old.revision().generation;
        if gen_name.starts_with(GEN_PREFIX) {
            self.retired
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((self.cfg.index_dir.join(gen_name), Arc::downgrade(&old)));
        }
        drop(old);
        self.collect_garbage();
    }

    /// Swaps to the generation `current` names if another process published it. Returns its name.
    pub fn refresh(&self) -> Option<String> {
        let gen_name = read_current(&self.cfg.index_dir)?;
        if self.snapshot().revision().generation == gen_name || self.is_building() {
            return None;
        }
        match open_generation(&self.cfg.index_dir.join(&gen_name), self.prices()) {
            Ok((engine, _)) => {
                info!(generation = %gen_name, "switched to a generation published by another process");
                self.swap(engine);
                Some(gen_name)
            }
            Err(e) => {
                warn!(generation = %gen_name, "ignoring an unusable published generation: {e}");
                None
            }
        }
    }

    /// Deletes generation directories that are neither current, nor the one before it (another
    /// process may still serve it), nor held by a reader of this process.
    fn collect_garbage(&self) {
        let dir = &self.cfg.index_dir;
        let Ok(_lock) = BuildLock::try_acquire(dir) else { return };
        let current = read_current(dir);
        let mut gens = list_generations(dir);
        gens.sort();
        let serving = self.snapshot().revision().generation.clone();
        let mut retired = self.retired.lock().unwrap_or_else(|e| e.into_inner());
        retired.retain(|(_, w)| w.strong_count() > 0);
        let held: Vec<PathBuf> = retired.iter().map(|(p, _)| p.clone()).collect();
        let keep_previous = gens.iter().rfind(|g| Some(*g) != current.as_ref()).cloned();
        for g in gens {
            let path = dir.join(&g);
            if Some(&g) == current.as_ref()
                || g == serving
                || Some(&g) == keep_previous.as_ref()
                || held.contains(&path)
            {
                continue;
            }
            if let Err(e) = fs::remove_dir_all(&path) {
                warn!("could not remove old generation {}: {e}", path.display());
            }
        }
    }
}

fn short(fingerprint: &str) -> String {
    fingerprint.chars().take(12).collect()
}

/// An exclusive OS lock on `index/.build.lock`, so two processes never build at once.
struct BuildLock(File);

impl BuildLock {
    fn acquire(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(LOCK);
        let f = File::options().create(true).truncate(false).write(true).open(&path).map_err(io(&path))?;
        f.lock().map_err(io(&path))?;
        Ok(BuildLock(f))
    }

    fn try_acquire(dir: &Path) -> Result<Self, ()> {
        let path = dir.join(LOCK);
        let f = File::options().create(true).truncate(false).write(true).open(&path).map_err(|_| ())?;
        f.try_lock().map_err(|_| ())?;
        Ok(BuildLock(f))
    }
}

impl Drop for BuildLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

fn read_current(dir: &Path) -> Option<String> {
    let name = fs::read_to_string(dir.join(CURRENT)).ok()?;
    let name = name.trim();
    (name.starts_with(GEN_PREFIX) && !name.contains(['/', '\\']) && dir.join(name).is_dir()).then(|| name.to_owned())
}

fn list_generations(dir: &Path) -> Vec<String> {
    let Ok(rd) = fs::read_dir(dir) else { return Vec::new() };
    rd.filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| n.starts_with(GEN_PREFIX))
        .collect()
}

/// Removes half-built generations a crash left behind, unless another process is building now.
fn clean_leftovers(dir: &Path) {
    let Ok(_lock) = BuildLock::try_acquire(dir) else { return };
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let half_built =
            name.starts_with(TMP_PREFIX) || (name.starts_with(GEN_PREFIX) && !e.path().join(MANIFEST).is_file());
        if half_built && e.path().is_dir() {
            warn!("removing half-built generation {name}");
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

fn read_manifest(gen_dir: &Path) -> Result<Manifest, StoreError> {
    let path = gen_dir.join(MANIFEST);
    let bytes = fs::read(&path).map_err(io(&path))?;
    serde_json::from_slice(&bytes).map_err(|e| StoreError::Data { path, message: e.to_string() })
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, StoreError> {
    let bytes = fs::read(path).map_err(io(path))?;
    serde_json::from_slice(&bytes).map_err(|e| StoreError::Data { path: path.to_owned(), message: e.to_string() })
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    let mut f = File::create(path).map_err(io(path))?;
    serde_json::to_writer(&mut f, value)
        .map_err(|e| StoreError::Data { path: path.to_owned(), message: e.to_string() })?;
    f.flush().map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// Opens and validates one generation directory.
fn open_generation(gen_dir: &Path, prices: Arc<PriceTable>) -> Result<(Engine, Manifest), StoreError> {
    let manifest = read_manifest(gen_dir)?;
    if manifest.format != FORMAT {
        return Err(StoreError::Data {
            path: gen_dir.join(MANIFEST),
            message: format!("format {} is not this version's {FORMAT}", manifest.format),
        });
    }
    let passages: Vec<Passage> = read_json(&gen_dir.join(PASSAGES))?;
    let table: FeatureTable = read_json(&gen_dir.join(FEATURES))?;
    let index = SearchIndex::open(&gen_dir.join(TANTIVY))?;
    let name = gen_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let engine = Engine::new(Parts {
        index,
        passages,
        table,
        prices,
        titles: manifest.documents.iter().map(|d| d.title.clone()).collect(),
        revision: Revision { corpus: short(&manifest.fingerprint), generation: name },
    });
    validate(&engine, &manifest)?;
    Ok((engine, manifest))
}

/// A generation is served only if its reader works, it holds every passage, every feature's section
/// resolves and a probe query finds the section it should.
fn validate(engine: &Engine, manifest: &Manifest) -> Result<(), StoreError> {
    let passages = engine.passages();
    if passages.is_empty() || manifest.passages != passages.len() {
        return Err(StoreError::Validation(format!(
            "{} passages, manifest says {}",
            passages.len(),
            manifest.passages
        )));
    }
    let docs = engine.search_index().num_docs();
    if docs != passages.len() as u64 {
        return Err(StoreError::Validation(format!("index holds {docs} documents for {} passages", passages.len())));
    }
    for f in &engine.features().features {
        if !passages.iter().any(|p| p.section.eq_ignore_ascii_case(&f.section)) {
            return Err(StoreError::Validation(format!("feature `{}` cites missing section `{}`", f.id, f.section)));
        }
    }
    // Probe: a passage's own heading must find a passage of the same section.
    let probe = &passages[passages.len() / 2];
    let idx = engine.search_index();
    let searcher = idx.searcher();
    let mut analyzer = idx.analyzer();
    let mut terms = crate::text::terms(&mut analyzer, &probe.heading);
    terms.extend(crate::text::terms(&mut analyzer, &index::truncate_words(&probe.text, 200)));
    let stats = index::Stats::new(&searcher);
    let hits = idx.search(&stats, &idx.query(&stats, &terms, &[]), 10)?;
    if !hits.iter().any(|h| passages.get(h.pid).is_some_and(|p| p.section == probe.section)) {
        return Err(StoreError::Validation(format!("probe query for `{}` did not find its section", probe.heading)));
    }
    Ok(())
}

/// Loads the corpus, builds a generation in a temporary directory, validates it and publishes it.
fn build_generation(cfg: &StoreConfig, prices: Arc<PriceTable>) -> Result<(Engine, Manifest, String), StoreError> {
    let started = Instant::now();
    let corpus = corpus::load_dir(&cfg.corpus_dir)?;
    let table = features::load(&cfg.corpus_dir, &corpus)?;

    fs::create_dir_all(&cfg.index_dir).map_err(io(&cfg.index_dir))?;
    let _lock = BuildLock::acquire(&cfg.index_dir)?;
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let tmp = cfg.index_dir.join(format!("{TMP_PREFIX}{}-{nanos}", std::process::id()));
    let result = (|| {
        let tantivy_dir = tmp.join(TANTIVY);
        fs::create_dir_all(&tantivy_dir).map_err(io(&tantivy_dir))?;
        index::build(&tantivy_dir, &corpus.passages, cfg.threads)
            .map_err(|e| StoreError::Data { path: tantivy_dir.clone(), message: e.to_string() })?;
        write_json(&tmp.join(PASSAGES), &corpus.passages)?;
        write_json(&tmp.join(FEATURES), &table)?;
        let manifest = Manifest {
            format: FORMAT,
            fingerprint: corpus.fingerprint.clone(),
            created_unix_ms: SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0),
            build_ms: started.elapsed().as_millis() as u64,
            documents: corpus.docs.iter().map(|d| DocInfo { id: d.id.clone(), title: d.title.clone() }).collect(),
            passages: corpus.passages.len(),
            corpus_bytes: corpus.bytes,
            sections: section_digests(&corpus.passages),
            availability: table.features.iter().map(|f| (f.id.clone(), (f.chatgpt, f.api))).collect(),
        };
        write_json(&tmp.join(MANIFEST), &manifest)?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    // Validate under the final name before publishing: a generation that cannot serve never becomes
    // `current` (and is removed here).
    let gen_name = next_generation_name(&cfg.index_dir);
    let gen_dir = cfg.index_dir.join(&gen_name);
    if let Err(e) = fs::rename(&tmp, &gen_dir) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(StoreError::Io { path: gen_dir, source: e });
    }
    match open_generation(&gen_dir, prices).and_then(|(engine, manifest)| {
        publish(&cfg.index_dir, &gen_name)?;
        Ok((engine, manifest))
    }) {
        Ok((engine, manifest)) => Ok((engine, manifest, gen_name)),
        Err(e) => {
            let _ = fs::remove_dir_all(&gen_dir);
            Err(e)
        }
    }
}

fn next_generation_name(dir: &Path) -> String {
    let max = list_generations(dir)
        .iter()
        .filter_map(|g| g.strip_prefix(GEN_PREFIX).and_then(|n| n.parse::<u64>().ok()))
        .max()
        .unwrap_or(0);
    format!("{GEN_PREFIX}{:06}", max + 1)
}

/// Points `current` at `gen_name` atomically: write a temporary file, sync it, rename it over.
fn publish(dir: &Path, gen_name: &str) -> Result<(), StoreError> {
    let tmp = dir.join(format!("{CURRENT}.tmp"));
    {
        let mut f = File::create(&tmp).map_err(io(&tmp))?;
        writeln!(f, "{gen_name}").map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    let dst = dir.join(CURRENT);
    fs::rename(&tmp, &dst).map_err(io(&dst))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn section_digests(passages: &[Passage]) -> BTreeMap<String, String> {
    let mut hashers: BTreeMap<String, Sha256> = BTreeMap::new();
    for p in passages {
        let key = format!("{} › {}", p.doc, p.section);
        let h = hashers.entry(key).or_default();
        h.update(p.heading.as_bytes());
        h.update([0]);
        h.update(p.text.as_bytes());
        h.update([0]);
    }
    hashers.into_iter().map(|(k, h)| (k, h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect())).collect()
}

fn diff(previous: Option<&str>, old: Option<&Manifest>, new: &Manifest) -> Diff {
    let Some(old) = old else {
        return Diff { previous: previous.map(str::to_owned), ..Diff::default() };
    };
    let mut d = Diff { previous: previous.map(str::to_owned), ..Diff::default() };
    for (k, v) in &new.sections {
        match old.sections.get(k) {
            None => d.sections_added.push(k.clone()),
            Some(o) if o != v => d.sections_changed.push(k.clone()),
            _ => {}
        }
    }
    d.sections_removed = old.sections.keys().filter(|k| !new.sections.contains_key(*k)).cloned().collect();
    for (id, (c, a)) in &new.availability {
        match old.availability.get(id) {
            None => d.features_added.push(id.clone()),
            Some((oc, oa)) => {
                if oc != c {
                    d.availability_changes.push(format!("chatgpt.{id}: {oc} -> {c}"));
                }
                if oa != a {
                    d.availability_changes.push(format!("api.{id}: {oa} -> {a}"));
                }
            }
        }
    }
    d.features_removed = old.availability.keys().filter(|k| !new.availability.contains_key(*k)).cloned().collect();
    d
}
