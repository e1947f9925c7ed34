//! The tantivy side: schema, building an index of passages in a directory, opening it, and turning
//! analyzed question terms into a query. User text never reaches tantivy's query parser.

use std::cell::RefCell;
use std::ops::Range;
use std::path::Path;

use tantivy::collector::TopDocs;
use tantivy::query::{
    Bm25StatisticsProvider, BooleanQuery, BoostQuery, EnableScoring, Explanation, FuzzyTermQuery, Occur, Query, Scorer,
    TermQuery, Weight,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::{DocId, DocSet, Index, IndexReader, ReloadPolicy, Score, Searcher, SegmentReader, TERMINATED, TantivyDocument, Term, doc};
use std::sync::Arc;

use crate::corpus::Passage;
use crate::text::{self, ANALYZER};

/// Headings are short and precise, so a hit there counts for more than one in running text.
pub const TITLE_BOOST: f32 = 2.0;
/// Memory budget per indexing thread (tantivy's minimum is 15 MB).
const WRITER_MEMORY_PER_THREAD: usize = 32_000_000;
/// Misspelt words are looked up with this many edits, only when the exact word is unknown.
const FUZZY_DISTANCE: u8 = 1;
const FUZZY_MIN_LEN: usize = 5;
/// At most this many typo-tolerant lookups per question: each builds an automaton, and a long
/// garbage question must not cost more than a short one by much.
const MAX_FUZZY_TERMS: usize = 8;
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
        let pids = reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|s| Ok((s.segment_id(), s.fast_fields().u64("pid")?)))
            .collect::<Result<_, tantivy::TantivyError>>()?;
        Ok(SearchIndex { reader, fields, index, pids })
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

    /// A query of `Should` clauses: every term in body and (boosted) title, typo-tolerant lookups for
    /// terms the index does not know, and `expansion` terms (feature aliases, synonyms) at their own
    /// weights, and `prior` (precomputed scores, see [`SearchIndex::score_list`]) as one more clause.
    /// `None` when there is nothing to search for. Proximity is scored after retrieval, by
    /// [`SearchIndex::proximity`].
    pub fn query(&self, stats: &Stats, terms: &[String], expansion: &[(String, f32)], prior: Option<&ScoreList>) -> Option<Box<dyn Query>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut fuzzy = 0;
        let mut add = |term: &str, boost: f32, clauses: &mut Vec<(Occur, Box<dyn Query>)>| {
            if !seen.insert(term.to_owned()) {
                return;
            }
            let body = Term::from_field_text(self.fields.body, term);
            let title = Term::from_field_text(self.fields.title, term);
            // A clause only where the term occurs: each costs a weight and a scorer even when empty.
            let in_body = stats.df(&body) > 0;
            // Expansion terms (boost < 1) search bodies only: headings already match through the
            // question's own words.
            let title_df = stats.df(&title);
            let in_title = boost >= 1.0 && title_df > 0;
            let known = in_body || title_df > 0;
            if in_body {
                let body_q: Box<dyn Query> = Box::new(TermQuery::new(body, IndexRecordOption::WithFreqs));
                clauses.push((Occur::Should, boosted(body_q, boost)));
            } else if !known && boost >= 1.0 && term.chars().count() >= FUZZY_MIN_LEN && fuzzy < MAX_FUZZY_TERMS {
                // Only the question's own words may be misspelt; an expansion term the corpus lacks
                // is simply absent.
                fuzzy += 1;
                let q: Box<dyn Query> = Box::new(FuzzyTermQuery::new(body, FUZZY_DISTANCE, true));
                clauses.push((Occur::Should, boosted(q, boost * 0.5)));
            }
            if in_title {
                let title_q: Box<dyn Query> = Box::new(TermQuery::new(title, IndexRecordOption::WithFreqs));
                clauses.push((Occur::Should, boosted(title_q, boost * TITLE_BOOST)));
            }
        };
        for t in terms {
            add(t, 1.0, &mut clauses);
        }
        for (t, boost) in expansion {
            add(t, *boost, &mut clauses);
        }
        if let Some(prior) = prior.filter(|p| !p.is_empty()) {
            clauses.push((Occur::Should, Box::new(prior.clone())));
        }
        (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
    }

    /// Every document's score for `terms` in bodies, each at `boost`, computed once: a question
    /// about a feature adds its aliases' scores as one clause instead of a clause per alias (each
    /// clause costs a weight and a scorer per question). The index never changes under an open
    /// `SearchIndex`, so the scores stay exact.
    pub fn score_list(&self, terms: &[String], boost: f32) -> Result<ScoreList, IndexError> {
        let searcher = self.searcher();
        let mut seen = std::collections::HashSet::new();
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .filter(|t| seen.insert(t.as_str()))
            .map(|t| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(Term::from_field_text(self.fields.body, t), IndexRecordOption::WithFreqs));
                (Occur::Should, boosted(q, boost))
            })
            .collect();
        let weight = BooleanQuery::new(clauses).weight(EnableScoring::enabled_from_searcher(&searcher))?;
        let mut segments = Vec::new();
        for reader in searcher.segment_readers() {
            let mut docs = Vec::new();
            weight.for_each(reader, &mut |doc, score| docs.push((doc, score)))?;
            docs.sort_by_key(|&(doc, _)| doc);
            segments.push((reader.segment_id(), docs));
        }
        Ok(ScoreList(Arc::new(segments)))
    }

    /// The proximity scorer for a question's analyzed `terms`: each pair of adjacent, different terms
    /// that both occur in the index.
    pub fn proximity(&self, stats: &Stats, terms: &[String]) -> Proximity {
        let num_docs = stats.searcher.num_docs().max(1);
        let total = Bm25StatisticsProvider::total_num_tokens(stats, self.fields.body).unwrap_or(0);
        let mut pairs: Vec<(String, String, f32)> = Vec::new();
        for w in terms.windows(2) {
            if pairs.len() >= MAX_PAIRS {
                break;
            }
            let (a, b) = (&w[0], &w[1]);
            if a == b || pairs.iter().any(|(x, y, _)| x == a && y == b) {
                continue;
            }
            let (da, db) = (self.doc_freq(stats, a), self.doc_freq(stats, b));
            if da == 0 || db == 0 {
                continue;
            }
            pairs.push((a.clone(), b.clone(), idf(da, num_docs) + idf(db, num_docs)));
        }
        Proximity { pairs, avg_len: total as f32 / num_docs as f32 }
    }

    /// The best `limit` passages for `query`, best first. Scoring reads term statistics from
    /// `stats`, so terms the query builder already looked up are not looked up again.
    pub fn search(&self, stats: &Stats, query: &dyn Query, limit: usize) -> Result<Vec<Hit>, IndexError> {
        let searcher = stats.searcher;
        let top = searcher.search_with_statistics_provider(query, &TopDocs::with_limit(limit).order_by_score(), stats)?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let segment = searcher.segment_reader(addr.segment_ord);
            let opened;
            let column = match self.pids.get(addr.segment_ord as usize) {
                Some((id, column)) if *id == segment.segment_id() => column,
                _ => {
                    opened = segment.fast_fields().u64("pid")?;
                    &opened
                }
            };
            if let Some(pid) = column.first(addr.doc_id) {
                hits.push(Hit { pid: pid as usize, score });
            }
        }
        Ok(hits)
    }

    /// The weighted terms to highlight in passage bodies: `terms` (analyzed) that occur in the index,
    /// without repeats; rarer terms weigh more when choosing the fragment.
    pub fn highlight_weights(&self, stats: &Stats, terms: &[String]) -> Vec<(String, f32)> {
        let mut weights: Vec<(String, f32)> = Vec::new();
        for t in terms {
            if weights.iter().any(|(w, _)| w == t) {
                continue;
            }
            let df = self.doc_freq(stats, t);
            if df > 0 {
                weights.push((t.clone(), 1.0 / (1.0 + df as f32)));
            }
        }
        weights
    }

    /// Whether the index has `term` (analyzed) in a body or a heading.
    pub fn has_term(&self, stats: &Stats, term: &str) -> bool {
        self.doc_freq(stats, term) > 0 || stats.df(&Term::from_field_text(self.fields.title, term)) > 0
    }
}

/// Precomputed document scores (per segment, by document id), usable as a query clause.
#[derive(Clone, Debug, Default)]
pub struct ScoreList(Arc<Vec<SegmentScores>>);

/// A segment's documents with a score, by document id.
type SegmentScores = (SegmentId, Vec<(DocId, Score)>);

impl ScoreList {
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|(_, docs)| docs.is_empty())
    }

    fn segment(&self, reader: &SegmentReader) -> Option<usize> {
        self.0.iter().position(|(id, _)| *id == reader.segment_id())
    }
}

impl Query for ScoreList {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for ScoreList {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ScoreListScorer { list: self.clone(), segment: self.segment(reader), at: 0, boost }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let score = self.segment(reader).and_then(|s| self.0[s].1.iter().find(|(d, _)| *d == doc)).map(|(_, score)| *score);
        match score {
            Some(score) => Ok(Explanation::new("precomputed feature-alias score", score)),
            None => Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} has no precomputed score"))),
        }
    }
}

struct ScoreListScorer {
    list: ScoreList,
    segment: Option<usize>,
    at: usize,
    boost: Score,
}

impl ScoreListScorer {
    fn docs(&self) -> &[(DocId, Score)] {
        self.segment.map_or(&[], |s| &self.list.0[s].1)
    }
}

impl DocSet for ScoreListScorer {
    fn advance(&mut self) -> DocId {
        self.at += 1;
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.docs().get(self.at).map_or(TERMINATED, |(d, _)| *d)
    }

    fn size_hint(&self) -> u32 {
        self.docs().len() as u32
    }
}

impl Scorer for ScoreListScorer {
    fn score(&mut self) -> Score {
        self.docs().get(self.at).map_or(0.0, |(_, s)| s * self.boost)
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
    terms: Vec<Box<str>>,
    tokens: Vec<Token>,
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
    pub fn of(analyzer: &mut TextAnalyzer, text: &str) -> Tokens {
        let mut terms: Vec<Box<str>> = Vec::new();
        let mut ids: std::collections::HashMap<Box<str>, u32> = std::collections::HashMap::new();
        let mut tokens = Vec::new();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            let t = stream.token();
            let term = match ids.get(t.text.as_str()) {
                Some(&id) => id,
                None => {
                    let id = terms.len() as u32;
                    let boxed: Box<str> = t.text.as_str().into();
                    terms.push(boxed.clone());
                    ids.insert(boxed, id);
                    id
                }
            };
            tokens.push(Token { term, position: t.position as u32, range: t.offset_from as u32..t.offset_to as u32 });
        }
        Tokens { terms, tokens }
    }

    /// The number of a passage term, if the passage has it.
    fn id(&self, term: &str) -> Option<u32> {
        self.terms.iter().position(|t| &**t == term).map(|i| i as u32)
    }

    /// Indexed tokens: the length BM25 normalises by.
    fn len(&self) -> usize {
        self.tokens.len()
    }
}

/// Chooses and renders the fragment of a passage with the most highlighted weight, exactly as
/// tantivy's `SnippetGenerator` does, but over precomputed [`Tokens`].
pub struct Highlighter {
    /// (term, weight), a question's few terms: a linear scan is cheaper than a map.
    weights: Vec<(String, f32)>,
    max_chars: usize,
}

struct Fragment {
    score: f32,
    start: usize,
    stop: usize,
    highlighted: Vec<Range<usize>>,
}

impl Highlighter {
    /// A highlighter for (analyzed term, weight) pairs, fragments of at most `max_chars` bytes.
    pub fn new(weights: Vec<(String, f32)>, max_chars: usize) -> Self {
        Highlighter { weights, max_chars }
    }

    /// The rendered snippet of `text` (whose tokens are `tokens`): matched words in `**bold**`, the
    /// passage's opening when no term occurs in it.
    pub fn snippet(&self, tokens: &Tokens, text: &str) -> String {
        // Weight of each passage term (0 for terms not highlighted).
        let mut weight = vec![0.0f32; tokens.terms.len()];
        for (term, w) in &self.weights {
            if let Some(id) = tokens.id(term) {
                weight[id as usize] = *w;
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
                let highlighted: Vec<Range<usize>> = f.highlighted.iter().map(|r| r.start - f.start..r.end - f.start).collect();
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
    /// (first term, second term, summed idf of the two).
    pairs: Vec<(String, String, f32)>,
    avg_len: f32,
}

/// tantivy's BM25 constants.
const K1: f32 = 1.2;
const B: f32 = 0.75;

fn idf(doc_freq: u64, num_docs: u64) -> f32 {
    let (df, n) = (doc_freq as f32, num_docs as f32);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

impl Proximity {
    /// The bonus a passage earns: per pair, BM25 over the number of times the second term stands
    /// near the first, weighted by [`PAIR_BOOST`], as a sloppy phrase query would score it.
    pub fn bonus(&self, tokens: &Tokens) -> f32 {
        let norm = K1 * (1.0 - B + B * tokens.len() as f32 / self.avg_len.max(1.0));
        let mut total = 0.0;
        for (a, b, idf) in &self.pairs {
            let (Some(a), Some(b)) = (tokens.id(a), tokens.id(b)) else { continue };
            let positions = |id: u32| tokens.tokens.iter().filter(move |t| t.term == id).map(|t| t.position as i64);
            // As tantivy's sloppy phrase match: the second term within PAIR_SLOP positions of where
            // it would stand right after the first (so a swapped pair counts too).
            let tf = positions(a).filter(|&pa| positions(b).any(|pb| (pb - (pa + 1)).abs() <= i64::from(PAIR_SLOP))).count();
            if tf > 0 {
                let tf = tf as f32;
                total += PAIR_BOOST * idf * tf * (K1 + 1.0) / (tf + norm);
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

/// Renders `text[range]` with the `highlighted` ranges (relative to the fragment) in `**bold**`, its
/// whitespace runs as single spaces (paragraph breaks inside a fragment read as one line in a
/// citation), and `…` where the passage goes on before or after it.
fn render_fragment(text: &str, range: Range<usize>, highlighted: &[Range<usize>]) -> String {
    // tantivy ends fragments at the last token; keep the punctuation that closes it.
    let rest = text.get(range.end..).unwrap_or("");
    let tail = rest.find(|c: char| c.is_whitespace() || c.is_alphanumeric()).unwrap_or(rest.len());
    let end = range.end + tail;
    let fragment = &text[range.start..end];
    let mut out = Collapsed { out: String::with_capacity(fragment.len() + 4 * highlighted.len() + 8), started: false, owed: false };
    if text[..range.start].chars().any(char::is_alphanumeric) {
        out.out.push('…');
    }
    let mut at = 0;
    for r in highlighted {
        if r.start < at || r.end > range.end - range.start {
            continue;
        }
        out.push(&fragment[at..r.start]);
        out.push("**");
        out.push(&fragment[r.start..r.end]);
        out.push("**");
        at = r.end;
    }
    out.push(&fragment[at..]);
    if text[end..].chars().any(char::is_alphanumeric) {
        out.out.push('…');
    }
    out.out
}

/// A string that receives text with every whitespace run made one space and none at either end
/// (as `split_whitespace().join(" ")`), without collecting words first.
struct Collapsed {
    out: String,
    /// Some text has been pushed: a whitespace run after it owes a space.
    started: bool,
    owed: bool,
}

impl Collapsed {
    fn push(&mut self, piece: &str) {
        for (i, word) in piece.split(char::is_whitespace).enumerate() {
            if i > 0 {
                self.owed = self.started;
            }
            if word.is_empty() {
                continue;
            }
            if self.owed {
                self.out.push(' ');
                self.owed = false;
            }
            self.out.push_str(word);
            self.started = true;
        }
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

    fn idx() -> (SearchIndex, Vec<Passage>) {
        let (_, ps) = split_document(
            "d",
            "# T\n\n## Features Only in ChatGPT\n\nMemory — ChatGPT remembers facts about you.\n\nCanvas — Collaborative editing.\n\n## Pricing\n\nTokens cost money per million.\n",
        );
        (SearchIndex::in_ram(&ps).unwrap(), ps)
    }

    #[test]
    fn query_finds_title_and_body_and_typos() {
        let (i, ps) = idx();
        let searcher = i.searcher();
        let s = Stats::new(&searcher);
        let mut a = i.analyzer();
        let q = i.query(&s, &text::terms(&mut a, "memmory remembers"), &[], None).unwrap();
        let hits = i.search(&s, &*q, 3).unwrap();
        assert_eq!(ps[hits[0].pid].heading, "Features Only in ChatGPT › Memory");
    }

    #[test]
    fn empty_terms_give_no_query() {
        let (i, _) = idx();
        let searcher = i.searcher();
        assert!(i.query(&Stats::new(&searcher), &[], &[], None).is_none());
    }

    #[test]
    fn snippet_highlights_matches() {
        let (i, ps) = idx();
        let searcher = i.searcher();
        let s = Stats::new(&searcher);
        let q = i.query(&s, &["cost".to_owned()], &[], None).unwrap();
        let g = Highlighter::new(i.highlight_weights(&s, &["cost".to_owned()]), 150);
        let pid = i.search(&s, &*q, 1).unwrap()[0].pid;
        let text = &ps[pid].text;
        assert_eq!(g.snippet(&Tokens::of(&mut i.analyzer(), text), text), "Tokens **cost** money per million.");
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
        let tail: String = text[range.end..].chars().take_while(|c| !c.is_whitespace() && !c.is_alphanumeric()).collect();
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
        fn fragments_render_as_the_reference(text in "[a-z …\\n.,!\t]{0,60}", a in 0usize..60, b in 0usize..60, marks in proptest::collection::vec((0usize..60, 0usize..5), 0..4)) {
            let boundaries: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            let pick = |i: usize| boundaries[i % boundaries.len()];
            let (start, end) = (pick(a).min(pick(b)), pick(a).max(pick(b)));
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

    #[test]
    fn fragments_collapse_whitespace_and_mark_cuts() {
        let text = "Intro.\n\nThe API  has\tno memory; it forgets… then more";
        let start = text.find("The").unwrap();
        let end = text.find("forgets").unwrap() + "forgets".len();
        let bold = [Range { start: 9, end: 12 }];
        let got = render_fragment(text, start..end, &bold);
        assert_eq!(got, "…The API **has** no memory; it forgets……");
    }

    #[test]
    fn truncation_cuts_at_words() {
        assert_eq!(truncate_words("alpha beta gamma", 12), "alpha beta…");
        assert_eq!(truncate_words("short", 12), "short");
    }
}
