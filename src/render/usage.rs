//! `/gaps` and `/stats` reports as short lines, for any renderer ([`Marks`] as for cost estimates).
//! Question text comes from users: renderers escape it, and it is clipped so that a report fits.

use super::cost::Marks;
use crate::analytics::{Health, Stats};
use crate::commands::gaps::GapsReport;

const MAX_EXAMPLE_CHARS: usize = 120;

/// On one line, clipped to `max` characters.
fn clip(s: &str, max: usize) -> String {
    super::cost::clip_to(&s.split_whitespace().collect::<Vec<_>>().join(" "), max)
}

pub fn gaps(r: &GapsReport, m: &Marks) -> String {
    gaps_within(r, m, usize::MAX)
}

/// The gaps report in at most `max` characters (a Discord message's budget): whole groups while
/// they fit, then a line saying how many more there are.
pub fn gaps_within(r: &GapsReport, m: &Marks, max: usize) -> String {
    if r.groups.is_empty() {
        return format!(
            "No coverage gaps in the {}: nothing was declined, unsure or voted down.",
            super::last_days(r.days.into())
        );
    }
    let grouped = if r.grouped < r.questions { format!(" (the latest {} grouped)", r.grouped) } else { String::new() };
    let header = format!(
        "Coverage gaps, {}: {} questions{grouped} in {} groups",
        super::last_days(r.days.into()),
        r.questions,
        r.groups.len() + r.more
    );
    let more_line = |n: usize| format!("… and {n} more groups");
    // Room kept for the closing line, whatever its count.
    let reserve = more_line(r.groups.len() + r.more).chars().count() + 1;
    let mut out = header;
    let mut used = out.chars().count();
    let mut shown = 0;
    for (i, g) in r.groups.iter().enumerate() {
        let block = group_lines(i + 1, g, m);
        let cost = block.chars().count() + 1;
        let last = i + 1 == r.groups.len() && r.more == 0;
        if used + cost + if last { 0 } else { reserve } > max {
            break;
        }
        out.push('\n');
        out.push_str(&block);
        used += cost;
        shown += 1;
    }
    let more = r.groups.len() - shown + r.more;
    if more > 0 {
        out.push('\n');
        out.push_str(&more_line(more));
    }
    out
}

fn group_lines(n: usize, g: &crate::analytics::GapGroup, m: &Marks) -> String {
    let mut how = Vec::new();
    for (count, what) in [(g.declined, "declined"), (g.low_confidence, "unsure"), (g.voted_down, "voted down")] {
        if count > 0 {
            how.push(format!("{count} {what}"));
        }
    }
    match (g.escalated, g.resolved) {
        (0, _) => {}
        (n, 0) => how.push(format!("{n} handed to people")),
        (n, r) => how.push(format!("{n} handed to people, {r} resolved")),
    }
    let about = match (g.terms.is_empty(), &g.example) {
        (false, _) => format!(" about {}", (m.user)(&g.terms.join(", "))),
        (true, Some(_)) => " with no informative words".to_owned(),
        (true, None) => " (question text not kept)".to_owned(),
    };
    let mut lines = vec![format!("{n}. {}{about} ({})", (m.strong)(&format!("{}×", g.count)), how.join(", "))];
    if let Some(e) = &g.example {
        lines.push(format!("   e.g. \"{}\"", (m.user)(&clip(e, MAX_EXAMPLE_CHARS))));
    }
    if let Some(s) = &g.nearest_section {
        lines.push(format!("   nearest section: {}", (m.escape)(s)));
    }
    for c in &g.comments {
        lines.push(format!("   wanted: \"{}\"", (m.user)(&clip(c, MAX_EXAMPLE_CHARS))));
    }
    lines.join("\n")
}

pub fn stats(s: &Stats, m: &Marks) -> String {
    let mut lines = vec![format!(
        "{}: {} answers",
        crate::engine::capitalize(&super::last_days(s.days.into())),
        (m.strong)(&s.answers.to_string())
    )];
    let mut kinds: Vec<(String, u64)> = Vec::new();
    for d in &s.per_day {
        match kinds.iter_mut().find(|(k, _)| *k == d.kind) {
            Some(e) => e.1 += d.count,
            None => kinds.push((d.kind.clone(), d.count)),
        }
    }
    if !kinds.is_empty() {
        let parts: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {}", k.replace('_', " "))).collect();
        lines.push(format!("By kind: {}", parts.join(", ")));
    }
    match s.helpful_ratio {
        Some(r) => lines.push(format!(
            "Helpful: {} ({} 👍, {} 👎)",
            (m.strong)(&format!("{:.0}%", r * 100.0)),
            s.helpful,
            s.unhelpful
        )),
        None => lines.push("Helpful: no votes yet".into()),
    }
    if s.escalated > 0 {
        let open = s.escalated - s.escalations_resolved.min(s.escalated);
        lines.push(format!(
            "Handed to people: {} ({} resolved, {open} open)",
            (m.strong)(&s.escalated.to_string()),
            s.escalations_resolved
        ));
    }
    if let (Some(p50), Some(p99)) = (s.latency_p50_ms, s.latency_p99_ms) {
        lines.push(format!("Latency: p50 {p50:.1} ms, p99 {p99:.1} ms"));
    }
    if !s.top_features.is_empty() {
        let top: Vec<String> =
            s.top_features.iter().take(5).map(|f| format!("{} ({})", (m.escape)(&f.feature), f.count)).collect();
        lines.push(format!("Top features: {}", top.join(", ")));
    }
    lines.push(format!("Database: {}", health(&s.health, m)));
    lines.join("\n")
}

/// The database's health as this process sees it, and what other processes writing to it
/// reported (a host's `productbot stats` shows the serving processes' faults).
pub fn health(h: &Health, m: &Marks) -> String {
    if !h.enabled {
        return "analytics off".into();
    }
    let mut s = if h.open {
        format!("ok ({}; this process)", (m.escape)(&h.database))
    } else {
        format!("NOT RECORDING ({}; this process)", (m.escape)(&h.database))
    };
    if h.write_failures > 0 || h.dropped > 0 {
        s.push_str(&format!("; {} write failures, {} records dropped", h.write_failures, h.dropped));
    }
    if let Some(e) = &h.last_error {
        s.push_str(&format!("; last error: {}", (m.escape)(&clip(e, 160))));
    }
    for w in &h.others {
        let ago = (crate::analytics::now_ms() - w.updated_ms).max(0) / 1000;
        s.push_str(&format!(
            "\nProcess {} reported {} write failures, {} records dropped ({} ago){}",
            (m.escape)(&w.process),
            w.write_failures,
            w.dropped,
            age(ago),
            w.last_error.as_deref().map(|e| format!("; last error: {}", (m.escape)(&clip(e, 160)))).unwrap_or_default()
        ));
    }
    s
}

fn age(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s => format!("{} h", s / 3600),
    }
}
