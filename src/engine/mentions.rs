//! What a question names, for reading a follow-up with the question before it
//! (`crate::conversation`): the features it names by a clean alias, the products and price-table
//! models, how many other informative words it has, and whether it points back ("that", "it").
//! Everything comes from the corpus's table and the price table, through the same understanding
//! `Engine::answer` uses.

use super::Engine;
use crate::index::Stats;
use crate::text;

/// What one question names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mentions {
    /// Feature ids named by an alias with no word skipped, strongest first.
    pub features: Vec<String>,
    /// Product ids, in question order.
    pub products: Vec<String>,
    /// Price-table model names, in question order.
    pub models: Vec<String>,
    /// Words that are none of the above, nor filler, nor numbers, nor pointing back: what else the
    /// question is about.
    pub other_words: usize,
    /// Whether a word stands for something said before ("how much would that be").
    pub refers_back: bool,
}

impl Mentions {
    pub fn names_anything(&self) -> bool {
        !(self.features.is_empty() && self.products.is_empty() && self.models.is_empty())
    }
}

impl Engine {
    /// What `asked` names (see [`Mentions`]).
    pub fn mentions(&self, asked: &str) -> Mentions {
        let analyzer = &mut self.index_analyzer.clone();
        let searcher = self.index.searcher();
        let stats = Stats::new(&searcher);
        let q = self.question(asked, analyzer);
        let u = self.matcher.understand(&q.words, &|stem| self.index.has_term(&stats, stem));
        let table = self.features();
        let features: Vec<String> =
            u.hits.iter().filter(|h| h.skipped == 0).map(|h| table.features[h.feature].id.clone()).collect();
        let products: Vec<String> = u.products.iter().map(|&p| table.products[p].id.clone()).collect();
        let mut models: Vec<String> = Vec::new();
        let mut model_words: Vec<String> = Vec::new();
        for token in q.text.split_whitespace() {
            let token = token.trim_matches(|c: char| !c.is_alphanumeric());
            if let Ok(m) = self.prices().resolve_model(token)
                && !models.iter().any(|n| n == m.name())
            {
                models.push(m.name().to_owned());
                model_words.extend(token.to_lowercase().split(|c: char| !c.is_alphanumeric()).map(str::to_owned));
            }
        }
        let mut other_words = 0;
        let mut refers_back = false;
        for (i, w) in q.words.iter().enumerate() {
            if text::is_referring(&w.text) {
                refers_back = true;
            } else if !(u.matched.get(i).copied().unwrap_or(false)
                || text::is_filler(&w.text)
                || text::is_index_stopword(&w.text)
                || super::understand::is_number(&w.text)
                || model_words.contains(&w.text))
            {
                other_words += 1;
            }
        }
        Mentions { features, products, models, other_words, refers_back }
    }
}
