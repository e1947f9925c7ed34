//! The tantivy side of retrieval: the schema, building an index of passages, opening it, and the
//! question-time machinery in the submodules. User text never reaches tantivy's query parser.
//!
//! # Layout
//! - [`query`] turns analyzed question terms into a [`Retrieval`] (term clauses, typo lookups and
//!   precomputed scores); [`search`] runs it with block-WAND plus the precomputed scores, exactly.
//! - [`scores`] holds precomputed per-term scores ([`ScoreList`]); [`stats`] memoizes one question's
//!   term statistics.
//! - [`tokens`] analyzes a passage once for [`snippet`] (highlighted fragments) and [`proximity`]
//!   (the bonus for question words near each other).

mod proximity;
mod query;
mod scores;
mod search;
mod serving_dir;
mod snippet;
mod stats;
mod tokens;
mod vocabulary;

use std::path::Path;

use rustc_hash::FxHashMap;
use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::query::{BoostQuery, Query};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, ReloadPolicy, Searcher, TantivyDocument, Term, doc};

use crate::corpus::Passage;
use crate::text::{self, ANALYZER};

pub use proximity::Proximity;
pub use query::Retrieval;
pub use scores::ScoreList;
use scores::{field_terms, title_scores};
pub use snippet::{Highlighter, truncate_words};
pub use stats::Stats;
pub use tokens::Tokens;
use vocabulary::Vocabulary;

/// A heading's hit weighs as much as one in running text. Chosen among 0.5, 1 and 2 by the fitted
/// decisions' out-of-fold answers (0.8716, 0.8709, 0.8695 on 4,190 training questions) and two
/// validation sets written blind (shipped 144, 144, 142 of 160; Claude 87, 87, 86 of 100), 1
/// keeping the most high-confidence answers (29%, against 28% at 2): at 2, an everyday word in a
/// heading ("use" in "Data Use and Training") outweighed the passage that answers.
pub const TITLE_BOOST: f32 = 1.0;
/// Memory budget per indexing thread (tantivy's minimum is 15 MB).
const WRITER_MEMORY_PER_THREAD: usize = 32_000_000;

#[derive(Debug, thiserror::Error)]
#[error("search index: {0}")]
pub struct IndexError(#[from] pub tantivy::TantivyError);

impl From<tantivy::directory::error::OpenDirectoryError> for IndexError {
    fn from(e: tantivy::directory::error::OpenDirectoryError) -> Self {
        IndexError(e.into())
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub title: Field,
    pub body: Field,
    pub pid: Field,
}

pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(ANALYZER).set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let title = b.add_text_field("title", text.clone());
    let body = b.add_text_field("body", text);
    let pid = b.add_u64_field("pid", INDEXED | STORED | FAST);
    (b.build(), Fields { title, body, pid })
}

fn register_analyzer(index: &Index) {
    index.tokenizers().register(ANALYZER, text::index_analyzer());
}

/// Builds an index of `passages` in `dir` (which must exist and be empty) and commits it.
pub fn build(dir: &Path, passages: &[Passage], threads: usize) -> Result<(), IndexError> {
    let (schema, _) = schema();
    fill(&Index::create_in_dir(dir, schema)?, passages, threads)?;
    Ok(())
}

/// Writes every passage (document id = position) into a new, empty index and commits.
fn fill(index: &Index, passages: &[Passage], threads: usize) -> Result<(), IndexError> {
    let (_, fields) = schema();
    register_analyzer(index);
    let threads = threads.max(1);
    let mut writer = index.writer_with_num_threads::<TantivyDocument>(threads, threads * WRITER_MEMORY_PER_THREAD)?;
    for (pid, p) in passages.iter().enumerate() {
        writer.add_document(doc!(
            fields.title => index_title(p),
            fields.body => p.text.as_str(),
            fields.pid => pid as u64,
        ))?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}

/// An open index with its reader. Cheap to share; a searcher is taken per question.
pub struct SearchIndex {
    reader: IndexReader,
    fields: Fields,
    index: Index,
    /// The `pid` column of each segment, opened once: opening a fast field by name per hit cost more
    /// than scoring it. The reader is never reloaded, so the segments do not change; a segment not
    /// found here (by id) is opened on the spot.
    pids: Vec<(SegmentId, Column<u64>)>,
    /// Every heading term's scores, see [`title_scores`].
    /// `None` when headings have too many distinct terms to precompute; heading matches are then
    /// term queries on the title field.
    titles: Option<FxHashMap<String, ScoreList>>,
    /// Body terms, for typo-tolerant lookups.
    vocabulary: Vocabulary,
    /// Body term -> its number (in sorted order), so passage tokens, snippet weights and proximity
    /// pairs compare numbers rather than strings.
    term_ids: FxHashMap<Box<str>, u32>,
}

/// A scored passage id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub pid: usize,
    pub score: f32,
}

impl SearchIndex {
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        let dir = serving_dir::ServingDir::open(dir).map_err(|e| IndexError(tantivy::TantivyError::from(e)))?;
        let index = Index::open(dir)?;
        Self::from_index(index)
    }

    /// An index held in memory, for tests and benchmarks.
    pub fn in_ram(passages: &[Passage]) -> Result<Self, IndexError> {
        let (schema, _) = schema();
        let index = Index::create_in_ram(schema);
        fill(&index, passages, 1)?;
        Self::from_index(index)
    }

    fn from_index(index: Index) -> Result<Self, IndexError> {
        let (expected, fields) = schema();
        if index.schema() != expected {
            return Err(IndexError(tantivy::TantivyError::SchemaError("schema differs from this version's".into())));
        }
        register_analyzer(&index);
        let reader: IndexReader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let searcher = reader.searcher();
        let pids = searcher
            .segment_readers()
            .iter()
            .map(|s| Ok((s.segment_id(), s.fast_fields().u64("pid")?)))
            .collect::<Result<_, tantivy::TantivyError>>()?;
        let titles = title_scores(&searcher, fields.title)?;
        let body_terms = field_terms(&searcher, fields.body)?;
        let vocabulary = Vocabulary::new(body_terms.iter().map(String::as_str));
        let term_ids: FxHashMap<Box<str>, u32> =
            body_terms.into_iter().enumerate().map(|(id, term)| (term.into_boxed_str(), id as u32)).collect();
        Ok(SearchIndex { reader, fields, index, pids, titles, vocabulary, term_ids })
    }

    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    pub fn fields(&self) -> Fields {
        self.fields
    }

    pub fn num_docs(&self) -> u64 {
        self.searcher().num_docs()
    }

    /// A fresh copy of the index analyzer (tantivy analyzers are stateful while streaming).
    pub fn analyzer(&self) -> TextAnalyzer {
        self.index.tokenizer_for_field(self.fields.body).unwrap_or_else(|_| text::index_analyzer())
    }

    /// Documents whose body contains the analyzed term.
    pub fn doc_freq(&self, stats: &Stats, term: &str) -> u64 {
        stats.df(&Term::from_field_text(self.fields.body, term))
    }

    /// The number of a body term (see `term_ids`).
    fn term_id(&self, term: &str) -> Option<u32> {
        self.term_ids.get(term).copied()
    }

    /// A passage body's tokens, for snippets and proximity: `text` must be a passage of this index.
    pub fn tokens(&self, analyzer: &mut TextAnalyzer, text: &str) -> Tokens {
        Tokens::of(analyzer, text, |t| self.term_id(t))
    }

    /// Whether the passage whose tokens these are has `term` (analyzed) in its body.
    pub fn passage_has(&self, tokens: &Tokens, term: &str) -> bool {
        self.term_id(term).is_some_and(|id| tokens.local(id).is_some())
    }

    /// Whether the passage whose tokens these are has `term` (analyzed) within the byte range
    /// `within` of its display text ([`Tokens::display`]).
    pub fn passage_has_within(&self, tokens: &Tokens, term: &str, within: std::ops::Range<usize>) -> bool {
        let Some(local) = self.term_id(term).and_then(|id| tokens.local(id)) else { return false };
        tokens
            .tokens
            .iter()
            .any(|t| t.term == local && t.range.start as usize >= within.start && t.range.end as usize <= within.end)
    }

    /// For each sentence of the passage ([`Tokens::sentences`]), which of `terms` (each given by
    /// its analyzed forms) it has: one pass over the passage's tokens.
    pub fn sentences_have(&self, tokens: &Tokens, terms: &[&[String]]) -> Vec<Vec<bool>> {
        let sentences = tokens.sentences();
        let locals: Vec<Vec<u32>> = terms
            .iter()
            .map(|forms| forms.iter().filter_map(|f| self.term_id(f).and_then(|id| tokens.local(id))).collect())
            .collect();
        let mut out = vec![vec![false; terms.len()]; sentences.len()];
        if locals.iter().all(Vec::is_empty) {
            return out;
        }
        // Tokens and sentences both run in text order.
        let mut s = 0;
        for t in &tokens.tokens {
            let start = t.range.start as usize;
            while s < sentences.len() && sentences[s].end <= start {
                s += 1;
            }
            if s == sentences.len() {
                break;
            }
            if start < sentences[s].start {
                continue;
            }
            for (i, l) in locals.iter().enumerate() {
                if l.contains(&t.term) {
                    out[s][i] = true;
                }
            }
        }
        out
    }

    /// Whether the index has `term` (analyzed) in a body or a heading.
    pub fn has_term(&self, stats: &Stats, term: &str) -> bool {
        self.in_title(stats, term) || self.doc_freq(stats, term) > 0
    }

    /// Whether some heading has `term` (analyzed).
    fn in_title(&self, stats: &Stats, term: &str) -> bool {
        match &self.titles {
            Some(titles) => titles.contains_key(term),
            None => stats.df(&Term::from_field_text(self.fields.title, term)) > 0,
        }
    }
}

/// The text indexed as a passage's title: its heading path, except for a document's intro.
fn index_title(p: &Passage) -> &str {
    if p.intro { "" } else { p.heading.as_str() }
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON { q } else { Box::new(BoostQuery::new(q, boost)) }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::corpus::split_document;

    /// An in-memory index of one Markdown document, with its passages.
    pub(crate) fn index_of(markdown: &str) -> (SearchIndex, Vec<Passage>) {
        let (_, ps) = split_document("d", markdown);
        (SearchIndex::in_ram(&ps).unwrap(), ps)
    }

    pub(crate) fn idx() -> (SearchIndex, Vec<Passage>) {
        index_of(
            "# T\n\n## Features Only in ChatGPT\n\nMemory — ChatGPT remembers facts about you.\n\nCanvas — Collaborative editing.\n\n## Pricing\n\nTokens cost money per million.\n",
        )
    }

    /// Many passages of a few frequent and some rare words: enough documents (several blocks of 128)
    /// for tantivy's block-WAND to skip some.
    pub(crate) fn big() -> SearchIndex {
        big_with(1500)
    }

    pub(crate) fn big_with(parts: usize) -> SearchIndex {
        let words = [
            "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "omicron",
        ];
        let mut seed = 7u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut text = String::from("# Big\n\n");
        for i in 0..parts {
            // Headings share "part" and, every seventh, a greek word.
            let extra = if i % 7 == 0 { words[i % words.len()] } else { "" };
            text.push_str(&format!("## Part {i} {extra}\n\n"));
            let n = 3 + next() % 30;
            for _ in 0..n {
                // Skewed: early words are common, late ones rare.
                let w = (next() % words.len() as u64).min(next() % words.len() as u64) as usize;
                text.push_str(words[w]);
                text.push(' ');
            }
            text.push_str("\n\n");
        }
        let (_, ps) = split_document("big", &text);
        SearchIndex::in_ram(&ps).unwrap()
    }
}
