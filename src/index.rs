//! The tantivy side: schema, building an index of passages in a directory, opening it, and turning
//! analyzed question terms into a query. User text never reaches tantivy's query parser.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use std::sync::Arc;
use tantivy::columnar::Column;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::SegmentId;
use tantivy::query::{
    Bm25StatisticsProvider, BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur, Query, TermQuery,
};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::{DocId, Index, IndexReader, ReloadPolicy, Score, Searcher, SegmentReader, TantivyDocument, Term, doc};

use crate::corpus::Passage;
use crate::text::{self, ANALYZER};

/// Headings are short and precise, so a hit there counts for more than one in running text.
pub const TITLE_BOOST: f32 = 2.0;
/// Heading terms are precomputed (see [`title_scores`]) up to this many distinct ones; the shipped
/// article has about a hundred.
const MAX_PRECOMPUTED_TITLE_TERMS: usize = 5_000;
/// Memory budget per indexing thread (tantivy's minimum is 15 MB).
const WRITER_MEMORY_PER_THREAD: usize = 32_000_000;
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
/// Adjacent question words found near each other in a passage (at most this many positions in
/// between) add a proximity bonus, so "use the API" prefers the passage that says "Use the API if".
const PAIR_SLOP: u32 = 3;
const PAIR_BOOST: f32 = 0.5;
const MAX_PAIRS: usize = 12;

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
    titles: Option<HashMap<String, ScoreList>>,
    /// Body terms by length in characters, for typo-tolerant lookups.
    vocabulary: Vec<Vec<Box<str>>>,
    /// Body term -> its number (in sorted order), so passage tokens, snippet weights and proximity
    /// pairs compare numbers rather than strings.
    term_ids: HashMap<Box<str>, u32>,
}

/// A scored passage id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub pid: usize,
    pub score: f32,
}

impl SearchIndex {
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        let index = Index::open_in_dir(dir)?;
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
        let mut vocabulary: Vec<Vec<Box<str>>> = Vec::new();
        let mut term_ids = HashMap::new();
        for (id, term) in field_terms(&searcher, fields.body)?.into_iter().enumerate() {
            let n = term.chars().count();
            if vocabulary.len() <= n {
                vocabulary.resize_with(n + 1, Vec::new);
            }
            let term: Box<str> = term.into();
            vocabulary[n].push(term.clone());
            term_ids.insert(term, id as u32);
        }
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
    ) -> Result<HashMap<String, ScoreList>, IndexError> {
        term_scores(&self.searcher(), self.fields.body, terms, boost)
    }

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

    /// The weighted terms to highlight in passage bodies: `terms` (analyzed) that occur in the index,
    /// without repeats; rarer terms weigh more when choosing the fragment.
    pub fn highlight_weights(&self, stats: &Stats, terms: &[String]) -> Vec<(u32, f32)> {
        let mut weights: Vec<(u32, f32)> = Vec::new();
        for t in terms {
            let Some(id) = self.term_id(t) else { continue };
            if weights.iter().any(|&(w, _)| w == id) {
                continue;
            }
            let df = self.doc_freq(stats, t);
            weights.push((id, 1.0 / (1.0 + df as f32)));
        }
        weights
    }

    /// The number of a body term (see `term_ids`).
    fn term_id(&self, term: &str) -> Option<u32> {
        self.term_ids.get(term).copied()
    }

    /// A passage body's tokens, for snippets and proximity: `text` must be a passage of this index.
    pub fn tokens(&self, analyzer: &mut TextAnalyzer, text: &str) -> Tokens {
        Tokens::of(analyzer, text, |t| self.term_id(t))
    }

    /// Body terms one edit away from `term` (at most [`MAX_CORRECTIONS`]).
    fn near_terms<'a>(&'a self, term: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let n = term.chars().count();
        (n.saturating_sub(1)..=n + 1)
            .filter_map(|len| self.vocabulary.get(len))
            .flatten()
            .map(|t| &**t)
            .filter(move |t| text::within_one_edit(term, t))
            .take(MAX_CORRECTIONS)
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
fn field_terms(searcher: &Searcher, field: Field) -> Result<Vec<String>, IndexError> {
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
fn title_scores(searcher: &Searcher, field: Field) -> Result<Option<HashMap<String, ScoreList>>, IndexError> {
    let terms = field_terms(searcher, field)?;
    if terms.len() > MAX_PRECOMPUTED_TITLE_TERMS {
        return Ok(None);
    }
    term_scores(searcher, field, terms.iter().map(String::as_str), TITLE_BOOST).map(Some)
}

/// Each distinct term's scores in `field`, at `boost`.
fn term_scores<'a>(
    searcher: &Searcher,
    field: Field,
    terms: impl IntoIterator<Item = &'a str>,
    boost: f32,
) -> Result<HashMap<String, ScoreList>, IndexError> {
    let mut out = HashMap::new();
    for t in terms {
        if !out.contains_key(t) {
            let t = t.to_owned();
            let list = score_list(searcher, field, std::slice::from_ref(&t), boost)?;
            out.insert(t, list);
        }
    }
    Ok(out)
}

/// Precomputed document scores (per segment, by document id), added to a question's term query by
/// [`SearchIndex::search`].
#[derive(Clone, Debug, Default)]
pub struct ScoreList(Arc<Vec<SegmentScores>>);

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
    fn segment(&self, reader: &SegmentReader) -> Option<usize> {
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

/// A question's retrieval: see [`SearchIndex::query`].
pub struct Retrieval {
    query: Option<BooleanQuery>,
    prior: ScoreList,
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

/// One question's view of the index: the searcher, and the term statistics looked up so far. The
/// query builder, BM25 scoring and snippets ask for the same few terms' document frequencies; each
/// is read from the term dictionary once.
pub struct Stats<'s> {
    searcher: &'s Searcher,
    /// A question has a few dozen distinct terms: a linear scan beats hashing them.
    doc_freq: RefCell<Vec<(Term, u64)>>,
    total_tokens: RefCell<Vec<(Field, u64)>>,
}

impl<'s> Stats<'s> {
    pub fn new(searcher: &'s Searcher) -> Self {
        Stats { searcher, doc_freq: RefCell::new(Vec::new()), total_tokens: RefCell::new(Vec::new()) }
    }

    pub fn searcher(&self) -> &'s Searcher {
        self.searcher
    }

    fn df(&self, term: &Term) -> u64 {
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
        let n = self.searcher.doc_freq(term)?;
        self.doc_freq.borrow_mut().push((term.clone(), n));
        Ok(n)
    }
}

/// A passage body's analyzed tokens, computed once per passage so that snippets and the proximity
/// bonus need no analysis per question. Terms are stored once per passage; tokens refer to them by
/// number, so matching a question's few terms is a lookup per distinct term, not per token.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    /// The passage text with each whitespace run as one space: what snippets quote (a paragraph
    /// break inside a fragment reads as one line in a citation), and what token offsets refer to.
    display: Box<str>,
    /// The numbers of the passage's distinct terms (see `SearchIndex::term_ids`), ascending.
    terms: Vec<u32>,
    tokens: Vec<Token>,
    /// Positions of each term in turn, ascending: term `i`'s are `positions[starts[i]..starts[i + 1]]`.
    positions: Vec<u32>,
    starts: Vec<u32>,
}

#[derive(Debug, Clone)]
struct Token {
    /// Index into `Tokens::terms`.
    term: u32,
    /// The analyzer's position (stopwords removed still count, as in the index).
    position: u32,
    range: Range<u32>,
}

impl Tokens {
    /// Analyzes `text`; `id` numbers its terms (a term without a number is never matched).
    fn of(analyzer: &mut TextAnalyzer, text: &str, id: impl Fn(&str) -> Option<u32>) -> Tokens {
        // Whitespace does not change the analyzer's tokens or positions, only their offsets.
        let mut display = String::with_capacity(text.len());
        push_collapsed(&mut display, text);
        let mut raw: Vec<(u32, u32, Range<u32>)> = Vec::new();
        let mut stream = analyzer.token_stream(&display);
        while stream.advance() {
            let t = stream.token();
            raw.push((id(&t.text).unwrap_or(u32::MAX), t.position as u32, t.offset_from as u32..t.offset_to as u32));
        }
        let mut terms: Vec<u32> = raw.iter().map(|r| r.0).collect();
        terms.sort_unstable();
        terms.dedup();
        let local = |id: u32| terms.binary_search(&id).unwrap_or_default() as u32;
        let tokens: Vec<Token> =
            raw.into_iter().map(|(id, position, range)| Token { term: local(id), position, range }).collect();
        let mut by_term: Vec<(u32, u32)> = tokens.iter().map(|t| (t.term, t.position)).collect();
        by_term.sort_unstable();
        let mut starts = vec![0u32; terms.len() + 1];
        for &(term, _) in &by_term {
            starts[term as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let positions = by_term.into_iter().map(|(_, p)| p).collect();
        drop(stream);
        Tokens { display: display.into(), terms, tokens, positions, starts }
    }

    /// The positions of local term `i`, ascending.
    fn positions_of(&self, i: u32) -> &[u32] {
        &self.positions[self.starts[i as usize] as usize..self.starts[i as usize + 1] as usize]
    }

    /// The local index of term number `id`, if the passage has it.
    fn local(&self, id: u32) -> Option<u32> {
        self.terms.binary_search(&id).ok().map(|i| i as u32)
    }

    /// Indexed tokens: the length BM25 normalises by.
    fn len(&self) -> usize {
        self.tokens.len()
    }
}

/// Chooses and renders the fragment of a passage with the most highlighted weight, by the rules of
/// tantivy's `SnippetGenerator` (greedy windows of at most `max_chars` bytes, highest weight,
/// earliest on ties), over precomputed [`Tokens`]. Windows are measured on the whitespace-collapsed
/// text that is shown, so a passage with paragraph breaks gets as much text as one without.
pub struct Highlighter {
    /// (term number, weight), a question's few terms.
    weights: Vec<(u32, f32)>,
    max_chars: usize,
}

struct Fragment {
    score: f32,
    start: usize,
    stop: usize,
    highlighted: Vec<Range<usize>>,
}

impl Highlighter {
    /// A highlighter for (term number, weight) pairs (see [`SearchIndex::highlight_weights`]),
    /// fragments of at most `max_chars` bytes.
    pub fn new(weights: Vec<(u32, f32)>, max_chars: usize) -> Self {
        Highlighter { weights, max_chars }
    }

    /// The rendered snippet of a passage (given by its tokens): matched words in `**bold**`, the
    /// passage's opening when no term occurs in it.
    pub fn snippet(&self, tokens: &Tokens) -> String {
        let text = &*tokens.display;
        // Weight of each passage term (0 for terms not highlighted).
        let mut weight = vec![0.0f32; tokens.terms.len()];
        for &(term, w) in &self.weights {
            if let Some(i) = tokens.local(term) {
                weight[i as usize] = w;
            }
        }
        // tantivy's search_fragments + select_best_fragment_combination: greedy windows of at most
        // max_chars bytes; the highest score wins, the earliest on ties.
        let mut best: Option<Fragment> = None;
        let mut cur = Fragment { score: 0.0, start: 0, stop: 0, highlighted: Vec::new() };
        let consider = |f: Fragment, best: &mut Option<Fragment>| {
            if f.score > 0.0 && best.as_ref().is_none_or(|b| f.score > b.score) {
                *best = Some(f);
            }
        };
        for t in &tokens.tokens {
            let (from, to) = (t.range.start as usize, t.range.end as usize);
            if to - cur.start > self.max_chars {
                let next = Fragment { score: 0.0, start: from, stop: from, highlighted: Vec::new() };
                consider(std::mem::replace(&mut cur, next), &mut best);
            }
            cur.stop = to;
            let w = weight[t.term as usize];
            if w > 0.0 {
                cur.score += w;
                cur.highlighted.push(from..to);
            }
        }
        consider(cur, &mut best);
        match best {
            Some(f) => {
                let highlighted: Vec<Range<usize>> =
                    f.highlighted.iter().map(|r| r.start - f.start..r.end - f.start).collect();
                render_fragment(text, f.start..f.stop, &highlighted)
            }
            None => truncate_words(text, self.max_chars),
        }
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

/// The text indexed as a passage's title: its heading path, except for a document's intro.
fn index_title(p: &Passage) -> &str {
    if p.intro { "" } else { p.heading.as_str() }
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON { q } else { Box::new(BoostQuery::new(q, boost)) }
}

/// Renders `text[range]` (text whose whitespace is already collapsed, see `Tokens::display`) with
/// the `highlighted` ranges (relative to the fragment) in `**bold**`, and `…` where the passage goes
/// on before or after it.
fn render_fragment(text: &str, range: Range<usize>, highlighted: &[Range<usize>]) -> String {
    // tantivy ends fragments at the last token; keep the punctuation that closes it.
    let rest = text.get(range.end..).unwrap_or("");
    let tail = rest.find(|c: char| c.is_whitespace() || c.is_alphanumeric()).unwrap_or(rest.len());
    let end = range.end + tail;
    let fragment = &text[range.start..end];
    let mut out = String::with_capacity(fragment.len() + 4 * highlighted.len() + 6);
    if text[..range.start].chars().any(char::is_alphanumeric) {
        out.push('…');
    }
    let mut at = 0;
    for r in highlighted {
        if r.start < at || r.end > range.end - range.start {
            continue;
        }
        out.push_str(&fragment[at..r.start]);
        out.push_str("**");
        out.push_str(&fragment[r.start..r.end]);
        out.push_str("**");
        at = r.end;
    }
    out.push_str(&fragment[at..]);
    if text[end..].chars().any(char::is_alphanumeric) {
        out.push('…');
    }
    out
}

/// Appends `s` with its whitespace runs as single spaces and none at either end, as
/// `s.split_whitespace().collect::<Vec<_>>().join(" ")` would, in one pass over the bytes (ASCII
/// needs no decoding).
fn push_collapsed(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut word: Option<usize> = None;
    let mut started = false;
    let mut flush = |out: &mut String, from: usize, to: usize| {
        if started {
            out.push(' ');
        }
        out.push_str(&s[from..to]);
        started = true;
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (space, len) = if b.is_ascii() {
            (matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r'), 1)
        } else {
            let c = s[i..].chars().next().unwrap_or(' ');
            (c.is_whitespace(), c.len_utf8())
        };
        match (space, word) {
            (true, Some(from)) => {
                flush(out, from, i);
                word = None;
            }
            (false, None) => word = Some(i),
            _ => {}
        }
        i += len;
    }
    if let Some(from) = word {
        flush(out, from, bytes.len());
    }
}

/// The first `max_chars` characters of `text`, cut at a word boundary.
pub fn truncate_words(text: &str, max_chars: usize) -> String {
    let text = &text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::split_document;

    /// An in-memory index of one Markdown document, with its passages.
    fn index_of(markdown: &str) -> (SearchIndex, Vec<Passage>) {
        let (_, ps) = split_document("d", markdown);
        (SearchIndex::in_ram(&ps).unwrap(), ps)
    }

    fn idx() -> (SearchIndex, Vec<Passage>) {
        index_of(
            "# T\n\n## Features Only in ChatGPT\n\nMemory — ChatGPT remembers facts about you.\n\nCanvas — Collaborative editing.\n\n## Pricing\n\nTokens cost money per million.\n",
        )
    }

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
    fn snippet_highlights_matches() {
        let (i, ps) = idx();
        let searcher = i.searcher();
        let s = Stats::new(&searcher);
        let r = i.query(&s, &["cost".to_owned()], &[]);
        let g = Highlighter::new(i.highlight_weights(&s, &["cost".to_owned()]), 150);
        let pid = i.search(&s, &r, 1).unwrap()[0].pid;
        let text = &ps[pid].text;
        assert_eq!(g.snippet(&i.tokens(&mut i.analyzer(), text)), "Tokens **cost** money per million.");
    }

    /// Many passages of a few frequent and some rare words: enough documents (several blocks of 128)
    /// for tantivy's block-WAND to skip some.
    fn big() -> SearchIndex {
        big_with(1500)
    }

    fn big_with(parts: usize) -> SearchIndex {
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

    /// The straightforward rendering (collect words, join) that `render_fragment` must equal.
    fn reference_fragment(text: &str, range: Range<usize>, highlighted: &[Range<usize>]) -> String {
        let fragment = &text[range.clone()];
        let mut out = String::new();
        let mut at = 0;
        for r in highlighted {
            if r.start < at || r.end > fragment.len() {
                continue;
            }
            out.push_str(&fragment[at..r.start]);
            out.push_str("**");
            out.push_str(&fragment[r.start..r.end]);
            out.push_str("**");
            at = r.end;
        }
        out.push_str(&fragment[at..]);
        let tail: String =
            text[range.end..].chars().take_while(|c| !c.is_whitespace() && !c.is_alphanumeric()).collect();
        out.push_str(&tail);
        let end = range.end + tail.len();
        let mut s = String::new();
        if text[..range.start].chars().any(char::is_alphanumeric) {
            s.push('…');
        }
        s.push_str(&out.split_whitespace().collect::<Vec<_>>().join(" "));
        if text[end..].chars().any(char::is_alphanumeric) {
            s.push('…');
        }
        s
    }

    proptest::proptest! {
        #[test]
        fn fragments_render_as_the_reference(raw in "[a-z …\\n.,!\t]{0,60}", a in 0usize..60, b in 0usize..60, marks in proptest::collection::vec((0usize..60, 0usize..5), 0..4)) {
            // As in use: whitespace already collapsed, fragments neither start nor end with it.
            let mut text = String::new();
            push_collapsed(&mut text, &raw);
            let boundaries: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            let pick = |i: usize| boundaries[i % boundaries.len()];
            let (mut start, mut end) = (pick(a).min(pick(b)), pick(a).max(pick(b)));
            while start < end && text[start..end].starts_with(' ') {
                start += 1;
            }
            while start < end && text[start..end].ends_with(' ') {
                end -= 1;
            }
            let len = end - start;
            let mut highlighted: Vec<Range<usize>> = Vec::new();
            for (from, width) in marks {
                let from = from % (len + 1);
                let to = (from + width).min(len);
                if text.is_char_boundary(start + from) && text.is_char_boundary(start + to) {
                    highlighted.push(from..to);
                }
            }
            proptest::prop_assert_eq!(render_fragment(&text, start..end, &highlighted), reference_fragment(&text, start..end, &highlighted));
        }
    }

    proptest::proptest! {
        #[test]
        fn collapsing_equals_split_whitespace_join(s in "[a-z \\t\\n\\r\u{0B}\u{0C}\u{85}\u{A0}\u{2003}\u{3000}é…]{0,40}") {
            let mut out = String::new();
            push_collapsed(&mut out, &s);
            proptest::prop_assert_eq!(out, s.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }

    #[test]
    fn fragments_collapse_whitespace_and_mark_cuts() {
        let text = "Intro.\n\nThe API  has\tno memory; it forgets… then more";
        let mut display = String::new();
        push_collapsed(&mut display, text);
        let start = display.find("The").unwrap();
        let end = display.find("forgets").unwrap() + "forgets".len();
        assert_eq!(&display[start..end], "The API has no memory; it forgets");
        let bold = [Range { start: 8, end: 11 }];
        assert_eq!(render_fragment(&display, start..end, &bold), "…The API **has** no memory; it forgets……");
        // Through a passage's tokens: a paragraph break and a tab read as one space.
        let (i, _) = idx();
        let searcher = i.searcher();
        let s = Stats::new(&searcher);
        let g = Highlighter::new(i.highlight_weights(&s, &["memori".to_owned()]), 150);
        assert_eq!(
            g.snippet(&i.tokens(&mut i.analyzer(), text)),
            "Intro. The API has no **memory**; it forgets… then more"
        );
    }

    #[test]
    fn truncation_cuts_at_words() {
        assert_eq!(truncate_words("alpha beta gamma", 12), "alpha beta…");
        assert_eq!(truncate_words("short", 12), "short");
    }
}
