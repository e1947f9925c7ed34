//! `[scope] others` checked against the corpus: a vendor listed there that names one of the
//! table's products (is one of its `words`) or runs through an article (its title's words, or in
//! most of the article's passages) would have every question about that product or article refused,
//! so it is an error naming the file and line, reported with every other problem.

use std::collections::HashMap;
use std::path::Path;

use super::diag::Diagnostic;
use super::document::{Document, Passage};
use super::table::FeatureTable;
use crate::text;

/// An article needs this many passages before a word "runs through" it by being in most of them.
const MIN_SUBJECT_PASSAGES: usize = 6;

/// How words name what an article is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// Every one of them is in its title.
    Title,
    /// Every one of them is in more than half of its passages (the least spread one in `least`),
    /// and it has at least [`MIN_SUBJECT_PASSAGES`].
    Passages { least: usize },
}

/// Whether `stems` name the subject of an article with these title stems, `passages` passages and
/// `df` (in how many passages a stem is), and how. One rule for the engine (an alias of the
/// subject's words is ignored) and for this check (such a vendor in `others` is an error).
pub fn subject<S: AsRef<str>>(
    stems: &[S],
    title: &[String],
    passages: usize,
    df: impl Fn(&str) -> usize,
) -> Option<Subject> {
    if stems.iter().all(|s| title.iter().any(|w| w == s.as_ref())) {
        return Some(Subject::Title);
    }
    let least = stems.iter().map(|s| df(s.as_ref())).min().unwrap_or(0);
    (passages >= MIN_SUBJECT_PASSAGES && least * 2 > passages).then_some(Subject::Passages { least })
}

/// An article's title stems, its passage count, and in how many passages each stem is.
type Spread = (Vec<String>, usize, HashMap<String, usize>);

/// Every `others` entry of the table file `text` that names a product or an article's subject, at
/// its line.
pub fn check(
    path: &Path,
    text: &str,
    table: &FeatureTable,
    docs: &[Document],
    passages: &[Passage],
) -> Vec<Diagnostic> {
    if table.others.is_empty() {
        return Vec::new();
    }
    let mut analyzer = text::word_analyzer();
    let mut stems = |s: &str| -> Vec<String> { text::words(&mut analyzer, s).into_iter().map(|w| w.stem).collect() };
    // The entries this file lists (`others` is merged over every table file; each is reported in
    // the file that has it).
    let own = text.to_lowercase();
    let others: Vec<(&str, Vec<String>)> = table
        .others
        .iter()
        .filter(|o| own.contains(&format!("\"{o}\"")))
        .map(|o| (o.as_str(), stems(o)))
        .filter(|(_, s)| !s.is_empty())
        .collect();
    let product_words: Vec<(&str, &str, Vec<String>)> = table
        .products
        .iter()
        .flat_map(|p| p.words.iter().map(move |w| (p.id.as_str(), w.as_str())))
        .map(|(id, w)| (id, w, stems(w)))
        .collect();
    // Per article: its title's stems, its passage count, and in how many passages each stem is
    // (only the stems some entry has are counted).
    let wanted: std::collections::HashSet<&str> =
        others.iter().flat_map(|(_, s)| s.iter().map(String::as_str)).collect();
    let mut per_doc: HashMap<&str, Spread> =
        docs.iter().map(|d| (d.id.as_str(), (stems(&d.title), 0, HashMap::new()))).collect();
    for p in passages {
        let Some((_, n, df)) = per_doc.get_mut(p.doc.as_str()) else { continue };
        *n += 1;
        let mut seen: Vec<String> = stems(&p.text).into_iter().filter(|s| wanted.contains(s.as_str())).collect();
        seen.sort();
        seen.dedup();
        for s in seen {
            *df.entry(s).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for (o, o_stems) in &others {
        let problem = if let Some((id, w, _)) = product_words.iter().find(|(_, _, s)| s == o_stems) {
            Some(format!(
                "`{o}` in [scope] others is also a word of product `{id}` (`{w}`): a question naming that product would be refused as another vendor's; remove it from `others`"
            ))
        } else {
            docs.iter().find_map(|d| {
                let (title, n, df) = per_doc.get(d.id.as_str())?;
                let why = match subject(o_stems, title, *n, |s| df.get(s).copied().unwrap_or(0))? {
                    Subject::Title => format!("its title is \u{201c}{}\u{201d}", d.title),
                    Subject::Passages { least } => format!("it is in {least} of its {n} passages"),
                };
                Some(format!(
                    "`{o}` in [scope] others is what the article `{}` is about ({why}): questions about that article would be refused as another vendor's; remove it from `others`",
                    d.id
                ))
            })
        };
        if let Some(message) = problem {
            out.push(Diagnostic { path: path.to_owned(), line: line_of(text, o), message });
        }
    }
    out
}

/// The line of `"entry"` in the `others` list (the first after the line that starts it).
fn line_of(text: &str, entry: &str) -> usize {
    let start = text.lines().position(|l| l.trim_start().starts_with("others")).unwrap_or(0);
    let needle = format!("\"{entry}\"");
    text.lines()
        .enumerate()
        .skip(start)
        .find(|(_, l)| l.to_lowercase().contains(&needle))
        .map_or(start + 1, |(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::document::split_document;

    #[test]
    fn a_vendor_that_names_a_product_or_an_article_is_an_error_at_its_line() {
        let (a, mut passages) = split_document("a", "# Acme Chat vs. the Acme API\n\n## One\n\nAcme text.\n");
        let (b, pb) = split_document(
            "b",
            "# Two Products Compared\n\n## S1\n\nGlobex p1.\n\n## S2\n\nGlobex p2.\n\n## S3\n\nGlobex p3.\n\n## S4\n\nGlobex p4.\n\n## S5\n\nGlobex p5.\n\n## S6\n\nNone here.\n",
        );
        passages.extend(pb);
        let text = "[products.x]\nname = \"X\"\nwords = [\"initech\"]\n[scope]\nothers = [\"gemini\",\n  \"acme\", \"globex\",\n  \"initechs\"]\n";
        let table = FeatureTable {
            products: vec![crate::corpus::Product {
                id: "x".into(),
                name: "X".into(),
                short: "X".into(),
                words: vec!["initech".into()],
                vendor: String::new(),
                plural: false,
                plans: vec![],
            }],
            others: vec!["gemini".into(), "acme".into(), "globex".into(), "initechs".into()],
            ..FeatureTable::default()
        };
        let d: Vec<String> =
            check(Path::new("features.toml"), text, &table, &[a, b], &passages).iter().map(|d| d.to_string()).collect();
        assert_eq!(
            d,
            [
                "features.toml:6: `acme` in [scope] others is what the article `a` is about (its title is \u{201c}Acme Chat vs. the Acme API\u{201d}): questions about that article would be refused as another vendor's; remove it from `others`",
                "features.toml:6: `globex` in [scope] others is what the article `b` is about (it is in 5 of its 6 passages): questions about that article would be refused as another vendor's; remove it from `others`",
                "features.toml:7: `initechs` in [scope] others is also a word of product `x` (`initech`): a question naming that product would be refused as another vendor's; remove it from `others`",
            ]
        );
    }
}
