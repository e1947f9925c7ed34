//! The proximity bonus: question words found near each other in a passage, scored as tantivy's
//! sloppy two-term phrase query would score them, from the passage's cached [`Tokens`].

use tantivy::fieldnorm::FieldNormReader;
use tantivy::query::Bm25StatisticsProvider;

use super::{SearchIndex, Stats, Tokens};

/// Adjacent question words found near each other in a passage (at most this many positions in
/// between) add a proximity bonus, so "use the API" prefers the passage that says "Use the API if".
const PAIR_SLOP: u32 = 3;
const PAIR_BOOST: f32 = 0.5;
const MAX_PAIRS: usize = 12;

impl SearchIndex {
    /// The proximity scorer for a question's analyzed `terms`: each pair of adjacent, different terms
    /// that both occur in the index.
    pub fn proximity(&self, stats: &Stats, terms: &[String]) -> Proximity {
        let num_docs = Bm25StatisticsProvider::total_num_docs(stats).unwrap_or(0).max(1);
        let total = Bm25StatisticsProvider::total_num_tokens(stats, self.fields.body).unwrap_or(0).max(1);
        let mut pairs: Vec<(u32, u32, f32)> = Vec::new();
        for w in terms.windows(2) {
            if pairs.len() >= MAX_PAIRS {
                break;
            }
            let (Some(a), Some(b)) = (self.term_id(&w[0]), self.term_id(&w[1])) else { continue };
            if a == b || pairs.iter().any(|&(x, y, _)| x == a && y == b) {
                continue;
            }
            let (da, db) = (self.doc_freq(stats, &w[0]), self.doc_freq(stats, &w[1]));
            pairs.push((a, b, idf(da, num_docs) + idf(db, num_docs)));
        }
        Proximity { pairs, avg_len: total as f32 / num_docs as f32 }
    }
}

/// A proximity bonus for passages where adjacent question terms occur near each other ("use the
/// API" prefers the passage that says "Use the API if"), computed over a few retrieved candidates'
/// [`Tokens`] rather than as phrase queries: a phrase scorer reads positions for every document
/// that has both terms, and costs more to set up than the rest of the query.
pub struct Proximity {
    /// (first term, second term, summed idf of the two), terms by number.
    pairs: Vec<(u32, u32, f32)>,
    avg_len: f32,
}

/// tantivy's BM25 constants.
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// How many times the phrase "a b" occurs with slop `slop`, counted as tantivy's phrase scorer
/// counts it (`intersection_count_with_slop`): `a`'s positions shifted to where `b` would stand,
/// matched greedily against `b`'s, each position used once.
fn slop_count(a: &[u32], b: &[u32], slop: u32) -> u32 {
    let (mut i, mut j, mut count) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (left, right) = (a[i] + 1, b[j]);
        if left.abs_diff(right) <= slop {
            // A later `a` position that still precedes this `b` is a closer match.
            while i + 1 < a.len() && a[i + 1] < right {
                i += 1;
            }
            count += 1;
            i += 1;
            j += 1;
        } else if left < right {
            i += 1;
        } else {
            j += 1;
        }
    }
    count
}

fn idf(doc_freq: u64, num_docs: u64) -> f32 {
    let (df, n) = (doc_freq as f32, num_docs as f32);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

impl Proximity {
    /// The bonus a passage earns: per pair, the score a two-term `PhraseQuery` with slop
    /// [`PAIR_SLOP`] and boost [`PAIR_BOOST`] would give it: BM25 (tantivy's constants, the length
    /// rounded as tantivy stores it) over the phrase count, with the summed idf of the two terms.
    pub fn bonus(&self, tokens: &Tokens) -> f32 {
        let length = FieldNormReader::id_to_fieldnorm(FieldNormReader::fieldnorm_to_id(tokens.len() as u32));
        let norm = K1 * (1.0 - B + B * length as f32 / self.avg_len);
        let mut total = 0.0;
        for (a, b, idf) in &self.pairs {
            let (Some(a), Some(b)) = (tokens.local(*a), tokens.local(*b)) else { continue };
            let tf = slop_count(tokens.positions_of(a), tokens.positions_of(b), PAIR_SLOP);
            if tf > 0 {
                let tf = tf as f32;
                total += PAIR_BOOST * idf * (K1 + 1.0) * tf / (tf + norm);
            }
        }
        total
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}
#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::test_support::index_of;
    use tantivy::query::EnableScoring;

    use super::super::*;
    use super::*;
    use crate::text;

    #[test]
    fn proximity_rewards_neighbouring_question_terms() {
        let (i, ps) = index_of(
            "# T\n\n## Near\n\nUse the API if you build software.\n\n## Swapped\n\nAPI use is metered in code.\n\n## Far\n\nUse it for chats; much later in a long sentence about many other things the API appears.\n",
        );
        let searcher = i.searcher();
        let s = Stats::new(&searcher);
        let mut a = i.analyzer();
        let p = i.proximity(&s, &text::terms(&mut a, "use the api"));
        assert!(!p.is_empty());
        let bonus = |heading: &str| {
            let passage = ps.iter().find(|p| p.heading.ends_with(heading)).unwrap();
            p.bonus(&i.tokens(&mut i.analyzer(), &passage.text))
        };
        assert!(bonus("Near") > 0.0);
        assert!(bonus("Swapped") > 0.0, "a swapped pair within the slop counts");
        assert_eq!(bonus("Far"), 0.0);
        assert!(i.proximity(&s, &text::terms(&mut a, "api")).is_empty(), "one term has no pairs");
    }

    #[test]
    fn proximity_scores_as_tantivys_sloppy_phrase_query() {
        let (i, ps) = index_of(
            "# T\n\n## A\n\nUse the API, then use it.\n\n## B\n\nuse use api api\n\n## C\n\nAPI use, api use, and the API again to use later on with more API words.\n\n## D\n\nA longer passage where use comes first and many words later the API shows up, then use API once. Filler words follow here so that the passage runs well past forty tokens, where tantivy stores lengths rounded: alpha beta gamma delta epsilon zeta eta theta iota kappa lambda omicron sigma tau upsilon phi chi psi omega one two three four five six seven.\n\n## E\n\nNothing relevant here at all.\n",
        );
        let searcher = i.searcher();
        let s = Stats::new(&searcher);
        let mut a = i.analyzer();
        let terms = text::terms(&mut a, "use the api");
        let p = i.proximity(&s, &terms);
        let mut phrase =
            tantivy::query::PhraseQuery::new(terms.iter().map(|t| Term::from_field_text(i.fields.body, t)).collect());
        phrase.set_slop(PAIR_SLOP);
        let query = BoostQuery::new(Box::new(phrase), PAIR_BOOST);
        let weight = query.weight(EnableScoring::enabled_from_statistics_provider(&s, &searcher)).unwrap();
        let mut theirs: HashMap<u64, f32> = HashMap::new();
        for reader in searcher.segment_readers() {
            let pids = reader.fast_fields().u64("pid").unwrap();
            weight
                .for_each(reader, &mut |doc, score| {
                    theirs.insert(pids.first(doc).unwrap(), score);
                })
                .unwrap();
        }
        assert!(theirs.len() >= 3, "{theirs:?}");
        for (pid, passage) in ps.iter().enumerate() {
            let ours = p.bonus(&i.tokens(&mut a, &passage.text));
            let want = theirs.get(&(pid as u64)).copied().unwrap_or(0.0);
            assert!((ours - want).abs() < 1e-5, "{}: ours {ours}, tantivy {want}", passage.heading);
        }
    }
}
