//! Counts tokens the way OpenAI bills them, with the tiktoken vocabulary each model uses,
//! so a pasted prompt can be priced without the user knowing its token count.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use tiktoken_rs::CoreBPE;

use super::CostError;

/// Longest text accepted for counting. tiktoken's regex splitter panics (fancy-regex stack
/// limit) on whitespace runs around 1 MB and BPE time grows with run length; 200 KB stays
/// well clear of both and is far more than a Discord message or a typical prompt.
pub const MAX_TEXT_BYTES: usize = 200_000;

/// The BPE vocabularies the price table may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Tokenizer {
    #[serde(rename = "o200k_base")]
    O200kBase,
    #[serde(rename = "cl100k_base")]
    Cl100kBase,
}

impl Tokenizer {
    pub const ALL: [Tokenizer; 2] = [Tokenizer::O200kBase, Tokenizer::Cl100kBase];

    pub fn as_str(self) -> &'static str {
        match self {
            Tokenizer::O200kBase => "o200k_base",
            Tokenizer::Cl100kBase => "cl100k_base",
        }
    }
}

impl fmt::Display for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tokenizer {
    type Err = CostError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Tokenizer::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| CostError::UnknownTokenizer { given: wanted.to_string() })
    }
}

// Building a CoreBPE parses a ~200k-entry vocabulary (tens of milliseconds), so each is built
// once per process. A load failure is kept as text rather than unwrapped so that a broken
// vocabulary turns into an error answer instead of taking the bot down.
static O200K: LazyLock<Result<CoreBPE, String>> =
    LazyLock::new(|| tiktoken_rs::o200k_base().map_err(|e| e.to_string()));
static CL100K: LazyLock<Result<CoreBPE, String>> =
    LazyLock::new(|| tiktoken_rs::cl100k_base().map_err(|e| e.to_string()));

fn bpe(tokenizer: Tokenizer) -> Result<&'static CoreBPE, CostError> {
    let loaded = match tokenizer {
        Tokenizer::O200kBase => &*O200K,
        Tokenizer::Cl100kBase => &*CL100K,
    };
    loaded.as_ref().map_err(|e| CostError::Tokenizer { reason: format!("cannot load {tokenizer}: {e}") })
}

/// Counts the tokens of `text` with `tokenizer`.
///
/// Returns a `Result` rather than a bare count because the input is user-supplied: over
/// [`MAX_TEXT_BYTES`] it is refused, and a tokenizer failure is reported instead of guessed.
pub fn count_tokens(tokenizer: Tokenizer, text: &str) -> Result<usize, CostError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(CostError::TooLarge { option: "text", limit: MAX_TEXT_BYTES as u64, unit: " bytes" });
    }
    if text.is_empty() {
        return Ok(0);
    }
    let bpe = bpe(tokenizer)?;
    // Ordinary encoding treats look-alikes of special tokens ("<|endoftext|>") as plain text,
    // which is what they are inside a user's prompt. The unwind guard is a second line of
    // defence behind the size cap: tiktoken unwraps regex errors internally.
    catch_unwind(AssertUnwindSafe(|| bpe.encode_ordinary(text).len()))
        .map_err(|_| CostError::Tokenizer { reason: format!("{tokenizer} could not split this text") })
}

/// Loads both vocabularies now, so the first user question does not pay for it.
pub fn warm_up() -> Result<(), CostError> {
    for t in Tokenizer::ALL {
        bpe(t)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(tokenizer: Tokenizer, text: &str) -> usize {
        let bpe = match tokenizer {
            Tokenizer::O200kBase => tiktoken_rs::o200k_base(),
            Tokenizer::Cl100kBase => tiktoken_rs::cl100k_base(),
        }
        .expect("vocabulary loads");
        bpe.encode_with_special_tokens(text).len()
    }

    #[test]
    fn hello_world_is_two_tokens_in_both_vocabularies() {
        for t in Tokenizer::ALL {
            assert_eq!(count_tokens(t, "hello world"), Ok(2), "{t}");
            assert_eq!(reference(t, "hello world"), 2, "{t}");
        }
    }

    #[test]
    fn longer_text_matches_tiktoken_directly() {
        let samples = [
            "How much does GPT-4o cost per million tokens compared with ChatGPT Plus?",
            "The quick brown fox jumps over the lazy dog. 1234567890 !!! ???",
            "Ünïcödé, emoji 🚀🚀 and CJK 日本語のテキスト\n\n  indented\tline",
        ];
        for t in Tokenizer::ALL {
            for s in samples {
                let ours = count_tokens(t, s).expect("counts");
                assert_eq!(ours, reference(t, s), "{t}: {s}");
                assert!(ours > 5, "{t}: {s} -> {ours}");
            }
        }
        // The vocabularies really differ, so the model's tokenizer choice matters.
        let s = samples[2];
        assert_ne!(count_tokens(Tokenizer::O200kBase, s), count_tokens(Tokenizer::Cl100kBase, s));
    }

    #[test]
    fn empty_text_is_zero_tokens() {
        for t in Tokenizer::ALL {
            assert_eq!(count_tokens(t, ""), Ok(0));
        }
    }

    #[test]
    fn special_token_text_counts_as_plain_text() {
        let n = count_tokens(Tokenizer::O200kBase, "<|endoftext|>").expect("counts");
        assert!(n > 1, "{n}");
    }

    #[test]
    fn oversized_text_is_refused_not_panicked_on() {
        let big = " ".repeat(MAX_TEXT_BYTES + 1);
        let err = count_tokens(Tokenizer::O200kBase, &big).unwrap_err();
        assert_eq!(err.to_string(), "text must be at most 200,000 bytes");
    }

    #[test]
    fn worst_case_text_at_the_cap_counts() {
        // A single whitespace run is tiktoken's slowest and most stack-hungry input.
        let spaces = format!("{}a", " ".repeat(MAX_TEXT_BYTES - 1));
        for t in Tokenizer::ALL {
            assert!(count_tokens(t, &spaces).expect("counts") > 0);
        }
    }

    #[test]
    fn tokenizer_names_parse() {
        assert_eq!("o200k_base".parse(), Ok(Tokenizer::O200kBase));
        assert_eq!(" CL100K_BASE ".parse(), Ok(Tokenizer::Cl100kBase));
        assert_eq!(
            "p50k_base".parse::<Tokenizer>().unwrap_err().to_string(),
            "unknown tokenizer `p50k_base`: use o200k_base or cl100k_base"
        );
        assert!(warm_up().is_ok());
    }
}
