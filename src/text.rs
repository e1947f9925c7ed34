//! Text analysis shared by indexing and question understanding: one English analyzer (stemming, a
//! stopword list that keeps negations) and the word splitting used to match aliases.

use rustc_hash::FxHashMap;
use std::sync::Arc;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter,
    TextAnalyzer, TokenStream,
};

/// Name under which the index analyzer is registered with tantivy.
pub const ANALYZER: &str = "en_neg";

/// Lucene's English stopwords without "no" and "not" (a question hinges on them), plus question
/// scaffolding that carries no topic ("does", "can", "which").
pub const INDEX_STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "of", "on", "or",
    "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with", "do",
    "does", "did", "can", "could", "would", "should", "i", "me", "my", "you", "your", "we", "what", "which", "who",
    "how", "why", "when", "where", "have", "has", "had", "am", "s",
];

/// Words that say nothing about a question's topic. Used to decide whether the corpus covers a
/// question (and which of a listed topic's words may change places), never to drop words from
/// retrieval.
pub const FILLER_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "best",
    "better",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "don",
    "each",
    "few",
    "for",
    "from",
    "further",
    "get",
    "gets",
    "getting",
    "good",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "hello",
    "her",
    "here",
    "hey",
    "hi",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "know",
    "let",
    "like",
    "me",
    "more",
    "most",
    "much",
    "many",
    "must",
    "my",
    "need",
    "now",
    "of",
    "off",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "out",
    "over",
    "own",
    "per",
    "please",
    "really",
    "s",
    "same",
    "she",
    "should",
    "so",
    "some",
    "tell",
    "than",
    "thanks",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "thing",
    "things",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "us",
    "use",
    "using",
    "very",
    "vs",
    "versus",
    "want",
    "was",
    "way",
    "we",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "t",
    "ll",
    "ve",
    "re",
    "d",
    "m",
    "exist",
    "exists",
    "available",
    "offer",
    "offers",
    "support",
    "supports",
    "provide",
    "provides",
    "said",
    "say",
    "says",
    "saying",
    "told",
    "telling",
    "asked",
    "ask",
    "asking",
    "yesterday",
    "today",
    "tomorrow",
    "tonight",
    "ago",
    "guys",
    "folks",
    "everyone",
    "someone",
    "anyone",
    "somebody",
    "anybody",
    "something",
    "anything",
    "everything",
    "nothing",
    "stuff",
    "thank",
    "sorry",
    "question",
    "questions",
    "wondering",
    "wonder",
    "curious",
    "basically",
    "actually",
    "honestly",
    "literally",
    "seriously",
    "maybe",
    "probably",
    "already",
    "still",
    "even",
    "ever",
    "never",
    "always",
    "lol",
    "haha",
    "ok",
    "okay",
    "yeah",
    "yep",
    "nope",
    "hmm",
    "um",
    "uh",
    "oh",
    "well",
    "right",
    "sure",
    "kind",
    "sort",
    "lot",
    "lots",
    "bit",
    "little",
    "pretty",
    "quite",
    "rather",
    "i'm",
    "im",
    "i've",
    "ive",
    "i'd",
    "id",
    "dont",
    "doesnt",
    "didnt",
    "cant",
    "wont",
    "isnt",
    "arent",
    "wasnt",
    "ways",
    "guess",
    "think",
    "thought",
    "mean",
    "means",
    "meant",
    "understand",
    "understanding",
    "explain",
    "help",
    "helps",
    "pls",
    "idea",
    "someone's",
    "people",
    "person",
    "etc",
    // Tone: interjections, praise and complaint, stance adverbs.
    "great",
    "exactly",
    "wonderful",
    "apparently",
    "awesome",
    "amazing",
    "cool",
    "nice",
    "super",
    "totally",
    "obviously",
    "clearly",
    "surely",
    "naturally",
    "wow",
    "truly",
    "simply",
    "perfect",
    "lovely",
    "fantastic",
    "brilliant",
    "terrible",
    "awful",
    "annoying",
    "precisely",
    "definitely",
    "certainly",
    "anyway",
    "anyways",
];

/// Tokens longer than this are noise (base64, URLs); dropping them keeps the index small.
const MAX_TOKEN_LEN: usize = 40;

/// The analyzer for both indexing and querying: split, lowercase, fold accents, drop stopwords, stem.
pub fn index_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(INDEX_STOPWORDS.iter().map(|s| (*s).to_owned())))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The analyzer for alias matching: like the index analyzer but keeps every word, so multi-word
/// aliases ("browse the web") match as written.
pub fn word_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// [`word_analyzer`] with the stems of a vocabulary worked out beforehand: [`words`] gives the same
/// words, but a word of the vocabulary is looked up instead of stemmed again (stemming was the
/// largest part of analyzing a question). The engine fills it from its corpus, never from
/// questions, so what a question costs does not depend on the questions asked before it.
#[derive(Clone)]
pub struct WordAnalyzer {
    /// [`word_analyzer`] up to the stemmer: the words as the stemmer sees them.
    unstemmed: TextAnalyzer,
    /// The stemmer alone, over one word.
    stemmer: TextAnalyzer,
    known: Arc<FxHashMap<String, String>>,
}

impl WordAnalyzer {
    /// Stems the distinct words of `texts` once, up to `max_words` of them.
    pub fn with_vocabulary<'a>(texts: impl IntoIterator<Item = &'a str>, max_words: usize) -> Self {
        let mut a = WordAnalyzer {
            unstemmed: TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .build(),
            stemmer: TextAnalyzer::builder(RawTokenizer::default()).filter(Stemmer::new(Language::English)).build(),
            known: Arc::default(),
        };
        let mut known: FxHashMap<String, String> = FxHashMap::default();
        'texts: for text in texts {
            let mut stream = a.unstemmed.token_stream(text);
            while stream.advance() {
                let word = &stream.token().text;
                if !known.contains_key(word) {
                    if known.len() >= max_words {
                        break 'texts;
                    }
                    known.insert(word.clone(), stem_one(&mut a.stemmer, word));
                }
            }
        }
        a.known = Arc::new(known);
        a
    }

    /// The words of `text` with their stems: what [`words`] gives with a [`word_analyzer`].
    pub fn words(&mut self, text: &str) -> Vec<Word> {
        self.words_learning(text, None)
    }

    /// [`WordAnalyzer::words`], adding the stems of words it does not know to `learned` (and looking
    /// them up there next time): for texts to be added to the vocabulary ([`WordAnalyzer::knowing`]).
    pub fn words_learning(&mut self, text: &str, mut learned: Option<&mut FxHashMap<String, String>>) -> Vec<Word> {
        let mut out = Vec::new();
        let mut stream = self.unstemmed.token_stream(text);
        while stream.advance() {
            let t = stream.token();
            let stem = match (self.known.get(&t.text), learned.as_deref_mut()) {
                (Some(stem), _) => stem.clone(),
                (None, Some(learned)) => match learned.get(&t.text) {
                    Some(stem) => stem.clone(),
                    None => {
                        let stem = stem_one(&mut self.stemmer, &t.text);
                        learned.insert(t.text.clone(), stem.clone());
                        stem
                    }
                },
                (None, None) => stem_one(&mut self.stemmer, &t.text),
            };
            let surface = text.get(t.offset_from..t.offset_to).unwrap_or(&t.text).to_lowercase();
            out.push(Word { text: surface, stem, offset: t.offset_from, end: t.offset_to });
        }
        out
    }
}

impl WordAnalyzer {
    /// This analyzer with `more` words known besides its own, up to `max_words` in all (the words
    /// known only make analysis faster: [`WordAnalyzer::words`] gives the same either way).
    pub fn knowing(mut self, more: impl IntoIterator<Item = (String, String)>, max_words: usize) -> Self {
        let known = Arc::make_mut(&mut self.known);
        for (word, stem) in more {
            if known.len() >= max_words {
                break;
            }
            known.entry(word).or_insert(stem);
        }
        self
    }
}

fn stem_one(stemmer: &mut TextAnalyzer, word: &str) -> String {
    let mut stream = stemmer.token_stream(word);
    if stream.advance() { stream.token().text.clone() } else { word.to_owned() }
}

/// One word of a question or alias: its lowercased surface form and its stem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub stem: String,
    /// Byte range in the analyzed text (`text` is lowercased, so its length may differ).
    pub offset: usize,
    pub end: usize,
}

/// Splits text into words with stems, using `analyzer` (a [`word_analyzer`]).
pub fn words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        let surface = text.get(t.offset_from..t.offset_to).unwrap_or(&t.text).to_lowercase();
        out.push(Word { text: surface, stem: t.text.clone(), offset: t.offset_from, end: t.offset_to });
    }
    out
}

/// Analyzed index terms of `text`, in order, with duplicates.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// The index terms of `text`, whose [`words`] are `words`: what [`terms`] with the index analyzer
/// gives, without stemming again. The two analyzers differ only by the stopword filter, which sees
/// the lowercased, folded word: for an ASCII word that is its lowercase text. Text with any other
/// word is analyzed again.
pub fn index_terms(text: &str, words: &[Word], index_analyzer: &mut TextAnalyzer) -> Vec<String> {
    if !words.iter().all(|w| w.text.is_ascii()) {
        return terms(index_analyzer, text);
    }
    words.iter().filter(|w| !is_index_stopword(&w.text)).map(|w| w.stem.clone()).collect()
}

/// Whether the index analyzer drops `word` (lowercase).
pub fn is_index_stopword(word: &str) -> bool {
    static STOP: std::sync::LazyLock<rustc_hash::FxHashSet<&str>> =
        std::sync::LazyLock::new(|| INDEX_STOPWORDS.iter().copied().collect());
    STOP.contains(word)
}

/// Words that stand for something said before ("how much would *that* be?", "does *it* have
/// batch?"): English grammar, not any corpus's vocabulary.
pub const REFERRING_WORDS: &[&str] = &["it", "its", "that", "this", "those", "these", "them", "they", "there"];

pub fn is_referring(word: &str) -> bool {
    REFERRING_WORDS.contains(&word)
}

pub fn is_filler(word: &str) -> bool {
    static FILLER: std::sync::LazyLock<rustc_hash::FxHashSet<&str>> =
        std::sync::LazyLock::new(|| FILLER_WORDS.iter().copied().collect());
    FILLER.contains(word)
}

/// Whether `a` and `b` differ by at most one edit: an insertion, a deletion, a substitution, or a
/// swap of two neighbouring characters (optimal string alignment distance ≤ 1, as tantivy's fuzzy
/// query with transpositions counts it).
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (la, lb) = (a.chars().count(), b.chars().count());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    // One edit of a word of three or more characters leaves its first or its last one in place,
    // which rules out most of a vocabulary before the distance is computed.
    if la.min(lb) >= 3 && a.chars().next() != b.chars().next() && a.chars().next_back() != b.chars().next_back() {
        return false;
    }
    // Past the common prefix, one edit is the first character substituted, deleted, inserted, or
    // swapped with the next; the rest must then be equal. Linear, without allocating (the property
    // test below checks it against strsim's optimal string alignment distance).
    let prefix: usize = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).map(|(x, _)| x.len_utf8()).sum();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    let (ta, tb) = (tail(ra), tail(rb));
    let swapped = || {
        let (mut x, mut y) = (ra.chars(), rb.chars());
        let (x0, x1, y0, y1) = (x.next(), x.next(), y.next(), y.next());
        x0.is_some() && x1.is_some() && x0 == y1 && x1 == y0 && x.as_str() == y.as_str()
    };
    ra == rb || ta == tb || ta == rb || ra == tb || swapped()
}

/// `s` without its first character.
fn tail(s: &str) -> &str {
    let mut c = s.chars();
    c.next();
    c.as_str()
}

/// Words shorter than this (in letters) are never read as typos.
pub const MIN_TYPO_LEN: usize = 6;

/// Whether `typed` is a plausible misspelling of `known`: one edit for words of six letters or more,
/// two from nine, same first letter. Short words must match exactly ("batch" is not "watch").
pub fn is_typo_of(typed: &str, known: &str) -> bool {
    if typed == known {
        return true;
    }
    if typed.chars().next() != known.chars().next() || typed.len() < MIN_TYPO_LEN || known.len() < MIN_TYPO_LEN {
        return false;
    }
    let (a, b) = (typed.chars().count(), known.chars().count());
    let shorter = a.min(b);
    if shorter < MIN_TYPO_LEN {
        return false;
    }
    let budget = if shorter >= 9 { 2 } else { 1 };
    if a.abs_diff(b) > budget {
        return false;
    }
    // Optimal string alignment counts a swap as one edit and, unlike full Damerau-Levenshtein,
    // needs no hash map: this runs for many word pairs per question.
    strsim::osa_distance(typed, known) <= budget
}

/// A passage's sentences, as byte ranges: split after ".", "?" or "!" followed by a space and a
/// capital letter, a quote or a parenthesis (so "3.5" and "e.g. this" stay whole).
pub fn sentences(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '?' | '!') && bytes.get(i + 1) == Some(&b' ') {
            let next = text[i + 2..].chars().next();
            if next.is_some_and(|n| n.is_uppercase() || matches!(n, '"' | '\u{201c}' | '(')) {
                out.push(start..i + 1);
                start = i + 2;
            }
        }
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out.retain(|r| !text[r.clone()].trim().is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_analyzer_keeps_negations_and_stems() {
        let t = terms(&mut index_analyzer(), "The API does NOT browse the web; no memory");
        assert_eq!(t, ["api", "not", "brows", "web", "no", "memori"]);
    }

    #[test]
    fn words_keep_surface_and_stem() {
        let w = words(&mut word_analyzer(), "Remembers Café");
        assert_eq!(w[0], Word { text: "remembers".into(), stem: "rememb".into(), offset: 0, end: 9 });
        assert_eq!(w[1].text, "café");
        assert_eq!(w[1].stem, "cafe");
    }

    #[test]
    fn a_vocabulary_changes_no_word_only_how_it_is_found() {
        let vocabulary = ["Memory remembers facts across conversations", "Café naïve RÉSUMÉ fine-tuning"];
        let mut cached = WordAnalyzer::with_vocabulary(vocabulary, 100);
        let mut small = WordAnalyzer::with_vocabulary(vocabulary, 2);
        let mut empty = WordAnalyzer::with_vocabulary([], 100);
        assert_eq!(cached.known.len(), 10);
        assert_eq!(small.known.len(), 2);
        for text in ["Does it remember my résumé?", "CAFÉ memories, fine-tuned; conversations!", "", "ünïcödé 😀 x"]
        {
            let expected = words(&mut word_analyzer(), text);
            assert_eq!(cached.words(text), expected, "{text}");
            assert_eq!(small.words(text), expected, "{text}");
            assert_eq!(empty.words(text), expected, "{text}");
        }
    }

    #[test]
    fn one_edit_counts_like_damerau_levenshtein() {
        for (a, b) in [
            ("memory", "memory"),
            ("memmory", "memory"),
            ("memry", "memory"),
            ("memorz", "memory"),
            ("mmeory", "memory"),
            ("memoyr", "memory"),
            ("café", "cafe"),
            ("cafés", "café"),
            ("", "a"),
        ] {
            assert!(within_one_edit(a, b), "{a} {b}");
            assert!(within_one_edit(b, a), "{b} {a}");
        }
        for (a, b) in [
            ("memory", "mmory!"),
            ("memory", "yromem"),
            ("memoryxx", "memory"),
            ("emmory", "memoyr"),
            ("abc", "cab"),
            ("", "ab"),
        ] {
            assert!(!within_one_edit(a, b), "{a} {b}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_first_or_last_letter_filter_never_changes_the_answer(a in "[a-cé]{0,7}", b in "[a-cé]{0,7}") {
            proptest::prop_assert_eq!(within_one_edit(&a, &b), strsim::osa_distance(&a, &b) <= 1);
        }

        #[test]
        fn looked_up_stems_are_the_stemmers(vocabulary in "[a-zA-Zéü' .-]{0,60}", text in "[a-zA-Zéü' ?.-]{0,60}") {
            let mut cached = WordAnalyzer::with_vocabulary([vocabulary.as_str(), text.as_str()], 1_000);
            proptest::prop_assert_eq!(cached.words(&text), words(&mut word_analyzer(), &text));
        }
    }

    #[test]
    fn typo_tolerance_is_bounded() {
        assert!(is_typo_of("memmory", "memory"));
        assert!(is_typo_of("tunning", "tuning"));
        assert!(is_typo_of("embedings", "embeddings"));
        assert!(!is_typo_of("watch", "batch"));
        assert!(!is_typo_of("voices", "choices"));
        assert!(!is_typo_of("memory", "mammary"));
    }
}
