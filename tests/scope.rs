//! `[scope]` checked against the corpus: a vendor in `others` that names a product or runs through
//! an article is an error at its line, reported with every other problem of every file; a topic in
//! `topics` stops counting once a heading covers it by stem, whatever its word order.

use std::path::Path;
use std::sync::Arc;

use productbot::answer::Declined;
use productbot::cost::PriceTable;
use productbot::engine::Engine;

mod support;

const ARTICLE: &str = "# Initech Chat vs. the Initech API\n\n\
## Features Only in the App\n\n\
Memory — Initech Chat remembers your preferences. The Initech API keeps nothing between calls.\n\n\
## Data Use and Training\n\n\
On the API, your inputs are not used to train models by default. In the app you choose whether your chats train future models.\n\n\
## Pricing\n\n\
The app costs $10 a month; the API bills per token.\n";

fn table(others: &str, topics: &str) -> String {
    format!(
        r#"[products.chat]
name = "Initech Chat"
words = ["initech chat", "chat app"]

[products.api]
name = "the Initech API"
short = "API"
words = ["initech api", "api"]

[scope]
others = [{others}]
topics = [{topics}]

[[feature]]
id = "memory"
name = "Memory"
availability = {{ chat = "yes", api = "no" }}
note = "Initech Chat remembers your preferences; the API keeps nothing."
section = "Features Only in the App"
heading = "Memory"
"#
    )
}

fn corpus_dir(table: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("initech.md"), ARTICLE).unwrap();
    std::fs::write(dir.path().join("features.toml"), table).unwrap();
    dir
}

#[test]
fn a_vendor_in_others_that_names_a_product_or_an_article_is_an_error_with_the_rest() {
    // "initech" is what the article is about; "chat app" is a product's word; "globex" is
    // another vendor indeed. With a price file's problem and a lexicon problem: one report.
    let dir = corpus_dir(&table("\"globex\", \"initech\",\n          \"chat app\"", "\"sso\""));
    std::fs::write(
        dir.path().join("initech.prices.toml"),
        "as_of = \"2025\"\nsource = \"s\"\nproducts = [\"api\"]\ndefault_model = \"i-1\"\n[models.i-1]\ninput_per_mtok = 1\noutput_per_mtok = -2\ntokenizer = \"o200k_base\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("lexicon.toml"), "[chat]\nu = [\"you\"]\n").unwrap();
    let p = support::load_problems(dir.path());
    assert_eq!(
        p,
        [
            "features.toml:11: `initech` in [scope] others is what the article `initech` is about (its title is \u{201c}Initech Chat vs. the Initech API\u{201d}): questions about that article would be refused as another vendor's; remove it from `others`",
            "features.toml:12: `chat app` in [scope] others is also a word of product `chat` (`chat app`): a question naming that product would be refused as another vendor's; remove it from `others`",
            "initech.prices.toml:7: `models.i-1.output_per_mtok` must not be negative",
            "lexicon.toml:2: `u` must be a string, not array",
        ],
        "{}",
        p.join("\n")
    );
}

fn engine(dir: &Path) -> Engine {
    Engine::from_corpus_dir(dir, Arc::new(PriceTable::empty())).unwrap_or_else(|e| panic!("loads: {e}"))
}

#[test]
fn a_topic_is_covered_by_a_heading_with_its_words_in_any_order() {
    let dir = corpus_dir(&table("\"globex\"", "\"used for training\", \"sso\""));
    let e = engine(dir.path());
    // "Data Use and Training" covers "used for training": the question is answered from it.
    let a = e.answer("are my chats used for training?");
    assert!(!matches!(a.declined, Some((Declined::Topic(_), _))), "{:?}", a.declined);
    assert_eq!(a.sources.first().map(|s| s.section.as_str()), Some("Data Use and Training"), "{a:?}");
    // A topic no heading covers still declines, and another vendor is still another vendor.
    let a = e.answer("does the initech api support sso?");
    assert!(matches!(&a.declined, Some((Declined::Topic(t), _)) if t == "sso"), "{:?}", a.declined);
    let a = e.answer("does globex have memory?");
    assert!(matches!(&a.declined, Some((Declined::OtherVendor(v), _)) if v == "globex"), "{:?}", a.declined);
}
