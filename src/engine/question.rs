//! A question, cleaned, clipped and analyzed once: every step of the pipeline reads this one value
//! instead of analyzing the text again.

use std::borrow::Cow;

use tantivy::tokenizer::TextAnalyzer;

use crate::corpus::Lexicon;
use crate::text::{self, Word};

/// Questions are analyzed up to this many bytes; the rest cannot change what is asked about and
/// would only cost time.
pub const MAX_ANALYZED_BYTES: usize = 4_000;

#[derive(Debug, Clone)]
pub struct Question {
    /// As asked, trimmed (what answers echo back).
    pub asked: String,
    /// Control characters removed, clipped to [`MAX_ANALYZED_BYTES`], chat language expanded.
    pub text: String,
    /// The words of `text`, with stems.
    pub words: Vec<Word>,
    /// The index terms of `text`, in order, with repeats.
    pub terms: Vec<String>,
}

impl Question {
    pub fn new(asked: &str, lexicon: &Lexicon, words: &mut TextAnalyzer, index: &mut TextAnalyzer) -> Self {
        let asked = asked.trim();
        let cleaned = without_controls(clip(asked, MAX_ANALYZED_BYTES));
        let text = lexicon.expand(&cleaned).into_owned();
        let analyzed = text::words(words, &text);
        let terms = text::index_terms(&text, &analyzed, index);
        Question { asked: asked.to_owned(), text, words: analyzed, terms }
    }
}

/// `s` with control characters (terminal escapes, backspaces, NULs) as spaces.
pub fn without_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect())
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_respects_char_boundaries() {
        assert_eq!(clip("héllo", 2), "h");
        assert_eq!(clip("abc", 10), "abc");
    }

    #[test]
    fn controls_become_spaces() {
        assert_eq!(without_controls("a\u{1b}[2Jb\u{8}c"), "a [2Jb c");
        assert!(matches!(without_controls("plain"), Cow::Borrowed(_)));
    }
}
