//! Prices as corpus data: a price file per vendor's article (`NAME.prices.toml`), validated with
//! file and line, reported with every other corpus problem, combined into one table whose models
//! each price with their own file's discount, dates and plan, and bot.toml's `[pricing]` as an
//! override that says where prices now live.

use std::path::{Path, PathBuf};
use std::sync::Arc;

mod support;

use productbot::answer::Suggestion;
use productbot::corpus;
use productbot::cost::{self, CallRequest, ConversationRequest, CostReport, CostRequest, Input, PriceTable};
use productbot::engine::Engine;

const ACME: &str = "# Acme Chat vs. the Acme API\n\n\
## Features Only in the API\n\n\
Batch — The Acme API takes batches of requests at half price.\n\n\
## Pricing\n\n\
The Acme API charges per token: acme-4 costs $4.00 per million input tokens and $12.00 per million output tokens, acme-4-mini $0.40 and $1.20. Acme Chat Plus costs $15 a month.\n";

const GLOBEX: &str = "# The Globex App vs. the Globex API\n\n\
## Features Only in the App\n\n\
Whiteboard — The Globex app has a shared whiteboard. The Globex API has none.\n\n\
## Plans and Pricing\n\n\
Globex bills its API by the token: globex-7 costs $6.00 per million input tokens and $18.00 per million output tokens, globex-7-lite $0.60 and $1.80. Globex Premium, the app's paid plan, costs $30 a month.\n";

const FEATURES: &str = r#"[products.acme_chat]
name = "Acme Chat"
words = ["acme chat"]

[products.acme_api]
name = "the Acme API"
short = "Acme API"
words = ["acme api"]

[products.globex_app]
name = "the Globex app"
short = "Globex app"
words = ["globex app"]

[products.globex_api]
name = "the Globex API"
short = "Globex API"
words = ["globex api"]

[[feature]]
id = "batch"
name = "Batch"
aliases = ["batch", "batches"]
availability = { acme_chat = "no", acme_api = "yes", globex_app = "unknown", globex_api = "unknown" }
note = "The Acme API takes batches at half price."
section = "Features Only in the API"
heading = "Batch"

[[feature]]
id = "whiteboard"
name = "Whiteboard"
availability = { acme_chat = "unknown", acme_api = "unknown", globex_app = "yes", globex_api = "no" }
note = "The Globex app has a shared whiteboard."
section = "Features Only in the App"
heading = "Whiteboard"
"#;

const ACME_PRICES: &str = r#"as_of = "2025-03"
source = "Acme article"
products = ["acme_api", "acme_chat"]
batch_discount_percent = 50
default_model = "acme-4"
compare_plan = "plus"

[models.acme-4]
input_per_mtok = 4.00
output_per_mtok = 12.00
tokenizer = "o200k_base"
aliases = ["a4"]

[models.acme-4-mini]
input_per_mtok = 0.40
output_per_mtok = 1.20
tokenizer = "o200k_base"

[plans.plus]
name = "Acme Chat Plus"
usd_per_month = 15
"#;

const GLOBEX_PRICES: &str = r#"as_of = "2025-06"
source = "Globex article"
products = ["globex_api", "globex_app"]
batch_discount_percent = 25
default_model = "globex-7"
compare_plan = "premium"

[models.globex-7]
input_per_mtok = 6.00
output_per_mtok = 18.00
tokenizer = "cl100k_base"

[models.globex-7-lite]
input_per_mtok = 0.60
output_per_mtok = 1.80
tokenizer = "cl100k_base"

[plans.premium]
name = "Globex Premium"
usd_per_month = 30
"#;

/// A two-vendor corpus in a temp dir: each article with its own price file.
fn two_vendors() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("acme.md", ACME),
        ("globex.md", GLOBEX),
        ("features.toml", FEATURES),
        ("acme.prices.toml", ACME_PRICES),
        ("globex.prices.toml", GLOBEX_PRICES),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn engine(dir: &Path, overrides: PriceTable) -> Engine {
    Engine::from_corpus_dir(dir, Arc::new(overrides)).unwrap_or_else(|e| panic!("corpus loads: {e}"))
}

fn call(model: &str) -> CostRequest {
    CostRequest::Calls(CallRequest {
        model: Some(model.into()),
        input: Some(Input::Tokens(1_000_000)),
        output_tokens: Some(1_000_000),
        ..Default::default()
    })
}

fn conversation(model: &str) -> CostRequest {
    CostRequest::Conversation(ConversationRequest {
        model: Some(model.into()),
        conversations_per_day: 10,
        turns: 5,
        user_tokens: 100,
        reply_tokens: 300,
        batch: false,
    })
}

#[test]
fn every_vendors_models_are_listed_and_each_prices_with_its_own_file() {
    let dir = two_vendors();
    let e = engine(dir.path(), PriceTable::empty());
    let p = e.prices();
    assert_eq!(p.complete_model(""), ["acme-4", "acme-4-mini", "globex-7", "globex-7-lite"]);
    assert_eq!(p.complete_model("glo"), ["globex-7", "globex-7-lite"]);
    let Ok(CostReport::Call(acme)) = cost::estimate(p, &call("a4")) else { panic!("acme prices") };
    assert_eq!((acme.model.as_str(), acme.usd_total.to_string().as_str()), ("acme-4", "16.00"));
    assert_eq!((acme.as_of.as_str(), acme.source.as_str()), ("2025-03", "Acme article"));
    let Ok(CostReport::Call(globex)) = cost::estimate(p, &call("globex-7")) else { panic!("globex prices") };
    assert_eq!((globex.as_of.as_str(), globex.batch_discount_percent.to_string().as_str()), ("2025-06", "25"));
    // The subscription comparison uses the plan of the model's own vendor.
    let Ok(CostReport::Conversation(c)) = cost::estimate(p, &conversation("globex-7-lite")) else { panic!() };
    assert_eq!((c.plan.as_str(), c.plan_usd_per_month.to_string().as_str()), ("Globex Premium", "30"));
    let Ok(CostReport::Conversation(c)) = cost::estimate(p, &conversation("acme-4")) else { panic!() };
    assert_eq!(c.plan, "Acme Chat Plus");
    // Each sheet knows its article and products.
    assert_eq!(p.for_product("globex_app").and_then(|s| s.doc()), Some("globex"));
    assert_eq!(p.for_doc("acme").map(|s| s.origin()), Some("acme.prices.toml"));
}

fn suggested(e: &Engine, q: &str) -> (String, bool) {
    match e.answer(q).suggestion {
        Some(Suggestion::Cost { model, conversation, .. }) => (model, conversation),
        other => panic!("{q}: no /cost suggestion ({other:?})"),
    }
}

#[test]
fn a_price_question_suggests_a_model_of_the_vendor_it_is_about() {
    let dir = two_vendors();
    let e = engine(dir.path(), PriceTable::empty());
    // The product named picks the price file, whichever article retrieval finds first.
    assert_eq!(suggested(&e, "how much does the globex api cost?").0, "globex-7");
    assert_eq!(suggested(&e, "how much does the acme api cost?").0, "acme-4");
    // A model named wins; a monthly question compares with that vendor's plan.
    assert_eq!(suggested(&e, "what does globex-7-lite cost per month?"), ("globex-7-lite".into(), true));
    let a = e.answer("how much does the globex app cost per month compared with the api?");
    let Some(Suggestion::Cost { model, estimate: Some(estimate), .. }) = a.suggestion else { panic!("{a:?}") };
    assert_eq!(model, "globex-7");
    let CostReport::Conversation(c) = *estimate else { panic!("a monthly question compares with a plan") };
    assert_eq!(c.plan, "Globex Premium");
}

#[test]
fn price_file_problems_are_named_by_line_all_at_once() {
    let dir = two_vendors();
    let bad = ACME_PRICES
        .replace("as_of = \"2025-03\"", "as_off = \"2025-03\"")
        .replace("default_model = \"acme-4\"", "default_model = \"acme-5\"")
        .replace("input_per_mtok = 4.00", "input_per_mtok = -4.00")
        .replace("input_per_mtok = 0.40", "input_per_mtok = \"cheap\"")
        .replace("products = [\"acme_api\", \"acme_chat\"]", "products = [\"acme_apx\", \"acme_chat\"]")
        .replace("compare_plan = \"plus\"", "compare_plan = \"pro\"")
        .replace("tokenizer = \"o200k_base\"\naliases", "tokenizer = \"p50k\"\naliases");
    std::fs::write(dir.path().join("acme.prices.toml"), bad).unwrap();
    std::fs::write(dir.path().join("initech.prices.toml"), GLOBEX_PRICES.replace("globex", "initech")).unwrap();
    let p = support::load_problems(dir.path());
    assert_eq!(
        p,
        [
            "acme.prices.toml:1: unknown key `as_off` in acme.prices.toml (did you mean `as_of`?)",
            "acme.prices.toml:1: needs `as_of`",
            "acme.prices.toml:3: unknown product `acme_apx` in `products`; products: acme_chat, acme_api, globex_app, globex_api (did you mean `acme_api`?)",
            "acme.prices.toml:5: `default_model` names unknown model `acme-5` (known: acme-4)",
            "acme.prices.toml:6: `compare_plan` names unknown plan `pro` (plans: plus)",
            "acme.prices.toml:9: `models.acme-4.input_per_mtok` must not be negative",
            "acme.prices.toml:11: `models.acme-4.tokenizer` is unknown (`p50k`): use o200k_base or cl100k_base",
            "acme.prices.toml:15: `input_per_mtok` must be a decimal number, not `cheap`",
            "initech.prices.toml:1: no article `initech` for this price file (it prices `initech.md` or `initech.txt`)",
            "initech.prices.toml:3: unknown product `initech_api` in `products`; products: acme_chat, acme_api, globex_app, globex_api",
            "initech.prices.toml:3: unknown product `initech_app` in `products`; products: acme_chat, acme_api, globex_app, globex_api",
        ],
        "{}",
        p.join("\n")
    );
}

#[test]
fn a_model_in_two_price_files_is_reported_with_every_other_corpus_problem() {
    let dir = two_vendors();
    // The same model name in both vendors' files, a product priced twice, a feature table
    // problem and a lexicon problem: one report.
    std::fs::write(
        dir.path().join("globex.prices.toml"),
        GLOBEX_PRICES
            .replace("[models.globex-7-lite]", "[models.acme-4-mini]")
            .replace("\"globex_app\"]", "\"acme_chat\"]"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("features.toml"),
        FEATURES.replace("heading = \"Whiteboard\"", "heading = \"Whitebored\""),
    )
    .unwrap();
    std::fs::write(dir.path().join("lexicon.toml"), "[chat]\nu = 3\n").unwrap();
    let p = support::load_problems(dir.path());
    assert_eq!(
        p,
        [
            "features.toml:35: feature `whiteboard`: no item `Whitebored` in section `Features Only in the App` (did you mean `Whiteboard`?)",
            "globex.prices.toml:3: product `acme_chat` is priced by acme.prices.toml too: each product's prices are in one file",
            "globex.prices.toml:13: model `acme-4-mini`: `acme-4-mini` is also model `acme-4-mini` of acme.prices.toml: a model name or alias must be in one price file",
            "lexicon.toml:2: `u` must be a string, not integer",
        ],
        "{}",
        p.join("\n")
    );
}

#[test]
fn bot_toml_pricing_overrides_the_models_it_names_and_says_where_prices_live() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("bot.toml");
    let corpus_dir = two_vendors();
    std::fs::write(
        &toml,
        format!(
            "[corpus]\ndir = {:?}\n[pricing]\nas_of = \"2026-01\"\nsource = \"our contract\"\nbatch_discount_percent = 0\ndefault_model = \"acme-4\"\n[pricing.models.acme-4]\ninput_per_mtok = 3\noutput_per_mtok = 9\ntokenizer = \"o200k_base\"\n",
            corpus_dir.path()
        ),
    )
    .unwrap();
    let config = productbot::config::Config::load_with_env(Some(&toml), Vec::new()).unwrap();
    let e = engine(&config.corpus_dir, config.prices.clone());
    let p = e.prices();
    let Ok(CostReport::Call(acme)) = cost::estimate(p, &call("acme-4")) else { panic!() };
    assert_eq!((acme.usd_total.to_string().as_str(), acme.source.as_str()), ("12", "our contract"));
    assert!(acme.caveats.iter().any(|c| c.contains("prices now live in the corpus directory")), "{:?}", acme.caveats);
    // The alias of the corpus's acme-4 went with it; the other models are the corpus's.
    assert!(p.resolve_model("a4").is_err());
    let Ok(CostReport::Call(mini)) = cost::estimate(p, &call("acme-4-mini")) else { panic!() };
    assert!(mini.caveats.is_empty() && mini.source == "Acme article", "{mini:?}");
    assert_eq!(p.complete_model("").len(), 4);
}

#[test]
fn the_claude_fixture_prices_the_articles_figures() {
    let path: PathBuf = support::repo().join("tests/fixtures/two-vendors/claude-apps-vs-anthropic-api.prices.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let file = corpus::prices::parse(&path, &text, &["claude-apps-vs-anthropic-api"]).unwrap();
    let table = file.table().unwrap();
    let sonnet = table.resolve_model("Claude Sonnet").unwrap();
    assert_eq!(
        (sonnet.name(), sonnet.input_per_mtok().to_string(), sonnet.output_per_mtok().to_string()),
        ("claude-sonnet-4", "3.00".into(), "15.00".into())
    );
    assert_eq!(table.resolve_model("opus").unwrap().output_per_mtok().to_string(), "75.00");
    assert_eq!(table.resolve_model("haiku 3.5").unwrap().input_per_mtok().to_string(), "0.80");
    let sheet = &table.sheets()[0];
    assert_eq!(sheet.compare_plan().map(|p| p.name()), Some("Claude Pro"));
    assert_eq!(sheet.products(), ["anthropic_api", "claude"]);
    // "1,000 input tokens and 500 output tokens costs about one cent on Sonnet".
    let req = CostRequest::Calls(CallRequest {
        input: Some(Input::Tokens(1000)),
        output_tokens: Some(500),
        ..Default::default()
    });
    let Ok(CostReport::Call(r)) = cost::estimate(&table, &req) else { panic!() };
    assert_eq!(r.usd_per_request.to_string(), "0.0105");
    // Its names do not collide with the shipped prices: both vendors' files can sit in one corpus.
    let shipped = support::shipped().prices().clone();
    let (both, dropped) = PriceTable::combine([shipped, table]);
    assert!(dropped.is_empty(), "{dropped:?}");
    assert_eq!(both.models().len(), 6);
}
