//! Answer quality, one table per mechanism: scope decisions with their evidence, features recognised
//! from other words (cards), chat language (lexicon), several features in one question, and the
//! honest middle. The wordings are this file's own: none is in a question set, so each row checks
//! the method, not a tuned phrase.

mod support;

use productbot::answer::{Answer, Confidence, Declined, Kind};
use productbot::engine::Engine;
use productbot::render;

fn engine() -> &'static Engine {
    support::shipped()
}

/// What the engine should do with a question.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// A verdict for this feature, stood behind (high or medium confidence).
    Sure(&'static str),
    /// A low-confidence verdict for this feature, with the closest passages.
    Unsure(&'static str),
    /// Declined as not covered (no other vendor, topic or unknown name given as the reason).
    NotCovered,
    /// Declined for naming another vendor.
    Vendor,
    /// Declined as a topic the corpus lists as uncovered.
    Topic,
}

fn first_feature(a: &Answer) -> Option<&str> {
    a.verdicts.first().map(|v| v.feature.as_str())
}

fn check(q: &str, expect: Expect) {
    let a = engine().answer(q);
    let shown = format!("{q}\n{}\nevidence: {:?}", render::plain(&a), a.evidence);
    match expect {
        Expect::Sure(f) | Expect::Unsure(f) => {
            assert_eq!(a.kind, Kind::Feature, "{shown}");
            assert_eq!(first_feature(&a), Some(f), "{shown}");
            let low = a.confidence == Confidence::Low;
            assert_eq!(low, matches!(expect, Expect::Unsure(_)), "{shown}");
            assert!(!a.sources.is_empty(), "{shown}");
        }
        Expect::NotCovered | Expect::Vendor | Expect::Topic => {
            assert_eq!(a.kind, Kind::OutOfScope, "{shown}");
            let why = &a.declined.as_ref().unwrap().0;
            let ok = match expect {
                Expect::Vendor => matches!(why, Declined::OtherVendor(_)),
                Expect::Topic => matches!(why, Declined::Topic(_)),
                _ => matches!(why, Declined::NotCovered | Declined::Unknown(_)),
            };
            assert!(ok, "{why:?}: {shown}");
        }
    }
}

#[test]
fn scope_is_decided_on_evidence_not_on_chattiness() {
    use Expect::*;
    for (q, expect) in [
        // Greetings, backstory and slang never count against a question.
        ("hey all, long time lurker here. quick one: can the api remember stuff between sessions?", Sure("memory")),
        (
            "so my boss read some blog post and now wants numbers by friday. can the api browse the web?",
            Sure("web_browsing"),
        ),
        // An alias among words the corpus never uses is the word in another sense.
        ("what oven temperature for sourdough?", NotCovered),
        ("the voice on my gps is so annoying, how do i change it", NotCovered),
        ("how do i fine-tune my piano", NotCovered),
        ("fine tuning my guitar strings", NotCovered),
        // Nothing of the corpus at all.
        ("what's the best hiking trail near denver", NotCovered),
        ("who won the super bowl", NotCovered),
        // Another vendor asked about; one in the backstory is only mentioned.
        ("Does Mistral have an embeddings endpoint?", Vendor),
        (
            "my manager swears by Claude but our team is on ChatGPT. can ChatGPT edit a doc side by side with me?",
            Sure("canvas"),
        ),
        // A topic the table lists as uncovered.
        ("can we plug the api into our SSO provider?", Topic),
        // A model the article never names: declined without a feature, unsure with one.
        ("is gpt-7 any good at poetry?", NotCovered),
        ("is gpt-7 fine-tunable through the api?", Unsure("fine_tuning")),
        // Two names it never uses in the sentence that asks: about them, not the feature.
        ("what's the default `logit_bias` param for gpt-9-turbo?", NotCovered),
        // One code name it never uses: unsure, and said so.
        ("does the api let me set `seed_value` as a parameter?", Unsure("parameter_control")),
        // Telling who you are is not asking; a request is.
        ("I'm a teacher, not a coder. I'm wondering whether the api can browse the web?", Sure("web_browsing")),
    ] {
        check(q, expect);
    }
}

#[test]
fn scope_evidence_is_reported() {
    let a = engine().answer("what oven temperature for sourdough?");
    let e = &a.evidence;
    assert_eq!(e.feature_by, "alias", "{e:?}");
    assert!(e.unknown >= 1 && e.unknown * 2 > e.informative, "{e:?}");
    assert_eq!(e.rest, Some(0.0), "{e:?}");
    let a = engine().answer("does the api have memory?");
    assert!(a.evidence.cards.first().is_some_and(|(f, _)| f == "memory"), "{:?}", a.evidence);
}

#[test]
fn features_are_recognised_from_other_words() {
    use Expect::*;
    for (q, expect) in [
        // No alias: the feature's card (note, passage, examples) carries the question, and the
        // fitted confidence stands behind the reading.
        ("can the api keep track of what a user told it last week", Sure("memory")),
        ("is there a way to flag abusive posts automatically before they go live, using the api?", Sure("moderation")),
        ("I want to turn meeting recordings into written notes with the api", Unsure("audio")),
        (
            "my manager swears by Claude but our team is on ChatGPT. can ChatGPT edit a doc side by side with me?",
            Sure("canvas"),
        ),
    ] {
        check(q, expect);
    }
}

#[test]
fn chat_language_reads_as_the_words_it_stands_for() {
    use Expect::*;
    for (q, expect) in [
        ("can u fine tune w/ the api pls", Sure("fine_tuning")),
        ("does chatgpt hv memory tbh idk", Sure("memory")),
        // An aside is filler: "iirc" (if I recall) is not a question about memory.
        ("iirc the api cant browse right?", Sure("web_browsing")),
        ("ngl is ft a thing in chatgpt", Sure("fine_tuning")),
    ] {
        check(q, expect);
    }
    let lexicon = &engine().corpus().lexicon;
    assert_eq!(lexicon.expand("can u ft w/ it"), "can you fine-tuning with it");
    assert_eq!(lexicon.expand("TBH idk"), "honestly I don't know");
    // Whole words only: "urgent" is not "your" + "gent".
    assert_eq!(lexicon.expand("urgent"), "urgent");
}

#[test]
fn several_features_in_one_question_get_a_verdict_each() {
    for (q, want) in [
        ("I need logprobs plus batch jobs, does the API do both?", vec!["batch", "logprobs"]),
        ("compare memory, canvas and voice across the two", vec!["memory", "voice", "canvas"]),
        (
            "canvas vs code interpreter vs web search, which are chatgpt only",
            vec!["web_browsing", "code_interpreter", "canvas"],
        ),
    ] {
        let a = engine().answer(q);
        let got: Vec<&str> = a.verdicts.iter().map(|v| v.feature.as_str()).collect();
        let (mut g, mut w) = (got.clone(), want.clone());
        g.sort_unstable();
        w.sort_unstable();
        assert_eq!(g, w, "{q}: {}", render::plain(&a));
        // `verdict` is the first of `verdicts`.
        let json = serde_json::to_value(render::json::answer(&a)).unwrap();
        assert_eq!(json["verdict"], json["verdicts"][0], "{q}");
        assert_eq!(json["verdicts"].as_array().unwrap().len(), want.len(), "{q}");
    }
}

#[test]
fn the_middle_says_it_is_not_sure_and_shows_the_closest_passages() {
    for q in [
        "is gpt-7 fine-tunable through the api?",
        "ngl i just want the thing to stop making stuff up, which one is more accurate",
    ] {
        let a = engine().answer(q);
        assert_eq!(a.confidence, Confidence::Low, "{q}: {}", render::plain(&a));
        assert!(!a.sources.is_empty(), "{q}");
        let text = render::plain(&a);
        assert!(text.starts_with("I'm not sure"), "{q}: {text}");
        let json = serde_json::to_value(render::json::answer(&a)).unwrap();
        assert_eq!(json["confidence"], "low", "{q}");
    }
    // A feature named only in the backstory, while the sentence that asks is about something
    // else: unsure, and the passage closest to the whole question leads, not the feature's.
    let q = "We bought Plus for the office and folks love the chat window. \
             Honestly though, who should pick which product when the engineers start building things?";
    let a = engine().answer(q);
    assert_eq!(a.confidence, Confidence::Low, "{q}: {}", render::plain(&a));
    let own = engine().feature_answer("chat_interface").unwrap();
    assert_ne!(a.sources[0].heading, own.sources[0].heading, "{q}: {}", render::plain(&a));
    // The same feature asked about is answered as before.
    let a = engine().answer("We bought Plus for the office. Does the api come with a chat window?");
    assert_eq!(first_feature(&a), Some("chat_interface"), "{}", render::plain(&a));
    assert_ne!(a.confidence, Confidence::Low, "{}", render::plain(&a));
    // A model the article never names is said so.
    let a = engine().answer("is gpt-7 fine-tunable through the api?");
    assert!(a.caveats.iter().any(|c| c.text().contains("gpt-7")), "{:?}", a.caveats);
    // A confident answer does not hedge.
    let a = engine().answer("can i fine tune in chatgpt?");
    assert_ne!(a.confidence, Confidence::Low);
    assert!(!render::plain(&a).contains("not sure"));
}

/// Adding an article must not break the first one's answers, and is answered itself. The dev and
/// extra sets were labelled for the shipped article alone: where the second article now answers a
/// question better (message caps, seat prices), its section leads and the label's does not, so
/// this allows the drop measured when it was written (see the note in BENCHMARKS.md).
#[test]
fn a_second_article_keeps_the_first_answered_and_is_answered_itself() {
    with_article_scores("second-article", 2, 5, "second.jsonl", 80);
}

/// The shipped corpus plus the article in `tests/data/DIR`: dev and extra lose at most `dev_drop`
/// and `extra_drop` questions, and the article's own set `own` scores at least `own_percent`%.
/// Returns the engine, for checks of single answers.
fn with_article_scores(dir: &str, dev_drop: usize, extra_drop: usize, own: &str, own_percent: usize) -> Engine {
    let scratch = support::with_article(dir);
    let engine = support::engine(&scratch.corpus());
    let data = support::repo().join("tests/data");
    let (dev, total, fails) = support::score(&engine, &data.join("dev.jsonl"));
    assert!(dev + dev_drop >= total, "dev {dev}/{total}: {fails:#?}");
    let (extra, total, fails) = support::score(&engine, &data.join("extra.jsonl"));
    assert!(extra + extra_drop >= total, "extra {extra}/{total}: {fails:#?}");
    let (passed, total, fails) = support::score(&engine, &data.join(own));
    assert!(passed * 100 >= total * own_percent, "{own} {passed}/{total}: {fails:#?}");
    engine
}

/// An article added later, written with its features and questions by someone who had not seen the
/// engine (a coding agent used from ChatGPT or from a terminal): the shipped sets keep their scores
/// and its own questions are answered. Its table has an alias that reduces to the article's subject
/// ("@codex"), which is ignored rather than taken for a feature in every question naming Codex.
#[test]
fn an_article_added_later_keeps_the_shipped_answers_and_is_answered_itself() {
    let engine = with_article_scores("codex-article", 2, 2, "codex.jsonl", 60);
    let a = engine.answer("does codex in chatgpt keep working on its own while I close my laptop?");
    assert!(a.verdicts.iter().all(|v| v.feature != "codex_code_review"), "{}", render::plain(&a));
    // A question that names one article's subject ("the API", "the CLI") and not the other's is read
    // against that article first: the other's aliases ("automatic reviews", "reviewer") are common
    // words there unless its card is still the best reading.
    for (q, want) in [
        (
            "Is there an OpenAI API endpoint that screens what users post for abuse before it goes live, like an automatic review?",
            "moderation",
        ),
        ("with the api can i see how likely each token was, so a human can review the shaky ones?", "logprobs"),
        ("Will the Codex CLI open a pull request on its own when it's done?", "codex_pull_requests"),
    ] {
        let a = engine.answer(q);
        assert_eq!(first_feature(&a), Some(want), "{q}\n{}", render::plain(&a));
    }
}
