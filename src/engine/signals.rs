//! The signals the fitted decisions read (`model.rs`): numbers about a question's shape (English cue
//! words in the sentences that ask, from `cues.toml`), what it names, what the feature cards and
//! retrieval make of it, what the closest passages cover of its focus, and how close they are in
//! meaning. Each has a name; a model lists the names it uses, and its weights go with them.

use std::sync::LazyLock;

use serde::Deserialize;

use super::analysis::{Analysis, Candidate, FocusTerm};
use super::intent::{self, Found};
use super::scope::{self, Stance};
use super::tuning::TUNING;
use crate::corpus::Passage;

/// English cue words, by group (`cues.toml`).
#[derive(Debug, Deserialize)]
pub struct Cues {
    yes_no: Vec<String>,
    wh: Vec<String>,
    quantity: Vec<String>,
    have: Vec<String>,
    list: Vec<String>,
    choose: Vec<String>,
    pub price: Vec<String>,
    opener_skip: Vec<String>,
    lead_in: Vec<String>,
    request: Vec<String>,
    embedded: Vec<String>,
    pub negation: Vec<String>,
    pub only: Vec<String>,
    pub both: Vec<String>,
    pub both_products: Vec<String>,
    pub choose_both: Vec<String>,
    pub plan: Vec<String>,
}

impl Cues {
    /// Whether `word` is in `group`.
    pub fn is(group: &[String], word: &str) -> bool {
        group.iter().any(|g| g == word)
    }

    /// Whether `word` shapes a question rather than naming its subject: a cue asking for a list,
    /// a choice or a price ("list", "checklist", "rundown", "cost"). Such a word that the corpus
    /// never uses says what kind of answer is wanted, not what the question is about.
    pub fn shapes_question(&self, word: &str) -> bool {
        [&self.list, &self.choose, &self.price, &self.quantity].iter().any(|g| Self::is(g, word))
    }
}

pub static CUES: LazyLock<Cues> =
    LazyLock::new(|| toml::from_str(include_str!("cues.toml")).expect("the compiled-in cues.toml parses (tested)"));

/// The question signals, in order.
pub const QUESTION: &[&str] = &[
    "yes_no",
    "wh_open",
    "request",
    "how",
    "how_quantity",
    "what",
    "why",
    "which",
    "when",
    "have",
    "list",
    "choose",
    "price",
    "alias_focus",
    "alias_any",
    "alias_n",
    "by_alias",
    "by_card",
    "sure",
    "card",
    "card_margin",
    "products",
    "products_two",
    "other_vendor",
    "topic",
    "topic_covered",
    "unknown_asked",
    "code",
    "asks_for_unknown",
    "backstory_alias",
    "rare_unknown",
    "common_unknown",
    "attr_terms",
    "attr_cov_own",
    "attr_cov_best",
    "focus_cov",
    "sentence_cov",
    "sentence_all",
    "wh_uncovered",
    "coverage",
    "unknown_share",
    "no_informative",
    "meaning_best",
    "focus_meaning_best",
    "own_top",
    "alias_unknown_name",
    "card_unknown_name",
    "none_unknown_name",
    "alias_code_unknown",
    "alias_mostly_unknown",
    "alias_rest",
    "none_mostly_unknown",
    "none_asks_unknown",
    "card_coverage",
    "none_coverage",
    "none_no_informative",
    "rules_decline",
    "rules_unsure",
    "plain_availability",
    "quantity_figure",
    "quantity_no_figure",
    "price_unpriced_plan",
    // What the question's words say (filled in by [`fill_words`] from the fitted word model).
    "words_not_covered",
    "words_informational",
    "words_list",
];

/// What the confidence decision reads besides the question's signals: the decisions taken.
pub const DECISION: &[&str] =
    &["probability", "covered", "as_availability", "as_informational", "as_list", "as_not_covered"];

/// The confidence decision's signals: [`DECISION`], then the question's ([`QUESTION`]).
pub fn confidence(d: &crate::answer::Decision, question: &[f64]) -> Vec<f64> {
    use crate::answer::QuestionType as T;
    let mut out = vec![
        d.probability,
        d.covered,
        flag(d.kind == T::Availability),
        flag(d.kind == T::Informational),
        flag(d.kind == T::List),
        flag(d.kind == T::NotCovered),
    ];
    out.extend_from_slice(question);
    out
}

/// The names of [`confidence`]'s values.
pub fn confidence_names() -> Vec<&'static str> {
    DECISION.iter().chain(QUESTION).copied().collect()
}

/// The signals of one candidate passage, in order.
pub const PASSAGE: &[&str] = &[
    "score_rel",
    "score_top",
    "score_log",
    "meaning",
    "meaning_gap",
    "focus_meaning",
    "own",
    "section_lead",
    "doc_intro",
    "cov",
    "attr_cov",
    "heading_meaning",
    "section_score",
    "section_meaning",
    "lead_choose",
    "lead_why",
    "lead_wh",
    "own_yes_no",
    "own_wh",
];

fn flag(b: bool) -> f64 {
    f64::from(u8::from(b))
}

/// How much a focus term weighs in what a passage must cover: its idf, or for a word the corpus
/// never uses, the rarest word's idf, less when the word is everyday English (the asker's own
/// words rather than a topic the corpus lacks).
fn mass(t: &FocusTerm, max_idf: f32) -> f32 {
    match t.idf {
        Some(idf) => idf,
        None if is_common(t) => TUNING.common_unknown_weight * max_idf,
        None => max_idf,
    }
}

fn is_common(t: &FocusTerm) -> bool {
    t.english_rank.is_some_and(|r| r < TUNING.common_english_rank)
}

/// The share of the focus terms' mass (those `pick` keeps) that a candidate has; 1 when nothing is
/// picked.
fn covered(focus: &[FocusTerm], c: &Candidate, max_idf: f32, pick: impl Fn(&FocusTerm) -> bool) -> f64 {
    covered_by(focus, &c.has, max_idf, pick)
}

/// The same share, of what one sentence (or any set of flags per focus term) has.
fn covered_by(focus: &[FocusTerm], flags: &[bool], max_idf: f32, pick: impl Fn(&FocusTerm) -> bool) -> f64 {
    let (mut total, mut has) = (0.0f32, 0.0f32);
    for (t, h) in focus.iter().zip(flags) {
        if pick(t) {
            let m = mass(t, max_idf);
            total += m;
            if *h {
                has += m;
            }
        }
    }
    if total > 0.0 { f64::from(has / total) } else { 1.0 }
}

/// The signals of a question, in [`QUESTION`] order.
pub fn question(a: &Analysis) -> Vec<f64> {
    let max_idf = a.max_idf;
    let cues = &*CUES;
    let asking: Vec<&str> = {
        let focus: Vec<&str> =
            a.q.words.iter().zip(&a.q.focus).filter(|(_, f)| **f).map(|(w, _)| w.text.as_str()).collect();
        if focus.is_empty() { a.q.words.iter().map(|w| w.text.as_str()).collect() } else { focus }
    };
    let is = |group: &[String], w: &str| group.iter().any(|g| g == w);
    let count = |group: &[String]| asking.iter().filter(|w| is(group, w)).count();
    // Each asking sentence's opening, past words like "so" or "hey": a yes/no question ("does",
    // "can", or a request with "if": "I was wondering if ..."), a wh-question, or a request.
    let (mut yes_no_open, mut wh_open, mut request, mut first_opener) = (false, false, false, None);
    let sentences: Vec<usize> = {
        let mut s: Vec<usize> = a.q.sentence.iter().zip(&a.q.focus).filter(|(_, f)| **f).map(|(s, _)| *s).collect();
        s.dedup();
        s
    };
    for s in sentences {
        let ws: Vec<&str> =
            a.q.words
                .iter()
                .zip(&a.q.sentence)
                .filter(|(_, x)| **x == s)
                .map(|(w, _)| w.text.as_str())
                .skip_while(|w| is(&cues.opener_skip, w))
                .collect();
        let Some(&first) = ws.first() else { continue };
        // Past a leading phrase ("with the api can i see ..."): the first cue word soon after it.
        let opener = if is(&cues.lead_in, first) {
            ws.iter().skip(1).take(5).copied().find(|w| is(&cues.yes_no, w) || is(&cues.wh, w)).unwrap_or(first)
        } else {
            first
        };
        first_opener.get_or_insert(opener);
        let requesting = matches!(opener, "i" | "we" | "im" | "id") && ws.iter().take(4).any(|w| is(&cues.request, w));
        if is(&cues.yes_no, opener) || (requesting && ws.iter().any(|w| is(&cues.embedded, w))) {
            yes_no_open = true;
        } else if is(&cues.wh, opener) {
            wh_open = true;
        } else if requesting {
            request = true;
        }
    }
    let first = first_opener.unwrap_or_else(|| asking.first().copied().unwrap_or_default());
    let how_at = asking.iter().position(|w| *w == "how");
    let quantity = how_at.is_some_and(|i| asking.get(i + 1).is_some_and(|w| is(&cues.quantity, w)));
    let clean: Vec<_> = a.hits.iter().filter(|h| h.skipped == 0).collect();
    let ranked = intent::ranked(&a.cards);
    let best = ranked.first().map_or(0.0, |r| r.1);
    let second = ranked.get(1).map_or(0.0, |r| r.1);
    let yes_no = if yes_no_open {
        1.0
    } else if wh_open {
        0.0
    } else {
        0.5
    };
    let attribute = |t: &FocusTerm| !t.in_alias;
    let unknown_attrs = |common: bool| {
        a.focus.iter().filter(|t| !t.in_alias && t.idf.is_none() && is_common(t) == common).count() as f64
    };
    let rare = unknown_attrs(false);
    let alias_focus = clean.iter().any(|h| h.positions.iter().any(|p| a.q.focus[*p]));
    let own = a.candidates.iter().find(|c| c.own);
    let attr_cov_own = own.map_or(0.0, |c| covered(&a.focus, c, max_idf, attribute));
    let attr_cov: Vec<f64> = a.candidates.iter().map(|c| covered(&a.focus, c, max_idf, attribute)).collect();
    let attr_cov_best = attr_cov.iter().copied().fold(0.0, f64::max);
    // The passage that covers most of what is asked: of the candidates that do (all of them when
    // none covers anything), one with a figure if there is such, else the first.
    let covering: Vec<&Candidate> =
        a.candidates.iter().zip(&attr_cov).filter(|(_, cov)| **cov >= attr_cov_best).map(|(c, _)| c).collect();
    let best_covering = covering.iter().find(|c| attr_cov_best > 0.0 && c.figure).or(covering.first());
    // What one sentence of a passage covers: "GPT-4o input tokens cost around $2.50 per million"
    // has the whole of "how much does GPT-4o cost per million tokens?", which no sentence has of
    // the same question about GPT-4o mini.
    let sentence_cov = a
        .candidates
        .iter()
        .flat_map(|c| c.sentences.iter())
        .map(|s| covered_by(&a.focus, s, max_idf, |_| true))
        .fold(0.0, f64::max);
    let focus_cov = a.candidates.iter().map(|c| covered(&a.focus, c, max_idf, |_| true)).fold(0.0, f64::max);
    let by_alias = matches!(a.intent.by, Found::Alias | Found::SkippedAlias);
    let by_card = a.intent.by == Found::Card;
    let nothing = a.intent.by == Found::Nothing;
    let named = a.u.named > 0;
    let e = &a.evidence;
    let mostly_unknown = e.mostly_unknown(named);
    let rules = rules_stance(a);
    let values = [
        yes_no,
        flag(wh_open),
        flag(request),
        flag(how_at.is_some() && !quantity),
        flag(quantity),
        flag(first == "what" || first == "whats"),
        flag(asking.contains(&"why")),
        flag(asking.contains(&"which")),
        flag(asking.contains(&"when") || asking.contains(&"where")),
        flag(count(&cues.have) > 0),
        (count(&cues.list) as f64).min(2.0) / 2.0,
        (count(&cues.choose) as f64).min(2.0) / 2.0,
        flag(count(&cues.price) > 0),
        flag(alias_focus),
        flag(!clean.is_empty()),
        (clean.len() as f64).min(3.0) / 3.0,
        flag(by_alias),
        flag(a.intent.by == Found::Card),
        flag(a.intent.sure && a.intent.by != Found::Nothing),
        f64::from(best).ln_1p() / 4.0,
        f64::from((best + 1.0) / (second + 1.0)).ln(),
        flag(a.u.named > 0),
        flag(a.u.named >= 2),
        flag(a.u.other.as_ref().is_some_and(|(_, at)| a.q.focus[*at])),
        flag(a.u.topic.as_ref().is_some_and(|(_, at)| at.iter().any(|p| a.q.focus[*p]))),
        // A topic `[scope] topics` lists as uncovered that the articles the question may be answered
        // from cover ("per seat" beside "$30 per user per month"): asked about, and answered.
        flag(a.u.topic.is_none() && a.u.topics.iter().any(|(_, at)| at.iter().any(|p| a.q.focus[*p]))),
        flag(a.unknown_asked > 0 || a.unknown_names > 0),
        flag(a.code_asked > 0),
        flag(a.asks_for_unknown),
        flag(by_alias && !a.asks_about),
        rare.min(2.0) / 2.0,
        unknown_attrs(true).min(3.0) / 3.0,
        (a.focus.iter().filter(|t| attribute(t)).count() as f64).min(4.0) / 4.0,
        attr_cov_own,
        attr_cov_best,
        focus_cov,
        sentence_cov,
        flag(sentence_cov >= 1.0),
        (1.0 - yes_no) * (1.0 - attr_cov_best),
        f64::from(e.coverage),
        e.unknown_in_focus as f64 / e.in_focus.max(1) as f64,
        flag(e.in_focus == 0),
        a.candidates.iter().map(|c| f64::from(c.meaning)).fold(0.0, f64::max),
        a.candidates.iter().map(|c| f64::from(c.focus_meaning)).fold(0.0, f64::max),
        flag(a.closest.first().is_some_and(|h| a.candidates.iter().any(|c| c.own && c.pid == h.pid))),
        // The same signals as the rules they stand for read them: by how the feature was found.
        flag(by_alias && !a.unknown.is_empty()),
        flag(by_card && !a.unknown.is_empty()),
        flag(nothing && !a.unknown.is_empty()),
        flag(by_alias && a.code_asked >= 1 && a.unknown_asked >= 2),
        flag(by_alias && mostly_unknown),
        if by_alias && mostly_unknown { f64::from(a.rest).ln_1p() } else { 0.0 },
        flag(nothing && !named && e.mostly_unknown(false)),
        flag(nothing && a.asks_for_unknown),
        if by_card { f64::from(e.coverage) } else { 0.0 },
        if nothing { f64::from(e.coverage) } else { 0.0 },
        flag(nothing && e.in_focus == 0),
        flag(rules == Stance::Decline),
        flag(rules == Stance::Unsure),
        // "Can I upload a PDF to ChatGPT?": a yes/no question naming a feature in the sentence
        // that asks, with nothing rare the corpus lacks and no unknown model written as code.
        flag(yes_no == 1.0 && alias_focus && rare == 0.0 && a.code_asked == 0 && !a.asks_for_unknown),
        // "How many days ...": whether the passage that covers most of what is asked has a figure.
        flag(quantity && best_covering.is_some_and(|c| c.figure)),
        flag(quantity && !best_covering.is_some_and(|c| c.figure)),
        // "How much is Claude Enterprise?": a price of a plan no price file has.
        flag(count(&cues.price) > 0 && a.unpriced_plan),
        0.0,
        0.0,
        0.0,
    ];
    debug_assert_eq!(values.len(), QUESTION.len());
    values.to_vec()
}

/// The words of the sentences that ask (all of them when none or all ask), as tokens for the word
/// model: a feature's alias becomes `@feature` and a product's or vendor's name `@product`, so
/// what is learned is how people ask, not which of this corpus's features they ask about; a
/// number is `@number`; a word of the asking sentences that no passage of the articles read uses is
/// `~stem`; every other word is its stem. Distinct unigrams, then distinct bigrams
/// (`a b`), with `^` before the first word of each asking sentence.
pub fn words(a: &Analysis) -> Vec<String> {
    let any_focus = a.q.focus.iter().any(|f| *f);
    let in_alias: Vec<bool> = (0..a.q.words.len()).map(|i| a.u.hits.iter().any(|h| h.positions.contains(&i))).collect();
    // A word no passage of the articles read uses is another token than the same word where a
    // passage uses it: "retention" is uncovered beside an article that never speaks of it, covered
    // beside one with a section on it, and the word model learns the two apart. (A word only a
    // heading has counts as unused: the focus terms' idf is the passages'.)
    let lacking: Vec<&str> =
        a.focus.iter().filter(|t| t.idf.is_none()).map(|t| a.q.words[t.word].stem.as_str()).collect();
    let mut unigrams: Vec<String> = Vec::new();
    let mut bigrams: Vec<String> = Vec::new();
    let mut previous: Option<(usize, String)> = None;
    for (i, w) in a.q.words.iter().enumerate() {
        if any_focus && !a.q.focus[i] {
            continue;
        }
        let token = if in_alias[i] {
            "@feature".to_owned()
        } else if a.u.matched.get(i).copied().unwrap_or(false) {
            "@product".to_owned()
        } else if w.text.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
            "@number".to_owned()
        } else if lacking.contains(&w.stem.as_str()) {
            format!("~{}", w.stem)
        } else {
            w.stem.clone()
        };
        let sentence = a.q.sentence[i];
        let before = match &previous {
            Some((s, t)) if *s == sentence => t.clone(),
            _ => "^".to_owned(),
        };
        // A multi-word alias or name is one token.
        if before != token || !token.starts_with('@') {
            bigrams.push(format!("{before} {token}"));
        }
        unigrams.push(token.clone());
        previous = Some((sentence, token));
    }
    unigrams.sort();
    unigrams.dedup();
    bigrams.sort();
    bigrams.dedup();
    unigrams.extend(bigrams);
    unigrams
}

/// Writes the word model's `words_*` signals into a question's signals (in [`QUESTION`] order).
pub fn fill_words(model: &crate::engine::model::Words, tokens: &[String], x: &mut [f64]) {
    let at = |name: &str| QUESTION.iter().position(|n| *n == name).expect("a word signal");
    let scope = model.scope.log_odds(tokens);
    let kind = model.kind.log_odds(tokens);
    x[at("words_not_covered")] = scope.first().copied().unwrap_or(0.0);
    x[at("words_informational")] = kind.first().copied().unwrap_or(0.0);
    x[at("words_list")] = kind.get(1).copied().unwrap_or(0.0);
}

/// What the hand-written rules read a question as: declined on their stance, a verdict where a
/// feature was found, otherwise the closest passages.
pub fn rules_reading(a: &Analysis) -> crate::answer::QuestionType {
    use crate::answer::QuestionType as T;
    if rules_stance(a) == Stance::Decline {
        T::NotCovered
    } else if a.intent.features.is_empty() {
        T::Informational
    } else {
        T::Availability
    }
}

/// The stance the engine's hand-written scope rules take (before decisions were fitted): one
/// signal among the others, so the fitted model weighs what the rules knew.
fn rules_stance(a: &Analysis) -> Stance {
    let e = &a.evidence;
    let named = a.u.named > 0;
    let t = &TUNING;
    match a.intent.by {
        Found::Alias if e.mostly_unknown(named) && a.rest < t.rest_support => {
            if named {
                Stance::Unsure
            } else {
                Stance::Decline
            }
        }
        Found::Alias | Found::SkippedAlias if a.code_asked >= 1 && a.unknown_asked >= 2 => Stance::Decline,
        Found::Alias | Found::SkippedAlias if !a.unknown.is_empty() => Stance::Unsure,
        Found::Alias | Found::SkippedAlias if a.intent.sure => Stance::Answer,
        Found::Alias | Found::SkippedAlias => Stance::Unsure,
        Found::Card if !a.unknown.is_empty() => Stance::Decline,
        Found::Card if a.intent.sure && scope::stance(e, named) == Stance::Answer => Stance::Answer,
        Found::Card => Stance::Unsure,
        Found::Nothing if !a.unknown.is_empty() => Stance::Decline,
        Found::Nothing if a.asks_for_unknown => Stance::Decline,
        Found::Nothing if !named && e.mostly_unknown(false) => Stance::Decline,
        Found::Nothing => scope::stance(e, named),
    }
}

/// The signals of each candidate passage, in [`PASSAGE`] order; `question` is the question's
/// signals (in [`QUESTION`] order), whose shape says which kind of passage answers it.
pub fn passages(a: &Analysis, passages: &[Passage], question: &[f64]) -> Vec<Vec<f64>> {
    let max_idf = a.max_idf;
    let q = |name: &str| QUESTION.iter().position(|n| *n == name).map_or(0.0, |i| question[i]);
    let (yes_no, wh, choose, why) = (q("yes_no"), q("wh_open"), q("choose"), q("why"));
    let top = a.candidates.iter().map(|c| c.score).fold(0.0f32, f32::max);
    let best_meaning = a.candidates.iter().map(|c| c.meaning).fold(f32::MIN, f32::max);
    let rel = |c: &Candidate| if top > 0.0 { f64::from(c.score / top) } else { 0.0 };
    a.candidates
        .iter()
        .map(|c| {
            let p = &passages[c.pid];
            let same: Vec<&Candidate> = a
                .candidates
                .iter()
                .filter(|o| passages[o.pid].section == p.section && passages[o.pid].doc == p.doc)
                .collect();
            let lead = flag(p.heading == p.section && !p.intro);
            let values = [
                rel(c),
                flag(top > 0.0 && c.score >= top),
                f64::from(c.score).ln_1p(),
                f64::from(c.meaning),
                f64::from(c.meaning - best_meaning),
                f64::from(c.focus_meaning),
                flag(c.own),
                lead,
                flag(p.intro),
                covered(&a.focus, c, max_idf, |_| true),
                covered(&a.focus, c, max_idf, |t| !t.in_alias),
                f64::from(c.heading_meaning),
                same.iter().map(|o| rel(o)).sum::<f64>(),
                same.iter().map(|o| f64::from(o.meaning)).fold(0.0, f64::max),
                lead * choose,
                lead * why,
                lead * wh,
                flag(c.own) * yes_no,
                flag(c.own) * wh,
            ];
            values.to_vec()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cues_parse() {
        assert!(CUES.wh.contains(&"how".to_owned()) && CUES.yes_no.contains(&"does".to_owned()));
    }

    /// The word model's tokens for `q` over the corpus in `dir`.
    fn tokens(dir: &str, q: &str) -> Vec<String> {
        words(&super::super::test_engine(dir).analyze_alone(q))
    }

    /// A word the articles asked about never use is its own token ("~retent"), the same word where
    /// they use it the plain stem: the word model learns the two apart.
    #[test]
    fn a_word_the_articles_lack_is_another_token() {
        let q = "how long is data retention for the API?";
        let shipped = tokens("corpus", q);
        assert!(shipped.contains(&"~retent".to_owned()) && !shipped.contains(&"retent".to_owned()), "{shipped:?}");
        assert!(shipped.contains(&"data".to_owned()), "{shipped:?}");
        let claude = tokens("tests/fixtures/two-vendors", "how long is data retention for the Anthropic API?");
        assert!(claude.contains(&"retent".to_owned()) && !claude.contains(&"~retent".to_owned()), "{claude:?}");
    }
}
