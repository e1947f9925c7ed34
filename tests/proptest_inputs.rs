//! Property tests over what people type: any question text reaches an `Answer` with text, quickly and
//! without a panic; any `/cost` options and any counts give a cost report or an error, never a panic.
//!
//! Case counts are kept small so the file runs in a few seconds in a debug build; set
//! `PROPTEST_CASES` to run more.

mod support;

use std::time::{Duration, Instant};

use productbot::answer::Kind;
use productbot::commands::{self, Command, Invocation, OptValue};
use productbot::cost::{self, CallRequest, ConversationRequest, CostRequest, Input, Period, PriceTable};
use productbot::engine::Engine;
use productbot::render::{self, cost::Marks};
use productbot::text;
use proptest::prelude::*;

/// The slowest an answer may take, in a debug build, before it counts as unbounded.
const MAX_ANSWER: Duration = Duration::from_secs(1);

/// `cases` unless `PROPTEST_CASES` says otherwise; no failure files are written into the tree.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// The shipped corpus's prices.
fn prices() -> &'static PriceTable {
    support::shipped().prices()
}

fn engine() -> &'static Engine {
    support::shipped()
}

/// Asks `q` and checks the answer's invariants.
fn check_answer(q: &str) -> Result<(), TestCaseError> {
    let engine = engine();
    let started = Instant::now();
    let a = engine.answer(q);
    let took = started.elapsed();
    let shown: String = q.chars().take(60).collect();
    prop_assert!(took < MAX_ANSWER, "{shown:?} ({} bytes) took {took:?}", q.len());
    prop_assert!(!render::plain(&a).trim().is_empty(), "{shown:?}: empty answer text");
    prop_assert_eq!(a.question.as_str(), q.trim());
    if a.kind == Kind::OutOfScope {
        prop_assert!(
            a.verdicts.is_empty() && a.sources.is_empty(),
            "{shown:?}: out of scope with a verdict or sources"
        );
    } else {
        prop_assert!(!a.sources.is_empty(), "{shown:?}: {:?} answer without a source", a.kind);
    }
    Ok(())
}

/// Words the engine knows, so generated text reaches retrieval and snippets rather than stopping at
/// "out of scope".
const WORDS: &[&str] = &[
    "does",
    "the",
    "API",
    "ChatGPT",
    "have",
    "memory",
    "canvas",
    "fine-tuning",
    "cost",
    "price",
    "GPT-4o",
    "gpt-5",
    "voice",
    "web",
    "browsing",
    "temperature",
    "embeddings",
    "batch",
    "Plus",
    "$20",
    "tokens",
    "model",
    "system",
    "prompt",
    "what's",
    "free",
    "tier",
    "Llama",
    "pizza",
    "?",
    "1,000",
    "o1",
    "memmory",
];

/// Query-language syntax that tantivy's parser would choke on, mixed with real words.
fn query_syntax() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\"".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just(" AND ".to_owned()),
        Just(" OR ".to_owned()),
        Just(" NOT ".to_owned()),
        Just("title:".to_owned()),
        Just("body:".to_owned()),
        Just("pid:".to_owned()),
        Just("-".to_owned()),
        Just("*".to_owned()),
        Just("~".to_owned()),
        Just("^".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("{".to_owned()),
        Just(" TO ".to_owned()),
        Just("\\".to_owned()),
        Just("'".to_owned()),
        Just(" ".to_owned()),
        "[0-9]{1,3}".prop_map(|s| s),
        prop::sample::select(WORDS).prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

/// Words separated by spaces, some of them joined by control characters.
fn with_controls() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => prop::sample::select(WORDS).prop_map(str::to_owned),
        2 => prop::char::range('\u{0}', '\u{1f}').prop_map(String::from),
        1 => prop::sample::select(vec!['\u{7f}', '\u{85}', '\u{200b}', '\u{200e}', '\u{202e}', '\u{2028}', '\u{feff}', '\u{fffd}']).prop_map(String::from),
        2 => Just(" ".to_owned()),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

/// Long questions, up to 10 kB: known words repeated, one character repeated, or random characters.
fn long_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(WORDS), 0..1_500).prop_map(|w| w.join(" ")),
        (any::<char>(), 0usize..10_000).prop_map(|(c, n)| std::iter::repeat_n(c, n).collect()),
        prop::collection::vec(any::<char>(), 0..2_500).prop_map(|v| v.into_iter().collect()),
    ]
    .prop_map(|s: String| {
        let mut end = s.len().min(10_240);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s[..end].to_owned()
    })
}

/// Option names of `/cost`, a few misspelt or foreign ones, in the `key:value` forms the parser takes.
const COST_KEYS: &[&str] = &[
    "model",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "requests",
    "per",
    "batch",
    "text",
    "conversations_per_day",
    "turns",
    "user_tokens",
    "reply_tokens",
    "input-tokens",
    "--turns",
    "Model",
    "question",
    "",
];

fn cost_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[0-9]{1,25}(\\.[0-9]{1,4})?[kmbKMB]?".prop_map(|s| s),
        "[0-9,_]{1,12}".prop_map(|s| s),
        prop::sample::select(vec![
            "gpt-4o",
            "4o mini",
            "\"gpt-4o mini\"",
            "day",
            "Monthly",
            "true",
            "no",
            "",
            "nan",
            "inf",
            "-0",
            "1e3",
            "1.5k",
            "9223372036854775807k"
        ])
        .prop_map(str::to_owned),
        "\\PC{0,20}".prop_map(|s| s),
    ]
}

fn cost_line() -> impl Strategy<Value = String> {
    let option = (prop::sample::select(COST_KEYS), prop::sample::select(vec![":", "=", " "]), cost_value())
        .prop_map(|(k, sep, v)| format!("{k}{sep}{v}"));
    prop_oneof![
        3 => prop::collection::vec(option, 0..8).prop_map(|o| format!("/cost {}", o.join(" "))),
        1 => "\\PC{0,80}".prop_map(|s| format!("/cost {s}")),
        1 => any::<String>().prop_map(|s| format!("/cost {s}")),
    ]
}

/// Option values as Discord sends them (already typed) as well as text.
fn invocation() -> impl Strategy<Value = Invocation> {
    let value = prop_oneof![
        any::<i64>().prop_map(OptValue::Int),
        any::<bool>().prop_map(OptValue::Bool),
        cost_value().prop_map(OptValue::Str),
    ];
    prop::collection::vec((prop::sample::select(COST_KEYS).prop_map(str::to_owned), value), 0..8)
        .prop_map(|options| Invocation { name: "cost".into(), options })
}

fn any_count() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![
        Just(None),
        any::<u64>().prop_map(Some),
        (0u64..100_000).prop_map(Some),
        prop::sample::select(vec![
            0,
            1,
            u64::MAX,
            u64::MAX - 1,
            cost::MAX_TOKENS,
            cost::MAX_TOKENS + 1,
            cost::MAX_REQUESTS,
            cost::MAX_TURNS,
            cost::MAX_CONVERSATIONS_PER_DAY
        ])
        .prop_map(Some),
    ]
}

fn cost_request() -> impl Strategy<Value = CostRequest> {
    let model = prop::option::of(prop_oneof![
        prop::sample::select(vec!["gpt-4o", "gpt-4o-mini", "gpt-3.5-turbo", "4o", " GPT_4O ", "", "gpt-5"])
            .prop_map(str::to_owned),
        "\\PC{0,16}".prop_map(|s| s),
    ]);
    let per = prop::option::of(prop_oneof![Just(Period::Day), Just(Period::Month)]);
    // Short text only: counting tokens is covered by the tokenizer's own tests and is slow in debug.
    let text = prop::option::weighted(0.1, "\\PC{0,40}".prop_map(|s| s));
    (
        (model, any_count(), any_count(), any_count(), any_count(), per, any::<bool>(), text),
        (any_count(), any_count(), any_count(), any_count()),
    )
        .prop_map(|((model, input, output, cached, requests, per, batch, text), (conv, turns, user, reply))| {
            match conv {
                Some(per_day) => CostRequest::Conversation(ConversationRequest {
                    model,
                    conversations_per_day: per_day,
                    turns: turns.unwrap_or(0),
                    user_tokens: user.unwrap_or(0),
                    reply_tokens: reply.unwrap_or(0),
                    batch,
                }),
                None => CostRequest::Calls(CallRequest {
                    model,
                    input: input.map(Input::Tokens).or(text.map(Input::Text)),
                    output_tokens: output,
                    cached_input_tokens: cached,
                    requests: requests.unwrap_or(1),
                    per,
                    batch,
                }),
            }
        })
}

/// Estimates and renders; both must finish for any request.
fn check_estimate(req: &CostRequest) -> Result<(), TestCaseError> {
    match cost::estimate(prices(), req) {
        Ok(report) => {
            let marks = Marks { strong: &|s| format!("**{s}**"), escape: &|s| s.to_owned(), user: &|s| s.to_owned() };
            prop_assert!(!render::cost::lines(&report, &marks).is_empty());
            let json = serde_json::to_string(&report).unwrap();
            prop_assert!(json.starts_with(r#"{"form":"#), "{}", json);
        }
        Err(e) => prop_assert!(!e.to_string().is_empty()),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_unicode_question_is_answered(q in any::<String>()) {
        check_answer(&q)?;
    }

    #[test]
    fn printable_unicode_with_known_words_is_answered(words in prop::collection::vec(prop_oneof![prop::sample::select(WORDS).prop_map(str::to_owned), "\\PC{1,8}"], 0..20)) {
        check_answer(&words.join(" "))?;
    }

    #[test]
    fn control_characters_are_answered(q in with_controls()) {
        check_answer(&q)?;
    }

    #[test]
    fn query_syntax_is_answered_not_parsed(q in query_syntax()) {
        check_answer(&q)?;
    }
}

proptest! {
    #![proptest_config(config(512))]

    /// The question's index terms are taken from its words (stemmed once) instead of analyzing it a
    /// second time: they must be exactly what the index analyzer gives.
    #[test]
    fn index_terms_from_words_equal_the_index_analyzer(words in prop::collection::vec(prop_oneof![prop::sample::select(WORDS).prop_map(str::to_owned), prop::sample::select(text::INDEX_STOPWORDS).prop_map(str::to_owned), "\\PC{1,8}", any::<String>()], 0..12)) {
        let q = words.join(" ");
        let w = text::words(&mut text::word_analyzer(), &q);
        prop_assert_eq!(text::index_terms(&q, &w, &mut text::index_analyzer()), text::terms(&mut text::index_analyzer(), &q));
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn long_questions_are_answered_in_bounded_time(q in long_text()) {
        check_answer(&q)?;
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn cost_lines_parse_or_fail_cleanly(line in cost_line()) {
        match commands::parse_line(&line) {
            Ok(inv) => match Command::from_invocation(&inv) {
                Ok(Command::Cost(c)) => check_estimate(&c.request)?,
                Ok(other) => prop_assert!(false, "{line:?} parsed as {other:?}"),
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            },
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn typed_cost_options_convert_or_fail_cleanly(inv in invocation()) {
        match Command::from_invocation(&inv) {
            Ok(Command::Cost(c)) => check_estimate(&c.request)?,
            Ok(other) => prop_assert!(false, "{inv:?} became {other:?}"),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn any_counts_estimate_or_fail_cleanly(req in cost_request()) {
        check_estimate(&req)?;
    }

    #[test]
    fn any_shell_line_parses_or_fails_cleanly(line in any::<String>()) {
        if let Ok(inv) = commands::parse_line(&line) {
            let _ = Command::from_invocation(&inv);
        }
    }
}
