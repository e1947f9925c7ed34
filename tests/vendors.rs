//! Two vendors side by side: `tests/fixtures/two-vendors` is the shipped corpus (its article and
//! its one `features.toml`, unchanged but for `[scope] others` and the products' vendor) plus a
//! second vendor's article,
//! `claude-apps-vs-anthropic-api.md`, with its own table beside it. The same concept (memory,
//! batch, fine-tuning) has evidence per article; "api" names both vendors' APIs until a vendor
//! word, another product or the feature settles which; a product no article covers is "not
//! covered", not "unknown"; every problem of every table file comes in one report; and today's
//! single-table corpora load as they did.

mod support;

use std::path::PathBuf;

use productbot::answer::{Answer, Caveat, Declined, Kind};
use productbot::corpus::{self, Availability, CorpusError};
use productbot::engine::Engine;
use productbot::render;

const OPENAI: &str = "openai-api-vs-chatgpt";
const CLAUDE: &str = "claude-apps-vs-anthropic-api";

fn fixture() -> PathBuf {
    support::repo().join("tests/fixtures/two-vendors")
}

fn engine() -> &'static Engine {
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| support::engine(&fixture()))
}

fn ask(q: &str) -> Answer {
    let a = engine().answer(q);
    assert_eq!(a.kind, Kind::Feature, "{q}: {}", render::plain(&a));
    a
}

fn ambiguous(a: &Answer) -> Option<&Vec<String>> {
    a.caveats.iter().find_map(|c| match c {
        Caveat::Ambiguous { products, .. } => Some(products),
        _ => None,
    })
}

/// (question, feature, product asked, its value, the article cited first).
#[test]
fn the_same_concept_per_vendor_cites_its_own_article_first() {
    for (q, feature, asked, value, doc) in [
        ("does Claude have memory?", "memory", "claude", "yes", CLAUDE),
        ("does ChatGPT have memory?", "memory", "chatgpt", "yes", OPENAI),
        ("does the Anthropic API support batch processing?", "batch", "anthropic_api", "yes", CLAUDE),
        ("does the OpenAI API support batch processing?", "batch", "api", "yes", OPENAI),
        ("can I fine-tune a model through the Anthropic API?", "fine_tuning", "anthropic_api", "no", CLAUDE),
        ("can I fine-tune a model through the OpenAI API?", "fine_tuning", "api", "yes", OPENAI),
        ("does the anthropic api have embeddings?", "embeddings", "anthropic_api", "no", CLAUDE),
        ("can claude.ai search the web?", "web_browsing", "claude", "yes", CLAUDE),
        ("can ChatGPT search the web?", "web_browsing", "chatgpt", "yes", OPENAI),
    ] {
        let a = ask(q);
        let v = a.verdict().unwrap();
        assert_eq!((v.feature.as_str(), v.asked.as_deref()), (feature, Some(asked)), "{q}");
        assert_eq!(v.asked_value().unwrap().as_str(), value, "{q}");
        assert_eq!(a.sources[0].doc, doc, "{q}: {}", render::plain(&a));
        assert!(ambiguous(&a).is_none(), "{q}: {:?}", a.caveats);
        // The note is the article's own, about the product asked (each names its products).
        let product = engine().features().product(asked).unwrap();
        let own = v.note.contains(product.short.as_str()) || v.note.contains(product.name.as_str());
        assert!(own, "{q}: note {:?} does not name {}", v.note, product.name);
    }
}

/// A question about one vendor's products is answered from that vendor's article: the other's
/// passages on the same topic are not cited (the Claude article's Projects passage is no answer about
/// ChatGPT, its Batch passage none about the OpenAI API).
#[test]
fn a_question_about_one_vendor_cites_only_its_articles() {
    for (q, doc) in [
        ("does chatgpt have something like projects with shared files and custom instructions", OPENAI),
        ("can the anthropic api do batch jobs at half price", CLAUDE),
        ("can the openai api do batch jobs at half price", OPENAI),
        // "A chatbot" someone builds names no product: the question is about Anthropic's two.
        ("building a chatbot on the anthropic api - will claude remember what the user said earlier", CLAUDE),
    ] {
        let a = ask(q);
        let docs: Vec<&str> = a.sources.iter().map(|s| s.doc.as_str()).collect();
        assert!(!docs.is_empty() && docs.iter().all(|d| *d == doc), "{q}: {docs:?}\n{}", render::plain(&a));
    }
}

/// `[scope] topics` lists training on customer data as uncovered; the Claude article's "Data Use
/// and Training" covers it for Anthropic's products only, so the same question about OpenAI's is
/// still outside what the bot covers.
#[test]
fn a_topic_one_vendors_article_covers_stays_uncovered_for_the_other_vendor() {
    // "data retention" is covered for Claude, "gdpr" for nobody: the next topic named counts.
    for q in [
        "are my ChatGPT chats used to train models?",
        "does OpenAI use my chats to train its models?",
        "is Claude's data retention gdpr compliant?",
    ] {
        let a = engine().answer(q);
        assert_eq!(a.kind, Kind::OutOfScope, "{q}: {}", render::plain(&a));
    }
    for q in ["are my Claude chats used to train models?", "how long does Anthropic keep my API data?"] {
        let a = engine().answer(q);
        assert_ne!(a.kind, Kind::OutOfScope, "{q}: {}", render::plain(&a));
        assert!(
            a.sources.iter().any(|s| s.doc == CLAUDE && s.section == "Data Use and Training"),
            "{q}: {}",
            render::plain(&a)
        );
        assert!(a.sources.iter().all(|s| s.doc == CLAUDE), "{q}: {}", render::plain(&a));
    }
    // Whatever the fitted scope decision makes of it, a covered topic is never the reason given.
    // (The scope model fitted on 7,010 questions declines "what is Anthropic's data retention
    // period for API data?": "period", a word both articles use, was learned as uncovered from
    // questions about the OpenAI article. A known regression, not a rule's doing.)
    for q in [
        "how many days does Anthropic retain API request data?",
        "what is Anthropic's data retention period for API data?",
    ] {
        let a = engine().answer(q);
        assert!(!matches!(a.declined, Some((Declined::Topic(_), _))), "{q}: {}", render::plain(&a));
    }
}

/// "The API" names both vendors' APIs, but a verdict on a feature only the OpenAI table has
/// (logprobs, a chat window of one's own) rests on that article: none of the passages cited, sure
/// reading or not, comes from the Claude article.
#[test]
fn a_verdict_on_one_articles_feature_cites_that_article_only() {
    for (q, feature) in [
        ("through the API, can I see how confident the model was in each token it chose?", "logprobs"),
        ("does the api have a ready-made chat window for my customers or is it only code", "chat_interface"),
        ("I'd like a number for how sure it was of each word, via the api. Possible?", "logprobs"),
    ] {
        let a = ask(q);
        assert_eq!(a.verdict().map(|v| v.feature.as_str()), Some(feature), "{q}: {}", render::plain(&a));
        let docs: Vec<&str> = a.sources.iter().map(|s| s.doc.as_str()).collect();
        assert!(!docs.is_empty() && docs.iter().all(|d| *d == OPENAI), "{q}: {docs:?}\n{}", render::plain(&a));
    }
}

/// `[scope] topics` lists "per seat" and "annual billing" as uncovered. The Claude article prices
/// Team "per user per month" (a word of the topic's `[synonyms]` group) and Pro "billed annually"
/// (its words in another order), which covers them for the Claude products; the OpenAI article
/// says neither, so the same questions about ChatGPT are still declined for the topic.
#[test]
fn a_topic_is_covered_by_a_synonym_or_in_another_order_for_its_article_only() {
    for q in ["How much is Claude Team per seat?", "claude pro annual billing price"] {
        let a = engine().answer(q);
        assert_ne!(a.kind, Kind::OutOfScope, "{q}: {}", render::plain(&a));
        let first = a.sources.first().expect("cited");
        assert_eq!((first.doc.as_str(), first.section.as_str()), (CLAUDE, "The Pricing Decision"), "{q}");
    }
    for (q, topic) in [
        ("How much is ChatGPT Team per seat?", "per seat"),
        ("is there annual billing for ChatGPT Plus?", "annual billing"),
    ] {
        let a = engine().answer(q);
        assert!(matches!(&a.declined, Some((Declined::Topic(t), _)) if t == topic), "{q}: {:?}", a.declined);
    }
}

/// `[scope] others` lists Bedrock and Vertex AI as other vendors' (the shipped article never names
/// them); the Claude article says Anthropic launches models there too, so a question about the
/// Claude products may name them, while one about OpenAI's still may not.
#[test]
fn another_vendors_product_an_article_talks_about_is_no_reason_to_decline() {
    for q in [
        "does a new Claude model come to Amazon Bedrock on the same day as the Anthropic API?",
        "are Anthropic's models on Vertex AI at launch too?",
    ] {
        let a = engine().answer(q);
        assert_ne!(a.kind, Kind::OutOfScope, "{q}: {}", render::plain(&a));
        assert_eq!(
            a.sources.first().map(|s| (s.doc.as_str(), s.section.as_str())),
            Some((CLAUDE, "Model Access Timing")),
            "{q}"
        );
    }
    let a = engine().answer("is ChatGPT available on Bedrock?");
    assert_eq!(a.kind, Kind::OutOfScope, "{}", render::plain(&a));
}

#[test]
fn the_api_is_ambiguous_until_a_vendor_word_settles_it() {
    // Nothing says which API: both are answered, each from its own article, and the answer says so.
    let a = ask("does the API support batch processing?");
    let v = a.verdict().unwrap();
    assert_eq!(v.asked, None);
    assert_eq!(v.headline, "Batch processing: both the API and the Anthropic API have it.");
    assert_eq!(ambiguous(&a).map(Vec::as_slice), Some(&["the API".to_owned(), "the Anthropic API".to_owned()][..]));
    let docs: Vec<&str> = a.sources.iter().map(|s| s.doc.as_str()).collect();
    assert!(docs.starts_with(&[OPENAI, CLAUDE]), "{docs:?}");
    assert!(v.note.contains("API:") && v.note.contains("Anthropic API:"), "{}", v.note);
    let text = render::plain(&a);
    assert!(text.contains("could mean the API or the Anthropic API"), "{text}");

    // A vendor word, another product of the vendor, or its own name settles it.
    for (q, asked, doc) in [
        ("does Anthropic's API support batch processing?", "anthropic_api", CLAUDE),
        ("does the anthropic api support batch processing?", "anthropic_api", CLAUDE),
        ("is batch processing in ChatGPT or only in the API?", "", OPENAI),
    ] {
        let a = ask(q);
        let v = a.verdict().unwrap();
        assert!(ambiguous(&a).is_none(), "{q}: {:?}", a.caveats);
        if asked.is_empty() {
            let ids: Vec<&str> = ["chatgpt", "api"].to_vec();
            assert!(v.headline.starts_with("Batch processing: only the API"), "{q}: {}", v.headline);
            assert!(!v.headline.contains("Anthropic"), "{q}: {ids:?} {}", v.headline);
        } else {
            assert_eq!(v.asked.as_deref(), Some(asked), "{q}");
        }
        assert_eq!(a.sources[0].doc, doc, "{q}");
    }
    // A feature only one vendor's article covers says which API is meant.
    let a = ask("does the API have Canvas?");
    assert_eq!(a.verdict().unwrap().asked.as_deref(), Some("api"));
    assert!(ambiguous(&a).is_none());
    let a = ask("can I use computer use through the API?");
    assert_eq!(a.verdict().unwrap().asked.as_deref(), Some("anthropic_api"));
    assert_eq!(a.sources[0].doc, CLAUDE);
}

#[test]
fn a_product_no_article_covers_is_not_covered_not_unknown() {
    // Asked of a product no article covers it for, a feature is outside what the bot covers, said
    // as such: no verdict, and who the articles do cover it for.
    let a = engine().answer("does Claude have custom GPTs?");
    assert_eq!(a.kind, Kind::OutOfScope, "{a:?}");
    let (why, message) = a.declined.as_ref().unwrap();
    assert_eq!(why, &Declined::NotCoveredFor { feature: "custom_gpts".into(), product: "claude".into() });
    assert!(
        message.starts_with(
            "That's outside what I cover: the articles don't cover Custom GPTs and the GPT Store for the Claude apps. \
             They cover it for ChatGPT and the API."
        ),
        "{message}"
    );
    // An article that covers the product and does not say is "unknown".
    let a = ask("does ChatGPT have whisper transcription?");
    let v = a.verdict().unwrap();
    assert_eq!(v.asked_value(), Some(Availability::Unknown));
    assert!(v.headline.starts_with("Not stated. The articles don't say whether ChatGPT offers"), "{}", v.headline);
    // Neither table lists the other's products, and the merged table holds both values.
    let t = engine().features();
    let projects = t.get("projects").unwrap();
    let at = |id: &str| projects.availability[t.product_index(id).unwrap()];
    assert_eq!((at("chatgpt"), at("api")), (Availability::NotCovered, Availability::NotCovered));
    assert_eq!((at("claude"), at("anthropic_api")), (Availability::Yes, Availability::No));
    let json = serde_json::to_value(render::json::answer(&ask("does the API have projects?"))).unwrap();
    assert_eq!(json["verdict"]["availability"]["chatgpt"], "not_covered", "{json}");
    let table = render::text::features(t);
    assert!(table.contains("- = no article covers it for that product"), "{table}");
}

#[test]
fn sentences_agree_with_the_products_number() {
    for (q, headline) in [
        ("does Claude have memory?", "Yes. The Claude apps offer memory."),
        ("do the claude apps support batch processing?", "No. The Claude apps do not offer batch processing."),
        ("does claude.ai let me fine-tune?", "No. The Claude apps do not offer fine-tuning."),
        (
            "do the claude apps let me set a system prompt?",
            "Partly. The Claude apps let you set a system prompt only in a limited form.",
        ),
        ("does Anthropic offer embeddings?", "Embeddings: neither the Claude apps nor the Anthropic API has it."),
        ("can claude.ai make artifacts?", "Yes. The Claude apps offer artifacts."),
    ] {
        let a = ask(q);
        assert_eq!(a.verdict().unwrap().headline, headline, "{q}");
    }
}

#[test]
fn a_list_question_compares_a_product_with_its_own_vendors() {
    let a = engine().answer("what can the Claude apps do that the Anthropic API can't?");
    let list = a.listing.as_ref().unwrap_or_else(|| panic!("{}", render::plain(&a)));
    let ids: Vec<&str> = list.groups[0].features.iter().map(|f| f.feature.as_str()).collect();
    for id in ["memory", "projects", "artifacts", "desktop_app"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    assert!(!ids.contains(&"canvas"), "an OpenAI-only feature is not the Claude apps': {ids:?}");
    // The other way round: a concept both articles have (parameter control) is cited from the
    // article about the products listed, and the heading agrees with a plural name.
    let a = engine().answer("list all features you only get on the Anthropic API and not in the Claude apps");
    let text = render::plain(&a);
    assert!(text.contains("The Anthropic API has these and the Claude apps don't"), "{text}");
    let docs: Vec<&str> = a.sources.iter().map(|s| s.doc.as_str()).collect();
    assert!(!docs.is_empty() && docs.iter().all(|d| *d == CLAUDE), "{docs:?}\n{text}");
}

/// The table says whether a product has a feature as a whole; a part of it that the passage
/// withholds from the product asked about ("It has no frequency or presence penalty parameters",
/// "only the API lets you set budget_tokens" asked of the apps) makes the verdict partial, quoting
/// the passage. Where the passage gives that part, or says nothing against it, the verdict stands.
#[test]
fn a_detail_the_passage_withholds_makes_the_verdict_partial() {
    let value = |a: &Answer| a.verdict().and_then(|v| v.asked_value());
    for q in [
        "does the anthropic api let me set presence_penalty?",
        "can i set the extended thinking budget_tokens in the claude apps?",
    ] {
        let a = ask(q);
        assert_eq!(value(&a), Some(Availability::Partial), "{q}: {}", render::plain(&a));
        let headline = &a.verdict().unwrap().headline;
        assert!(
            headline.starts_with("Partly.") && headline.contains('“') && !headline.contains("[VERIFY"),
            "{headline}"
        );
    }
    for q in [
        "can i set presence_penalty in the openai api?",
        "can i set the extended thinking budget_tokens with the anthropic api?",
        "does the anthropic api let me set top_k?",
    ] {
        let a = ask(q);
        assert_eq!(value(&a), Some(Availability::Yes), "{q}: {}", render::plain(&a));
    }
}

/// The table gives one answer per product, not per plan (`plans`): a verdict asked of a product
/// whose plan the question names, in its backstory too, says so and is no surer than medium.
#[test]
fn a_verdict_asked_of_a_plan_says_the_table_goes_by_product() {
    let plan = |a: &Answer| {
        a.caveats.iter().find_map(|c| match c {
            Caveat::Plan { plan, .. } => Some(plan.clone()),
            _ => None,
        })
    };
    let a = ask("i'm on the free claude plan. can i use projects?");
    assert_eq!(plan(&a).as_deref(), Some("free"), "{}", render::plain(&a));
    assert_ne!(a.confidence, productbot::answer::Confidence::High, "{}", render::plain(&a));
    let a = ask("can i use projects in the claude apps?");
    assert_eq!(plan(&a), None, "{}", render::plain(&a));
}

/// Writes the fixture into a temporary directory with `edit(file name, text)` applied to each file.
fn edited(edit: impl Fn(&str, String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(dir.path().join(&name), edit(&name, text)).unwrap();
    }
    dir
}

#[test]
fn every_problem_of_every_table_file_comes_in_one_report() {
    // The embeddings row of the Claude table (fine-tuning's has the same values).
    let embeddings =
        "availability = { claude = \"no\", anthropic_api = \"no\" }\nnote = \"Anthropic offers no embeddings";
    let dir = edited(|name, text| match name {
        // A section typo in the shipped table, and an alias another feature has in the other table.
        "features.toml" => text
            .replace(
                "section = \"Features Only in ChatGPT\"\nheading = \"Canvas\"",
                "section = \"Features Only in ChatGPT\"\nheading = \"Canvass\"",
            )
            .replace("\"document editor\",", "\"document editor\", \"side panel\","),
        // A product value missing, a value for a product the other table already gives, and an
        // alias of the shipped table's canvas on a different feature.
        n if n.ends_with(".features.toml") => text
            .replace(
                "availability = { claude = \"yes\", anthropic_api = \"no\" }\nnote = \"The Claude apps have Projects",
                "availability = { claude = \"yes\" }\nnote = \"The Claude apps have Projects",
            )
            .replace(embeddings, &embeddings.replace("anthropic_api = \"no\"", "anthropic_api = \"no\", api = \"yes\""))
            .replace("aliases = [\"artifacts\",", "aliases = [\"artifacts\", \"collaborative editing\","),
        _ => text,
    });
    let Err(CorpusError::Invalid(d)) = corpus::load(dir.path()) else { panic!("the faults were accepted") };
    let shown: Vec<String> =
        d.0.iter()
            .map(|x| format!("{}:{}: {}", x.path.file_name().unwrap().to_str().unwrap(), x.line, x.message))
            .collect();
    let has = |file: &str, needle: &str| shown.iter().any(|s| s.starts_with(file) && s.contains(needle));
    assert!(
        has("claude-apps-vs-anthropic-api.features.toml:", "feature `projects`: availability misses anthropic_api"),
        "{shown:#?}"
    );
    assert!(
        has(
            "claude-apps-vs-anthropic-api.features.toml:",
            "feature `embeddings`: the value for product `api` is already given in"
        ),
        "{shown:#?}"
    );
    assert!(
        has(
            "claude-apps-vs-anthropic-api.features.toml:",
            "alias `collaborative editing` of feature `artifacts` is also `collaborative editing` of feature `canvas` ("
        ),
        "{shown:#?}"
    );
    assert!(
        has("features.toml:", "no item `Canvass` in section `Features Only in ChatGPT` (did you mean `Canvas`?)"),
        "{shown:#?}"
    );
    // The shipped table's alias comes first (features.toml is read first): the article's is the duplicate.
    assert!(
        has(
            "claude-apps-vs-anthropic-api.features.toml:",
            "alias `side panel` of feature `artifacts` is also `side panel` of feature `canvas` ("
        ),
        "{shown:#?}"
    );
    assert_eq!(shown.len(), 5, "{shown:#?}");
}

#[test]
fn the_same_concept_may_share_aliases_across_tables_and_product_words_across_vendors() {
    let t = engine().features();
    // "memory" and "batch" are aliases of the concept in both tables: one feature, both articles.
    for id in ["memory", "batch", "fine_tuning", "embeddings", "web_browsing"] {
        let f = t.get(id).unwrap();
        let docs: Vec<&str> = f.evidence.iter().map(|e| e.doc.as_str()).collect();
        assert_eq!(docs, [OPENAI, CLAUDE], "{id}");
    }
    assert_eq!(t.features.iter().filter(|f| f.id == "memory").count(), 1);
    let api: Vec<&str> =
        t.products.iter().filter(|p| p.words.contains(&"api".to_owned())).map(|p| p.id.as_str()).collect();
    assert_eq!(api, ["api", "anthropic_api"]);
    // Within one vendor a shared word is still an error.
    let dir = edited(|name, text| {
        if name.ends_with(".features.toml") {
            text.replace("\"claude.ai\",", "\"claude.ai\", \"claude api\",")
        } else {
            text
        }
    });
    let e = corpus::load(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("product word `claude api` names both `anthropic_api` and `claude` (both of vendor `anthropic`)")
            || e.contains(
                "product word `claude api` names both `claude` and `anthropic_api` (both of vendor `anthropic`)"
            ),
        "{e}"
    );
}

/// Today's single `features.toml` is a table covering every product it declares: it loads as it did,
/// each feature with one evidence over every product, nothing "not covered".
#[test]
fn todays_single_table_loads_unchanged() {
    for dir in ["corpus", "tests/fixtures/three-editions"] {
        let c = corpus::load(&support::repo().join(dir)).unwrap();
        let t = &c.table;
        assert!(t.vendors.is_empty(), "{dir}");
        for f in &t.features {
            assert_eq!(f.evidence.len(), 1, "{dir}: {}", f.id);
            let e = &f.evidence[0];
            assert_eq!((&e.doc, &e.section, &e.heading, &e.note), (&f.doc, &f.section, &f.heading, &f.note), "{dir}");
            let ids: Vec<&str> = t.products.iter().map(|p| p.id.as_str()).collect();
            assert_eq!(e.products, ids, "{dir}: {}", f.id);
            assert!(!f.availability.contains(&Availability::NotCovered), "{dir}: {}", f.id);
        }
    }
    // Adding the second vendor's article left the shipped table alone but for the vendors it had
    // listed as out of scope and the vendor its products now say they are of.
    let shipped = std::fs::read_to_string(support::repo().join("corpus/features.toml")).unwrap();
    let two = std::fs::read_to_string(fixture().join("features.toml")).unwrap();
    let vendor = "[vendors.openai]\nname = \"OpenAI\"\nwords = [\"openai\", \"open ai\"]\n\n";
    let (comment, block) = two.split_once(vendor).expect("the fixture declares the vendor openai");
    let declared = comment.rsplit_once("\n\n").map_or("", |(_, c)| c);
    assert!(declared.starts_with("# "), "{declared}");
    let two = format!("{}\n\n{block}", comment.strip_suffix(declared).unwrap().trim_end_matches('\n'));
    assert_eq!(
        two.replace("vendor = \"openai\"\n", ""),
        shipped.replace("others = [\"claude\", \"anthropic\", \"gemini\"", "others = [\"gemini\"")
    );
    let article = std::fs::read_to_string(support::repo().join("corpus/openai-api-vs-chatgpt.md")).unwrap();
    assert_eq!(std::fs::read_to_string(fixture().join("openai-api-vs-chatgpt.md")).unwrap(), article);
}
