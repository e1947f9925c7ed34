//! Several servers from one process, through the real gateway client and the mock Discord: a
//! `[guilds.ID]` block with a corpus of its own answers the same question differently from a server
//! on the default corpus; a channel limited to one article (and a thread in it) answers from that
//! article only; a server's cooldown is its own; and `/reindex` in a server re-indexes that server's
//! corpus and leaves the default index as it was.

mod support;

use std::path::Path;

use serde_json::{Value, json};
use support::mock_discord::{APP_ID, GUILD_ID, MockDiscord, slash_interaction};

use support::bot::*;

const OTHER_GUILD: u64 = 900000000000000002;
/// A channel of [`OTHER_GUILD`] limited to the Claude article.
const CLAUDE_ONLY: u64 = 710000000000000902;
const CAROL: u64 = 600000000000000003;

/// The default corpus (the shipped one), and `corpus-b` (the two-vendor fixture) for the other
/// server, whose channel [`CLAUDE_ONLY`] serves one article of it.
fn site() -> Site {
    let site = Site::new(&format!(
        "{}\n[guilds.{OTHER_GUILD}]\ncorpus = \"corpus-b\"\ncooldown = {{ questions = 2, seconds = 600 }}\n\n\
         [guilds.{OTHER_GUILD}.channels.{CLAUDE_ONLY}]\narticles = [\"claude-apps-vs-anthropic-api\"]\n",
        DISCORD_DEFAULTS
    ));
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two-vendors");
    support::copy_dir(&fixture, &site.dir.path().join("corpus-b"));
    site
}

/// `/ask` through the gateway in `guild`, `channel` (and a thread in `parent`, when given).
fn ask_in(id: u64, user: u64, q: &str, guild: u64, channel: u64, parent: Option<u64>) -> Value {
    let mut d = slash_interaction(id, "ask", json!([{"name": "question", "type": 3, "value": q}]), user, 0);
    d["guild_id"] = json!(guild.to_string());
    d["channel_id"] = json!(channel.to_string());
    if let Some(p) = parent {
        d["channel"] = json!({ "id": channel.to_string(), "type": 11, "parent_id": p.to_string(), "name": "t" });
    }
    d
}

/// The title and description of a reply's first embed, or its content.
fn said(body: &Value) -> String {
    let d = &body["data"];
    let e = &d["embeds"][0];
    format!(
        "{}{}\n{}",
        d["content"].as_str().unwrap_or_default(),
        e["title"].as_str().unwrap_or_default(),
        e["description"].as_str().unwrap_or_default()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_server_and_limited_channel_answers_from_its_own_corpus() {
    let bot = Bot::start_in(MockDiscord::start().await, site()).await;
    bot.registered().await;
    let ask = |id, user, q: &str, guild, channel, parent| bot.interact(ask_in(id, user, q, guild, channel, parent));
    let general = 710000000000000901u64;

    // The same question, two servers: the default corpus has no Claude article.
    let here = said(&ask(1, ALICE, "does claude have memory?", GUILD_ID, general, None).await.body);
    assert!(here.contains("outside what I cover"), "{here}");
    let there = said(&ask(2, BOB, "does claude have memory?", OTHER_GUILD, general, None).await.body);
    assert!(there.starts_with("Yes. The Claude apps offer memory."), "{there}");

    // "the api" is either vendor's in the other server, the Anthropic API's in the Claude-only
    // channel and in a thread of it, and OpenAI's in the default server.
    let both = said(&ask(3, ALICE, "does the api have memory?", OTHER_GUILD, general, None).await.body);
    assert!(both.starts_with("Memory: neither the API nor the Anthropic API has it."), "{both}");
    let claude = said(&ask(4, ALICE, "does the api have memory?", OTHER_GUILD, CLAUDE_ONLY, None).await.body);
    assert!(claude.starts_with("No. The Anthropic API does not offer memory."), "{claude}");
    let thread = 720000000000000903u64;
    let in_thread =
        said(&ask(5, CAROL, "does the api have memory?", OTHER_GUILD, thread, Some(CLAUDE_ONLY)).await.body);
    assert!(in_thread.starts_with("No. The Anthropic API does not offer memory."), "{in_thread}");
    let openai = said(&ask(6, CAROL, "does the api have memory?", GUILD_ID, general, None).await.body);
    assert!(openai.starts_with("No. The API does not offer memory."), "{openai}");

    // The other server allows two questions per user (CAROL has asked one there); the default
    // server's five are counted apart.
    let second = said(&ask(7, CAROL, "can chatgpt browse the web?", OTHER_GUILD, general, None).await.body);
    assert!(!second.starts_with("Slow down"), "{second}");
    let third = said(&ask(8, CAROL, "can chatgpt browse the web?", OTHER_GUILD, general, None).await.body);
    assert!(third.starts_with("Slow down"), "{third}");
    let elsewhere = said(&ask(9, CAROL, "can chatgpt browse the web?", GUILD_ID, general, None).await.body);
    assert!(!elsewhere.starts_with("Slow down"), "{elsewhere}");
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_in_a_server_rebuilds_its_corpus_only() {
    let bot = Bot::start_in(MockDiscord::start().await, site()).await;
    bot.registered().await;
    let default_generation = bot.site.current_generation();
    let scopes = |site: &Site| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(site.dir.path().join("index"))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("scope-"))
            .collect();
        v.sort();
        v
    };
    // The other server's corpus and its Claude-only channel: an index each.
    let dirs = scopes(&bot.site);
    assert_eq!(dirs.len(), 2, "{dirs:?}");
    let generation =
        |d: &str| std::fs::read_to_string(bot.site.dir.path().join("index").join(d).join("current")).unwrap();
    let before: Vec<String> = dirs.iter().map(|d| generation(d)).collect();

    let claude = bot.site.dir.path().join("corpus-b/claude-apps-vs-anthropic-api.md");
    let mut text = std::fs::read_to_string(&claude).unwrap();
    text.push_str("\n\nA closing remark added by an editor.\n");
    std::fs::write(&claude, text).unwrap();
    let mut reindex = slash_interaction(10, "reindex", json!([]), ALICE, MANAGE_GUILD);
    reindex["guild_id"] = json!(OTHER_GUILD.to_string());
    let cb = bot.interact(reindex).await;
    assert_eq!(cb.body["type"], 5, "deferred: {}", cb.body);
    let route = format!("/webhooks/{APP_ID}/itoken-10/messages/@original");
    let edit = bot.mock.wait_request(T, |r| r.is("PATCH", &route)).await;
    let report = edit.body["embeds"][0]["description"].as_str().unwrap_or_default().to_owned();
    assert!(report.starts_with("Re-indexed 2 document(s)"), "the other server's two articles: {report}");
    // Both of the other server's indexes moved on (they read the changed file); the default one did not.
    let after: Vec<String> = dirs.iter().map(|d| generation(d)).collect();
    assert!(before.iter().zip(&after).all(|(b, a)| b != a), "{before:?} -> {after:?}");
    assert_eq!(bot.site.current_generation(), default_generation);
    bot.stop().await.0.unwrap();
}

/// Runs an admin report (`/gaps` or `/stats`) in `guild` until its text contains `want`; returns it.
async fn report_until(bot: &Bot, name: &str, first_id: u64, guild: u64, want: &str) -> String {
    let mut last = String::new();
    for i in 0..20 {
        let id = first_id + i;
        let mut d = slash_interaction(id, name, json!([]), ALICE, MANAGE_GUILD);
        d["guild_id"] = json!(guild.to_string());
        let cb = bot.interact(d).await;
        assert_eq!(cb.body["type"], 5, "deferred: {}", cb.body);
        let route = format!("/webhooks/{APP_ID}/itoken-{id}/messages/@original");
        let edit = bot.mock.wait_request(T, |r| r.is("PATCH", &route)).await;
        last = edit.body["embeds"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["description"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
            .join("\n");
        if last.contains(want) {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    panic!("/{name} in {guild} never showed {want:?}; last:\n{last}");
}

/// `/gaps` and `/stats` on Discord cover the server they are asked in: one server's admins do not
/// see another's questions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_cover_the_server_they_are_asked_in() {
    let bot = Bot::start_in(MockDiscord::start().await, site()).await;
    bot.registered().await;
    let general = 710000000000000911u64;
    bot.interact(ask_in(1, ALICE, "how tall is mount everest?", GUILD_ID, general, None)).await;
    bot.interact(ask_in(2, BOB, "how tall is kilimanjaro?", OTHER_GUILD, general, None)).await;
    let there = report_until(&bot, "gaps", 100, OTHER_GUILD, "kilimanjaro").await;
    assert!(!there.contains("everest"), "{there}");
    let here = report_until(&bot, "gaps", 200, GUILD_ID, "everest").await;
    assert!(!here.contains("kilimanjaro"), "{here}");
    report_until(&bot, "stats", 300, OTHER_GUILD, ": **1** answers").await;
    bot.stop().await.0.unwrap();
}
