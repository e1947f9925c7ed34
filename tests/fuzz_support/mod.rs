//! The code paths the fuzz targets drive, shared by `fuzz/fuzz_targets/*.rs` and by
//! `tests/fuzz_regressions.rs` (both include this file with `#[path]`), so a saved crash replays
//! through exactly what the fuzzer ran.
//!
//! Input formats:
//! - `question`: any bytes, read as lossy UTF-8, asked as one question.
//! - `loader`: a Markdown document, then a `0xFF` byte (never part of UTF-8), then a `features.toml`.
//! - `options`: any bytes, read as lossy UTF-8, as one shell line (`/name options...` or a question).
//! - `config`: a bot.toml, then optionally a `0xFF` byte and environment variables, one `KEY=VALUE`
//!   a line (lossy UTF-8; lines without `=` or with a NUL, which no real environment has, are skipped).

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use productbot::answer::Kind;
use productbot::commands::{self, Command, Reply, help};
use productbot::config::{Config, ConfigError};
use productbot::corpus::{self, CorpusError, FEATURES_FILE};
use productbot::cost::{self, CallRequest, ConversationRequest, CostReport, CostRequest, Input, Period, PriceTable};
use productbot::discord::render as discord;
use productbot::engine::Engine;
use productbot::render::{self, Style};

/// Separates the document from the feature table in a `loader` input.
pub const SEPARATOR: u8 = 0xFF;

/// The shipped bot.toml's `[pricing]` override in `root` (none).
fn shipped_overrides(root: &Path) -> PriceTable {
    Config::load_with_env(Some(&root.join("bot.toml")), Vec::new()).expect("bot.toml loads").prices
}

/// The prices of the shipped corpus in `root` (its price files, after bot.toml's override).
pub fn shipped_prices(root: &Path) -> PriceTable {
    let files = productbot::corpus::load_prices(&root.join("corpus")).expect("the shipped price files load");
    productbot::corpus::prices::combined(&files, &shipped_overrides(root)).0
}

/// The engine over the shipped corpus in `root`, with its prices.
pub fn shipped_engine(root: &Path) -> Engine {
    Engine::from_corpus_dir(&root.join("corpus"), Arc::new(shipped_overrides(root))).expect("shipped corpus loads")
}

/// Asks the question in `data` and checks what every answer must have.
pub fn question(engine: &Engine, data: &[u8]) {
    let q = String::from_utf8_lossy(data);
    let a = engine.answer(&q);
    let text = render::plain(&a);
    assert!(!text.trim().is_empty(), "empty answer text");
    assert!(!text.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "control character in {text:?}");
    assert_eq!(a.question, q.trim());
    serde_json::to_string(&render::json::answer(&a)).expect("the answer serializes");
    match a.kind {
        Kind::OutOfScope => assert!(a.verdicts.is_empty() && a.sources.is_empty() && a.declined.is_some()),
        Kind::Feature => assert!(!a.verdicts.is_empty() && !a.sources.is_empty()),
        Kind::Search => assert!(a.verdicts.is_empty() && !a.sources.is_empty()),
    }
}

/// Splits a `loader` input into the document's bytes and the feature table's bytes.
pub fn split_input(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == SEPARATOR) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// Loads the document and feature table of `data` two ways: in memory (`split_document` +
/// `table::parse` on lossy text) and from files in `scratch` (`corpus::load` on the raw bytes).
/// Either may fail, never panic; every problem must name the file and a line inside it. Returns
/// whether the files loaded.
pub fn loader(data: &[u8], scratch: &Path) -> bool {
    let (doc, table) = split_input(data);

    let text = String::from_utf8_lossy(doc);
    let (document, passages) = corpus::split_document("doc", &text);
    for p in &passages {
        assert!(!p.heading.is_empty() || !p.section.is_empty() || p.intro, "passage without heading: {p:?}");
    }
    let toml = String::from_utf8_lossy(table);
    let lines = toml.lines().count().max(1) + 1;
    if let Err(problems) = corpus::table::parse(Path::new(FEATURES_FILE), &toml, &[document], &passages) {
        assert!(!problems.is_empty(), "an error with no problem in it");
        for p in problems {
            assert_eq!(p.path, Path::new(FEATURES_FILE));
            assert!((1..=lines).contains(&p.line), "line {} of {lines}: {p}", p.line);
            assert!(!p.message.trim().is_empty(), "{p}");
        }
    }

    // The same bytes as files, as the store reads them.
    std::fs::write(scratch.join("doc.md"), doc).expect("write doc.md");
    std::fs::write(scratch.join(FEATURES_FILE), table).expect("write features.toml");
    match corpus::load(scratch) {
        Ok(c) => {
            assert!(!c.docs.is_empty() && !c.passages.is_empty() && !c.table.features.is_empty());
            true
        }
        Err(CorpusError::Invalid(problems)) => {
            for p in &problems.0 {
                let name = p.path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                assert!(name == "doc.md" || name == FEATURES_FILE, "{p}");
                assert!(p.line >= 1, "{p}");
            }
            false
        }
        Err(e) => {
            assert!(e.to_string().contains(&scratch.display().to_string()), "names the directory or file: {e}");
            false
        }
    }
}

/// Text a terminal may show: not blank, no control character but newline and tab.
fn assert_shown(what: &str, text: &str) {
    assert!(!text.trim().is_empty(), "{what}: empty text");
    assert!(!text.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "{what}: control character in {text:?}");
}

/// What one `options` line came to: `Ok` with the rendered estimate, help text or command name, or
/// `Err` with the message the shell would show.
pub type LineOutcome = Result<String, String>;

/// Parses `data` as a shell line with `parse_line`, checks it against the command table, and runs a
/// `/cost` through the real estimate with `prices` (as `Cost::run` does, without a store) and both
/// renderers. The same options are checked a second time as Discord sends them (whole numbers as
/// integers, true/false as booleans), and must come to the same command. Never panics; an error is a
/// non-empty message; an estimate renders to non-empty text without control characters.
pub fn options(prices: &PriceTable, data: &[u8]) -> LineOutcome {
    let line = String::from_utf8_lossy(data);
    let inv = match commands::parse_line(&line) {
        Ok(inv) => inv,
        Err(e) => return Err(usage_error(&e)),
    };
    assert!(commands::spec(&inv.name).is_some(), "parse_line returned unknown command {:?}", inv.name);
    let checked = Command::from_invocation(&inv);

    // The slash-command form: Discord sends count options as integers and booleans as booleans.
    let slash = commands::Invocation {
        name: inv.name.clone(),
        options: inv.options.iter().map(|(k, v)| (k.clone(), as_slash_value(&inv.name, k, v))).collect(),
    };
    if slash != inv {
        let from_slash = Command::from_invocation(&slash);
        if let (Ok(a), Ok(b)) = (&checked, &from_slash) {
            assert_eq!(a, b, "the shell and the slash form of {line:?} differ");
        }
        if let Err(e) = &from_slash {
            usage_error(e);
        }
    }

    let command = match checked {
        Ok(c) => c,
        Err(e) => return Err(usage_error(&e)),
    };
    match command {
        Command::Cost(c) => {
            let reply = match cost::estimate(prices, &c.request) {
                Ok(r) => Reply::Cost(Box::new(r)),
                Err(e) => Reply::error(e.to_string()),
            };
            shown_reply(&reply)
        }
        Command::Help(h) => {
            // The help text may quote the line (`No command /NAME`); renderers clean it.
            let reply = Reply::Help { text: help::help_text(h.command.as_deref(), "the corpus") };
            let text = render::text::reply(&reply, Style::PLAIN);
            assert_shown("help", &text);
            assert!(!discord::reply(&reply).embeds().is_empty(), "help without an embed");
            Ok(text)
        }
        other => Ok(other.spec().name.to_owned()),
    }
}

/// A value as Discord would send it: an integer for a count option, a boolean for a boolean one
/// (text and choices stay strings, as Discord sends them).
fn as_slash_value(command: &str, option: &str, v: &commands::OptValue) -> commands::OptValue {
    use commands::{OptKind, OptValue};
    let kind = commands::spec(command).and_then(|c| c.options.iter().find(|o| o.name == option)).map(|o| o.kind);
    match (kind, v) {
        (Some(OptKind::Count { .. }), OptValue::Str(s)) => s.parse::<i64>().map_or_else(|_| v.clone(), OptValue::Int),
        (Some(OptKind::Bool), OptValue::Str(s)) if s == "true" || s == "false" => OptValue::Bool(s == "true"),
        _ => v.clone(),
    }
}

/// Checks a usage error and renders it as the shell does.
fn usage_error(e: &commands::UsageError) -> String {
    assert!(!e.to_string().trim().is_empty(), "empty usage error: {e:?}");
    let text = render::text::reply(&Reply::error(format!("{e} (type /help)")), Style::PLAIN);
    assert_shown("usage error", &text);
    let d = discord::usage(e);
    assert!(!d.embeds().is_empty(), "usage error without an embed: {e}");
    text
}

/// Renders a `/cost` reply as the shell (plain and bold) and Discord do; `Ok` for an estimate.
fn shown_reply(reply: &Reply) -> LineOutcome {
    let plain = render::text::reply(reply, Style::PLAIN);
    assert_shown("cost reply", &plain);
    let bold = render::text::reply(reply, Style { bold: true, ..Style::PLAIN });
    assert!(!bold.trim().is_empty(), "empty bold text");
    let d = discord::reply(reply);
    assert!(!d.embeds().is_empty() && d.embeds().len() <= discord::limits::EMBEDS, "{} embeds", d.embeds().len());
    let total: usize = d.embeds().iter().map(discord::Embed::total_chars).sum();
    assert!((1..=discord::limits::TOTAL).contains(&total), "{total} characters in a Discord reply");
    match reply {
        Reply::Cost(r) => {
            serde_json::to_string(r.as_ref()).expect("the report serializes");
            Ok(plain)
        }
        Reply::Error { message } => {
            assert!(!message.trim().is_empty(), "empty cost error");
            Err(plain)
        }
        other => unreachable!("{other:?}"),
    }
}

/// Lines of a bot.toml whose key is `token` (`token`, `discord.token`, `"token"`...): the byte range
/// of each one's value (the text inside quotes, or up to a comment), when it is long enough that
/// finding it in a message is not a coincidence.
pub fn token_values(file: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in file.split(|&b| b == b'\n') {
        let line_start = start;
        start += line.len() + 1;
        let Some(eq) = line.iter().position(|&b| b == b'=') else { continue };
        let key = line[..eq].trim_ascii();
        let last = key.rsplit(|&b| b == b'.').next().unwrap_or_default().trim_ascii();
        let last = last.strip_prefix(b"\"").and_then(|k| k.strip_suffix(b"\"")).unwrap_or(last);
        let last = last.strip_prefix(b"'").and_then(|k| k.strip_suffix(b"'")).unwrap_or(last);
        if last != b"token" {
            continue;
        }
        let after = &line[eq + 1..];
        let lead = after.len() - after.trim_ascii_start().len();
        let v = &after[lead..];
        let v_start = line_start + eq + 1 + lead;
        let (from, len) = match v.first() {
            Some(&q @ (b'"' | b'\'')) => (1, v[1..].iter().position(|&b| b == q).unwrap_or(v.len() - 1)),
            _ => (0, v.iter().position(|&b| b == b'#').unwrap_or(v.len())),
        };
        let inner = v[from..from + len].trim_ascii_end();
        if inner.trim_ascii().len() >= 6 {
            out.push(v_start + from..v_start + from + inner.len());
        }
    }
    out
}

/// Splits a `config` input into the file's bytes and the environment.
pub fn split_config(data: &[u8]) -> (&[u8], Vec<(String, String)>) {
    let (file, env) = split_input(data);
    let env = String::from_utf8_lossy(env)
        .lines()
        .filter(|l| !l.contains('\0'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    (file, env)
}

fn is_token_var(key: &str) -> bool {
    key == "DISCORD_TOKEN" || key.to_ascii_uppercase().ends_with("__TOKEN")
}

/// A byte not in `s`, to overwrite a secret with text of the same length.
fn filler(s: &[u8]) -> u8 {
    *b"xqzjXQZJ".iter().find(|b| !s.contains(b)).unwrap_or(&b'_')
}

fn load_config(file: &[u8], env: Vec<(String, String)>, scratch: &Path) -> Result<Config, ConfigError> {
    let path = scratch.join("bot.toml");
    std::fs::write(&path, file).expect("write bot.toml");
    Config::load_with_env(Some(&path), env)
}

/// Writes the file of `data` as `scratch/bot.toml` and loads it with the environment of `data`.
/// Never panics; an error is a non-empty message that does not contain a token given in the file or
/// the environment (checked against the same input with the token overwritten, so a value that is
/// in the message for another reason does not count); a loaded config holds sane values, keeps its
/// token out of `Debug`, and its price table estimates and renders a few requests. Returns the
/// error message, if any.
pub fn config(data: &[u8], scratch: &Path) -> Result<(), String> {
    let (file, env) = split_config(data);
    match load_config(file, env.clone(), scratch) {
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.trim().is_empty(), "empty config error: {e:?}");
            for range in token_values(file) {
                let secret = String::from_utf8_lossy(&file[range.clone()]).into_owned();
                // Text that occurs elsewhere in the file too (another line, a run of the same
                // bytes) cannot be told apart from the token when a message quotes it.
                let elsewhere = String::from_utf8_lossy(file).matches(secret.as_str()).count() > 1;
                if msg.contains(&secret) && !elsewhere {
                    let mut other = file.to_vec();
                    let f = filler(&file[range.clone()]);
                    other[range].fill(f);
                    let again = load_config(&other, env.clone(), scratch).err().map(|e| e.to_string());
                    assert!(
                        again.is_some_and(|m| m.contains(&secret)),
                        "the file's token {secret:?} is echoed in the error: {msg}"
                    );
                }
            }
            for (i, (key, value)) in env.iter().enumerate() {
                let secret = value.trim();
                // The same text given as another setting's value is that setting's, not a secret
                // (the config crate reports only one type error, so which one it names can vary).
                let given_elsewhere = env.iter().enumerate().any(|(j, (_, v))| j != i && v.contains(secret))
                    || String::from_utf8_lossy(file).contains(secret);
                if is_token_var(key) && secret.len() >= 6 && msg.contains(secret) && !given_elsewhere {
                    let mut other = env.clone();
                    other[i].1 = String::from(filler(secret.as_bytes()) as char).repeat(value.len());
                    let again = load_config(file, other, scratch).err().map(|e| e.to_string());
                    assert!(
                        again.is_some_and(|m| m.contains(secret)),
                        "the token in {key} ({secret:?}) is echoed in the error: {msg}"
                    );
                }
            }
            Err(msg)
        }
        Ok(mut c) => {
            assert!((1..=64).contains(&c.index_threads), "index.threads {}", c.index_threads);
            assert!(c.discord.cooldown_questions >= 1 && c.watch_debounce_ms >= 50, "{c:?}");
            assert!(c.corpus_dir.is_absolute() && c.index_dir.is_absolute(), "{c:?}");
            if let Some(t) = c.discord.token.clone() {
                let t = t.expose();
                assert!(!t.is_empty() && t.trim() == t, "token {:?} is not trimmed", t.len());
                if format!("{c:?}").contains(t) {
                    c.discord.token = None;
                    assert!(format!("{c:?}").contains(t), "Debug shows the token");
                }
            }
            prices(&c.prices);
            Ok(())
        }
    }
}

/// A few estimates with a loaded price table: each an estimate that renders, or an error message.
fn prices(table: &PriceTable) {
    let max = CallRequest {
        model: None,
        input: Some(Input::Tokens(cost::MAX_TOKENS)),
        output_tokens: Some(cost::MAX_TOKENS),
        cached_input_tokens: Some(cost::MAX_TOKENS),
        requests: cost::MAX_REQUESTS,
        per: Some(Period::Month),
        batch: true,
    };
    let habit = |conversations_per_day, turns, user_tokens, reply_tokens, batch| {
        CostRequest::Conversation(ConversationRequest {
            model: None,
            conversations_per_day,
            turns,
            user_tokens,
            reply_tokens,
            batch,
        })
    };
    let mut requests = vec![
        CostRequest::Calls(CallRequest {
            input: Some(Input::Tokens(1000)),
            output_tokens: Some(500),
            cached_input_tokens: Some(400),
            requests: 10_000,
            per: Some(Period::Day),
            ..CallRequest::default()
        }),
        CostRequest::Calls(max),
        habit(20, 10, 150, 400, false),
        habit(cost::MAX_CONVERSATIONS_PER_DAY, cost::MAX_TURNS, cost::MAX_TOKENS, cost::MAX_TOKENS, true),
    ];
    // Every model by name, once.
    for m in table.model_names().into_iter().take(8) {
        requests.push(CostRequest::Calls(CallRequest {
            model: Some(m.to_owned()),
            input: Some(Input::Tokens(1)),
            output_tokens: Some(1),
            ..CallRequest::default()
        }));
    }
    for req in &requests {
        let reply = match cost::estimate(table, req) {
            Ok(r) => {
                assert_report(&r);
                Reply::Cost(Box::new(r))
            }
            Err(e) => Reply::error(e.to_string()),
        };
        let _ = shown_reply(&reply);
    }
}

/// Prices are validated non-negative and the batch discount is 0-100%, so no figure is negative.
fn assert_report(r: &CostReport) {
    let figures = match r {
        CostReport::Call(c) => [c.usd_per_request, c.usd_total, c.usd_per_month.unwrap_or_default()],
        CostReport::Conversation(c) => [c.usd_per_conversation, c.usd_per_day, c.usd_per_month],
    };
    assert!(figures.iter().all(|d| !d.is_sign_negative() || d.is_zero()), "a negative figure: {r:?}");
}
