//! Runs a [`Retrieval`]: tantivy's pruned term query plus the precomputed scores, walked together,
//! giving the exact top of their sum.

use tantivy::query::{EnableScoring, Query};
use tantivy::{DocId, Score};

use super::{Hit, IndexError, Retrieval, SearchIndex, Stats};

impl SearchIndex {
    /// The best `limit` passages for `retrieval`, best first: the term query's BM25 score plus the
    /// precomputed scores. The term query runs with tantivy's pruning (block-WAND for term unions):
    /// a document is skipped only when even the largest precomputed score could not lift it into
    /// the top `limit`, and documents the term query does not match enter with their precomputed
    /// score alone, so the result is the exact top of the sum. Scoring reads term statistics from
    /// `stats`, so terms the query builder already looked up are not looked up again.
    pub fn search(&self, stats: &Stats, retrieval: &Retrieval, limit: usize) -> Result<Vec<Hit>, IndexError> {
        let searcher = stats.searcher;
        let weight = match &retrieval.query {
            Some(q) => Some(q.weight(EnableScoring::enabled_from_statistics_provider(stats, searcher))?),
            None => None,
        };
        let mut top = TopN::new(limit);
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let prior = retrieval.prior.segment(reader).map_or(&[][..], |s| &retrieval.prior.0[s].1[..]);
            let max_prior = prior.iter().map(|&(_, s)| s).fold(0.0, f32::max);
            let alive = reader.alive_bitset();
            let alive = |doc: DocId| !alive.is_some_and(|a| a.is_deleted(doc));
            // The term query reports documents in increasing order, so one cursor walks the
            // precomputed list alongside: entries it passes were not reported (no term matched, or
            // pruned: too low to enter even with the largest precomputed score) and enter alone.
            let mut cursor = 0;
            let mut last = None;
            // Rounding must not skip a document that ties the bar: lower it by one step.
            let bar = |top: &TopN| (top.threshold() - max_prior).next_down();
            if let Some(weight) = &weight {
                weight.for_each_pruning(bar(&top), reader, &mut |doc, score| {
                    debug_assert!(last.is_none_or(|l| l < doc), "documents must come in increasing order");
                    last = Some(doc);
                    while let Some(&(d, s)) = prior.get(cursor).filter(|(d, _)| *d < doc) {
                        if alive(d) {
                            top.push(s, ord as u32, d);
                        }
                        cursor += 1;
                    }
                    let mut total = score;
                    if let Some(&(_, s)) = prior.get(cursor).filter(|(d, _)| *d == doc) {
                        total += s;
                        cursor += 1;
                    }
                    if alive(doc) {
                        top.push(total, ord as u32, doc);
                    }
                    bar(&top)
                })?;
            }
            for &(doc, score) in &prior[cursor.min(prior.len())..] {
                if alive(doc) {
                    top.push(score, ord as u32, doc);
                }
            }
        }
        let mut hits = Vec::with_capacity(limit);
        for (score, ord, doc) in top.into_sorted() {
            let segment = searcher.segment_reader(ord);
            let opened;
            let column = match self.pids.get(ord as usize) {
                Some((id, column)) if *id == segment.segment_id() => column,
                _ => {
                    opened = segment.fast_fields().u64("pid")?;
                    &opened
                }
            };
            if let Some(pid) = column.first(doc) {
                hits.push(Hit { pid: pid as usize, score });
            }
        }
        Ok(hits)
    }
}

/// The best `limit` (score, segment, document) entries pushed so far.
struct TopN {
    limit: usize,
    /// Best first.
    entries: Vec<(Score, u32, DocId)>,
}

impl TopN {
    fn new(limit: usize) -> Self {
        TopN { limit, entries: Vec::with_capacity(limit + 1) }
    }

    fn push(&mut self, score: Score, segment: u32, doc: DocId) {
        if self.limit == 0 || (self.entries.len() == self.limit && score <= self.threshold()) {
            return;
        }
        // After every entry with a higher score (or the same score and an earlier address).
        let at = self.entries.partition_point(|&(s, g, d)| s > score || (s == score && (g, d) < (segment, doc)));
        self.entries.insert(at, (score, segment, doc));
        self.entries.truncate(self.limit);
    }

    /// The score a document must beat to enter, once full.
    fn threshold(&self) -> Score {
        if self.entries.len() < self.limit { Score::MIN } else { self.entries.last().map_or(Score::MIN, |e| e.0) }
    }

    fn into_sorted(self) -> Vec<(Score, u32, DocId)> {
        self.entries
    }
}
#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tantivy::DocId;

    use super::super::scores::MAX_PRECOMPUTED_TITLE_TERMS;
    use super::super::test_support::{big, big_with};
    use super::super::*;
    use super::*;

    /// Every document's score for the retrieval, without pruning: the reference for `search`.
    fn exhaustive(s: &Stats, r: &Retrieval, limit: usize) -> Vec<Hit> {
        let searcher = s.searcher();
        let weight =
            r.query.as_ref().map(|q| q.weight(EnableScoring::enabled_from_statistics_provider(s, searcher)).unwrap());
        let mut all: Vec<(f32, u64)> = Vec::new();
        for reader in searcher.segment_readers() {
            let mut scores: HashMap<DocId, f32> = HashMap::new();
            if let Some(w) = &weight {
                w.for_each(reader, &mut |doc, score| *scores.entry(doc).or_default() += score).unwrap();
            }
            if let Some(seg) = r.prior.segment(reader) {
                for &(doc, score) in &r.prior.0[seg].1 {
                    *scores.entry(doc).or_default() += score;
                }
            }
            let pids = reader.fast_fields().u64("pid").unwrap();
            all.extend(scores.into_iter().map(|(doc, score)| (score, pids.first(doc).unwrap())));
        }
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        all.truncate(limit);
        all.into_iter().map(|(score, pid)| Hit { pid: pid as usize, score }).collect()
    }

    #[test]
    fn pruned_search_with_precomputed_scores_is_the_exact_top() {
        // Heading scores precomputed, and (too many heading terms) as term queries.
        let small = big();
        assert!(small.titles.is_some());
        let large = big_with(MAX_PRECOMPUTED_TITLE_TERMS + 10);
        assert!(large.titles.is_none());
        for i in [small, large] {
            exact_top(&i);
        }
    }

    fn exact_top(i: &SearchIndex) {
        let searcher = i.searcher();
        let cases: &[(&[&str], &[&str])] = &[
            (&["part", "kappa"], &["lambda"]),
            (&["part"], &[]),
            (&["alpha", "kappa"], &["lambda", "omicron"]),
            (&["alpha"], &["omicron"]),
            (&["beta", "gamma", "iota"], &["alpha"]),
            (&[], &["kappa", "lambda"]),
            (&["omicron"], &[]),
            (&["alphx"], &["lambda"]),
        ];
        for (terms, prior) in cases {
            let s = Stats::new(&searcher);
            let terms: Vec<String> = terms.iter().map(|t| (*t).to_owned()).collect();
            let prior_terms: Vec<String> = prior.iter().map(|t| (*t).to_owned()).collect();
            let list = i.score_list(&prior_terms, 0.7).unwrap();
            let r = i.query(&s, &terms, &[&list]);
            for limit in [1, 5, 10] {
                let got = i.search(&s, &r, limit).unwrap();
                let want = exhaustive(&s, &r, limit);
                assert!(
                    !want.is_empty() || terms.is_empty() && prior.is_empty(),
                    "{terms:?} + {prior:?} finds nothing"
                );
                assert_eq!(got.len(), want.len(), "{terms:?} + {prior:?}, top {limit}");
                for (g, w) in got.iter().zip(&want) {
                    // Equal scores may come in either order; the scores themselves must match.
                    assert!(
                        (g.score - w.score).abs() < 1e-4,
                        "{terms:?} + {prior:?}, top {limit}: {got:?} vs {want:?}"
                    );
                }
            }
        }
    }
}
