//! Question -> answer: read the question once ([`Analysis`]), decide with the fitted model whether
//! the corpus covers it and what kind of question it is, then answer that kind: a verdict from the
//! feature table (availability), the passages that answer it (informational), or the table's rows
//! that fit (list).

use tantivy::tokenizer::TextAnalyzer;

use super::analysis::Analysis;
use super::intent::Found;
use super::listing;
use super::model::{Logistic, Model};
use super::signals;
use super::tuning::TUNING;
use super::*;
use crate::answer::{Decision, QuestionType};

/// A fitted model with each of its decisions' inputs looked up among the signals once.
#[derive(Debug, Clone)]
pub struct Decisions {
    pub model: Model,
    scope: Vec<usize>,
    kind: Vec<usize>,
    rank: Vec<usize>,
    confidence: Vec<usize>,
}

impl Decisions {
    /// Fails when the model reads a signal the engine does not compute.
    pub fn new(model: Model) -> Result<Self, String> {
        let find = |lr: &Logistic, names: &[&str]| -> Result<Vec<usize>, String> {
            lr.inputs
                .iter()
                .map(|i| names.iter().position(|n| n == i).ok_or_else(|| format!("unknown signal `{i}`")))
                .collect()
        };
        Ok(Decisions {
            scope: find(&model.scope, signals::QUESTION)?,
            kind: find(&model.kind, signals::QUESTION)?,
            rank: find(&model.rank, signals::PASSAGE)?,
            confidence: find(&model.confidence, &signals::confidence_names())?,
            model,
        })
    }

    pub fn shipped() -> Self {
        Decisions::new(Model::shipped()).expect("the compiled-in model reads known signals (tested)")
    }
}

fn pick(values: &[f64], at: &[usize]) -> Vec<f64> {
    at.iter().map(|&i| values[i]).collect()
}

impl Engine {
    /// Answers one question. Never fails: nothing found is an answer too.
    pub fn answer(&self, asked: &str) -> Answer {
        self.answer_using(asked, &self.decisions)
    }

    /// Answers with the given decisions (the engine's own, or a model being fitted).
    pub fn answer_using(&self, asked: &str, decisions: &Decisions) -> Answer {
        // One index analyzer for the whole answer: cloning one copies its stopword set.
        let analyzer = &mut self.index_analyzer.clone();
        let searcher = self.index.searcher();
        let stats = Stats::new(&searcher);
        let a = self.analyze(asked, &stats, analyzer);
        if a.q.words.is_empty() {
            return self.decline(&a.q, Declined::Empty, Evidence::default(), Confidence::High);
        }
        // Another vendor's product in the sentence that asks (or with nothing of ours named) is
        // what the question is about; one in the backstory is only mentioned.
        if let Some((vendor, at)) = &a.u.other
            && (a.q.focus[*at] || (a.u.products.is_empty() && a.u.hits.is_empty()))
        {
            return self.decline(&a.q, Declined::OtherVendor(vendor.clone()), a.evidence, Confidence::High);
        }
        // So is a topic the table lists as uncovered, unless the question names a feature more
        // specifically.
        if let Some((topic, at)) = &a.u.topic
            && at.iter().any(|p| a.q.focus[*p])
            && a.u.hits.iter().filter(|h| h.skipped == 0).all(|h| h.positions.len() < at.len())
        {
            return self.decline(&a.q, Declined::Topic(topic.clone()), a.evidence, Confidence::High);
        }
        let decision = self.decide(&a, decisions);
        let mut evidence = a.evidence.clone();
        evidence.decision = Some(decision.clone());
        if scope::explain() {
            evidence.signals = signals::QUESTION
                .iter()
                .zip(signals::question(&a, self.max_idf))
                .map(|(n, v)| ((*n).to_owned(), v))
                .collect();
        }
        let sure = if decision.right >= decisions.model.high_confidence {
            Confidence::High
        } else if decision.right >= TUNING.low_confidence {
            Confidence::Medium
        } else {
            Confidence::Low
        };
        if decision.kind == QuestionType::NotCovered {
            let why = if a.unknown.is_empty() { Declined::NotCovered } else { Declined::Unknown(a.unknown.clone()) };
            return self.decline(&a.q, why, evidence, sure);
        }
        match decision.kind {
            QuestionType::Availability if !a.intent.features.is_empty() => {
                self.availability(&a, sure, evidence, &stats, analyzer)
            }
            QuestionType::List => match listing::list(self, &a) {
                Some(list) => self.listed(&a, list, sure, evidence, &stats, analyzer),
                None => self.informational(&a, decisions, sure, evidence, &stats, analyzer),
            },
            _ => self.informational(&a, decisions, sure, evidence, &stats, analyzer),
        }
    }

    /// What the model makes of a question: covered or not, what kind, and how sure.
    fn decide(&self, a: &Analysis, d: &Decisions) -> Decision {
        let x = signals::question(a, self.max_idf);
        let covered = d.model.scope.probability(&pick(&x, &d.scope), "covered");
        let mut decision = self.decide_kind(a, &x, covered, d);
        decision.right =
            d.model.confidence.probability(&pick(&signals::confidence(&decision, &x), &d.confidence), "right");
        decision
    }

    /// The kind of question: what the hand-written rules read it as, unless the fitted model is
    /// surer of another reading by at least the model's fitted margin.
    fn decide_kind(&self, a: &Analysis, x: &[f64], covered: f64, d: &Decisions) -> Decision {
        let p = d.model.kind.predict(&pick(x, &d.kind));
        let class = |t: QuestionType| d.model.kind.classes.iter().position(|c| c == t.as_str());
        let probability = |t: QuestionType| match t {
            QuestionType::NotCovered => 1.0 - covered,
            t => covered * class(t).map_or(0.0, |i| p[i]),
        };
        let candidates =
            [QuestionType::NotCovered, QuestionType::Availability, QuestionType::Informational, QuestionType::List];
        let best = candidates
            .into_iter()
            .fold(QuestionType::NotCovered, |b, t| if probability(t) > probability(b) { t } else { b });
        let rules = signals::rules_reading(a);
        // The rules never read a list; a list is their informational reading made specific.
        let rules_p = match rules {
            QuestionType::Informational => {
                probability(QuestionType::Informational).max(probability(QuestionType::List))
            }
            t => probability(t),
        };
        let same = best == rules || (rules == QuestionType::Informational && best == QuestionType::List);
        let kind = if same || probability(best) - rules_p < d.model.override_margin {
            if same { best } else { rules }
        } else {
            best
        };
        Decision { kind, covered, probability: probability(kind), right: 0.0, rules }
    }

    /// A yes/no question about a feature: the verdict, its passage first.
    fn availability(
        &self,
        a: &Analysis,
        sure: Confidence,
        evidence: Evidence,
        stats: &Stats,
        analyzer: &mut TextAnalyzer,
    ) -> Answer {
        let intent = &a.intent;
        let own = intent.features.first().and_then(|&f| self.features[f].passage);
        // A feature named only in the backstory, when the sentences that ask name none of the
        // verdict's features and the passage closest to the whole question is not the feature's
        // ("... no chat window. Was this whole thing a mistake?"), is not what is asked: an unsure
        // reading, answered with the passages closest to the question.
        let backstory = matches!(intent.by, Found::Alias | Found::SkippedAlias)
            && !a.asks_about
            && a.closest.first().is_some_and(|h| Some(h.pid) != own);
        let reading_sure = intent.sure && !backstory;
        // An unsure reading from the cards, from a contested one-word alias or from the backstory
        // does not steer retrieval: the passages closest to the question itself are shown.
        let steer = if (intent.by != Found::SkippedAlias || backstory) && !reading_sure {
            None
        } else {
            intent.features.first().copied()
        };
        let hits = match steer {
            Some(_) if !backstory => self.retrieve(&a.q, &a.named, steer, stats, analyzer),
            _ => a.closest.clone(),
        };
        // A question that lists several features is about choosing among them: the closest
        // passages lead, and the features' own come after.
        let listing = a.u.hits.iter().filter(|h| h.skipped == 0).count() >= intent::MAX_VERDICTS;
        let cited = if steer.is_none() || listing {
            self.cite_closest(&intent.features, &hits)
        } else {
            self.cite(&intent.features, &hits)
        };
        if cited.is_empty() {
            return self.decline(&a.q, Declined::NotCovered, evidence, Confidence::Low);
        }
        // A model or product the corpus never names: what it says of the feature may not hold.
        let confidence = if reading_sure && a.unknown.is_empty() { sure } else { Confidence::Low };
        let mut answer = self.assemble(a, &intent.features, &cited, stats, confidence, evidence, analyzer);
        answer.asked_as = QuestionType::Availability;
        answer
    }

    /// A question the passages answer: the candidates ranked by the fitted passage model.
    fn informational(
        &self,
        a: &Analysis,
        d: &Decisions,
        sure: Confidence,
        evidence: Evidence,
        stats: &Stats,
        analyzer: &mut TextAnalyzer,
    ) -> Answer {
        let cited = self.ranked_candidates(a, d);
        if cited.is_empty() {
            return self.decline(&a.q, Declined::NotCovered, evidence, Confidence::Low);
        }
        let confidence = sure;
        let mut answer = self.assemble(a, &[], &cited, stats, confidence, evidence, analyzer);
        answer.asked_as = QuestionType::Informational;
        answer
    }

    /// The candidates in the order the passage model ranks them, the weakest left out.
    pub(super) fn ranked_candidates(&self, a: &Analysis, d: &Decisions) -> Vec<Hit> {
        let question = signals::question(a, self.max_idf);
        let rows = signals::passages(a, &self.corpus.passages, &question, self.max_idf);
        let mut scored: Vec<(usize, f64)> = a
            .candidates
            .iter()
            .zip(&rows)
            .map(|(c, x)| (c.pid, d.model.rank.probability(&pick(x, &d.rank), "yes")))
            .collect();
        scored.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        let top = scored.first().map_or(0.0, |s| s.1);
        scored
            .into_iter()
            .take(MAX_SOURCES)
            .filter(|(_, p)| *p >= top * f64::from(MIN_RELATIVE_SCORE))
            .map(|(pid, p)| Hit { pid, score: p as f32 })
            .collect()
    }

    /// A list question answered from the table: the features that fit, each with its passage.
    fn listed(
        &self,
        a: &Analysis,
        list: crate::answer::Listing,
        sure: Confidence,
        evidence: Evidence,
        stats: &Stats,
        analyzer: &mut TextAnalyzer,
    ) -> Answer {
        let cited: Vec<Hit> = listing::passages(self, &list).into_iter().map(|pid| Hit { pid, score: 1.0 }).collect();
        let confidence = sure;
        let mut answer = self.assemble(a, &[], &cited, stats, confidence, evidence, analyzer);
        answer.asked_as = QuestionType::List;
        answer.listing = Some(list);
        answer
    }
}
