//! Chat language as data (`lexicon.toml`, optional): abbreviations and spellings people use in chat
//! ("u", "pls", "w/"), asides of a few words ("i remember", read as "I think": the asker's
//! recollection, not a product's memory) and shortenings of the domain's own words ("ft" for
//! fine-tuning), each read as the words it stands for before a question is analyzed.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::diag::{Diagnostic, Reader, get};

pub const LEXICON_FILE: &str = "lexicon.toml";

/// Whole-word replacements, keyed by the lowercase word or words. Stored (in a generation's
/// `corpus.json`) as its entries alone: the phrases are worked out from them on reading.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Entries", into = "Entries")]
pub struct Lexicon {
    entries: BTreeMap<String, String>,
    /// The keys of several words, split, with what they stand for, longest first.
    phrases: Vec<(Vec<String>, String)>,
}

/// A lexicon as stored.
#[derive(Serialize, Deserialize)]
struct Entries {
    entries: BTreeMap<String, String>,
}

impl From<Entries> for Lexicon {
    fn from(e: Entries) -> Self {
        let mut phrases: Vec<(Vec<String>, String)> = e
            .entries
            .iter()
            .filter(|(k, _)| k.contains(' '))
            .map(|(k, v)| (k.split(' ').map(str::to_owned).collect(), v.clone()))
            .collect();
        phrases.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        Lexicon { entries: e.entries, phrases }
    }
}

impl From<Lexicon> for Entries {
    fn from(l: Lexicon) -> Self {
        Entries { entries: l.entries }
    }
}

/// The most words a key may have.
const MAX_KEY_WORDS: usize = 4;

impl Lexicon {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The words the entries stand for ("you", "fine-tuning").
    pub fn expansions(&self) -> impl Iterator<Item = &str> {
        self.entries.values().map(String::as_str)
    }

    /// What `word` (lowercase) stands for, if the lexicon knows it.
    pub fn get(&self, word: &str) -> Option<&str> {
        self.entries.get(word).map(String::as_str)
    }

    /// Every entry, sorted (for reports and diffs).
    pub fn sorted(&self) -> Vec<(&str, &str)> {
        let mut v: Vec<(&str, &str)> = self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        v.sort();
        v
    }

    /// `text` with every whole word the lexicon knows replaced by what it stands for. A word is a
    /// run of letters, digits and the characters some entries use (`/`, `'`, `&`); case is ignored.
    pub fn expand<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        if self.entries.is_empty() {
            return text.into();
        }
        let mut out = String::new();
        let mut last = 0;
        let mut changed = false;
        let spans: Vec<(usize, usize)> = words(text).collect();
        let mut i = 0;
        while i < spans.len() {
            let (start, end) = spans[i];
            i += 1;
            if let Some((n, replacement)) = self.phrase_at(text, &spans[i - 1..]) {
                let until = spans[i - 1 + n - 1].1;
                out.push_str(&text[last..start]);
                out.push_str(replacement);
                last = until;
                changed = true;
                i += n - 1;
                continue;
            }
            let word = &text[start..end];
            // Most words are short ASCII: lowercased on the stack, not in a new String.
            let mut buf = [0u8; 24];
            let owned;
            let lower: &str = if word.len() <= buf.len() && word.is_ascii() {
                buf[..word.len()].copy_from_slice(word.as_bytes());
                buf[..word.len()].make_ascii_lowercase();
                std::str::from_utf8(&buf[..word.len()]).unwrap_or(word)
            } else {
                owned = word.to_lowercase();
                &owned
            };
            // "w/" is written against the next word ("w/o", "w/ it"), and a trailing "'s" or
            // punctuation belongs to the sentence, not to the word.
            let hit = self.entries.get(lower).map(|v| (v.as_str(), end)).or_else(|| {
                let trimmed = lower.trim_end_matches(['/', '\'', '&']);
                (trimmed.len() < lower.len())
                    .then(|| self.entries.get(trimmed))
                    .flatten()
                    .map(|v| (v.as_str(), end - trailing(word)))
            });
            if let Some((replacement, until)) = hit {
                out.push_str(&text[last..start]);
                out.push_str(replacement);
                last = until;
                changed = true;
            }
        }
        if !changed {
            return text.into();
        }
        out.push_str(&text[last..]);
        out.into()
    }
}

impl Lexicon {
    /// The key of several words that the words at `spans` start with (the longest), as its
    /// number of words and what it stands for.
    fn phrase_at(&self, text: &str, spans: &[(usize, usize)]) -> Option<(usize, &str)> {
        self.phrases
            .iter()
            .find(|(p, _)| {
                p.len() <= spans.len()
                    && p.iter().zip(spans).all(|(w, &(s, e))| text[s..e].eq_ignore_ascii_case(w))
                    // Words of a phrase are next to each other: nothing but spaces between them.
                    && spans.windows(2).take(p.len() - 1).all(|w| text[w[0].1..w[1].0].trim().is_empty())
            })
            .map(|(p, value)| (p.len(), value.as_str()))
    }
}

fn trailing(word: &str) -> usize {
    word.len() - word.trim_end_matches(['/', '\'', '&']).len()
}

/// Byte ranges of the words of `text`: letters and digits, with `/`, `'` and `&` inside or after.
fn words(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while let Some(&(_, c)) = chars.peek() {
            if c.is_alphanumeric() {
                break;
            }
            chars.next();
        }
        let (start, _) = *chars.peek()?;
        let mut end = start;
        while let Some(&(i, c)) = chars.peek() {
            if c.is_alphanumeric() || matches!(c, '/' | '\'' | '&') {
                end = i + c.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        Some((start, end))
    })
}

/// Reads the lexicon; both tables are optional, and so is the file.
pub fn parse(path: &Path, text: &str) -> Result<Lexicon, Vec<Diagnostic>> {
    let mut r = Reader::new(path, text);
    let root = r.parse();
    r.unknown_keys(&root, &["chat", "domain"], "lexicon.toml");
    let mut entries: BTreeMap<String, String> = BTreeMap::new();
    for section in ["chat", "domain"] {
        let Some((_, v)) = get(&root, section) else { continue };
        let Some(t) = r.table(v, section) else { continue };
        for (k, v) in t.iter() {
            let key = k.get_ref().split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
            let Some(value) = r.string(v, &key) else { continue };
            let value = value.trim().to_owned();
            let plain = !key.contains(' ') || key.split(' ').all(|w| words(w).map(|(s, e)| &w[s..e]).eq([w]));
            if key.is_empty() || value.is_empty() || !plain || key.split(' ').count() > MAX_KEY_WORDS {
                r.error(
                    k.span(),
                    format!(
                        "[{section}] `{key}`: a key of one word, or of up to {MAX_KEY_WORDS} plain words, needs a \
                         non-empty replacement"
                    ),
                );
                continue;
            }
            if entries.insert(key.clone(), value).is_some() {
                r.error(k.span(), format!("`{key}` is in the lexicon twice"));
            }
        }
    }
    let d = r.into_diagnostics();
    if d.is_empty() { Ok(Lexicon::from(Entries { entries })) } else { Err(d) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon(text: &str) -> Lexicon {
        parse(Path::new("lexicon.toml"), text).unwrap()
    }

    #[test]
    fn expands_whole_words_only() {
        let l = lexicon("[chat]\nu = \"you\"\n\"w/\" = \"with\"\npls = \"please\"\n[domain]\nft = \"fine-tuning\"\n");
        for (input, want) in [
            ("can u ft w/ the api pls?", "can you fine-tuning with the api please?"),
            ("U ok? use it w/o limits", "you ok? use it w/o limits"),
            ("umbrella fte", "umbrella fte"),
            ("", ""),
        ] {
            assert_eq!(l.expand(input), want, "{input}");
        }
    }

    #[test]
    fn a_key_of_several_words_is_read_whole() {
        let l =
            lexicon("[chat]\n\"i remember\" = \"I think\"\n\"if i remember correctly\" = \"I think\"\nu = \"you\"\n");
        for (input, want) in [
            ("I remember u said batch is half price?", "I think you said batch is half price?"),
            ("If I remember correctly, it was cheaper", "I think, it was cheaper"),
            // Words of a key apart, or a key's word inside another word, are no match.
            ("I, remember", "I, remember"),
            ("I rememberd", "I rememberd"),
            ("does it remember what I said?", "does it remember what I said?"),
        ] {
            assert_eq!(l.expand(input), want, "{input}");
        }
        // A generation stores the entries; the phrases come back from them.
        let stored = serde_json::to_string(&l).unwrap();
        assert!(!stored.contains("phrases"), "{stored}");
        assert_eq!(serde_json::from_str::<Lexicon>(&stored).unwrap(), l);
        let e =
            parse(Path::new("lexicon.toml"), "[chat]\n\"a b c d e\" = \"x\"\n\"gpt-4o pls\" = \"y\"\n").unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
    }

    #[test]
    fn problems_are_named() {
        let e = parse(Path::new("lexicon.toml"), "[chat]\nu = 1\n[slang]\nx = \"y\"\n").unwrap_err();
        let e: Vec<String> = e.iter().map(|d| d.to_string()).collect();
        assert!(e.iter().any(|m| m.starts_with("lexicon.toml:2:")), "{e:?}");
        assert!(e.iter().any(|m| m.starts_with("lexicon.toml:3: unknown key `slang`")), "{e:?}");
    }
}
