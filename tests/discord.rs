//! The Discord transport end to end: the real serve path (serenity client, store, handler) against the
//! local mock Discord in `tests/support/mock_discord.rs`. No network; every wait is bounded.

mod support;

use std::time::Duration;

use productbot::commands;
use productbot::discord;
use serde_json::{Value, json};
use support::mock_discord::{
    APP_ID, BOT_USER_ID, GUILD_ID, MockDiscord, Recorded, TOKEN, autocomplete_interaction, bot_user, dm_message_create,
    message_create, slash_interaction,
};

use support::bot::*;

fn field_names(embed: &Value) -> Vec<String> {
    embed["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_the_command_table_on_ready() {
    let bot = Bot::start().await;
    let identify = bot.mock.identifies().remove(0);
    assert_eq!(identify["token"], json!(format!("Bot {TOKEN}")));
    // GUILD_MESSAGES | DIRECT_MESSAGES, nothing privileged.
    assert_eq!(identify["intents"], json!((1 << 9) | (1 << 12)));
    assert_eq!(identify["shard"], json!([0, 1]));

    let put = bot.registered().await;
    let cmds = put.body.as_array().unwrap();
    let names: Vec<&str> = cmds.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, commands::typed().map(|c| c.name).collect::<Vec<_>>());
    let cmd = |n: &str| cmds.iter().find(|c| c["name"] == n).unwrap().clone();
    let opt = |c: &Value, n: &str| c["options"].as_array().unwrap().iter().find(|o| o["name"] == n).unwrap().clone();
    for (spec, c) in commands::typed().zip(cmds) {
        assert_eq!(c["options"].as_array().unwrap().len(), spec.options.len(), "/{}", spec.name);
        assert!((1..=100).contains(&c["description"].as_str().unwrap().chars().count()));
    }
    assert_eq!(opt(&cmd("ask"), "question")["required"], true);
    assert_eq!(opt(&cmd("feature"), "name")["autocomplete"], true);
    assert_eq!(opt(&cmd("cost"), "model")["autocomplete"], true);
    assert_eq!(opt(&cmd("cost"), "input_tokens")["type"], 4);
    assert_eq!(opt(&cmd("cost"), "batch")["type"], 5);
    assert_eq!(opt(&cmd("cost"), "per")["choices"].as_array().unwrap().len(), 2);
    assert_eq!(cmd("reindex")["default_member_permissions"], "32");
    assert!(cmd("ask")["default_member_permissions"].is_null());
    assert_eq!(put.authorization.as_deref(), Some(&*format!("Bot {TOKEN}")));
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_answers_with_a_verdict_embed() {
    let bot = Bot::start().await;
    let cb = bot.ask(1, ALICE, "does the API have memory?").await;
    assert_eq!(cb.body["type"], 4, "{}", cb.body);
    let data = &cb.body["data"];
    assert_valid_message(data);
    assert!(!is_ephemeral(data));
    let embed = &data["embeds"][0];
    assert_eq!(embed["title"], "No. The API does not offer memory.");
    assert_eq!(embed["color"], 0xE74C3C, "red for a no");
    let names = field_names(embed);
    assert_eq!(&names[..2], ["ChatGPT", "API"]);
    assert!(names.iter().any(|n| n.contains("Features Only in ChatGPT")), "{names:?}");
    assert!(embed["footer"]["text"].as_str().unwrap().starts_with("corpus "));
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_long_question_gets_a_reply_within_limits() {
    let bot = Bot::start().await;
    let unit = "@everyone @here <@123> <@&456> memory API 🎉👩‍👩‍👧 ";
    let question: String =
        format!("@everyone does the API have memory? {}", unit.repeat(200)).chars().take(6000).collect();
    assert_eq!(question.chars().count(), 6000);
    let cb = bot.ask(2, ALICE, &question).await;
    assert_eq!(cb.body["type"], 4);
    assert_valid_message(&cb.body["data"]);

    // The same through a mention, where the text arrives as message content.
    let content = format!("<@{BOT_USER_ID}> {question}");
    bot.registered().await;
    bot.mock.dispatch("MESSAGE_CREATE", message_create(50, 700000000000000050, BOB, &content, true)).await;
    let m = bot.mock.wait_request(T, |r| r.is("POST", "/channels/700000000000000050/messages")).await;
    assert_valid_message(&m.body);
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feature_and_model_autocomplete() {
    let bot = Bot::start().await;
    for (id, prefix) in [(3, "mem"), (4, "fine")] {
        let opts = json!([{"name": "name", "type": 3, "value": prefix, "focused": true}]);
        let cb = bot.interact(autocomplete_interaction(id, "feature", opts, ALICE)).await;
        assert_eq!(cb.body["type"], 8, "{}", cb.body);
        let choices = cb.body["data"]["choices"].as_array().unwrap().clone();
        assert!(!choices.is_empty() && choices.len() <= 25);
        assert!(choices[0]["name"].as_str().unwrap().to_lowercase().starts_with(prefix), "{prefix}: {choices:?}");
        assert!(choices[0]["value"].as_str().unwrap().starts_with(prefix), "value is the feature id: {choices:?}");
    }
    let opts = json!([{"name": "model", "type": 3, "value": "gpt-4o-m", "focused": true}]);
    let cb = bot.interact(autocomplete_interaction(5, "cost", opts, ALICE)).await;
    assert_eq!(cb.body["type"], 8);
    let choices = cb.body["data"]["choices"].as_array().unwrap();
    assert!(choices.iter().any(|c| c["value"] == "gpt-4o-mini"), "{choices:?}");
    // An option without completion gets no suggestions rather than an error.
    let opts = json!([{"name": "question", "type": 3, "value": "x", "focused": true}]);
    let cb = bot.interact(autocomplete_interaction(6, "ask", opts, ALICE)).await;
    assert_eq!(cb.body["data"]["choices"], json!([]));
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_needs_manage_server() {
    let bot = Bot::start().await;
    let before = bot.site.current_generation();

    let cb = bot.interact(slash_interaction(7, "reindex", json!([]), ALICE, 0)).await;
    assert_eq!(cb.body["type"], 4, "answered at once, not deferred: {}", cb.body);
    assert!(is_ephemeral(&cb.body["data"]));
    assert_valid_message(&cb.body["data"]);
    let text = cb.body["data"]["embeds"][0]["description"].as_str().unwrap();
    assert!(text.contains("admins"), "{text}");
    assert_eq!(bot.site.current_generation(), before, "a refused re-index changes nothing");

    let cb = bot.interact(slash_interaction(8, "reindex", json!([]), BOB, MANAGE_GUILD)).await;
    assert_eq!(cb.body["type"], 5, "deferred: {}", cb.body);
    assert!(is_ephemeral(&cb.body["data"]));
    let edit =
        bot.mock.wait_request(T, |r| r.is("PATCH", &format!("/webhooks/{APP_ID}/itoken-8/messages/@original"))).await;
    assert_valid_message(&edit.body);
    let report = edit.body["embeds"][0]["description"].as_str().unwrap();
    let after = bot.site.current_generation();
    assert_ne!(after, before);
    assert!(report.contains("Re-indexed") && report.contains(&after), "{report}");
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_users_and_roles_from_config_may_reindex() {
    let toml =
        DISCORD_DEFAULTS.replace("shards = 1", &format!("shards = 1\nadmin_users = [{ALICE}]\nadmin_roles = [42]"));
    let bot = Bot::start_with(&toml).await;
    let before = bot.site.current_generation();
    let cb = bot.interact(slash_interaction(9, "reindex", json!([]), ALICE, 0)).await;
    assert_eq!(cb.body["type"], 5, "{}", cb.body);
    bot.mock.wait_request(T, |r| r.is("PATCH", &format!("/webhooks/{APP_ID}/itoken-9/messages/@original"))).await;
    let second = bot.site.current_generation();
    assert_ne!(second, before);

    let mut by_role = slash_interaction(10, "reindex", json!([]), BOB, 0);
    by_role["member"]["roles"] = json!(["41", "42"]);
    let cb = bot.interact(by_role).await;
    assert_eq!(cb.body["type"], 5, "{}", cb.body);
    bot.mock.wait_request(T, |r| r.is("PATCH", &format!("/webhooks/{APP_ID}/itoken-10/messages/@original"))).await;
    assert_ne!(bot.site.current_generation(), second);

    let mut other_role = slash_interaction(11, "reindex", json!([]), BOB, 0);
    other_role["member"]["roles"] = json!(["41"]);
    let cb = bot.interact(other_role).await;
    assert_eq!(cb.body["type"], 4);
    assert!(is_ephemeral(&cb.body["data"]));
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_and_dms_get_replies() {
    let bot = Bot::start().await;
    // The handler learns the bot's id on READY, which registration follows.
    bot.registered().await;

    // Ignored: another bot mentioning us, and a guild message that does not mention us.
    let mut from_bot =
        message_create(60, 700000000000000060, 600000000000000099, &format!("<@{BOT_USER_ID}> hi"), true);
    from_bot["author"] = bot_user();
    bot.mock.dispatch("MESSAGE_CREATE", from_bot).await;
    bot.mock
        .dispatch("MESSAGE_CREATE", message_create(61, 700000000000000061, ALICE, "does the API have memory?", false))
        .await;

    let content = format!("<@{BOT_USER_ID}> does the API have memory? @everyone");
    bot.mock.dispatch("MESSAGE_CREATE", message_create(62, 700000000000000062, ALICE, &content, true)).await;
    let m = bot.mock.wait_request(T, |r| r.is("POST", "/channels/700000000000000062/messages")).await;
    assert_valid_message(&m.body);
    assert_eq!(m.body["message_reference"]["message_id"], "62");
    assert_eq!(m.body["message_reference"]["fail_if_not_exists"], false);
    assert_eq!(m.body["embeds"][0]["title"], "No. The API does not offer memory.");

    // A DM needs no mention; a slash-like line runs that command.
    bot.mock.dispatch("MESSAGE_CREATE", dm_message_create(63, 700000000000000063, BOB, "/features")).await;
    let m = bot.mock.wait_request(T, |r| r.is("POST", "/channels/700000000000000063/messages")).await;
    assert_valid_message(&m.body);
    assert_eq!(m.body["message_reference"]["message_id"], "63");
    assert!(m.body["embeds"][0]["description"].as_str().unwrap().contains("Memory"));

    // A bare mention gets a short help.
    bot.mock
        .dispatch("MESSAGE_CREATE", message_create(64, 700000000000000064, BOB, &format!("<@!{BOT_USER_ID}>"), true))
        .await;
    let m = bot.mock.wait_request(T, |r| r.is("POST", "/channels/700000000000000064/messages")).await;
    assert!(m.body["embeds"][0]["description"].as_str().unwrap().contains("/ask"));

    let replied: Vec<String> =
        bot.mock.requests().iter().filter(|r| r.method == "POST").map(|r| r.route().to_owned()).collect();
    assert!(
        !replied.iter().any(|r| r.contains("700000000000000060") || r.contains("700000000000000061")),
        "{replied:?}"
    );
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cooldown_limits_each_user() {
    let bot = Bot::start().await;
    for i in 0..5 {
        let cb = bot.ask(100 + i, ALICE, "does the API have memory?").await;
        assert!(!is_ephemeral(&cb.body["data"]), "question {i}: {}", cb.body);
        assert!(cb.body["data"]["embeds"][0]["title"].is_string());
    }
    let cb = bot.ask(105, ALICE, "does the API have memory?").await;
    assert!(is_ephemeral(&cb.body["data"]), "{}", cb.body);
    let text = cb.body["data"]["content"].as_str().unwrap();
    assert!(text.starts_with("Slow down: you can ask again in ") && text.ends_with(" s."), "{text}");
    assert_valid_message(&cb.body["data"]);

    let cb = bot.ask(106, BOB, "does the API have memory?").await;
    assert!(!is_ephemeral(&cb.body["data"]), "another user is unaffected: {}", cb.body);
    assert_eq!(cb.body["data"]["embeds"][0]["title"], "No. The API does not offer memory.");

    // Non-questions do not count against the limit.
    let cb = bot.interact(slash_interaction(107, "features", json!([]), ALICE, 0)).await;
    assert!(!is_ephemeral(&cb.body["data"]), "{}", cb.body);
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_are_ephemeral() {
    let bot = Bot::start().await;
    let opts = json!([{"name": "input_tokens", "type": 3, "value": "lots"}]);
    let cb = bot.interact(slash_interaction(120, "cost", opts, ALICE, 0)).await;
    assert!(is_ephemeral(&cb.body["data"]), "{}", cb.body);
    let shown = cb.body["data"]["embeds"][0]["description"].as_str().unwrap().replace('\\', "");
    assert!(shown.contains("input_tokens"), "{shown}");
    let opts = json!([{"name": "name", "type": 3, "value": "@everyone teleportation"}]);
    let cb = bot.interact(slash_interaction(121, "feature", opts, ALICE, 0)).await;
    assert!(is_ephemeral(&cb.body["data"]), "{}", cb.body);
    assert_valid_message(&cb.body["data"]);
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_must_be_present_and_well_formed() {
    let site = Site::new(DISCORD_DEFAULTS);
    let e = productbot::app::serve(site.config(None), std::future::pending()).await.unwrap_err();
    assert!(format!("{e:#}").contains("DISCORD_TOKEN"), "{e:#}");

    let bad = "this-is-not-a-discord-token-but-a-secret";
    let e = productbot::app::serve(site.config(Some(bad)), std::future::pending()).await.unwrap_err();
    let shown = format!("{e:#} {e:?}");
    assert!(shown.contains("malformed") && !shown.contains(bad), "{shown}");

    let e = discord::register(&site.config(Some(bad)), None).await.unwrap_err();
    assert!(!format!("{e:#} {e:?}").contains(bad));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_work_in_flight_then_closes_the_gateway() {
    let mut bot = Bot::start().await;
    // Keep one handler in flight: Discord "takes its time" answering its callback.
    let held = bot.mock.hold_next("POST", "/interactions/130/");
    bot.ask(130, ALICE, "does the API have memory?").await;
    let _ = bot.shutdown.take().unwrap().send(());

    // New work is turned away once shutdown began; until then it is still answered.
    let deadline = std::time::Instant::now() + T;
    let mut id = 131;
    loop {
        let cb = bot.ask(id, 700000000000000000 + id, "does the API have memory?").await;
        if cb.body["data"]["content"].as_str().is_some_and(|c| c.contains("restarting")) {
            assert!(is_ephemeral(&cb.body["data"]));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no 'restarting' reply after the shutdown signal");
        id += 1;
    }
    assert!(!bot.serve.is_finished(), "serve waits for the handler in flight");
    assert_eq!(bot.mock.client_close_codes(), vec![], "the gateway stays open while draining");

    held.release();
    let started = std::time::Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(20), &mut bot.serve).await.expect("serve returned").unwrap();
    result.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    bot.mock.wait_disconnected(T).await;
    assert_eq!(bot.mock.client_close_codes(), vec![Some(1000)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_running_reindex_report() {
    let bot = Bot::start().await;
    let cb = bot.interact(slash_interaction(140, "reindex", json!([]), ALICE, MANAGE_GUILD)).await;
    assert_eq!(cb.body["type"], 5);
    let (result, mock) = bot.stop().await;
    result.unwrap();
    // Whenever the signal came, the re-index finished and its report went out before serve returned.
    assert!(
        mock.requests().iter().any(|r| r.is("PATCH", &format!("/webhooks/{APP_ID}/itoken-140/messages/@original")))
    );
    assert_eq!(mock.client_close_codes(), vec![Some(1000)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_over_http_for_a_guild() {
    let mock = MockDiscord::start().await;
    let site = Site::new(DISCORD_DEFAULTS);
    let r = discord::register(&site.config_via(Some(TOKEN), &mock.http_base()), Some(GUILD_ID)).await.unwrap();
    assert_eq!(r.scope, discord::Scope::Guild(GUILD_ID));
    assert_eq!(r.application_id, APP_ID);
    assert_eq!(r.commands, commands::typed().map(|c| c.name).collect::<Vec<_>>());
    let put =
        mock.wait_request(T, |r| r.is("PUT", &format!("/applications/{APP_ID}/guilds/{GUILD_ID}/commands"))).await;
    assert_eq!(put.body.as_array().unwrap().len(), commands::typed().count());
    // No gateway: registration is HTTP only.
    assert_eq!(mock.connections(), 0);
    assert!(!mock.requests().iter().any(|r| r.is("PUT", &format!("/applications/{APP_ID}/commands"))));

    // With the application id configured, nothing is looked up; without --guild, it is global.
    let toml = DISCORD_DEFAULTS.replace("shards = 1", &format!("shards = 1\napplication_id = {APP_ID}"));
    let site = Site::new(&toml);
    let before = mock.requests().len();
    let r = discord::register(&site.config_via(Some(TOKEN), &mock.http_base()), None).await.unwrap();
    assert_eq!(r.scope, discord::Scope::Global);
    let new: Vec<String> = mock.requests()[before..].iter().map(|r| format!("{} {}", r.method, r.route())).collect();
    assert_eq!(new, [format!("PUT /applications/{APP_ID}/commands")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_for_the_configured_guild_on_ready() {
    let toml = DISCORD_DEFAULTS.replace("shards = 1", &format!("shards = 1\nguild_id = {GUILD_ID}"));
    let bot = Bot::start_with(&toml).await;
    bot.mock.wait_request(T, |r| r.is("PUT", &format!("/applications/{APP_ID}/guilds/{GUILD_ID}/commands"))).await;
    let (result, mock) = bot.stop().await;
    result.unwrap();
    assert!(!mock.requests().iter().any(|r| r.is("PUT", &format!("/applications/{APP_ID}/commands"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn picks_up_a_generation_published_by_another_process() {
    let bot = Bot::start_with(&DISCORD_DEFAULTS.replace("[discord]\n", "[discord]\nregister_on_start = false\n")).await;
    let footer = |r: &Recorded| r.body["data"]["embeds"][0]["footer"]["text"].as_str().unwrap_or_default().to_owned();
    let old = footer(&bot.ask(200, ALICE, "does the API have memory?").await);

    // Another process: change the corpus and re-index it with a Store of its own.
    let md = bot.site.dir.path().join("corpus/openai-api-vs-chatgpt.md");
    let mut text = std::fs::read_to_string(&md).unwrap();
    text.push_str("\n\nA closing remark added by an editor.\n");
    std::fs::write(&md, text).unwrap();
    let config = bot.site.config(None);
    let store_cfg = productbot::store::StoreConfig {
        corpus_dir: config.corpus_dir.clone(),
        index_dir: config.index_dir.clone(),
        threads: 1,
        articles: None,
    };
    let report = tokio::task::spawn_blocking(move || {
        let (other, _) = productbot::store::Store::open(store_cfg, std::sync::Arc::new(config.prices.clone())).unwrap();
        other.reindex().unwrap()
    })
    .await
    .unwrap();
    let new = format!("corpus {}", report.revision);
    assert_ne!(new, old);

    // The bot polls `index/current` (every 200 ms here): ask until the footer shows the new corpus.
    let deadline = std::time::Instant::now() + T;
    let mut id = 201;
    loop {
        let user = 700000000000000000 + id; // a fresh user each time, clear of the cooldown
        if footer(&bot.ask(id, user, "does the API have memory?").await) == new {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the bot still serves {old}");
        id += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bot.stop().await.0.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autosharded_asks_discord_for_the_shard_count() {
    let bot = Bot::start_with("[discord]\nshards = \"auto\"\nregister_on_start = false\n").await;
    assert!(bot.mock.requests().iter().any(|r| r.is("GET", "/gateway/bot")));
    assert_eq!(bot.mock.identifies()[0]["shard"], json!([0, 1]));
    let (result, mock) = bot.stop().await;
    result.unwrap();
    assert!(!mock.requests().iter().any(|r| r.method == "PUT"), "register_on_start = false registers nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_fixed_shards_both_answer() {
    let bot = Bot::start_with("[discord]\nshards = 2\n").await;
    let ids = bot.mock.wait_identifies(2, T_SHARDS).await;
    let mut shards: Vec<Value> = ids.iter().map(|d| d["shard"].clone()).collect();
    shards.sort_by_key(|s| s[0].as_u64());
    assert_eq!(shards, [json!([0, 2]), json!([1, 2])]);
    let data = slash_interaction(
        300,
        "ask",
        json!([{"name": "question", "type": 3, "value": "can I fine-tune in ChatGPT?"}]),
        ALICE,
        0,
    );
    bot.mock.dispatch_to_shard(1, "INTERACTION_CREATE", data).await;
    let cb = bot.mock.wait_request(T, |r| r.is("POST", "/interactions/300/itoken-300/callback")).await;
    assert_valid_message(&cb.body["data"]);
    let (result, mock) = bot.stop().await;
    result.unwrap();
    assert_eq!(mock.client_close_codes(), vec![Some(1000), Some(1000)]);
}

/// The real binary, not only the library: `productbot serve` with its REST calls sent to the mock
/// through `PRODUCTBOT__DISCORD__API_PROXY` (as an operator points it at a proxy), answering a slash
/// command, then stopping on SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_through_the_api_proxy_and_stops_on_sigterm() {
    let mock = MockDiscord::start().await;
    let site = Site::new(DISCORD_DEFAULTS);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_productbot"))
        .args(["--config", site.config_file.to_str().unwrap(), "serve"])
        .env("DISCORD_TOKEN", TOKEN)
        .env("PRODUCTBOT__DISCORD__API_PROXY", mock.http_base())
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    mock.wait_identify(T).await;
    mock.wait_request(T, |r| r.is("PUT", &format!("/applications/{APP_ID}/commands"))).await;
    mock.dispatch(
        "INTERACTION_CREATE",
        slash_interaction(
            9001,
            "ask",
            json!([{"name": "question", "type": 3, "value": "does the api have memory?"}]),
            ALICE,
            0,
        ),
    )
    .await;
    let cb = mock.wait_request(T, |r| r.path.contains("/interactions/9001/")).await;
    let embed = &cb.body["data"]["embeds"][0];
    assert!(embed["title"].as_str().unwrap().contains("No. The API does not offer memory"), "{embed}");
    assert_valid_message(&cb.body["data"]);

    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status =
        tokio::time::timeout(Duration::from_secs(15), child.wait()).await.expect("exited after SIGTERM").unwrap();
    assert!(status.success(), "{status:?}");
}
