//! A detail of a feature that its passage withholds from the product asked about. The table says
//! whether a product has a feature as a whole; a question may ask about one part of it that the
//! passage says the product lacks: "does the Anthropic API have frequency_penalty?" beside "The API
//! exposes temperature, top_p ... It has no frequency or presence penalty parameters", or "can I
//! set budget_tokens in the Claude app?" beside "only the API lets you set budget_tokens". Such a
//! verdict is no plain yes: the product has the feature only in part, in the passage's words.

use super::Engine;
use super::analysis::Analysis;
use super::signals::{CUES, Cues};
use super::tuning::TUNING;
use crate::text;
use tantivy::tokenizer::TextAnalyzer;

impl Engine {
    /// The sentence of feature `fi`'s passage for product `asked` that withholds a detail the
    /// question asks about from that product: a sentence with one of the question's rare words
    /// (an alias's too: "presence_penalty" names the feature by naming a part of it) that says
    /// "only" of other products, or negates that word of the product it names (or, opening with
    /// "It", of the products the sentence before names).
    pub(super) fn withheld_detail(
        &self,
        a: &Analysis,
        fi: usize,
        asked: usize,
        analyzer: &mut TextAnalyzer,
    ) -> Option<String> {
        let product = self.corpus.table.products.get(asked)?;
        let pid = self.product_passage(fi, &product.id).or(self.features[fi].passage)?;
        let details: Vec<&[String]> = a
            .focus
            .iter()
            .filter(|t| t.idf.is_some_and(|idf| idf >= TUNING.detail_idf_share * a.max_idf))
            // "exclusive", "without": words that say how a product has something are no detail.
            .filter(|t| !t.forms.iter().any(|f| Cues::is(&CUES.only, f) || Cues::is(&CUES.negation, f)))
            .map(|t| t.forms.as_slice())
            .collect();
        if details.is_empty() {
            return None;
        }
        let tokens = self.tokens(pid, analyzer);
        let sentences = tokens.sentences().to_vec();
        let has = self.index.sentences_have(tokens, &details);
        let display = tokens.display().to_owned();
        // The products the sentence before names: what "It" stands for.
        let mut before: Vec<usize> = Vec::new();
        for (range, has) in sentences.iter().zip(has) {
            let Some(sentence) = display.get(range.clone()).map(str::trim) else { continue };
            let read = self.read(sentence, &details);
            let subject = if read.named.is_empty() && read.referring { &before } else { &read.named };
            let withholds = if has.iter().any(|h| *h) {
                (read.only && !read.named.is_empty() && !read.named.contains(&asked))
                    || (read.negated_detail && subject.contains(&asked) && !read.only)
            } else {
                false
            };
            if withholds {
                return Some(crate::corpus::document::without_verify_marks(sentence));
            }
            if !read.named.is_empty() {
                before = read.named;
            }
        }
        None
    }

    /// What a sentence says, for [`Engine::withheld_detail`]: the products it names (a word naming
    /// several vendors' products names each), whether it opens with a word that stands for
    /// something said before ("It has no ..."), says "only" just before naming products ("only the
    /// API lets you", "exclusive to the Claude apps"), and negates within
    /// [`TUNING.negation_reach`](super::tuning::Tuning::negation_reach) words before one of the
    /// question's `details` ("no frequency or presence penalty parameters"; not after a comma, where
    /// it contrasts: "the API key, not the login").
    fn read(&self, sentence: &str, details: &[&[String]]) -> Sentence {
        let words = self.word_analyzer.clone().words(sentence);
        let u = self.matcher.understand(&words, &|_| true);
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
        // ", not X" contrasts ("the real credential is the API key, not the login"): no denial.
        let contrast = |i: usize| sentence.get(..words[i].offset).is_some_and(|b| b.trim_end().ends_with(','));
        let negated_detail = (0..words.len()).any(|i| is(&CUES.negation, i) && !contrast(i) && reach(i).any(is_detail));
        // The first word after an item's label ("Memory — It ...") or the sentence's first.
        let first = words.iter().position(|w| text::is_referring(&w.text)).filter(|&i| i <= 1);
        Sentence { named, referring: first.is_some(), only, negated_detail }
    }
}

struct Sentence {
    named: Vec<usize>,
    referring: bool,
    only: bool,
    negated_detail: bool,
}
