//! Problems found in corpus files, each named by file and line, all of them at once: an admin fixes
//! a file in one pass instead of one error per re-index. Also the small TOML reader that the table
//! and lexicon loaders share, which records a problem and carries on instead of stopping.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One problem: `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
    }
}

/// Every problem of one load, in file and line order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl Diagnostics {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        self.0.dedup();
    }
}

/// The closest of `candidates` to `given`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let given = given.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::normalized_damerau_levenshtein(&given, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// " (did you mean `x`?)" or nothing.
pub fn suggestion<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(given, candidates).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default()
}

/// Reads one TOML file, recording every problem with its line.
pub struct Reader<'t> {
    path: PathBuf,
    text: &'t str,
    /// Byte offset of each line's start, for line numbers in O(log n).
    line_starts: Vec<usize>,
    pub diagnostics: Vec<Diagnostic>,
}

pub type Table<'t> = DeTable<'t>;
pub type Value<'t> = Spanned<DeValue<'t>>;

impl<'t> Reader<'t> {
    pub fn new(path: &Path, text: &'t str) -> Self {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Reader { path: path.to_owned(), text, line_starts, diagnostics: Vec::new() }
    }

    /// Parses the file, recovering from syntax errors where the parser can. The line of a `token`
    /// key is never quoted back: a secret pasted there must not end up in a log.
    pub fn parse(&mut self) -> Table<'t> {
        let (table, errors) = DeTable::parse_recoverable(self.text);
        for e in errors {
            let line = e.span().map_or(1, |s| self.line_of(s.start));
            self.diagnostics.push(Diagnostic { path: self.path.clone(), line, message: syntax_message(&e) });
        }
        table.into_inner()
    }

    pub fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.line_starts.partition_point(|&start| start <= end)
    }

    /// Records a problem at `span`'s line.
    pub fn error(&mut self, span: std::ops::Range<usize>, message: impl Into<String>) {
        let line = self.line_of(span.start);
        self.diagnostics.push(Diagnostic { path: self.path.clone(), line, message: message.into() });
    }

    /// Records every key of `table` that is not in `known`, with the closest known one.
    pub fn unknown_keys(&mut self, table: &Table<'_>, known: &[&str], what: &str) {
        for (k, _) in table.iter() {
            if !known.contains(&k.get_ref().as_ref()) {
                let hint = suggestion(k.get_ref(), known.iter().copied());
                self.error(k.span(), format!("unknown key `{}` in {what}{hint}", k.get_ref()));
            }
        }
    }

    /// A string value, or a recorded problem.
    pub fn string(&mut self, v: &Value<'_>, key: &str) -> Option<String> {
        match v.get_ref().as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                self.error(v.span(), format!("`{key}` must be a string, not {}", v.get_ref().type_str()));
                None
            }
        }
    }

    /// An array of strings (each element checked), or a recorded problem.
    pub fn strings(&mut self, v: &Value<'_>, key: &str) -> Option<Vec<String>> {
        let Some(items) = v.get_ref().as_array() else {
            self.error(v.span(), format!("`{key}` must be an array of strings, not {}", v.get_ref().type_str()));
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            match item.get_ref().as_str() {
                Some(s) => out.push(s.to_owned()),
                None => {
                    self.error(item.span(), format!("`{key}` must hold strings; found {}", item.get_ref().type_str()))
                }
            }
        }
        Some(out)
    }

    /// A table value, or a recorded problem.
    pub fn table<'v, 'x>(&mut self, v: &'v Value<'x>, key: &str) -> Option<&'v Table<'x>> {
        match v.get_ref().as_table() {
            Some(t) => Some(t),
            None => {
                self.error(v.span(), format!("`{key}` must be a table, not {}", v.get_ref().type_str()));
                None
            }
        }
    }

    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }
}

/// The value under `key`, with its key's span.
pub fn get<'a, 't>(table: &'a Table<'t>, key: &str) -> Option<(&'a Spanned<Cow<'t, str>>, &'a Value<'t>)> {
    table.iter().find(|(k, _)| k.get_ref() == key)
}

fn syntax_message(e: &toml::de::Error) -> String {
    let m = e.message().trim();
    // The parser's message is the useful part; the rendered excerpt would quote the line.
    let m = m.lines().next().unwrap_or(m);
    format!("TOML syntax: {m}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_picks_a_close_name_only() {
        assert_eq!(
            did_you_mean("Featurs Only in ChatGPT", ["Pricing", "Features Only in ChatGPT"]),
            Some("Features Only in ChatGPT")
        );
        assert_eq!(did_you_mean("zzz", ["Pricing", "Memory"]), None);
    }

    #[test]
    fn every_syntax_error_names_its_line_and_never_quotes_it() {
        let text = "a = 1\ntoken = \"MTIz.abc.SECRETVAL\nb = [\n";
        let mut r = Reader::new(Path::new("f.toml"), text);
        r.parse();
        let shown: Vec<String> = r.diagnostics.iter().map(|d| d.to_string()).collect();
        assert!(!shown.is_empty());
        assert!(shown.iter().all(|s| s.starts_with("f.toml:") && !s.contains("SECRETVAL")), "{shown:?}");
    }
}
