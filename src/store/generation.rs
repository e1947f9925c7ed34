//! Generations on disk: building one in a temporary directory, validating it, publishing it by
//! renaming the `current` pointer, opening one, and the lock that keeps builders apart.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tracing::warn;

use super::diff::Digest;
use super::{StoreConfig, StoreError};
use crate::corpus::{self, Corpus};
use crate::cost::PriceTable;
use crate::engine::{Engine, Revision};
use crate::index::{self, SearchIndex};

/// Bumped whenever the on-disk layout, the schema, the analyzer or corpus splitting changes: a
/// generation of another format is rebuilt at start.
pub const FORMAT: u32 = 8;
pub const CURRENT: &str = "current";
const MANIFEST: &str = "manifest.json";
const CORPUS: &str = "corpus.json";
const TANTIVY: &str = "tantivy";
const LOCK: &str = ".build.lock";
const TMP_PREFIX: &str = ".tmp-";
pub const GEN_PREFIX: &str = "gen-";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: u32,
    pub fingerprint: String,
    pub created_unix_ms: u64,
    pub build_ms: u64,
    pub documents: Vec<DocInfo>,
    pub passages: usize,
    pub features: usize,
    pub corpus_bytes: u64,
    /// SHA-256 of `corpus.json` as written: a generation whose corpus was edited by hand (or damaged
    /// into other valid JSON) is refused, not served. (Defaulted so that an older format's manifest
    /// reads far enough to be refused for its format.)
    #[serde(default)]
    pub corpus_sha256: String,
    /// What diffs between generations compare.
    pub digest: Digest,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DocInfo {
    pub id: String,
    pub title: String,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |error| StoreError::Io { path: path.to_owned(), error }
}

/// An exclusive OS lock on `index/.build.lock`, so two processes never build at once.
pub struct BuildLock(File);

impl BuildLock {
    pub fn acquire(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(LOCK);
        let f = File::options().create(true).truncate(false).write(true).open(&path).map_err(|e| {
            if matches!(e.kind(), std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem) {
                StoreError::ReadOnly { path: path.clone(), error: e }
            } else {
                StoreError::Io { path: path.clone(), error: e }
            }
        })?;
        f.lock().map_err(io(&path))?;
        Ok(BuildLock(f))
    }

    pub fn try_acquire(dir: &Path) -> Option<Self> {
        let f = File::options().create(true).truncate(false).write(true).open(dir.join(LOCK)).ok()?;
        f.try_lock().ok()?;
        Some(BuildLock(f))
    }
}

impl Drop for BuildLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// The generation `current` names, if it names an existing one.
pub fn read_current(dir: &Path) -> Option<String> {
    let name = fs::read_to_string(dir.join(CURRENT)).ok()?;
    let name = name.trim();
    (name.starts_with(GEN_PREFIX) && !name.contains(['/', '\\']) && dir.join(name).is_dir()).then(|| name.to_owned())
}

pub fn list_generations(dir: &Path) -> Vec<String> {
    let Ok(rd) = fs::read_dir(dir) else { return Vec::new() };
    rd.filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| n.starts_with(GEN_PREFIX))
        .collect()
}

/// Removes half-built generations a crash left behind, unless another process is building now.
pub fn clean_leftovers(dir: &Path) {
    let Some(_lock) = BuildLock::try_acquire(dir) else { return };
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

pub fn read_manifest(gen_dir: &Path) -> Result<Manifest, StoreError> {
    read_json(&gen_dir.join(MANIFEST))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, StoreError> {
    let bytes = fs::read(path).map_err(io(path))?;
    serde_json::from_slice(&bytes).map_err(|e| StoreError::Data { path: path.to_owned(), message: e.to_string() })
}

/// Writes `value` as JSON and returns the SHA-256 of the bytes written.
fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<String, StoreError> {
    let bytes =
        serde_json::to_vec(value).map_err(|e| StoreError::Data { path: path.to_owned(), message: e.to_string() })?;
    let mut f = File::create(path).map_err(io(path))?;
    f.write_all(&bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))?;
    Ok(sha256_hex(&bytes))
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest as _, Sha256};
    corpus::hex(&Sha256::digest(bytes))
}

/// Reads `corpus.json`, refusing it unless its checksum is the manifest's.
/// A generation's manifest (of this version's format) and its corpus (with the manifest's checksum):
/// the manifest is read, and the corpus checksummed, while the corpus is parsed (a large table's
/// corpus is megabytes of JSON).
fn read_generation(gen_dir: &Path) -> Result<(Manifest, Corpus), StoreError> {
    let path = gen_dir.join(CORPUS);
    std::thread::scope(|s| {
        let manifest = s.spawn(|| read_manifest(gen_dir));
        let bytes = fs::read(&path).map_err(io(&path));
        let (sum, parsed) = match &bytes {
            Ok(b) => std::thread::scope(|inner| {
                let sum = inner.spawn(|| sha256_hex(b));
                let parsed = serde_json::from_slice::<Corpus>(b);
                (sum.join().ok(), Some(parsed))
            }),
            Err(_) => (None, None),
        };
        let manifest =
            manifest.join().map_err(|_| StoreError::Validation("reading the manifest panicked".into()))??;
        if manifest.format != FORMAT {
            return Err(StoreError::Data {
                path: gen_dir.join(MANIFEST),
                message: format!("format {} is not this version's {FORMAT}", manifest.format),
            });
        }
        bytes?;
        if sum.as_deref() != Some(manifest.corpus_sha256.as_str()) {
            return Err(StoreError::Data {
                path: path.clone(),
                message: "checksum differs from the manifest's (changed after the build)".into(),
            });
        }
        let corpus = parsed
            .expect("parsed whenever the file was read")
            .map_err(|e| StoreError::Data { path: path.clone(), message: e.to_string() })?;
        Ok((manifest, corpus))
    })
}

pub fn short(fingerprint: &str) -> String {
    fingerprint.chars().take(12).collect()
}

/// Opens and validates one generation directory.
pub fn open_generation(gen_dir: &Path, prices: Arc<PriceTable>) -> Result<(Engine, Manifest), StoreError> {
    let (manifest, corpus) = read_generation(gen_dir)?;
    let index = SearchIndex::open(&gen_dir.join(TANTIVY))?;
    let name = gen_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let revision = Revision { corpus: short(&manifest.fingerprint), generation: name };
    let engine = Engine::new(index, corpus, prices, revision);
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
    if manifest.features != engine.features().features.len() {
        return Err(StoreError::Validation(format!(
            "{} features, manifest says {}",
            engine.features().features.len(),
            manifest.features
        )));
    }
    let docs = engine.search_index().num_docs();
    if docs != passages.len() as u64 {
        return Err(StoreError::Validation(format!("index holds {docs} documents for {} passages", passages.len())));
    }
    for f in &engine.features().features {
        if !passages.iter().any(|p| p.doc == f.doc && p.section.eq_ignore_ascii_case(&f.section)) {
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
pub fn build_generation(cfg: &StoreConfig, prices: Arc<PriceTable>) -> Result<(Engine, Manifest, String), StoreError> {
    let started = Instant::now();
    let corpus = corpus::load_of(&cfg.corpus_dir, cfg.articles.as_deref())?;

    fs::create_dir_all(&cfg.index_dir).map_err(io(&cfg.index_dir))?;
    let _lock = BuildLock::acquire(&cfg.index_dir)?;
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let tmp = cfg.index_dir.join(format!("{TMP_PREFIX}{}-{nanos}", std::process::id()));
    let result = (|| {
        let tantivy_dir = tmp.join(TANTIVY);
        fs::create_dir_all(&tantivy_dir).map_err(io(&tantivy_dir))?;
        index::build(&tantivy_dir, &corpus.passages, cfg.threads)
            .map_err(|e| StoreError::Data { path: tantivy_dir.clone(), message: e.to_string() })?;
        readable_by_all(&tantivy_dir)?;
        let corpus_sha256 = write_json(&tmp.join(CORPUS), &corpus)?;
        let manifest = Manifest {
            format: FORMAT,
            fingerprint: corpus.fingerprint.clone(),
            created_unix_ms: SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0),
            build_ms: started.elapsed().as_millis() as u64,
            documents: corpus.docs.iter().map(|d| DocInfo { id: d.id.clone(), title: d.title.clone() }).collect(),
            passages: corpus.passages.len(),
            features: corpus.table.features.len(),
            corpus_bytes: corpus.bytes,
            corpus_sha256,
            digest: Digest::of(&corpus),
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
        return Err(StoreError::Io { path: gen_dir, error: e });
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

/// tantivy writes its `.managed.json` readable by its owner only; a generation is read by whoever
/// serves it (another user may run the bot over a read-only copy), so every file gets the others'
/// read bit, as the rest of the generation has.
fn readable_by_all(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    for e in fs::read_dir(dir).map_err(io(dir))?.flatten() {
        let path = e.path();
        let meta = e.metadata().map_err(io(&path))?;
        if meta.is_file() && meta.permissions().mode() & 0o044 != 0o044 {
            let mode = meta.permissions().mode() | 0o044;
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).map_err(io(&path))?;
        }
    }
    Ok(())
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
