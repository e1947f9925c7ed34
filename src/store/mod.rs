//! The serving snapshot and its re-index life cycle. The current [`Engine`] sits behind an atomic
//! pointer; a re-index builds a complete new generation in a fresh directory, validates it, publishes
//! it by renaming a small `current` pointer file, then swaps the pointer. Readers never wait and never
//! see half of two corpora.
//!
//! On disk (`index/`): `current` names the serving generation; `gen-NNNNNN/` holds a tantivy index
//! (`tantivy/`), the corpus as loaded (`corpus.json`) and `manifest.json` (written last); `.tmp-*` are
//! builds in progress (or left by a crash, removed at start); `.build.lock` serializes builders
//! across processes. [`generation`] is that on-disk layer; [`diff`] compares two generations.

mod diff;
mod generation;

use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, Weak};

use arc_swap::ArcSwap;
use serde::Serialize;
use tracing::{info, warn};

pub use self::diff::Diff;
use self::generation::{
    BuildLock, GEN_PREFIX, build_generation, clean_leftovers, list_generations, open_generation, read_current,
    read_manifest, short,
};
pub use self::generation::{FORMAT, Manifest};
use crate::corpus;
use crate::cost::PriceTable;
use crate::engine::Engine;
use crate::index;

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
    /// Other replicas that re-indexed on this one's announcement (PostgreSQL setups).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<crate::replicas::ReplicaReport>,
    /// Why the other replicas could not be told (the shared database did not answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas_unreached: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Corpus(#[from] corpus::CorpusError),
    #[error(transparent)]
    Index(#[from] index::IndexError),
    /// The OS error is part of the message (not a `source`), so a chain prints it once.
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    /// The index directory cannot be written here: the current generation can be served, not rebuilt.
    #[error("{path}: {error}; the index is read-only here, so it is served as it is and cannot be re-indexed")]
    ReadOnly { path: PathBuf, error: std::io::Error },
    #[error("{path}: {message}")]
    Data { path: PathBuf, message: String },
    #[error("validation of the new index failed: {0}")]
    Validation(String),
}

/// With neither a corpus directory nor an index directory there is nothing to serve: said at once,
/// with the directory looked for, and nothing created (a mistyped path or the wrong working
/// directory leaves no empty `index/` behind).
fn no_corpus_nor_index(cfg: &StoreConfig) -> Result<(), StoreError> {
    if cfg.corpus_dir.is_dir() || cfg.index_dir.exists() {
        return Ok(());
    }
    let path = std::path::absolute(&cfg.corpus_dir).unwrap_or_else(|_| cfg.corpus_dir.clone());
    Err(StoreError::Data {
        path,
        message: "no such directory (run from the directory that has the corpus, or set corpus_dir in the config)"
            .into(),
    })
}

/// Where the corpus and index live, and how to build.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub corpus_dir: PathBuf,
    pub index_dir: PathBuf,
    pub threads: usize,
    /// Serve these articles of the corpus only (a channel limited to them); `None`: all of them.
    pub articles: Option<Vec<String>>,
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
pub type Outcome = Result<ReindexReport, Arc<StoreError>>;

#[derive(Default)]
struct BuildState {
    running: bool,
    epoch: u64,
    last: Option<Outcome>,
}

pub struct Store {
    cfg: StoreConfig,
    current: ArcSwap<Engine>,
    prices: Arc<PriceTable>,
    /// A published generation that could not be opened, so that polling warns about it once.
    unusable: Mutex<Option<String>>,
    /// The report of the build that opening did, for [`Store::open_for_reindex`]: the next
    /// re-index returns it instead of building a second time.
    pending: Mutex<Option<ReindexReport>>,
    build: Mutex<BuildState>,
    built: Condvar,
    /// Engines that were replaced, to delete their directories once no reader holds them.
    retired: Mutex<Vec<(PathBuf, Weak<Engine>)>>,
}

impl Store {
    /// Opens the `current` generation if it matches the corpus; otherwise builds one. If the corpus
    /// cannot be indexed (or even read) but a previous generation opens, that one is served
    /// ([`Opened::StaleFallback`]); the caller says so, once.
    pub fn open(cfg: StoreConfig, prices: Arc<PriceTable>) -> Result<(Store, Opened), StoreError> {
        no_corpus_nor_index(&cfg)?;
        fs::create_dir_all(&cfg.index_dir).map_err(|error| StoreError::Io { path: cfg.index_dir.clone(), error })?;
        clean_leftovers(&cfg.index_dir);
        let existing = read_current(&cfg.index_dir);
        let opened = existing.as_ref().map(|g| (g, open_generation(&cfg.index_dir.join(g), prices.clone())));
        let fingerprint = corpus::fingerprint_of(&cfg.corpus_dir, cfg.articles.as_deref());
        let (why, fallback) = match (opened, &fingerprint) {
            (Some((_, Ok((engine, manifest)))), Ok(fp)) if manifest.fingerprint == *fp => {
                let store = Store::with_engine(cfg, prices, engine);
                return Ok((store, Opened::Existing));
            }
            (Some((_, Ok((engine, _)))), Ok(_)) => ("the corpus changed since it was indexed".to_owned(), Some(engine)),
            (Some((_, Ok((engine, _)))), Err(e)) => (format!("cannot read the corpus ({e})"), Some(engine)),
            (Some((g, Err(e))), _) => (format!("generation {g} is unusable ({e})"), None),
            (None, _) => ("no index yet".to_owned(), None),
        };
        if existing.is_some() {
            warn!("rebuilding the index: {why}");
        } else {
            info!("building the index: {why}");
        }
        let (engine, opened) = match build_generation(&cfg, prices.clone()) {
            Ok((engine, _, _)) => (engine, Opened::Rebuilt(why)),
            Err(e) => match fallback {
                Some(old) => (old, Opened::StaleFallback(e.to_string())),
                None => return Err(e),
            },
        };
        Ok((Store::with_engine(cfg, prices, engine), opened))
    }

    /// Opens the store for `productbot reindex`: the current generation is served as it is, even
    /// if the corpus changed since, so that the re-index compares with it and builds once. With no
    /// usable generation, opening builds the first one and the re-index reports that build.
    pub fn open_for_reindex(cfg: StoreConfig, prices: Arc<PriceTable>) -> Result<Store, StoreError> {
        no_corpus_nor_index(&cfg)?;
        fs::create_dir_all(&cfg.index_dir).map_err(|error| StoreError::Io { path: cfg.index_dir.clone(), error })?;
        clean_leftovers(&cfg.index_dir);
        if let Some(g) = read_current(&cfg.index_dir)
            && let Ok((engine, _)) = open_generation(&cfg.index_dir.join(&g), prices.clone())
        {
            return Ok(Store::with_engine(cfg, prices, engine));
        }
        let (previous, before) = previous_generation(&cfg);
        let (engine, manifest, gen_name) = build_generation(&cfg, prices.clone())?;
        let store = Store::with_engine(cfg, prices, engine);
        *store.pending.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(report(gen_name, &manifest, previous, before.as_ref()));
        Ok(store)
    }

    fn with_engine(cfg: StoreConfig, prices: Arc<PriceTable>, engine: Engine) -> Store {
        let store = Store {
            cfg,
            current: ArcSwap::from_pointee(engine),
            prices,
            unusable: Mutex::new(None),
            pending: Mutex::new(None),
            build: Mutex::new(BuildState::default()),
            built: Condvar::new(),
            retired: Mutex::new(Vec::new()),
        };
        store.collect_garbage();
        store
    }

    /// The engine to answer one request with. Hold it for the whole request.
    pub fn snapshot(&self) -> Arc<Engine> {
        self.current.load_full()
    }

    pub fn prices(&self) -> &PriceTable {
        &self.prices
    }

    pub fn config(&self) -> &StoreConfig {
        &self.cfg
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

    /// How many re-indexes have ended in this process, and how the last one ended.
    pub fn last_reindex(&self) -> (u64, Option<Outcome>) {
        let state = self.build.lock().unwrap_or_else(|e| e.into_inner());
        (state.epoch, state.last.clone())
    }

    /// Whether a re-index is running in this process now.
    pub fn is_building(&self) -> bool {
        self.build.lock().unwrap_or_else(|e| e.into_inner()).running
    }

    fn reindex_now(&self) -> Result<ReindexReport, StoreError> {
        if let Some(report) = self.pending.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return Ok(report);
        }
        let (previous, before) = previous_generation(&self.cfg);
        let (engine, manifest, gen_name) = build_generation(&self.cfg, self.prices.clone())?;
        self.swap(engine);
        Ok(report(gen_name, &manifest, previous, before.as_ref()))
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
        let mut unusable = self.unusable.lock().unwrap_or_else(|e| e.into_inner());
        if unusable.as_deref() == Some(gen_name.as_str()) {
            return None;
        }
        match open_generation(&self.cfg.index_dir.join(&gen_name), self.prices.clone()) {
            Ok((engine, _)) => {
                *unusable = None;
                drop(unusable);
                info!(generation = %gen_name, "switched to a generation published by another process");
                self.swap(engine);
                Some(gen_name)
            }
            Err(e) => {
                warn!(generation = %gen_name, "ignoring an unusable published generation: {e}");
                *unusable = Some(gen_name);
                None
            }
        }
    }

    /// Deletes generation directories that are neither current, nor the one before it (another
    /// process may still serve it), nor held by a reader of this process.
    fn collect_garbage(&self) {
        let serving = self.snapshot().revision().generation.clone();
        let mut retired = self.retired.lock().unwrap_or_else(|e| e.into_inner());
        retired.retain(|(_, w)| w.strong_count() > 0);
        let held: Vec<PathBuf> = retired.iter().map(|(p, _)| p.clone()).collect();
        drop(retired);
        collect_garbage(&self.cfg.index_dir, Some(&serving), &held);
    }
}

/// The generation `current` names before a build, and what it recorded for diffs.
fn previous_generation(cfg: &StoreConfig) -> (Option<String>, Option<diff::Digest>) {
    let previous = read_current(&cfg.index_dir);
    let digest = previous.as_ref().and_then(|g| read_manifest(&cfg.index_dir.join(g)).ok()).map(|m| m.digest);
    (previous, digest)
}

fn report(
    generation: String,
    manifest: &Manifest,
    previous: Option<String>,
    before: Option<&diff::Digest>,
) -> ReindexReport {
    info!(%generation, passages = manifest.passages, build_ms = manifest.build_ms, "re-indexed");
    ReindexReport {
        revision: short(&manifest.fingerprint),
        documents: manifest.documents.len(),
        passages: manifest.passages,
        features: manifest.features,
        corpus_bytes: manifest.corpus_bytes,
        build_ms: manifest.build_ms,
        coalesced: false,
        diff: diff::diff(previous.as_deref(), before, &manifest.digest),
        replicas: Vec::new(),
        replicas_unreached: None,
        generation,
    }
}

/// Deletes generation directories that are neither current, nor the one before it (another
/// process may still serve it), nor `serving` here, nor `held` by a reader of this process.
fn collect_garbage(dir: &std::path::Path, serving: Option<&str>, held: &[PathBuf]) {
    let Some(_lock) = BuildLock::try_acquire(dir) else { return };
    let current = read_current(dir);
    let mut gens = list_generations(dir);
    gens.sort();
    let keep_previous = gens.iter().rfind(|g| Some(*g) != current.as_ref()).cloned();
    for g in gens {
        let path = dir.join(&g);
        if Some(&g) == current.as_ref()
            || Some(g.as_str()) == serving
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
