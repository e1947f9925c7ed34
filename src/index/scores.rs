//! Precomputed per-term scores: the index never changes under an open [`SearchIndex`], so a term's
//! BM25 score for every passage, computed once, stays exact and is added per question for free.

use rustc_hash::FxHashMap;
use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, Score, Searcher, SegmentReader, Term};

use super::{IndexError, SearchIndex, TITLE_BOOST, boosted};

/// Heading terms are precomputed (see [`title_scores`]) up to this many distinct ones; the shipped
/// article has about a hundred.
pub(super) const MAX_PRECOMPUTED_TITLE_TERMS: usize = 5_000;

impl SearchIndex {
    /// Every document's score for `terms` in bodies, each at `boost`. The index never changes under
    /// an open `SearchIndex`, so scores computed once stay exact.
    pub fn score_list(&self, terms: &[String], boost: f32) -> Result<ScoreList, IndexError> {
        score_list(&self.searcher(), self.fields.body, terms, boost)
    }

    /// Each distinct term's body scores at `boost` (see [`SearchIndex::score_list`]): a question
    /// adds these precomputed lists instead of a query clause per expansion term.
    pub fn term_scores<'a>(
        &self,
        terms: impl IntoIterator<Item = &'a str>,
        boost: f32,
    ) -> Result<FxHashMap<String, ScoreList>, IndexError> {
        term_scores(&self.searcher(), self.fields.body, terms, boost)
    }
}

/// Every document's score for `terms` in `field`, each at `boost`.
fn score_list(searcher: &Searcher, field: Field, terms: &[String], boost: f32) -> Result<ScoreList, IndexError> {
    let mut seen = std::collections::HashSet::new();
    let clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .iter()
        .filter(|t| seen.insert(t.as_str()))
        .map(|t| {
            let q: Box<dyn Query> =
                Box::new(TermQuery::new(Term::from_field_text(field, t), IndexRecordOption::WithFreqs));
            (Occur::Should, boosted(q, boost))
        })
        .collect();
    let weight = BooleanQuery::new(clauses).weight(EnableScoring::enabled_from_searcher(searcher))?;
    let mut segments = Vec::new();
    for reader in searcher.segment_readers() {
        let mut docs = Vec::new();
        weight.for_each(reader, &mut |doc, score| docs.push((doc, score)))?;
        docs.sort_by_key(|&(doc, _)| doc);
        segments.push((reader.segment_id(), docs));
    }
    Ok(ScoreList(Arc::new(segments)))
}

/// The distinct terms of `field` over all segments, sorted.
pub(super) fn field_terms(searcher: &Searcher, field: Field) -> Result<Vec<String>, IndexError> {
    let mut terms = Vec::new();
    for reader in searcher.segment_readers() {
        let inverted = reader.inverted_index(field)?;
        let mut stream = inverted.terms().stream().map_err(|e| IndexError(e.into()))?;
        while stream.advance() {
            if let Ok(t) = std::str::from_utf8(stream.key()) {
                terms.push(t.to_owned());
            }
        }
    }
    // Each segment's terms come sorted; several segments need merging.
    if searcher.segment_readers().len() > 1 {
        terms.sort_unstable();
        terms.dedup();
    }
    Ok(terms)
}

/// Each heading term's scores at [`TITLE_BOOST`]: headings are usually few and short, so every
/// question's heading matches come from these lists rather than from a term query per word. `None`
/// past [`MAX_PRECOMPUTED_TITLE_TERMS`] distinct terms, where computing them all would slow down
/// opening the index more than it speeds up answers.
pub(super) fn title_scores(
    searcher: &Searcher,
    field: Field,
) -> Result<Option<FxHashMap<String, ScoreList>>, IndexError> {
    let terms = field_terms(searcher, field)?;
    if terms.len() > MAX_PRECOMPUTED_TITLE_TERMS {
        return Ok(None);
    }
    term_scores(searcher, field, terms.iter().map(String::as_str), TITLE_BOOST).map(Some)
}

/// Each distinct term's scores in `field`, at `boost`. A term no document has gets no list (a
/// missing list adds nothing, as an empty one would): with a large feature table most alias terms
/// are not in the articles, and a scoring weight per term would be most of the start-up.
fn term_scores<'a>(
    searcher: &Searcher,
    field: Field,
    terms: impl IntoIterator<Item = &'a str>,
    boost: f32,
) -> Result<FxHashMap<String, ScoreList>, IndexError> {
    let mut out = FxHashMap::default();
    let mut absent = rustc_hash::FxHashSet::default();
    for t in terms {
        if out.contains_key(t) || absent.contains(t) {
            continue;
        }
        if searcher.doc_freq(&Term::from_field_text(field, t))? == 0 {
            absent.insert(t);
            continue;
        }
        let t = t.to_owned();
        let list = score_list(searcher, field, std::slice::from_ref(&t), boost)?;
        out.insert(t, list);
    }
    Ok(out)
}

/// Precomputed document scores (per segment, by document id), added to a question's term query by
/// [`SearchIndex::search`].
#[derive(Clone, Debug, Default)]
pub struct ScoreList(pub(super) Arc<Vec<SegmentScores>>);

/// A segment's documents with a score, by document id.
type SegmentScores = (SegmentId, Vec<(DocId, Score)>);

impl ScoreList {
    /// The lists added up, document by document.
    pub fn sum<'a>(lists: impl IntoIterator<Item = &'a ScoreList>) -> ScoreList {
        let lists: Vec<&ScoreList> = lists.into_iter().filter(|l| !l.is_empty()).collect();
        match lists.as_slice() {
            [] => return ScoreList::default(),
            [one] => return (*one).clone(),
            _ => {}
        }
        // Every list has the searcher's segments in the same order; each segment's documents are
        // merged by id (a k-way merge: the lists are sorted), adding up the scores of equal ids.
        let segments = lists[0]
            .0
            .iter()
            .enumerate()
            .map(|(s, (id, _))| {
                let parts: Vec<&[(DocId, Score)]> = lists
                    .iter()
                    .filter_map(|l| l.0.get(s).filter(|(i, _)| i == id).map(|(_, docs)| &docs[..]))
                    .collect();
                (*id, merge_sum(&parts))
            })
            .collect();
        ScoreList(Arc::new(segments))
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|(_, docs)| docs.is_empty())
    }

    /// The position of `reader`'s segment in the list.
    pub(super) fn segment(&self, reader: &SegmentReader) -> Option<usize> {
        self.0.iter().position(|(id, _)| *id == reader.segment_id())
    }
}

/// Sorted (document, score) lists merged into one, scores of the same document added up (in list
/// order, whichever way is taken).
fn merge_sum(parts: &[&[(DocId, Score)]]) -> Vec<(DocId, Score)> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let entries: usize = parts.iter().map(|p| p.len()).sum();
    let span = parts.iter().filter_map(|p| p.last()).map(|&(d, _)| d as usize + 1).max().unwrap_or(0);
    if span <= 8 * entries {
        // Dense: the documents are few, or the lists cover many of them.
        let mut sums: Vec<Option<Score>> = vec![None; span];
        for part in parts {
            for &(doc, score) in part.iter() {
                let sum = &mut sums[doc as usize];
                *sum = Some(sum.map_or(score, |s| s + score));
            }
        }
        return sums.into_iter().enumerate().filter_map(|(doc, s)| s.map(|s| (doc as DocId, s))).collect();
    }
    let mut out: Vec<(DocId, Score)> = Vec::with_capacity(parts.iter().map(|p| p.len()).max().unwrap_or(0));
    // (next document, list, position in the list), smallest document first.
    let mut heap: BinaryHeap<Reverse<(DocId, usize, usize)>> =
        parts.iter().enumerate().filter(|(_, p)| !p.is_empty()).map(|(i, p)| Reverse((p[0].0, i, 0))).collect();
    while let Some(Reverse((doc, list, at))) = heap.pop() {
        let score = parts[list][at].1;
        match out.last_mut() {
            Some(last) if last.0 == doc => last.1 += score,
            _ => out.push((doc, score)),
        }
        if let Some(&(next, _)) = parts[list].get(at + 1) {
            heap.push(Reverse((next, list, at + 1)));
        }
    }
    out
}
#[cfg(test)]
mod tests {
    use super::super::test_support::big;
    use super::*;

    #[test]
    fn dense_and_sparse_merges_agree() {
        // Few entries over a wide span take the heap; many over a narrow one the dense array.
        let sparse: Vec<Vec<(DocId, Score)>> = vec![vec![(3, 1.0), (900, 2.0)], vec![(3, 0.5), (5000, 1.0)], vec![]];
        let parts: Vec<&[(DocId, Score)]> = sparse.iter().map(|v| &v[..]).collect();
        assert_eq!(merge_sum(&parts), [(3, 1.5), (900, 2.0), (5000, 1.0)]);
        let dense: Vec<Vec<(DocId, Score)>> = vec![vec![(0, 1.0), (2, 1.0), (3, 0.25)], vec![(2, 2.0), (3, 0.5)]];
        let parts: Vec<&[(DocId, Score)]> = dense.iter().map(|v| &v[..]).collect();
        assert_eq!(merge_sum(&parts), [(0, 1.0), (2, 3.0), (3, 0.75)]);
        assert!(merge_sum(&[]).is_empty());
    }

    #[test]
    fn score_lists_add_up_by_document() {
        let i = big();
        let a = i.score_list(&["kappa".to_owned()], 1.0).unwrap();
        let b = i.score_list(&["lambda".to_owned()], 1.0).unwrap();
        let both = i.score_list(&["kappa".to_owned(), "lambda".to_owned()], 1.0).unwrap();
        let sum = ScoreList::sum([&a, &b]);
        assert_eq!(sum.0.len(), both.0.len());
        for ((_, x), (_, y)) in sum.0.iter().zip(both.0.iter()) {
            assert_eq!(x.len(), y.len());
            for (p, q) in x.iter().zip(y) {
                assert_eq!(p.0, q.0);
                assert!((p.1 - q.1).abs() < 1e-5);
            }
        }
        assert!(ScoreList::sum([]).is_empty());
    }
}
