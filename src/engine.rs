//! The answer engine: one immutable snapshot of index, passages, feature table and prices, and the
//! question -> [`Answer`] path over it. Knows nothing of Discord or terminals.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use tantivy::tokenizer::TextAnalyzer;

use crate::answer::{self, Answer, Kind, Source, Verdict};
use crate::corpus::{self, Passage};
use crate::cost::PriceTable;
use crate::features::{self, Feature, FeatureTable};
use crate::index::{Highlighter, Hit, ScoreList, SearchIndex, Stats, Tokens};
use crate::text;
use crate::understand::{self, Matcher, Understanding};

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

/// Everything an engine is made of.
pub struct Parts {
    pub index: SearchIndex,
    pub passages: Vec<Passage>,
    pub table: FeatureTable,
    pub prices: Arc<PriceTable>,
    pub titles: Vec<String>,
    pub revision: Revision,
}

pub struct Engine {
    index: SearchIndex,
    passages: Vec<Passage>,
    table: FeatureTable,
    prices: Arc<PriceTable>,
    matcher: Matcher,
    /// The passage each feature cites first.
    feature_passage: Vec<Option<usize>>,
    /// Each feature's first [`MAX_EXPANSION_TERMS`] analyzed alias terms (aliases come most
    /// canonical first): a question about the feature also looks for these, at [`EXPANSION_BOOST`].
    feature_expansion: Vec<Vec<String>>,
    /// Every expansion alias term's scores at [`EXPANSION_BOOST`], computed once: a question adds
    /// precomputed scores instead of a query clause per term.
    alias_scores: HashMap<String, ScoreList>,
    /// All of each feature's analyzed alias terms with their snippet weights (these depend on the
    /// index only).
    feature_highlights: Vec<Vec<(u32, f32)>>,
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
    titles: Vec<String>,
    revision: Revision,
}

impl Engine {
    pub fn new(parts: Parts) -> Self {
        let Parts { index, passages, table, prices, titles, revision } = parts;
        let mut word_analyzer = text::word_analyzer();
        let mut index_analyzer = index.analyzer();
        let matcher = Matcher::new(&table, &mut word_analyzer);
        let feature_passage = table.features.iter().map(|f| supporting_passage(f, &passages)).collect();
        let feature_terms: Vec<Vec<String>> = table
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
        // The first aliases are the canonical ones; more would widen recall past the feature.
        let feature_expansion: Vec<Vec<String>> =
            feature_terms.iter().map(|t| t.iter().take(MAX_EXPANSION_TERMS).cloned().collect()).collect();
        let alias_scores = term_scores(&index, feature_expansion.iter().flatten(), EXPANSION_BOOST);
        let feature_highlights = {
            let searcher = index.searcher();
            let stats = Stats::new(&searcher);
            feature_terms.iter().map(|terms| index.highlight_weights(&stats, terms)).collect()
        };
        let synonyms = synonym_map(&table.synonyms, &mut index_analyzer);
        let synonym_scores = term_scores(&index, synonyms.values().flatten(), SYNONYM_BOOST);
        let mut identifiers: HashSet<String> = passages.iter().flat_map(|p| identifiers_in(&p.text)).collect();
        for m in prices.models() {
            identifiers.insert(m.name().to_lowercase());
            identifiers.extend(m.aliases().iter().map(|a| a.to_lowercase()));
        }
        let passages_len = passages.len();
        Engine {
            index,
            passages,
            table,
            prices,
            matcher,
            feature_passage,
            feature_expansion,
            alias_scores,
            feature_highlights,
            synonyms,
            synonym_scores,
            identifiers,
            word_analyzer,
            index_analyzer,
            passage_tokens: (0..passages_len).map(|_| OnceLock::new()).collect(),
            titles,
            revision,
        }
    }

    /// Loads the corpus directory and builds the index in memory: for tests, benchmarks and fuzzing.
    pub fn from_corpus_dir(dir: &Path, prices: Arc<PriceTable>) -> Result<Self, crate::Error> {
        let corpus = corpus::load_dir(dir)?;
        let table = features::load(dir, &corpus)?;
        let index = SearchIndex::in_ram(&corpus.passages)?;
        Ok(Engine::new(Parts {
            index,
            titles: corpus.docs.iter().map(|d| d.title.clone()).collect(),
            revision: Revision { corpus: corpus.revision().to_owned(), generation: "in-ram".into() },
            passages: corpus.passages,
            table,
            prices,
        }))
    }

    pub fn features(&self) -> &FeatureTable {
        &self.table
    }

    pub fn prices(&self) -> &PriceTable {
        &self.prices
    }

    pub fn passages(&self) -> &[Passage] {
        &self.passages
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
        if let Some(f) =
            self.table.features.iter().find(|f| f.id == key || f.name.to_lowercase().replace(['-', ' '], "_") == key)
        {
            return Some(f);
        }
        let mut analyzer = self.word_analyzer.clone();
        let u = self.matcher.understand(name, &mut analyzer, &|_| false);
        u.feature.map(|i| &self.table.features[i])
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
        let mut out: Vec<&Feature> = self.table.features.iter().filter(|f| starts(f)).collect();
        out.extend(self.table.features.iter().filter(|f| !starts(f) && contains(f)));
        out
    }

    /// The verdict and sources for one feature, as if asked "ChatGPT or API: NAME?".
    pub fn feature_answer(&self, feature: &Feature) -> Answer {
        self.answer(&format!("{}?", feature.name))
    }

    /// Answers one question. Never fails: nothing found is an answer too.
    pub fn answer(&self, question: &str) -> Answer {
        let asked = question.trim();
        let cleaned = text::strip_mentions(asked);
        let question = cleaned.trim();
        let mut word_analyzer = self.word_analyzer.clone();
        let mut index_analyzer = self.index_analyzer.clone();
        let searcher = self.index.searcher();
        let stats = Stats::new(&searcher);
        let u = self.matcher.understand(question, &mut word_analyzer, &|stem| self.index.has_term(&stats, stem));
        if let Some(other) = &u.other {
            return self.out_of_scope(asked, Some(other));
        }
        let feature_idx = u.feature;
        let unknown = self.unknown_identifiers(question);
        if feature_idx.is_none() && !self.covers(&u, unknown.len(), &mut index_analyzer, &stats) {
            return self.out_of_scope(asked, None);
        }

        // The question's index terms, from the words already analyzed.
        let terms = text::index_terms(
            understand::clip(question, understand::MAX_ANALYZED_BYTES),
            &u.words,
            &mut index_analyzer,
        );
        // Feature aliases, then synonyms of the question's words, widen retrieval as precomputed
        // scores: each term once, and not a term the question itself has.
        let mut seen: Vec<&str> = terms.iter().map(String::as_str).collect();
        let mut extra: Vec<&ScoreList> = Vec::new();
        let aliases = feature_idx.into_iter().flat_map(|i| &self.feature_expansion[i]).map(|t| (t, &self.alias_scores));
        let synonyms =
            terms.iter().flat_map(|q| self.synonyms.get(q).into_iter().flatten()).map(|t| (t, &self.synonym_scores));
        for (t, scores) in aliases.chain(synonyms) {
            if !seen.contains(&t.as_str()) {
                seen.push(t);
                extra.extend(scores.get(t));
            }
        }
        let retrieval = self.index.query(&stats, &terms, &extra);
        let mut hits = self.index.search(&stats, &retrieval, CANDIDATES).unwrap_or_default();
        let proximity = self.index.proximity(&stats, &terms);
        if !proximity.is_empty() {
            for hit in &mut hits {
                hit.score += proximity.bonus(self.tokens(hit.pid, &mut index_analyzer));
            }
            // Stable: equal scores keep tantivy's order.
            hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        }

        let cited = self.cite(feature_idx, &hits);
        if cited.is_empty() {
            return self.out_of_scope(asked, None);
        }
        // Snippets show the question's own words and the feature's, not every synonym.
        let mut weights = self.index.highlight_weights(&stats, &terms);
        if let Some(i) = feature_idx {
            for &(t, w) in &self.feature_highlights[i] {
                if !weights.iter().any(|&(x, _)| x == t) {
                    weights.push((t, w));
                }
            }
        }
        let highlighter = Highlighter::new(weights, SNIPPET_CHARS);
        let sources: Vec<Source> = cited
            .iter()
            .map(|hit| {
                let p = &self.passages[hit.pid];
                let snippet = highlighter.snippet(self.tokens(hit.pid, &mut index_analyzer));
                Source {
                    doc: p.doc.clone(),
                    section: p.section.clone(),
                    heading: p.heading.clone(),
                    score: hit.score,
                    snippet,
                }
            })
            .collect();

        let feature = feature_idx.map(|i| &self.table.features[i]);
        let verdict = feature.map(|f| Verdict {
            feature: f.id.clone(),
            name: f.name.clone(),
            asked: u.asked(),
            chatgpt: f.chatgpt,
            api: f.api,
            note: f.note.clone(),
        });
        let mut caveats = self.caveats(feature, &cited, &u);
        if !unknown.is_empty() {
            caveats.push(format!("The article doesn't mention {}.", unknown.join(", ")));
        }
        let suggestion = self.cost_suggestion(question, &u);
        let kind = if verdict.is_some() { Kind::Feature } else { Kind::Search };
        let text = answer::render_text(verdict.as_ref(), &sources, &caveats, suggestion.as_deref());
        Answer {
            question: asked.to_owned(),
            kind,
            verdict,
            sources,
            caveats,
            text,
            suggestion,
            revision: self.revision.corpus.clone(),
        }
    }

    /// A passage's analyzed tokens, made on first use.
    fn tokens(&self, pid: usize, analyzer: &mut TextAnalyzer) -> &Tokens {
        self.passage_tokens[pid].get_or_init(|| self.index.tokens(analyzer, &self.passages[pid].text))
    }

    /// Whether enough of the question's topic words occur in the corpus; `unknown_ids` model names
    /// the corpus never mentions count as uncovered topic words.
    fn covers(&self, u: &Understanding, unknown_ids: usize, analyzer: &mut TextAnalyzer, stats: &Stats) -> bool {
        let (mut known, mut total) = (0usize, 0usize);
        for w in u.content_words() {
            let terms = text::index_terms(&w.text, std::slice::from_ref(w), analyzer);
            if terms.is_empty() {
                continue;
            }
            total += 1;
            if terms.iter().any(|t| self.index.doc_freq(stats, t) > 0) {
                known += 1;
            }
        }
        // A model or version the corpus never names ("gpt-5") is a topic it cannot speak to.
        total += unknown_ids;
        if total == 0 {
            // Nothing but a product name ("tell me about the API"): in scope if it named one.
            return !u.products.is_empty();
        }
        known as f32 >= MIN_COVERAGE * total as f32
    }

    /// Identifier-like tokens of the question (letters with digits) that neither the corpus nor the
    /// price table mention.
    fn unknown_identifiers(&self, question: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in identifiers_in(understand::clip(question, understand::MAX_ANALYZED_BYTES)) {
            if !self.identifiers.contains(&t) && !out.contains(&t) {
                out.push(t);
                if out.len() == 3 {
                    break;
                }
            }
        }
        out
    }

    /// The passages to cite: for a feature, its supporting passage first; then the best other hits.
    fn cite(&self, feature: Option<usize>, hits: &[Hit]) -> Vec<Hit> {
        let mut cited: Vec<Hit> = Vec::new();
        if let Some(fi) = feature {
            let f = &self.table.features[fi];
            let pid = self.feature_passage[fi].or_else(|| {
                hits.iter().find(|h| self.passages[h.pid].section.eq_ignore_ascii_case(&f.section)).map(|h| h.pid)
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
        for hit in cited {
            for mark in &self.passages[hit.pid].verify {
                let c = format!("The article marks this as unverified: {mark}.");
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
    fn cost_suggestion(&self, question: &str, u: &Understanding) -> Option<String> {
        const PRICE_WORDS: &[&str] =
            &["cost", "price", "pricing", "expens", "cheap", "cheaper", "pay", "dollar", "bill", "spend", "budget"];
        let asks_price =
            question.contains('$') || u.words.iter().any(|w| PRICE_WORDS.iter().any(|p| w.stem.starts_with(p)));
        if !asks_price {
            return None;
        }
        let model = self.prices.mentioned_model(question).unwrap_or(self.prices.default_model().name());
        Some(format!("/cost model:{model} input_tokens:1000 output_tokens:500"))
    }

    fn out_of_scope(&self, question: &str, other: Option<&str>) -> Answer {
        let covers = match self.titles.as_slice() {
            [one] => format!("the article \"{one}\""),
            many => format!("{} articles", many.len()),
        };
        let text = match other {
            Some(o) => format!(
                "That's outside what I cover: I answer from {covers}, which compares OpenAI's ChatGPT and API and says nothing about {}. Try /features or /help.",
                title_case(o)
            ),
            None => format!(
                "That's outside what I cover. I answer from {covers}: which features ChatGPT and the API have, what they cost, model access and which to choose. Try /features or /help."
            ),
        };
        Answer {
            question: question.to_owned(),
            kind: Kind::OutOfScope,
            verdict: None,
            sources: Vec::new(),
            caveats: Vec::new(),
            text,
            suggestion: None,
            revision: self.revision.corpus.clone(),
        }
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
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The passage a feature's verdict rests on: its item ("Features Only in ChatGPT › Memory") when the
/// table names one.
fn supporting_passage(f: &Feature, passages: &[Passage]) -> Option<usize> {
    let heading = f.heading.as_ref()?;
    let full = format!("{} › {}", f.section, heading);
    passages.iter().position(|p| p.heading.eq_ignore_ascii_case(&full))
}
