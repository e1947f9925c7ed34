//! The local shell transport: an interactive console (line editing, history, tab completion) that
//! takes plain questions and the bot's slash commands through the same table and service as Discord.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use crate::analytics::Origin;
use crate::commands::{self, Caller, Command, Completion, Reply};
use crate::render::{self, Style};
use crate::service::Service;

const PROMPT: &str = "productbot> ";
/// History keeps this many entries, none longer than `MAX_HISTORY_LINE` bytes, and is not read from
/// a file larger than `MAX_HISTORY_FILE`.
const MAX_HISTORY: usize = 1_000;
const MAX_HISTORY_LINE: usize = 2_000;
const MAX_HISTORY_FILE: u64 = 4 * 1024 * 1024;

/// What one line of input asks the shell to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Print this and read the next line.
    Print(String),
    /// Nothing to do (blank line).
    Skip,
    Quit,
}

const QUIT: &str = "/quit";

/// Handles one line: a question, a slash command, or `/quit`.
pub fn handle_line(service: &Service, caller: &Caller, line: &str, style: Style) -> Step {
    let line = line.trim();
    if line.is_empty() {
        return Step::Skip;
    }
    if matches!(line, "/quit" | "/exit" | "quit" | "exit") {
        return Step::Quit;
    }
    let (reply, listing) = match commands::parse_line(line).and_then(|inv| Command::from_invocation(&inv)) {
        Ok(cmd) => {
            let listing = matches!(&cmd, Command::Help(h) if h.command.is_none());
            (service.handle(cmd, caller), listing)
        }
        Err(e) => (Reply::error(format!("{e} (type /help)")), false),
    };
    let mut text = render::text::reply(&reply, style);
    if listing {
        // The shell's own command, which no other transport has.
        text.push_str(&format!("\n{QUIT} — Leave the shell"));
    }
    Step::Print(text)
}

/// Runs the interactive loop until `/quit` or end of input. From a terminal: line editing and a
/// bounded history; from a pipe or file: each line as it comes (invalid UTF-8 read lossily, as batch
/// mode does), and no history.
/// Answers are recorded in `analytics` (when on), as Discord's are.
pub fn run(service: &Service) -> anyhow::Result<()> {
    let Some(engine) = service.engine() else { anyhow::bail!("the shell needs the index") };
    println!(
        "productbot shell: I answer from {}. Ask a question, or type /help; /quit leaves.",
        render::clean(&engine.covers_phrase())
    );
    let features: Vec<String> = engine.features().features.iter().map(|f| f.id.clone()).collect();
    let models: Vec<String> = engine.prices().models().iter().map(|m| m.name().to_owned()).collect();
    drop(engine);
    // One session is one conversation: a follow-up is read with the question before it.
    let session = format!("shell:{}-{}", std::process::id(), crate::analytics::now_ms());
    let caller = Caller {
        conversation: Some(session),
        origin: Origin { transport: "shell", record: true, ..Origin::default() },
        ..Caller::local()
    };
    let style = render::stdout_style();
    if !std::io::stdin().is_terminal() {
        return run_piped(service, &caller, style);
    }
    let config = rustyline::Config::builder()
        .max_history_size(MAX_HISTORY)?
        .history_ignore_dups(true)?
        .auto_add_history(false)
        .build();
    let mut editor: Editor<ShellHelper, DefaultHistory> = Editor::with_config(config)?;
    editor.set_helper(Some(ShellHelper { features, models }));
    let history = history_path();
    if let Some(h) = history.as_deref().filter(|h| history_is_small(h)) {
        let _ = editor.load_history(h);
    }
    loop {
        match editor.readline(PROMPT) {
            Ok(line) => {
                if !line.trim().is_empty() && line.len() <= MAX_HISTORY_LINE {
                    let _ = editor.add_history_entry(line.as_str());
                }
                match handle_line(service, &caller, &line, style) {
                    Step::Print(text) => println!("{text}\n"),
                    Step::Skip => {}
                    Step::Quit => break,
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    Ok(())
}

/// The shell over piped input: line by line, lossily, answers flushed as they are made.
fn run_piped(service: &Service, caller: &Caller, style: Style) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        let line = String::from_utf8_lossy(&buf);
        match handle_line(service, caller, &line, style) {
            Step::Print(text) => {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                writeln!(out, "{text}\n")?;
                out.flush()?;
            }
            Step::Skip => {}
            Step::Quit => return Ok(()),
        }
    }
}

fn history_is_small(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() <= MAX_HISTORY_FILE)
}

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".productbot_history"))
}

/// Tab completion of command names, option names and option values (features, models, command
/// names, choices).
struct ShellHelper {
    features: Vec<String>,
    models: Vec<String>,
}

impl ShellHelper {
    /// The values `option` may take that start with `prefix`.
    fn values(&self, option: &commands::OptSpec, prefix: &str) -> Vec<String> {
        let prefix = prefix.to_lowercase();
        let all: Vec<String> = match (option.complete, option.kind) {
            (Completion::Feature, _) => self.features.clone(),
            (Completion::Model, _) => self.models.clone(),
            (Completion::Command, _) => commands::typed().map(|c| c.name.to_owned()).collect(),
            (_, commands::OptKind::Choice(choices)) => choices.iter().map(|c| (*c).to_owned()).collect(),
            (_, commands::OptKind::Bool) => vec!["true".into(), "false".into()],
            _ => Vec::new(),
        };
        all.into_iter().filter(|v| v.to_lowercase().starts_with(&prefix)).collect()
    }
}

impl Helper for ShellHelper {}
impl Highlighter for ShellHelper {}
impl Validator for ShellHelper {}
impl Hinter for ShellHelper {
    type Hint = String;
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let head = &line[..pos];
        let pair = |s: String| Pair { display: s.clone(), replacement: s };
        if let Some(name) = head.strip_prefix('/').filter(|n| !n.contains(' ')) {
            let mut c: Vec<Pair> =
                commands::typed().filter(|c| c.name.starts_with(name)).map(|c| pair(format!("/{} ", c.name))).collect();
            if QUIT[1..].starts_with(name) {
                c.push(pair(QUIT.to_owned()));
            }
            return Ok((0, c));
        }
        let command = head.strip_prefix('/').and_then(|h| h.split_whitespace().next()).and_then(commands::spec);
        let Some(spec) = command else { return Ok((pos, Vec::new())) };
        let start = head.rfind(' ').map_or(0, |i| i + 1);
        let word = &head[start..];
        // `name:pre` completes the option's values after the colon.
        if let Some((name, prefix)) = word.split_once([':', '=']) {
            let name = commands::line::option_key(name);
            let Some(option) = spec.options.iter().find(|o| o.name == name) else { return Ok((pos, Vec::new())) };
            let at = start + name.len() + 1;
            return Ok((at, self.values(option, prefix).into_iter().map(|v| pair(v + " ")).collect()));
        }
        // A bare word: the values of a command's only option (`/help co`, `/feature mem`), then the
        // option names.
        let typed: Vec<&commands::OptSpec> = spec.options.iter().filter(|o| !o.discord_only).collect();
        let mut out: Vec<Pair> = Vec::new();
        if let [only] = typed[..] {
            out.extend(self.values(only, word).into_iter().map(pair));
        }
        if !word.is_empty() {
            out.extend(typed.iter().filter(|o| o.name.starts_with(word)).map(|o| pair(format!("{}:", o.name))));
        }
        Ok((start, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(line: &str) -> (usize, Vec<String>) {
        let helper = ShellHelper {
            features: vec!["memory".into(), "fine_tuning".into()],
            models: vec!["gpt-4o".into(), "gpt-4o-mini".into(), "o3-mini".into()],
        };
        let history = DefaultHistory::new();
        let (at, pairs) = helper.complete(line, line.len(), &Context::new(&history)).unwrap();
        (at, pairs.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn completes_commands_option_names_and_values() {
        assert_eq!(complete("/q"), (0, vec!["/quit".to_owned()]));
        assert_eq!(complete("/co"), (0, vec!["/cost ".to_owned()]));
        // A model after `model:`, replacing only what follows the colon.
        assert_eq!(complete("/cost model:gpt"), (12, vec!["gpt-4o ".to_owned(), "gpt-4o-mini ".to_owned()]));
        assert_eq!(complete("/cost requests:10 mo").1, vec!["model:".to_owned()]);
        // The only option's values, unnamed: command names for /help, features for /feature.
        assert_eq!(complete("/help co"), (6, vec!["cost".to_owned(), "command:".to_owned()]));
        assert_eq!(complete("/feature mem"), (9, vec!["memory".to_owned()]));
        assert_eq!(complete("/cost nosuch:x").1, Vec::<String>::new());
    }
}
