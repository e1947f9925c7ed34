//! The `productbot` command line: a thin transport. The bot's commands (`ask`, `feature`,
//! `features`, `cost`, `reindex`) are generated from the command table and go through the one
//! dispatcher; `shell`, `serve` and `register` start the other transports.

use std::io::{self, BufRead, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Arg, ArgAction, ArgMatches};
use productbot::analytics::Origin;
use productbot::app::{self, Local};
use productbot::commands::{self, Caller, Command, Reply, ask::Ask, cli};
use productbot::config::Config;
use productbot::cost::CostReport;
use productbot::discord;
use productbot::engine::Engine;
use productbot::render::{self, Style};
use productbot::service::Service;
use tracing_subscriber::EnvFilter;

/// jemalloc: building the engine allocates millions of small strings (a large feature table's
/// words), where it is about a third faster than the system allocator (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Two arenas, not four per core: the bot allocates on a few threads at a time, and each arena
/// keeps pages of its own (a 10,000-question batch peaks at 51-53 MB instead of 56-59 MB). Freed
/// pages go back to the system within a second, by jemalloc's background thread, so a server
/// idle after a burst shrinks again (`benches/http_faults.rs`: +5.8 MB five seconds after the
/// attack, +10.5 MB with jemalloc's ten-second default and no background thread).
/// `_RJEM_MALLOC_CONF` in the environment still overrides it.
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static MALLOC_CONF: &[u8; 70] = b"narenas:2,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

fn app() -> clap::Command {
    clap::Command::new("productbot")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Answers product questions from a corpus of articles and a feature table")
        .arg(
            Arg::new("config")
                .long("config")
                .global(true)
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Config file (default: bot.toml in the working directory, if present)"),
        )
        .arg(
            Arg::new("verbose")
                .short('v')
                .long("verbose")
                .global(true)
                .action(ArgAction::Count)
                .help("More log output on stderr (-v info, -vv debug); RUST_LOG overrides"),
        )
        .subcommands(cli::subcommands())
        .subcommand(
            clap::Command::new("shell")
                .about("Interactive console: questions and the bot's slash commands (the default)"),
        )
        .subcommand(
            clap::Command::new("eval")
                .about(
                    "Score labelled questions (JSON lines) against the corpus: per kind, coverage, confident mistakes",
                )
                .arg(Arg::new("questions").required(true).num_args(1..).value_parser(clap::value_parser!(PathBuf)))
                .arg(
                    Arg::new("corpus")
                        .long("corpus")
                        .value_name("DIR")
                        .action(ArgAction::Append)
                        .value_parser(clap::value_parser!(PathBuf))
                        .help("Corpus directory (default: the configured one); several are merged"),
                )
                .arg(Arg::new("failures").long("failures").action(ArgAction::SetTrue).help("List every miss"))
                .arg(
                    Arg::new("model").long("model").value_name("FILE").value_parser(clap::value_parser!(PathBuf)).help(
                        "Decide with this model.json (from `productbot fit --out`) instead of the compiled-in one",
                    ),
                ),
        )
        .subcommand(
            clap::Command::new("fit")
                .about("Fit the engine's decisions to the labelled questions of a sets file and print model.json")
                .arg(
                    Arg::new("sets")
                        .default_value("tests/data/train/sets.toml")
                        .value_parser(clap::value_parser!(PathBuf)),
                )
                .arg(
                    Arg::new("out")
                        .long("out")
                        .value_name("FILE")
                        .value_parser(clap::value_parser!(PathBuf))
                        .help("Write the model here instead of standard output"),
                ),
        )
        .subcommand(clap::Command::new("serve").about("Run the Discord bot (token from DISCORD_TOKEN)"))
        .subcommand(
            clap::Command::new("register").about("Register the slash commands with Discord and exit").arg(
                Arg::new("guild")
                    .long("guild")
                    .value_name("ID")
                    .value_parser(clap::value_parser!(u64).range(1..))
                    .help("Register for one guild (instant, for testing) instead of globally"),
            ),
        )
}

fn main() -> ExitCode {
    let matches = app().get_matches();
    let serving = matches.subcommand_name() == Some("serve");
    init_logging(matches.get_count("verbose"), serving);
    match run(&matches) {
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
    // Colour only on a terminal that wants it: a log redirected to a file stays plain text.
    let colour = io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_target(false)
        .with_ansi(colour)
        .init();
}

fn run(m: &ArgMatches) -> anyhow::Result<ExitCode> {
    let config = Config::load(m.get_one::<PathBuf>("config").map(PathBuf::as_path))?;
    if !config.prices.sheets().is_empty() {
        tracing::warn!("{}: move them there and remove [pricing]", productbot::config::PRICING_OVERRIDE_NOTE);
    }
    let (name, sub) = match m.subcommand() {
        Some((name, sub)) => (name, Some(sub)),
        None => ("shell", None),
    };
    match name {
        "serve" => app::serve_blocking(config),
        "eval" => {
            let sub = sub.context("eval without arguments")?;
            let dirs: Vec<PathBuf> = sub
                .get_many::<PathBuf>("corpus")
                .map(|d| d.cloned().collect())
                .unwrap_or_else(|| vec![config.corpus_dir.clone()]);
            let corpus = productbot::eval::MergedCorpus::new(&dirs)?;
            let engine = Engine::from_corpus_dir(&corpus.dir, Arc::new(config.prices.clone()))?;
            let decisions = match sub.get_one::<PathBuf>("model") {
                Some(file) => {
                    let text = std::fs::read_to_string(file).with_context(|| file.display().to_string())?;
                    let model = serde_json::from_str(&text).with_context(|| file.display().to_string())?;
                    productbot::engine::Decisions::new(model).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?
                }
                None => productbot::engine::Decisions::shipped(),
            };
            for path in sub.get_many::<PathBuf>("questions").into_iter().flatten() {
                let mut report = productbot::eval::Report::default();
                for case in productbot::eval::load(path)? {
                    report.add(&case, &engine.answer_using(&case.q, &decisions));
                }
                print!("{}", report.render(&path.display().to_string(), sub.get_flag("failures")));
            }
            Ok(ExitCode::SUCCESS)
        }
        "fit" => {
            let sub = sub.context("fit without arguments")?;
            let model =
                productbot::engine::fit_sets(sub.get_one::<PathBuf>("sets").context("a sets file")?, &config.prices)?;
            let json = serde_json::to_string_pretty(&model)? + "\n";
            match sub.get_one::<PathBuf>("out") {
                Some(out) => std::fs::write(out, json).with_context(|| out.display().to_string())?,
                None => io::stdout().write_all(json.as_bytes())?,
            }
            Ok(ExitCode::SUCCESS)
        }
        "register" => discord::register_blocking(config, sub.and_then(|s| s.get_one::<u64>("guild").copied())),
        "shell" => app::shell(&config),
        name => {
            let spec = commands::spec(name).context("unknown subcommand")?;
            let sub = sub.context("subcommand without arguments")?;
            let json = sub.get_flag(cli::JSON);
            let command = match Command::from_invocation(&cli::invocation(spec, sub)) {
                Ok(c) => c,
                Err(e) => return print_reply(&Reply::error(e.to_string()), json),
            };
            let record = sub.try_get_one::<bool>(cli::RECORD).ok().flatten().copied().unwrap_or(false);
            let png = sub.try_get_one::<PathBuf>(cli::PNG).ok().flatten().cloned();
            let caller = Caller { origin: Origin { transport: "cli", record, ..Origin::default() }, ..Caller::local() };
            // Only commands that read or write records open the database. A recorded batch waits
            // for the database rather than drop records: nobody is waiting on a chat reply.
            let analytics = record || matches!(command, Command::Gaps(_) | Command::Stats(_));
            let what = Local {
                store: command.needs_store(),
                analytics,
                lossless: analytics,
                reindex: matches!(command, Command::Reindex(_)),
            };
            let mut service = app::local(&config, what)?;
            let done = match command {
                Command::Ask(a) if a.question == "-" => batch(&service, &caller, json),
                command => finish(&service.handle(command, &caller), json, png.as_deref()),
            };
            // The process ends here: freeing the index and engine piece by piece (a large feature
            // table is millions of allocations) would only delay the exit. Analytics are flushed
            // when the service's handle drops, which this does first.
            service.forget_store();
            drop(service);
            done
        }
    }
}

/// Prints the reply and, with `--png FILE`, draws its chart there.
fn finish(reply: &Reply, json: bool, png: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    if let Some(path) = png {
        let bytes = match reply {
            Reply::Stats(s) => Some(productbot::charts::stats(s)),
            Reply::Cost(c) => match c.as_ref() {
                CostReport::Conversation(r) => Some(productbot::charts::conversation_cost(r)),
                CostReport::Call(_) => {
                    anyhow::bail!("--png draws conversation estimates (--conversations-per-day ...), not single calls")
                }
            },
            _ => None,
        };
        if let Some(bytes) = bytes {
            let bytes = bytes?;
            std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
            // On stderr: stdout carries only the reply.
            eprintln!("Chart written to {}", path.display());
        }
    }
    print_reply(reply, json)
}

fn print_reply(reply: &Reply, json: bool) -> anyhow::Result<ExitCode> {
    let failed = reply.is_error();
    let mut out = io::stdout().lock();
    if json {
        write_json(&mut out, reply)?;
        out.write_all(b"\n")?;
    } else if failed {
        eprintln!("error: {}", render::text::with_cli_flags(&render::text::reply(reply, Style::PLAIN)));
    } else {
        writeln!(out, "{}", render::text::reply(reply, render::stdout_style().cli()))?;
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn write_json(out: &mut impl Write, reply: &Reply) -> anyhow::Result<()> {
    match reply {
        Reply::Answer(a) => serde_json::to_writer(out, &render::json::answer(a))?,
        Reply::Cost(c) => serde_json::to_writer(out, c.as_ref())?,
        Reply::Reindex(r) => serde_json::to_writer(out, r.as_ref())?,
        Reply::Features(t) => serde_json::to_writer(out, &render::json::features(t))?,
        Reply::Gaps(g) => serde_json::to_writer(out, g.as_ref())?,
        Reply::Stats(s) => serde_json::to_writer(out, s.as_ref())?,
        Reply::Help { text } => serde_json::to_writer(out, &serde_json::json!({ "text": text }))?,
        Reply::Voted { .. }
        | Reply::Remove
        | Reply::Share
        | Reply::SlowDown { .. }
        | Reply::HandedOver { .. }
        | Reply::Resolved { .. } => {
            serde_json::to_writer(out, &serde_json::json!({ "text": render::text::reply(reply, Style::PLAIN) }))?
        }
        Reply::Refused { message } | Reply::Error { message } => {
            serde_json::to_writer(out, &serde_json::json!({ "error": message }))?
        }
    }
    Ok(())
}

/// Batch mode: one question per stdin line, one answer per output line, past empty or invalid lines.
/// From a file or pipe, lines are read in chunks and answered on every core, in input order; from a
/// terminal or a FIFO that trickles, each line is answered (and flushed) as it arrives.
fn batch(service: &Service, caller: &Caller, json: bool) -> anyhow::Result<ExitCode> {
    const CHUNK: usize = 2048;
    let started = Instant::now();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    // A regular file can always be read ahead; a terminal or a pipe may be waiting for its writer.
    let read_ahead = !io::stdin().is_terminal() && std::fs::metadata("/dev/stdin").is_ok_and(|m| m.is_file());
    let mut input = io::BufReader::with_capacity(1 << 16, io::stdin().lock());
    let mut out = BufWriter::new(io::stdout().lock());
    let style = if json { Style::PLAIN } else { render::stdout_style().cli() };
    let answer = |question: &str, bytes: &mut Vec<u8>| -> anyhow::Result<()> {
        let reply = service.handle(Command::Ask(Ask { question: question.to_owned(), private: false }), caller);
        if json {
            write_json(bytes, &reply)?;
            bytes.push(b'\n');
        } else {
            writeln!(bytes, "> {}\n{}\n", render::clean(question), render::text::reply(&reply, style))?;
        }
        Ok(())
    };
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
            // Nothing more is waiting: answer what came rather than wait for a full chunk.
            if !read_ahead && input.buffer().is_empty() {
                break;
            }
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
                    s.spawn(move || -> anyhow::Result<Vec<u8>> {
                        let mut bytes = Vec::with_capacity(part.len() * 1024);
                        for question in part {
                            answer(question, &mut bytes)?;
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
        out.flush()?;
    }
    tracing::info!(questions = n, ms = started.elapsed().as_millis() as u64, workers, "batch done");
    Ok(ExitCode::SUCCESS)
}
