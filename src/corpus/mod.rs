//! The corpus directory as data: its documents split into passages ([`document`]), the feature
//! tables ([`table`]: `features.toml` and each article's `NAME.features.toml`), the chat lexicon
//! ([`lexicon`], `lexicon.toml`) and the price files ([`prices`], `NAME.prices.toml` beside an
//! article, or `prices.toml`). [`load`] is the
//! one way in, for the store and for in-memory engines alike; every problem in a file is reported
//! at once, each as `file:line: message` ([`diag`]).

pub mod diag;
pub mod document;
pub mod lexicon;
pub mod prices;
pub mod scope;
pub mod table;

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use diag::{Diagnostic, Diagnostics};
pub use document::{Document, Passage, VerifyMark, item_label, split_document, verify_marks};
pub use lexicon::{LEXICON_FILE, Lexicon};
pub use prices::{PRICES_FILE, PRICES_SUFFIX, PriceFile};
pub use table::{
    ARTICLE_TABLE_SUFFIX, Availability, Evidence, FEATURES_FILE, Feature, FeatureTable, Headline, Product, Vendor,
    article_of_table, is_table_file,
};

/// Every document and passage of one corpus directory, its feature table and lexicon, and a
/// fingerprint of the files. A generation on disk stores it as `corpus.json`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Corpus {
    pub docs: Vec<Document>,
    pub passages: Vec<Passage>,
    pub table: FeatureTable,
    pub lexicon: Lexicon,
    /// The price files, sorted by file name.
    #[serde(default)]
    pub prices: Vec<PriceFile>,
    /// SHA-256 over file names and contents (hex); identifies a corpus revision.
    pub fingerprint: String,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// The OS error is part of the message (not a `source`), so a chain prints it once.
    #[error("corpus directory {path}: {error}")]
    Dir { path: PathBuf, error: std::io::Error },
    #[error("{path}: {error}")]
    Read { path: PathBuf, error: std::io::Error },
    #[error("corpus directory {path} has no .md or .txt document")]
    Empty { path: PathBuf },
    /// Problems in the files' content, every one of them.
    #[error("{0}")]
    Invalid(Diagnostics),
}

impl Corpus {
    /// The short revision shown to users (first 12 hex digits of the fingerprint).
    pub fn revision(&self) -> &str {
        &self.fingerprint[..12.min(self.fingerprint.len())]
    }
}

/// The files that make up a corpus: `.md` and `.txt` documents, `features.toml`, the articles'
/// `NAME.features.toml`, `lexicon.toml` and price files, sorted by name.
pub fn corpus_files(dir: &Path) -> Result<Vec<PathBuf>, CorpusError> {
    corpus_files_of(dir, None)
}

/// The articles (documents by name, without extension) in `dir`.
pub fn article_names(dir: &Path) -> Result<Vec<String>, CorpusError> {
    Ok(all_corpus_files(dir)?
        .iter()
        .filter(|p| is_document(p))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect())
}

/// [`corpus_files`] of some articles only (`None`: all): a selected article's document, its own
/// table and price file; `lexicon.toml`; and the shared `features.toml` and `prices.toml` when a
/// selected article has no table of its own (the shared table is then the one that describes it).
pub fn corpus_files_of(dir: &Path, articles: Option<&[String]>) -> Result<Vec<PathBuf>, CorpusError> {
    let files = all_corpus_files(dir)?;
    let Some(articles) = articles else { return Ok(files) };
    let name_of = |p: &PathBuf| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let selected = |stem: &str| articles.iter().any(|a| a == stem);
    let own_table = |stem: &str| files.iter().any(|p| article_of_table(&name_of(p)) == Some(stem));
    let shared = files
        .iter()
        .filter(|p| is_document(p))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .any(|stem| selected(&stem) && !own_table(&stem));
    Ok(files
        .into_iter()
        .filter(|p| {
            let name = name_of(p);
            if is_document(p) {
                return p.file_stem().is_some_and(|s| selected(&s.to_string_lossy()));
            }
            if name == LEXICON_FILE {
                return true;
            }
            if name == FEATURES_FILE || name == PRICES_FILE {
                return shared;
            }
            let stem = article_of_table(&name).or_else(|| name.strip_suffix(PRICES_SUFFIX));
            stem.is_some_and(selected)
        })
        .collect())
}

fn all_corpus_files(dir: &Path) -> Result<Vec<PathBuf>, CorpusError> {
    let entries = fs::read_dir(dir).map_err(|error| CorpusError::Dir { path: dir.to_owned(), error })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| CorpusError::Dir { path: dir.to_owned(), error })?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Directories are skipped; anything else with a corpus name is read, so an unreadable file
        // (or a dangling link) is an error that names it rather than a silently missing document.
        if name.starts_with('.') || path.is_dir() {
            continue;
        }
        if is_document(&path) || is_table_file(&name) || name == LEXICON_FILE || prices::is_price_file(&name) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn is_document(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("md" | "txt"))
}

/// Fingerprint of the corpus directory as it is on disk now, without parsing it.
pub fn fingerprint_dir(dir: &Path) -> Result<String, CorpusError> {
    fingerprint_of(dir, None)
}

/// [`fingerprint_dir`] of some articles only ([`corpus_files_of`]).
pub fn fingerprint_of(dir: &Path, articles: Option<&[String]>) -> Result<String, CorpusError> {
    let mut hasher = Sha256::new();
    for path in corpus_files_of(dir, articles)? {
        let bytes = fs::read(&path).map_err(|error| CorpusError::Read { path: path.clone(), error })?;
        hash_file(&mut hasher, &path, &bytes);
    }
    Ok(hex(&hasher.finalize()))
}

fn hash_file(hasher: &mut Sha256, path: &Path, bytes: &[u8]) {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    hasher.update((name.len() as u64).to_le_bytes());
    hasher.update(name.as_bytes());
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads, splits and validates the corpus directory: documents, the feature tables, `lexicon.toml`
/// and the price files. Every content problem of every file is collected before failing.
pub fn load(dir: &Path) -> Result<Corpus, CorpusError> {
    load_of(dir, None)
}

/// [`load`] of some articles only ([`corpus_files_of`]).
pub fn load_of(dir: &Path, articles: Option<&[String]>) -> Result<Corpus, CorpusError> {
    let files = corpus_files_of(dir, articles)?;
    let mut hasher = Sha256::new();
    let mut docs = Vec::new();
    let mut passages = Vec::new();
    let mut bytes_total = 0;
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut table_texts: Vec<(PathBuf, String)> = Vec::new();
    let mut lexicon_text = None;
    let mut price_texts = Vec::new();
    for path in &files {
        let bytes = fs::read(path).map_err(|error| CorpusError::Read { path: path.clone(), error })?;
        hash_file(&mut hasher, path, &bytes);
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
                problems.push(Diagnostic { path: path.clone(), line, message: "invalid UTF-8".into() });
                continue;
            }
        };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if is_table_file(name) {
            table_texts.push((path.clone(), text));
            continue;
        }
        if name == LEXICON_FILE {
            lexicon_text = Some((path.clone(), text));
            continue;
        }
        if prices::is_price_file(name) {
            price_texts.push((path.clone(), text));
            continue;
        }
        bytes_total += text.len() as u64;
        let id = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let (doc, mut doc_passages) = split_document(&id, &text);
        if doc_passages.is_empty() {
            problems.push(Diagnostic { path: path.clone(), line: 1, message: "no text to index".into() });
            continue;
        }
        docs.push(Document { path: path.clone(), ..doc });
        passages.append(&mut doc_passages);
    }
    if docs.is_empty() && problems.is_empty() {
        return Err(CorpusError::Empty { path: dir.to_owned() });
    }
    // Without a feature table the corpus is searched and cited, with no verdicts.
    let table = if table_texts.is_empty() {
        Ok(FeatureTable::default())
    } else {
        let files: Vec<table::TableFile> =
            table_texts.iter().map(|(path, text)| table::TableFile { path, text }).collect();
        match table::parse_files(&files, &docs, &passages) {
            Ok(t) => {
                for (path, text) in &table_texts {
                    problems.extend(scope::check(path, text, &t, &docs, &passages));
                }
                Ok(t)
            }
            Err(d) => {
                problems.extend(d);
                Err(())
            }
        }
    };
    let lexicon = match lexicon_text {
        Some((path, text)) => lexicon::parse(&path, &text).map_err(|d| problems.extend(d)),
        None => Ok(Lexicon::default()),
    };
    let doc_ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    let mut price_files = Vec::new();
    for (path, text) in price_texts {
        let (f, d) = prices::read(&path, &text, &doc_ids);
        problems.extend(d);
        price_files.push((f, text));
    }
    let product_ids: Option<Vec<&str>> =
        table.as_ref().ok().map(|t: &FeatureTable| t.products.iter().map(|p| p.id.as_str()).collect());
    problems.extend(prices::check_across(&price_files, product_ids.as_deref(), dir));
    let prices = price_files.into_iter().map(|(f, _)| f).collect();
    match (table, lexicon) {
        (Ok(table), Ok(lexicon)) if problems.is_empty() => Ok(Corpus {
            docs,
            passages,
            table,
            lexicon,
            prices,
            fingerprint: hex(&hasher.finalize()),
            bytes: bytes_total,
        }),
        _ => Err(invalid(problems)),
    }
}

/// Only the price files of the corpus directory, for commands that price without an index
/// (`productbot cost`). An article's price file is checked against the articles' names, not their text.
pub fn load_prices(dir: &Path) -> Result<Vec<PriceFile>, CorpusError> {
    let files = corpus_files(dir)?;
    let stems: Vec<String> = files
        .iter()
        .filter(|p| is_document(p))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    let doc_ids: Vec<&str> = stems.iter().map(String::as_str).collect();
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if !prices::is_price_file(name) {
            continue;
        }
        let bytes = fs::read(&path).map_err(|error| CorpusError::Read { path: path.clone(), error })?;
        let Ok(text) = String::from_utf8(bytes) else {
            problems.push(Diagnostic { path: path.clone(), line: 1, message: "invalid UTF-8".into() });
            continue;
        };
        let (f, d) = prices::read(&path, &text, &doc_ids);
        problems.extend(d);
        out.push((f, text));
    }
    problems.extend(prices::check_across(&out, None, dir));
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    Ok(out.into_iter().map(|(f, _)| f).collect())
}

fn invalid(problems: Vec<Diagnostic>) -> CorpusError {
    let mut d = Diagnostics(problems);
    d.sort();
    CorpusError::Invalid(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn some_articles_take_their_own_files_and_the_shared_table_only_when_it_is_theirs() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["a.md", "a.prices.toml", "b.md", "b.features.toml", "b.prices.toml", "features.toml", "lexicon.toml"]
        {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        let names = |articles: &[&str]| -> Vec<String> {
            let articles: Vec<String> = articles.iter().map(|a| (*a).to_owned()).collect();
            corpus_files_of(dir.path(), Some(&articles))
                .unwrap()
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        // `a` has no table of its own: the shared one describes it.
        assert_eq!(names(&["a"]), ["a.md", "a.prices.toml", "features.toml", "lexicon.toml"]);
        assert_eq!(names(&["b"]), ["b.features.toml", "b.md", "b.prices.toml", "lexicon.toml"]);
        assert_eq!(names(&["a", "b"]).len(), 7);
        assert_eq!(corpus_files_of(dir.path(), None).unwrap().len(), 7);
        assert_eq!(article_names(dir.path()).unwrap(), ["a", "b"]);
    }

    #[test]
    fn problems_in_several_files_are_reported_together() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.md"), b"# A\n\n## S\n\nok\n\xff\n").unwrap();
        std::fs::write(dir.path().join("b.md"), "# B\n\n## T\n\nText.\n").unwrap();
        std::fs::write(
            dir.path().join(FEATURES_FILE),
            "[products.x]\nname = \"X\"\n[[feature]]\nid = \"f\"\nname = \"F\"\navailability = { x = \"yes\" }\nnote = \"n\"\nsection = \"Nope\"\n",
        )
        .unwrap();
        let e = load(dir.path()).unwrap_err().to_string();
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(lines.len(), 2, "{e}");
        assert!(lines[0].ends_with("a.md:6: invalid UTF-8"), "{e}");
        assert!(lines[1].ends_with("features.toml:8: feature `f`: section `Nope` does not exist in the corpus"), "{e}");
    }
}
