//! A detail of a feature that its passage withholds from the product asked about. The table says
//! whether a product has a feature as a whole; a question may ask about one part of it that the
//! passage says the product lacks: "does the Anthropic API have frequency_penalty?" beside "The API
//! exposes temperature, top_p ... It has no frequency or presence penalty parameters", or "can I
//! set budget_tokens in the Claude app?" beside "only the API lets you set budget_tokens". Such a
//! verdict is no plain yes: the product has the feature only in part, in the passage's words.

use tantivy::tokenizer::TextAnalyzer;

use super::Engine;
use super::analysis::Analysis;
use super::signals::{CUES, Cues};
use super::tuning::TUNING;
use crate::corpus::document::{item_label, without_verify_marks};

/// Words that open a clause as its subject, standing for what the sentence before named ("It has
/// no frequency or presence penalty parameters"): English grammar, not a corpus's words.
const SUBJECT_PRONOUNS: &[&str] = &["it", "its", "they"];

/// Where a sentence turns to another subject: each part is read on its own ("the API lets you set
/// budget_tokens; the apps do not").
const CLAUSE_BREAKS: &[&str] = &["; ", ", while ", ", whereas ", ", but "];

impl Engine {
    /// The sentence of feature `fi`'s passage for product `asked` that withholds a detail the
    /// question asks about from that product. A detail is one of the question's rare words (an
    /// alias's too: "presence_penalty" names the feature by naming a part of it). A clause with it
    /// withholds it when it says "only" just before naming other products, or negates it of the
    /// product it names (or, opening with "It", of the products named before).
    pub(super) fn withheld_detail(
        &self,
        a: &Analysis,
        fi: usize,
        asked: usize,
        analyzer: &mut TextAnalyzer,
    ) -> Option<String> {
        let product = self.corpus.table.products.get(asked)?;
        let pid = self.product_passage(fi, &product.id).or(self.features[fi].passage)?;
        // "exclusive", "without": words that say how a product has something are no detail. The
        // cues are words as written, so the question's own words are looked at.
        let is_cue = |term: &str| {
            a.q.words.iter().any(|w| {
                (w.stem == term || w.text == term)
                    && (Cues::is(&CUES.only, &w.text) || Cues::is(&CUES.negation, &w.text))
            })
        };
        let details: Vec<&[String]> = a
            .focus
            .iter()
            .filter(|t| t.idf.is_some_and(|idf| idf >= TUNING.detail_idf_share * a.max_idf))
            .filter(|t| !is_cue(&t.term))
            .map(|t| t.forms.as_slice())
            .collect();
        if details.is_empty() {
            return None;
        }
        let tokens = self.tokens(pid, analyzer);
        let display = tokens.display();
        // The products named last: what "It" stands for.
        let mut before: Vec<usize> = Vec::new();
        for range in tokens.sentences() {
            let Some(sentence) = display.get(range.clone()).map(str::trim) else { continue };
            let label_words = item_label(sentence).map_or(0, |l| l.split_whitespace().count());
            for (i, clause) in clauses(sentence).into_iter().enumerate() {
                let read = self.read(clause, &details, if i == 0 { label_words } else { 0 });
                let subject = if read.named.is_empty() && read.referring { &before } else { &read.named };
                let withholds = read.detail
                    && ((read.only && !read.named.is_empty() && !read.named.contains(&asked))
                        || (read.negated_detail && !read.only && subject.contains(&asked)));
                if withholds {
                    return Some(without_verify_marks(sentence));
                }
                if !read.named.is_empty() {
                    before = read.named;
                }
            }
        }
        None
    }

    /// What a clause says, for [`Engine::withheld_detail`]: the products it names (a word naming
    /// several vendors' products names each), whether it opens with a pronoun for what was named
    /// before (after an item's label of `label_words` words: "Memory — It ..."), whether it has one
    /// of the question's `details`, says "only" just before naming products ("only the API lets
    /// you", "exclusive to the Claude apps"), and negates within
    /// [`TUNING.negation_reach`](super::tuning::Tuning::negation_reach) words before a detail ("no
    /// frequency or presence penalty parameters"; not after a comma, where it contrasts: "the API
    /// key, not the login").
    fn read(&self, clause: &str, details: &[&[String]], label_words: usize) -> Clause {
        let (words, u) = self.understand_article_text(clause);
        let mut named: Vec<usize> = u.products.clone();
        if let Some((_, group)) = &u.ambiguous {
            named.extend(group);
        }
        let is = |group: &[String], i: usize| Cues::is(group, &words[i].text);
        let reach = |i: usize| i + 1..=(i + TUNING.negation_reach).min(words.len() - 1);
        let only =
            (0..words.len()).any(|i| is(&CUES.only, i) && u.product_at.iter().flatten().any(|p| reach(i).contains(p)));
        let is_detail = |i: usize| {
            let w = &words[i];
            details.iter().any(|forms| forms.iter().any(|f| *f == w.text || *f == w.stem))
        };
        let contrast = |i: usize| clause.get(..words[i].offset).is_some_and(|b| b.trim_end().ends_with(','));
        let negated_detail = (0..words.len()).any(|i| is(&CUES.negation, i) && !contrast(i) && reach(i).any(is_detail));
        let referring = words.get(label_words).is_some_and(|w| SUBJECT_PRONOUNS.contains(&w.text.as_str()));
        Clause { named, referring, detail: (0..words.len()).any(is_detail), only, negated_detail }
    }
}

struct Clause {
    named: Vec<usize>,
    referring: bool,
    detail: bool,
    only: bool,
    negated_detail: bool,
}

/// `sentence` split at [`CLAUSE_BREAKS`].
fn clauses(sentence: &str) -> Vec<&str> {
    let mut out = vec![sentence];
    for brk in CLAUSE_BREAKS {
        out = out.into_iter().flat_map(|c| c.split(brk)).filter(|c| !c.trim().is_empty()).collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_splits_where_it_turns_to_another_subject() {
        assert_eq!(
            clauses("The API lets you set budget_tokens; the apps do not, but that is fine."),
            ["The API lets you set budget_tokens", "the apps do not", "that is fine."]
        );
        assert_eq!(clauses("One clause only."), ["One clause only."]);
    }
}
