//! The same binary over a corpus about something else: `tests/fixtures/three-editions` describes a
//! note-taking app in three editions (Free, Pro, Teams) across two articles that share a `## Pricing`
//! section. Every path that used to assume two products and one article runs here: verdicts for each
//! product, a question naming two of the three, the table, embeds, the diff report, validation
//! errors with suggestions, and an ambiguous section refused until `doc` names the article.

mod support;

use std::path::PathBuf;

use productbot::answer::Kind;
use productbot::commands::{self, Caller, Command, Context, Reply};
use productbot::corpus::{self, CorpusError};
use productbot::discord::render as discord;
use productbot::engine::Engine;
use productbot::render;
use productbot::store::{Store, StoreConfig};

fn fixture() -> PathBuf {
    support::repo().join("tests/fixtures/three-editions")
}

fn engine() -> &'static Engine {
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| support::engine(&fixture()))
}

/// (question, feature, asked product, expected value of that product).
#[test]
fn verdicts_for_each_of_three_products() {
    for (q, feature, asked, value, headline) in [
        (
            "does the free plan work offline?",
            "offline_mode",
            "free",
            "no",
            "No. Quillnote Free does not offer offline mode.",
        ),
        ("can i work offline on pro", "offline_mode", "pro", "yes", "Yes. Quillnote Pro offers offline mode."),
        ("Is there an admin console in Teams?", "admin_console", "teams", "yes", ""),
        ("do teams notes have end to end encryption", "e2e_encryption", "teams", "partial", "Partly."),
        ("is e2ee on the free tier?", "e2e_encryption", "free", "unknown", "Not stated."),
    ] {
        let a = engine().answer(q);
        assert_eq!(a.kind, Kind::Feature, "{q}: {}", render::plain(&a));
        let v = a.verdict().unwrap();
        assert_eq!((v.feature.as_str(), v.asked.as_deref()), (feature, Some(asked)), "{q}");
        assert_eq!(v.asked_value().unwrap().as_str(), value, "{q}");
        assert!(v.headline.starts_with(headline), "{q}: {}", v.headline);
        let ids: Vec<&str> = v.availability.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["free", "pro", "teams"], "every product, in table order");
    }
}

#[test]
fn a_question_naming_two_of_three_compares_those_two() {
    let a = engine().answer("is offline mode in pro or teams?");
    let v = a.verdict().unwrap();
    assert_eq!(v.asked, None);
    assert_eq!(v.headline, "Offline mode: both Quillnote Pro and Quillnote Teams have it.");
    let a = engine().answer("offline mode: free or teams?");
    assert_eq!(a.verdict().unwrap().headline, "Offline mode: only Quillnote Teams has it.");
    let a = engine().answer("which editions have offline mode?");
    assert_eq!(a.verdict().unwrap().headline, "Offline mode: only Quillnote Pro and Quillnote Teams have it.");
}

#[test]
fn the_table_declares_how_a_property_reads() {
    let a = engine().answer("how many devices can i use on the free plan");
    let v = a.verdict().unwrap();
    assert_eq!(v.feature, "unlimited_devices");
    assert!(!v.headline.contains("offers"), "the table's headline, not \"offers\": {}", v.headline);
}

#[test]
fn sources_name_their_article_when_there_are_two() {
    let a = engine().answer("does the free plan work offline?");
    let titles: Vec<Option<&str>> = a.sources.iter().map(|s| s.title.as_deref()).collect();
    assert!(titles.contains(&Some("How Quillnote Sync Works")), "{titles:?}");
    assert!(render::plain(&a).contains("(How Quillnote Sync Works)"));
    let json = serde_json::to_value(render::json::answer(&a)).unwrap();
    assert_eq!(json["sources"][0]["title"], "How Quillnote Sync Works");
    assert_eq!(json["verdict"]["availability"], serde_json::json!({"free": "no", "pro": "yes", "teams": "yes"}));
}

#[test]
fn table_and_embeds_have_one_column_or_field_per_product() {
    let text = render::text::features(engine().features());
    let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["Feature", "Free", "Pro", "Teams"]);
    let reply = Reply::Answer(Box::new(engine().answer("can i work offline on pro")));
    let rendered = discord::reply(&reply);
    let embed = &rendered.embeds()[0];
    let inline: Vec<&str> = embed.fields.iter().filter(|f| f.inline).map(|f| f.name.as_str()).collect();
    assert_eq!(inline, ["Free", "Pro", "Teams"]);
    let features = discord::reply(&Reply::Features(Box::new(engine().features().clone())));
    assert_eq!(features.embeds()[0].title.as_deref(), Some("Features: Free vs Pro vs Teams"));
}

/// Nothing the bot says about this corpus names the shipped one's products or vendor.
#[test]
fn replies_never_mention_the_shipped_products() {
    let questions = std::fs::read_to_string(support::repo().join("tests/data/three-editions.jsonl")).unwrap();
    let mut said = Vec::new();
    for line in questions.lines() {
        let q: serde_json::Value = serde_json::from_str(line).unwrap();
        said.push(render::plain(&engine().answer(q["q"].as_str().unwrap())));
    }
    said.push(render::plain(&engine().answer("how tall is mount everest")));
    said.push(render::plain(&engine().answer("")));
    said.push(commands::help::help_text(None, &engine().covers_phrase()));
    for text in said {
        for word in ["ChatGPT", "OpenAI", "API", "GPT"] {
            assert!(!text.contains(word), "{word} in {text}");
        }
    }
}

#[test]
fn the_question_set_for_this_corpus_is_answered() {
    let (passed, total, fails) = support::score(engine(), &support::repo().join("tests/data/three-editions.jsonl"));
    assert!(passed * 100 >= total * 80, "{passed}/{total}: {fails:#?}");
}

fn load_errors(edit: impl Fn(&str) -> String) -> Vec<String> {
    let s = support::Scratch::of(&fixture());
    let path = s.corpus().join("features.toml");
    std::fs::write(&path, edit(&std::fs::read_to_string(&path).unwrap())).unwrap();
    match corpus::load(&s.corpus()) {
        Err(CorpusError::Invalid(d)) => {
            d.0.iter()
                .map(|p| format!("{}:{}: {}", p.path.file_name().unwrap().to_string_lossy(), p.line, p.message))
                .collect()
        }
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn validation_reports_every_problem_with_a_suggestion() {
    let e = load_errors(|t| {
        t.replacen("section = \"Only in Teams\"", "section = \"Only in Team\"", 1)
            .replacen("heading = \"PDF annotation\"", "heading = \"PDF anotation\"", 1)
            .replacen(
                "availability = { free = \"yes\", pro = \"yes\", teams = \"yes\" }",
                "availability = { free = \"yes\", pro = \"yes\", team = \"yes\" }",
                1,
            )
    });
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(
        e.iter()
            .any(|m| m.contains("section `Only in Team` does not exist in the corpus (did you mean `Only in Teams`?)")),
        "{e:#?}"
    );
    assert!(
        e.iter().any(|m| m
            .contains("no item `PDF anotation` in section `Only in Pro and Teams` (did you mean `PDF annotation`?)")),
        "{e:#?}"
    );
    assert!(
        e.iter().any(|m| m
            .contains("unknown product `team` in availability; products: free, pro, teams (did you mean `teams`?)")),
        "{e:#?}"
    );
    assert!(e.iter().all(|m| m.starts_with("features.toml:")), "{e:#?}");
}

#[test]
fn a_section_in_both_articles_is_refused_until_doc_names_one() {
    let e =
        load_errors(|t| t.replacen("doc = \"sync-and-offline\"\nsection = \"Pricing\"", "section = \"Pricing\"", 1));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        e[0].contains("section `Pricing` is in editions and sync-and-offline; say which with doc = \"editions\" or doc = \"sync-and-offline\""),
        "{e:#?}"
    );
}

#[test]
fn reindex_reports_availability_changes_for_any_product() {
    let s = support::Scratch::of(&fixture());
    let cfg = StoreConfig { corpus_dir: s.corpus(), index_dir: s.index(), threads: 1, articles: None };
    let (store, _) = Store::open(cfg, support::prices()).unwrap();
    let path = s.corpus().join("features.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replacen(
        "availability = { free = \"no\", pro = \"no\", teams = \"yes\" }",
        "availability = { free = \"no\", pro = \"partial\", teams = \"yes\" }",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let reply =
        commands::dispatch(Context::new(&store), Command::Reindex(commands::reindex::Reindex), &Caller::local());
    let Reply::Reindex(r) = reply else { panic!("{reply:?}") };
    assert_eq!(r.diff.availability_changes, ["pro.shared_workspaces: no -> partial"]);
    assert!(render::text::reindex(&r).contains("- availability: pro.shared_workspaces: no -> partial"));
}
