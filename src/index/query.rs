//! A question's analyzed terms as a retrieval: `Should` term clauses on bodies, a typo-tolerant
//! lookup for a term the index does not know, and precomputed scores (headings, expansions).

use tantivy::Term;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;

use super::{ScoreList, SearchIndex, Stats, TITLE_BOOST, boosted};

/// A question term the index does not know, of at least this many letters, is looked up with one
/// edit (insertion, deletion, substitution or swap of neighbours), as tantivy's `FuzzyTermQuery`
/// with distance 1 and transpositions would, at a constant score; unlike it, at most
/// [`MAX_CORRECTIONS`] body terms that close count (the shortest, then alphabetically first).
const FUZZY_MIN_LEN: usize = 5;
const FUZZY_SCORE: f32 = 0.5;
/// At most this many typo-tolerant lookups per question, and this many index terms per lookup: a
/// long garbage question must not cost more than a short one by much.
const MAX_FUZZY_TERMS: usize = 8;
const MAX_CORRECTIONS: usize = 8;

/// A question's retrieval: see [`SearchIndex::query`].
pub struct Retrieval {
    pub(super) query: Option<BooleanQuery>,
    pub(super) prior: ScoreList,
}

impl SearchIndex {
    /// What to retrieve for a question: a query of `Should` term clauses, every question term in
    /// bodies (a typo-tolerant lookup for a term the index does not know), and precomputed scores
    /// ([`ScoreList`]) added to it: the terms' heading scores (×[`TITLE_BOOST`]) and the `extra` lists
    /// (feature aliases, synonyms). Proximity is scored after retrieval, by
    /// [`SearchIndex::proximity`].
    pub fn query(&self, stats: &Stats, terms: &[String], extra: &[&ScoreList]) -> Retrieval {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut lists: Vec<&ScoreList> = extra.to_vec();
        let mut fuzzy = 0;
        for (i, term) in terms.iter().enumerate() {
            if terms[..i].contains(term) {
                continue;
            }
            let body = Term::from_field_text(self.fields.body, term);
            // A clause only where the term occurs: each costs a weight and a scorer even when empty.
            let in_body = stats.df(&body) > 0;
            let in_title = self.in_title(stats, term);
            match &self.titles {
                Some(titles) => lists.extend(titles.get(term.as_str())),
                None if in_title => {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(self.fields.title, term),
                        IndexRecordOption::WithFreqs,
                    ));
                    clauses.push((Occur::Should, boosted(q, TITLE_BOOST)));
                }
                None => {}
            }
            if in_body {
                clauses.push((Occur::Should, Box::new(TermQuery::new(body, IndexRecordOption::WithFreqs))));
            } else if !in_title && term.chars().count() >= FUZZY_MIN_LEN && fuzzy < MAX_FUZZY_TERMS {
                fuzzy += 1;
                let near: Vec<(Occur, Box<dyn Query>)> = self
                    .near_terms(term)
                    .map(|t| {
                        let q: Box<dyn Query> = Box::new(TermQuery::new(
                            Term::from_field_text(self.fields.body, t),
                            IndexRecordOption::Basic,
                        ));
                        (Occur::Should, q)
                    })
                    .collect();
                if !near.is_empty() {
                    clauses.push((
                        Occur::Should,
                        Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(near)), FUZZY_SCORE)),
                    ));
                }
            }
        }
        Retrieval { query: (!clauses.is_empty()).then(|| BooleanQuery::new(clauses)), prior: ScoreList::sum(lists) }
    }

    /// Body terms one edit away from `term` (at most [`MAX_CORRECTIONS`]).
    fn near_terms<'a>(&'a self, term: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.vocabulary.near(term).take(MAX_CORRECTIONS)
    }
}

#[cfg(test)]
mod tests {
    use tantivy::DocId;
    use tantivy::query::EnableScoring;

    use super::super::test_support::{big, idx};
    use super::super::*;
    use super::*;
    use crate::text;

    #[test]
    fn query_finds_title_and_body_and_typos() {
        let (i, ps) = idx();
        let searcher = i.searcher();
        let s = Stats::new(&searcher);
        let mut a = i.analyzer();
        let r = i.query(&s, &text::terms(&mut a, "memmory remembers"), &[]);
        let hits = i.search(&s, &r, 3).unwrap();
        assert_eq!(ps[hits[0].pid].heading, "Features Only in ChatGPT › Memory");
    }

    #[test]
    fn empty_terms_give_no_query() {
        let (i, _) = idx();
        let searcher = i.searcher();
        let s = Stats::new(&searcher);
        let r = i.query(&s, &[], &[]);
        assert!(r.query.is_none() && r.prior.is_empty());
        assert!(i.search(&s, &r, 3).unwrap().is_empty());
    }

    #[test]
    fn typo_lookups_match_what_tantivys_fuzzy_query_matches() {
        let i = big();
        let searcher = i.searcher();
        let docs = |q: &dyn Query| {
            let w = q.weight(EnableScoring::enabled_from_searcher(&searcher)).unwrap();
            let mut out = Vec::new();
            for reader in searcher.segment_readers() {
                w.for_each(reader, &mut |doc, score| out.push((doc, score))).unwrap();
            }
            out
        };
        for typo in ["alpah", "kapppa", "lambd", "omikron", "thetaa", "zzzzzz", "iotaa"] {
            let s = Stats::new(&searcher);
            let r = i.query(&s, &[typo.to_owned()], &[]);
            let ours = r.query.as_ref().map(|q| docs(q)).unwrap_or_default();
            let fuzzy = tantivy::query::FuzzyTermQuery::new(Term::from_field_text(i.fields.body, typo), 1, true);
            let theirs = docs(&fuzzy);
            let ids = |v: &[(DocId, f32)]| v.iter().map(|d| d.0).collect::<Vec<_>>();
            assert_eq!(ids(&ours), ids(&theirs), "{typo}");
            assert!(ours.iter().all(|d| d.1 == FUZZY_SCORE), "{typo}");
        }
    }
}
