//! The tantivy side: schema, building an index of passages in a directory, opening it, and turning
//! analyzed question terms into a query. User text never reaches tantivy's query parser.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use tantivy::collector::TopDocs;
use tantivy::query::{Bm25StatisticsProvider, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::snippet::Snippet;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::{Index, IndexReader, ReloadPolicy, Searcher, TantivyDocument, Term, doc};

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
/// Adjacent question words found near each other in a passage (within this many positions) add a
/// proximity bonus, so "use the API" prefers the passage that says "Use the API if".
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
    /// terms the index does not know, `expansion` terms (feature aliases, synonyms) at their own
    /// weights, and a proximity bonus for adjacent question terms. `None` when there is nothing to
    /// search for.
    pub fn query(&self, stats: &Stats, terms: &[String], expansion: &[(String, f32)]) -> Option<Box<dyn Query>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut fuzzy = 0;
        let known_in_body = |term: &str| stats.df(&Term::from_field_text(self.fields.body, term)) > 0;
        let mut add = |term: &str, boost: f32, clauses: &mut Vec<(Occur, Box<dyn Query>)>| {
            if !seen.insert(term.to_owned()) {
                return;
            }
            let body = Term::from_field_text(self.fields.body, term);
            let title = Term::from_field_text(self.fields.title, term);
            let known = known_in_body(term) || stats.df(&title) > 0;
            if known {
                let body_q: Box<dyn Query> = Box::new(TermQuery::new(body, IndexRecordOption::WithFreqs));
                clauses.push((Occur::Should, boosted(body_q, boost)));
                // Expansion terms (boost < 1) search bodies only: each clause costs a scorer, and
                // headings already match through the question's own words.
                if boost >= 1.0 {
                    let title_q: Box<dyn Query> = Box::new(TermQuery::new(title, IndexRecordOption::WithFreqs));
                    clauses.push((Occur::Should, boosted(title_q, boost * TITLE_BOOST)));
                }
            } else if boost >= 1.0 && term.chars().count() >= FUZZY_MIN_LEN && fuzzy < MAX_FUZZY_TERMS {
                // Only the question's own words may be misspelt; an expansion term the corpus lacks
                // is simply absent.
                fuzzy += 1;
                let q: Box<dyn Query> = Box::new(FuzzyTermQuery::new(body, FUZZY_DISTANCE, true));
                clauses.push((Occur::Should, boosted(q, boost * 0.5)));
            }
        };
        for t in terms {
            add(t, 1.0, &mut clauses);
        }
        for (t, boost) in expansion {
            add(t, *boost, &mut clauses);
        }
        let mut pairs = std::collections::HashSet::new();
        for w in terms.windows(2) {
            if pairs.len() >= MAX_PAIRS {
                break;
            }
            if w[0] == w[1] || !known_in_body(&w[0]) || !known_in_body(&w[1]) || !pairs.insert((w[0].clone(), w[1].clone())) {
                continue;
            }
            let mut phrase = PhraseQuery::new(vec![
                Term::from_field_text(self.fields.body, &w[0]),
                Term::from_field_text(self.fields.body, &w[1]),
            ]);
            phrase.set_slop(PAIR_SLOP);
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(phrase), PAIR_BOOST))));
        }
        (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
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

    /// The weighted terms to highlight in passage bodies: `terms` (analyzed) that occur in the index;
    /// rarer terms weigh more when choosing the fragment.
    pub fn highlighter<'a>(&self, stats: &Stats, terms: impl IntoIterator<Item = &'a String>, max_chars: usize) -> Highlighter {
        let mut weights = BTreeMap::new();
        for t in terms {
            if weights.contains_key(t) {
                continue;
            }
            let df = self.doc_freq(stats, t);
            if df > 0 {
                weights.insert(t.clone(), 1.0 / (1.0 + df as f32));
            }
        }
        Highlighter { weights, max_chars }
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

/// A passage body's analyzed tokens (term and byte range), computed once per passage so that a
/// snippet needs no analysis per question.
#[derive(Debug, Clone, Default)]
pub struct Tokens(Vec<(Box<str>, Range<u32>)>);

impl Tokens {
    pub fn of(analyzer: &mut TextAnalyzer, text: &str) -> Tokens {
        let mut out = Vec::new();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            let t = stream.token();
            out.push((t.text.as_str().into(), t.offset_from as u32..t.offset_to as u32));
        }
        Tokens(out)
    }
}

/// Chooses and renders the fragment of a passage with the most highlighted weight, exactly as
/// tantivy's `SnippetGenerator` does, but over precomputed [`Tokens`].
pub struct Highlighter {
    weights: BTreeMap<String, f32>,
    max_chars: usize,
}

struct Fragment {
    score: f32,
    start: usize,
    stop: usize,
    highlighted: Vec<Range<usize>>,
}

impl Highlighter {
    /// The rendered snippet of `text` (whose tokens are `tokens`): matched words in `**bold**`, the
    /// passage's opening when no term occurs in it.
    pub fn snippet(&self, tokens: &Tokens, text: &str) -> String {
        // tantivy's search_fragments + select_best_fragment_combination: greedy windows of at most
        // max_chars bytes; the highest score wins, the earliest on ties.
        let mut best: Option<Fragment> = None;
        let mut cur = Fragment { score: 0.0, start: 0, stop: 0, highlighted: Vec::new() };
        let consider = |f: Fragment, best: &mut Option<Fragment>| {
            if f.score > 0.0 && best.as_ref().is_none_or(|b| f.score > b.score) {
                *best = Some(f);
            }
        };
        for (term, r) in &tokens.0 {
            let (from, to) = (r.start as usize, r.end as usize);
            if to - cur.start > self.max_chars {
                let next = Fragment { score: 0.0, start: from, stop: from, highlighted: Vec::new() };
                consider(std::mem::replace(&mut cur, next), &mut best);
            }
            cur.stop = to;
            if let Some(w) = self.weights.get(&**term) {
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

/// The text indexed as a passage's title: its heading path, except for a document's intro.
fn index_title(p: &Passage) -> &str {
    if p.intro { "" } else { p.heading.as_str() }
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON { q } else { Box::new(BoostQuery::new(q, boost)) }
}

/// Renders a snippet with the matched words in `**bold**`; falls back to the passage's opening when
/// no query word occurs in it.
pub fn render_snippet(snippet: &Snippet, text: &str, max_chars: usize) -> String {
    if snippet.is_empty() {
        return truncate_words(text, max_chars);
    }
    render_fragment(text, snippet.fragment_range(), snippet.highlighted())
}

/// Renders `text[range]` with the `highlighted` ranges (relative to the fragment) in `**bold**`.
fn render_fragment(text: &str, range: Range<usize>, highlighted: &[Range<usize>]) -> String {
    let fragment = &text[range.clone()];
    let mut out = String::with_capacity(fragment.len() + 16);
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
    // tantivy ends fragments at the last token; keep the punctuation that closes it.
    let tail: String = text.get(range.end..).unwrap_or("").chars().take_while(|c| !c.is_whitespace() && !c.is_alphanumeric()).collect();
    out.push_str(&tail);
    let range = range.start..range.end + tail.len();
    let mut s = String::new();
    if text.get(..range.start).is_some_and(|head| head.chars().any(char::is_alphanumeric)) {
        s.push('…');
    }
    // Paragraph breaks inside a fragment read as one line in a citation.
    s.push_str(&out.split_whitespace().collect::<Vec<_>>().join(" "));
    if text.get(range.end..).is_some_and(|rest| rest.chars().any(char::is_alphanumeric)) {
        s.push('…');
    }
    s
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
        let q = i.query(&s, &text::terms(&mut a, "memmory remembers"), &[]).unwrap();
        let hits = i.search(&s, &*q, 3).unwrap();
        assert_eq!(ps[hits[0].pid].heading, "Features Only in ChatGPT › Memory");
    }

    #[test]
    fn empty_terms_give_no_query() {
        let (i, _) = idx();
        let searcher = i.searcher();
        assert!(i.query(&Stats::new(&searcher), &[], &[]).is_none());
    }

    #[test]
    fn snippet_highlights_matches() {
        let (i, ps) = idx();
        let searcher = i.searcher();
        let s = Stats::new(&searcher);
        let q = i.query(&s, &["cost".to_owned()], &[]).unwrap();
        let g = i.highlighter(&s, &["cost".to_owned()], 150);
        let pid = i.search(&s, &*q, 1).unwrap()[0].pid;
        let text = &ps[pid].text;
        assert_eq!(g.snippet(&Tokens::of(&mut i.analyzer(), text), text), "Tokens **cost** money per million.");
    }

    #[test]
    fn truncation_cuts_at_words() {
        assert_eq!(truncate_words("alpha beta gamma", 12), "alpha beta…");
        assert_eq!(truncate_words("short", 12), "short");
    }
}
