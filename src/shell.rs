//! The local shell transport: an interactive console (line editing, history, tab completion) that
//! takes plain questions and the bot's slash commands through the same table and dispatcher as Discord.

use std::path::PathBuf;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use crate::commands::{self, COMMANDS, Caller, Command, Completion, Context as CommandContext, Reply};
use crate::render::{self, Style};
use crate::store::Store;

const PROMPT: &str = "productbot> ";

/// What one line of input asks the shell to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Print this and read the next line.
    Print(String),
    /// Nothing to do (blank line).
    Skip,
    Quit,
}

/// Handles one line: a question, a slash command, or `/quit`.
pub fn handle_line(ctx: CommandContext, caller: &Caller, line: &str, style: Style) -> Step {
    let line = line.trim();
    if line.is_empty() {
        return Step::Skip;
    }
    if matches!(line, "/quit" | "/exit" | "quit" | "exit") {
        return Step::Quit;
    }
    let reply = match commands::parse_line(line).and_then(|inv| Command::from_invocation(&inv)) {
        Ok(cmd) => commands::dispatch(ctx, cmd, caller),
        Err(e) => Reply::error(format!("{e} (type /help)")),
    };
    Step::Print(render::text::reply(&reply, style))
}

/// Runs the interactive loop until `/quit` or end of input.
pub fn run(store: &Store) -> anyhow::Result<()> {
    let mut editor: Editor<ShellHelper, DefaultHistory> = Editor::new()?;
    let engine = store.snapshot();
    editor
        .set_helper(Some(ShellHelper { features: engine.features().features.iter().map(|f| f.id.clone()).collect() }));
    let history = history_path();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!(
        "productbot shell: I answer from {}. Ask a question, or type /help; /quit leaves.",
        render::clean(&engine.covers_phrase())
    );
    drop(engine);
    let caller = Caller::local();
    let ctx = CommandContext { store };
    let style = render::stdout_style();
    loop {
        match editor.readline(PROMPT) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                match handle_line(ctx, &caller, &line, style) {
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

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".productbot_history"))
}

/// Tab completion of command names, option names and feature names.
struct ShellHelper {
    features: Vec<String>,
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
            let c =
                COMMANDS.iter().filter(|c| c.name.starts_with(name)).map(|c| pair(format!("/{} ", c.name))).collect();
            return Ok((0, c));
        }
        let start = head.rfind([' ', ':']).map_or(0, |i| i + 1);
        let word = &head[start..];
        let command = head.strip_prefix('/').and_then(|h| h.split_whitespace().next()).and_then(commands::spec);
        let Some(spec) = command else { return Ok((start, Vec::new())) };
        let wants_feature = spec.options.first().is_some_and(|o| o.complete == Completion::Feature);
        let mut out: Vec<Pair> = Vec::new();
        if wants_feature {
            out.extend(self.features.iter().filter(|f| f.starts_with(word)).map(|f| pair(f.clone())));
        }
        out.extend(
            spec.options
                .iter()
                .filter(|o| o.name.starts_with(word) && !word.is_empty())
                .map(|o| pair(format!("{}:", o.name))),
        );
        Ok((start, out))
    }
}
