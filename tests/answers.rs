//! Answer quality and robustness, through the library on the shipped corpus (index in RAM).
//!
//! One `check` helper over tables of questions; the JSONL question sets in `tests/data/` (the dev set
//! copied from `shared/eval`, and `extra.jsonl` with wordings the dev set does not have) are scored
//! with the same rules as `shared/eval/score.py`.

mod support;

use std::time::{Duration, Instant};

use productbot::answer::{Answer, Confidence, Kind, QuestionType};
use productbot::engine::Engine;
use productbot::render;

fn engine() -> &'static Engine {
    support::shipped()
}

/// Asks `q` and checks the feature verdict (id, asked product, availability of that product or of
/// every product, "a/b") and that `section` is among the top three sources.
fn check(q: &str, feature: &str, asked: Option<&str>, expect: &str, section: &str) {
    let a = engine().answer(q);
    assert_eq!(a.kind, Kind::Feature, "{q}: {}", render::plain(&a));
    let v = a.verdict().unwrap();
    assert_eq!(v.feature, feature, "{q}");
    assert_eq!(v.asked.as_deref(), asked, "{q}");
    let got = match asked {
        Some(_) => v.asked_value().unwrap().to_string(),
        None => v.availability.iter().map(|p| p.value.to_string()).collect::<Vec<_>>().join("/"),
    };
    assert_eq!(got, expect, "{q}");
    assert!(a.sources.iter().take(3).any(|s| s.section == section), "{q}: {:?}", sections(&a));
}

fn sections(a: &Answer) -> Vec<&str> {
    a.sources.iter().map(|s| s.section.as_str()).collect()
}

#[test]
fn feature_questions_in_many_wordings() {
    let c = "Features Only in ChatGPT";
    let api = "Features Only in the API";
    let docs = "What The Docs Say";
    for (q, f, asked, expect, section) in [
        ("does the API have memory?", "memory", Some("api"), "no", c),
        ("Will the API remember earlier conversations?", "memory", Some("api"), "no", c),
        ("does chatgpt keep context across chats", "memory", Some("chatgpt"), "yes", c),
        ("memmory in the api??", "memory", Some("api"), "no", c),
        // The yes/no question after a leading phrase.
        ("in chatgpt is there a way to see token probabilities?", "logprobs", Some("chatgpt"), "no", api),
        ("Is Canvas available via the API?", "canvas", Some("api"), "no", c),
        ("can chatgpt speak to me", "voice", Some("chatgpt"), "yes", c),
        ("Realtime voice through the API?", "voice", Some("api"), "partial", c),
        ("Can the API browse the web?", "web_browsing", Some("api"), "no", c),
        ("does chatgpt have internet access", "web_browsing", Some("chatgpt"), "yes", c),
        ("Does the API give me a chat UI?", "chat_interface", Some("api"), "no", c),
        ("can I change top_p in ChatGPT", "parameter_control", Some("chatgpt"), "no", api),
        ("frequency penalty in the API?", "parameter_control", Some("api"), "yes", api),
        ("does ChatGPT support custom instructions", "system_prompt", Some("chatgpt"), "partial", api),
        ("can i fine tune in chatgpt?", "fine_tuning", Some("chatgpt"), "no", api),
        ("fine tunning on the API", "fine_tuning", Some("api"), "yes", api),
        ("Which one has fine-tuning?", "fine_tuning", None, "no/yes", api),
        ("Can I get embeddings from ChatGPT?", "embeddings", Some("chatgpt"), "no", api),
        ("bulk processing at a discount in the api?", "batch", Some("api"), "yes", api),
        ("json schema output in chatgpt?", "structured_outputs", Some("chatgpt"), "no", api),
        ("does the api return log probabilities", "logprobs", Some("api"), "yes", api),
        ("can the API generate images", "image_generation", Some("api"), "yes", docs),
        ("Whisper in the API?", "audio", Some("api"), "yes", docs),
        ("moderation endpoint in the API", "moderation", Some("api"), "yes", docs),
        ("Does ChatGPT have Advanced Data Analysis?", "code_interpreter", Some("chatgpt"), "yes", docs),
        ("Does the API have Code Interpreter?", "code_interpreter", Some("api"), "unknown", docs),
        ("can I upload files to chatgpt", "file_uploads", Some("chatgpt"), "yes", docs),
        ("Custom GPTs: ChatGPT or API?", "custom_gpts", None, "yes/unknown", docs),
    ] {
        check(q, f, asked, expect, section);
    }
}

#[test]
fn api_memory_answer_reads_as_a_verdict_with_a_cited_passage() {
    let a = engine().answer("Does the API have memory?");
    let text = render::plain(&a);
    assert!(text.starts_with("No. The API does not offer memory."), "{text}");
    assert!(!text.contains("**"), "plain text has no markup: {text}");
    assert_eq!(a.sources[0].heading, "Features Only in ChatGPT › Memory");
    let s = &a.sources[0].snippet;
    assert!(!s.highlights.is_empty(), "matched words are highlighted: {s:?}");
    let marked: Vec<&str> = s.highlights.iter().map(|r| &s.text[r.clone()]).collect();
    assert!(marked.contains(&"Memory") && marked.contains(&"API"), "{s:?}");
}

#[test]
fn canvas_answer_mentions_the_articles_slip() {
    let a = engine().answer("Can I use Canvas from the API?");
    assert_eq!(a.verdict().unwrap().availability[1].value.as_str(), "no");
    assert!(a.caveats.iter().any(|c| c.text().contains("API-only")), "{:?}", a.caveats);
}

#[test]
fn verify_marks_become_caveats() {
    let a = engine().answer("How much does ChatGPT Plus cost?");
    assert!(a.caveats.iter().any(|c| c.text().contains("[VERIFY current pricing]")), "{:?}", a.caveats);
    let a = engine().answer("Is voice mode available in the API?");
    assert!(a.caveats.iter().any(|c| c.text().contains("Realtime API")), "{:?}", a.caveats);
}

#[test]
fn price_questions_suggest_the_cost_command() {
    let a = engine().answer("how much does GPT-4o cost per million tokens?");
    assert_eq!(a.sources[0].section, "The Pricing Decision");
    let suggestion = a.suggestion.as_ref().map(|s| s.command(productbot::answer::Syntax::Slash));
    assert_eq!(suggestion.as_deref(), Some("/cost model:gpt-4o input_tokens:1000 output_tokens:500"));
    assert!(render::plain(&a).contains("/cost model:gpt-4o"));
    assert_eq!(engine().answer("does the API have memory?").suggestion, None);
    // The article prices GPT-4o only: a price it doesn't give is not covered, yet the price table
    // has the model, so the reply still says how to get an estimate.
    let a = engine().answer("how much does GPT-4o-mini cost per million tokens?");
    let suggestion = a.suggestion.as_ref().map(|s| s.command(productbot::answer::Syntax::Slash));
    assert_eq!(suggestion.as_deref(), Some("/cost model:gpt-4o-mini input_tokens:1000 output_tokens:500"));
    let text = render::plain(&a);
    assert_eq!(a.kind, Kind::OutOfScope, "{text}");
    assert!(text.contains("outside what I cover") && text.contains("/cost model:gpt-4o-mini"), "{text}");
}

#[test]
fn model_names_the_article_never_mentions_are_a_caveat_each_once() {
    let a = engine()
        .answer("Does gpt-5 have memory in the API, and is GPT-5 cheaper than gpt-4o? What about o9 and gpt-5?");
    assert_eq!(a.kind, Kind::Feature, "{}", render::plain(&a));
    let c: Vec<String> = a.caveats.iter().map(|c| c.text()).filter(|c| c.contains("doesn't mention")).collect();
    assert_eq!(c, ["The article doesn't mention gpt-5, o9."], "{:?}", a.caveats);
}

#[test]
fn other_vendors_and_unrelated_topics_are_out_of_scope() {
    for q in [
        "Does Llama support fine-tuning?",
        "Can Claude browse the web?",
        "Is Gemini better than ChatGPT?",
        "How tall is Mount Everest?",
        "recipe for lasagna",
        "Does ChatGPT have a dark mode?",
        "Is GPT-5 in the API?",
    ] {
        let a = engine().answer(q);
        let text = render::plain(&a);
        assert_eq!(a.kind, Kind::OutOfScope, "{q}: {text}");
        assert!(a.verdicts.is_empty() && a.sources.is_empty(), "{q}");
        assert!(text.contains("outside what I cover"), "{q}: {text}");
    }
    for q in ["", "?!", " \u{1b}\u{7} "] {
        let a = engine().answer(q);
        assert_eq!(a.kind, Kind::OutOfScope, "{q:?}");
        assert!(render::plain(&a).starts_with("Ask me something: I answer from the article"), "{q:?}");
    }
}

/// A word that only asks for a list ("list", "rundown") is no topic the article lacks, even where
/// the article never uses it: the question is answered from the table.
#[test]
fn asking_for_a_list_in_words_the_article_never_uses_is_answered() {
    for q in ["list everything chatgpt has that the api doesnt", "give me a rundown of the chatgpt-only features"] {
        let a = engine().answer(q);
        let list = a.listing.as_ref().unwrap_or_else(|| panic!("{q}: {}", render::plain(&a)));
        let ids: Vec<&str> = list.groups[0].features.iter().map(|f| f.feature.as_str()).collect();
        assert!(ids.contains(&"memory") && !ids.contains(&"fine_tuning"), "{q}: {ids:?}");
    }
}

/// A negation negates the product named next after it, wherever the products come in the question;
/// with one product named, only a negation next to its name does.
#[test]
fn a_negated_list_question_lists_what_the_negated_product_lacks() {
    for (q, has) in [
        ("What can't the API do that ChatGPT can?", "chatgpt"),
        ("what can chatgpt do that the api can't?", "chatgpt"),
        ("What doesn't ChatGPT let me do that the API does?", "api"),
        ("which things can i only do with the api and not in chatgpt?", "api"),
        // One product named: a negation next to it says what it lacks; one further off is about
        // something else.
        ("which features does chatgpt not have?", "api"),
        ("list the chatgpt features that work without any setup", "chatgpt"),
    ] {
        let a = engine().answer(q);
        let list = a.listing.as_ref().unwrap_or_else(|| panic!("{q}: {}", render::plain(&a)));
        assert_eq!(list.groups[0].with, [has], "{q}: {}", render::plain(&a));
    }
}

/// A decline of the scope rules (another vendor, a listed topic) is as sure as the fitted confidence
/// model makes it, not always high: the fit weighs such declines the same way, so that "high"
/// keeps the precision it was fitted to.
#[test]
fn a_rule_decline_is_as_sure_as_the_confidence_model_makes_it() {
    let sure = |q: &str| {
        let a = engine().answer(q);
        assert_eq!(a.kind, Kind::OutOfScope, "{q}: {}", render::plain(&a));
        assert!(a.evidence.decision.is_none(), "{q}: declined by a rule, before any decision");
        a.confidence
    };
    assert_eq!(sure("does gemini have a canvas feature?"), Confidence::High);
    assert_ne!(sure("is chatgpt hipaa compliant for my clinic?"), Confidence::High);
}

/// Asks `q`, checks that the passages answer it rather than a list from the table, and returns the
/// first cited source's heading.
fn first_heading_without_list(q: &str) -> String {
    let a = engine().answer(q);
    assert!(a.listing.is_none(), "{q}: {}", render::plain(&a));
    a.sources.first().map(|s| s.heading.clone()).unwrap_or_default()
}

/// "Use both", "pay for both", "vs both": which products to use is asked, not what both have; the
/// decision or pricing passages answer it. What both have is still a list.
#[test]
fn using_both_products_is_a_choice_not_a_list_of_what_both_have() {
    for q in ["who should pay for both chatgpt and the api?", "when should a team use chatgpt vs the api vs both?"] {
        let first = first_heading_without_list(q);
        assert!(matches!(first.as_str(), "The Decision Framework" | "The Pricing Decision"), "{q}: {first:?}");
    }
    let a = engine().answer("list the features chatgpt and the api share");
    let list = a.listing.as_ref().unwrap_or_else(|| panic!("{}", render::plain(&a)));
    assert_eq!(list.groups[0].with, ["chatgpt", "api"], "{}", render::plain(&a));
}

/// A list of something other than the table's features (rate limits side by side, the criteria
/// for choosing) is answered from the passages about it; a list that contrasts the products' features
/// is still the table's.
#[test]
fn a_list_of_something_other_than_features_is_answered_from_the_passages() {
    for (q, section) in [
        ("put the rate limits of chatgpt and the api side by side for me", "Where They Diverge on the Same Models"),
        ("list the criteria for picking the API over ChatGPT", "The Decision Framework"),
    ] {
        // Read as a list, answered from the passages.
        let decided = engine().answer(q).evidence.decision.map(|d| d.kind);
        assert_eq!(decided, Some(QuestionType::List), "{q}");
        let first = first_heading_without_list(q);
        assert!(first.starts_with(section), "{q}: {first:?}");
    }
    let a = engine().answer("list the features the API has that ChatGPT lacks");
    let list = a.listing.as_ref().unwrap_or_else(|| panic!("{}", render::plain(&a)));
    assert_eq!(
        (list.groups[0].with.as_slice(), list.groups[0].without.as_slice()),
        (&["api".to_owned()][..], &["chatgpt".to_owned()][..])
    );
}

/// A list is cited first from the passage that names most of its items when one names more of
/// them than any section holds ("ChatGPT Plus gives you access to voice, browsing, Canvas, ...");
/// otherwise from the sections its items come from, the most listed first.
#[test]
fn a_list_cites_the_passage_that_enumerates_it() {
    let a = engine().answer("list every feature chatgpt has");
    let list = a.listing.as_ref().unwrap_or_else(|| panic!("{}", render::plain(&a)));
    assert!(list.groups[0].features.len() > 5, "{}", render::plain(&a));
    assert_eq!(a.sources.first().map(|s| s.heading.as_str()), Some("What The Docs Say"), "{}", render::plain(&a));
    // What only ChatGPT has sits in one section that names each item, and no passage names more.
    let a = engine().answer("list the features only chatgpt has");
    assert!(a.listing.is_some(), "{}", render::plain(&a));
    assert_eq!(
        a.sources.first().map(|s| s.section.as_str()),
        Some("Features Only in ChatGPT"),
        "{}",
        render::plain(&a)
    );
}

/// The table gives one value per product, not per plan (`plans` in features.toml): a list question
/// about a product's plans is answered from the passages that describe them. "ChatGPT Plus" alone
/// is the product, whose features the table lists.
#[test]
fn a_list_question_about_plans_is_answered_from_the_passages() {
    for q in ["list what the plus plan has that free doesnt", "which extras do team and enterprise add? list them"] {
        assert_eq!(first_heading_without_list(q), "What The Docs Say", "{q}");
    }
    let a = engine().answer("list everything chatgpt plus has");
    assert!(a.listing.is_some(), "{}", render::plain(&a));
}

/// A list of prices is no list of features: the passage that gives the prices answers it.
#[test]
fn a_list_of_prices_is_answered_from_the_pricing_passage() {
    for q in ["list chatgpt plan prices", "list the prices of every chatgpt plan"] {
        assert_eq!(first_heading_without_list(q), "The Pricing Decision", "{q}");
    }
}

/// Text people type that must never break the engine or reach tantivy's query parser.
#[test]
fn hostile_input_is_answered_quickly_without_error() {
    let long = "does the API have memory? ".repeat(240); // ~6,000 chars
    let inputs: Vec<String> = vec![
        "\"does the API have memory".into(),
        "memory AND( api".into(),
        "title:memory body:api".into(),
        "-".into(),
        "- memory".into(),
        "what's the API's memory like?".into(),
        "🧠 does the API have memory? 🤖🔥".into(),
        "@everyone does the API have memory? <@123> <@&456>".into(),
        "memory\u{0000}\u{001b}[31m api\r\n".into(),
        "*:* OR 1=1; DROP TABLE".into(),
        "((((((((((memory".into(),
        "memory~2^5 api*".into(),
        "\u{202e}ipa eht".into(),
        "x".repeat(10_000),
        long,
        "ａｐｉ ｍｅｍｏｒｙ".into(),
    ];
    for q in &inputs {
        let t = Instant::now();
        let a = engine().answer(q);
        assert!(t.elapsed() < Duration::from_secs(2), "{:?} took {:?}", &q[..q.len().min(40)], t.elapsed());
        assert!(!render::plain(&a).is_empty());
        if a.kind != Kind::OutOfScope {
            assert!(!a.sources.is_empty());
        }
    }
    let a = engine().answer("\"does the API have memory");
    assert_eq!(a.verdict().unwrap().feature, "memory");
    let a = engine().answer("memory AND( api");
    assert_eq!(a.verdict().unwrap().feature, "memory");
}

fn score(file: &str) -> (usize, usize, Vec<String>) {
    support::score(engine(), &support::repo().join("tests/data").join(file))
}

#[test]
fn dev_set_scores_at_least_34_of_35() {
    let (passed, total, fails) = score("dev.jsonl");
    assert_eq!(total, 35);
    assert!(passed >= 34, "{passed}/{total}: {fails:#?}");
}

#[test]
fn unseen_wordings_score_at_least_95_percent() {
    let (passed, total, fails) = score("extra.jsonl");
    assert!(passed * 100 >= total * 95, "{passed}/{total}: {fails:#?}");
}

#[test]
fn json_schema_has_every_field() {
    let json = |q: &str| serde_json::to_value(render::json::answer(&engine().answer(q))).unwrap();
    let v = json("Does the API have memory?");
    for k in ["question", "kind", "confidence", "verdict", "verdicts", "sources", "caveats", "text", "revision"] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    for k in ["feature", "name", "asked", "availability", "note", "headline"] {
        assert!(v["verdict"].get(k).is_some(), "missing verdict.{k}");
    }
    // Every product, in the table's order.
    let products: Vec<&String> = v["verdict"]["availability"].as_object().unwrap().keys().collect();
    assert_eq!(products, ["chatgpt", "api"]);
    assert_eq!(v["verdict"]["asked"], "api");
    for k in ["doc", "section", "heading", "score", "snippet", "highlights"] {
        assert!(v["sources"][0].get(k).is_some(), "missing sources[0].{k}");
    }
    assert!(v["sources"][0]["score"].is_number());
    assert!(v["sources"][0].get("title").is_none(), "one article: sources don't name it");
    let v = json("How tall is Mount Everest?");
    assert!(v["verdict"].is_null() && v["sources"].as_array().unwrap().is_empty());
}
