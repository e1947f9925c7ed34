//! Discord failing the way it does, through the real serve path and the mock: rate limits, 5xx,
//! REST calls that never answer, gateway close codes, invalid sessions and a READY that never
//! comes. In each, the user gets an answer or an honest error and the process neither dies nor
//! spins. Every wait is bounded.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::bot::*;
use support::mock_discord::{MockDiscord, TOKEN};

fn rate_limited(global: bool) -> serde_json::Value {
    json!({ "message": "You are being rate limited.", "retry_after": 0.05, "global": global })
}

/// The callbacks recorded for one interaction id.
fn callbacks(bot: &Bot, id: u64) -> usize {
    bot.mock
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.contains(&format!("/interactions/{id}/")))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_interaction_response_is_retried_and_answered() {
    let bot = Bot::start().await;
    bot.registered().await;
    for (id, global) in [(1001, false), (1002, true)] {
        bot.mock.fail_next("POST", "/interactions/", 429, rate_limited(global));
        bot.ask(id, ALICE, "does the api have memory?").await;
        // The first attempt got the 429; the retry is answered.
        bot.mock.wait_requests(2, T, |r| r.method == "POST" && r.path.contains(&format!("/interactions/{id}/"))).await;
        let last = bot.mock.requests().into_iter().rev().find(|r| r.path.contains(&format!("/interactions/{id}/")));
        assert!(last.unwrap().body["data"]["embeds"][0]["title"].is_string());
    }
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_message_reply_is_retried() {
    let bot = Bot::start().await;
    bot.registered().await;
    bot.mock.fail_next("POST", "/channels/", 429, rate_limited(true));
    bot.mock
        .dispatch("MESSAGE_CREATE", support::mock_discord::dm_message_create(5001, 7001, ALICE, "memory in the api?"))
        .await;
    let sent = bot.mock.wait_requests(2, T, |r| r.is("POST", "/channels/7001/messages")).await;
    assert_valid_message(&sent[1].body);
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_is_retried_once_and_the_bot_keeps_answering() {
    let bot = Bot::start().await;
    bot.registered().await;
    // One 503: retried, answered.
    bot.mock.fail_next("POST", "/interactions/", 503, json!({ "message": "upstream unavailable" }));
    bot.ask(1101, ALICE, "can i fine tune in chatgpt?").await;
    bot.mock.wait_requests(2, T, |r| r.path.contains("/interactions/1101/")).await;
    // Two 502s: one retry, then given up (no third attempt, no spinning).
    bot.mock.fail_next("POST", "/interactions/", 502, json!({ "message": "bad gateway" }));
    bot.mock.fail_next("POST", "/interactions/", 502, json!({ "message": "bad gateway" }));
    bot.ask(1102, ALICE, "does chatgpt have canvas?").await;
    bot.mock.wait_requests(2, T, |r| r.path.contains("/interactions/1102/")).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(callbacks(&bot, 1102), 2);
    // A 500 is not "try again": answered with no retry. The next question is answered as usual.
    bot.mock.fail_next("POST", "/interactions/", 500, json!({ "message": "internal" }));
    bot.ask(1103, ALICE, "web browsing in the api?").await;
    bot.ask(1104, ALICE, "web browsing in the api?").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(callbacks(&bot, 1103), 1);
    assert_eq!(callbacks(&bot, 1104), 1);
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_call_that_never_answers_times_out_and_the_next_is_served() {
    let bot = Bot::start_with(&DISCORD_DEFAULTS.replace("shards = 1", "shards = 1\nhttp_timeout_s = 1")).await;
    bot.registered().await;
    let _held = bot.mock.hold_next("POST", "/interactions/1201/");
    bot.ask(1201, ALICE, "does the api have memory?").await;
    // The bot is free for the next question meanwhile.
    bot.ask(1202, ALICE, "does the api have memory?").await;
    // The held call gives up after 1 s (a timeout is not retried), so nothing is in flight when
    // shutdown comes: without the timeout, shutdown would wait its full 10 s drain for it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stopping = Instant::now();
    bot.stop().await.0.unwrap();
    assert!(stopping.elapsed() < Duration::from_secs(5), "shutdown waited {:?}", stopping.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_4004_ends_serve_saying_the_token_was_rejected() {
    let mut bot = Bot::start().await;
    bot.registered().await;
    bot.mock.close_gateway(4004).await;
    let r = tokio::time::timeout(Duration::from_secs(15), &mut bot.serve).await.expect("serve ended").unwrap();
    let e = format!("{:#}", r.unwrap_err());
    assert!(e.contains("4004") && e.contains("token") && !e.contains(TOKEN), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_4014_ends_serve_saying_which_intents() {
    let mut bot = Bot::start().await;
    bot.registered().await;
    bot.mock.close_gateway(4014).await;
    let r = tokio::time::timeout(Duration::from_secs(15), &mut bot.serve).await.expect("serve ended").unwrap();
    let e = format!("{:#}", r.unwrap_err());
    assert!(e.contains("4014") && e.contains("GUILD_MESSAGES") && e.contains("Developer Portal"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_4000_resumes_and_answers_each_interaction_once() {
    let bot = Bot::start().await;
    bot.registered().await;
    bot.ask(1301, ALICE, "does the api have memory?").await;
    bot.mock.close_gateway(4000).await;
    // serenity reconnects and RESUMEs (the mock answers RESUMED), no new IDENTIFY.
    let resumed = tokio::time::timeout(T, async {
        loop {
            if bot.mock.gateway_messages().iter().any(|m| m["op"] == 6) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(resumed.is_ok(), "no RESUME after close 4000");
    bot.ask(1302, ALICE, "can i fine tune in chatgpt?").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(callbacks(&bot, 1301), 1);
    assert_eq!(callbacks(&bot, 1302), 1);
    assert_eq!(bot.mock.identifies().len(), 1);
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_session_identifies_again_and_keeps_answering() {
    let bot = Bot::start().await;
    bot.registered().await;
    bot.mock.invalidate_sessions(false);
    bot.mock.wait_identifies(2, Duration::from_secs(15)).await;
    bot.ask(1401, ALICE, "does the api have memory?").await;
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_that_never_comes_ends_serve_in_bounded_time() {
    let mock = MockDiscord::start().await;
    mock.silence_identify();
    let toml = DISCORD_DEFAULTS.replace("shards = 1", "shards = 1\nready_timeout_s = 2");
    let mut bot = Bot::start_on(mock, &toml).await;
    let started = Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(10), &mut bot.serve).await.expect("serve gave up").unwrap();
    let e = format!("{:#}", r.unwrap_err());
    assert!(e.contains("ready within 2 s"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(6), "{:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_discord_gives_up_and_shutdown_is_prompt() {
    // Nothing listens on port 9 of 127.0.0.1.
    let site =
        Site::new(&DISCORD_DEFAULTS.replace("shards = 1", "shards = 1\nready_timeout_s = 3\nhttp_timeout_s = 1"));
    let started = Instant::now();
    let r = tokio::time::timeout(
        Duration::from_secs(12),
        productbot::app::serve(site.config_via(Some(TOKEN), "http://127.0.0.1:9"), std::future::pending()),
    )
    .await
    .expect("serve gave up in bounded time");
    assert!(r.is_err());
    assert!(started.elapsed() < Duration::from_secs(10));

    // Ctrl-C while it is still trying: serve returns at once.
    let site =
        Site::new(&DISCORD_DEFAULTS.replace("shards = 1", "shards = 1\nready_timeout_s = 60\nhttp_timeout_s = 1"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let serve = tokio::spawn(productbot::app::serve(site.config_via(Some(TOKEN), "http://127.0.0.1:9"), async move {
        let _ = rx.await;
    }));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stopping = Instant::now();
    let _ = tx.send(());
    let r = tokio::time::timeout(Duration::from_secs(5), serve).await.expect("shutdown was prompt").unwrap();
    assert!(stopping.elapsed() < Duration::from_secs(3), "{:?}", stopping.elapsed());
    // Either it stopped cleanly or the client had already given up on its own; neither hangs.
    let _ = r;
}
