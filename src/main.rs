//! The `productbot` command line: a thin transport that turns arguments into a command, calls the
//! dispatcher and prints the reply. `serve` starts the Discord transport.

use std::io::{self, BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use productbot::commands::{self, Caller, Invocation, OptValue, Reply};
use productbot::config::Config;
use productbot::store::{Opened, Store, StoreConfig};
use productbot::{discord, shell, watch};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "productbot", version, about = "Answers OpenAI API vs ChatGPT questions from a document corpus")]
struct Cli {
    /// Config file (default: bot.toml in the working directory, if present).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// More log output on stderr (-v info, -vv debug). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Answer a question; `-` reads one question per line from stdin.
    Ask {
        /// The question, or `-` for batch mode (one per stdin line, one answer per output line).
        question: String,
        /// Print JSON: one object per question.
        #[arg(long)]
        json: bool,
    },
    /// Print the feature table, ChatGPT vs API.
    Features {
        #[arg(long)]
        json: bool,
    },
    /// Estimate API cost (per call, in bulk, from text, or for a conversation pattern).
    Cost(Box<CostArgs>),
    /// Interactive console: plain questions and the bot's slash commands (the default).
    Shell,
    /// Rebuild the index from the corpus and report what changed.
    Reindex {
        #[arg(long)]
        json: bool,
    },
    /// Run the Discord bot (token from DISCORD_TOKEN).
    Serve,
    /// Register the slash commands with Discord and exit.
    Register {
        /// Register for one guild (instant, for testing) instead of globally.
        #[arg(long, value_name = "ID")]
        guild: Option<u64>,
    },
}

/// Values are taken as text and checked by the command table, exactly as the shell and Discord do.
#[derive(Args)]
struct CostArgs {
    /// Model name or alias (default from [pricing] default_model).
    #[arg(long)]
    model: Option<String>,
    /// Input tokens per request (also "10k", "1,000").
    #[arg(long, allow_hyphen_values = true)]
    input_tokens: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    output_tokens: Option<String>,
    /// Of the input tokens, how many hit the prompt cache.
    #[arg(long, allow_hyphen_values = true)]
    cached_input_tokens: Option<String>,
    /// Number of requests (per --per period when given).
    #[arg(long, allow_hyphen_values = true)]
    requests: Option<String>,
    /// The period of --requests: day or month.
    #[arg(long)]
    per: Option<String>,
    /// Apply the Batch API discount.
    #[arg(long)]
    batch: bool,
    /// Count this text's tokens with the model's tokenizer and price them as input.
    #[arg(long)]
    text: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    conversations_per_day: Option<String>,
    /// Turns per conversation (each turn resends the conversation so far).
    #[arg(long, allow_hyphen_values = true)]
    turns: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    user_tokens: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    reply_tokens: Option<String>,
    #[arg(long)]
    json: bool,
}

impl CostArgs {
    fn invocation(&self) -> Invocation {
        let mut options = Vec::new();
        let mut put = |name: &str, v: &Option<String>| {
            if let Some(v) = v {
                options.push((name.to_owned(), OptValue::Str(v.clone())));
            }
        };
        put("model", &self.model);
        put("input_tokens", &self.input_tokens);
        put("output_tokens", &self.output_tokens);
        put("cached_input_tokens", &self.cached_input_tokens);
        put("requests", &self.requests);
        put("per", &self.per);
        put("text", &self.text);
        put("conversations_per_day", &self.conversations_per_day);
        put("turns", &self.turns);
        put("user_tokens", &self.user_tokens);
        put("reply_tokens", &self.reply_tokens);
        if self.batch {
            options.push(("batch".into(), OptValue::Bool(true)));
        }
        Invocation { name: "cost".into(), options }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let serving = matches!(cli.command, Some(Cmd::Serve));
    init_logging(cli.verbose, serving);
    match run(cli) {
        Ok(code) => code,
        // A closed pipe (`productbot features | head`) is the reader's choice, not a failure.
        Err(e)
            if e.chain()
                .any(|c| c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: u8, serving: bool) {
    let default = match (verbose, serving) {
        (0, false) => "warn",
        (0, true) | (1, _) => "info",
        _ => "debug",
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(format!("productbot={default},warn")));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(io::stderr).with_target(false).init();
}

fn open_store(config: &Config) -> anyhow::Result<Store> {
    let cfg = StoreConfig {
        corpus_dir: config.corpus_dir.clone(),
        index_dir: config.index_dir.clone(),
        threads: config.index_threads,
    };
    let (store, opened) = Store::open(cfg, Arc::new(config.prices.clone()))
        .with_context(|| format!("cannot serve the corpus in {}", config.corpus_dir.display()))?;
    if let Opened::StaleFallback(e) = opened {
        tracing::warn!("answers come from an older index: {e}");
    }
    Ok(store)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
    let command = cli.command.unwrap_or(Cmd::Shell);
    match command {
        Cmd::Serve => discord::serve_blocking(config),
        Cmd::Register { guild } => discord::register_blocking(config, guild),
        Cmd::Reindex { json } => {
            // Opening may itself build; a reindex command always builds a fresh generation.
            let store = open_store(&config)?;
            print_reply(commands::dispatch(&store, commands::Command::Reindex, &Caller::local()), json)
        }
        Cmd::Shell => {
            let store = Arc::new(open_store(&config)?);
            let _watcher = if config.watch {
                Some(watch::spawn(store.clone(), std::time::Duration::from_millis(config.watch_debounce_ms))?)
            } else {
                None
            };
            shell::run(&store)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Features { json } => {
            let store = open_store(&config)?;
            print_reply(commands::dispatch(&store, commands::Command::Features, &Caller::local()), json)
        }
        Cmd::Cost(args) => {
            let store = open_store(&config)?;
            match args.invocation().to_command() {
                Ok(cmd) => print_reply(commands::dispatch(&store, cmd, &Caller::local()), args.json),
                Err(e) => print_reply(Reply::Error { message: e.to_string() }, args.json),
            }
        }
        Cmd::Ask { question, json } if question == "-" => {
            let store = open_store(&config)?;
            batch(&store, json)
        }
        Cmd::Ask { question, json } => {
            let store = open_store(&config)?;
            let cmd = commands::Command::Ask { question };
            print_reply(commands::dispatch(&store, cmd, &Caller::local()), json)
        }
    }
}

fn print_reply(reply: Reply, json: bool) -> anyhow::Result<ExitCode> {
    let failed = reply.is_error();
    let mut out = io::stdout().lock();
    if json {
        let value = match &reply {
            Reply::Answer(a) => serde_json::to_value(a)?,
            Reply::Cost(c) => serde_json::to_value(c)?,
            Reply::Reindex(r) => serde_json::to_value(r)?,
            Reply::Features { features } => serde_json::to_value(features)?,
            Reply::Help { text } => serde_json::json!({ "text": text }),
            Reply::Refused { message } | Reply::Error { message } => serde_json::json!({ "error": message }),
        };
        writeln!(out, "{value}")?;
    } else if failed {
        eprintln!("error: {}", reply.text());
    } else {
        writeln!(out, "{}", reply.text())?;
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Batch mode: one question per stdin line, one answer per output line, past empty or invalid lines.
/// Lines are read in chunks and answered on every core, output in input order.
fn batch(store: &Store, json: bool) -> anyhow::Result<ExitCode> {
    const CHUNK: usize = 2048;
    let started = Instant::now();
    let engine = store.snapshot();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let mut input = io::stdin().lock();
    let mut out = BufWriter::new(io::stdout().lock());
    let mut n = 0usize;
    loop {
        let mut lines: Vec<String> = Vec::with_capacity(CHUNK);
        let mut buf = Vec::new();
        while lines.len() < CHUNK {
            buf.clear();
            if input.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            lines.push(String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']).to_owned());
        }
        if lines.is_empty() {
            break;
        }
        n += lines.len();
        let per = lines.len().div_ceil(workers);
        let rendered: Vec<anyhow::Result<Vec<u8>>> = std::thread::scope(|s| {
            let handles: Vec<_> = lines
                .chunks(per)
                .map(|part| {
                    let engine = &engine;
                    s.spawn(move || -> anyhow::Result<Vec<u8>> {
                        let mut bytes = Vec::with_capacity(part.len() * 1024);
                        for question in part {
                            let answer = engine.answer(question);
                            if json {
                                serde_json::to_writer(&mut bytes, &answer)?;
                                bytes.push(b'\n');
                            } else {
                                writeln!(bytes, "> {question}\n{}\n", answer.text)?;
                            }
                        }
                        Ok(bytes)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a batch worker panicked"))))
                .collect()
        });
        for part in rendered {
            out.write_all(&part?)?;
        }
    }
    out.flush()?;
    tracing::info!(questions = n, ms = started.elapsed().as_millis() as u64, workers, "batch done");
    Ok(ExitCode::SUCCESS)
}
