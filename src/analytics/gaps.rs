//! Coverage gaps: questions the bot declined, answered with low confidence or saw voted down,
//! grouped by similar wording so that an admin sees "12 people asked about webhooks" once.
//!
//! Questions are taken in the order they were asked. Each joins the group whose first question
//! (its seed) shares the most informative terms with it, when they weigh at least [`JOIN_WEIGHT`]
//! together (each term weighs 1 when the corpus never uses it, less the more passages use it: see
//! `Engine::gap_terms`), and otherwise starts a group of its own. A question joins one group only,
//! so a question touching two topics cannot merge their groups. Candidate groups are found through
//! an index from each term to the groups whose seed has it (at most [`MAX_POSTINGS`] per term: a
//! term in more seeds than that is common among gaps and tells little), so the work grows with the
//! number of questions, not its square.

use std::collections::HashMap;

use serde::Serialize;

use super::GapQuestion;

/// Shared weight that makes two questions one group: one term the corpus lacks, or two that are
/// rare in it.
pub const JOIN_WEIGHT: f32 = 0.9;
/// Groups a term leads to at most.
pub const MAX_POSTINGS: usize = 64;

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
    /// How many were handed to people ("Ask a human", or automatically), and how many of those
    /// were handed back.
    pub escalated: usize,
    pub resolved: usize,
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
    count: usize,
    weight: f32,
    /// The order the term was first seen in the group, for stable ties.
    first: usize,
    words: Vec<(String, usize)>,
}

/// Groups `questions` (in the order they were asked), largest group first; `terms` gives a
/// question's weighted informative terms.
pub fn group(questions: &[GapQuestion], terms: impl Fn(&str) -> Vec<GapTerm>) -> Vec<GapGroup> {
    let weighted: Vec<Vec<GapTerm>> =
        questions.iter().map(|q| q.question.as_deref().map(&terms).unwrap_or_default()).collect();
    let mut term_ids: HashMap<&str, usize> = HashMap::new();
    // For each term: the groups whose seed has it, with the term's weight there.
    let mut postings: Vec<Vec<(usize, f32)>> = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut shared: HashMap<usize, f32> = HashMap::new();
    for (i, ts) in weighted.iter().enumerate() {
        let ids: Vec<(usize, f32)> = ts
            .iter()
            .map(|t| {
                let next = postings.len();
                let id = *term_ids.entry(t.term.as_str()).or_insert(next);
                if id == next {
                    postings.push(Vec::new());
                }
                (id, t.weight)
            })
            .collect();
        shared.clear();
        for &(t, w) in &ids {
            for &(g, seed_w) in &postings[t] {
                *shared.entry(g).or_default() += w.min(seed_w);
            }
        }
        // The group sharing the most; on a tie, the older one.
        let best = shared
            .iter()
            .filter(|(_, w)| **w >= JOIN_WEIGHT)
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(g, _)| *g);
        match best {
            Some(g) => members[g].push(i),
            None => {
                let g = members.len();
                members.push(vec![i]);
                for &(t, w) in &ids {
                    if postings[t].len() < MAX_POSTINGS {
                        postings[t].push((g, w));
                    }
                }
            }
        }
    }
    let mut groups: Vec<GapGroup> = members
        .into_iter()
        .map(|ids| {
            let qs: Vec<&GapQuestion> = ids.iter().map(|&i| &questions[i]).collect();
            let mut tallies: HashMap<&str, Tally> = HashMap::new();
            for &i in &ids {
                for t in &weighted[i] {
                    let next = tallies.len();
                    let e = tallies.entry(t.term.as_str()).or_insert_with(|| Tally {
                        count: 0,
                        weight: t.weight,
                        first: next,
                        words: Vec::new(),
                    });
                    e.count += 1;
                    match e.words.iter_mut().find(|(w, _)| *w == t.word) {
                        Some(w) => w.1 += 1,
                        None => e.words.push((t.word.clone(), 1)),
                    }
                }
            }
            let min_count = if ids.len() > 1 { 2 } else { 1 };
            let mut tallies: Vec<Tally> =
                tallies.into_values().filter(|e| e.count >= min_count && e.weight > 0.0).collect();
            tallies
                .sort_by(|a, b| b.count.cmp(&a.count).then(b.weight.total_cmp(&a.weight)).then(a.first.cmp(&b.first)));
            GapGroup {
                count: qs.len(),
                // Each term as it was most often written (alphabetically first on a tie), so the
                // report does not depend on the order the questions came in.
                terms: tallies
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
                escalated: qs.iter().filter(|q| q.escalated.is_some()).count(),
                resolved: qs.iter().filter(|q| q.escalated.as_deref() == Some("resolved")).count(),
                nearest_section: most_common(qs.iter().filter_map(|q| q.top_section.as_deref())),
                comments: qs.iter().filter_map(|q| q.comment.clone()).take(3).collect(),
            }
        })
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.count));
    groups
}

fn most_common<'a>(items: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for (order, item) in items.enumerate() {
        counts.entry(item).or_insert((0, order)).0 += 1;
    }
    // Stable: the first seen wins a tie.
    counts.into_iter().max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.1.1.cmp(&a.1.1))).map(|(s, _)| s.to_owned())
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
            escalated: None,
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
    fn a_question_on_two_topics_joins_one_group_and_does_not_merge_them() {
        let qs = [
            q("Webhooks callbacks", "out_of_scope"),
            q("Webhooks retries", "out_of_scope"),
            q("Okta login", "out_of_scope"),
            q("Okta groups", "out_of_scope"),
            q("Webhooks Okta Voice", "out_of_scope"),
        ];
        let g = group(&qs, terms);
        assert_eq!(g.len(), 2, "{g:?}");
        assert_eq!((g[0].count, g[1].count), (3, 2), "{g:?}");
        assert_eq!(g[0].terms[0], "Webhooks");
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
