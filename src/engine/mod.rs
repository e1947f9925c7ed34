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
mod cards;
mod fit;
mod intent;
mod listing;
pub mod model;
mod pipeline;
mod question;
pub mod scope;
pub mod signals;
pub mod tuning;
mod understand;
mod verdict;

use std::collections::HashSet;

use rustc_hash::{FxHashMap, FxHashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use tantivy::tokenizer::TextAnalyzer;

use self::analysis::Analysis;
use self::articles::{Articles, Named};
use self::cards::Cards;
use self::intent::Intent;
pub use self::pipeline::Decisions;
pub use self::question::{MAX_ANALYZED_BYTES, Question, clip, without_controls};
pub use self::scope::Evidence;
use self::understand::{Matcher, Understanding};
use crate::answer::{Answer, Confidence, Declined, Kind, QuestionType, Snippet, Source, Verdict};
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
const MAX_KNOWN_WORDS: usize = 50_000;
/// An alias whose words are all in its article's title, or each in more than half of its passages
/// (for articles of at least this many), names the article's subject, not a feature.
const MIN_SUBJECT_PASSAGES: usize = 6;

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
    /// Each feature as a small document of its own words, for recognising it in other words.
    cards: Cards,
    /// Each article's subject words, for preferring the articles a question names.
    articles: Articles,
    /// Each passage's article (index into `corpus.docs`).
    passage_doc: Vec<usize>,
    /// Each feature's article, in table order.
    feature_doc: Vec<usize>,
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
    /// Stems the corpus's own words once (see [`WordAnalyzer`]).
    word_analyzer: WordAnalyzer,
    index_analyzer: TextAnalyzer,
    /// Each passage body's analyzed tokens, made the first time the passage is retrieved: snippets and
    /// the proximity bonus then need no analysis (stemming was most of an answer's time).
    passage_tokens: Vec<OnceLock<Tokens>>,
    /// Each passage heading's index terms, made on first use like `passage_tokens`.
    heading_terms: Vec<OnceLock<Vec<String>>>,
    prices: Arc<PriceTable>,
    revision: Revision,
    /// Each passage's meaning (heading and text).
    passage_vecs: Vec<crate::embed::Vector>,
    /// Each passage's section heading's meaning.
    section_vecs: Vec<crate::embed::Vector>,
    /// The idf of a term in one passage: the rarest a known word can be.
    max_idf: f32,
    /// The fitted decisions.
    decisions: Decisions,
}

impl Engine {
    pub fn new(index: SearchIndex, corpus: Corpus, prices: Arc<PriceTable>, revision: Revision) -> Self {
        let mut word_analyzer = WordAnalyzer::with_vocabulary(vocabulary(&corpus), MAX_KNOWN_WORDS);
        let mut index_analyzer = index.analyzer();
        // Each passage body's words, and their stems.
        let body_words: Vec<Vec<text::Word>> = corpus.passages.iter().map(|p| word_analyzer.words(&p.text)).collect();
        let bodies: Vec<Vec<String>> =
            body_words.iter().map(|words| words.iter().map(|w| w.stem.clone()).collect()).collect();
        let topics = uncovered_topics(&corpus, &bodies, &mut word_analyzer);
        let doc_index = |id: &str| corpus.docs.iter().position(|d| d.id == id).unwrap_or(usize::MAX);
        let passage_doc: Vec<usize> = corpus.passages.iter().map(|p| doc_index(&p.doc)).collect();
        let feature_doc: Vec<usize> = corpus.table.features.iter().map(|f| doc_index(&f.doc)).collect();
        // Each article's title words, stemmed, and how many passages it has and in how many of them
        // each word is.
        let titles: Vec<Vec<String>> =
            corpus.docs.iter().map(|d| word_analyzer.words(&d.title).into_iter().map(|w| w.stem).collect()).collect();
        // Per article, the same for the index terms of its passages (their stems less the stopwords
        // the index drops), which the feature cards weigh their words by.
        let mut spread: Vec<articles::Spread> = vec![Default::default(); corpus.docs.len()];
        let mut terms_df: Vec<(usize, FxHashMap<String, usize>)> = vec![Default::default(); corpus.docs.len()];
        for (((p, words), body), &d) in corpus.passages.iter().zip(&body_words).zip(&bodies).zip(&passage_doc) {
            let (Some((passages, df)), Some((term_passages, term_df))) = (spread.get_mut(d), terms_df.get_mut(d))
            else {
                continue;
            };
            *passages += 1;
            let mut seen = HashSet::new();
            for w in body.iter().filter(|w| seen.insert(w.as_str())) {
                *df.entry(w.as_str()).or_default() += 1;
            }
            *term_passages += 1;
            let mut terms = text::index_terms(&p.text, words, &mut index_analyzer);
            terms.sort_unstable();
            terms.dedup();
            for t in terms {
                *term_df.entry(t).or_default() += 1;
            }
        }
        let is_subject = |fi: usize, stems: &[&str]| {
            let doc = feature_doc[fi];
            let in_title = titles.get(doc).is_some_and(|t| stems.iter().all(|s| t.iter().any(|w| w == s)));
            let common = spread.get(doc).is_some_and(|(n, df)| {
                *n >= MIN_SUBJECT_PASSAGES && stems.iter().all(|s| df.get(s).is_some_and(|d| d * 2 > *n))
            });
            in_title || common
        };
        let matcher = Matcher::new(&corpus.table, &topics, &mut word_analyzer, &is_subject);
        let articles = Articles::new(&titles, &spread);
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
        let mut identifiers: FxHashSet<String> =
            corpus.passages.iter().flat_map(|p| identifiers_in(&p.text).map(|(_, t)| t)).collect();
        for m in prices.models() {
            identifiers.insert(m.name().to_lowercase());
            identifiers.extend(m.aliases().iter().map(|a| a.to_lowercase()));
        }
        let cards = {
            // A term's spread: 1 - its idf over the rarest term's, so a word in every passage of
            // the article counts for (almost) nothing and one in a single passage fully.
            let idf = |passages: f32, df: f32| (1.0 + (passages - df + 0.5) / (df + 0.5)).ln();
            Cards::build(
                &corpus.table.features,
                |i| {
                    let f = &corpus.table.features[i];
                    features[i].passage.filter(|_| f.heading.is_some()).map(|p| &corpus.passages[p])
                },
                |card| feature_doc[card].min(corpus.docs.len()),
                // Weighed within the card's own article, so adding an article leaves the others'
                // cards alone.
                |card, t| {
                    let Some((passages, df)) = terms_df.get(feature_doc[card]) else { return 0.0 };
                    let passages = (*passages).max(1) as f32;
                    match df.get(t) {
                        None | Some(0) => 0.0,
                        Some(&df) => 1.0 - idf(passages, df as f32) / idf(passages, 1.0),
                    }
                },
                &mut index_analyzer,
            )
        };
        let passage_tokens = (0..corpus.passages.len()).map(|_| OnceLock::new()).collect();
        let heading_terms = (0..corpus.passages.len()).map(|_| OnceLock::new()).collect();
        drop(stats);
        drop(searcher);
        let embedder = crate::embed::Embedder::shared();
        let mut by_section: FxHashMap<&str, crate::embed::Vector> = FxHashMap::default();
        let section_vecs = corpus
            .passages
            .iter()
            .map(|p| by_section.entry(p.section.as_str()).or_insert_with(|| embedder.embed(&p.section)).clone())
            .collect();
        let passage_vecs =
            corpus.passages.iter().map(|p| embedder.embed(&format!("{}. {}", p.heading, p.text))).collect();
        let n = corpus.passages.len() as f32;
        let max_idf = (1.0 + (n - 1.0 + 0.5) / 1.5).ln();
        Engine {
            passage_vecs,
            section_vecs,
            max_idf,
            decisions: Decisions::shipped(),
            index,
            corpus,
            features,
            matcher,
            cards,
            articles,
            passage_doc,
            feature_doc,
            alias_scores,
            synonyms,
            synonym_scores,
            identifiers,
            word_analyzer,
            index_analyzer,
            passage_tokens,
            heading_terms,
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

    /// Replaces the fitted decisions (a model read from a file, or one being fitted).
    pub fn with_decisions(mut self, decisions: Decisions) -> Self {
        self.decisions = decisions;
        self
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

    /// The verdict and sources for one feature, as if asked "NAME?".
    pub fn feature_answer(&self, feature: &Feature) -> Answer {
        self.answer(&format!("{}?", feature.name))
    }

    fn question(&self, asked: &str, analyzer: &mut TextAnalyzer) -> Question {
        Question::new(asked, &self.corpus.lexicon, &mut self.word_analyzer.clone(), analyzer)
    }

    /// Whether the sentences that ask name one of `features` themselves.
    fn asks_about(&self, q: &Question, features: &[usize], stats: &Stats) -> bool {
        let asking: Vec<text::Word> =
            q.words.iter().zip(&q.focus).filter(|(_, f)| **f).map(|(w, _)| w.clone()).collect();
        let named = self.matcher.understand(&asking, &|stem| self.index.has_term(stats, stem));
        named.hits.iter().any(|h| features.contains(&h.feature))
    }

    /// The question's terms for the feature cards: its own words (backstory at less weight) and
    /// their synonyms, not the names of products or vendors.
    /// Words at `skip` are left out.
    fn card_terms(
        &self,
        q: &Question,
        u: &Understanding,
        skip: &[usize],
        analyzer: &mut TextAnalyzer,
    ) -> Vec<(String, f32)> {
        let mut out: Vec<(String, f32)> = Vec::with_capacity(q.words.len() * 2);
        for (i, w) in q.words.iter().enumerate() {
            if skip.contains(&i) || (u.matched[i] && u.hits.iter().all(|h| !h.positions.contains(&i))) {
                continue;
            }
            let weight = if q.focus[i] { 1.0 } else { scope::BACKSTORY_WEIGHT };
            for t in text::index_terms(&w.text, std::slice::from_ref(w), analyzer) {
                for s in self.synonyms.get(&t).into_iter().flatten() {
                    out.push((s.clone(), weight * SYNONYM_BOOST));
                }
                out.push((t, weight));
            }
        }
        out
    }

    /// What the best passage covers of the question's informative words.
    #[allow(clippy::too_many_arguments)]
    fn evidence(
        &self,
        q: &Question,
        u: &Understanding,
        intent: &Intent,
        cards: &[f32],
        hits: &[Hit],
        stats: &Stats,
        analyzer: &mut TextAnalyzer,
    ) -> Evidence {
        // The closest passages, with their headings: "The Decision Framework" answers a question
        // about the decision framework even where its text never says so.
        let closest: Vec<(&Tokens, &[String])> = hits
            .iter()
            .take(MAX_SOURCES)
            .map(|h| {
                let heading = self.heading_terms[h.pid]
                    .get_or_init(|| text::terms(analyzer, &self.corpus.passages[h.pid].heading));
                (self.tokens(h.pid, analyzer), heading.as_slice())
            })
            .collect();
        let num_docs = self.corpus.passages.len() as f32;
        let idf = |df: f32| (1.0 + (num_docs - df + 0.5) / (df + 0.5)).ln();
        let mut terms: Vec<(String, scope::Term)> = Vec::new();
        for (i, w) in q.words.iter().enumerate() {
            if u.matched[i] || text::is_filler(&w.text) || understand::is_number(&w.text) {
                continue;
            }
            let weight = if q.focus[i] { 1.0 } else { scope::BACKSTORY_WEIGHT };
            for t in text::index_terms(&w.text, std::slice::from_ref(w), analyzer) {
                if let Some((_, e)) = terms.iter_mut().find(|(x, _)| *x == t) {
                    e.weight = e.weight.max(weight);
                    e.in_focus |= q.focus[i];
                    continue;
                }
                // A word stands for its synonyms too ("pick" for "choose").
                let forms: Vec<&str> = std::iter::once(t.as_str())
                    .chain(self.synonyms.get(&t).into_iter().flatten().map(String::as_str))
                    .collect();
                let df = forms.iter().map(|f| self.index.doc_freq(stats, f)).max().unwrap_or(0);
                let known = df > 0 || forms.iter().any(|f| self.index.has_term(stats, f));
                // A letter or two the corpus never uses ("y/n", "tl;dr") is no topic.
                if !known && t.chars().count() <= 2 {
                    continue;
                }
                let in_best = closest.iter().any(|(b, heading)| {
                    forms.iter().any(|f| self.index.passage_has(b, f) || heading.iter().any(|h| h == f))
                });
                let term =
                    scope::Term { weight, in_focus: q.focus[i], idf: known.then(|| idf(df.max(1) as f32)), in_best };
                terms.push((t, term));
            }
        }
        let explained = if scope::explain() {
            terms.iter().map(|(t, e)| (t.clone(), e.weight, e.idf, e.in_best)).collect()
        } else {
            Vec::new()
        };
        let terms: Vec<scope::Term> = terms.into_iter().map(|(_, t)| t).collect();
        let (coverage, matched, unknown, informative) = scope::evidence(&terms, idf(1.0));
        let in_focus = terms.iter().filter(|t| t.in_focus).count();
        let unknown_in_focus = terms.iter().filter(|t| t.in_focus && t.idf.is_none()).count();
        let features = &self.corpus.table.features;
        Evidence {
            coverage,
            informative,
            matched,
            unknown,
            in_focus,
            unknown_in_focus,
            top_score: hits.first().map_or(0.0, |h| h.score),
            cards: intent::ranked(cards).into_iter().take(3).map(|(f, s)| (features[f].id.clone(), s)).collect(),
            aliases: u.hits.iter().map(|h| (features[h.feature].id.clone(), h.skipped)).collect(),
            feature_by: intent.by.as_str(),
            terms: explained,
            rest: None,
            hits: Vec::new(),
            unsteered: Vec::new(),
            decision: None,
            signals: Vec::new(),
        }
    }

    /// Retrieval: the question's terms, widened by the feature's aliases and by synonyms as
    /// precomputed scores (each term once, and not a term the question itself has), then a
    /// proximity bonus over the candidates, and the articles the question passes over (`named`)
    /// weighed down.
    fn retrieve(
        &self,
        q: &Question,
        named: &Named,
        feature: Option<usize>,
        stats: &Stats,
        analyzer: &mut TextAnalyzer,
    ) -> Vec<Hit> {
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
        if !proximity.is_empty() || named.prefers() {
            for hit in &mut hits {
                if !proximity.is_empty() {
                    hit.score += proximity.bonus(self.tokens(hit.pid, analyzer));
                }
                hit.score *= named.weight(self.passage_doc[hit.pid]);
            }
            // Stable: equal scores keep tantivy's order.
            hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        }
        hits
    }

    /// The passages to cite: each verdict feature's supporting passage first (its passage, or
    /// else its section's best hit), then the best other hits above a share of the top score.
    fn cite(&self, features: &[usize], hits: &[Hit]) -> Vec<Hit> {
        let mut cited: Vec<Hit> = Vec::new();
        for &fi in features {
            let f = &self.corpus.table.features[fi];
            let pid = self.features[fi].passage.or_else(|| {
                hits.iter()
                    .find(|h| {
                        let p = &self.corpus.passages[h.pid];
                        p.doc == f.doc && p.section.eq_ignore_ascii_case(&f.section)
                    })
                    .map(|h| h.pid)
            });
            if let Some(pid) = pid
                && cited.len() < MAX_SOURCES
                && !cited.iter().any(|c| c.pid == pid)
            {
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

    /// For an unsure reading: the closest passages in retrieval order, with the first feature's own
    /// passage among them.
    fn cite_closest(&self, features: &[usize], hits: &[Hit]) -> Vec<Hit> {
        let mut cited = self.cite(&[], hits);
        let own = self.cite(&features[..1], hits);
        if let Some(first) = own.first()
            && !cited.iter().any(|c| c.pid == first.pid)
        {
            cited.truncate(MAX_SOURCES - 1);
            cited.push(*first);
        }
        cited
    }

    /// The answer: verdicts for `features`, cited sources with snippets, caveats and a `/cost`
    /// suggestion.
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        &self,
        a: &Analysis,
        features: &[usize],
        cited: &[Hit],
        stats: &Stats,
        confidence: Confidence,
        evidence: Evidence,
        analyzer: &mut TextAnalyzer,
    ) -> Answer {
        let (q, u) = (&a.q, &a.u);
        // Snippets show the question's own words and the features', not every synonym.
        let mut weights = self.index.highlight_weights(stats, &q.terms);
        for &fi in features {
            for &(t, w) in &self.features[fi].highlights {
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
                let (text, highlights) = highlighter.snippet(self.tokens(hit.pid, analyzer));
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
        let verdicts: Vec<Verdict> = features.iter().map(|&fi| self.verdict(fi, u)).collect();
        let mut caveats = self.caveats(features, cited, q, u);
        if !a.unknown.is_empty() {
            caveats.push(format!(
                "{} {} mention {}.",
                self.sources_phrase(true),
                self.sources_verb("doesn't", "don't"),
                a.unknown.join(", ")
            ));
        }
        Answer {
            question: q.asked.clone(),
            kind: if verdicts.is_empty() { Kind::Search } else { Kind::Feature },
            asked_as: QuestionType::Availability,
            confidence,
            listing: None,
            verdicts,
            sources,
            caveats,
            suggestion: self.cost_suggestion(q),
            declined: None,
            evidence,
            revision: self.revision.corpus.clone(),
            record: None,
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

    /// Whether the question asks if a product has something ("does ChatGPT have a dark mode?",
    /// "does the API support X?") whose words include one the corpus never uses.
    fn asks_for_unknown(&self, q: &Question, u: &Understanding, stats: &Stats) -> bool {
        const HAVING: &[&str] = &[
            "have", "has", "had", "got", "support", "supports", "offer", "offers", "include", "includes", "provide",
            "provides", "allow", "allows",
        ];
        const AUX: &[&str] = &["does", "do", "did", "can", "could", "will", "would", "is", "are"];
        let Some(verb) = q.words.iter().position(|w| HAVING.contains(&w.text.as_str())) else { return false };
        // The question's own shape: "does ChatGPT have", "can the API support", "is there ... that offers".
        let shaped = (verb.saturating_sub(6)..verb).any(|a| {
            AUX.contains(&q.words[a].text.as_str()) && (a + 1..verb).any(|p| u.matched[p] && !u.products.is_empty())
        });
        if u.products.is_empty() || !q.focus[verb] || !shaped {
            return false;
        }
        // The thing asked for: the words after the verb, up to the end of the sentence.
        let end = q
            .text
            .get(q.words[verb].offset..)
            .unwrap_or_default()
            .find(['?', '.', '!', ';', ','])
            .map_or(q.text.len(), |e| q.words[verb].offset + e);
        q.words.iter().enumerate().skip(verb + 1).take_while(|(_, w)| w.offset < end).any(|(i, w)| {
            !u.matched[i]
                && !text::is_filler(&w.text)
                && !understand::is_number(&w.text)
                && !self.index.has_term(stats, &w.stem)
                && !text::is_index_stopword(&w.text)
        })
    }

    /// Names in the asking sentence that the corpus never uses: capitalised words (not opening a
    /// sentence) or acronyms that are not a product, feature or vendor name ("Sora", "Okta").
    fn unknown_names(&self, q: &Question, u: &Understanding, stats: &Stats) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (i, w) in q.words.iter().enumerate() {
            if !q.focus[i] || u.matched[i] || text::is_filler(&w.text) || w.text.chars().count() < 2 {
                continue;
            }
            let Some(surface) = q.text.get(w.offset..w.end) else { continue };
            let capitalised = surface.chars().next().is_some_and(char::is_uppercase);
            let opens_sentence = q
                .text
                .get(..w.offset)
                .unwrap_or_default()
                .trim_end()
                .chars()
                .next_back()
                .is_none_or(|c| matches!(c, '.' | '!' | '?' | ':' | '"' | '\''));
            if !capitalised
                || opens_sentence
                || self.index.has_term(stats, &w.stem)
                || self.identifiers.contains(&w.text)
            {
                continue;
            }
            if !out.contains(&surface.to_owned()) {
                out.push(surface.to_owned());
            }
        }
        out
    }

    /// Identifier-like tokens of the question (letters with digits, words joined by underscores)
    /// that neither the corpus nor the price table mention, and how many of them are in a sentence
    /// that asks: all of them, and those written as code ("reasoning_effort").
    fn unknown_identifiers(&self, q: &Question) -> (Vec<String>, (usize, usize)) {
        let mut out: Vec<String> = Vec::new();
        let mut asked = (0, 0);
        for (at, t) in identifiers_in(&q.text) {
            if !self.identifiers.contains(&t) && !out.contains(&t) {
                let in_focus = q.words.iter().zip(&q.focus).find(|(w, _)| w.end > at).is_none_or(|(_, f)| *f);
                if in_focus {
                    asked.0 += 1;
                    asked.1 += usize::from(t.contains('_'));
                }
                out.push(t);
                if out.len() == 3 {
                    break;
                }
            }
        }
        (out, asked)
    }

    fn caveats(&self, features: &[usize], cited: &[Hit], q: &Question, u: &Understanding) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for &fi in features {
            for c in &self.corpus.table.features[fi].caveats {
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
        let mut read: Vec<String> = Vec::new();
        for h in u.hits.iter().filter(|h| features.contains(&h.feature)) {
            for &p in &h.typo_at {
                let r = format!("\"{}\" as \"{}\"", q.words[p].text, self.matcher.canonical(h.feature));
                if !read.contains(&r) {
                    read.push(r);
                }
            }
        }
        if !read.is_empty() {
            out.push(format!("Read {}.", read.join(", ")));
        }
        if let Some((vendor, _)) = &u.other {
            out.push(format!(
                "{} {} nothing about {}.",
                self.sources_phrase(true),
                self.sources_verb("says", "say"),
                title_case(vendor)
            ));
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
    fn decline(&self, q: &Question, why: Declined, evidence: Evidence, confidence: Confidence) -> Answer {
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
            Declined::Topic(t) => format!(
                "That's outside what I cover: I answer from {covers}, and {} nothing about {t}.",
                self.sources_verb("it says", "they say")
            ),
            Declined::Unknown(names) => format!(
                "That's outside what I cover: I answer from {covers}, and {} {}.",
                self.sources_verb("it doesn't mention", "they don't mention"),
                join_and(&names.iter().map(String::as_str).collect::<Vec<_>>())
            ),
        };
        Answer {
            question: q.asked.clone(),
            kind: Kind::OutOfScope,
            asked_as: QuestionType::NotCovered,
            confidence,
            listing: None,
            verdicts: Vec::new(),
            sources: Vec::new(),
            caveats: Vec::new(),
            suggestion: None,
            declined: Some((why, message)),
            evidence,
            revision: self.revision.corpus.clone(),
            record: None,
        }
    }

    /// The informative terms of a question, for grouping questions the bot could not answer: its
    /// index terms without filler and without the words that name a product (every question names
    /// one), each weighted by how specific it is: 1 for a term the corpus never uses (the missing
    /// topic itself), down to 0 for one in every passage.
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
        sets.push(fit::TrainingSet { name, engine, cases: crate::eval::load(&spec.questions)? });
    }
    Ok(fit::fit(&sets))
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
) -> FxHashMap<String, ScoreList> {
    index.term_scores(terms.into_iter().map(String::as_str), boost).unwrap_or_else(|e| {
        tracing::warn!("expansion scores: {e}");
        FxHashMap::default()
    })
}

/// Whitespace-separated tokens that mix letters and digits ("gpt-4o", "o1", "3.5-turbo") or join
/// words with underscores, as code does ("top_p", "max_tokens"), lowercased and stripped of
/// surrounding punctuation, with their byte offsets. Plain numbers and prices are not identifiers.
fn identifiers_in(text: &str) -> impl Iterator<Item = (usize, String)> + '_ {
    let base = text.as_ptr() as usize;
    text.split_whitespace().filter(|raw| raw.bytes().any(|b| b.is_ascii_digit() || b == b'_')).filter_map(move |raw| {
        let t = raw.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
        let t = t.strip_suffix("'s").unwrap_or(&t).to_owned();
        let digits = t.chars().any(|c| c.is_ascii_digit());
        let letters = t.chars().filter(|c| c.is_alphabetic()).count();
        // "10k", "1.5m", "20%", and plurals of numbers ("429s", "1990s").
        let number = t.strip_suffix('s').filter(|n| n.chars().all(|c| c.is_ascii_digit())).unwrap_or(&t);
        let plain_number = number.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | 'k' | 'm' | 'b' | '%'));
        let code = t.contains('_') && letters > 1;
        let id = ((digits && letters > 0 && !plain_number) || code) && t.len() <= 24;
        id.then(|| (raw.as_ptr() as usize - base, t))
    })
}

/// The words whose stems the engine works out once ([`WordAnalyzer`]): the corpus's own, which are
/// most of the words questions use. A question word outside them is stemmed as it comes.
fn vocabulary(corpus: &Corpus) -> impl Iterator<Item = &str> {
    let table = &corpus.table;
    let features = table
        .features
        .iter()
        .flat_map(|f| [&f.name, &f.note].into_iter().chain(&f.aliases).chain(&f.examples).map(String::as_str));
    let passages = corpus.passages.iter().flat_map(|p| [p.heading.as_str(), p.text.as_str()]);
    let lexicon = corpus.lexicon.expansions();
    features.chain(passages).chain(lexicon)
}

/// The table's uncovered topics, less those the corpus has come to cover: a feature's name or
/// alias, or a passage heading, uses their words, or a passage's text has them in a row.
fn uncovered_topics(corpus: &Corpus, bodies: &[Vec<String>], analyzer: &mut WordAnalyzer) -> Vec<String> {
    let table = &corpus.table;
    let named = table.features.iter().flat_map(|f| std::iter::once(&f.name).chain(&f.aliases));
    let headings = corpus.passages.iter().map(|p| &p.heading);
    let texts: Vec<Vec<text::Word>> = named.chain(headings).map(|t| analyzer.words(t)).collect();
    let mut out = Vec::new();
    for topic in &table.topics {
        let words = analyzer.words(topic);
        let stems: Vec<String> = words.iter().map(|w| w.stem.clone()).collect();
        let in_body = |b: &Vec<String>| !stems.is_empty() && b.windows(stems.len()).any(|w| w == stems);
        if !understand::covered(&words, &texts) && !bodies.iter().any(in_body) {
            out.push(topic.clone());
        }
    }
    out
}

fn synonym_map(groups: &[Vec<String>], analyzer: &mut TextAnalyzer) -> FxHashMap<String, Vec<String>> {
    let mut map: FxHashMap<String, Vec<String>> = FxHashMap::default();
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
/// table names one, else the first passage of its section, in the feature's document.
fn supporting_passage(f: &Feature, passages: &[Passage]) -> Option<usize> {
    match f.item_heading() {
        Some(full) => passages.iter().position(|p| p.doc == f.doc && p.heading.eq_ignore_ascii_case(&full)),
        None => passages.iter().position(|p| p.doc == f.doc && p.section.eq_ignore_ascii_case(&f.section)),
    }
}
