//! The answer engine: one immutable snapshot of index, corpus (documents, passages, feature table,
//! lexicon) and prices, and the question -> [`Answer`] pipeline over it. Knows nothing of Discord or
//! terminals, and nothing of any particular product: every name comes from the corpus.
//!
//! # Pipeline
//! A [`Question`] is cleaned, clipped and analyzed once; then `understand` (products, vendors,
//! features named), `scope` (decline on evidence), `retrieve` (passages), `cite` and `assemble`,
//! each a short method below.

mod question;
mod understand;
mod verdict;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use tantivy::tokenizer::TextAnalyzer;

pub use self::question::{MAX_ANALYZED_BYTES, Question, clip, without_controls};
use self::understand::{Matcher, Understanding};
use crate::answer::{Answer, Confidence, Declined, Kind, Snippet, Source, Verdict};
use crate::corpus::{self, Corpus, Feature, FeatureTable, Passage};
use crate::cost::PriceTable;
use crate::index::{Highlighter, Hit, ScoreList, SearchIndex, Stats, Tokens};
use crate::text;

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
/// Without a feature, a question is in scope only when at least this share of its topic words occur
/// in the corpus: the corpus cannot answer about things it never mentions.
const MIN_COVERAGE: f32 = 0.6;
const SNIPPET_CHARS: usize = 220;

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
    /// The passage the verdict rests on, cited first.
    passage: Option<usize>,
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
    /// Every expansion alias term's scores at [`EXPANSION_BOOST`], computed once: a question adds
    /// precomputed scores instead of a query clause per term.
    alias_scores: HashMap<String, ScoreList>,
    /// Analyzed term -> the other terms of its synonym groups.
    synonyms: HashMap<String, Vec<String>>,
    /// Every synonym term's scores at [`SYNONYM_BOOST`], computed once like `alias_scores`.
    synonym_scores: HashMap<String, ScoreList>,
    /// Tokens with digits that the corpus or the price table mention ("gpt-4o", "4o-mini"), so a
    /// question about a model the corpus never names ("gpt-5") is recognised as uncovered.
    identifiers: HashSet<String>,
    word_analyzer: TextAnalyzer,
    index_analyzer: TextAnalyzer,
    /// Each passage body's analyzed tokens, made the first time the passage is retrieved: snippets and
    /// the proximity bonus then need no analysis (stemming was most of an answer's time).
    passage_tokens: Vec<OnceLock<Tokens>>,
    prices: Arc<PriceTable>,
    revision: Revision,
}

impl Engine {
    pub fn new(index: SearchIndex, corpus: Corpus, prices: Arc<PriceTable>, revision: Revision) -> Self {
        let mut word_analyzer = text::word_analyzer();
        let mut index_analyzer = index.analyzer();
        let matcher = Matcher::new(&corpus.table, &mut word_analyzer);
        let alias_terms: Vec<Vec<String>> = corpus
            .table
            .features
            .iter()
            .map(|f| {
                let mut seen = HashSet::new();
                f.aliases
                    .iter()
                    .flat_map(|a| text::terms(&mut index_analyzer, a))
                    .filter(|t| seen.insert(t.clone()))
                    .collect()
            })
            .collect();
        let searcher = index.searcher();
        let stats = Stats::new(&searcher);
        let features: Vec<FeatureIndex> = corpus
            .table
            .features
            .iter()
            .zip(&alias_terms)
            .map(|(f, terms)| FeatureIndex {
                passage: supporting_passage(f, &corpus.passages),
                // The first aliases are the canonical ones; more would widen recall past the feature.
                expansion: terms.iter().take(MAX_EXPANSION_TERMS).cloned().collect(),
                highlights: index.highlight_weights(&stats, terms),
            })
            .collect();
        let alias_scores = term_scores(&index, features.iter().flat_map(|f| &f.expansion), EXPANSION_BOOST);
        let synonyms = synonym_map(&corpus.table.synonyms, &mut index_analyzer);
        let synonym_scores = term_scores(&index, synonyms.values().flatten(), SYNONYM_BOOST);
        let mut identifiers: HashSet<String> = corpus.passages.iter().flat_map(|p| identifiers_in(&p.text)).collect();
        for m in prices.models() {
            identifiers.insert(m.name().to_lowercase());
            identifiers.extend(m.aliases().iter().map(|a| a.to_lowercase()));
        }
        let passage_tokens = (0..corpus.passages.len()).map(|_| OnceLock::new()).collect();
        drop(stats);
        drop(searcher);
        Engine {
            index,
            corpus,
            features,
            matcher,
            alias_scores,
            synonyms,
            synonym_scores,
            identifiers,
            word_analyzer,
            index_analyzer,
            passage_tokens,
            prices,
            revision,
        }
    }

    /// Loads the corpus directory and builds the index in memory: for tests, benchmarks and fuzzing.
    pub fn from_corpus_dir(dir: &Path, prices: Arc<PriceTable>) -> Result<Self, crate::Error> {
        let corpus = corpus::load(dir)?;
        let index = SearchIndex::in_ram(&corpus.passages)?;
        let revision = Revision { corpus: corpus.revision().to_owned(), generation: "in-ram".into() };
        Ok(Engine::new(index, corpus, prices, revision))
    }

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
        let q = self.question(name);
        self.matcher.understand(&q.words, &|_| false).feature.map(|i| &table.features[i])
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

    /// The verdict and sources for one feature, as if asked "NAME?".
    pub fn feature_answer(&self, feature: &Feature) -> Answer {
        self.answer(&format!("{}?", feature.name))
    }

    fn question(&self, asked: &str) -> Question {
        Question::new(asked, &self.corpus.lexicon, &mut self.word_analyzer.clone(), &mut self.index_analyzer.clone())
    }

    /// Answers one question. Never fails: nothing found is an answer too.
    pub fn answer(&self, asked: &str) -> Answer {
        let q = self.question(asked);
        if q.words.is_empty() {
            return self.decline(&q, Declined::Empty);
        }
        let searcher = self.index.searcher();
        let stats = Stats::new(&searcher);
        let u = self.matcher.understand(&q.words, &|stem| self.index.has_term(&stats, stem));
        if let Some(other) = &u.other {
            return self.decline(&q, Declined::OtherVendor(other.clone()));
        }
        let unknown = self.unknown_identifiers(&q);
        if !self.in_scope(&q, &u, unknown.len(), &stats) {
            return self.decline(&q, Declined::NotCovered);
        }
        let hits = self.retrieve(&q, u.feature, &stats);
        let cited = self.cite(u.feature, &hits);
        if cited.is_empty() {
            return self.decline(&q, Declined::NotCovered);
        }
        self.assemble(&q, &u, &cited, &unknown, &stats)
    }

    /// Scope: a question about a feature of the table is in scope; otherwise enough of its topic
    /// words must occur in the corpus, and a model name the corpus never mentions counts against it.
    fn in_scope(&self, q: &Question, u: &Understanding, unknown_ids: usize, stats: &Stats) -> bool {
        if u.feature.is_some() {
            return true;
        }
        let mut analyzer = self.index_analyzer.clone();
        let (mut known, mut total) = (0usize, 0usize);
        for w in u.content_words(&q.words) {
            let terms = text::index_terms(&w.text, std::slice::from_ref(w), &mut analyzer);
            if terms.is_empty() {
                continue;
            }
            total += 1;
            if terms.iter().any(|t| self.index.doc_freq(stats, t) > 0) {
                known += 1;
            }
        }
        total += unknown_ids;
        if total == 0 {
            // Nothing but a product name ("tell me about the API"): in scope if it named one.
            return !u.products.is_empty();
        }
        known as f32 >= MIN_COVERAGE * total as f32
    }

    /// Retrieval: the question's terms, widened by the feature's aliases and by synonyms as
    /// precomputed scores (each term once, and not a term the question itself has), then a
    /// proximity bonus over the candidates.
    fn retrieve(&self, q: &Question, feature: Option<usize>, stats: &Stats) -> Vec<Hit> {
        let mut seen: Vec<&str> = q.terms.iter().map(String::as_str).collect();
        let mut extra: Vec<&ScoreList> = Vec::new();
        let aliases = feature.into_iter().flat_map(|i| &self.features[i].expansion).map(|t| (t, &self.alias_scores));
        let synonyms =
            q.terms.iter().flat_map(|t| self.synonyms.get(t).into_iter().flatten()).map(|t| (t, &self.synonym_scores));
        for (t, scores) in aliases.chain(synonyms) {
            if !seen.contains(&t.as_str()) {
                seen.push(t);
                extra.extend(scores.get(t));
            }
        }
        let retrieval = self.index.query(stats, &q.terms, &extra);
        let mut hits = self.index.search(stats, &retrieval, CANDIDATES).unwrap_or_default();
        let proximity = self.index.proximity(stats, &q.terms);
        if !proximity.is_empty() {
            let mut analyzer = self.index_analyzer.clone();
            for hit in &mut hits {
                hit.score += proximity.bonus(self.tokens(hit.pid, &mut analyzer));
            }
            // Stable: equal scores keep tantivy's order.
            hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        }
        hits
    }

    /// The passages to cite: for a feature, its supporting passage first; then the best other hits.
    fn cite(&self, feature: Option<usize>, hits: &[Hit]) -> Vec<Hit> {
        let mut cited: Vec<Hit> = Vec::new();
        if let Some(fi) = feature {
            let f = &self.corpus.table.features[fi];
            let pid = self.features[fi].passage.or_else(|| {
                hits.iter()
                    .find(|h| {
                        let p = &self.corpus.passages[h.pid];
                        p.doc == f.doc && p.section.eq_ignore_ascii_case(&f.section)
                    })
                    .map(|h| h.pid)
            });
            if let Some(pid) = pid {
                let score = hits.iter().find(|h| h.pid == pid).map_or(0.0, |h| h.score);
                cited.push(Hit { pid, score });
            }
        }
        let top = hits.first().map_or(0.0, |h| h.score);
        for h in hits {
            if cited.len() >= MAX_SOURCES {
                break;
            }
            if h.score < top * MIN_RELATIVE_SCORE || cited.iter().any(|c| c.pid == h.pid) {
                continue;
            }
            cited.push(*h);
        }
        cited
    }

    /// The answer: verdict, cited sources with snippets, caveats and a `/cost` suggestion.
    fn assemble(&self, q: &Question, u: &Understanding, cited: &[Hit], unknown: &[String], stats: &Stats) -> Answer {
        let mut analyzer = self.index_analyzer.clone();
        // Snippets show the question's own words and the feature's, not every synonym.
        let mut weights = self.index.highlight_weights(stats, &q.terms);
        if let Some(i) = u.feature {
            for &(t, w) in &self.features[i].highlights {
                if !weights.iter().any(|&(x, _)| x == t) {
                    weights.push((t, w));
                }
            }
        }
        let highlighter = Highlighter::new(weights, SNIPPET_CHARS);
        let many_docs = self.corpus.docs.len() > 1;
        let sources: Vec<Source> = cited
            .iter()
            .map(|hit| {
                let p = &self.corpus.passages[hit.pid];
                let (text, highlights) = highlighter.snippet(self.tokens(hit.pid, &mut analyzer));
                Source {
                    doc: p.doc.clone(),
                    title: many_docs.then(|| self.title_of(&p.doc).to_owned()),
                    section: p.section.clone(),
                    heading: p.heading.clone(),
                    score: hit.score,
                    snippet: Snippet { text, highlights },
                }
            })
            .collect();
        let verdicts: Vec<Verdict> = u.feature.map(|fi| self.verdict(fi, u)).into_iter().collect();
        let feature = u.feature.map(|i| &self.corpus.table.features[i]);
        let mut caveats = self.caveats(feature, cited, u);
        if !unknown.is_empty() {
            caveats.push(format!(
                "{} {} mention {}.",
                self.sources_phrase(true),
                self.sources_verb("doesn't", "don't"),
                unknown.join(", ")
            ));
        }
        Answer {
            question: q.asked.clone(),
            kind: if verdicts.is_empty() { Kind::Search } else { Kind::Feature },
            confidence: Confidence::High,
            verdicts,
            sources,
            caveats,
            suggestion: self.cost_suggestion(q),
            declined: None,
            revision: self.revision.corpus.clone(),
        }
    }

    fn verdict(&self, fi: usize, u: &Understanding) -> Verdict {
        let table = &self.corpus.table;
        verdict::verdict(table, &table.features[fi], u.asked(), &u.products, &self.sources_phrase(false))
    }

    /// A passage's analyzed tokens, made on first use.
    fn tokens(&self, pid: usize, analyzer: &mut TextAnalyzer) -> &Tokens {
        self.passage_tokens[pid].get_or_init(|| self.index.tokens(analyzer, &self.corpus.passages[pid].text))
    }

    fn title_of<'a>(&'a self, doc: &'a str) -> &'a str {
        self.corpus.docs.iter().find(|d| d.id == doc).map_or(doc, |d| d.title.as_str())
    }

    /// "the article" or "the articles", as replies refer to the corpus (capitalised at a sentence start).
    fn sources_phrase(&self, start: bool) -> String {
        let s = if self.corpus.docs.len() > 1 { "the articles" } else { "the article" };
        if start { capitalize(s) } else { s.to_owned() }
    }

    fn sources_verb(&self, one: &'static str, many: &'static str) -> &'static str {
        if self.corpus.docs.len() > 1 { many } else { one }
    }

    /// Identifier-like tokens of the question (letters with digits) that neither the corpus nor the
    /// price table mention.
    fn unknown_identifiers(&self, q: &Question) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in identifiers_in(&q.text) {
            if !self.identifiers.contains(&t) && !out.contains(&t) {
                out.push(t);
                if out.len() == 3 {
                    break;
                }
            }
        }
        out
    }

    fn caveats(&self, feature: Option<&Feature>, cited: &[Hit], u: &Understanding) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        if let Some(f) = feature {
            for c in &f.caveats {
                if seen.insert(c.clone()) {
                    out.push(c.clone());
                }
            }
        }
        let many_docs = self.corpus.docs.len() > 1;
        for hit in cited {
            let p = &self.corpus.passages[hit.pid];
            for mark in &p.verify {
                let who =
                    if many_docs { format!("\u{201c}{}\u{201d}", self.title_of(&p.doc)) } else { "The article".into() };
                let c = format!("{who} marks this as unverified: {mark}.");
                if seen.insert(c.clone()) {
                    out.push(c);
                }
            }
        }
        if !u.corrected.is_empty() {
            let list: Vec<String> =
                u.corrected.iter().map(|(typed, read)| format!("\"{typed}\" as \"{read}\"")).collect();
            out.push(format!("Read {}.", list.join(", ")));
        }
        out
    }

    /// A `/cost` command for questions about prices, with the model they name.
    fn cost_suggestion(&self, q: &Question) -> Option<String> {
        const PRICE_WORDS: &[&str] =
            &["cost", "price", "pricing", "expens", "cheap", "cheaper", "pay", "dollar", "bill", "spend", "budget"];
        let asks_price =
            q.text.contains('$') || q.words.iter().any(|w| PRICE_WORDS.iter().any(|p| w.stem.starts_with(p)));
        if !asks_price {
            return None;
        }
        let model = self.prices.mentioned_model(&q.text).or_else(|| self.prices.default_model().map(|m| m.name()))?;
        Some(format!("/cost model:{model} input_tokens:1000 output_tokens:500"))
    }

    /// An out-of-scope answer, with a sentence saying what the corpus covers (from its titles and
    /// product names).
    fn decline(&self, q: &Question, why: Declined) -> Answer {
        let covers = self.covers_phrase();
        let message = match &why {
            Declined::OtherVendor(o) => {
                format!(
                    "That's outside what I cover: I answer from {covers}, and {} nothing about {}.",
                    self.sources_verb("it says", "they say"),
                    title_case(o)
                )
            }
            Declined::NotCovered => format!("That's outside what I cover. I answer from {covers}."),
            Declined::Empty => format!("Ask me something: I answer from {covers}."),
        };
        Answer {
            question: q.asked.clone(),
            kind: Kind::OutOfScope,
            confidence: Confidence::High,
            verdicts: Vec::new(),
            sources: Vec::new(),
            caveats: Vec::new(),
            suggestion: None,
            declined: Some((why, message)),
            revision: self.revision.corpus.clone(),
        }
    }

    /// What the bot answers from, for declines, help and banners: the titles, the products and
    /// the size of the feature table.
    pub fn covers_phrase(&self) -> String {
        let docs = &self.corpus.docs;
        let titles: Vec<String> = docs.iter().take(3).map(|d| format!("\u{201c}{}\u{201d}", d.title)).collect();
        let what = match docs.len() {
            1 => format!("the article {}", titles[0]),
            n if n <= 3 => format!("{n} articles ({})", titles.join(", ")),
            n => format!("{n} articles ({}, and {} more)", titles.join(", "), n - 3),
        };
        let products: Vec<&str> = self.corpus.table.products.iter().map(|p| p.name.as_str()).collect();
        if products.is_empty() || self.corpus.table.features.is_empty() {
            return what;
        }
        format!(
            "{what} about {}: which of {} features each offers, and what {} {} about {}",
            join_and(&products),
            self.corpus.table.features.len(),
            self.sources_phrase(false),
            self.sources_verb("says", "say"),
            if products.len() == 1 { "it" } else { "them" },
        )
    }
}

/// "a", "a and b", "a, b and c".
pub fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Each distinct term's scores over every passage, at `boost` (none, with a warning, if the index
/// cannot be read: retrieval then goes without that expansion).
fn term_scores<'a>(
    index: &SearchIndex,
    terms: impl IntoIterator<Item = &'a String>,
    boost: f32,
) -> HashMap<String, ScoreList> {
    index.term_scores(terms.into_iter().map(String::as_str), boost).unwrap_or_else(|e| {
        tracing::warn!("expansion scores: {e}");
        HashMap::new()
    })
}

/// Whitespace-separated tokens that mix letters and digits ("gpt-4o", "o1", "3.5-turbo"), lowercased
/// and stripped of surrounding punctuation. Plain numbers and prices are not identifiers.
fn identifiers_in(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split_whitespace().filter_map(|raw| {
        let t = raw.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
        let t = t.strip_suffix("'s").unwrap_or(&t).to_owned();
        let digits = t.chars().any(|c| c.is_ascii_digit());
        let letters = t.chars().filter(|c| c.is_alphabetic()).count();
        let plain_number = t.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | 'k' | 'm' | 'b' | '%'));
        (digits && letters > 0 && !plain_number && t.len() <= 24).then_some(t)
    })
}

fn synonym_map(groups: &[Vec<String>], analyzer: &mut TextAnalyzer) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for group in groups {
        let terms: Vec<Vec<String>> = group.iter().map(|w| text::terms(analyzer, w)).collect();
        let all: Vec<String> = {
            let mut a: Vec<String> = terms.iter().flatten().cloned().collect();
            a.sort();
            a.dedup();
            a
        };
        for t in terms.iter().filter(|t| t.len() == 1).map(|t| &t[0]) {
            let entry = map.entry(t.clone()).or_default();
            entry.extend(all.iter().filter(|o| *o != t).cloned());
            entry.sort();
            entry.dedup();
        }
    }
    map
}

fn title_case(s: &str) -> String {
    s.split(' ').map(capitalize).collect::<Vec<_>>().join(" ")
}

/// The passage a feature's verdict rests on: its item ("Features Only in ChatGPT › Memory") when the
/// table names one, in the feature's document.
fn supporting_passage(f: &Feature, passages: &[Passage]) -> Option<usize> {
    let full = f.item_heading()?;
    passages.iter().position(|p| p.doc == f.doc && p.heading.eq_ignore_ascii_case(&full))
}
