//! Snippets: the fragment of a passage with the most highlighted weight, as tantivy's
//! `SnippetGenerator` would choose it, over precomputed [`Tokens`].

use std::ops::Range;

use super::{SearchIndex, Stats, Tokens};

impl SearchIndex {
    /// The weighted terms to highlight in passage bodies: `terms` (analyzed) that occur in the index,
    /// without repeats; rarer terms weigh more when choosing the fragment.
    pub fn highlight_weights(&self, stats: &Stats, terms: &[String]) -> Vec<(u32, f32)> {
        let mut weights: Vec<(u32, f32)> = Vec::new();
        for t in terms {
            let Some(id) = self.term_id(t) else { continue };
            if weights.iter().any(|&(w, _)| w == id) {
                continue;
            }
            let df = self.doc_freq(stats, t);
            weights.push((id, 1.0 / (1.0 + df as f32)));
        }
        weights
    }
}

/// Chooses and renders the fragment of a passage with the most highlighted weight, by the rules of
/// tantivy's `SnippetGenerator` (greedy windows of at most `max_chars` bytes, highest weight,
/// earliest on ties), over precomputed [`Tokens`]. Windows are measured on the whitespace-collapsed
/// text that is shown, so a passage with paragraph breaks gets as much text as one without.
pub struct Highlighter {
    /// (term number, weight), a question's few terms.
    weights: Vec<(u32, f32)>,
    max_chars: usize,
}

struct Fragment {
    score: f32,
    start: usize,
    stop: usize,
    highlighted: Vec<Range<usize>>,
}

impl Highlighter {
    /// A highlighter for (term number, weight) pairs (see [`SearchIndex::highlight_weights`]),
    /// fragments of at most `max_chars` bytes.
    pub fn new(weights: Vec<(u32, f32)>, max_chars: usize) -> Self {
        Highlighter { weights, max_chars }
    }

    /// The snippet of a passage (given by its tokens) and the byte ranges of its matched words; the
    /// passage's opening, with nothing highlighted, when no term occurs in it.
    pub fn snippet(&self, tokens: &Tokens) -> (String, Vec<Range<usize>>) {
        let text = &*tokens.display;
        // Weight of each passage term (0 for terms not highlighted).
        let mut weight = vec![0.0f32; tokens.terms.len()];
        for &(term, w) in &self.weights {
            if let Some(i) = tokens.local(term) {
                weight[i as usize] = w;
            }
        }
        // tantivy's search_fragments + select_best_fragment_combination: greedy windows of at most
        // max_chars bytes; the highest score wins, the earliest on ties.
        let mut best: Option<Fragment> = None;
        let mut cur = Fragment { score: 0.0, start: 0, stop: 0, highlighted: Vec::new() };
        let consider = |f: Fragment, best: &mut Option<Fragment>| {
            if f.score > 0.0 && best.as_ref().is_none_or(|b| f.score > b.score) {
                *best = Some(f);
            }
        };
        for t in &tokens.tokens {
            let (from, to) = (t.range.start as usize, t.range.end as usize);
            if to - cur.start > self.max_chars {
                let next = Fragment { score: 0.0, start: from, stop: from, highlighted: Vec::new() };
                consider(std::mem::replace(&mut cur, next), &mut best);
            }
            cur.stop = to;
            let w = weight[t.term as usize];
            if w > 0.0 {
                cur.score += w;
                cur.highlighted.push(from..to);
            }
        }
        consider(cur, &mut best);
        match best {
            Some(f) => {
                let highlighted: Vec<Range<usize>> =
                    f.highlighted.iter().map(|r| r.start - f.start..r.end - f.start).collect();
                render_fragment(text, f.start..f.stop, &highlighted)
            }
            None => (truncate_words(text, self.max_chars), Vec::new()),
        }
    }
}

/// `text[range]` (text whose whitespace is already collapsed, see `Tokens::display`) with `…` where
/// the passage goes on before or after it, and the `highlighted` ranges (relative to the fragment)
/// moved to where they fall in it.
fn render_fragment(text: &str, range: Range<usize>, highlighted: &[Range<usize>]) -> (String, Vec<Range<usize>>) {
    // tantivy ends fragments at the last token; keep the punctuation that closes it.
    let rest = text.get(range.end..).unwrap_or("");
    let tail = rest.find(|c: char| c.is_whitespace() || c.is_alphanumeric()).unwrap_or(rest.len());
    let end = range.end + tail;
    let fragment = &text[range.start..end];
    let mut out = String::with_capacity(fragment.len() + 6);
    if text[..range.start].chars().any(char::is_alphanumeric) {
        out.push('…');
    }
    let shift = out.len();
    let mut ranges = Vec::with_capacity(highlighted.len());
    let mut at = 0;
    for r in highlighted {
        if r.start < at || r.end > range.end - range.start {
            continue;
        }
        ranges.push(r.start + shift..r.end + shift);
        at = r.end;
    }
    out.push_str(fragment);
    if text[end..].chars().any(char::is_alphanumeric) {
        out.push('…');
    }
    (out, ranges)
}

/// The first `max_chars` characters of `text`, cut at a word boundary.
pub fn truncate_words(text: &str, max_chars: usize) -> String {
    let text = &text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':']))
}
#[cfg(test)]
mod tests {
    use super::super::test_support::idx;
    use super::super::tokens::push_collapsed;
    use super::super::*;
    use super::*;

    /// A snippet with its highlights in `**bold**`, as the tests compare it.
    fn bold((text, ranges): (String, Vec<Range<usize>>)) -> String {
        crate::answer::Snippet { text, highlights: ranges }.marked("**", "**", str::to_owned)
    }

    #[test]
    fn snippet_highlights_matches() {
        let (i, ps) = idx();
        let searcher = i.searcher();
        let s = Stats::new(&searcher);
        let r = i.query(&s, &["cost".to_owned()], &[]);
        let g = Highlighter::new(i.highlight_weights(&s, &["cost".to_owned()]), 150);
        let pid = i.search(&s, &r, 1).unwrap()[0].pid;
        let text = &ps[pid].text;
        assert_eq!(bold(g.snippet(&i.tokens(&mut i.analyzer(), text))), "Tokens **cost** money per million.");
    }

    /// The straightforward rendering (collect words, join) that `render_fragment` must equal.
    fn reference_fragment(text: &str, range: Range<usize>, highlighted: &[Range<usize>]) -> String {
        let fragment = &text[range.clone()];
        let mut out = String::new();
        let mut at = 0;
        for r in highlighted {
            if r.start < at || r.end > fragment.len() {
                continue;
            }
            out.push_str(&fragment[at..r.start]);
            out.push_str("**");
            out.push_str(&fragment[r.start..r.end]);
            out.push_str("**");
            at = r.end;
        }
        out.push_str(&fragment[at..]);
        let tail: String =
            text[range.end..].chars().take_while(|c| !c.is_whitespace() && !c.is_alphanumeric()).collect();
        out.push_str(&tail);
        let end = range.end + tail.len();
        let mut s = String::new();
        if text[..range.start].chars().any(char::is_alphanumeric) {
            s.push('…');
        }
        s.push_str(&out.split_whitespace().collect::<Vec<_>>().join(" "));
        if text[end..].chars().any(char::is_alphanumeric) {
            s.push('…');
        }
        s
    }

    proptest::proptest! {
        #[test]
        fn fragments_render_as_the_reference(raw in "[a-z …\\n.,!\t]{0,60}", a in 0usize..60, b in 0usize..60, marks in proptest::collection::vec((0usize..60, 0usize..5), 0..4)) {
            // As in use: whitespace already collapsed, fragments neither start nor end with it.
            let mut text = String::new();
            push_collapsed(&mut text, &raw);
            let boundaries: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            let pick = |i: usize| boundaries[i % boundaries.len()];
            let (mut start, mut end) = (pick(a).min(pick(b)), pick(a).max(pick(b)));
            while start < end && text[start..end].starts_with(' ') {
                start += 1;
            }
            while start < end && text[start..end].ends_with(' ') {
                end -= 1;
            }
            let len = end - start;
            let mut highlighted: Vec<Range<usize>> = Vec::new();
            for (from, width) in marks {
                let from = from % (len + 1);
                let to = (from + width).min(len);
                if text.is_char_boundary(start + from) && text.is_char_boundary(start + to) {
                    highlighted.push(from..to);
                }
            }
            proptest::prop_assert_eq!(bold(render_fragment(&text, start..end, &highlighted)), reference_fragment(&text, start..end, &highlighted));
        }
    }

    #[test]
    fn fragments_collapse_whitespace_and_mark_cuts() {
        let text = "Intro.\n\nThe API  has\tno memory; it forgets… then more";
        let mut display = String::new();
        push_collapsed(&mut display, text);
        let start = display.find("The").unwrap();
        let end = display.find("forgets").unwrap() + "forgets".len();
        assert_eq!(&display[start..end], "The API has no memory; it forgets");
        let marks = [Range { start: 8, end: 11 }];
        assert_eq!(bold(render_fragment(&display, start..end, &marks)), "…The API **has** no memory; it forgets……");
        // Through a passage's tokens: a paragraph break and a tab read as one space.
        let (i, _) = idx();
        let searcher = i.searcher();
        let s = Stats::new(&searcher);
        let g = Highlighter::new(i.highlight_weights(&s, &["memori".to_owned()]), 150);
        assert_eq!(
            bold(g.snippet(&i.tokens(&mut i.analyzer(), text))),
            "Intro. The API has no **memory**; it forgets… then more"
        );
    }

    #[test]
    fn truncation_cuts_at_words() {
        assert_eq!(truncate_words("alpha beta gamma", 12), "alpha beta…");
        assert_eq!(truncate_words("short", 12), "short");
    }
}
