//! A passage body analyzed once: its terms by number, their positions and offsets, over the
//! whitespace-collapsed text that snippets quote.

use std::ops::Range;

use tantivy::tokenizer::{TextAnalyzer, TokenStream};

/// A passage body's analyzed tokens, computed once per passage so that snippets and the proximity
/// bonus need no analysis per question. Terms are stored once per passage; tokens refer to them by
/// number, so matching a question's few terms is a lookup per distinct term, not per token.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    /// The passage text with each whitespace run as one space: what snippets quote (a paragraph
    /// break inside a fragment reads as one line in a citation), and what token offsets refer to.
    pub(super) display: Box<str>,
    /// The numbers of the passage's distinct terms (see `SearchIndex::term_ids`), ascending.
    pub(super) terms: Vec<u32>,
    pub(super) tokens: Vec<Token>,
    /// Positions of each term in turn, ascending: term `i`'s are `positions[starts[i]..starts[i + 1]]`.
    positions: Vec<u32>,
    starts: Vec<u32>,
    /// The display text's sentences ([`crate::text::sentences`]), as byte ranges.
    sentences: Vec<Range<usize>>,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    /// Index into `Tokens::terms`.
    pub(super) term: u32,
    /// The analyzer's position (stopwords removed still count, as in the index).
    pub(super) position: u32,
    pub(super) range: Range<u32>,
}

impl Tokens {
    /// The passage text as analyzed, each whitespace run one space (what offsets refer to).
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The display text's sentences, as byte ranges of it.
    pub fn sentences(&self) -> &[Range<usize>] {
        &self.sentences
    }

    /// Analyzes `text`; `id` numbers its terms (a term without a number is never matched).
    pub(super) fn of(analyzer: &mut TextAnalyzer, text: &str, id: impl Fn(&str) -> Option<u32>) -> Tokens {
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
        let sentences = crate::text::sentences(&display);
        Tokens { display: display.into(), terms, tokens, positions, starts, sentences }
    }

    /// The positions of local term `i`, ascending.
    pub(super) fn positions_of(&self, i: u32) -> &[u32] {
        &self.positions[self.starts[i as usize] as usize..self.starts[i as usize + 1] as usize]
    }

    /// The local index of term number `id`, if the passage has it.
    pub(super) fn local(&self, id: u32) -> Option<u32> {
        self.terms.binary_search(&id).ok().map(|i| i as u32)
    }

    /// Indexed tokens: the length BM25 normalises by.
    pub(super) fn len(&self) -> usize {
        self.tokens.len()
    }
}

/// Appends `s` with its whitespace runs as single spaces and none at either end, as
/// `s.split_whitespace().collect::<Vec<_>>().join(" ")` would, in one pass over the bytes (ASCII
/// needs no decoding).
pub(super) fn push_collapsed(out: &mut String, s: &str) {
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
#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn collapsing_equals_split_whitespace_join(s in "[a-z \\t\\n\\r\u{0B}\u{0C}\u{85}\u{A0}\u{2003}\u{3000}é…]{0,40}") {
            let mut out = String::new();
            push_collapsed(&mut out, &s);
            proptest::prop_assert_eq!(out, s.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
}
