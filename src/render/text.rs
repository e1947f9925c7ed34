//! Plain-text rendering for the CLI, the shell and `--json`'s `text` field.

use std::fmt::Write as _;

use super::clean;
use crate::answer::{Answer, Confidence, Kind, Syntax};
use crate::commands::Reply;
use crate::corpus::{Availability, FeatureTable};
use crate::cost::CostReport;
use crate::engine::list_heading;
use crate::store::ReindexReport;

/// How text may be decorated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// ANSI bold for headlines and highlighted words.
    pub bold: bool,
    /// How suggested commands are written (`/cost model:...` or `productbot cost --model ...`).
    pub syntax: Syntax,
}

impl Style {
    /// Plain text with slash commands: the shell, Discord's plain replies, `--json`'s `text`.
    pub const PLAIN: Style = Style { bold: false, syntax: Syntax::Slash };

    /// The same on the command line: suggestions written as its options.
    pub fn cli(self) -> Style {
        Style { syntax: Syntax::Cli, ..self }
    }

    fn strong(self, s: &str) -> String {
        if self.bold { format!("\u{1b}[1m{s}\u{1b}[0m") } else { s.to_owned() }
    }
}

/// What a caller over the cooldown is told.
pub fn slow_down(wait_secs: u64) -> String {
    format!("Slow down: you can ask again in {wait_secs} s.")
}

/// Any reply, as text.
pub fn reply(r: &Reply, style: Style) -> String {
    match r {
        Reply::Answer(a) => answer(a, style),
        Reply::Features(t) => features(t),
        Reply::Cost(c) => cost(c, style),
        Reply::Reindex(r) => reindex(r),
        Reply::Gaps(g) => super::usage::gaps(g, &marks(style)),
        Reply::Stats(s) => super::usage::stats(s, &marks(style)),
        Reply::Voted { helpful, recorded, .. } => match (recorded, helpful) {
            (false, _) => "Thanks, but analytics are off, so votes are not kept.".into(),
            (true, true) => "Thanks for the feedback 👍".into(),
            (true, false) => "Thanks for the feedback 👎".into(),
        },
        Reply::Remove => "Removed.".into(),
        Reply::Share => "Posted.".into(),
        Reply::HandedOver { already: false, .. } => {
            "Handed to people: the support team has been asked to take a look.".into()
        }
        Reply::HandedOver { already: true, .. } => {
            "The support team has already been asked to take a look here.".into()
        }
        Reply::Resolved { was_handed_over: true } => "Handed back: I'll answer questions here again.".into(),
        Reply::Resolved { was_handed_over: false } => "Nothing here was waiting for people.".into(),
        Reply::SlowDown { wait_secs } => slow_down(*wait_secs),
        Reply::Help { text } => clean(text).into_owned(),
        Reply::Refused { message } | Reply::Error { message } => clean(message).into_owned(),
    }
}

fn marks(style: Style) -> super::cost::Marks<'static> {
    let user = &|s: &str| clean(&super::visible(s)).into_owned();
    if style.bold {
        super::cost::Marks {
            strong: &|s| Style { bold: true, ..Style::PLAIN }.strong(s),
            escape: &|s| clean(s).into_owned(),
            user,
        }
    } else {
        super::cost::Marks { strong: &|s| s.to_owned(), escape: &|s| clean(s).into_owned(), user }
    }
}

/// A cost estimate, its key figures in bold on a terminal.
pub fn cost(c: &CostReport, style: Style) -> String {
    super::cost::lines(c, &marks(style))
}

/// The human answer: it opens with a sentence (the verdict's headline, the quoted sentence that
/// answers, or what a list holds), then the verdicts, the list, cited passages, caveats and a
/// `/cost` suggestion.
pub fn answer(a: &Answer, style: Style) -> String {
    match &a.read_as {
        Some(q) => format!("Reading this as: {}\n{}", clean(q), answer_only(a, style)),
        None => answer_only(a, style),
    }
}

/// The line that closes an answer with a `/cost` suggestion, in the caller's syntax.
fn try_cost(s: &crate::answer::Suggestion, style: Style) -> String {
    format!("For an estimate, try: {}", clean(&s.command(style.syntax)))
}

fn answer_only(a: &Answer, style: Style) -> String {
    if let Some((_, message)) = &a.declined {
        let more = match style.syntax {
            Syntax::Slash => "Try /features or /help.",
            Syntax::Cli => "Try `productbot features` or `productbot --help`.",
        };
        // A price the articles don't give may still be in the price table.
        if let Some(s) = &a.suggestion {
            let estimate = s.sentence().map(|e| format!(" {}", clean(&e))).unwrap_or_default();
            return format!("{}{estimate}\n{}", clean(message), try_cost(s, style));
        }
        return format!("{} {more}", clean(message));
    }
    let mut out = String::with_capacity(512);
    if a.confidence == Confidence::Low {
        out.push_str("I'm not sure I understood; these are the closest passages.\n");
    }
    // A price question without a verdict opens with the figure; otherwise it closes the answer.
    let estimate = a.suggestion.as_ref().and_then(|s| s.sentence());
    let figure_first = a.verdicts.is_empty() && estimate.is_some();
    if let Some(sentence) = estimate.as_ref().filter(|_| figure_first) {
        let _ = writeln!(out, "{}", clean(sentence));
    }
    if let Some(lead) = &a.lead {
        let _ = writeln!(out, "\u{201c}{}\u{201d} [{}]", clean(&lead.sentence), lead.source + 1);
    }
    for (i, v) in a.verdicts.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let values: Vec<String> = v.availability.iter().map(|p| format!("{}: {}", p.short, p.value)).collect();
        let _ = writeln!(out, "{}", style.strong(&clean(&v.headline)));
        // Several articles' notes stand on lines of their own.
        for line in v.note.lines().filter(|l| !l.trim().is_empty()) {
            let _ = writeln!(out, "{}", clean(line));
        }
        let _ = writeln!(out, "{}", clean(&values.join(" · ")));
    }
    if let Some(list) = &a.listing {
        for g in &list.groups {
            let names: Vec<&str> = g.features.iter().map(|f| f.name.as_str()).collect();
            let _ = writeln!(out, "{} ({}):", style.strong(&clean(&list_heading(g))), names.len());
            for f in &g.features {
                let _ = writeln!(out, "- {}", clean(&f.name));
            }
        }
    }
    if !a.sources.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("Sources:\n");
        for (i, s) in a.sources.iter().enumerate() {
            let from = s.title.as_deref().map(|t| format!(" ({})", clean(t))).unwrap_or_default();
            let open = if style.bold { "\u{1b}[1m" } else { "" };
            let close = if style.bold { "\u{1b}[0m" } else { "" };
            let snippet = s.snippet.marked(open, close, |t| clean(t).into_owned());
            let _ = write!(out, "[{}] {}{from}\n    {snippet}\n", i + 1, clean(&s.heading));
        }
    }
    if !a.caveats.is_empty() {
        out.push_str("\nCaveats:\n");
        for c in &a.caveats {
            let _ = writeln!(out, "- {}", clean(&c.text()));
        }
    }
    if let Some(s) = &a.suggestion {
        if let Some(sentence) = estimate.as_ref().filter(|_| !figure_first) {
            let _ = write!(out, "\n{}", clean(sentence));
        }
        let _ = writeln!(out, "\n{}", try_cost(s, style));
    }
    if a.kind == Kind::Search && a.sources.is_empty() {
        out.push_str("Nothing in the corpus matched.");
    }
    out.truncate(out.trim_end().len());
    out
}

/// The feature table: one column per product, in table order.
pub fn features(table: &FeatureTable) -> String {
    let name_w = table.features.iter().map(|f| f.name.chars().count()).max().unwrap_or(7).max(7);
    let widths: Vec<usize> = table.products.iter().map(|p| p.short.chars().count().max(7)).collect();
    let mut s = format!("{:<name_w$}", "Feature");
    for (p, w) in table.products.iter().zip(&widths) {
        let _ = write!(s, "  {:<w$}", clean(&p.short));
    }
    s.truncate(s.trim_end().len());
    s.push('\n');
    for f in &table.features {
        let mut line = format!("{:<name_w$}", clean(&f.name));
        for (a, w) in f.availability.iter().zip(&widths) {
            let shown = if *a == Availability::NotCovered { "-" } else { a.as_str() };
            let _ = write!(line, "  {:<w$}", shown);
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s.push_str("(unknown = the articles don't say");
    if table.features.iter().any(|f| f.availability.contains(&Availability::NotCovered)) {
        s.push_str("; - = no article covers it for that product");
    }
    s.push(')');
    s
}

/// What a re-index did and what changed since the generation before it.
pub fn reindex(r: &ReindexReport) -> String {
    let mut s = format!(
        "Re-indexed {} document(s): {} passages, {} features in {} ms ({}, revision {}){}.\n",
        r.documents,
        r.passages,
        r.features,
        r.build_ms,
        r.generation,
        r.revision,
        if r.coalesced { "; joined a re-index already running" } else { "" }
    );
    let d = &r.diff;
    match &d.previous {
        None => s.push_str("No previous generation to compare with.\n"),
        Some(_) if d.is_empty() => s.push_str("No changes since the previous generation.\n"),
        Some(p) => {
            let _ = writeln!(s, "Changes since {p}:");
            for (label, items) in d.lists() {
                if !items.is_empty() {
                    let _ = writeln!(s, "- {label}: {}", clean(&items.join("; ")));
                }
            }
        }
    }
    if !r.replicas.is_empty() {
        let switched: Vec<&str> = r.replicas.iter().filter_map(|x| x.revision.as_deref()).collect();
        let mut revisions = switched.clone();
        revisions.sort_unstable();
        revisions.dedup();
        let _ = writeln!(
            s,
            "Other replicas: {} of {} switched{}.",
            switched.len(),
            r.replicas.len(),
            if revisions.is_empty() { String::new() } else { format!(" to revision {}", revisions.join(", ")) }
        );
        for x in r.replicas.iter().filter(|x| x.error.is_some()) {
            let _ = writeln!(s, "- {} failed: {}", clean(&x.replica), clean(x.error.as_deref().unwrap_or_default()));
        }
    }
    if let Some(e) = &r.replicas_unreached {
        let _ = writeln!(s, "Other replicas: not reached (database unavailable: {}).", clean(e));
    }
    s.truncate(s.trim_end().len());
    s
}
/// A message with the commands' option names written as command-line flags (`input_tokens` ->
/// `--input-tokens`): the command line's errors name what its user types. Only names with an
/// underscore are rewritten; a one-word name ("model", "text") reads as a plain word too.
pub fn with_cli_flags(message: &str) -> String {
    use crate::commands::cli::long_flag;
    let all: std::collections::HashSet<&str> =
        crate::commands::typed().flat_map(|c| c.options.iter().map(|o| o.name)).collect();
    // Any option name in backticks ("option `text`") is a flag too.
    let mut message = message.to_owned();
    for name in &all {
        message = message.replace(&format!("`{name}`"), &format!("`--{}`", long_flag(name)));
    }
    let names: std::collections::HashSet<&str> = all.into_iter().filter(|n| n.contains('_')).collect();
    let mut out = String::with_capacity(message.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if names.contains(word.as_str()) {
            out.push_str("--");
            out.push_str(&long_flag(word));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in message.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}
