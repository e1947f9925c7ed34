//! The words a question is read against. A question about one vendor's products is answered from
//! that vendor's articles only ([`Named::only`]); a word only another vendor's article uses is as
//! unknown to it as before that article came, and a word's rarity is counted over the articles the
//! question may be answered from. So adding a vendor's article leaves the questions about the other
//! vendors as they were.

use rustc_hash::{FxHashMap, FxHashSet};

use super::Engine;
use super::articles::Named;
use crate::index::Stats;

/// One article's passages: how many, in how many of them each index term is, and its headings'
/// index terms.
#[derive(Debug, Default, Clone)]
pub struct DocTerms {
    pub passages: usize,
    pub df: FxHashMap<String, usize>,
    pub headings: FxHashSet<String>,
}

/// BM25's idf of a term in `df` of `passages` passages (tantivy's).
pub fn idf(passages: f32, df: f32) -> f32 {
    (1.0 + (passages - df + 0.5) / (df + 0.5)).ln()
}

/// The index's statistics, or those of the articles a question may be answered from when it leaves
/// some out.
pub struct Known<'a> {
    engine: &'a Engine,
    stats: &'a Stats<'a>,
    /// The articles counted; `None`: every article (the index's own statistics).
    docs: Option<Vec<usize>>,
    passages: f32,
}

impl<'a> Known<'a> {
    pub fn new(engine: &'a Engine, stats: &'a Stats<'a>, named: &Named) -> Self {
        let all = engine.corpus.passages.len();
        let docs: Vec<usize> = (0..engine.doc_terms.len()).filter(|&d| named.weight(d) > 0.0).collect();
        if docs.len() == engine.doc_terms.len() || docs.is_empty() {
            return Known { engine, stats, docs: None, passages: all as f32 };
        }
        let passages = docs.iter().map(|&d| engine.doc_terms[d].passages).sum::<usize>();
        Known { engine, stats, docs: Some(docs), passages: passages.max(1) as f32 }
    }

    /// In how many passages the body has `term` (analyzed).
    pub fn df(&self, term: &str) -> u64 {
        match &self.docs {
            None => self.engine.index.doc_freq(self.stats, term),
            Some(docs) => {
                docs.iter().map(|&d| self.engine.doc_terms[d].df.get(term).copied().unwrap_or(0) as u64).sum()
            }
        }
    }

    /// Whether a body or a heading has `term` (analyzed).
    pub fn has(&self, term: &str) -> bool {
        match &self.docs {
            None => self.engine.index.has_term(self.stats, term),
            Some(docs) => docs.iter().any(|&d| {
                let t = &self.engine.doc_terms[d];
                t.df.contains_key(term) || t.headings.contains(term)
            }),
        }
    }

    /// The idf of a term in `df` passages.
    pub fn idf(&self, df: f32) -> f32 {
        idf(self.passages, df)
    }

    /// The idf of a term in one passage: the rarest a known word can be.
    pub fn max_idf(&self) -> f32 {
        self.idf(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_engine;
    use super::*;

    /// Each focus term of the question with its idf (`None`: unknown).
    fn focus(e: &Engine, q: &str) -> Vec<(String, Option<f32>)> {
        e.analyze_alone(q).focus.iter().map(|t| (t.term.clone(), t.idf)).collect()
    }

    #[test]
    fn a_question_about_one_vendor_reads_its_words_as_before_another_vendor_came() {
        let (one, two) = (test_engine("corpus"), test_engine("tests/fixtures/two-vendors"));
        // "run" is a word of the Claude article only.
        let q = "Can ChatGPT run Python code for data analysis?";
        let before = focus(&one, q);
        assert!(before.iter().any(|(t, idf)| t == "run" && idf.is_none()), "{before:?}");
        assert_eq!(focus(&two, q), before);
        // A question that names no vendor reads every article.
        let any = focus(&two, "can it run Python code?");
        assert!(any.iter().any(|(t, idf)| t == "run" && idf.is_some()), "{any:?}");
    }
}
