//! Feature cards: each feature as a small document of its own words (name, aliases, example
//! questions, note, and the passage that supports it), scored against a question with BM25. They
//! recognise a feature described in other words than its aliases, and tell how well the whole
//! question supports a feature an alias names.
//!
//! Cards are few, so every term's score on every card is computed once when the engine is built;
//! a question then costs one lookup per distinct term.

use rustc_hash::FxHashMap as HashMap;

use crate::corpus::Feature;

/// BM25's constants, as tantivy uses them.
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// The fields of a card, with how much a match in each counts.
const FIELDS: [f32; 4] = [
    // Name and aliases: the feature's own words.
    2.0, // Example questions, in the words people use.
    1.5, // The note under the verdict.
    1.0, // The supporting passage: the article's words for it, the most diluted.
    0.5,
];

/// One article's number of cards and, per field, their average length and each term's document
/// frequency.
type ArticleStats<'a> = (f32, Vec<(f32, HashMap<&'a str, f32>)>);

/// Precomputed card scores.
#[derive(Debug, Default)]
pub struct Cards {
    /// Analyzed term -> (feature, score) for every card that has it.
    postings: HashMap<String, Vec<(u32, f32)>>,
    features: usize,
}

impl Cards {
    /// Cards for `features`; `own(i)` is the index terms of feature `i`'s name and aliases,
    /// `passage(i)` those of its own item passage, if it has one, and `terms` analyzes other text
    /// (examples, the note) into index terms.
    /// `spread(card, term)` is how common a term is across the passages of card `card`'s article,
    /// from 0 (in one) to 1 (in all): a word the whole article uses ("model", "use") says little
    /// about which of its features a question means, so its card scores count that much less.
    pub fn build<'a>(
        features: &[Feature],
        own: impl Fn(usize) -> Vec<String>,
        passage: impl Fn(usize) -> Option<&'a [String]>,
        article: impl Fn(usize) -> usize,
        spread: impl Fn(usize, &str) -> f32,
        terms: &mut dyn FnMut(&str) -> Vec<String>,
    ) -> Cards {
        // fields[f][card] = the card's terms in that field, sorted (equal terms adjacent: counted
        // without a map per card).
        let mut fields: Vec<Vec<Vec<String>>> = vec![Vec::with_capacity(features.len()); FIELDS.len()];
        for (i, f) in features.iter().enumerate() {
            fields[0].push(own(i));
            fields[1].push(f.examples.iter().flat_map(|e| terms(e)).collect());
            fields[2].push(terms(&f.note));
            fields[3].push(passage(i).map(<[String]>::to_vec).unwrap_or_default());
        }
        for field in &mut fields {
            for terms in field.iter_mut() {
                terms.sort_unstable();
            }
        }
        // BM25 statistics per article: a card competes with its own article's cards, so adding an
        // article leaves the others' scores as they were.
        let mut stats: Vec<ArticleStats> = Vec::new();
        for card in 0..features.len() {
            let a = article(card);
            if stats.len() <= a {
                stats.resize_with(a + 1, || (0.0, vec![(0.0, HashMap::default()); FIELDS.len()]));
            }
            let (n, per_field) = &mut stats[a];
            *n += 1.0;
            for (field, (len, df)) in fields.iter().zip(per_field.iter_mut()) {
                *len += field[card].len() as f32;
                for (t, _) in runs(&field[card]) {
                    *df.entry(t).or_default() += 1.0;
                }
            }
        }
        for (n, per_field) in &mut stats {
            for (len, _) in per_field.iter_mut() {
                *len /= n.max(1.0);
            }
        }
        // A smaller article's idfs run lower: its scores are put on the scale of the largest's
        // (the same words on one card of each score alike).
        let idf = |n: f32, df: f32| (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        let largest = stats.iter().map(|(n, _)| *n).fold(0.0, f32::max);
        // Card by card, so a term's postings for one card are adjacent: merging a field's score into
        // the card's entry looks at the last one only (a term on every card stays linear).
        let mut postings: HashMap<String, Vec<(u32, f32)>> = HashMap::default();
        for card in 0..features.len() {
            let (n, per_field) = &stats[article(card)];
            let n = *n;
            let scale = if n < largest { idf(largest, 1.0) / idf(n, 1.0) } else { 1.0 };
            for ((field, boost), (avg_len, df)) in fields.iter().zip(FIELDS).zip(per_field) {
                let terms = &field[card];
                let norm = K1 * (1.0 - B + B * terms.len() as f32 / avg_len.max(1.0));
                for (t, tf) in runs(terms) {
                    let score = scale * boost * idf(n, df[t]) * tf * (K1 + 1.0) / (tf + norm);
                    // The term is copied only for its first card.
                    if !postings.contains_key(t) {
                        postings.insert(t.to_owned(), Vec::new());
                    }
                    let list = postings.get_mut(t).expect("inserted above");
                    match list.last_mut() {
                        Some((c, s)) if *c == card as u32 => *s += score,
                        _ => list.push((card as u32, score)),
                    }
                }
            }
        }
        for (t, list) in &mut postings {
            for (card, s) in list.iter_mut() {
                *s *= 1.0 - spread(*card as usize, t).clamp(0.0, 1.0);
            }
        }
        Cards { postings, features: features.len() }
    }

    /// Each feature's score for the weighted, analyzed `terms` (each distinct term counted once, at
    /// its highest weight), and how many distinct terms scored on it.
    pub fn score(&self, terms: &[(String, f32)]) -> (Vec<f32>, Vec<u32>) {
        let mut scores = vec![0.0; self.features];
        let mut counts = vec![0u32; self.features];
        let mut done: Vec<&str> = Vec::with_capacity(terms.len());
        for (t, _) in terms {
            if done.contains(&t.as_str()) {
                continue;
            }
            done.push(t);
            let weight = terms.iter().filter(|(x, _)| x == t).map(|(_, w)| *w).fold(0.0, f32::max);
            for &(card, s) in self.postings.get(t).into_iter().flatten() {
                if s > 0.0 {
                    scores[card as usize] += weight * s;
                    counts[card as usize] += 1;
                }
            }
        }
        (scores, counts)
    }
}

/// The distinct terms of sorted `terms`, each with how many times it occurs.
fn runs(terms: &[String]) -> impl Iterator<Item = (&str, f32)> {
    terms.chunk_by(|a, b| a == b).map(|run| (run[0].as_str(), run.len() as f32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Headline;
    use crate::text;

    fn feature(id: &str, aliases: &[&str], examples: &[&str], note: &str) -> Feature {
        Feature {
            id: id.into(),
            name: id.into(),
            aliases: aliases.iter().map(|s| (*s).to_owned()).collect(),
            availability: vec![],
            note: note.into(),
            doc: "d".into(),
            section: "s".into(),
            heading: None,
            caveats: vec![],
            examples: examples.iter().map(|s| (*s).to_owned()).collect(),
            headline: Headline::default(),
            evidence: vec![],
        }
    }

    /// Three features of one article, each described in other words by its example.
    fn three_features() -> [Feature; 3] {
        [
            feature("logprobs", &["logprobs"], &["how confident is the model in each token"], "token probabilities"),
            feature("moderation", &["moderation"], &["can it flag hateful or abusive posts"], "content classification"),
            feature("batch", &["batch"], &["cheaper if I can wait a day for results"], "large volumes at half price"),
        ]
    }

    /// Each feature's name and aliases as index terms, as the engine gives them.
    fn own(features: &[Feature]) -> impl Fn(usize) -> Vec<String> + '_ {
        move |i| {
            let mut a = text::index_analyzer();
            let f = &features[i];
            std::iter::once(&f.name).chain(&f.aliases).flat_map(|t| text::terms(&mut a, t)).collect()
        }
    }

    fn analyzed() -> impl FnMut(&str) -> Vec<String> {
        let mut analyzer = text::index_analyzer();
        move |t| text::terms(&mut analyzer, t)
    }

    fn best(cards: &Cards, q: &str) -> (usize, f32, f32) {
        let terms: Vec<(String, f32)> =
            text::terms(&mut text::index_analyzer(), q).into_iter().map(|t| (t, 1.0)).collect();
        let (s, _) = cards.score(&terms);
        let mut order: Vec<usize> = (0..s.len()).collect();
        order.sort_by(|a, b| s[*b].total_cmp(&s[*a]));
        (order[0], s[order[0]], s[order[1]])
    }

    #[test]
    fn a_feature_described_in_other_words_wins_its_card() {
        let features = three_features();
        let cards = Cards::build(&features, own(&features), |_| None, |_| 0, |_, _| 0.0, &mut analyzed());
        for (q, want) in [
            ("I want to know how confident it was about every token", 0),
            ("automatically flag abusive comments", 1),
            ("I can wait a whole day if it is cheaper", 2),
        ] {
            let (top, score, second) = best(&cards, q);
            assert_eq!(top, want, "{q}");
            assert!(score > 2.0 * second, "{q}: a margin, {score} vs {second}");
        }
        assert!(cards.score(&[("zebra".into(), 1.0)]).0.iter().all(|s| *s == 0.0));
        // A word every passage of the corpus uses counts for nothing.
        let common = Cards::build(
            &features,
            own(&features),
            |_| None,
            |_| 0,
            |_, t| if t == "token" { 1.0 } else { 0.0 },
            &mut analyzed(),
        );
        assert_eq!(common.score(&[("token".into(), 1.0)]), (vec![0.0, 0.0, 0.0], vec![0, 0, 0]));
        assert_eq!(cards.score(&[("token".into(), 1.0)]).1, [1, 0, 0]);
    }

    #[test]
    fn an_added_article_leaves_the_others_cards_as_they_were() {
        let first = three_features();
        let alone = Cards::build(&first, own(&first), |_| None, |_| 0, |_, _| 0.0, &mut analyzed());
        // A second article whose cards share the first's words ("flag", "token", "posts").
        let mut both = first.to_vec();
        both.push(feature("review", &["code review"], &["can it flag problems in posts of a diff"], "review comments"));
        both.push(feature("tokens", &["token usage"], &["how many tokens does each session use"], "token costs"));
        let article = |card: usize| usize::from(card >= first.len());
        let together = Cards::build(&both, own(&both), |_| None, article, |_, _| 0.0, &mut analyzed());
        for q in ["automatically flag abusive posts", "how confident is it about each token", "wait a day"] {
            let terms: Vec<(String, f32)> =
                text::terms(&mut text::index_analyzer(), q).into_iter().map(|t| (t, 1.0)).collect();
            let (a, _) = alone.score(&terms);
            let (t, _) = together.score(&terms);
            assert_eq!(a[..], t[..first.len()], "{q}");
        }
        // The smaller article's cards are on the larger's scale: cards alike but for their words
        // score alike, three in one article or two in the other.
        let cards = [("kiwi", "alpha"), ("lime", "beta"), ("pear", "gamma"), ("plum", "delta"), ("fig", "omega")]
            .map(|(id, alias)| feature(id, &[alias], &[], ""));
        let scaled =
            Cards::build(&cards, own(&cards), |_| None, |card| usize::from(card >= 3), |_, _| 0.0, &mut analyzed());
        let (alpha, _) = scaled.score(&[("alpha".into(), 1.0)]);
        let (delta, _) = scaled.score(&[("delta".into(), 1.0)]);
        assert!(alpha[0] > 0.0 && (alpha[0] - delta[3]).abs() < 1e-4, "{} vs {}", alpha[0], delta[3]);
    }
}
