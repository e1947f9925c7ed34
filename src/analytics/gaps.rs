//! Coverage gaps: questions the bot declined, answered with low confidence or saw voted down,
//! grouped by similar wording so that an admin sees "12 people asked about webhooks" once.
//!
//! Two questions fall in one group when the informative terms they share weigh at least
//! [`JOIN_WEIGHT`] together (each term weighs 1 when the corpus never uses it, less the more passages
//! use it: see `Engine::gap_terms`). Groups are the connected components of that relation.

use serde::Serialize;

use super::GapQuestion;

/// Shared weight that makes two questions one group: one term the corpus lacks, or two that are
/// rare in it.
pub const JOIN_WEIGHT: f32 = 0.9;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GapGroup {
    pub count: usize,
    /// The terms most of the group's questions share, most frequent first.
    pub terms: Vec<String>,
    /// One question of the group (the first asked), if question text is stored.
    pub example: Option<String>,
    /// How many were declined, answered unsure, voted down.
    pub declined: usize,
    pub low_confidence: usize,
    pub voted_down: usize,
    /// The section the bot found closest, most often, for the group.
    pub nearest_section: Option<String>,
    /// What people who voted down said they were looking for.
    pub comments: Vec<String>,
}

/// One informative term of a question: the index term, the word it was in, and its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct GapTerm {
    pub term: String,
    pub word: String,
    pub weight: f32,
}

/// How often a group's questions use one term, and the words it was written as (with counts).
struct Tally {
    term: String,
    count: usize,
    weight: f32,
    words: Vec<(String, usize)>,
}

/// Groups `questions`, largest group first; `terms` gives a question's weighted informative terms.
pub fn group(questions: &[GapQuestion], terms: impl Fn(&str) -> Vec<GapTerm>) -> Vec<GapGroup> {
    let weighted: Vec<Vec<GapTerm>> =
        questions.iter().map(|q| q.question.as_deref().map(&terms).unwrap_or_default()).collect();
    let n = questions.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for i in 0..n {
        for j in i + 1..n {
            let shared: f32 = weighted[i]
                .iter()
                .filter_map(|a| weighted[j].iter().find(|b| b.term == a.term).map(|b| a.weight.min(b.weight)))
                .sum();
            if shared >= JOIN_WEIGHT {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut members: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    for i in 0..n {
        let root = find(&mut parent, i);
        members.entry(root).or_default().push(i);
    }
    let mut groups: Vec<GapGroup> = members
        .into_values()
        .map(|ids| {
            let qs: Vec<&GapQuestion> = ids.iter().map(|&i| &questions[i]).collect();
            let mut term_counts: Vec<Tally> = Vec::new();
            for &i in &ids {
                for t in &weighted[i] {
                    let e = match term_counts.iter().position(|e| e.term == t.term) {
                        Some(p) => &mut term_counts[p],
                        None => {
                            term_counts.push(Tally {
                                term: t.term.clone(),
                                count: 0,
                                weight: t.weight,
                                words: Vec::new(),
                            });
                            term_counts.last_mut().expect("just pushed")
                        }
                    };
                    e.count += 1;
                    match e.words.iter_mut().find(|(w, _)| *w == t.word) {
                        Some(w) => w.1 += 1,
                        None => e.words.push((t.word.clone(), 1)),
                    }
                }
            }
            let min_count = if ids.len() > 1 { 2 } else { 1 };
            term_counts.retain(|e| e.count >= min_count && e.weight > 0.0);
            term_counts.sort_by(|a, b| b.count.cmp(&a.count).then(b.weight.total_cmp(&a.weight)));
            GapGroup {
                count: qs.len(),
                // Each term as it was most often written (alphabetically first on a tie), so the
                // report does not depend on the order the questions came in.
                terms: term_counts
                    .into_iter()
                    .take(5)
                    .filter_map(|e| {
                        e.words.into_iter().max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0))).map(|(w, _)| w)
                    })
                    .collect(),
                example: qs.iter().find_map(|q| q.question.clone()),
                declined: qs.iter().filter(|q| q.kind == "out_of_scope").count(),
                low_confidence: qs.iter().filter(|q| q.kind != "out_of_scope" && q.confidence == "low").count(),
                voted_down: qs.iter().filter(|q| q.voted_down).count(),
                nearest_section: most_common(qs.iter().filter_map(|q| q.top_section.clone())),
                comments: qs.iter().filter_map(|q| q.comment.clone()).take(3).collect(),
            }
        })
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.count));
    groups
}

fn most_common(items: impl Iterator<Item = String>) -> Option<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for item in items {
        match counts.iter_mut().find(|(s, _)| *s == item) {
            Some(e) => e.1 += 1,
            None => counts.push((item, 1)),
        }
    }
    // Stable: the first seen wins a tie.
    let best = counts.iter().map(|(_, c)| *c).max()?;
    counts.into_iter().find(|(_, c)| *c == best).map(|(s, _)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str, kind: &str) -> GapQuestion {
        GapQuestion {
            id: 1,
            question: Some(text.into()),
            kind: kind.into(),
            confidence: "high".into(),
            top_section: None,
            voted_down: false,
            comment: None,
        }
    }

    /// Terms: each word; words starting with an uppercase letter are "absent from the corpus" (1.0),
    /// others common (0.2).
    fn terms(text: &str) -> Vec<GapTerm> {
        text.split_whitespace()
            .map(|w| GapTerm {
                term: w.to_lowercase(),
                word: w.to_owned(),
                weight: if w.starts_with(char::is_uppercase) { 1.0 } else { 0.2 },
            })
            .collect()
    }

    #[test]
    fn shared_rare_terms_join_common_ones_do_not() {
        let qs = [
            q("api Webhooks support", "out_of_scope"),
            q("Webhooks for chatgpt", "out_of_scope"),
            q("get Webhooks callbacks api", "out_of_scope"),
            q("api support pricing", "out_of_scope"),
        ];
        let g = group(&qs, terms);
        assert_eq!(g.len(), 2, "{g:?}");
        assert_eq!(g[0].count, 3);
        assert_eq!(g[0].terms[0], "Webhooks");
        assert_eq!(g[0].example.as_deref(), Some("api Webhooks support"));
        assert_eq!(g[1].count, 1);
    }

    #[test]
    fn questions_without_text_stay_alone() {
        let mut a = q("x", "out_of_scope");
        a.question = None;
        let g = group(&[a.clone(), a], terms);
        assert_eq!(g.len(), 2);
        assert!(g[0].example.is_none());
    }
}
