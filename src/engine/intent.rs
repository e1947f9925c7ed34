//! Which features a question is about: alias hits weighed against the feature cards, so that a
//! feature described in other words is found, and an alias found with words skipped in between
//! does not beat a better-supported reading of the whole question.

use super::understand::AliasHit;

/// At most this many verdicts in one answer.
pub const MAX_VERDICTS: usize = 3;
/// An alias hit with words skipped counts only when its card scores at least this share of the
/// best card's score.
const SKIPPED_SUPPORT: f32 = 0.8;
/// Another feature named in the same question gets a verdict of its own when its card scores at
/// least this share of the first one's.
const ALSO_NAMED: f32 = 0.3;
/// A feature found by its card alone needs at least this score ...
pub const CARD_MIN: f32 = 5.0;
/// ... and this many times the runner-up's, else the two are too close to pick one.
pub const CARD_MARGIN: f32 = 1.5;
/// A card-only reading is stood behind only with this score and this many times the runner-up's;
/// weaker ones are answered as "not sure", with the passages retrieval finds closest.
pub const CARD_SURE: f32 = 15.0;
pub const CARD_SURE_MARGIN: f32 = 3.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Intent {
    /// The features to give a verdict on, best first.
    pub features: Vec<usize>,
    /// Whether the reading is strong enough to stand behind.
    pub sure: bool,
    /// How the first feature was found.
    pub by: Found,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// No feature.
    Nothing,
    /// An alias, every word of it in order.
    Alias,
    /// An alias with words skipped, supported by its card.
    SkippedAlias,
    /// The card alone.
    Card,
}

impl Found {
    pub fn as_str(self) -> &'static str {
        match self {
            Found::Nothing => "none",
            Found::Alias => "alias",
            Found::SkippedAlias => "alias_with_gaps",
            Found::Card => "card",
        }
    }
}

/// The features in order of card score, best first, with their scores.
pub fn ranked(cards: &[f32]) -> Vec<(usize, f32)> {
    let mut r: Vec<(usize, f32)> = cards.iter().copied().enumerate().collect();
    r.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    r
}

/// The feature whose card scores best (the first of [`ranked`]), without sorting them all.
pub fn best(cards: &[f32]) -> Option<usize> {
    // Ties go to the earlier feature, as in `ranked`.
    cards.iter().enumerate().reduce(|a, b| if b.1 > a.1 { b } else { a }).map(|(f, _)| f)
}

/// A card reading needs at least this many of the question's words on the card: one shared word
/// ("mode" in "dark mode" and "voice mode") is a coincidence.
pub const CARD_MIN_TERMS: u32 = 2;

/// Decides from the question's alias hits (strongest first), every card's score, and how many
/// question words scored on each card.
///
/// Every feature an alias names without gaps is a candidate, and so is one named with gaps that its
/// card supports. With several, the one the whole question supports best (its card) comes first,
/// so a generic word ("draw") does not beat the question's reading ("run code to draw charts").
pub fn decide(hits: &[AliasHit], cards: &[f32], terms: &[u32]) -> Intent {
    let ranked = ranked(cards);
    let (top, best) = ranked.first().copied().unwrap_or((usize::MAX, 0.0));
    let second = ranked.get(1).map_or(0.0, |r| r.1);
    let card = |f: usize| cards.get(f).copied().unwrap_or(0.0);

    // A one-word alias is a common word as often as a name ("review", "app"): it loses to a reading
    // of the whole question that would be stood behind on its own and supports it several times
    // better.
    let outweighed = |h: &AliasHit| {
        h.positions.len() == 1 && h.feature != top && best >= CARD_SURE && best >= CARD_SURE_MARGIN * card(h.feature)
    };
    let mut candidates: Vec<&AliasHit> = hits
        .iter()
        .filter(|h| h.skipped == 0 || h.feature == top || card(h.feature) >= SKIPPED_SUPPORT * best)
        .filter(|h| !outweighed(h))
        .collect();
    if !candidates.is_empty() {
        // The whole question's support (the card), favouring the more specific alias: "system
        // prompt" over "talk" when the cards are close.
        let rank = |h: &AliasHit| card(h.feature) * (h.positions.len() as f32).sqrt();
        candidates.sort_by(|a, b| rank(b).total_cmp(&rank(a)).then(b.weight.cmp(&a.weight)));
        let first = candidates[0];
        let by = if first.skipped == 0 { Found::Alias } else { Found::SkippedAlias };
        // Others named too, and supported by the question, get a verdict each.
        let mut features = vec![first.feature];
        for h in &candidates[1..] {
            if features.len() < MAX_VERDICTS && h.skipped == 0 && card(h.feature) >= ALSO_NAMED * card(first.feature) {
                features.push(h.feature);
            }
        }
        // A one-word alias the whole question supports clearly less than another feature's card
        // (short of `outweighed`) is not stood behind either.
        let contested = first.positions.len() == 1 && best >= CARD_MIN && card(first.feature) * CARD_MARGIN < best;
        let sure = (first.skipped == 0 && !contested) || first.feature == top;
        return Intent { features, sure, by };
    }
    if best >= CARD_MIN && terms.get(top).is_some_and(|n| *n >= CARD_MIN_TERMS) {
        if best >= CARD_MARGIN * second {
            let sure = best >= CARD_SURE && best >= CARD_SURE_MARGIN * second;
            return Intent { features: vec![top], sure, by: Found::Card };
        }
        // Two readings close together: say so rather than pick one.
        let features = ranked.iter().take(2).map(|r| r.0).collect();
        return Intent { features, sure: false, by: Found::Card };
    }
    Intent { features: Vec::new(), sure: true, by: Found::Nothing }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(feature: usize, skipped: usize) -> AliasHit {
        AliasHit { feature, weight: 40 - skipped, skipped, positions: vec![0], typo_at: vec![] }
    }

    fn words(mut h: AliasHit, n: usize) -> AliasHit {
        h.positions = (0..n).collect();
        h
    }

    /// (alias hits, card scores, features, sure, found by)
    type Case = (Vec<AliasHit>, Vec<f32>, Vec<usize>, bool, Found);

    #[test]
    fn best_is_the_first_ranked_ties_to_the_earlier_feature() {
        for cards in [vec![], vec![0.0, 0.0], vec![1.0, 3.0, 3.0, 2.0], vec![5.0, 1.0, 5.0]] {
            assert_eq!(best(&cards), ranked(&cards).first().map(|r| r.0), "{cards:?}");
        }
        assert_eq!(best(&[1.0, 3.0, 3.0]), Some(1));
    }

    #[test]
    fn decisions() {
        let cases: Vec<Case> = vec![
            // A clean alias of several words stands, whatever the cards say ...
            (vec![words(hit(0, 0), 2)], vec![1.0, 20.0], vec![0], true, Found::Alias),
            // ... and so does a one-word alias, unless a reading of the whole question is sure on
            // its own and supports another feature at least three times better.
            (vec![hit(0, 0)], vec![14.0, 20.0, 1.0], vec![0], true, Found::Alias),
            (vec![hit(0, 0)], vec![1.0, 4.0, 1.0], vec![0], true, Found::Alias),
            // Between the two, it is named but not stood behind.
            (vec![hit(0, 0)], vec![7.0, 20.0, 1.0], vec![0], false, Found::Alias),
            (vec![hit(0, 0)], vec![1.0, 12.0, 1.0], vec![0], false, Found::Alias),
            (vec![hit(0, 0)], vec![6.0, 20.0, 1.0], vec![1], true, Found::Card),
            // Two features named: both, the better-supported first; a third the question hardly
            // supports gets none.
            (vec![hit(0, 0), hit(1, 0), hit(2, 0)], vec![3.0, 9.0, 1.0], vec![1, 0], true, Found::Alias),
            // A generic word's clean alias loses to the alias with gaps the whole question supports.
            (vec![hit(0, 0), hit(1, 2)], vec![2.0, 20.0], vec![1], true, Found::SkippedAlias),
            // An alias with gaps that the cards do not support loses to the whole question's reading.
            (vec![hit(0, 2)], vec![2.0, 20.0], vec![1], true, Found::Card),
            // ... and is taken when they do.
            (vec![hit(0, 2)], vec![20.0, 5.0], vec![0], true, Found::SkippedAlias),
            // Card only, a clear winner; a weak one is not stood behind.
            (vec![], vec![16.0, 3.0, 1.0], vec![0], true, Found::Card),
            (vec![], vec![16.0, 9.0, 1.0], vec![0], false, Found::Card),
            (vec![], vec![7.0, 3.0, 1.0], vec![0], false, Found::Card),
            // Two close readings: both, unsure.
            (vec![], vec![9.0, 8.0, 1.0], vec![0, 1], false, Found::Card),
            // Nothing strong enough.
            (vec![], vec![2.0, 1.0], vec![], true, Found::Nothing),
        ];
        // One shared word is not a reading, however strong.
        assert_eq!(decide(&[], &[20.0, 1.0], &[1, 1]).by, Found::Nothing);
        for (hits, cards, features, sure, by) in cases {
            let i = decide(&hits, &cards, &vec![2; cards.len()]);
            assert_eq!((i.features.clone(), i.sure, i.by), (features, sure, by), "{hits:?} {cards:?}");
        }
    }
}
