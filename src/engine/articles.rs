//! Which article a question is about, when the corpus has several. Each article has subject words:
//! words of its title that run through its passages and seldom through the other articles'
//! ("codex" and "cli" for an article on the Codex CLI, "api" for one on the API). A question that
//! names the subject of some articles and not of the others is read against those first: the
//! others' features and passages count for less, and their aliases ("reviewer" in "flag it for
//! human review") name a feature only where its card is still the best reading of the question.
//!
//! Nothing here is about a product: the words come from the corpus's titles and passages. With one
//! article there are no subject words and nothing changes.

use rustc_hash::FxHashMap;

use crate::text::Word;

/// A title word marks its article when it is in at least this share of the article's passages ...
const MIN_SUBJECT_SHARE: f32 = 0.15;
/// ... and in at least this many times the share of the other articles' passages.
const SUBJECT_CONCENTRATION: f32 = 4.0;
/// The features and passages of articles a question does not name, when it names others, count
/// this much.
pub const OTHER_ARTICLE_WEIGHT: f32 = 0.5;

/// One article's number of passages, and in how many of them each stem is.
pub type Spread<'a> = (usize, FxHashMap<&'a str, usize>);

pub struct Articles {
    /// Subject stem -> the article it marks.
    subject: FxHashMap<String, usize>,
    articles: usize,
}

/// The articles one question names: `None` when it names none or all of them (nothing to prefer).
/// The second part: articles left out altogether, another vendor's when the question asks about
/// one vendor's products ([`Named::only`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named(Option<Vec<bool>>, Vec<bool>);

impl Named {
    /// The weight of a passage from article `doc`: 0 for an article left out.
    pub fn weight(&self, doc: usize) -> f32 {
        if self.1.get(doc).copied().unwrap_or(false) {
            return 0.0;
        }
        self.preference(doc)
    }

    /// The weight of a feature of article `doc`: an article left out still names its concepts
    /// (another vendor's feature asked of these products is "not covered", not unknown).
    pub fn preference(&self, doc: usize) -> f32 {
        match &self.0 {
            Some(named) if !named.get(doc).copied().unwrap_or(true) => OTHER_ARTICLE_WEIGHT,
            _ => 1.0,
        }
    }

    /// Leaves out the articles `keep` says no to: a question about one vendor's products is
    /// answered from that vendor's articles only (another vendor's passage on the same topic is no
    /// answer about these products).
    pub fn only(mut self, keep: Option<Vec<bool>>) -> Named {
        if let Some(keep) = keep {
            self.1 = keep.into_iter().map(|k| !k).collect();
        }
        self
    }

    /// Whether the question names some articles and not others, or leaves some out.
    pub fn prefers(&self) -> bool {
        self.0.is_some() || self.1.iter().any(|x| *x)
    }

    /// Whether features are weighed ([`Named::preference`]): the question names some articles.
    pub fn prefers_features(&self) -> bool {
        self.0.is_some()
    }

    /// Whether something from article `doc` is from an article the question passes over.
    pub fn passes_over(&self, doc: usize) -> bool {
        self.weight(doc) < 1.0
    }
}

impl Articles {
    /// `titles[d]` are article `d`'s title stems; `spread[d]` its number of passages and in how many
    /// of them each stem is.
    pub fn new(titles: &[Vec<String>], spread: &[Spread]) -> Self {
        let n = titles.len().min(spread.len());
        let counts: Vec<usize> = spread.iter().take(n).map(|(c, _)| *c).collect();
        let df = |stem: &str, d: usize| spread[d].1.get(stem).copied().unwrap_or(0);
        let mut subject = FxHashMap::default();
        if n >= 2 {
            let total: usize = counts.iter().sum();
            for (d, title) in titles.iter().enumerate().take(n) {
                if counts[d] == 0 {
                    continue;
                }
                for t in title {
                    let own = df(t, d) as f32 / counts[d] as f32;
                    let rest_passages = (total - counts[d]).max(1) as f32;
                    let rest = (0..n).filter(|o| *o != d).map(|o| df(t, o)).sum::<usize>() as f32 / rest_passages;
                    if own >= MIN_SUBJECT_SHARE && own >= SUBJECT_CONCENTRATION * rest {
                        subject.insert(t.clone(), d);
                    }
                }
            }
        }
        Articles { subject, articles: n }
    }

    /// The articles whose subject `words` name.
    pub fn named(&self, words: &[Word]) -> Named {
        if self.subject.is_empty() {
            return Named(None, Vec::new());
        }
        let mut named = vec![false; self.articles];
        for w in words {
            if let Some(&d) = self.subject.get(&w.stem) {
                named[d] = true;
            }
        }
        let count = named.iter().filter(|n| **n).count();
        Named((count > 0 && count < self.articles).then_some(named), Vec::new())
    }

    /// Each article's subject stems, sorted (for tests and diagnostics).
    #[cfg(test)]
    fn subjects(&self, doc: usize) -> Vec<&str> {
        let mut out: Vec<&str> = self.subject.iter().filter(|(_, d)| **d == doc).map(|(s, _)| s.as_str()).collect();
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    fn word(s: &str) -> Word {
        Word { text: s.into(), stem: s.into(), offset: 0, end: s.len() }
    }

    fn articles() -> Articles {
        let titles = vec![stems("the api vs chatgpt"), stems("the codex cli vs chatgpt")];
        let passages = [
            (0, stems("the api has batch")),
            (0, stems("the api has embeddings chatgpt")),
            (0, stems("chatgpt has memory")),
            (0, stems("the api bills per token")),
            (1, stems("the codex cli runs in a terminal")),
            (1, stems("codex in chatgpt opens pull requests")),
            (1, stems("the cli bills through the api")),
        ];
        build(&titles, &passages)
    }

    fn build(titles: &[Vec<String>], passages: &[(usize, Vec<String>)]) -> Articles {
        let mut spread: Vec<Spread> = vec![Default::default(); titles.len()];
        for (d, stems) in passages {
            spread[*d].0 += 1;
            let mut seen: Vec<&str> = stems.iter().map(String::as_str).collect();
            seen.sort_unstable();
            seen.dedup();
            for s in seen {
                *spread[*d].1.entry(s).or_default() += 1;
            }
        }
        Articles::new(titles, &spread)
    }

    #[test]
    fn subject_words_run_through_their_article_and_seldom_through_others() {
        let a = articles();
        // "api" is in 3/4 of the first article's passages and 1/3 of the second's: not 4x.
        // "chatgpt" and "the" are everywhere.
        assert_eq!(a.subjects(0), Vec::<&str>::new());
        assert_eq!(a.subjects(1), vec!["cli", "codex"]);
    }

    #[test]
    fn a_question_naming_some_articles_prefers_them() {
        let a = articles();
        let named = a.named(&[word("can"), word("the"), word("cli"), word("do"), word("it")]);
        assert_eq!(named.weight(1), 1.0);
        assert_eq!(named.weight(0), OTHER_ARTICLE_WEIGHT);
        assert!(named.passes_over(0));
        // Naming none, or every one, prefers nothing.
        assert_eq!(a.named(&[word("memory")]), Named(None, Vec::new()));
        // A vendor's question leaves the other vendor's article out.
        let only = a.named(&[word("cli")]).only(Some(vec![false, true]));
        assert_eq!((only.weight(0), only.weight(1)), (0.0, 1.0));
    }

    #[test]
    fn one_article_has_no_subject_words() {
        let titles = vec![stems("the api vs chatgpt")];
        let passages = [(0, stems("the api has batch"))];
        let a = build(&titles, &passages);
        assert_eq!(a.named(&[word("api")]), Named(None, Vec::new()));
        assert_eq!(a.named(&[word("api")]).weight(0), 1.0);
    }
}
