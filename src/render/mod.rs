//! Rendering at the edge for terminals and JSON: the core returns plain data ([`Answer`], reports)
//! and these functions decide how it looks. Discord's renderer sits beside this one in
//! `discord::render`.
//!
//! Terminal text is bold with ANSI escapes only on a terminal that wants colour (`NO_COLOR` unset),
//! and never carries a control character from a question or a corpus file: those are shown as
//! spaces, so text cannot clear a screen or retitle a window.

pub mod cost;
pub mod json;
pub mod text;
pub mod usage;

use std::borrow::Cow;
use std::io::IsTerminal;

pub use text::Style;

use crate::answer::Answer;

/// Control characters (escape, backspace, bell...) as spaces; newlines and tabs stay.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(|c| if c.is_control() && c != '\n' && c != '\t' { ' ' } else { c }).collect())
}

/// Whether `c` changes how text around it is shown without being seen itself: bidirectional
/// controls (a right-to-left override makes "gpj.exe" read as "exe.jpg") and zero-width characters.
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// User text without invisible characters ([`is_invisible`]), as admins' reports show it.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_invisible) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().filter(|c| !is_invisible(*c)).collect())
}

/// Whether a word of user text is a link a chat client would make clickable.
pub fn is_link(word: &str) -> bool {
    let w = word.trim_start_matches(['(', '"', '\'', '<']).to_ascii_lowercase();
    w.contains("://") || w.starts_with("www.")
}

/// The style for standard output: bold where it is a terminal and `NO_COLOR` is not set.
pub fn stdout_style() -> Style {
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    Style { bold: color, ..Style::PLAIN }
}

/// The plain text of an answer, as `--json` carries it in `text`.
pub fn plain(a: &Answer) -> String {
    text::answer(a, Style::PLAIN)
}

/// "last day" or "last 7 days".
pub fn last_days(days: u64) -> String {
    if days == 1 { "last day".to_owned() } else { format!("last {days} days") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_are_dropped_from_user_text() {
        assert_eq!(visible("abc\u{202E}gpj.exe\u{200B}\u{2066}x\u{FEFF}"), "abcgpj.exex");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
        assert!(is_link("https://x.example/a") && is_link("(www.x.example") && !is_link("x.example"));
    }

    #[test]
    fn control_characters_never_reach_a_terminal() {
        assert_eq!(clean("a\u{1b}[2J\u{1b}]0;pwned\u{7}b\u{8}\nc"), "a [2J ]0;pwned b \nc");
        assert!(matches!(clean("plain\ttext"), Cow::Borrowed(_)));
    }
}
