//! The answer engine: one immutable snapshot of index, corpus (documents, passages, feature table,
//! lexicon) and prices, and the question -> [`Answer`] pipeline over it. Knows nothing of Discord or
//! terminals, and nothing of any particular product: every name comes from the corpus.
//!
//! # Pipeline
//! A [`Question`] is cleaned, clipped and analyzed once; then `understand` (products, vendors,
//! features named), `scope` (decline on evidence), `retrieve` (passages), `cite` and `assemble`,
//! each a short method below.

mod analysis;
mod articles;
mod build;
mod cards;
mod detail;
mod fit;
mod intent;
mod known;
mod listing;
mod mentions;
pub mod model;
mod phrasing;
mod pipeline;
mod question;
mod retrieval;
pub mod scope;
pub mod signals;
pub mod tuning;
mod understand;

use std::collections::HashSet;

use rustc_hash::{FxHashMap, FxHashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use tantivy::tokenizer::TextAnalyzer;

use self::analysis::identifiers_in;
use self::articles::{Articles, Named};
use self::cards::Cards;
pub use self::mentions::Mentions;
pub use self::phrasing::{capitalize, join_and, list_heading};
pub use self::pipeline::Decisions;
pub use self::question::{MAX_ANALYZED_BYTES, Question, clip, without_controls};
pub use self::scope::Evidence;
use self::understand::{Matcher, Understanding};
use crate::answer::{Answer, Confidence, Declined, Kind, Snippet, Source, Verdict};
use crate::corpus::{self, Corpus, Feature, FeatureTable, Passage};
use crate::cost::PriceTable;
use crate::index::{Highlighter, Hit, ScoreList, SearchIndex, Stats, Tokens};
use crate::text::{self, WordAnalyzer};

/// At most this many passages are cited.
pub const MAX_SOURCES: usize = 3;
/// Candidates retrieved before choosing what to cite.
const CANDIDATES: usize = 10;
/// A passage below this fraction of the best score is too weak to cite next to it.
const MIN_RELATIVE_SCORE: f32 = 0.35;
/// Feature aliases widen retrieval, at this weight relative to the question's own words.
const EXPANSION_BOOST: f32 = 0.4;
/// At most this many alias terms of the feature widen retrieval.
const MAX_EXPANSION_TERMS: usize = 12;
/// Synonyms of question words, at this weight.
const SYNONYM_BOOST: f32 = 0.3;
const SNIPPET_CHARS: usize = 220;
/// At most this many of the corpus's distinct words have their stems worked out at start.
const MAX_KNOWN_WORDS: usize = 250_000;

/// Where a snapshot came from, shown in footers and reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Short corpus fingerprint.
    pub corpus: String,
    /// Generation directory name, or "in-ram" for an index built in memory.
    pub generation: String,
}

/// What the engine keeps about each feature of the table, in table order.
struct FeatureIndex {
    /// The passage the verdict rests on, cited first (the primary evidence's).
    passage: Option<usize>,
    /// Each evidence's passage (see [`corpus::Evidence`]), in the feature's evidence order.
    evidence: Vec<Option<usize>>,
    /// The first [`MAX_EXPANSION_TERMS`] analyzed alias terms (aliases come most canonical first):
    /// a question about the feature also looks for these, at [`EXPANSION_BOOST`].
    expansion: Vec<String>,
    /// All analyzed alias terms with their snippet weights (these depend on the index only).
    highlights: Vec<(u32, f32)>,
}

pub struct Engine {
    index: SearchIndex,
    corpus: Corpus,
    features: Vec<FeatureIndex>,
    matcher: Matcher,
    /// Each feature as a small document of its own words, for recognising it in other words.
    cards: Cards,
    /// Each article's subject words, for preferring the articles a question names.
    articles: Articles,
    /// Each passage's article (index into `corpus.docs`).
    passage_doc: Vec<usize>,
    /// Each article's passages' index terms and its headings' (see [`known`]).
    doc_terms: Vec<known::DocTerms>,
    /// Each feature's articles (every evidence's), in table order.
    feature_docs: Vec<Vec<usize>>,
    /// Each article's vendors (those of the products its evidence gives values for), by id; a table
    /// that declares no vendor is one of its own (id "").
    doc_vendors: Vec<Vec<String>>,
    /// The uncovered topics the matcher looks for, each with the articles that cover it: one
    /// counts for a question that may be answered from none of those.
    topic_docs: Vec<(String, Vec<bool>)>,
    /// The other vendors' products (`[scope] others`) some passage names, with the articles whose
    /// passages do: a question that may be answered from one of those is not about another vendor.
    other_docs: Vec<(String, Vec<bool>)>,
    /// Every expansion alias term's scores at [`EXPANSION_BOOST`], computed once: a question adds
    /// precomputed scores instead of a query clause per term.
    alias_scores: FxHashMap<String, ScoreList>,
    /// Analyzed term -> the other terms of its synonym groups.
    synonyms: FxHashMap<String, Vec<String>>,
    /// Every synonym term's scores at [`SYNONYM_BOOST`], computed once like `alias_scores`.
    synonym_scores: FxHashMap<String, ScoreList>,
    /// Tokens with digits that the corpus or the price table mention ("gpt-4o", "4o-mini"), so a
    /// question about a model the corpus never names ("gpt-5") is recognised as uncovered.
    identifiers: FxHashSet<String>,
    /// Whether the articles name a model of the price table: only then do price questions get an
    /// estimate (a table of one vendor's prices says nothing of another corpus's products).
    priced: bool,
    /// Stems the corpus's own words once (see [`WordAnalyzer`]).
    word_analyzer: WordAnalyzer,
    index_analyzer: TextAnalyzer,
    /// Each passage body's analyzed tokens, made the first time the passage is retrieved: snippets and
    /// the proximity bonus then need no analysis (stemming was most of an answer's time).
    passage_tokens: Vec<OnceLock<Tokens>>,
    /// Each passage heading's index terms, made on first use like `passage_tokens`.
    heading_terms: Vec<OnceLock<Vec<String>>>,
    /// The features each passage names by an alias, made on first use like `passage_tokens`.
    passage_features: Vec<OnceLock<Vec<usize>>>,
    /// Whether each passage's section holds a feature's passage: a list of features is found there.
    feature_section: Vec<bool>,
    prices: Arc<PriceTable>,
    revision: Revision,
    /// Each passage's meaning (heading and text).
    passage_vecs: Vec<crate::embed::Vector>,
    /// Each passage's section heading's meaning.
    section_vecs: Vec<crate::embed::Vector>,
    /// The fitted decisions.
    decisions: Decisions,
}

impl Engine {
    pub fn corpus(&self) -> &Corpus {
        &self.corpus
    }

    pub fn features(&self) -> &FeatureTable {
        &self.corpus.table
    }

    pub fn prices(&self) -> &PriceTable {
        &self.prices
    }

    pub fn passages(&self) -> &[Passage] {
        &self.corpus.passages
    }

    pub fn revision(&self) -> &Revision {
        &self.revision
    }

    pub fn search_index(&self) -> &SearchIndex {
        &self.index
    }

    /// A feature by id, display name or alias, tolerating typos ("memmory").
    pub fn find_feature(&self, name: &str) -> Option<&Feature> {
        let key = name.trim().to_lowercase().replace(['-', ' '], "_");
        let table = &self.corpus.table;
        if let Some(f) =
            table.features.iter().find(|f| f.id == key || f.name.to_lowercase().replace(['-', ' '], "_") == key)
        {
            return Some(f);
        }
        let q = self.question(name, &mut self.index_analyzer.clone());
        self.matcher.understand(&q.words, &|_| false).hits.first().map(|h| &table.features[h.feature])
    }

    /// Features whose id, name or an alias starts with (or contains) `prefix`, for autocomplete.
    pub fn complete_feature(&self, prefix: &str) -> Vec<&Feature> {
        let p = prefix.trim().to_lowercase();
        let starts = |f: &Feature| {
            f.id.starts_with(&p) || f.name.to_lowercase().starts_with(&p) || f.aliases.iter().any(|a| a.starts_with(&p))
        };
        let contains = |f: &Feature| {
            f.id.contains(&p) || f.name.to_lowercase().contains(&p) || f.aliases.iter().any(|a| a.contains(&p))
        };
        let features = &self.corpus.table.features;
        let mut out: Vec<&Feature> = features.iter().filter(|f| starts(f)).collect();
        out.extend(features.iter().filter(|f| !starts(f) && contains(f)));
        out
    }

    /// The verdict and sources for the feature with this id (`/feature`): its row across the
    /// products, its passage first. `None` for an id the table does not have.
    pub fn feature_answer(&self, id: &str) -> Option<Answer> {
        let fi = self.corpus.table.features.iter().position(|f| f.id == id)?;
        let analyzer = &mut self.index_analyzer.clone();
        let searcher = self.index.searcher();
        let stats = Stats::new(&searcher);
        // The feature's name is what the answer echoes and retrieves with; the feature itself is
        // the one asked for, whatever its name reads as.
        let a = self.analyze(&self.corpus.table.features[fi].name, &stats, analyzer);
        let hits = self.retrieve(&a.q, &a.named, Some(fi), &stats, analyzer);
        let cited = self.cite(&[fi], &hits, &a.u);
        Some(self.assemble(&a, &[fi], &cited, &stats, Confidence::High, Evidence::default(), analyzer))
    }

    /// The informative terms of a question, for grouping questions the bot could not answer: its
    /// index terms without filler and without the words that name a product (every question names
    /// one), each weighted by how specific it is: 1 for a term the corpus never uses (the missing
    /// topic itself), down to 0 for one in every passage.
    /// The section of the passage closest to `asked` (by words, else by meaning), if any.
    pub fn nearest_section(&self, asked: &str) -> Option<String> {
        let a = self.analyze_alone(asked);
        let best = a
            .closest
            .first()
            .map(|h| h.pid)
            .or_else(|| a.candidates.iter().max_by(|x, y| x.meaning.total_cmp(&y.meaning)).map(|c| c.pid))?;
        Some(self.corpus.passages[best].section.clone())
    }

    pub fn gap_terms(&self, asked: &str) -> Vec<crate::analytics::GapTerm> {
        let analyzer = &mut self.index_analyzer.clone();
        let q = self.question(asked, analyzer);
        let product_words: HashSet<&str> =
            self.corpus.table.products.iter().flat_map(|p| p.words.iter().map(String::as_str)).collect();
        let searcher = self.index.searcher();
        let stats = Stats::new(&searcher);
        let n = self.index.num_docs().max(1) as f32;
        let mut out: Vec<crate::analytics::GapTerm> = Vec::new();
        for w in &q.words {
            if crate::text::is_filler(&w.text) || product_words.contains(w.text.as_str()) {
                continue;
            }
            for term in crate::text::terms(analyzer, &w.text) {
                if term.chars().count() < 2 || out.iter().any(|o| o.term == term) {
                    continue;
                }
                let df = self.index.doc_freq(&stats, &term) as f32;
                let weight = if df == 0.0 { 1.0 } else { ((n / df).ln() / n.ln().max(1.0)).clamp(0.0, 1.0) };
                out.push(crate::analytics::GapTerm { term, word: w.text.clone(), weight });
            }
        }
        out
    }
}

/// Fits the decisions to the labelled sets a `sets.toml` names (`productbot fit`).
pub fn fit_sets(manifest: &Path, prices: &PriceTable) -> anyhow::Result<model::Model> {
    let specs = crate::eval::manifest(manifest)?;
    let mut corpora = Vec::new();
    let mut engines = Vec::new();
    for spec in &specs {
        let corpus = crate::eval::MergedCorpus::new(&spec.corpus)?;
        engines.push(Engine::from_corpus_dir(&corpus.dir, Arc::new(prices.clone()))?);
        corpora.push(corpus);
    }
    let mut sets = Vec::new();
    for (spec, engine) in specs.iter().zip(&engines) {
        // The file with its folder ("train/shipped.jsonl"): two sets may share a file name.
        let name = spec
            .questions
            .components()
            .rev()
            .take(2)
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("/");
        let corpus = spec.corpus.iter().map(|c| c.display().to_string()).collect::<Vec<_>>().join(" + ");
        sets.push(fit::TrainingSet { name, corpus, engine, cases: crate::eval::load(&spec.questions)? });
    }
    Ok(fit::fit(&sets))
}

/// An engine over the corpus directory `dir` (relative to the repository), priced by its own price
/// files, for the engine's unit tests.
#[cfg(test)]
fn test_engine(dir: &str) -> Engine {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    Engine::from_corpus_dir(&dir, Arc::new(PriceTable::default())).expect("the test corpus loads")
}
