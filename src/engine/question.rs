//! A question, cleaned, clipped and analyzed once: every step of the pipeline reads this one value
//! instead of analyzing the text again.

use std::borrow::Cow;

use tantivy::tokenizer::TextAnalyzer;

use crate::corpus::Lexicon;
use crate::text::{self, Word, WordAnalyzer};

/// Questions are analyzed up to this many bytes; the rest cannot change what is asked about and
/// would only cost time.
pub const MAX_ANALYZED_BYTES: usize = 4_000;

/// Words that open a question ("does it...", "which one...").
const ASKING_WORDS: &[&str] = &[
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "is", "are", "was", "were", "am", "do",
    "does", "did", "can", "could", "will", "would", "should", "shall", "may", "might", "has", "have", "any", "anyone",
    "anybody", "possible",
];

/// What follows "I'd", "I'm", "I was" or "we are" when a sentence asks for something.
const REQUEST_VERBS: &[&str] = &[
    "like",
    "love",
    "wondering",
    "looking",
    "trying",
    "hoping",
    "curious",
    "interested",
    "planning",
    "thinking",
    "considering",
    "asking",
    "wanting",
    "needing",
    "deciding",
    "unsure",
    "confused",
    "worried",
    "worry",
    "concerned",
    "afraid",
    "scared",
];

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
    /// For each word, whether its sentence asks something (ends with "?" or opens with a question
    /// word). A message whose sentences all ask, or none do, has every word in focus.
    pub focus: Vec<bool>,
    /// For each word, the index of its sentence.
    pub sentence: Vec<usize>,
}

impl Question {
    pub fn new(asked: &str, lexicon: &Lexicon, words: &mut WordAnalyzer, index: &mut TextAnalyzer) -> Self {
        let asked = asked.trim();
        let cleaned = without_controls(clip(asked, MAX_ANALYZED_BYTES));
        let text = lexicon.expand(&cleaned).into_owned();
        let analyzed = words.words(&text);
        let terms = text::index_terms(&text, &analyzed, index);
        let (focus, sentence) = focus(&text, &analyzed);
        Question { asked: asked.to_owned(), text, words: analyzed, terms, focus, sentence }
    }

    /// The words of the sentences that ask, as written, joined by spaces.
    pub fn asking_text(&self) -> String {
        let mut out = String::new();
        for (w, _) in self.words.iter().zip(&self.focus).filter(|(_, f)| **f) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(self.text.get(w.offset..w.end).unwrap_or(&w.text));
        }
        out
    }

    /// Whether the message has backstory around its question: some words are out of focus.
    pub fn has_backstory(&self) -> bool {
        self.focus.iter().any(|f| !f)
    }
}

/// Which words sit in a sentence that asks something, and each word's sentence.
fn focus(text: &str, words: &[Word]) -> (Vec<bool>, Vec<usize>) {
    // Sentence ends: . ! ? ; or a line break, followed by a space or the end.
    let bytes = text.as_bytes();
    let mut ends: Vec<(usize, bool)> = Vec::new(); // (end offset, ends with '?')
    for (i, c) in text.char_indices() {
        let boundary = matches!(c, '.' | '!' | '?' | ';' | '\n')
            && bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b')'));
        // A colon before a question ends what leads up to it: "From a compliance view: are our
        // inputs used for training?" asks the part after it.
        let boundary = boundary
            || (c == ':' && bytes.get(i + 1).is_some_and(u8::is_ascii_whitespace) && {
                let next: String = text[i + 1..].trim_start().chars().take_while(|c| c.is_alphabetic()).collect();
                ASKING_WORDS.contains(&next.to_lowercase().as_str())
            });
        if boundary {
            ends.push((i + 1, c == '?'));
        }
    }
    ends.push((text.len() + 1, text.trim_end().ends_with('?')));
    let mut sentence = vec![0usize; words.len()];
    let mut s = 0;
    for (w, slot) in words.iter().zip(&mut sentence) {
        while s + 1 < ends.len() && w.offset >= ends[s].0 {
            s += 1;
        }
        *slot = s;
    }
    let mut asking = vec![false; ends.len()];
    for (i, (_, question_mark)) in ends.iter().enumerate() {
        let mut opening = words.iter().zip(&sentence).filter(|(_, s)| **s == i).map(|(w, _)| w.text.as_str());
        let (first, second, third) = (opening.next(), opening.next(), opening.next());
        // A request asks too: "I want my app to ...", "we need ...", "I'd like ...", "I'm
        // wondering ..."; "I'm not a developer" and "I was at work" only tell.
        let request = match (first, second) {
            (Some("i" | "we"), Some("want" | "need" | "wanna" | "wonder")) => true,
            (Some("i" | "we"), Some("d" | "would" | "m" | "am" | "was" | "were" | "are" | "re")) => {
                third.is_some_and(|t| REQUEST_VERBS.contains(&t))
            }
            (Some("im"), Some(verb)) => REQUEST_VERBS.contains(&verb),
            _ => false,
        };
        asking[i] = *question_mark || first.is_some_and(|f| ASKING_WORDS.contains(&f)) || request;
    }
    // A short question that refers back ("Does it?", "Can it do that for me?") asks about the
    // sentence before it.
    for i in 1..asking.len() {
        let own = words.iter().zip(&sentence).filter(|(w, s)| **s == i && !text::is_filler(&w.text)).count();
        if asking[i] && own < 2 {
            asking[i - 1] = true;
        }
    }
    let used: Vec<usize> = {
        let mut u = sentence.clone();
        u.dedup();
        u
    };
    if used.iter().all(|s| asking[*s]) || used.iter().all(|s| !asking[*s]) {
        return (vec![true; words.len()], sentence);
    }
    (sentence.iter().map(|s| asking[*s]).collect(), sentence)
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

    fn focus_of(q: &str) -> Vec<(String, bool)> {
        let q = Question::new(
            q,
            &Lexicon::default(),
            &mut WordAnalyzer::with_vocabulary([], 0),
            &mut text::index_analyzer(),
        );
        q.words.iter().zip(&q.focus).map(|(w, f)| (w.text.clone(), *f)).collect()
    }

    #[test]
    fn backstory_is_out_of_focus_and_the_question_in() {
        let f = focus_of("My boss asked me about costs. Does the API have memory? Thanks!");
        let in_focus: Vec<&str> = f.iter().filter(|(_, f)| *f).map(|(w, _)| w.as_str()).collect();
        assert_eq!(in_focus, ["does", "the", "api", "have", "memory"]);
        // No sentence asks, or all do: everything is in focus.
        assert!(focus_of("api memory").iter().all(|(_, f)| *f));
        assert!(focus_of("does it? can it?").iter().all(|(_, f)| *f));
        // A short question asks about the sentence before it.
        let f = focus_of("I want to make videos from text. Can it do that for me?");
        assert!(f.iter().all(|(_, f)| *f), "{f:?}");
        // "I'm ..." tells unless a request follows: "I'm wondering", "I'd like", "I was hoping".
        for (q, asks) in [
            ("I'm a nurse on night shifts. Does the api have memory", false),
            ("I'm wondering about the api. It has memory", true),
            ("Im hoping the api has memory. It is for work", true),
            ("I'd like memory in the api. My team asked", true),
            ("We were at a meetup last week. Can the api remember users", false),
        ] {
            let f = focus_of(q);
            assert_eq!(f[0].1, asks, "{q}: {f:?}");
        }
        // A question without a question mark still asks; "3.5" is not a sentence end.
        let f = focus_of("I use gpt-3.5 at work. is there memory in the api");
        assert!(f.iter().find(|(w, _)| w == "memory").unwrap().1);
        assert!(!f.iter().find(|(w, _)| w == "work").unwrap().1);
        // A colon before a question ends what leads up to it; one before anything else does not.
        let f = focus_of("From a compliance view: are our API inputs used for training? Thanks");
        assert!(!f.iter().find(|(w, _)| w == "compliance").unwrap().1, "{f:?}");
        assert!(f.iter().find(|(w, _)| w == "training").unwrap().1, "{f:?}");
        let f = focus_of("Does the API have these: memory, canvas and voice? Thanks");
        assert!(f.iter().find(|(w, _)| w == "canvas").unwrap().1, "{f:?}");
        assert!(f.iter().find(|(w, _)| w == "have").unwrap().1, "{f:?}");
    }

    #[test]
    fn controls_become_spaces() {
        assert_eq!(without_controls("a\u{1b}[2Jb\u{8}c"), "a [2Jb c");
        assert!(matches!(without_controls("plain"), Cow::Borrowed(_)));
    }
}
