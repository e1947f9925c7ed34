//! The `productbot` binary as a user runs it: ask (single and batch), features, cost, reindex, shell,
//! config and corpus faults. Each test uses its own copy of the corpus and index in a temp dir.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use support::euid;

mod support;

struct Env {
    tmp: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let corpus = tmp.path().join("corpus");
        std::fs::create_dir_all(&corpus).unwrap();
        for e in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), corpus.join(e.file_name())).unwrap();
        }
        // The shipped bot.toml (corpus and index next to it), read from the working directory.
        std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("bot.toml"), tmp.path().join("bot.toml")).unwrap();
        Env { tmp }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.tmp.path().join(p)
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_productbot"));
        c.args(args)
            .current_dir(self.tmp.path())
            .env("HOME", self.tmp.path())
            .env("PRODUCTBOT__CORPUS__DIR", self.path("corpus"))
            .env("PRODUCTBOT__INDEX__DIR", self.path("index"))
            .env_remove("RUST_LOG")
            .env_remove("DISCORD_TOKEN");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn run_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child =
            self.cmd(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        // Write from another thread: a long answer stream fills stdout while input is still going in.
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        out
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {} / {}", stdout(o), stderr(o)))
}

#[test]
fn ask_prints_a_cited_verdict_and_keeps_stdout_clean() {
    let e = Env::new();
    // First run builds the index (logged on stderr with -v), stdout is only the answer.
    let o = e.run(&["-v", "ask", "does the API have memory?"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("No. The API does not offer memory."), "{out}");
    assert!(out.contains("Features Only in ChatGPT › Memory"), "{out}");
    assert!(!out.contains("INFO") && stderr(&o).contains("building the index"), "{}", stderr(&o));
}

#[test]
fn ask_json_has_the_schema() {
    let e = Env::new();
    let v = json(&e.run(&["ask", "--json", "Can I fine-tune in ChatGPT?"]));
    assert_eq!(v["kind"], "feature");
    assert_eq!(v["verdict"]["feature"], "fine_tuning");
    assert_eq!(v["verdict"]["asked"], "chatgpt");
    assert_eq!(v["verdict"]["availability"]["chatgpt"], "no");
    assert_eq!(v["verdict"]["availability"]["api"], "yes");
    assert_eq!(v["sources"][0]["section"], "Features Only in the API");
    assert!(v["caveats"].is_array() && v["text"].is_string());
}

#[test]
fn batch_mode_answers_every_line_including_bad_ones() {
    let e = Env::new();
    let long = "a".repeat(6_000);
    let mut input = Vec::new();
    input.extend_from_slice(b"Does the API have memory?\n\n");
    input.extend_from_slice(b"\xff\xfe broken utf-8: does the api have memory\n");
    input.extend_from_slice(b"title:memory AND( \"api\n");
    input.extend_from_slice(long.as_bytes());
    input.extend_from_slice(b"\nwhat does chatgpt plus cost?\r\nHow tall is Mount Everest?");
    let o = e.run_stdin(&["ask", "--json", "-"], &input);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[0]["verdict"]["availability"]["api"], "no");
    assert_eq!(lines[1]["kind"], "out_of_scope");
    assert_eq!(lines[1]["question"], "");
    assert_eq!(lines[2]["verdict"]["feature"], "memory");
    assert_eq!(lines[3]["verdict"]["feature"], "memory");
    assert_eq!(lines[4]["kind"], "out_of_scope");
    assert_eq!(lines[5]["kind"], "search");
    assert_eq!(lines[6]["kind"], "out_of_scope");
}

#[test]
fn batch_mode_handles_ten_thousand_lines() {
    let e = Env::new();
    let dev = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/dev.jsonl")).unwrap();
    let qs: Vec<String> =
        dev.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["q"].as_str().unwrap().to_owned()).collect();
    let input: String = (0..10_000).map(|i| format!("{}\n", qs[i % qs.len()])).collect();
    let o = e.run_stdin(&["ask", "--json", "-"], input.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 10_000);
}

#[test]
fn features_table_lists_every_feature() {
    let e = Env::new();
    let ids = [
        "memory",
        "canvas",
        "voice",
        "web_browsing",
        "chat_interface",
        "parameter_control",
        "system_prompt",
        "fine_tuning",
        "embeddings",
        "batch",
        "structured_outputs",
        "logprobs",
        "image_generation",
        "audio",
        "moderation",
        "assistants",
        "code_interpreter",
        "file_uploads",
        "custom_gpts",
    ];
    let v = json(&e.run(&["features", "--json"]));
    let got: Vec<&str> = v["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(got, ids);
    let products: Vec<&str> = v["products"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(products, ["chatgpt", "api"]);
    assert_eq!(v["features"][0]["availability"], serde_json::json!({"chatgpt": "yes", "api": "no"}));
    let table = stdout(&e.run(&["features"]));
    let header = table.lines().next().unwrap();
    let col = header.find("ChatGPT").unwrap();
    for line in table.lines().skip(1).filter(|l| !l.starts_with('(')) {
        assert!(["yes", "no ", "par", "unk"].iter().any(|a| line[col..].starts_with(a)), "aligned: {line}");
    }
    assert!(table.contains("Memory") && table.contains("Logprobs"));
}

#[test]
fn cost_command_prices_exactly_and_names_bad_options() {
    let e = Env::new();
    let base = ["cost", "--model", "gpt-4o", "--input-tokens", "1000", "--output-tokens", "500", "--json"];
    let v = json(&e.run(&base));
    assert_eq!(v["usd_per_request"], 0.0075);
    assert_eq!(v["usd_total"], 0.0075);
    let mut bulk = base.to_vec();
    bulk.extend(["--requests", "10000"]);
    assert_eq!(json(&e.run(&bulk))["usd_total"], 75.0);
    let mut batch = base.to_vec();
    batch.push("--batch");
    assert_eq!(json(&e.run(&batch))["usd_per_request"], 0.00375);
    let text = stdout(&e.run(&base[..7]));
    assert!(text.contains("$0.0075"), "{text}");

    let o = e.run(&["cost", "--input-tokens", "-5"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("option `--input-tokens`"), "{}", stderr(&o));
    let o = e.run(&["cost", "--model", "gpt-5", "--input-tokens", "10"]);
    assert!(stderr(&o).contains("gpt-4o") && stderr(&o).contains("gpt-5"), "{}", stderr(&o));
    let o = e.run(&["cost", "--input-tokens", "10", "--requests", "0"]);
    assert!(stderr(&o).contains("requests"), "{}", stderr(&o));

    let v = json(&e.run(&["cost", "--text", "hello world", "--json"]));
    assert_eq!(v["input_tokens"], 2);
    let v = json(&e.run(&[
        "cost",
        "--conversations-per-day",
        "20",
        "--turns",
        "10",
        "--user-tokens",
        "150",
        "--reply-tokens",
        "400",
        "--json",
    ]));
    assert!(v["crossover_conversations_per_day"].is_number() && v["plan_usd_per_month"] == 20.0, "{v}");
    assert_eq!(v["plan"], "ChatGPT Plus");

    let o = e.run(&["cost", "--input-tokens", "10", "--text", "hi"]);
    assert!(stderr(&o).contains("`--text` cannot be combined with --input-tokens"), "{}", stderr(&o));
    let o = e.run(&["cost", "--turns", "3", "--input-tokens", "10"]);
    assert!(stderr(&o).contains("`--input-tokens` cannot be combined with the conversation options"), "{}", stderr(&o));
}

#[test]
fn reindex_builds_once_and_diffs_against_the_generation_before_it() {
    let e = Env::new();
    // No index yet: the command's one build is the first generation.
    let v = json(&e.run(&["reindex", "--json"]));
    assert_eq!((v["generation"].as_str(), v["features"].as_u64()), (Some("gen-000001"), Some(19)));
    assert!(v["diff"]["previous"].is_null(), "{v}");
    assert!(v["passages"].as_u64().unwrap() > 20 && v["build_ms"].is_number());
    let text = stdout(&e.run(&["reindex"]));
    assert!(text.contains("(gen-000002") && text.contains("No changes since the previous generation"), "{text}");

    // Edits to aliases, notes, availability and product words are all reported, and the serving
    // generation is not rebuilt first: one new generation per command.
    let path = e.path("corpus/features.toml");
    let table = std::fs::read_to_string(&path).unwrap();
    let table = table
        .replacen("aliases = [\"memory\",", "aliases = [\"recall facts about me\", \"memory\",", 1)
        .replacen(
            "availability = { chatgpt = \"yes\", api = \"no\" }",
            "availability = { chatgpt = \"yes\", api = \"partial\" }",
            1,
        )
        .replacen("\"rest api\",", "\"rest api\", \"oai api\",", 1)
        .replace("the API has no equivalent, so persistence is yours to build.", "the API has none.");
    std::fs::write(&path, table).unwrap();
    let v = json(&e.run(&["reindex", "--json"]));
    assert_eq!(v["generation"], "gen-000003");
    let d = &v["diff"];
    assert_eq!(d["previous"], "gen-000002");
    assert_eq!(d["availability_changes"], serde_json::json!(["api.memory: no -> partial"]));
    assert_eq!(d["alias_changes"], serde_json::json!(["memory: +recall facts about me"]));
    assert_eq!(d["note_changes"], serde_json::json!(["memory"]));
    assert_eq!(d["product_changes"], serde_json::json!(["api: +oai api"]));

    // Scope lists and prices are corpus data too: their edits are in the report.
    let table = std::fs::read_to_string(&path).unwrap().replacen("others = [\"claude\",", "others = [", 1);
    std::fs::write(&path, table).unwrap();
    let prices = e.path("corpus/openai-api-vs-chatgpt.prices.toml");
    let text = std::fs::read_to_string(&prices).unwrap().replacen("input_per_mtok = 2.50", "input_per_mtok = 2.00", 1);
    std::fs::write(&prices, text).unwrap();
    let v = json(&e.run(&["reindex", "--json"]));
    let d = &v["diff"];
    assert_eq!(d["scope_changes"], serde_json::json!(["others: -claude"]), "{d}");
    assert_eq!(d["price_changes"], serde_json::json!(["model gpt-4o: input_per_mtok 2.5 -> 2"]));
    let text = stdout(&e.run(&["reindex"]));
    assert!(text.contains("No changes"), "{text}");
    // And /cost prices with the re-indexed figures.
    let o = e.run(&["cost", "--model", "gpt-4o", "--input-tokens", "1000000"]);
    assert!(stdout(&o).contains("$2.00"), "{}", stdout(&o));
}

#[test]
fn shell_takes_questions_and_slash_commands() {
    let e = Env::new();
    let script = "/help\n/feature memmory\n/cost model:4o input_tokens:1000 output_tokens:500\ndoes the API have memory?\n/nope\n/ask\n/gaps 7\n/stats 1\n/quit\n";
    let o = e.run_stdin(&["shell"], script.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for expect in [
        "/reindex",
        "Memory: only ChatGPT has it.",
        "$0.0075",
        "No. The API does not offer memory.",
        "unknown command /nope",
        "needs `question`",
        "/quit — Leave the shell",
        "last 7 days",
        "Last day: ",
    ] {
        assert!(out.contains(expect), "missing {expect:?} in:\n{out}");
    }
}

#[test]
fn piped_shell_answers_every_line_lossily_and_keeps_no_history() {
    let e = Env::new();
    let o = e.run_stdin(&["shell"], b"abc\xff does the api have memory\nfine tuning in chatgpt?\n");
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("No. The API does not offer memory."), "{out}");
    assert!(out.contains("ChatGPT does not offer fine-tuning"), "{out}");
    assert!(!e.path(".productbot_history").exists(), "a piped session wrote history");
}

/// Sets `mode` on `path` and everything under it (`dirs` for directories).
fn chmod_tree(path: &Path, files: u32, dirs: u32) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if path.is_dir() { dirs } else { files };
    if path.is_dir() {
        for e in std::fs::read_dir(path).unwrap() {
            chmod_tree(&e.unwrap().path(), files, dirs);
        }
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_read_only_index_is_served_and_reindex_says_why() {
    use std::os::unix::process::CommandExt;
    let e = Env::new();
    assert!(e.run(&["reindex"]).status.success());
    // Everything readable by all; the index writable by nobody. Root ignores file modes, so as root
    // the binary runs as the unprivileged user `nobody` (65534), as another account would.
    chmod_tree(e.tmp.path(), 0o644, 0o755);
    chmod_tree(&e.path("index"), 0o444, 0o555);
    let as_reader = |args: &[&str]| {
        let mut c = e.cmd(args);
        if euid() == 0 {
            c.uid(65534).gid(65534);
        }
        c.output().unwrap()
    };
    let o = as_reader(&["ask", "--json", "does the api have memory?"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["verdict"]["availability"]["api"], "no");
    let o = as_reader(&["reindex"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("read-only"), "{}", stderr(&o));
    // A changed corpus still gets answers from the index there is, with a warning.
    chmod_tree(&e.path("corpus"), 0o644, 0o755);
    std::fs::write(e.path("corpus/extra.md"), "# Extra\n\nSomething new.\n").unwrap();
    let o = as_reader(&["ask", "--json", "does the api have memory?"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("read-only"), "{}", stderr(&o));
    chmod_tree(e.tmp.path(), 0o644, 0o755);
}

#[test]
fn cost_opens_no_index_and_prices_from_the_corpus_price_files() {
    let e = Env::new();
    // A feature table that cannot be read does not stop /cost, which reads only the price files.
    std::fs::write(e.path("corpus/features.toml"), "[[feature]\n").unwrap();
    let o = e.run(&["cost", "--model", "4o", "--input-tokens", "1000", "--output-tokens", "500"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("$0.0075"), "{}", stdout(&o));
    assert!(!e.path("index").exists(), "cost built an index");
    // Without the repo's bot.toml, from another directory, with the corpus mounted elsewhere.
    let elsewhere = e.path("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let o =
        e.cmd(&["cost", "--model", "gpt-4o-mini", "--input-tokens", "1m"]).current_dir(&elsewhere).output().unwrap();
    assert!(stdout(&o).contains("$0.15"), "{} / {}", stdout(&o), stderr(&o));
    // A price file's problem is named with its file and line.
    let prices = e.path("corpus/openai-api-vs-chatgpt.prices.toml");
    let text = std::fs::read_to_string(&prices).unwrap();
    std::fs::write(&prices, text.replacen("tokenizer = \"o200k_base\"", "tokenizer = \"o100k\"", 1)).unwrap();
    let o = e.run(&["cost", "--model", "4o", "--input-tokens", "1000"]);
    assert!(!o.status.success());
    let line = text.lines().position(|l| l.contains("tokenizer = \"o200k_base\"")).unwrap() + 1;
    assert!(
        stderr(&o).contains(&format!(
            "openai-api-vs-chatgpt.prices.toml:{line}: `models.gpt-4o.tokenizer` is unknown (`o100k`)"
        )),
        "{}",
        stderr(&o)
    );
    // No corpus at all: no prices, and the message says where they live.
    std::fs::remove_dir_all(e.path("corpus")).unwrap();
    let o = e.run(&["cost", "--model", "4o", "--input-tokens", "1000"]);
    assert!(stderr(&o).contains("NAME.prices.toml") || stdout(&o).contains("NAME.prices.toml"), "{}", stderr(&o));
}

#[test]
fn pricing_in_bot_toml_overrides_and_says_where_prices_now_live() {
    let e = Env::new();
    let toml = std::fs::read_to_string(e.path("bot.toml")).unwrap()
        + "\n[pricing]\nas_of = \"2026\"\nsource = \"ours\"\nbatch_discount_percent = 50\ndefault_model = \"gpt-4o\"\n[pricing.models.gpt-4o]\ninput_per_mtok = 1\noutput_per_mtok = 1\ntokenizer = \"o200k_base\"\n";
    std::fs::write(e.path("bot.toml"), toml).unwrap();
    let o = e.run(&["cost", "--model", "gpt-4o", "--input-tokens", "1m"]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(out.contains("$1.00") && out.contains("prices now live in the corpus directory"), "{out}");
    assert!(err.contains("[pricing] in bot.toml") && err.contains("NAME.prices.toml"), "{err}");
    // The models it does not name keep the corpus's prices.
    let o = e.run(&["cost", "--model", "gpt-4o-mini", "--input-tokens", "1m"]);
    assert!(stdout(&o).contains("$0.15") && !stdout(&o).contains("overrides"), "{}", stdout(&o));
}

#[test]
fn every_subcommand_has_help() {
    let e = Env::new();
    for sub in ["ask", "feature", "features", "cost", "shell", "reindex", "serve", "register"] {
        let o = e.run(&[sub, "--help"]);
        assert!(o.status.success() && stdout(&o).contains("Usage"), "{sub}");
    }
}

#[test]
fn config_faults_name_the_key_or_file() {
    let e = Env::new();
    std::fs::write(e.path("bad.toml"), "[discord.cooldown]\nseconds = \"soon\"\n").unwrap();
    let o = e.run(&["--config", "bad.toml", "features"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("discord.cooldown.seconds"), "{}", stderr(&o));

    std::fs::write(e.path("secret.toml"), "[discord]\ntoken = \"MTIz.abc.def\"\n").unwrap();
    let o = e.run(&["--config", "secret.toml", "features"]);
    assert!(stderr(&o).contains("DISCORD_TOKEN") && !stderr(&o).contains("MTIz.abc.def"), "{}", stderr(&o));

    let o = e.run(&["--config", "missing.toml", "features"]);
    assert!(stderr(&o).contains("missing.toml"), "{}", stderr(&o));

    let o = e.cmd(&["features"]).env("PRODUCTBOT__INDEX__THREADS", "0").output().unwrap();
    assert!(stderr(&o).contains("index.threads"), "{}", stderr(&o));
}

#[test]
fn corpus_faults_at_first_start_name_the_file() {
    let e = Env::new();
    std::fs::write(e.path("corpus/features.toml"), "[[feature]]\nid = \"x\"\n").unwrap();
    let o = e.run(&["ask", "memory?"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("features.toml"), "{}", stderr(&o));
    let empty = e.path("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = e.cmd(&["ask", "memory?"]).env("PRODUCTBOT__CORPUS__DIR", &empty).output().unwrap();
    assert!(stderr(&o).contains("no .md or .txt document"), "{}", stderr(&o));
}

#[test]
fn run_where_there_is_no_corpus_it_says_so_creates_nothing_and_logs_plain_text() {
    let e = Env::new();
    let elsewhere = e.path("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_productbot"))
        .args(["ask", "does the api have memory?"])
        .current_dir(&elsewhere)
        .env("HOME", e.path(""))
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("elsewhere/corpus: no such directory"), "{err}");
    // Nothing left behind, and stderr (not a terminal here) carries no colour codes.
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    // A warning logged while serving is plain text too.
    std::fs::write(e.path("corpus/features.toml"), "").ok();
    let o = e.run(&["-v", "ask", "memory"]);
    assert!(!stderr(&o).contains('\u{1b}'), "{:?}", stderr(&o));
}

#[test]
fn a_price_question_says_the_figure_and_the_matching_estimate_in_command_line_syntax() {
    let e = Env::new();
    let o = e.run(&["ask", "how much is it to use the api compared to paying for chatgpt plus?"]);
    let out = stdout(&o);
    // The conversation form (the question compares with the plan), worked out from the price table,
    // opens the answer.
    assert!(out.starts_with("By the price table"), "{out}");
    assert!(out.contains("20 conversations a day of 10 turns"), "{out}");
    assert!(out.contains("a month; ChatGPT Plus is $"), "{out}");
    assert!(out.contains("productbot cost --model gpt-4o --conversations-per-day 20"), "{out}");
    let o = e.run(&["ask", "--json", "what would 10k gpt-4o calls cost me?"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["suggestion"], "/cost model:gpt-4o input_tokens:1000 output_tokens:500", "{j}");
    assert!(j["estimate"].as_str().unwrap().contains("costs about $0.0075"), "{j}");
}

#[test]
fn command_line_errors_name_the_flags_it_takes() {
    let e = Env::new();
    let o = e.run(&["cost", "--cached-input-tokens", "5000", "--input-tokens", "10", "--output-tokens", "1"]);
    let err = stderr(&o);
    assert!(err.contains("--cached-input-tokens (5000) cannot exceed"), "{err}");
    assert!(!err.contains("cached_input_tokens"), "{err}");
}

/// A piped shell session is one conversation: "and the api?" is read with the question before it
/// (memory), "what about fine-tuning?" with the product before it (the API); the reply says how.
/// A question about something else starts over.
#[test]
fn piped_shell_reads_follow_ups_with_the_question_before() {
    let e = Env::new();
    let script =
        "does chatgpt have memory?\nand the api?\nwhat about fine-tuning?\nhow tall is mount everest?\nand the api?\n";
    let o = e.run_stdin(&["shell"], script.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("missing {s:?} in:\n{out}"));
    let order = [
        at("Yes. ChatGPT offers memory."),
        at("Reading this as: does the API have memory?"),
        at("No. The API does not offer memory."),
        at("Reading this as: does the API have fine-tuning?"),
        at("Yes. The API offers fine-tuning."),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "out of order:\n{out}");
    // After a question that names nothing of ours, "and the api?" has nothing to be read with.
    assert_eq!(out.matches("Reading this as").count(), 2, "{out}");
}

/// `[conversation] turns` bounds the follow-ups read in context; `ask --json -` reads every line
/// alone.
#[test]
fn context_is_bounded_by_turns_and_batch_mode_has_none() {
    let e = Env::new();
    let script = b"does chatgpt have memory?\nand the api?\nwhat about fine-tuning?\n";
    let o = e
        .cmd(&["shell"])
        .env("PRODUCTBOT__CONVERSATION__TURNS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(script)?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Reading this as: does the API have memory?"), "{out}");
    assert_eq!(out.matches("Reading this as").count(), 1, "the second follow-up is read alone:\n{out}");

    let o = e.run_stdin(&["ask", "--json", "-"], script);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["question"], "and the api?");
    assert!(lines.iter().all(|l| l.get("read_as").is_none()), "{lines:?}");
}
