//! Feedback on Discord answers end to end, against the mock Discord: the 👍/👎 buttons (and the
//! "what were you looking for?" form) as seen in `/stats` and `/gaps`, private answers and their
//! "Post to channel" button, 🗑 for the asker and admins, answers in threads and forum posts, and
//! the gateway intents those need. Every wait is bounded.

mod support;

use std::time::Duration;

use productbot::config::Config;
use serde_json::{Value, json};
use support::mock_discord::{
    APP_ID, BOT_USER_ID, CHANNEL_ID, Recorded, bot_user, component_interaction, message_create, message_object,
    modal_submit_interaction, slash_interaction, thread_channel,
};

use support::bot::*;

const GUILD_MESSAGES: u64 = 1 << 9;
const DIRECT_MESSAGES: u64 = 1 << 12;
const MESSAGE_CONTENT: u64 = 1 << 15;
const GUILDS: u64 = 1 << 0;

/// How long "the bot stays silent" is watched for.
const QUIET: Duration = Duration::from_millis(1500);

/// The buttons of a message body (interaction callback `data`, or a channel message): custom ids of
/// its one action row, each checked to be a secondary (grey) button.
fn button_ids(msg: &Value) -> Vec<String> {
    let rows = msg["components"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 1, "one action row: {msg}");
    assert_eq!(rows[0]["type"], 1, "{msg}");
    rows[0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            assert_eq!(b["type"], 2, "a button: {b}");
            assert_eq!(b["style"], 2, "secondary: {b}");
            b["custom_id"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// The emoji names of the buttons, in order ("" for a button without one).
fn button_emojis(msg: &Value) -> Vec<String> {
    msg["components"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["emoji"]["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A custom id without its tag (`NAME:VALUES...:TAG`, the tag 16 hex digits).
fn untagged(id: &str) -> &str {
    let (rest, tag) = id.rsplit_once(':').unwrap_or_else(|| panic!("no tag: {id}"));
    assert!(tag.len() == 16 && tag.bytes().all(|b| b.is_ascii_hexdigit()), "no tag: {id}");
    rest
}

/// The custom id (tagged, as the bot made it) of the button of `msg` that stands for `want`.
fn button(msg: &Value, want: &str) -> String {
    let ids = button_ids(msg);
    ids.iter().find(|id| untagged(id) == want).cloned().unwrap_or_else(|| panic!("no button {want}: {ids:?}"))
}

/// The answer id of a recorded answer's buttons, after checking they are exactly
/// 👍 `vote:ID:1`, 👎 `vote:ID:0` and then `last` (with `{id}` standing for the answer id), each
/// tagged.
fn recorded_answer(msg: &Value, last: &str) -> u64 {
    let ids: Vec<String> = button_ids(msg).iter().map(|id| untagged(id).to_owned()).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    let id: u64 = ids[0]
        .strip_prefix("vote:")
        .and_then(|r| r.strip_suffix(":1"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("first button is 👍 vote:<id>:1: {ids:?}"));
    assert!(id > 0);
    assert_eq!(ids, [format!("vote:{id}:1"), format!("vote:{id}:0"), last.to_owned()]);
    id
}

/// The message an interaction reply became, as Discord hands it back on a button press: the reply's
/// content, embeds, flags and components, in [`CHANNEL_ID`], by the bot.
fn posted(message_id: u64, data: &Value) -> Value {
    let mut m = message_object(
        message_id,
        CHANNEL_ID,
        bot_user(),
        data["content"].as_str().unwrap_or_default(),
        data["embeds"].clone(),
        data["flags"].clone(),
    );
    m["components"] = data["components"].clone();
    m["application_id"] = json!(APP_ID.to_string());
    m
}

/// Every text of a message: content, embed titles and descriptions.
fn text_of(msg: &Value) -> String {
    let mut t = msg["content"].as_str().unwrap_or_default().to_owned();
    for e in msg["embeds"].as_array().into_iter().flatten() {
        for k in ["title", "description"] {
            t.push('\n');
            t.push_str(e[k].as_str().unwrap_or_default());
        }
    }
    t
}

/// Presses a button and checks the common shape of the callback.
async fn press(bot: &Bot, id: u64, custom_id: &str, message: Value, user: u64, permissions: u64) -> Recorded {
    let cb = bot.interact(component_interaction(id, custom_id, message, user, permissions)).await;
    if cb.body["type"] == 4 {
        assert_valid_message(&cb.body["data"]);
    }
    cb
}

/// Runs `/stats` (as an admin) and returns the report's text after checking the deferral, the
/// edit of the original response and its chart.
async fn stats(bot: &Bot, id: u64) -> String {
    let cb = bot.interact(slash_interaction(id, "stats", json!([]), BOB, MANAGE_GUILD)).await;
    assert_eq!(cb.body["type"], 5, "deferred: {}", cb.body);
    assert!(is_ephemeral(&cb.body["data"]), "{}", cb.body);
    let route = format!("/webhooks/{APP_ID}/itoken-{id}/messages/@original");
    let edit = bot.mock.wait_request(T, |r| r.is("PATCH", &route)).await;
    assert_valid_message(&edit.body);
    assert!(
        edit.files.iter().any(|f| f.filename.as_deref() == Some("stats.png") && f.data.starts_with(b"\x89PNG")),
        "the chart is attached: {:?}",
        edit.files.iter().map(|f| (&f.field, &f.filename)).collect::<Vec<_>>()
    );
    assert_eq!(edit.body["embeds"][0]["image"]["url"], "attachment://stats.png", "{}", edit.body);
    text_of(&edit.body)
}

/// Asks `/stats` until its report has the line `want` (votes are written through a queue), using
/// interaction ids from `first_id` on; panics with the last report after ~10 s.
async fn stats_until(bot: &Bot, first_id: u64, want: &str) -> String {
    let mut last = String::new();
    for i in 0..20 {
        last = stats(bot, first_id + i).await;
        if last.lines().any(|l| l.trim() == want) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("/stats never showed {want:?}; last report:\n{last}");
}

/// Runs `/gaps` (as an admin) until its report contains `want`; returns the report.
async fn gaps_until(bot: &Bot, first_id: u64, want: &str) -> String {
    let mut last = String::new();
    for i in 0..20 {
        let id = first_id + i;
        let cb = bot.interact(slash_interaction(id, "gaps", json!([]), BOB, MANAGE_GUILD)).await;
        assert_eq!(cb.body["type"], 5, "deferred: {}", cb.body);
        let route = format!("/webhooks/{APP_ID}/itoken-{id}/messages/@original");
        let edit = bot.mock.wait_request(T, |r| r.is("PATCH", &route)).await;
        assert_valid_message(&edit.body);
        last = text_of(&edit.body);
        if last.contains(want) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("/gaps never showed {want:?}; last report:\n{last}");
}

/// Asks a public question and returns the callback's `data` and the answer id of its buttons.
async fn ask_public(bot: &Bot, id: u64, user: u64, question: &str) -> (Value, u64) {
    let cb = bot.ask(id, user, question).await;
    assert_eq!(cb.body["type"], 4, "{}", cb.body);
    let data = cb.body["data"].clone();
    assert_valid_message(&data);
    assert!(!is_ephemeral(&data), "{data}");
    let answer = recorded_answer(&data, &format!("remove:{user}"));
    assert_eq!(button_emojis(&data), ["👍", "👎", "🗑"]);
    (data, answer)
}

fn discord_toml(extra: &str) -> String {
    DISCORD_DEFAULTS.replace("shards = 1", &format!("shards = 1\n{extra}"))
}

/// No REST request matching `pred` arrives within [`QUIET`].
async fn assert_quiet(bot: &Bot, what: &str, pred: impl Fn(&Recorded) -> bool) {
    tokio::time::sleep(QUIET).await;
    let seen: Vec<String> = bot
        .mock
        .requests()
        .iter()
        .filter(|r| pred(r))
        .map(|r| format!("{} {} {}", r.method, r.route(), r.body))
        .collect();
    assert!(seen.is_empty(), "{what}: {seen:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_round_trip_shows_in_stats() {
    let bot = Bot::start().await;
    let report = stats(&bot, 100).await;
    assert!(report.contains("Helpful: no votes yet"), "{report}");

    let (data, answer) = ask_public(&bot, 1, ALICE, "does the API have memory?").await;
    let cb = press(&bot, 2, &button(&data, &format!("vote:{answer}:1")), posted(5001, &data), ALICE, 0).await;
    assert_eq!(cb.body["type"], 4, "{}", cb.body);
    assert!(is_ephemeral(&cb.body["data"]), "the thanks is for the voter only: {}", cb.body);
    assert!(text_of(&cb.body["data"]).contains("Thanks"), "{}", cb.body);
    assert!(cb.body["data"]["components"].as_array().is_none_or(|c| c.is_empty()), "{}", cb.body);

    stats_until(&bot, 101, "Helpful: **100%** (1 👍, 0 👎)").await;
    // A press is not a question: it neither posts nor deletes anything.
    assert!(
        !bot.mock.requests().iter().any(|r| r.method == "DELETE" || r.route().starts_with("/channels/")),
        "{:#?}",
        bot.mock.requests().iter().map(|r| format!("{} {}", r.method, r.route())).collect::<Vec<_>>()
    );
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_vote_replaces_first_and_two_people_count_twice() {
    let bot = Bot::start().await;
    let (data, answer) = ask_public(&bot, 1, ALICE, "does the API have memory?").await;
    let msg = posted(5001, &data);

    let cb = press(&bot, 2, &button(&msg, &format!("vote:{answer}:1")), msg.clone(), ALICE, 0).await;
    assert_eq!(cb.body["type"], 4, "{}", cb.body);
    stats_until(&bot, 100, "Helpful: **100%** (1 👍, 0 👎)").await;

    // Alice changes her mind: her 👍 becomes a 👎 (which asks why; the vote counts already).
    let cb = press(&bot, 3, &button(&msg, &format!("vote:{answer}:0")), msg.clone(), ALICE, 0).await;
    assert_eq!(cb.body["type"], 9, "{}", cb.body);
    stats_until(&bot, 200, "Helpful: **0%** (0 👍, 1 👎)").await;

    // Bob's 👍 on the same answer is a second vote.
    let cb = press(&bot, 4, &button(&msg, &format!("vote:{answer}:1")), msg.clone(), BOB, 0).await;
    assert_eq!(cb.body["type"], 4, "{}", cb.body);
    assert!(is_ephemeral(&cb.body["data"]));
    stats_until(&bot, 300, "Helpful: **50%** (1 👍, 1 👎)").await;

    // Pressing the same button again changes nothing.
    let cb = press(&bot, 5, &button(&msg, &format!("vote:{answer}:1")), msg.clone(), BOB, 0).await;
    assert_eq!(cb.body["type"], 4, "{}", cb.body);
    // And a vote on a second answer counts on its own.
    let (data2, answer2) = ask_public(&bot, 6, BOB, "can ChatGPT browse the web?").await;
    assert_ne!(answer2, answer);
    let cb = press(&bot, 7, &button(&data2, &format!("vote:{answer2}:1")), posted(5002, &data2), ALICE, 0).await;
    assert_eq!(cb.body["type"], 4, "{}", cb.body);
    stats_until(&bot, 400, "Helpful: **67%** (2 👍, 1 👎)").await;
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thumbs_down_asks_why_and_keeps_the_comment() {
    let bot = Bot::start().await;
    let (data, answer) = ask_public(&bot, 1, ALICE, "does the API have memory?").await;
    let modal_id = button(&data, &format!("vote:{answer}:0"));

    let cb = press(&bot, 2, &modal_id, posted(5001, &data), ALICE, 0).await;
    assert_eq!(cb.body["type"], 9, "a form: {}", cb.body);
    let form = &cb.body["data"];
    assert_eq!(form["custom_id"], json!(modal_id), "{form}");
    let title = form["title"].as_str().unwrap_or_default();
    assert!((1..=45).contains(&title.chars().count()), "{form}");
    let rows = form["components"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{form}");
    let inputs = rows[0]["components"].as_array().unwrap();
    assert_eq!(inputs.len(), 1, "{form}");
    assert_eq!(inputs[0]["type"], 4, "a text input: {form}");
    assert_eq!(inputs[0]["custom_id"], "comment", "{form}");
    assert_eq!(inputs[0]["required"], false, "the comment is optional: {form}");
    // The vote counts before the form is sent (it may be dismissed).
    stats_until(&bot, 100, "Helpful: **0%** (0 👍, 1 👎)").await;

    let cb = bot.interact(modal_submit_interaction(3, &modal_id, &[("comment", "I wanted webhooks")], ALICE)).await;
    assert_eq!(cb.body["type"], 4, "{}", cb.body);
    assert_valid_message(&cb.body["data"]);
    assert!(is_ephemeral(&cb.body["data"]), "{}", cb.body);
    assert!(text_of(&cb.body["data"]).contains("Thanks"), "{}", cb.body);

    // Still one vote, now with what was missing: /gaps shows it.
    let report = gaps_until(&bot, 200, "I wanted webhooks").await;
    assert!(report.contains("1 voted down"), "{report}");
    let report = stats(&bot, 300).await;
    assert!(report.lines().any(|l| l == "Helpful: **0%** (0 👍, 1 👎)"), "{report}");
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_answer_can_be_posted_to_the_channel() {
    let bot = Bot::start().await;
    let cb = bot
        .interact(slash_interaction(
            1,
            "ask",
            json!([
                {"name": "question", "type": 3, "value": "does the API have memory?"},
                {"name": "private", "type": 5, "value": true}
            ]),
            ALICE,
            0,
        ))
        .await;
    assert_eq!(cb.body["type"], 4, "{}", cb.body);
    let private = cb.body["data"].clone();
    assert_valid_message(&private);
    assert!(is_ephemeral(&private), "{private}");
    let answer = recorded_answer(&private, "share");
    assert_eq!(private["components"][0]["components"][2]["label"], "Post to channel", "{private}");
    assert_eq!(button_emojis(&private)[..2], ["👍", "👎"]);
    assert_eq!(private["embeds"][0]["title"], "No. The API does not offer memory.");

    // Bob presses "Post to channel" on the message only he sees (ephemeral: flags 64).
    let cb = press(&bot, 2, &button(&private, "share"), posted(5001, &private), BOB, 0).await;
    assert_eq!(cb.body["type"], 4, "{}", cb.body);
    let public = &cb.body["data"];
    assert!(!is_ephemeral(public), "{public}");
    let strip = |embeds: &Value| -> Vec<Value> {
        embeds
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e.as_object_mut().unwrap().remove("type");
                e
            })
            .collect()
    };
    assert_eq!(strip(&public["embeds"]), strip(&private["embeds"]), "the same answer");
    assert_eq!(recorded_answer(public, &format!("remove:{BOB}")), answer, "the votes go to the same answer");
    assert_eq!(button_emojis(public), ["👍", "👎", "🗑"]);

    // A vote from the shared copy counts on the same answer.
    let cb = press(&bot, 3, &button(public, &format!("vote:{answer}:1")), posted(5002, public), BOB, 0).await;
    assert_eq!(cb.body["type"], 4, "{}", cb.body);
    stats_until(&bot, 100, "Helpful: **100%** (1 👍, 0 👎)").await;
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_asker_or_an_admin_can_remove() {
    let bot = Bot::start().await;
    let delete_of = |mid: u64| format!("/channels/{CHANNEL_ID}/messages/{mid}");

    // Bob (no rights) may not remove Alice's answer.
    let (data, _) = ask_public(&bot, 1, ALICE, "does the API have memory?").await;
    let remove = button(&data, &format!("remove:{ALICE}"));
    let cb = press(&bot, 2, &remove, posted(5001, &data), BOB, 0).await;
    assert_eq!(cb.body["type"], 4, "{}", cb.body);
    assert!(is_ephemeral(&cb.body["data"]), "{}", cb.body);
    assert!(
        text_of(&cb.body["data"]).contains("Only the person who asked, or an admin, can remove this answer."),
        "{}",
        cb.body
    );
    // Nor with Manage Messages alone (1 << 13).
    let cb = press(&bot, 3, &remove, posted(5001, &data), BOB, 1 << 13).await;
    assert_eq!(cb.body["type"], 4, "{}", cb.body);
    assert!(is_ephemeral(&cb.body["data"]), "{}", cb.body);
    assert_quiet(&bot, "a refused 🗑 deletes nothing", |r| r.method == "DELETE").await;

    // Alice may.
    let cb = press(&bot, 4, &remove, posted(5001, &data), ALICE, 0).await;
    assert_eq!(cb.body["type"], 6, "acknowledged without a message: {}", cb.body);
    let del = bot.mock.wait_request(T, |r| r.method == "DELETE").await;
    assert_eq!(del.route(), delete_of(5001));

    // So may an admin, on Alice's second answer.
    let (data, _) = ask_public(&bot, 5, ALICE, "can ChatGPT browse the web?").await;
    let cb = press(&bot, 6, &remove, posted(5002, &data), BOB, MANAGE_GUILD).await;
    assert_eq!(cb.body["type"], 6, "{}", cb.body);
    bot.mock.wait_request(T, |r| r.is("DELETE", &delete_of(5002))).await;
    let deletes: Vec<String> =
        bot.mock.requests().iter().filter(|r| r.method == "DELETE").map(|r| r.route().to_owned()).collect();
    assert_eq!(deletes, [delete_of(5001), delete_of(5002)]);
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mention_answers_carry_the_buttons() {
    let bot = Bot::start().await;
    bot.registered().await;
    let ch = 700000000000000070u64;
    let content = format!("<@{BOT_USER_ID}> does the API have memory?");
    bot.mock.dispatch("MESSAGE_CREATE", message_create(70, ch, ALICE, &content, true)).await;
    let m = bot.mock.wait_request(T, |r| r.is("POST", &format!("/channels/{ch}/messages"))).await;
    assert_valid_message(&m.body);
    let answer = recorded_answer(&m.body, &format!("remove:{ALICE}"));
    assert_eq!(button_emojis(&m.body), ["👍", "👎", "🗑"]);

    // 👍 under a channel message works like under an interaction reply.
    let mut on = posted(5070, &m.body);
    on["channel_id"] = json!(ch.to_string());
    let cb = press(&bot, 2, &button(&on, &format!("vote:{answer}:1")), on.clone(), BOB, 0).await;
    assert_eq!(cb.body["type"], 4, "{}", cb.body);
    assert!(is_ephemeral(&cb.body["data"]));
    stats_until(&bot, 100, "Helpful: **100%** (1 👍, 0 👎)").await;
    // 🗑 deletes it in its own channel.
    let cb = press(&bot, 3, &button(&on, &format!("remove:{ALICE}")), on, ALICE, 0).await;
    assert_eq!(cb.body["type"], 6, "{}", cb.body);
    bot.mock.wait_request(T, |r| r.is("DELETE", &format!("/channels/{ch}/messages/5070"))).await;
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mention_answers_go_in_a_thread_and_follow_ups_need_the_intent() {
    for message_content in [true, false] {
        let extra = format!("answer_in_thread = true\nmessage_content = {message_content}");
        let bot = Bot::start_with(&discord_toml(&extra)).await;
        let identify = bot.mock.identifies().remove(0);
        let want = GUILD_MESSAGES | DIRECT_MESSAGES | if message_content { MESSAGE_CONTENT } else { 0 };
        assert_eq!(identify["intents"], json!(want), "message_content = {message_content}");
        bot.registered().await;

        let ch = 700000000000000080u64;
        let question_id = 710000000000000080u64;
        let content = format!("<@{BOT_USER_ID}> does the API have memory? @everyone");
        bot.mock.dispatch("MESSAGE_CREATE", message_create(question_id, ch, ALICE, &content, true)).await;
        let start =
            bot.mock.wait_request(T, |r| r.is("POST", &format!("/channels/{ch}/messages/{question_id}/threads"))).await;
        let name = start.body["name"].as_str().unwrap();
        assert_eq!(name, "does the API have memory?", "named after the question, without mentions");
        // The mock's thread has the question's id, as on Discord.
        let thread = question_id;
        let in_thread = format!("/channels/{thread}/messages");
        let m = bot.mock.wait_request(T, |r| r.is("POST", &in_thread)).await;
        assert_valid_message(&m.body);
        assert_eq!(m.body["embeds"][0]["title"], "No. The API does not offer memory.");
        recorded_answer(&m.body, &format!("remove:{ALICE}"));
        assert!(
            !bot.mock.requests().iter().any(|r| r.is("POST", &format!("/channels/{ch}/messages"))),
            "the answer is in the thread, not the channel"
        );

        // A follow-up in the thread without a mention.
        let follow = message_create(720000000000000080, thread, BOB, "can ChatGPT browse the web?", false);
        bot.mock.dispatch("MESSAGE_CREATE", follow).await;
        if message_content {
            let replies = bot.mock.wait_requests(2, T, |r| r.is("POST", &in_thread)).await;
            let r = &replies[1].body;
            assert_valid_message(r);
            assert_eq!(r["message_reference"]["message_id"], "720000000000000080", "{r}");
            recorded_answer(r, &format!("remove:{BOB}"));
        } else {
            assert_quiet(&bot, "without Message Content a follow-up is not answered", |r| {
                r.is("POST", &in_thread) && r.body["message_reference"]["message_id"] == "720000000000000080"
            })
            .await;
        }
        let threads = bot.mock.requests().iter().filter(|r| r.route().ends_with("/threads")).count();
        assert_eq!(threads, 1, "one thread per question");
        // A message in some other channel without a mention stays unanswered either way.
        let other = 700000000000000081u64;
        bot.mock
            .dispatch(
                "MESSAGE_CREATE",
                message_create(730000000000000080, other, BOB, "does the API have memory?", false),
            )
            .await;
        assert_quiet(&bot, "no mention, not a thread of ours", |r| {
            r.route().starts_with(&format!("/channels/{other}"))
        })
        .await;
        bot.stop().await.0.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_inside_the_answer_thread_is_answered_there() {
    let bot = Bot::start_with(&discord_toml("answer_in_thread = true\nmessage_content = true")).await;
    bot.registered().await;
    let ch = 700000000000000090u64;
    let thread = 710000000000000090u64;
    let content = format!("<@{BOT_USER_ID}> does the API have memory?");
    bot.mock.dispatch("MESSAGE_CREATE", message_create(thread, ch, ALICE, &content, true)).await;
    let in_thread = format!("/channels/{thread}/messages");
    bot.mock.wait_request(T, |r| r.is("POST", &in_thread)).await;

    // Asking again with a mention, inside the thread: no thread in the thread. Discord refuses those
    // (400, code 50024); the mock is told to, so the answer's place is what Discord would show.
    bot.mock.fail_next(
        "POST",
        &format!("/channels/{thread}/messages/"),
        400,
        json!({"message": "Cannot execute action on this channel type", "code": 50024}),
    );
    let content = format!("<@{BOT_USER_ID}> can ChatGPT browse the web?");
    bot.mock.dispatch("MESSAGE_CREATE", message_create(720000000000000090, thread, BOB, &content, true)).await;
    let replies =
        bot.mock.wait_requests(1, T, |r| r.body["message_reference"]["message_id"] == "720000000000000090").await;
    assert_eq!(replies[0].route(), in_thread, "answered in the thread it was asked in");
    assert_valid_message(&replies[0].body);
    let threads: Vec<String> =
        bot.mock.requests().iter().filter(|r| r.route().ends_with("/threads")).map(|r| r.route().to_owned()).collect();
    assert_eq!(
        threads,
        [format!("/channels/{ch}/messages/{thread}/threads")],
        "no attempt to start a thread inside the thread"
    );
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forum_posts_are_answered_inside_the_post() {
    let forum = 750000000000000001u64;
    let other_parent = 750000000000000002u64;
    let bot = Bot::start_with(&discord_toml(&format!("message_content = true\nforum_channels = [{forum}]"))).await;
    let identify = bot.mock.identifies().remove(0);
    assert_eq!(identify["intents"], json!(GUILD_MESSAGES | DIRECT_MESSAGES | MESSAGE_CONTENT | GUILDS));
    bot.registered().await;

    // A post in the configured forum: THREAD_CREATE, then its first message (same id), no mention.
    let post = 760000000000000001u64;
    bot.mock.dispatch("THREAD_CREATE", thread_channel(post, forum, "Memory in the API?")).await;
    // THREAD_CREATE handled first here; `forum_posts_are_answered_when_their_events_arrive_together`
    // covers either order.
    tokio::time::sleep(Duration::from_millis(300)).await;
    bot.mock.dispatch("MESSAGE_CREATE", message_create(post, post, ALICE, "does the API have memory?", false)).await;
    let m = bot.mock.wait_request(T, |r| r.is("POST", &format!("/channels/{post}/messages"))).await;
    assert_valid_message(&m.body);
    assert_eq!(m.body["embeds"][0]["title"], "No. The API does not offer memory.");
    assert_eq!(m.body["message_reference"]["message_id"], post.to_string());
    recorded_answer(&m.body, &format!("remove:{ALICE}"));
    assert!(!bot.mock.requests().iter().any(|r| r.route().ends_with("/threads")), "already in a thread");

    // A later message in that post, without a mention, is not a new post but a follow-up in a post
    // the bot answered: answered there (with the question before as its context).
    bot.mock.dispatch("MESSAGE_CREATE", message_create(post + 1, post, BOB, "and chatgpt?", false)).await;
    let replies = bot.mock.wait_requests(2, T, |r| r.is("POST", &format!("/channels/{post}/messages"))).await;
    let follow = &replies[1].body;
    assert_eq!(follow["message_reference"]["message_id"], (post + 1).to_string());
    assert_eq!(follow["embeds"][0]["title"], "Yes. ChatGPT offers memory.");
    assert!(text_of(follow).contains("Reading this as: does ChatGPT have memory?"), "{follow}");
    // A thread under a channel that is not a configured forum.
    let elsewhere = 760000000000000002u64;
    bot.mock.dispatch("THREAD_CREATE", thread_channel(elsewhere, other_parent, "Memory?")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    bot.mock
        .dispatch("MESSAGE_CREATE", message_create(elsewhere, elsewhere, ALICE, "does the API have memory?", false))
        .await;
    assert_quiet(&bot, "only posts of a configured forum", |r| {
        r.route().starts_with(&format!("/channels/{elsewhere}"))
    })
    .await;
    assert_eq!(bot.mock.requests().iter().filter(|r| r.is("POST", &format!("/channels/{post}/messages"))).count(), 2);
    bot.stop().await.0.unwrap();
}

#[test]
fn forum_channels_without_the_intent_are_refused() {
    let site = Site::new("[discord]\nforum_channels = [1]\n");
    let err = Config::load_with_env(Some(&site.config_file), Vec::<(String, String)>::new())
        .expect_err("forum channels need message_content");
    let text = err.to_string();
    assert!(text.contains("discord.forum_channels"), "{text}");
    assert!(text.contains("Message Content"), "{text}");

    // With the intent it loads, and so does the default (no forums, no intent).
    let site = Site::new("[discord]\nmessage_content = true\nforum_channels = [1]\n");
    let config = Config::load_with_env(Some(&site.config_file), Vec::<(String, String)>::new()).unwrap();
    assert_eq!(config.discord.forum_channels, [1]);
    assert!(config.discord.message_content);
    let site = Site::new("");
    Config::load_with_env(Some(&site.config_file), Vec::<(String, String)>::new()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forum_posts_are_answered_when_their_events_arrive_together() {
    // Discord sends a new post's THREAD_CREATE and its first MESSAGE_CREATE back to back; serenity
    // runs each event's handler in its own task, so the bot must not depend on which runs first.
    let forum = 750000000000000001u64;
    let bot = Bot::start_with(&discord_toml(&format!("message_content = true\nforum_channels = [{forum}]"))).await;
    bot.registered().await;
    let posts: Vec<u64> = (0..6).map(|i| 760000000000000100 + i).collect();
    for (i, &post) in posts.iter().enumerate() {
        // A different author each time, so no cooldown gets in the way.
        let author = 600000000000000010 + i as u64;
        bot.mock.dispatch("THREAD_CREATE", thread_channel(post, forum, "Memory in the API?")).await;
        bot.mock
            .dispatch("MESSAGE_CREATE", message_create(post, post, author, "does the API have memory?", false))
            .await;
    }
    let answered = |post: &u64| bot.mock.requests().iter().any(|r| r.is("POST", &format!("/channels/{post}/messages")));
    let deadline = tokio::time::Instant::now() + T;
    while !posts.iter().all(answered) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let missed: Vec<u64> = posts.iter().copied().filter(|p| !answered(p)).collect();
    assert!(missed.is_empty(), "forum posts never answered: {missed:?} of {posts:?}");
    bot.stop().await.0.unwrap();
}

/// A thread conversation: the first question by mention starts the thread; follow-ups there (no
/// mention) that name only a product, only a feature, or a feature and "it" are read with the
/// question before, and the reply says how; a new topic starts fresh. After a restart the thread is
/// still the bot's and the conversation goes on where it was (both are in the database).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_conversation_reads_follow_ups_in_context_across_a_restart() {
    let bot = Bot::start_with(&discord_toml("answer_in_thread = true\nmessage_content = true")).await;
    bot.registered().await;
    let ch = 700000000000000180u64;
    let thread = 710000000000000180u64;
    let content = format!("<@{BOT_USER_ID}> does chatgpt have memory?");
    bot.mock.dispatch("MESSAGE_CREATE", message_create(thread, ch, ALICE, &content, true)).await;
    // Each turn: a message in the thread without a mention, and the n-th reply there.
    async fn turn(bot: &Bot, thread: u64, n: usize, id: u64, user: u64, text: &str) -> String {
        if n > 1 {
            bot.mock.dispatch("MESSAGE_CREATE", message_create(id, thread, user, text, false)).await;
        }
        let in_thread = format!("/channels/{thread}/messages");
        let replies = bot.mock.wait_requests(n, T, |r| r.is("POST", &in_thread)).await;
        let reply = &replies[n - 1].body;
        assert_valid_message(reply);
        let title = reply["embeds"][0]["title"].as_str().unwrap_or_default().to_owned();
        format!("{title}\n{}", text_of(reply))
    }
    let first = turn(&bot, thread, 1, thread, ALICE, "").await;
    assert!(first.starts_with("Yes. ChatGPT offers memory.") && !first.contains("Reading this as"), "{first}");
    let steps = [
        (
            720000000000000181u64,
            BOB,
            "and the api?",
            Some("does the API have memory?"),
            "No. The API does not offer memory.",
        ),
        (
            720000000000000182,
            ALICE,
            "what about fine-tuning?",
            Some("does the API have fine-tuning?"),
            "Yes. The API offers fine-tuning.",
        ),
        (
            720000000000000183,
            ALICE,
            "does it have batch too?",
            Some("does the API have batch processing?"),
            "Yes. The API offers batch processing.",
        ),
        // A question that names its own product and feature is a new topic.
        (720000000000000184, BOB, "can ChatGPT browse the web?", None, "Yes. ChatGPT offers web browsing."),
    ];
    for (i, (id, user, text, read_as, title)) in steps.iter().enumerate() {
        let got = turn(&bot, thread, i + 2, *id, *user, text).await;
        assert!(got.starts_with(title), "turn {}: {text:?} -> {got}", i + 2);
        match read_as {
            Some(q) => assert!(got.contains(&format!("Reading this as: {q}")), "turn {}: {got}", i + 2),
            None => assert!(!got.contains("Reading this as"), "turn {}: {got}", i + 2),
        }
    }
    assert_eq!(bot.mock.requests().iter().filter(|r| r.route().ends_with("/threads")).count(), 1);

    // The same conversation after a restart: the thread is still answered without a mention, and
    // "and the api?" is read with the last question (web browsing).
    let bot = bot.restart().await;
    let got = turn(&bot, thread, 6, 720000000000000185, ALICE, "and the api?").await;
    assert!(got.starts_with("No. The API does not offer web browsing."), "{got}");
    assert!(got.contains("Reading this as: does the API have web browsing?"), "{got}");
    // A channel that is not one of the bot's threads stays unanswered without a mention.
    let other = 700000000000000181u64;
    bot.mock.dispatch("MESSAGE_CREATE", message_create(720000000000000186, other, BOB, "and the api?", false)).await;
    assert_quiet(&bot, "not a thread of ours", |r| r.route().starts_with(&format!("/channels/{other}"))).await;
    bot.stop().await.0.unwrap();
}

/// With `support_role`, a declined or unsure auto-answer in a forum post is followed by one notice
/// that pings that role and nobody else; the bot then stays quiet in the post (the asker's next
/// messages, the staff member's reply) and answers again once someone with the role has replied.
/// A confident answer pings nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswerable_forum_post_is_handed_to_the_support_role_until_staff_reply() {
    let forum = 750000000000000301u64;
    let role = 790000000000000301u64;
    let bot = Bot::start_with(&discord_toml(&format!(
        "message_content = true\nforum_channels = [{forum}]\nsupport_role = {role}"
    )))
    .await;
    bot.registered().await;
    let post = 760000000000000301u64;
    let in_post = format!("/channels/{post}/messages");
    bot.mock.dispatch("THREAD_CREATE", thread_channel(post, forum, "Everest?")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    bot.mock.dispatch("MESSAGE_CREATE", message_create(post, post, ALICE, "how tall is mount everest?", false)).await;
    let sent = bot.mock.wait_requests(2, T, |r| r.is("POST", &in_post)).await;
    let (answer, notice) = (&sent[0].body, &sent[1].body);
    assert_valid_message(answer);
    assert!(answer["allowed_mentions"]["roles"].as_array().is_none_or(|r| r.is_empty()), "{answer}");
    let content = notice["content"].as_str().unwrap_or_default();
    assert!(content.starts_with(&format!("<@&{role}>")), "{notice}");
    assert_eq!(notice["allowed_mentions"]["parse"], json!([]), "{notice}");
    assert_eq!(notice["allowed_mentions"]["roles"], json!([role.to_string()]), "only the support role: {notice}");
    assert!(notice["allowed_mentions"]["users"].as_array().is_none_or(|u| u.is_empty()), "{notice}");

    // Quiet until staff reply: the asker's follow-up, then the staff member's own message.
    bot.mock
        .dispatch("MESSAGE_CREATE", message_create(post + 1, post, ALICE, "does the api have memory?", false))
        .await;
    // (Events are handled concurrently: the staff reply comes once the follow-up has been ignored.)
    assert_quiet(&bot, "handed to people: the asker's follow-up is not answered", |r| {
        r.is("POST", &in_post) && r.body["message_reference"]["message_id"] == json!((post + 1).to_string())
    })
    .await;
    let mut staff = message_create(post + 2, post, BOB, "looking into it", false);
    staff["member"]["roles"] = json!([role.to_string()]);
    bot.mock.dispatch("MESSAGE_CREATE", staff).await;
    assert_quiet(&bot, "handed to people: no answer until staff reply", |r| {
        let to = &r.body["message_reference"]["message_id"];
        r.is("POST", &in_post) && (*to == json!((post + 1).to_string()) || *to == json!((post + 2).to_string()))
    })
    .await;
    assert_eq!(bot.mock.requests().iter().filter(|r| r.is("POST", &in_post)).count(), 2, "one notice, nothing more");
    // Staff have replied: the bot answers again.
    bot.mock
        .dispatch("MESSAGE_CREATE", message_create(post + 3, post, ALICE, "does the api have memory?", false))
        .await;
    let sent = bot.mock.wait_requests(3, T, |r| r.is("POST", &in_post)).await;
    assert_eq!(sent[2].body["message_reference"]["message_id"], (post + 3).to_string());
    assert_eq!(sent[2].body["embeds"][0]["title"], "No. The API does not offer memory.");

    // A confident answer in another post pings nobody.
    let other = 760000000000000311u64;
    bot.mock.dispatch("THREAD_CREATE", thread_channel(other, forum, "Memory?")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    bot.mock.dispatch("MESSAGE_CREATE", message_create(other, other, ALICE, "does the API have memory?", false)).await;
    bot.mock.wait_request(T, |r| r.is("POST", &format!("/channels/{other}/messages"))).await;
    assert_quiet(&bot, "no notice after a confident answer", |r| {
        r.is("POST", &format!("/channels/{other}/messages"))
            && r.body["content"].as_str().is_some_and(|c| c.contains("<@&"))
    })
    .await;
    bot.stop().await.0.unwrap();
}

/// "Ask a human": with a support role every answer carries the button (without one it has none:
/// `mention_answers_carry_the_buttons`). Pressing it posts one notice that pings the role and nobody
/// else and marks the question handed to people in `/gaps` and `/stats`; a second press says so
/// instead of pinging again. The bot then stays quiet in the thread until someone on the support
/// team runs `/resolve` (nobody else may), and answers there again after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_a_human_hands_the_thread_to_the_support_role_until_resolved() {
    let role = 790000000000000401u64;
    let bot = Bot::start_with(&discord_toml(&format!(
        "answer_in_thread = true\nmessage_content = true\nsupport_role = {role}"
    )))
    .await;
    bot.registered().await;
    let cb = bot.ask(1, ALICE, "does chatgpt have memory?").await;
    let ids = button_ids(&cb.body["data"]);
    assert!(ids.last().is_some_and(|id| untagged(id).starts_with("escalate:")), "{ids:?}");

    // A mention starts a thread; the button under its answer hands the thread to people.
    let ch = 700000000000000401u64;
    let thread = 710000000000000401u64;
    let content = format!("<@{BOT_USER_ID}> does the API have memory?");
    bot.mock.dispatch("MESSAGE_CREATE", message_create(thread, ch, ALICE, &content, true)).await;
    let in_thread = format!("/channels/{thread}/messages");
    let answer = bot.mock.wait_request(T, |r| r.is("POST", &in_thread)).await.body;
    let ids: Vec<String> = button_ids(&answer).iter().map(|id| untagged(id).to_owned()).collect();
    let id: u64 = ids[0].strip_prefix("vote:").and_then(|r| r.strip_suffix(":1")).unwrap().parse().unwrap();
    assert_eq!(ids.last().unwrap(), &format!("escalate:{id}"), "{ids:?}");
    let mut on = posted(5401, &answer);
    on["channel_id"] = json!(thread.to_string());
    let esc = button(&answer, &format!("escalate:{id}"));
    let cb = press(&bot, 2, &esc, on.clone(), ALICE, 0).await;
    let notice = &cb.body["data"];
    assert_eq!(cb.body["type"], 4, "{}", cb.body);
    assert!(!is_ephemeral(notice), "everyone in the thread sees it: {notice}");
    assert!(notice["content"].as_str().unwrap_or_default().starts_with(&format!("<@&{role}> ")), "{notice}");
    assert_eq!(notice["allowed_mentions"]["parse"], json!([]), "{notice}");
    assert_eq!(notice["allowed_mentions"]["roles"], json!([role.to_string()]), "only the support role: {notice}");
    assert!(notice["allowed_mentions"]["users"].as_array().is_none_or(|u| u.is_empty()), "{notice}");
    let again = press(&bot, 3, &esc, on, BOB, 0).await;
    let again = &again.body["data"];
    assert!(is_ephemeral(again) && again["content"].as_str().unwrap_or_default().contains("already"), "{again}");
    assert!(again["allowed_mentions"]["roles"].as_array().is_none_or(|r| r.is_empty()), "no second ping: {again}");

    // Quiet in the thread, and the question is marked in /gaps and /stats.
    bot.mock.dispatch("MESSAGE_CREATE", message_create(thread + 1, thread, BOB, "and chatgpt?", false)).await;
    assert_quiet(&bot, "handed to people: not answered", |r| {
        r.is("POST", &in_thread) && r.body["message_reference"]["message_id"] == json!((thread + 1).to_string())
    })
    .await;
    gaps_until(&bot, 100, "1 handed to people").await;
    stats_until(&bot, 200, "Handed to people: **1** (0 resolved, 1 open)").await;

    // /resolve: refused to someone without the role; the support team hands the thread back.
    let resolve = |id: u64, user: u64, staff: bool| {
        let mut d = slash_interaction(id, "resolve", json!([]), user, 0);
        d["channel_id"] = json!(thread.to_string());
        if staff {
            d["member"]["roles"] = json!([role.to_string()]);
        }
        d
    };
    let refused = bot.interact(resolve(300, ALICE, false)).await;
    assert!(is_ephemeral(&refused.body["data"]), "{}", refused.body);
    assert!(text_of(&refused.body["data"]).contains("support team"), "{}", refused.body);
    let done = bot.interact(resolve(301, BOB, true)).await;
    assert!(text_of(&done.body["data"]).contains("Handed back"), "{}", done.body);
    bot.mock.dispatch("MESSAGE_CREATE", message_create(thread + 2, thread, ALICE, "and chatgpt?", false)).await;
    let sent = bot.mock.wait_requests(2, T, |r| r.is("POST", &in_thread)).await;
    assert_eq!(sent[1].body["message_reference"]["message_id"], (thread + 2).to_string());
    stats_until(&bot, 400, "Handed to people: **1** (1 resolved, 0 open)").await;
    bot.stop().await.0.unwrap();
}
