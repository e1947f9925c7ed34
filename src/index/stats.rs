//! One question's term statistics, each read from the term dictionary once.

use std::cell::RefCell;
use std::collections::HashMap;

use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

/// Terms kept in the linear cache before the map.
const LINEAR: usize = 48;

/// One question's view of the index: the searcher, and the term statistics looked up so far. The
/// query builder, BM25 scoring and snippets ask for the same few terms' document frequencies; each
/// is read from the term dictionary once.
pub struct Stats<'s> {
    pub(super) searcher: &'s Searcher,
    /// A question has a few dozen distinct terms: a linear scan beats hashing them. Past
    /// [`LINEAR`] terms (building an engine looks up every alias and card term) the rest go in a map.
    doc_freq: RefCell<Vec<(Term, u64)>>,
    more: RefCell<HashMap<Term, u64>>,
    total_tokens: RefCell<Vec<(Field, u64)>>,
}

impl<'s> Stats<'s> {
    pub fn new(searcher: &'s Searcher) -> Self {
        Stats {
            searcher,
            doc_freq: RefCell::new(Vec::new()),
            more: RefCell::new(HashMap::new()),
            total_tokens: RefCell::new(Vec::new()),
        }
    }

    pub fn searcher(&self) -> &'s Searcher {
        self.searcher
    }

    pub(super) fn df(&self, term: &Term) -> u64 {
        self.doc_freq(term).unwrap_or(0)
    }
}

impl Bm25StatisticsProvider for Stats<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        if let Some((_, n)) = self.total_tokens.borrow().iter().find(|(f, _)| *f == field) {
            return Ok(*n);
        }
        let n = self.searcher.total_num_tokens(field)?;
        self.total_tokens.borrow_mut().push((field, n));
        Ok(n)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        self.searcher.total_num_docs()
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        if let Some((_, n)) = self.doc_freq.borrow().iter().find(|(t, _)| t == term) {
            return Ok(*n);
        }
        let full = self.doc_freq.borrow().len() >= LINEAR;
        if full && let Some(n) = self.more.borrow().get(term) {
            return Ok(*n);
        }
        let n = self.searcher.doc_freq(term)?;
        if full {
            self.more.borrow_mut().insert(term.clone(), n);
        } else {
            self.doc_freq.borrow_mut().push((term.clone(), n));
        }
        Ok(n)
    }
}
