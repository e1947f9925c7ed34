//! Fitting the engine's decisions (`model.json`) to labelled questions: the signals of every
//! question and of its candidate passages are computed by the engine of the question's corpus,
//! each decision is a logistic regression over them, and the confidence threshold is chosen on
//! answers to questions held out of the fit (k folds), so it says how often a confident answer is
//! right on questions the model has not seen.

use super::model::{Fitted, Logistic, Model, NaiveBayes, Words, round_sig};
use super::pipeline::Decisions;
use super::signals;
use super::tuning::TUNING;
use super::{Engine, Stats};
use crate::eval::{self, Case};

const TYPES: [&str; 3] = ["availability", "informational", "list"];

/// The signals each decision reads.
pub const SCOPE_INPUTS: &[&str] = &[
    "other_vendor",
    "topic",
    "topic_covered",
    "alias_unknown_name",
    "card_unknown_name",
    "none_unknown_name",
    "alias_code_unknown",
    "alias_mostly_unknown",
    "alias_rest",
    "none_mostly_unknown",
    "none_asks_unknown",
    "card_coverage",
    "none_coverage",
    "none_no_informative",
    "by_alias",
    "by_card",
    "sure",
    "products",
    "rare_unknown",
    "common_unknown",
    "attr_cov_own",
    "attr_cov_best",
    "focus_cov",
    "sentence_cov",
    "sentence_all",
    "wh_uncovered",
    "meaning_best",
    "yes_no",
    "wh_open",
    "rules_decline",
    "rules_unsure",
    "plain_availability",
    "quantity_figure",
    "quantity_no_figure",
    "price_unpriced_plan",
    "words_not_covered",
];
pub const KIND_INPUTS: &[&str] = &[
    "plain_availability",
    "yes_no",
    "wh_open",
    "request",
    "how",
    "how_quantity",
    "what",
    "why",
    "which",
    "when",
    "have",
    "list",
    "choose",
    "price",
    "alias_focus",
    "alias_any",
    "alias_n",
    "by_alias",
    "by_card",
    "sure",
    "card",
    "products",
    "products_two",
    "attr_cov_own",
    "own_top",
    "attr_terms",
    "words_informational",
    "words_list",
];
pub const RANK_INPUTS: &[&str] = &[
    "score_rel",
    "score_log",
    "meaning",
    "heading_meaning",
    "focus_meaning",
    "meaning_gap",
    "section_lead",
    "doc_intro",
];

fn select(x: &[f64], names: &[&str], all: &[&str]) -> Vec<f64> {
    names.iter().map(|n| x[all.iter().position(|a| a == n).expect("a known signal")]).collect()
}

/// One labelled question's signals.
struct Example {
    set: usize,
    /// How much the example counts in the scope and type fits: each corpus's questions weigh as
    /// the square root of their number (normalized to a mean of 1).
    weight: f64,
    case: usize,
    x: Vec<f64>,
    /// The word model's tokens ([`signals::words`]).
    tokens: Vec<String>,
    /// Index into [`TYPES`]; `None` for a question the corpus does not cover.
    kind: Option<usize>,
    /// Candidate passages' signals, and whether each answers the question.
    passages: Vec<(Vec<f64>, bool)>,
}

/// A set to fit on: its name (for the record), the engine of its corpus and its questions.
pub struct TrainingSet<'a> {
    pub name: String,
    /// Which corpus it asks about (sets with the same corpus are one corpus in the fit).
    pub corpus: String,
    pub engine: &'a Engine,
    pub cases: Vec<Case>,
}

/// Fits every decision; deterministic for the same sets.
pub fn fit(sets: &[TrainingSet]) -> Model {
    let mut examples = Vec::new();
    for (si, set) in sets.iter().enumerate() {
        let e = set.engine;
        let analyzer = &mut e.index_analyzer.clone();
        let searcher = e.index.searcher();
        let stats = Stats::new(&searcher);
        for (ci, case) in set.cases.iter().enumerate() {
            let a = e.analyze(&case.q, &stats, analyzer);
            let x = signals::question(&a);
            let kind = TYPES.iter().position(|t| *t == case.question_type());
            let rows = signals::passages(&a, &e.corpus.passages, &x);
            let passages = a
                .candidates
                .iter()
                .zip(rows)
                .map(|(c, r)| (r, case.kind == "search" && case.wants_section(&e.corpus.passages[c.pid].section)))
                .collect();
            let tokens = signals::words(&a);
            examples.push(Example { set: si, weight: 1.0, case: ci, x, tokens, kind, passages });
        }
    }
    // Out-of-fold answers: each question answered by a model fitted without its fold.
    let folds = TUNING.folds.max(2);
    let mut held_out: Vec<(Vec<f64>, bool)> = Vec::new();
    let (mut scope_right, mut kind_right, mut kind_total) = (0usize, 0usize, 0usize);
    // The margins: chosen on out-of-fold answers (the one-standard-error rule, below).
    let margins: Vec<f64> = (0..=10).map(|i| f64::from(i) / 10.0).collect();
    // Right answers per margin and corpus, each corpus weighing as the square root of its number of
    // questions, as in the scope and type fits: the article with the most training questions does
    // not stand for every article an admin adds, nor do 24 questions about one article swing the
    // choice as much as 3,966 about another.
    let corpora: Vec<&str> = {
        let mut c: Vec<&str> = sets.iter().map(|s| s.corpus.as_str()).collect();
        c.sort_unstable();
        c.dedup();
        c
    };
    let corpus_of = |set: usize| corpora.iter().position(|c| *c == sets[set].corpus).unwrap_or(0);
    let mut per_corpus = vec![0usize; corpora.len()];
    examples.iter().for_each(|e| per_corpus[corpus_of(e.set)] += 1);
    // Each corpus's questions weigh as the square root of their number in the scope and type fits:
    // between every question counting the same (the shipped article's many sets then decide
    // for every article) and every corpus counting the same (24 questions about one article
    // would weigh as much as 3,966 about another).
    let raw: Vec<f64> = examples.iter().map(|e| 1.0 / (per_corpus[corpus_of(e.set)] as f64).sqrt()).collect();
    let mean = raw.iter().sum::<f64>() / raw.len().max(1) as f64;
    examples.iter_mut().zip(raw).for_each(|(e, w)| e.weight = w / mean);
    let fold_models: Vec<Model> = (0..folds)
        .map(|fold| fit_all(&examples.iter().filter(|e| e.set % folds != fold).collect::<Vec<_>>(), 0.0))
        .collect();
    // Right out-of-fold answers per corpus with the given margins (override, decline).
    let right_with = |margin: f64, decline: f64| -> Vec<usize> {
        let mut right = vec![0usize; corpora.len()];
        for (fold, model) in fold_models.iter().enumerate() {
            let decisions = Decisions::new(Model { override_margin: margin, decline_margin: decline, ..model.clone() })
                .expect("known signals");
            for ex in examples.iter().filter(|e| e.set % folds == fold) {
                let case = &sets[ex.set].cases[ex.case];
                right[corpus_of(ex.set)] +=
                    usize::from(eval::judge(case, &sets[ex.set].engine.answer_using(&case.q, &decisions)).is_ok());
            }
        }
        right
    };
    let corpus_weight: Vec<f64> = per_corpus.iter().map(|&n| (n as f64).sqrt()).collect();
    let weighted_right = |right: &[usize]| -> f64 {
        right
            .iter()
            .zip(&per_corpus)
            .zip(&corpus_weight)
            .map(|((r, n), w)| w * *r as f64 / (*n).max(1) as f64)
            .sum::<f64>()
            / corpus_weight.iter().sum::<f64>().max(f64::MIN_POSITIVE)
    };
    // The largest margin of the grid whose accuracy is within one standard error of the best (the
    // one-standard-error rule): between margins the out-of-fold answers cannot tell apart, the
    // hand-written rules' reading stands more often. The best margin itself flips between fits on
    // a handful of questions; at a decline margin of 0 the scope model alone declined questions
    // the articles answer ("what is Anthropic's data retention period for API data?").
    let choose = |right_at: &[Vec<usize>]| -> (f64, f64) {
        let best = right_at.iter().map(|r| weighted_right(r)).fold(0.0, f64::max);
        // The standard error of an accuracy over every question fitted on (the weighted mean's own
        // is somewhat larger: the rule as applied is the stricter).
        let standard_error = (best * (1.0 - best) / examples.len().max(1) as f64).sqrt();
        let chosen =
            (0..margins.len()).rev().find(|&i| weighted_right(&right_at[i]) >= best - standard_error).unwrap_or(0);
        (margins[chosen], weighted_right(&right_at[chosen]))
    };
    // One margin for every override first, then the decline margin beside it.
    let (margin, _) = choose(&margins.iter().map(|m| right_with(*m, *m)).collect::<Vec<_>>());
    let (decline, margins_right) = choose(&margins.iter().map(|d| right_with(margin, *d)).collect::<Vec<_>>());
    for (fold, model) in fold_models.into_iter().enumerate() {
        let decisions =
            Decisions::new(Model { override_margin: margin, decline_margin: decline, ..model }).expect("known signals");
        for ex in examples.iter().filter(|e| e.set % folds == fold) {
            let set = &sets[ex.set];
            let case = &set.cases[ex.case];
            let answer = set.engine.answer_using(&case.q, &decisions);
            let ok = eval::judge(case, &answer).is_ok();
            // An answer the scope rules give before any decision (another vendor, a listed topic)
            // has no decision to weigh: it stands for a certain decline, and the confidence model
            // learns how often such declines are right (the engine reads them the same way).
            let decision = answer.evidence.decision.clone().unwrap_or_else(crate::answer::Decision::rule_decline);
            let mut x = ex.x.clone();
            signals::fill_words(&decisions.model.words, &ex.tokens, &mut x);
            held_out.push((signals::confidence(&decision, &x), ok));
            let decided = answer.asked_as;
            scope_right += usize::from((decided == crate::answer::QuestionType::NotCovered) == ex.kind.is_none());
            if let Some(k) = ex.kind {
                kind_total += 1;
                kind_right += usize::from(decided.as_str() == TYPES[k]);
            }
        }
    }
    let n = examples.len().max(1) as f64;
    let answers_right = held_out.iter().filter(|h| h.1).count() as f64 / n;
    // Whether an answer is right, fitted on the out-of-fold answers; its threshold is chosen on
    // the same answers held out once more.
    let names = signals::confidence_names();
    let conf_fit = |rows: &[&(Vec<f64>, bool)]| {
        let (x, y): (Vec<Vec<f64>>, Vec<usize>) = rows.iter().map(|(x, ok)| (x.clone(), usize::from(*ok))).unzip();
        Logistic::fit(&names, &["wrong", "right"], &x, &y, TUNING.l2)
    };
    let mut scored: Vec<(f64, bool)> = Vec::new();
    for fold in 0..folds {
        let train: Vec<&(Vec<f64>, bool)> =
            held_out.iter().enumerate().filter(|(i, _)| i % folds != fold).map(|(_, r)| r).collect();
        let lr = conf_fit(&train);
        scored.extend(
            held_out
                .iter()
                .enumerate()
                .filter(|(i, _)| i % folds == fold)
                .map(|(_, (x, ok))| (lr.probability(x, "right"), *ok)),
        );
    }
    let threshold = confidence_threshold(&mut scored, TUNING.target_precision);
    let confident: Vec<bool> = scored.iter().filter(|s| s.0 >= threshold).map(|s| s.1).collect();
    let coverage = confident.len() as f64 / n;
    let precision = confident.iter().filter(|ok| **ok).count() as f64 / confident.len().max(1) as f64;
    let confidence = conf_fit(&held_out.iter().collect::<Vec<_>>()).rounded(6);
    let all: Vec<&Example> = examples.iter().collect();
    let mut model = fit_all(&all, threshold);
    model.confidence = confidence;
    model.override_margin = margin;
    model.decline_margin = decline;
    model.fitted = Fitted {
        sets: sets.iter().map(|s| format!("{}: {}", s.name, s.cases.len())).collect(),
        questions: examples.len(),
        l2: TUNING.l2,
        target_precision: TUNING.target_precision,
        cross_validated: vec![
            ("scope".into(), round_sig(scope_right as f64 / n, 4)),
            ("type".into(), round_sig(kind_right as f64 / kind_total.max(1) as f64, 4)),
            ("answers".into(), round_sig(answers_right, 4)),
            ("high_confidence_coverage".into(), round_sig(coverage, 4)),
            ("high_confidence_precision".into(), round_sig(precision, 4)),
            ("margins_right_weighted".into(), round_sig(margins_right, 4)),
        ],
    };
    model
}

/// The least probability at which the answers at or above it are right at least `target` of the
/// time (1.0, never confident, when no threshold gets there).
fn confidence_threshold(answers: &mut [(f64, bool)], target: f64) -> f64 {
    answers.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut best = 1.0;
    let (mut right, mut seen) = (0usize, 0usize);
    for (i, (p, ok)) in answers.iter().enumerate() {
        seen += 1;
        right += usize::from(*ok);
        // Only between distinct probabilities: a threshold takes every answer with that probability.
        let last_of_its_value = answers.get(i + 1).is_none_or(|next| next.0 < *p);
        if last_of_its_value && right as f64 >= target * seen as f64 {
            best = *p;
        }
    }
    round_sig(best, 6)
}

/// The word models fitted on `examples`.
fn fit_words(examples: &[&Example]) -> Words {
    let scope: Vec<(&[String], usize)> =
        examples.iter().map(|e| (e.tokens.as_slice(), usize::from(e.kind.is_none()))).collect();
    let kind: Vec<(&[String], usize)> =
        examples.iter().filter_map(|e| e.kind.map(|k| (e.tokens.as_slice(), k))).collect();
    Words { scope: NaiveBayes::fit(&["covered", "not_covered"], &scope), kind: NaiveBayes::fit(&TYPES, &kind) }
}

fn fit_all(examples: &[&Example], high_confidence: f64) -> Model {
    let l2 = TUNING.l2;
    let (si, ki, ri) = (SCOPE_INPUTS, KIND_INPUTS, RANK_INPUTS);
    // The word signals the other decisions are fitted with are each question's as a word model
    // fitted without it would give (stacking: in-sample they would be too good to weigh).
    let folds = TUNING.folds.max(2);
    let mut filled: Vec<Vec<f64>> = examples.iter().map(|e| e.x.clone()).collect();
    for fold in 0..folds {
        let rest: Vec<&Example> = examples.iter().filter(|e| e.set % folds != fold).copied().collect();
        let words = fit_words(&rest);
        for (i, e) in examples.iter().enumerate().filter(|(_, e)| e.set % folds == fold) {
            signals::fill_words(&words, &e.tokens, &mut filled[i]);
        }
    }
    let x: Vec<Vec<f64>> = filled.iter().map(|x| select(x, si, signals::QUESTION)).collect();
    let covered: Vec<usize> = examples.iter().map(|e| usize::from(e.kind.is_some())).collect();
    let w: Vec<f64> = examples.iter().map(|e| e.weight).collect();
    let scope = Logistic::fit_weighted(si, &["not_covered", "covered"], &x, &covered, &w, l2);
    let (kx, ky): (Vec<Vec<f64>>, Vec<usize>) =
        examples.iter().zip(&filled).filter_map(|(e, x)| e.kind.map(|k| (select(x, ki, signals::QUESTION), k))).unzip();
    let kw: Vec<f64> = examples.iter().filter(|e| e.kind.is_some()).map(|e| e.weight).collect();
    let kind = Logistic::fit_weighted(ki, &TYPES, &kx, &ky, &kw, l2);
    let (rx, ry): (Vec<Vec<f64>>, Vec<usize>) = examples
        .iter()
        .filter(|e| e.passages.iter().any(|p| p.1))
        .flat_map(|e| e.passages.iter().map(|(r, yes)| (select(r, ri, signals::PASSAGE), usize::from(*yes))))
        .unzip();
    let rank = Logistic::fit(ri, &["no", "yes"], &rx, &ry, l2);
    let names = signals::confidence_names();
    Model {
        scope: scope.rounded(6),
        kind: kind.rounded(6),
        rank: rank.rounded(6),
        words: fit_words(examples),
        // Fitted afterwards, on out-of-fold answers; until then it is never confident.
        confidence: Logistic::fit(&names, &["wrong", "right"], &[], &[], 1.0),
        override_margin: 0.0,
        decline_margin: 0.0,
        high_confidence,
        fitted: Fitted::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_is_the_least_probability_that_keeps_the_precision() {
        // Right at 0.9 and above, one wrong at 0.8, right again below.
        let mut answers = vec![(0.95, true), (0.9, true), (0.8, false), (0.7, true), (0.6, true), (0.5, false)];
        assert_eq!(confidence_threshold(&mut answers.clone(), 1.0), 0.9);
        // At 75%, 0.6 still keeps 4 of 5 right.
        assert_eq!(confidence_threshold(&mut answers, 0.75), 0.6);
        // Nothing gets there: never confident.
        assert_eq!(confidence_threshold(&mut [(0.9, false)], 0.5), 1.0);
    }
}
