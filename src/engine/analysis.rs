//! A question read once: every step after it (signals, decisions, retrieval, citing, phrasing)
//! reads this one value instead of analyzing the text again.

use tantivy::tokenizer::TextAnalyzer;

use super::*;

use super::articles::Named;
use super::intent::{self, Found, Intent};
use super::known::Known;
use super::signals::{self, CUES, Cues};
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
    /// Whether the sentences that ask name a plan of a product ("Claude Enterprise", "the team plan
    /// of ChatGPT") that the product's price file does not price.
    pub unpriced_plan: bool,
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
    /// The idf of a word in one passage of the articles the question may be answered from.
    pub max_idf: f32,
    /// The passages to consider citing: the closest by words, the closest by meaning, the
    /// features' own, each with what it covers of the focus.
    pub candidates: Vec<Candidate>,
}

/// One informative word of a sentence that asks.
#[derive(Debug, Clone)]
pub struct FocusTerm {
    /// Analyzed index term.
    pub term: String,
    /// The question word it comes from (the first, when several give the same term).
    pub word: usize,
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
    /// Its text has a figure (a digit): it may answer "how many", "how long", "how much".
    pub figure: bool,
    /// Per sentence of its text, per focus term: the sentence (or the heading) has it.
    pub sentences: Vec<Vec<bool>>,
}

/// Whether `name` is among `covered` (names with the articles that cover each) and one of its
/// articles is one the question may be answered from.
fn answered_from(covered: &[(String, Vec<bool>)], name: &str, named: &Named) -> bool {
    covered
        .iter()
        .find(|(n, _)| n == name)
        .is_some_and(|(_, docs)| docs.iter().enumerate().any(|(d, c)| *c && named.weight(d) > 0.0))
}

/// Products named only in the backstory are context: when the sentences that ask (`asking`, read
/// alone, with their words' indexes in the question) name one product of several the question
/// names, it asks about that one ("In ChatGPT I use memory. Does the Anthropic API have it?"). A
/// word naming several vendors' products names each, so it narrows nothing.
fn asked_in_focus(u: &mut Understanding, asking: &(Vec<usize>, Understanding)) {
    let (at, named) = asking;
    if let ([one], None) = (named.products.as_slice(), &named.ambiguous)
        && let Some(k) = u.products.iter().position(|p| p == one)
    {
        u.products = vec![*one];
        u.product_at = vec![named.product_at[0].and_then(|i| at.get(i).copied()).or(u.product_at[k])];
        u.named = 1;
    }
}

impl Engine {
    /// Reads one question on its own: with a searcher and analyzer of its own (see [`Engine::analyze`]).
    pub(super) fn analyze_alone(&self, asked: &str) -> Analysis {
        let searcher = self.index.searcher();
        self.analyze(asked, &Stats::new(&searcher), &mut self.index_analyzer.clone())
    }

    /// Reads a question once.
    pub(super) fn analyze(&self, asked: &str, stats: &Stats, analyzer: &mut TextAnalyzer) -> Analysis {
        let q = self.question(asked, analyzer);
        let mut u = self.matcher.understand(&q.words, &|stem| self.index.has_term(stats, stem));
        // What the sentences that ask name on their own, read once if the question has backstory
        // and something needs it.
        let asking = std::cell::OnceCell::new();
        let read_asking = || asking.get_or_init(|| self.understand_asking(&q, stats));
        if u.products.len() >= 2 && q.has_backstory() {
            asked_in_focus(&mut u, read_asking());
        }
        // With several articles, those the question names come first: the others' cards count for
        // less, and their aliases name a feature only where the whole question reads best as it
        // ("automatic review" in a question about screening posts through the API is no code review).
        let named = self.articles.named(&q.words).only(self.vendor_articles(&u));
        // A topic an article the question may be answered from covers is no uncovered topic: the
        // most specific one that none of them covers counts. Likewise another vendor's product that
        // such an article talks about ("does it launch on Bedrock the same day?" beside an article
        // saying so).
        u.topic = u.topics.iter().find(|(t, _)| !answered_from(&self.topic_docs, t, &named)).cloned();
        u.other = u.others.iter().find(|(o, _)| !answered_from(&self.other_docs, o, &named)).cloned();
        let (mut cards, card_terms) = self.cards.score(&self.card_terms(&q, &u, &[], analyzer));
        let hits: Vec<AliasHit> = if named.prefers_features() {
            // A concept several articles have counts as much as the article the question names.
            let weight = |fi: usize| self.feature_docs[fi].iter().map(|&d| named.preference(d)).fold(0.0_f32, f32::max);
            for (fi, card) in cards.iter_mut().enumerate() {
                *card *= weight(fi);
            }
            let best = intent::best(&cards);
            u.hits.iter().filter(|h| Some(h.feature) == best || weight(h.feature) >= 1.0).cloned().collect()
        } else {
            u.hits.clone()
        };
        let intent = intent::decide(&hits, &cards, &card_terms);
        self.settle_by_feature(&mut u, &intent.features);
        let known = Known::new(self, stats, &named);
        let (mut unknown, (unknown_asked, code_asked)) = self.unknown_identifiers(&q);
        let names = self.unknown_names(&q, &u, &known);
        let unknown_names = names.len();
        for name in names {
            if !unknown.contains(&name) && unknown.len() < 3 {
                unknown.push(name);
            }
        }
        let asks_for_unknown = self.asks_for_unknown(&q, &u, &known);
        let unpriced_plan = self.unpriced_plan(&q, &u);
        // Whether the sentences that ask name one of the features themselves.
        let asks_about = !matches!(intent.by, Found::Alias | Found::SkippedAlias)
            || !q.has_backstory()
            || read_asking().1.hits.iter().any(|h| intent.features.contains(&h.feature));
        let rest = match intent.features.first().and_then(|f| hits.iter().find(|h| h.feature == *f)) {
            Some(hit) if intent.by == Found::Alias => {
                self.cards.score(&self.card_terms(&q, &u, &hit.positions, analyzer)).0[hit.feature]
            }
            _ => 0.0,
        };
        let closest = self.retrieve(&q, &named, None, stats, analyzer);
        let mut evidence = self.evidence(&q, &u, &intent, &cards, &closest, &known, analyzer);
        if intent.by == Found::Alias && evidence.mostly_unknown(u.named > 0) {
            evidence.rest = Some(rest);
        }
        let focus = self.focus_terms(&q, &u, &hits, &known, analyzer);
        let max_idf = known.max_idf();
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
            unpriced_plan,
            asks_about,
            rest,
            closest,
            evidence,
            focus,
            meaning,
            focus_meaning,
            max_idf,
            candidates: Vec::new(),
        };
        a.candidates = self.candidates(&a, analyzer);
        a
    }

    /// The informative terms of the sentences that ask: not filler, numbers or product names.
    pub(super) fn focus_terms(
        &self,
        q: &Question,
        u: &Understanding,
        hits: &[AliasHit],
        known: &Known,
        analyzer: &mut TextAnalyzer,
    ) -> Vec<FocusTerm> {
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
                if in_alias.contains(&i) && !known.has(&term) {
                    continue;
                }
                let forms: Vec<String> = std::iter::once(term.clone())
                    .chain(self.synonyms.get(&term).into_iter().flatten().cloned())
                    .collect();
                let df = forms.iter().map(|f| known.df(f)).max().unwrap_or(0);
                out.push(FocusTerm {
                    term,
                    word: i,
                    idf: (df > 0).then(|| known.idf(df as f32)),
                    english_rank: embed::english_rank(&w.text),
                    in_alias: in_alias.contains(&i),
                    forms,
                });
            }
        }
        out
    }

    /// With articles of several vendors, the articles of the one vendor whose products (or name)
    /// the question names, and of none; `None` (all of them) when it names none or several.
    fn vendor_articles(&self, u: &Understanding) -> Option<Vec<bool>> {
        let table = &self.corpus.table;
        let mut named: Vec<&str> = u
            .products
            .iter()
            .filter_map(|&p| table.products.get(p))
            .map(|p| p.vendor.as_str())
            .chain(u.vendors.iter().filter_map(|&v| table.vendors.get(v)).map(|v| v.id.as_str()))
            .collect();
        named.sort_unstable();
        named.dedup();
        let [vendor] = named[..] else { return None };
        let keep: Vec<bool> = self.doc_vendors.iter().map(|v| v.is_empty() || v.iter().any(|x| x == vendor)).collect();
        (keep.iter().any(|k| !k)).then_some(keep)
    }

    /// The passages that may answer: the closest by words, the closest by meaning, and the
    /// intent's features' own (an article left out gives none).
    pub(super) fn candidates(&self, a: &Analysis, analyzer: &mut TextAnalyzer) -> Vec<Candidate> {
        let mut pids: Vec<(usize, f32)> = a.closest.iter().map(|h| (h.pid, h.score)).collect();
        let mut by_meaning: Vec<(usize, f32)> = self
            .passage_vecs
            .iter()
            .enumerate()
            .filter(|(i, _)| a.named.weight(self.passage_doc[*i]) > 0.0)
            .map(|(i, v)| (i, embed::cosine(&a.meaning, v)))
            .collect();
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
        let own: Vec<usize> = a.intent.features.iter().flat_map(|&f| self.own_passages(f, &a.u)).collect();
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
                // Which focus terms each sentence has (the heading's count for every sentence);
                // the passage has what its heading or any sentence has.
                let forms: Vec<&[String]> = a.focus.iter().map(|t| t.forms.as_slice()).collect();
                let in_heading: Vec<bool> =
                    a.focus.iter().map(|t| t.forms.iter().any(|f| heading.contains(f))).collect();
                let mut sentences = self.index.sentences_have(tokens, &forms);
                for s in &mut sentences {
                    s.iter_mut().zip(&in_heading).for_each(|(h, in_heading)| *h |= *in_heading);
                }
                let has: Vec<bool> =
                    (0..a.focus.len()).map(|i| in_heading[i] || sentences.iter().any(|s| s[i])).collect();
                Candidate {
                    pid,
                    score,
                    meaning: embed::cosine(&a.meaning, &self.passage_vecs[pid]),
                    focus_meaning: embed::cosine(&a.focus_meaning, &self.passage_vecs[pid]),
                    own: own.contains(&pid),
                    has,
                    heading_meaning: embed::cosine(&a.meaning, &self.section_vecs[pid]),
                    figure: self.corpus.passages[pid].text.bytes().any(|b| b.is_ascii_digit()),
                    sentences,
                }
            })
            .collect()
    }
}

impl Engine {
    pub(super) fn question(&self, asked: &str, analyzer: &mut TextAnalyzer) -> Question {
        Question::new(asked, &self.corpus.lexicon, &mut self.word_analyzer.clone(), analyzer)
    }

    /// The matcher's reading of the sentences that ask alone, with each of their words' index in
    /// the question.
    fn understand_asking(&self, q: &Question, stats: &Stats) -> (Vec<usize>, Understanding) {
        let at: Vec<usize> = (0..q.words.len()).filter(|&i| q.focus[i]).collect();
        let asking: Vec<text::Word> = at.iter().map(|&i| q.words[i].clone()).collect();
        (at, self.matcher.understand(&asking, &|stem| self.index.has_term(stats, stem)))
    }

    /// The question's terms for the feature cards: its own words (backstory at less weight) and
    /// their synonyms, not the names of products or vendors.
    /// Words at `skip` are left out.
    pub(super) fn card_terms(
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
    pub(super) fn evidence(
        &self,
        q: &Question,
        u: &Understanding,
        intent: &Intent,
        cards: &[f32],
        hits: &[Hit],
        known: &Known,
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
        let idf = |df: f32| known.idf(df);
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
                let df = forms.iter().map(|f| known.df(f)).max().unwrap_or(0);
                let in_corpus = df > 0 || forms.iter().any(|f| known.has(f));
                // A letter or two the corpus never uses ("y/n", "tl;dr") is no topic, nor is a
                // word that only shapes the question ("give me the full list").
                if !in_corpus && (t.chars().count() <= 2 || signals::CUES.shapes_question(&w.text)) {
                    continue;
                }
                let in_best = closest.iter().any(|(b, heading)| {
                    forms.iter().any(|f| self.index.passage_has(b, f) || heading.iter().any(|h| h == f))
                });
                let term = scope::Term {
                    weight,
                    in_focus: q.focus[i],
                    idf: in_corpus.then(|| idf(df.max(1) as f32)),
                    in_best,
                };
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
            decision: None,
            signals: Vec::new(),
            words: Vec::new(),
        }
    }

    /// Whether the sentences that ask name a plan of a product (a word of its `plans` beside the
    /// product's name, "Claude Enterprise", or beside a word like "plan" or "tier", "the team
    /// plan") that the product's price file does not price: the articles give no figure for it.
    /// Only the products the question names count, when it names some ("the Claude Team plan" is
    /// Claude's, whatever ChatGPT's file lacks); "ChatGPT for my team" names no plan.
    pub(super) fn unpriced_plan(&self, q: &Question, u: &Understanding) -> bool {
        let table = self.features();
        let plan_cue = |j: usize| q.words.get(j).is_some_and(|w| Cues::is(&CUES.plan, &w.text));
        let of_interest = |p: usize| u.products.is_empty() || u.products.contains(&p);
        // A word of a product's name the question has (the matcher marks the words of each name).
        let name_at = |j: usize| u.matched.get(j).copied().unwrap_or(false);
        (0..q.words.len()).filter(|&i| q.focus[i]).any(|i| {
            let word = q.words[i].text.as_str();
            let beside = |at: &dyn Fn(usize) -> bool| (i > 0 && at(i - 1)) || at(i + 1);
            let (by_cue, by_name) = (beside(&plan_cue), !u.products.is_empty() && beside(&name_at));
            table.products.iter().enumerate().any(|(p, product)| {
                of_interest(p)
                    && product.plans.iter().any(|w| w == word)
                    && (by_cue || by_name)
                    && self.prices.for_product(&product.id).is_some_and(|sheet| !sheet.prices_plan(word))
            })
        })
    }

    /// Whether the question asks if a product has something ("does ChatGPT have a dark mode?",
    /// "does the API support X?") whose words include one the corpus never uses.
    pub(super) fn asks_for_unknown(&self, q: &Question, u: &Understanding, known: &Known) -> bool {
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
                && !known.has(&w.stem)
                && !text::is_index_stopword(&w.text)
        })
    }

    /// Names in the asking sentence that the corpus never uses: capitalised words (not opening a
    /// sentence) or acronyms that are not a product, feature or vendor name ("Sora", "Okta").
    pub(super) fn unknown_names(&self, q: &Question, u: &Understanding, known: &Known) -> Vec<String> {
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
            if !capitalised || opens_sentence || known.has(&w.stem) || self.identifiers.contains(&w.text) {
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
    pub(super) fn unknown_identifiers(&self, q: &Question) -> (Vec<String>, (usize, usize)) {
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
}

/// Whitespace-separated tokens that mix letters and digits ("gpt-4o", "o1", "3.5-turbo") or join
/// words with underscores, as code does ("top_p", "max_tokens"), lowercased and stripped of
/// surrounding punctuation, with their byte offsets. Plain numbers and prices are not identifiers.
pub(super) fn identifiers_in(text: &str) -> impl Iterator<Item = (usize, String)> + '_ {
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

#[cfg(test)]
mod tests {
    use super::super::test_engine;

    /// The two-vendor fixture prices ChatGPT's Free and Plus, and Claude's Free, Pro, Max and Team.
    #[test]
    fn a_plan_no_price_file_prices_is_noticed_beside_its_product_or_a_plan_word() {
        let e = test_engine("tests/fixtures/two-vendors");
        let unpriced = |q: &str| e.analyze_alone(q).unpriced_plan;
        for q in [
            "how much is Claude Enterprise?",
            "what does the enterprise plan of ChatGPT cost?",
            "How much does ChatGPT Team cost per seat?",
        ] {
            assert!(unpriced(q), "{q}");
        }
        for q in [
            "How much is the Claude Team plan?",
            "How much would ChatGPT cost for my team?",
            "how much is claude pro",
            "is ChatGPT Plus worth it?",
        ] {
            assert!(!unpriced(q), "{q}");
        }
    }
}
