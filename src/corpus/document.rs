//! One document split into passages by heading, so retrieval and citations work on sections rather
//! than whole documents; `[VERIFY]` marks are kept with the clause they qualify.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Section bodies longer than this are split at paragraph boundaries, so a big document still gives
/// passages small enough to rank and quote.
const MAX_PASSAGE_CHARS: usize = 600;

/// A paragraph shorter than this (one short sentence: a lead-in such as "The documentation splits
/// cleanly between the two products.") is no passage of its own: it joins the paragraph after it in
/// its section, past [`MAX_PASSAGE_CHARS`] if need be. Alone it would rank first for any question
/// sharing one of its few words, since BM25 favours short texts.
const MIN_PASSAGE_CHARS: usize = 120;

/// A feature item ("Memory — ...") has a short label before the dash; longer prefixes are prose.
const MAX_ITEM_LABEL_WORDS: usize = 6;
const MAX_ITEM_LABEL_CHARS: usize = 60;

/// The unit of retrieval and citation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passage {
    /// File stem of the document ("openai-api-vs-chatgpt").
    pub doc: String,
    /// The `##` heading the passage sits under; the document title before the first `##`.
    pub section: String,
    /// Heading path shown in citations, e.g. "Features Only in ChatGPT › Memory".
    pub heading: String,
    pub text: String,
    /// `[VERIFY ...]` marks in the text, each with the words it qualifies.
    pub verify: Vec<VerifyMark>,
    /// 1-based line of the document where the passage starts.
    pub line: usize,
    /// Text before the first `##`: its heading is the document's title, which describes the whole
    /// document rather than this passage, so it is not indexed as a title.
    #[serde(default)]
    pub intro: bool,
}

/// A claim the article itself flags as unverified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyMark {
    /// The words before the mark that it qualifies.
    pub claim: String,
    /// The mark's own text, e.g. "current pricing".
    pub what: String,
}

/// A document of the corpus: its id is the file stem, its title the `#` line (or the id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    #[serde(skip)]
    pub path: PathBuf,
    pub title: String,
    pub sections: Vec<String>,
}

/// Splits one Markdown (or plain text) document into passages.
///
/// `#` is the title, `##` a section; deeper headings stay inside their section's heading path.
/// Inside a section, a paragraph shaped "Label — text" is a feature item and becomes its own passage.
pub fn split_document(id: &str, text: &str) -> (Document, Vec<Passage>) {
    let mut title: Option<String> = None;
    let mut sections = Vec::new();
    let mut passages = Vec::new();
    let mut section = String::new();
    let mut subheading: Option<String> = None;
    let mut paragraphs: Vec<(usize, String)> = Vec::new();
    let mut current: Option<(usize, String)> = None;

    let flush_paragraph = |current: &mut Option<(usize, String)>, paragraphs: &mut Vec<(usize, String)>| {
        if let Some(p) = current.take() {
            paragraphs.push(p);
        }
    };

    let lines: Vec<&str> = text.lines().collect();
    let mut blocks: Vec<Block> = Vec::new();
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim_end();
        if let Some((level, heading)) = heading_of(line) {
            flush_paragraph(&mut current, &mut paragraphs);
            blocks.push(Block::Text(std::mem::take(&mut paragraphs)));
            blocks.push(Block::Heading { level, text: heading.to_owned() });
        } else if line.trim().is_empty() {
            flush_paragraph(&mut current, &mut paragraphs);
        } else {
            match &mut current {
                Some((_, p)) => {
                    p.push(' ');
                    p.push_str(line.trim());
                }
                None => current = Some((i + 1, line.trim().to_owned())),
            }
        }
    }
    flush_paragraph(&mut current, &mut paragraphs);
    blocks.push(Block::Text(paragraphs));

    for block in blocks {
        match block {
            Block::Heading { level: 1, text, .. } if title.is_none() => title = Some(text),
            Block::Heading { level, text, .. } if level <= 2 => {
                section = text.clone();
                subheading = None;
                sections.push(text);
            }
            Block::Heading { text, .. } => subheading = Some(text),
            Block::Text(paras) => {
                let sec =
                    if section.is_empty() { title.clone().unwrap_or_else(|| id.to_owned()) } else { section.clone() };
                let base_heading = match &subheading {
                    Some(sub) => format!("{sec} › {sub}"),
                    None => sec.clone(),
                };
                let first = passages.len();
                push_section_passages(id, &sec, &base_heading, paras, &mut passages);
                if section.is_empty() {
                    for p in &mut passages[first..] {
                        p.intro = true;
                    }
                }
            }
        }
    }
    let title = title.unwrap_or_else(|| id.to_owned());
    (Document { id: id.to_owned(), path: PathBuf::new(), title, sections }, passages)
}

enum Block {
    Heading { level: usize, text: String },
    Text(Vec<(usize, String)>),
}

fn heading_of(line: &str) -> Option<(usize, &str)> {
    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    if hashes == 0 || hashes > 6 {
        return None;
    }
    let rest = &line[hashes..];
    if !rest.starts_with(' ') {
        return None;
    }
    let text = rest.trim().trim_end_matches('#').trim();
    (!text.is_empty()).then_some((hashes, text))
}

fn push_section_passages(
    doc: &str,
    section: &str,
    heading: &str,
    paragraphs: Vec<(usize, String)>,
    out: &mut Vec<Passage>,
) {
    let mut chunk: Option<(usize, String)> = None;
    let flush = |chunk: &mut Option<(usize, String)>, out: &mut Vec<Passage>| {
        if let Some((line, text)) = chunk.take() {
            out.push(passage(doc, section, heading.to_owned(), text, line));
        }
    };
    for (line, para) in paragraphs {
        if let Some(label) = item_label(&para) {
            flush(&mut chunk, out);
            out.push(passage(doc, section, format!("{heading} › {label}"), para, line));
            continue;
        }
        match &mut chunk {
            Some((_, text)) if text.len() < MIN_PASSAGE_CHARS || text.len() + para.len() < MAX_PASSAGE_CHARS => {
                text.push_str("\n\n");
                text.push_str(&para);
            }
            _ => {
                flush(&mut chunk, out);
                chunk = Some((line, para));
            }
        }
    }
    flush(&mut chunk, out);
}

fn passage(doc: &str, section: &str, heading: String, text: String, line: usize) -> Passage {
    let verify = verify_marks(&text);
    Passage { doc: doc.to_owned(), section: section.to_owned(), heading, text, verify, line, intro: false }
}

/// The label of a feature item ("Memory" in "Memory — ChatGPT remembers ..."), if the paragraph is one.
pub fn item_label(paragraph: &str) -> Option<&str> {
    let (label, rest) = paragraph.split_once(" — ").or_else(|| paragraph.split_once(" -- "))?;
    let label = label.trim();
    let words = label.split_whitespace().count();
    let ok = words > 0
        && words <= MAX_ITEM_LABEL_WORDS
        && label.chars().count() <= MAX_ITEM_LABEL_CHARS
        && !label.contains(['.', ':', '!', '?'])
        && !rest.trim().is_empty();
    ok.then_some(label)
}

/// `text` without its `[VERIFY ...]` marks (and the space before each), for quoting a claim.
pub fn without_verify_marks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[VERIFY") {
        out.push_str(rest[..start].trim_end());
        rest = rest[start..].find(']').map_or("", |end| &rest[start + end + 1..]);
    }
    out.push_str(rest);
    out
}

/// Finds `[VERIFY ...]` marks and the clause each one qualifies.
pub fn verify_marks(text: &str) -> Vec<VerifyMark> {
    let mut marks = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("[VERIFY").map(|i| i + from) {
        let Some(end) = text[start..].find(']').map(|i| i + start) else { break };
        let what = text[start + "[VERIFY".len()..end].trim().to_owned();
        let before = &text[..start];
        // The claim runs back to the start of its clause: a sentence end (". ", not the point in
        // "$2.50"), an opening bracket, a dash or a semicolon.
        let clause_start = clause_start(before);
        let mut claim = before[clause_start..].trim().trim_end_matches(',').trim();
        if !claim.chars().any(char::is_alphanumeric) {
            // The mark follows a sentence's end ("... billed per search. [VERIFY]"): it qualifies
            // that whole sentence.
            let sentence = before.trim_end().trim_end_matches(['.', '!', '?']);
            claim = sentence[clause_start_of_sentence(sentence)..].trim();
        }
        marks.push(VerifyMark { claim: claim.to_owned(), what });
        from = end + 1;
    }
    marks
}

fn clause_start(before: &str) -> usize {
    let mut start = 0;
    let mut prev: Option<(usize, char)> = None;
    for (i, c) in before.char_indices() {
        if let Some((pi, pc)) = prev {
            let sentence_end = matches!(pc, '.' | '!' | '?') && c.is_whitespace();
            if sentence_end {
                start = pi + pc.len_utf8();
            }
        }
        if matches!(c, '(' | '—' | ';' | '\n') {
            start = i + c.len_utf8();
        }
        prev = Some((i, c));
    }
    start
}

/// Where the sentence ending `text` starts: after the previous sentence's end, or a line break.
fn clause_start_of_sentence(text: &str) -> usize {
    let mut start = 0;
    let mut prev: Option<(usize, char)> = None;
    for (i, c) in text.char_indices() {
        if let Some((pi, pc)) = prev
            && matches!(pc, '.' | '!' | '?')
            && c.is_whitespace()
        {
            start = pi + pc.len_utf8();
        }
        if c == '\n' {
            start = i + 1;
        }
        prev = Some((i, c));
    }
    start
}

impl fmt::Display for VerifyMark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.what.is_empty() {
            write!(f, "\"{}\"", self.claim)
        } else if self.claim.is_empty() {
            write!(f, "[VERIFY {}]", self.what)
        } else {
            write!(f, "\"{}\" (marked [VERIFY {}])", self.claim, self.what)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# Title\n\nIntro text.\n\n## Features Only in ChatGPT\n\nMemory — ChatGPT remembers facts. The API has no equivalent.\n\nCanvas — The collaborative editor.\n\n## Pricing\n\nPlus ($20/month, recently raised to $25 [VERIFY current pricing]) gives access.\n";

    #[test]
    fn splits_sections_and_feature_items() {
        let (doc, ps) = split_document("a", SAMPLE);
        assert_eq!(doc.title, "Title");
        assert_eq!(doc.sections, ["Features Only in ChatGPT", "Pricing"]);
        let headings: Vec<_> = ps.iter().map(|p| p.heading.as_str()).collect();
        assert_eq!(
            headings,
            ["Title", "Features Only in ChatGPT › Memory", "Features Only in ChatGPT › Canvas", "Pricing"]
        );
        assert_eq!(ps[0].section, "Title");
        assert_eq!(ps[1].section, "Features Only in ChatGPT");
        assert_eq!(ps[1].line, 7);
    }

    #[test]
    fn finds_verify_marks_with_their_claim() {
        let (_, ps) = split_document("a", SAMPLE);
        let marks = &ps[3].verify;
        assert_eq!(marks.len(), 1);
        assert_eq!(marks[0].claim, "$20/month, recently raised to $25");
        assert_eq!(marks[0].what, "current pricing");
        let m = verify_marks(
            "API pricing is per-token. GPT-4o input tokens cost around $2.50 per million [VERIFY current pricing].",
        );
        assert_eq!(m[0].claim, "GPT-4o input tokens cost around $2.50 per million");
    }

    #[test]
    fn a_verify_mark_after_a_sentence_qualifies_that_sentence() {
        let m = verify_marks(
            "The API has a web search tool. It is billed per search. [VERIFY pricing] Results carry citations.",
        );
        assert_eq!((m[0].claim.as_str(), m[0].what.as_str()), ("It is billed per search", "pricing"));
        // At a paragraph's end, after "!" or "?", and with no text of its own.
        let m = verify_marks("Plans changed.\nRetention grew to five years! [VERIFY]");
        assert_eq!(m[0].claim, "Retention grew to five years");
        assert_eq!(m[0].to_string(), "\"Retention grew to five years\"");
        let m = verify_marks("Costs rose (a lot). [VERIFY] Then fell.");
        assert_eq!(m[0].claim, "Costs rose (a lot)");
        // A mark inside a sentence still qualifies its clause, and a mark with nothing before it
        // has no claim rather than a made-up one.
        let m = verify_marks("Batches finish in a day, usually within hours [VERIFY]. Next.");
        assert_eq!(m[0].claim, "Batches finish in a day, usually within hours");
        let m = &verify_marks("[VERIFY all prices]")[0];
        assert_eq!((m.claim.as_str(), m.to_string().as_str()), ("", "[VERIFY all prices]"));
    }

    #[test]
    fn quoting_a_claim_leaves_its_verify_marks_out() {
        assert_eq!(
            without_verify_marks("It has no penalties, and settings vary [VERIFY]."),
            "It has no penalties, and settings vary."
        );
        assert_eq!(without_verify_marks("Plus ($20 [VERIFY current pricing]) and more"), "Plus ($20) and more");
        assert_eq!(without_verify_marks("unclosed [VERIFY mark"), "unclosed");
        assert_eq!(without_verify_marks("no marks"), "no marks");
    }

    #[test]
    fn long_prose_with_a_dash_is_not_an_item() {
        assert_eq!(item_label("And the people who use both regularly understand something — these are"), None);
        assert_eq!(item_label("System prompts (raw) — ChatGPT has Custom Instructions"), Some("System prompts (raw)"));
    }

    #[test]
    fn plain_text_without_headings_is_one_section() {
        let (doc, ps) = split_document("notes", "just some text\nover two lines\n");
        assert_eq!(doc.title, "notes");
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].text, "just some text over two lines");
    }

    #[test]
    fn a_one_sentence_lead_in_joins_the_paragraph_after_it() {
        let para = "word ".repeat(110);
        let text = format!("## S\n\nThe docs split cleanly.\n\n{para}\n\n{para}\n\n## T\n\nAlone here.\n");
        let (_, ps) = split_document("d", &text);
        assert_eq!(ps.len(), 3, "{ps:#?}");
        assert!(ps[0].text.starts_with("The docs split cleanly.\n\nword"), "{}", ps[0].text);
        assert_eq!(ps[2].text, "Alone here.");
    }

    #[test]
    fn long_sections_are_chunked_by_paragraph() {
        let para = "word ".repeat(100);
        let text = format!("## S\n\n{para}\n\n{para}\n\n{para}\n");
        let (_, ps) = split_document("d", &text);
        assert!(ps.len() >= 2, "{}", ps.len());
        assert!(ps.iter().all(|p| p.section == "S"));
    }
}
