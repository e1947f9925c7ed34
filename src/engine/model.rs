//! The engine's fitted decisions: small logistic regressions over a question's named signals
//! ([`super::signals`]), with their weights in a data file (`model.json`, compiled in) that
//! `productbot fit` reproduces from labelled questions kept in the repository.
//!
//! A [`Logistic`] is a multinomial logistic regression over standardized inputs, fitted by Newton's
//! method with an L2 penalty on the weights: the objective is strictly convex, so the fit has one
//! optimum and refitting the same data gives the same weights (to rounding), whatever the order of
//! the iterations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The compiled-in decisions, fitted on `tests/data/train/` (see `productbot fit`).
pub const SHIPPED: &str = include_str!("model.json");

/// Every fitted decision of the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// What the question asks about the corpus: `covered` or `not_covered`.
    pub scope: Logistic,
    /// What kind of covered question it is: `availability`, `informational` or `list`.
    pub kind: Logistic,
    /// Whether a passage answers an informational question (`no`, `yes`), to rank candidates.
    pub rank: Logistic,
    /// Whether the answer given is right (`wrong`, `right`), from the decisions taken and the
    /// question's signals: fitted on answers to training questions held out of the other fits.
    pub confidence: Logistic,
    /// What the words of the question's asking sentences say of its scope and kind: naive Bayes
    /// over masked words ([`super::signals::words`]), read by `scope` and `kind` as the
    /// `words_*` signals.
    #[serde(default)]
    pub words: Words,
    /// How much more probable the model's reading must be than the rules' for it to be taken:
    /// chosen, among 0, 0.1, ... 1, by the accuracy of out-of-fold answers (1: the rules always).
    pub override_margin: f64,
    /// The same margin for a reading that declines where the rules answer, or answers where they
    /// decline: chosen the same way once `override_margin` is, since whether the articles cover a
    /// question is a different call from which kind of question it is.
    pub decline_margin: f64,
    /// The least probability of being right for an answer to be given with high confidence,
    /// chosen on held-out folds (see [`Fitted`]).
    pub high_confidence: f64,
    /// What the weights were fitted on, for the record.
    pub fitted: Fitted,
}

/// How a model was fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Fitted {
    /// Labelled questions per set, as `file (corpus): count`.
    pub sets: Vec<String>,
    pub questions: usize,
    /// The L2 penalty on standardized weights.
    pub l2: f64,
    /// The precision the confidence threshold was chosen for, on out-of-fold answers.
    pub target_precision: f64,
    /// Out-of-fold accuracy of each decision and of the answers, for the record.
    pub cross_validated: Vec<(String, f64)>,
}

impl Model {
    pub fn shipped() -> Model {
        serde_json::from_str(SHIPPED).expect("the compiled-in model.json parses (tested)")
    }
}

/// The word decisions: one naive Bayes model per question decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Words {
    /// `not_covered` against `covered`, over every labelled question.
    pub scope: NaiveBayes,
    /// `availability`, `informational` and `list`, over the covered ones.
    pub kind: NaiveBayes,
}

/// A Bernoulli-style naive Bayes model over a question's distinct word tokens: per token seen in
/// at least [`NaiveBayes::MIN_QUESTIONS`] training questions, its log-likelihood ratio for each
/// class after the first against the first (add-one smoothed). Tokens it has not seen say nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct NaiveBayes {
    pub classes: Vec<String>,
    pub tokens: BTreeMap<String, Vec<f64>>,
}

impl NaiveBayes {
    /// A token seen in fewer training questions than this is left out: one question's words are
    /// its topic, not a way of asking.
    pub const MIN_QUESTIONS: usize = 2;

    /// Fits on questions' distinct tokens, each labelled with an index into `classes`.
    pub fn fit(classes: &[&str], questions: &[(&[String], usize)]) -> NaiveBayes {
        let k = classes.len();
        let mut per_class = vec![0usize; k];
        let mut counts: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (tokens, label) in questions {
            per_class[*label] += 1;
            for t in tokens.iter() {
                counts.entry(t.as_str()).or_insert_with(|| vec![0; k])[*label] += 1;
            }
        }
        let log_p = |count: usize, class: usize| ((count as f64 + 1.0) / (per_class[class] as f64 + 2.0)).ln();
        let tokens = counts
            .into_iter()
            .filter(|(_, c)| c.iter().sum::<usize>() >= Self::MIN_QUESTIONS)
            .map(|(t, c)| (t.to_owned(), (1..k).map(|j| round_sig(log_p(c[j], j) - log_p(c[0], 0), 6)).collect()))
            .collect();
        NaiveBayes { classes: classes.iter().map(|c| (*c).to_owned()).collect(), tokens }
    }

    /// For each class after the first, the summed log-likelihood ratio of `tokens` against the
    /// first class (zeros for a model fitted on nothing).
    pub fn log_odds(&self, tokens: &[String]) -> Vec<f64> {
        let mut out = vec![0.0; self.classes.len().saturating_sub(1)];
        for w in tokens.iter().filter_map(|t| self.tokens.get(t)) {
            out.iter_mut().zip(w).for_each(|(o, v)| *o += v);
        }
        out
    }
}

/// A multinomial logistic regression: `classes[0]` is the reference class (all-zero weights).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    pub inputs: Vec<String>,
    pub classes: Vec<String>,
    /// Per input: the mean and spread it was standardized with.
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    /// Per class after the first: a weight per input, then the bias.
    pub weights: Vec<Vec<f64>>,
}

impl Logistic {
    /// Class probabilities for one input vector (in `inputs` order).
    pub fn predict(&self, x: &[f64]) -> Vec<f64> {
        let z = self.standardize(x);
        let mut logits = vec![0.0];
        logits.extend(self.weights.iter().map(|w| linear(w, &z)));
        softmax(&logits)
    }

    /// The probability of `class`.
    pub fn probability(&self, x: &[f64], class: &str) -> f64 {
        let p = self.predict(x);
        self.classes.iter().position(|c| c == class).map_or(0.0, |i| p[i])
    }

    fn standardize(&self, x: &[f64]) -> Vec<f64> {
        x.iter().zip(&self.mean).zip(&self.scale).map(|((v, m), s)| (v - m) / s).collect()
    }

    /// Fits a model of `classes` to labelled rows (`y[i]` indexes `classes`), with an L2 penalty
    /// `l2` on the standardized weights (not the biases).
    pub fn fit(inputs: &[&str], classes: &[&str], x: &[Vec<f64>], y: &[usize], l2: f64) -> Logistic {
        Self::fit_weighted(inputs, classes, x, y, &vec![1.0; x.len()], l2)
    }

    /// [`Logistic::fit`] with a weight per row (how much its loss counts).
    pub fn fit_weighted(
        inputs: &[&str],
        classes: &[&str],
        x: &[Vec<f64>],
        y: &[usize],
        row_weight: &[f64],
        l2: f64,
    ) -> Logistic {
        let d = inputs.len();
        let n = x.len().max(1) as f64;
        let mean: Vec<f64> = (0..d).map(|j| x.iter().map(|r| r[j]).sum::<f64>() / n).collect();
        let scale: Vec<f64> = (0..d)
            .map(|j| {
                let var = x.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n;
                if var > 1e-12 { var.sqrt() } else { 1.0 }
            })
            .collect();
        let z: Vec<Vec<f64>> =
            x.iter().map(|r| r.iter().zip(&mean).zip(&scale).map(|((v, m), s)| (v - m) / s).collect()).collect();
        let k = classes.len().saturating_sub(1);
        let p = d + 1;
        let mut theta = vec![0.0; k * p];
        let objective = |theta: &[f64]| -> f64 {
            let mut loss = 0.0;
            for ((row, &label), rw) in z.iter().zip(y).zip(row_weight) {
                let logits = class_logits(theta, row, k, p);
                let max = logits.iter().cloned().fold(f64::MIN, f64::max);
                let lse = max + logits.iter().map(|l| (l - max).exp()).sum::<f64>().ln();
                loss += rw * (lse - logits[label]);
            }
            let penalty: f64 = (0..k).flat_map(|c| (0..d).map(move |j| c * p + j)).map(|i| theta[i] * theta[i]).sum();
            loss + 0.5 * l2 * penalty
        };
        for _ in 0..100 {
            // Gradient and Hessian of the penalized negative log-likelihood.
            let mut grad = vec![0.0; k * p];
            let mut hess = vec![0.0; (k * p) * (k * p)];
            for ((row, &label), &rw) in z.iter().zip(y).zip(row_weight) {
                let probs = softmax(&class_logits(&theta, row, k, p));
                let feat = |j: usize| if j < d { row[j] } else { 1.0 };
                for a in 0..k {
                    let err = rw * (probs[a + 1] - f64::from(u8::from(label == a + 1)));
                    for j in 0..p {
                        grad[a * p + j] += err * feat(j);
                    }
                    for b in 0..k {
                        let w = rw * probs[a + 1] * (f64::from(u8::from(a == b)) - probs[b + 1]);
                        for j in 0..p {
                            let fj = feat(j) * w;
                            for l in 0..p {
                                hess[(a * p + j) * (k * p) + b * p + l] += fj * feat(l);
                            }
                        }
                    }
                }
            }
            for a in 0..k {
                for j in 0..p {
                    let i = a * p + j;
                    let ridge = if j < d { l2 } else { 1e-9 };
                    grad[i] += if j < d { l2 * theta[i] } else { 0.0 };
                    hess[i * (k * p) + i] += ridge;
                }
            }
            let Some(step) = solve_cholesky(&hess, &grad, k * p) else { break };
            // Backtracking: the full Newton step, halved until the objective goes down.
            let before = objective(&theta);
            let mut t = 1.0;
            let mut moved = false;
            for _ in 0..30 {
                let next: Vec<f64> = theta.iter().zip(&step).map(|(a, s)| a - t * s).collect();
                if objective(&next) <= before {
                    theta = next;
                    moved = true;
                    break;
                }
                t /= 2.0;
            }
            let size: f64 = step.iter().map(|s| s * s).sum::<f64>().sqrt() * t;
            if !moved || size < 1e-10 {
                break;
            }
        }
        Logistic {
            inputs: inputs.iter().map(|s| (*s).to_owned()).collect(),
            classes: classes.iter().map(|s| (*s).to_owned()).collect(),
            mean,
            scale,
            weights: (0..k).map(|c| theta[c * p..(c + 1) * p].to_vec()).collect(),
        }
    }

    /// The same model with every number rounded to `digits` significant digits (what is written
    /// to `model.json`, so a refit compares equal across machines).
    pub fn rounded(mut self, digits: i32) -> Logistic {
        let r = |v: &mut f64| *v = round_sig(*v, digits);
        self.mean.iter_mut().for_each(r);
        self.scale.iter_mut().for_each(r);
        self.weights.iter_mut().flatten().for_each(r);
        self
    }
}

/// `v` to `digits` significant digits.
pub fn round_sig(v: f64, digits: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return 0.0;
    }
    let magnitude = v.abs().log10().floor() as i32;
    let factor = 10f64.powi(digits - 1 - magnitude);
    (v * factor).round() / factor
}

fn linear(w: &[f64], z: &[f64]) -> f64 {
    w.iter().zip(z).map(|(a, b)| a * b).sum::<f64>() + w.last().copied().unwrap_or(0.0)
}

fn class_logits(theta: &[f64], row: &[f64], k: usize, p: usize) -> Vec<f64> {
    let mut logits = vec![0.0];
    logits.extend((0..k).map(|c| linear(&theta[c * p..(c + 1) * p], row)));
    logits
}

fn softmax(logits: &[f64]) -> Vec<f64> {
    let max = logits.iter().cloned().fold(f64::MIN, f64::max);
    let exp: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f64 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}

/// Solves `a x = b` for a symmetric positive definite `a` (n x n, row-major).
fn solve_cholesky(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let v = a[i * n + i] - s;
                if v <= 0.0 {
                    return None;
                }
                l[i * n + i] = v.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - s) / l[j * n + j];
            }
        }
    }
    let mut y = vec![0.0; n];
    for i in 0..n {
        let s: f64 = (0..i).map(|k| l[i * n + k] * y[k]).sum();
        y[i] = (b[i] - s) / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k * n + i] * x[k]).sum();
        x[i] = (y[i] - s) / l[i * n + i];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_a_separable_rule_and_predicts_it() {
        // Class 1 when the first input is high, class 2 when the second is; the third is noise.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..60 {
            let (a, b) = ((i % 3 == 1) as u8 as f64, (i % 3 == 2) as u8 as f64);
            x.push(vec![a + 0.1 * (i % 5) as f64, b, (i % 7) as f64]);
            y.push(i % 3);
        }
        let m = Logistic::fit(&["a", "b", "noise"], &["none", "a", "b"], &x, &y, 0.1);
        for (row, label) in x.iter().zip(&y) {
            let p = m.predict(row);
            let best = (0..3).max_by(|&i, &j| p[i].total_cmp(&p[j])).unwrap();
            assert_eq!(best, *label, "{row:?} {p:?}");
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
        // The noise input gets (almost) no weight beside the real ones.
        assert!(m.weights.iter().all(|w| w[2].abs() < 0.5 * w[0].abs().max(w[1].abs())), "{:?}", m.weights);
    }

    #[test]
    fn a_refit_gives_the_same_weights_and_the_penalty_shrinks_them() {
        let x: Vec<Vec<f64>> = (0..40).map(|i| vec![(i as f64).sin(), (i as f64 * 0.3).cos()]).collect();
        let y: Vec<usize> = x.iter().map(|r| usize::from(r[0] + 0.5 * r[1] > 0.1)).collect();
        let a = Logistic::fit(&["s", "c"], &["no", "yes"], &x, &y, 1.0);
        let b = Logistic::fit(&["s", "c"], &["no", "yes"], &x, &y, 1.0);
        assert_eq!(a, b);
        let strong = Logistic::fit(&["s", "c"], &["no", "yes"], &x, &y, 100.0);
        assert!(strong.weights[0][0].abs() < a.weights[0][0].abs());
        assert_eq!(round_sig(0.000123456, 3), 0.000123);
        assert_eq!(round_sig(-98765.0, 2), -99000.0);
    }

    #[test]
    fn naive_bayes_weighs_the_words_that_tell_classes_apart_and_skips_rare_ones() {
        let q = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        let rows = [
            (q("does @product have @feature"), 0),
            (q("can @product do @feature"), 0),
            (q("does @product support @feature"), 0),
            (q("how do i cancel @product"), 1),
            (q("how do i export chats"), 1),
            (q("how do i reset my password"), 1),
        ];
        let data: Vec<(&[String], usize)> = rows.iter().map(|(t, c)| (t.as_slice(), *c)).collect();
        let nb = NaiveBayes::fit(&["covered", "not_covered"], &data);
        // "how" is in every out-of-scope question and none of the others: for not_covered.
        assert!(nb.tokens["how"][0] > 1.0, "{:?}", nb.tokens);
        assert!(nb.tokens["@feature"][0] < -1.0);
        // Seen once: left out.
        assert!(!nb.tokens.contains_key("password"));
        assert!(nb.log_odds(&q("how do i share @product"))[0] > 0.0);
        assert!(nb.log_odds(&q("does @product offer @feature"))[0] < 0.0);
        assert_eq!(nb.log_odds(&q("unseen words only")), vec![0.0]);
        assert_eq!(NaiveBayes::default().log_odds(&q("how")), Vec::<f64>::new());
    }

    #[test]
    fn the_shipped_model_parses_and_predicts_probabilities() {
        let m = Model::shipped();
        for lr in [&m.scope, &m.kind, &m.rank, &m.confidence] {
            assert_eq!(lr.mean.len(), lr.inputs.len());
            assert_eq!(lr.weights.len() + 1, lr.classes.len());
            let p = lr.predict(&lr.mean);
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
    }
}
