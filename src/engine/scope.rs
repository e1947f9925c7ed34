//! Scope by evidence: a question is declined only on positive evidence that the corpus cannot
//! answer it. Words that say nothing about a topic (filler, greetings, backstory, slang) never
//! count against a question; its informative words do, weighed by how rare they are in the corpus
//! and by whether they sit in the sentence that asks.

use serde::Serialize;

/// Informative words outside the asking sentence count this much.
pub const BACKSTORY_WEIGHT: f32 = 0.5;
/// An informative word the corpus never uses counts as this share of the rarest word's weight:
/// it may be the topic the corpus lacks, or just a word of the asker's own.
pub const UNKNOWN_WEIGHT: f32 = 0.6;
/// Without a feature, a question whose best passage covers less than this share of its
/// informative weight is declined ...
pub const DECLINE_BELOW: f32 = 0.05;
/// ... and one below this share is answered as "not sure".
pub const UNSURE_BELOW: f32 = 0.3;

/// A candidate passage as the passage model ranks it: heading, probability that it answers, and
/// its signals by name.
pub type RankedPassage = (String, f64, Vec<(String, f64)>);

/// What retrieval found for a question's informative words; reported with every answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evidence {
    /// The share of the question's informative weight that the closest passages match.
    pub coverage: f32,
    /// Informative words of the question (distinct index terms).
    pub informative: usize,
    /// Of those, the ones the closest passages have.
    pub matched: usize,
    /// Of those, the ones the corpus never uses.
    pub unknown: usize,
    /// Informative words in the sentence that asks.
    pub in_focus: usize,
    /// Of those, the ones the corpus never uses.
    pub unknown_in_focus: usize,
    /// The best passage's retrieval score.
    pub top_score: f32,
    /// The best feature cards, best first: (feature id, score).
    pub cards: Vec<(String, f32)>,
    /// Features an alias names, strongest first: (feature id, words skipped inside the alias).
    pub aliases: Vec<(String, usize)>,
    /// How the feature was found: "alias", "alias_with_gaps", "card" or "none".
    pub feature_by: &'static str,
    /// For a feature an alias names: its card score from the rest of the question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rest: Option<f32>,
    /// With `PRODUCTBOT_EXPLAIN=1`: each informative term with its weight, idf (none: the corpus
    /// lacks it) and whether the best passage has it, for calibrating the thresholds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<(String, f32, Option<f32>, bool)>,
    /// With `PRODUCTBOT_EXPLAIN=1`, for a question the passages answer: each candidate passage in
    /// the passage model's order (heading, probability that it answers, its signals by name).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hits: Vec<RankedPassage>,
    /// What the fitted model decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<crate::answer::Decision>,
    /// With `PRODUCTBOT_EXPLAIN=1`: every signal the decisions read, by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<(String, f64)>,
    /// With `PRODUCTBOT_EXPLAIN=1`: the word model's tokens with what each says (not covered,
    /// informational, list: log-likelihood ratios; empty for a token it never saw).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<(String, Vec<f64>)>,
}

impl Evidence {
    /// Whether more than half the informative words of the sentence that asks are unknown to the
    /// corpus: at least two of them when a product is named, one otherwise ("fine-tune my piano").
    /// Backstory never counts ("my boss wants numbers by friday. can the api browse?").
    pub fn mostly_unknown(&self, named_product: bool) -> bool {
        self.unknown_in_focus >= if named_product { 2 } else { 1 } && self.unknown_in_focus * 2 > self.in_focus
    }
}

/// Whether answers carry their informative terms (`PRODUCTBOT_EXPLAIN=1`).
pub fn explain() -> bool {
    static ON: std::sync::LazyLock<bool> =
        std::sync::LazyLock::new(|| std::env::var_os("PRODUCTBOT_EXPLAIN").is_some_and(|v| v == "1"));
    *ON
}

/// How the engine stands on a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stance {
    Answer,
    Unsure,
    Decline,
}

/// One informative term: its weight in the question, its idf (or `None` when the corpus lacks it),
/// and whether one of the closest passages has it.
pub struct Term {
    pub weight: f32,
    pub in_focus: bool,
    pub idf: Option<f32>,
    pub in_best: bool,
}

/// Sums up the informative terms; `max_idf` is the idf of a term in one passage. Returns
/// (coverage, matched, unknown, informative).
pub fn evidence(terms: &[Term], max_idf: f32) -> (f32, usize, usize, usize) {
    let (mut total, mut matched_mass) = (0.0f32, 0.0f32);
    let (mut matched, mut unknown) = (0, 0);
    for t in terms {
        let mass = t.weight * t.idf.unwrap_or(UNKNOWN_WEIGHT * max_idf);
        total += mass;
        if t.idf.is_none() {
            unknown += 1;
        } else if t.in_best {
            matched_mass += mass;
            matched += 1;
        }
    }
    let coverage = if total > 0.0 { matched_mass / total } else { 0.0 };
    (coverage, matched, unknown, terms.len())
}

/// The stance on a question without a feature verdict.
pub fn stance(e: &Evidence, named_product: bool) -> Stance {
    // Only backstory words: the question itself is a product name ("how much is Plus?").
    if e.informative == 0 || e.in_focus == 0 {
        // Nothing but a product name ("tell me about the API"), or nothing at all.
        return if named_product { Stance::Unsure } else { Stance::Decline };
    }
    if e.coverage < DECLINE_BELOW {
        Stance::Decline
    } else if e.coverage < UNSURE_BELOW {
        Stance::Unsure
    } else {
        Stance::Answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(weight: f32, idf: Option<f32>, in_best: bool) -> Term {
        Term { weight, in_focus: weight >= 1.0, idf, in_best }
    }

    #[test]
    fn coverage_weighs_rarity_focus_and_unknown_words() {
        // Both informative words matched.
        assert_eq!(evidence(&[t(1.0, Some(2.0), true), t(1.0, Some(1.0), true)], 3.0), (1.0, 2, 0, 2));
        // A word the corpus lacks in the asking sentence pulls coverage down ...
        let (asked, ..) = evidence(&[t(1.0, Some(2.0), true), t(1.0, None, false)], 3.0);
        // ... less when it is backstory.
        let (backstory, ..) = evidence(&[t(1.0, Some(2.0), true), t(BACKSTORY_WEIGHT, None, false)], 3.0);
        assert!(asked < backstory && backstory < 1.0, "{asked} {backstory}");
    }

    #[test]
    fn stances() {
        let e =
            |coverage, informative| Evidence { coverage, informative, in_focus: informative, ..Evidence::default() };
        assert_eq!(stance(&e(0.9, 3), false), Stance::Answer);
        assert_eq!(stance(&e(0.2, 3), false), Stance::Unsure);
        assert_eq!(stance(&e(0.01, 3), false), Stance::Decline);
        assert_eq!(stance(&e(0.0, 0), true), Stance::Unsure);
        assert_eq!(stance(&e(0.0, 0), false), Stance::Decline);
        let backstory_only = Evidence { coverage: 0.0, informative: 2, in_focus: 0, ..Evidence::default() };
        assert_eq!(stance(&backstory_only, true), Stance::Unsure);
    }
}
