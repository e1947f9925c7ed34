//! A question read once: every step after it (signals, decisions, retrieval, citing, phrasing)
//! reads this one value instead of analyzing the text again.

use tantivy::tokenizer::TextAnalyzer;

use super::articles::Named;
use super::intent::{self, Found, Intent};
use super::understand::{self, AliasHit, Understanding};
use super::{Engine, Evidence, Question};
use crate::embed::{self, Embedder, Vector};
use crate::index::{Hit, Stats};
use crate::text;

/// How many of the passages closest in meaning join the retrieved ones as candidates to cite.
const SEMANTIC_CANDIDATES: usize = 5;

/// The question, what it names, what the feature cards and retrieval make of it, and its focus.
pub struct Analysis {
    pub q: Question,
    pub u: Understanding,
    /// The articles the question names, when there are several.
    pub named: Named,
    /// Each feature card's score, and how many question terms scored on it.
    pub cards: Vec<f32>,
    pub card_terms: Vec<u32>,
    /// The alias hits that count (those of articles the question passes over only where their
    /// card is still the best).
    pub hits: Vec<AliasHit>,
    pub intent: Intent,
    /// Models, products or names in the question that the corpus never mentions (up to three).
    pub unknown: Vec<String>,
    /// Of the unknown identifiers: how many are in a sentence that asks, and how many of those are
    /// written as code (`reasoning_effort`).
    pub unknown_asked: usize,
    pub code_asked: usize,
    /// Capitalised names in the asking sentence the corpus never uses.
    pub unknown_names: usize,
    /// "Does PRODUCT have X?" with a word of X the corpus never uses.
    pub asks_for_unknown: bool,
    /// Whether the sentences that ask name one of the intent's features themselves.
    pub asks_about: bool,
    /// For a feature an alias names: its card score from the rest of the question (without the
    /// alias's words): how much else in the question is about the feature.
    pub rest: f32,
    /// The passages closest to the question's own words (no feature steering), best first.
    pub closest: Vec<Hit>,
    /// What the closest passages cover of the question's informative words.
    pub evidence: Evidence,
    /// The informative terms of the sentences that ask (the object of the ask).
    pub focus: Vec<FocusTerm>,
    /// The question's meaning, and that of its asking sentences alone.
    pub meaning: Vector,
    pub focus_meaning: Vector,
    /// The passages to consider citing: the closest by words, the closest by meaning, the
    /// features' own, each with what it covers of the focus.
    pub candidates: Vec<Candidate>,
}

/// One informative word of a sentence that asks.
#[derive(Debug, Clone)]
pub struct FocusTerm {
    /// Analyzed index term.
    pub term: String,
    /// Its idf in the corpus, `None` when the corpus never uses it.
    pub idf: Option<f32>,
    /// How common the word is in English (see [`embed::english_rank`]).
    pub english_rank: Option<u32>,
    /// It is a word of an alias the question uses (the feature, not what is asked about it).
    pub in_alias: bool,
    /// The term and its synonyms: a passage with any of them covers it.
    pub forms: Vec<String>,
}

/// A passage that may answer the question.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub pid: usize,
    /// Its retrieval score (0 when only meaning found it).
    pub score: f32,
    /// Cosine of its meaning with the question's, and with the asking sentences'.
    pub meaning: f32,
    pub focus_meaning: f32,
    /// It is the supporting passage of a feature the question names.
    pub own: bool,
    /// Per focus term: the passage (or its heading) has it.
    pub has: Vec<bool>,
    /// Cosine of the meaning of its section's heading with the question's.
    pub heading_meaning: f32,
}

impl Engine {
    /// Reads a question once.
    pub(super) fn analyze(&self, asked: &str, stats: &Stats, analyzer: &mut TextAnalyzer) -> Analysis {
        let q = self.question(asked, analyzer);
        let u = self.matcher.understand(&q.words, &|stem| self.index.has_term(stats, stem));
        // With several articles, those the question names come first: the others' cards count for
        // less, and their aliases name a feature only where the whole question reads best as it
        // ("automatic review" in a question about screening posts through the API is no code review).
        let named = self.articles.named(&q.words);
        let (mut cards, card_terms) = self.cards.score(&self.card_terms(&q, &u, &[], analyzer));
        let hits: Vec<AliasHit> = if named.prefers() {
            for (card, &doc) in cards.iter_mut().zip(&self.feature_doc) {
                *card *= named.weight(doc);
            }
            let best = intent::best(&cards);
            u.hits
                .iter()
                .filter(|h| Some(h.feature) == best || !named.passes_over(self.feature_doc[h.feature]))
                .cloned()
                .collect()
        } else {
            u.hits.clone()
        };
        let intent = intent::decide(&hits, &cards, &card_terms);
        let (mut unknown, (unknown_asked, code_asked)) = self.unknown_identifiers(&q);
        let names = self.unknown_names(&q, &u, stats);
        let unknown_names = names.len();
        for name in names {
            if !unknown.contains(&name) && unknown.len() < 3 {
                unknown.push(name);
            }
        }
        let asks_for_unknown = self.asks_for_unknown(&q, &u, stats);
        let asks_about = !matches!(intent.by, Found::Alias | Found::SkippedAlias)
            || !q.has_backstory()
            || self.asks_about(&q, &intent.features, stats);
        let rest = match intent.features.first().and_then(|f| hits.iter().find(|h| h.feature == *f)) {
            Some(hit) if intent.by == Found::Alias => {
                self.cards.score(&self.card_terms(&q, &u, &hit.positions, analyzer)).0[hit.feature]
            }
            _ => 0.0,
        };
        let closest = self.retrieve(&q, &named, None, stats, analyzer);
        let mut evidence = self.evidence(&q, &u, &intent, &cards, &closest, stats, analyzer);
        if intent.by == Found::Alias && evidence.mostly_unknown(!u.products.is_empty()) {
            evidence.rest = Some(rest);
        }
        let focus = self.focus_terms(&q, &u, &hits, stats, analyzer);
        let embedder = Embedder::shared();
        let meaning = embedder.embed(&q.text);
        let focus_meaning = embedder.embed(&q.asking_text());
        let mut a = Analysis {
            q,
            u,
            named,
            cards,
            card_terms,
            hits,
            intent,
            unknown,
            unknown_asked,
            code_asked,
            unknown_names,
            asks_for_unknown,
            asks_about,
            rest,
            closest,
            evidence,
            focus,
            meaning,
            focus_meaning,
            candidates: Vec::new(),
        };
        a.candidates = self.candidates(&a, analyzer);
        a
    }

    /// The informative terms of the sentences that ask: not filler, numbers or product names.
    fn focus_terms(
        &self,
        q: &Question,
        u: &Understanding,
        hits: &[AliasHit],
        stats: &Stats,
        analyzer: &mut TextAnalyzer,
    ) -> Vec<FocusTerm> {
        let num_docs = self.corpus.passages.len() as f32;
        let idf = |df: f32| (1.0 + (num_docs - df + 0.5) / (df + 0.5)).ln();
        let in_alias: Vec<usize> =
            hits.iter().filter(|h| h.skipped == 0).flat_map(|h| h.positions.iter().copied()).collect();
        let mut out: Vec<FocusTerm> = Vec::new();
        for (i, w) in q.words.iter().enumerate() {
            if !q.focus[i]
                || text::is_filler(&w.text)
                || understand::is_number(&w.text)
                || (u.matched[i] && !in_alias.contains(&i))
            {
                continue;
            }
            for term in text::index_terms(&w.text, std::slice::from_ref(w), analyzer) {
                if term.chars().count() <= 2 || out.iter().any(|t| t.term == term) {
                    continue;
                }
                // A misspelt alias word ("tempreture") names the feature; it is no topic of its own.
                if in_alias.contains(&i) && !self.index.has_term(stats, &term) {
                    continue;
                }
                let forms: Vec<String> = std::iter::once(term.clone())
                    .chain(self.synonyms.get(&term).into_iter().flatten().cloned())
                    .collect();
                let df = forms.iter().map(|f| self.index.doc_freq(stats, f)).max().unwrap_or(0);
                out.push(FocusTerm {
                    term,
                    idf: (df > 0).then(|| idf(df as f32)),
                    english_rank: embed::english_rank(&w.text),
                    in_alias: in_alias.contains(&i),
                    forms,
                });
            }
        }
        out
    }

    /// The passages that may answer: the closest by words, the closest by meaning, and the
    /// intent's features' own.
    fn candidates(&self, a: &Analysis, analyzer: &mut TextAnalyzer) -> Vec<Candidate> {
        let mut pids: Vec<(usize, f32)> = a.closest.iter().map(|h| (h.pid, h.score)).collect();
        let mut by_meaning: Vec<(usize, f32)> =
            self.passage_vecs.iter().enumerate().map(|(i, v)| (i, embed::cosine(&a.meaning, v))).collect();
        if by_meaning.len() > SEMANTIC_CANDIDATES {
            by_meaning.select_nth_unstable_by(SEMANTIC_CANDIDATES, |x, y| y.1.total_cmp(&x.1));
            by_meaning.truncate(SEMANTIC_CANDIDATES);
        }
        by_meaning.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        for (pid, _) in by_meaning {
            if !pids.iter().any(|p| p.0 == pid) {
                pids.push((pid, 0.0));
            }
        }
        let own: Vec<usize> = a.intent.features.iter().filter_map(|&f| self.features[f].passage).collect();
        for &pid in &own {
            if !pids.iter().any(|p| p.0 == pid) {
                pids.push((pid, 0.0));
            }
        }
        pids.into_iter()
            .map(|(pid, score)| {
                let heading = self.heading_terms[pid]
                    .get_or_init(|| text::terms(analyzer, &self.corpus.passages[pid].heading))
                    .clone();
                let tokens = self.tokens(pid, analyzer);
                let has = a
                    .focus
                    .iter()
                    .map(|t| t.forms.iter().any(|f| self.index.passage_has(tokens, f) || heading.contains(f)))
                    .collect();
                Candidate {
                    pid,
                    score,
                    meaning: embed::cosine(&a.meaning, &self.passage_vecs[pid]),
                    focus_meaning: embed::cosine(&a.focus_meaning, &self.passage_vecs[pid]),
                    own: own.contains(&pid),
                    has,
                    heading_meaning: embed::cosine(&a.meaning, &self.section_vecs[pid]),
                }
            })
            .collect()
    }
}
