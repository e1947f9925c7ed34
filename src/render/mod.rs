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

/// The style for standard output: bold where it is a terminal and `NO_COLOR` is not set.
pub fn stdout_style() -> Style {
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    Style { bold: color, ..Style::PLAIN }
}

/// The plain text of an answer, as `--json` carries it in `text`.
pub fn plain(a: &Answer) -> String {
    text::answer(a, Style::PLAIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_a_terminal() {
        assert_eq!(clean("a\u{1b}[2J\u{1b}]0;pwned\u{7}b\u{8}\nc"), "a [2J ]0;pwned b \nc");
        assert!(matches!(clean("plain\ttext"), Cow::Borrowed(_)));
    }
}
