//! The command table and the one dispatcher every transport calls. Command specs (names, options,
//! help, admin-only) live in [`COMMANDS`]; the shell's `/help`, the CLI help and Discord's slash-command
//! registration are all generated from it. A transport turns its input into an [`Invocation`], then
//! a [`Command`], calls [`dispatch`] and renders the [`Reply`].

use std::fmt::Write as _;

use serde::Serialize;
use tracing::warn;

use crate::answer::Answer;
use crate::cost::{self, CostReport, CostRequest};
use crate::features::{Feature, FeatureTable};
use crate::store::{ReindexReport, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptKind {
    Text,
    Integer { min: i64, max: i64 },
    Bool,
    Choice(&'static [&'static str]),
}

/// Where autocomplete suggestions for an option come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    None,
    Feature,
    Model,
}

#[derive(Debug, Clone, Copy)]
pub struct OptSpec {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: OptKind,
    pub required: bool,
    pub complete: Completion,
}

#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub name: &'static str,
    pub help: &'static str,
    pub options: &'static [OptSpec],
    /// Only for server admins (Discord) or the local operator.
    pub admin: bool,
    /// May take longer than Discord's 3-second window: transports acknowledge first.
    pub slow: bool,
}

const fn opt(name: &'static str, help: &'static str, kind: OptKind) -> OptSpec {
    OptSpec { name, help, kind, required: false, complete: Completion::None }
}

const fn int(name: &'static str, help: &'static str) -> OptSpec {
    opt(name, help, OptKind::Integer { min: 0, max: 10_000_000_000 })
}

/// Every command of the bot.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "ask",
        help: "Ask a question about ChatGPT vs the OpenAI API",
        options: &[OptSpec {
            required: true,
            ..opt("question", "Your question, e.g. does the API have memory?", OptKind::Text)
        }],
        admin: false,
        slow: false,
    },
    CommandSpec {
        name: "feature",
        help: "Show one feature: ChatGPT vs API, with the supporting passage",
        options: &[OptSpec {
            required: true,
            complete: Completion::Feature,
            ..opt("name", "Feature name, e.g. memory or fine-tuning", OptKind::Text)
        }],
        admin: false,
        slow: false,
    },
    CommandSpec {
        name: "features",
        help: "The whole feature table, ChatGPT vs API",
        options: &[],
        admin: false,
        slow: false,
    },
    CommandSpec {
        name: "cost",
        help: "Estimate API cost from tokens, text or a conversation pattern, against ChatGPT Plus",
        options: &[
            OptSpec {
                complete: Completion::Model,
                ..opt("model", "Model, e.g. gpt-4o (default) or gpt-4o-mini", OptKind::Text)
            },
            int("input_tokens", "Input tokens per request"),
            int("output_tokens", "Output tokens per request"),
            int("cached_input_tokens", "Of the input tokens, how many are cached"),
            OptSpec {
                kind: OptKind::Integer { min: 1, max: 1_000_000_000_000 },
                ..int("requests", "Number of requests (1 if not given)")
            },
            opt("per", "Requests are per day or per month", OptKind::Choice(&["day", "month"])),
            opt("batch", "Use the Batch API discount", OptKind::Bool),
            opt("text", "Count the tokens of this text as input", OptKind::Text),
            int("conversations_per_day", "Conversation estimate: conversations a day"),
            int("turns", "Conversation estimate: turns per conversation"),
            int("user_tokens", "Conversation estimate: tokens per user message"),
            int("reply_tokens", "Conversation estimate: tokens per reply"),
        ],
        admin: false,
        slow: false,
    },
    CommandSpec {
        name: "reindex",
        help: "Rebuild the search index from the corpus without downtime (admins only)",
        options: &[],
        admin: true,
        slow: true,
    },
    CommandSpec {
        name: "help",
        help: "List the commands, or explain one",
        options: &[opt("command", "A command name", OptKind::Text)],
        admin: false,
        slow: false,
    },
];

pub fn spec(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// An option value as a transport received it.
#[derive(Debug, Clone, PartialEq)]
pub enum OptValue {
    Str(String),
    Int(i64),
    Bool(bool),
}

/// A command as typed or sent: a name and named option values, not yet checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Invocation {
    pub name: String,
    pub options: Vec<(String, OptValue)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Ask { question: String },
    Feature { name: String },
    Features,
    Cost(CostRequest),
    Reindex,
    Help { command: Option<String> },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Ask { .. } => "ask",
            Command::Feature { .. } => "feature",
            Command::Features => "features",
            Command::Cost(_) => "cost",
            Command::Reindex => "reindex",
            Command::Help { .. } => "help",
        }
    }

    pub fn spec(&self) -> &'static CommandSpec {
        spec(self.name()).expect("every command is in the table")
    }
}

/// A command that could not be understood; the message says what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl Invocation {
    /// Checks the options against the command's spec and builds the command.
    pub fn to_command(&self) -> Result<Command, UsageError> {
        let spec = spec(&self.name).ok_or_else(|| unknown_command(&self.name))?;
        let mut values: Vec<(&'static str, OptValue)> = Vec::new();
        for (name, value) in &self.options {
            let Some(o) = spec.options.iter().find(|o| o.name == name) else {
                return Err(UsageError(format!(
                    "/{} has no option `{name}`; options: {}",
                    spec.name,
                    option_names(spec)
                )));
            };
            values.push((o.name, check(o, value)?));
        }
        for o in spec.options.iter().filter(|o| o.required) {
            if !values.iter().any(|(n, _)| *n == o.name) {
                return Err(UsageError(format!("/{} needs `{}`: {}", spec.name, o.name, o.help)));
            }
        }
        let get = |n: &str| values.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone());
        let text = |n: &str| match get(n) {
            Some(OptValue::Str(s)) => Some(s),
            _ => None,
        };
        let count = |n: &str| match get(n) {
            Some(OptValue::Int(i)) => Some(i as u64),
            _ => None,
        };
        Ok(match spec.name {
            "ask" => Command::Ask { question: text("question").unwrap_or_default() },
            "feature" => Command::Feature { name: text("name").unwrap_or_default() },
            "features" => Command::Features,
            "reindex" => Command::Reindex,
            "help" => Command::Help { command: text("command") },
            "cost" => Command::Cost(CostRequest {
                model: text("model"),
                input_tokens: count("input_tokens"),
                output_tokens: count("output_tokens"),
                cached_input_tokens: count("cached_input_tokens"),
                requests: count("requests"),
                per: text("per").and_then(|p| p.parse().ok()),
                batch: matches!(get("batch"), Some(OptValue::Bool(true))),
                text: text("text"),
                conversations_per_day: count("conversations_per_day"),
                turns: count("turns"),
                user_tokens: count("user_tokens"),
                reply_tokens: count("reply_tokens"),
            }),
            other => return Err(UsageError(format!("/{other} is not available here"))),
        })
    }
}

fn unknown_command(name: &str) -> UsageError {
    let names: Vec<String> = COMMANDS.iter().map(|c| format!("/{}", c.name)).collect();
    UsageError(format!("unknown command /{name}; commands: {}", names.join(", ")))
}

fn option_names(spec: &CommandSpec) -> String {
    if spec.options.is_empty() {
        return "none".into();
    }
    spec.options.iter().map(|o| o.name).collect::<Vec<_>>().join(", ")
}

/// Converts a received value to the option's kind, naming the option when it does not fit.
fn check(o: &OptSpec, value: &OptValue) -> Result<OptValue, UsageError> {
    let bad = |why: String| UsageError(format!("option `{}`: {why}", o.name));
    match (o.kind, value) {
        (OptKind::Text, OptValue::Str(s)) => Ok(OptValue::Str(s.clone())),
        (OptKind::Text, OptValue::Int(i)) => Ok(OptValue::Str(i.to_string())),
        (OptKind::Text, OptValue::Bool(b)) => Ok(OptValue::Str(b.to_string())),
        (OptKind::Integer { min, max }, v) => {
            let n = match v {
                OptValue::Int(i) => *i,
                OptValue::Str(s) => parse_count(s).map_err(bad)?,
                OptValue::Bool(_) => return Err(bad("expected a whole number".into())),
            };
            if n < min {
                return Err(bad(format!("must be at least {min}, got {n}")));
            }
            if n > max {
                return Err(bad(format!("must be at most {max}, got {n}")));
            }
            Ok(OptValue::Int(n))
        }
        (OptKind::Bool, OptValue::Bool(b)) => Ok(OptValue::Bool(*b)),
        (OptKind::Bool, OptValue::Str(s)) => match s.to_lowercase().as_str() {
            "" | "true" | "yes" | "on" | "1" => Ok(OptValue::Bool(true)),
            "false" | "no" | "off" | "0" => Ok(OptValue::Bool(false)),
            _ => Err(bad(format!("expected true or false, got {s:?}"))),
        },
        (OptKind::Bool, OptValue::Int(i)) => Ok(OptValue::Bool(*i != 0)),
        (OptKind::Choice(choices), v) => {
            let s = match v {
                OptValue::Str(s) => s.trim().to_lowercase(),
                other => return Err(bad(format!("expected one of {}, got {other:?}", choices.join(", ")))),
            };
            let canonical = match s.as_str() {
                "daily" => "day",
                "monthly" => "month",
                x => x,
            };
            choices
                .iter()
                .find(|c| **c == canonical)
                .map(|c| OptValue::Str((*c).to_owned()))
                .ok_or_else(|| bad(format!("expected one of {}, got {s:?}", choices.join(", "))))
        }
    }
}

/// Parses a count as people type it: "1000", "1,000", "1_000", "10k", "2.5m".
pub fn parse_count(s: &str) -> Result<i64, String> {
    let t = s.trim().replace([',', '_'], "").to_lowercase();
    let (num, mult) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1_000f64),
        Some('m') => (&t[..t.len() - 1], 1_000_000f64),
        Some('b') => (&t[..t.len() - 1], 1_000_000_000f64),
        _ => (t.as_str(), 1f64),
    };
    if let Ok(n) = num.parse::<i64>() {
        return n.checked_mul(mult as i64).ok_or_else(|| format!("{s:?} is too large"));
    }
    match num.parse::<f64>() {
        Ok(f) if f.is_finite() && mult > 1.0 && (f * mult).fract() == 0.0 && (f * mult).abs() < 9e18 => {
            Ok((f * mult) as i64)
        }
        Ok(_) => Err(format!("expected a whole number, got {s:?}")),
        Err(_) => Err(format!("expected a number, got {s:?}")),
    }
}

/// Parses a shell line: `/name options...` or a plain question (an `/ask`).
///
/// Options are `key:value` or `key=value`, values may be "quoted"; a bare word names a boolean option.
/// For commands whose first option is text (`/ask`, `/feature`, `/help`), anything that does not start
/// with one of their option names is that option's whole value, so questions need no quoting.
pub fn parse_line(line: &str) -> Result<Invocation, UsageError> {
    let line = line.trim();
    let Some(rest) = line.strip_prefix('/') else {
        return Ok(Invocation {
            name: "ask".into(),
            options: vec![("question".into(), OptValue::Str(line.to_owned()))],
        });
    };
    let (name, args) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    let name = name.to_lowercase();
    let Some(spec) = spec(&name) else { return Err(unknown_command(&name)) };
    let mut inv = Invocation { name: spec.name.to_owned(), options: Vec::new() };
    if args.is_empty() {
        return Ok(inv);
    }
    // Only single-option text commands take the whole line: `/cost` options are always named.
    let first_text = spec.options.first().filter(|o| o.kind == OptKind::Text && spec.options.len() == 1);
    let starts_with_option = spec.options.iter().any(|o| {
        let a = args.to_lowercase();
        a.starts_with(&format!("{}:", o.name)) || a.starts_with(&format!("{}=", o.name))
    });
    if let (Some(o), false) = (first_text, starts_with_option) {
        inv.options.push((o.name.to_owned(), OptValue::Str(unquote(args))));
        return Ok(inv);
    }
    for word in split_args(args)? {
        let (key, value) = match word.split_once([':', '=']) {
            Some((k, v)) => (k.trim_start_matches('-').to_lowercase().replace('-', "_"), Some(v.to_owned())),
            None => (word.trim_start_matches('-').to_lowercase().replace('-', "_"), None),
        };
        let value = match (value, spec.options.iter().find(|o| o.name == key).map(|o| o.kind)) {
            (Some(v), _) => OptValue::Str(v),
            (None, Some(OptKind::Bool)) => OptValue::Bool(true),
            (None, Some(_)) => return Err(UsageError(format!("option `{key}` needs a value, e.g. {key}:VALUE"))),
            (None, None) => {
                return Err(UsageError(format!(
                    "/{} has no option `{key}`; options: {}",
                    spec.name,
                    option_names(spec)
                )));
            }
        };
        inv.options.push((key, value));
    }
    Ok(inv)
}

fn unquote(s: &str) -> String {
    let t = s.trim();
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') { t[1..t.len() - 1].to_owned() } else { t.to_owned() }
}

/// Splits on whitespace, keeping "double-quoted" runs (including after `key:`) together.
fn split_args(s: &str) -> Result<Vec<String>, UsageError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if quoted {
        return Err(UsageError("unclosed quote".into()));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

/// Who sent a command, as far as permission checks go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub id: String,
    pub name: String,
    pub admin: bool,
}

impl Caller {
    /// The person at the local terminal, who owns the files and so may re-index.
    pub fn local() -> Self {
        Caller { id: "local".into(), name: "local user".into(), admin: true }
    }
}

/// The result of a command, for a transport to render.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    Answer(Answer),
    Features {
        features: Vec<Feature>,
    },
    Cost(CostReport),
    Reindex(ReindexReport),
    Help {
        text: String,
    },
    /// The caller may not run this command.
    Refused {
        message: String,
    },
    /// The command could not be carried out; the message says why.
    Error {
        message: String,
    },
}

impl Reply {
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Refused { .. } | Reply::Error { .. })
    }

    /// The plain-text rendering (CLI, shell, Discord message content).
    pub fn text(&self) -> String {
        match self {
            Reply::Answer(a) => a.text.clone(),
            Reply::Features { features } => features_table(features),
            Reply::Cost(r) => r.render_text(),
            Reply::Reindex(r) => r.render_text(),
            Reply::Help { text } => text.clone(),
            Reply::Refused { message } | Reply::Error { message } => message.clone(),
        }
    }
}

/// Runs one command against the current snapshot. Re-index runs on the calling thread: async
/// transports call this from a blocking task.
pub fn dispatch(store: &Store, command: Command, caller: &Caller) -> Reply {
    let spec = command.spec();
    if spec.admin && !caller.admin {
        warn!(user = %caller.id, name = %caller.name, command = spec.name, "refused an admin command");
        return Reply::Refused { message: format!("/{} is for server admins (Manage Server) only.", spec.name) };
    }
    let engine = store.snapshot();
    match command {
        Command::Ask { question } if question.trim().is_empty() => {
            Reply::Error { message: "Ask me something, e.g. /ask does the API have memory?".into() }
        }
        Command::Ask { question } => Reply::Answer(engine.answer(&question)),
        Command::Feature { name } => match engine.find_feature(&name) {
            Some(f) => Reply::Answer(engine.feature_answer(f)),
            None => Reply::Error { message: unknown_feature(engine.features(), &name) },
        },
        Command::Features => Reply::Features { features: engine.features().features.clone() },
        Command::Cost(req) => match cost::estimate(engine.prices(), &req) {
            Ok(r) => Reply::Cost(r),
            Err(e) => Reply::Error { message: e.to_string() },
        },
        Command::Reindex => match store.reindex() {
            Ok(r) => Reply::Reindex(r),
            Err(e) => Reply::Error { message: format!("re-index failed, still serving the previous index: {e}") },
        },
        Command::Help { command } => Reply::Help { text: help_text(command.as_deref()) },
    }
}

fn unknown_feature(table: &FeatureTable, name: &str) -> String {
    let mut scored: Vec<(f64, &Feature)> = table
        .features
        .iter()
        .map(|f| {
            (
                strsim::jaro_winkler(&name.to_lowercase(), &f.name.to_lowercase())
                    .max(strsim::jaro_winkler(&name.to_lowercase(), &f.id)),
                f,
            )
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let close: Vec<String> = scored.iter().take(3).map(|(_, f)| f.id.clone()).collect();
    format!("I don't know a feature called {name:?}. Closest: {}. See /features for all.", close.join(", "))
}

/// Help generated from the command table: all commands, or one in detail.
pub fn help_text(command: Option<&str>) -> String {
    let mut s = String::new();
    match command.map(|c| c.trim().trim_start_matches('/').to_lowercase()).filter(|c| !c.is_empty()) {
        Some(name) => match spec(&name) {
            Some(c) => {
                let _ = writeln!(s, "/{} — {}", c.name, c.help);
                for o in c.options {
                    let _ = writeln!(s, "  {}{}: {}", o.name, if o.required { " (required)" } else { "" }, o.help);
                }
                if c.name == "cost" {
                    s.push_str(
                        "Example: /cost model:gpt-4o input_tokens:1000 output_tokens:500 requests:10000 per:day\n",
                    );
                    s.push_str("Example: /cost conversations_per_day:20 turns:10 user_tokens:150 reply_tokens:400\n");
                }
            }
            None => {
                let _ = writeln!(s, "No command /{name}.");
                s.push_str(&help_text(None));
            }
        },
        None => {
            s.push_str("Ask me about ChatGPT vs the OpenAI API. Commands:\n");
            for c in COMMANDS {
                let opts: Vec<String> = c
                    .options
                    .iter()
                    .map(|o| if o.required { format!("{}:…", o.name) } else { format!("[{}]", o.name) })
                    .collect();
                let _ = writeln!(s, "/{} {} — {}", c.name, opts.join(" "), c.help);
            }
            s.push_str("Or just type a question, e.g. \"can I fine-tune in ChatGPT?\"");
        }
    }
    s.trim_end().to_owned()
}

/// The feature table as aligned columns.
pub fn features_table(features: &[Feature]) -> String {
    let w = features.iter().map(|f| f.name.chars().count()).max().unwrap_or(7).max(7);
    let mut s = format!("{:<w$}  {:<8} {:<8}\n", "Feature", "ChatGPT", "API");
    for f in features {
        let _ = writeln!(s, "{:<w$}  {:<8} {:<8}", f.name, f.chatgpt.as_str(), f.api.as_str());
    }
    s.push_str("(unknown = the article doesn't say)");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(line: &str) -> Result<Command, UsageError> {
        parse_line(line)?.to_command()
    }

    #[test]
    fn plain_text_is_a_question() {
        assert_eq!(
            cmd("does the API have memory?").unwrap(),
            Command::Ask { question: "does the API have memory?".into() }
        );
    }

    #[test]
    fn ask_takes_the_rest_of_the_line_even_with_colons() {
        assert_eq!(
            cmd("/ask Memory: ChatGPT or API?").unwrap(),
            Command::Ask { question: "Memory: ChatGPT or API?".into() }
        );
        assert_eq!(cmd("/ask question:\"hi there\"").unwrap(), Command::Ask { question: "hi there".into() });
    }

    #[test]
    fn cost_options_parse_and_name_bad_values() {
        let Command::Cost(r) =
            cmd("/cost model:4o input_tokens:1,000 output_tokens=500 batch requests:10k per:daily").unwrap()
        else {
            panic!("not a cost command")
        };
        assert_eq!((r.input_tokens, r.output_tokens, r.requests, r.batch), (Some(1000), Some(500), Some(10_000), true));
        assert_eq!(r.model.as_deref(), Some("4o"));
        let e = cmd("/cost input_tokens:-5").unwrap_err().to_string();
        assert!(e.contains("input_tokens") && e.contains("at least 0"), "{e}");
        let e = cmd("/cost input_tokens:lots").unwrap_err().to_string();
        assert!(e.contains("input_tokens"), "{e}");
        let e = cmd("/cost requests:0").unwrap_err().to_string();
        assert!(e.contains("requests") && e.contains("at least 1"), "{e}");
        let e = cmd("/cost input_tokens:99999999999999999999999").unwrap_err().to_string();
        assert!(e.contains("input_tokens"), "{e}");
        let e = cmd("/cost colour:red").unwrap_err().to_string();
        assert!(e.contains("colour") && e.contains("input_tokens"), "{e}");
    }

    #[test]
    fn unknown_command_lists_the_known_ones() {
        let e = cmd("/frobnicate").unwrap_err().to_string();
        assert!(e.contains("/frobnicate") && e.contains("/ask") && e.contains("/reindex"), "{e}");
    }

    #[test]
    fn help_is_generated_from_the_table() {
        let h = help_text(None);
        for c in COMMANDS {
            assert!(h.contains(&format!("/{}", c.name)), "{h}");
        }
        assert!(help_text(Some("cost")).contains("cached_input_tokens"));
    }

    #[test]
    fn counts_as_people_type_them() {
        assert_eq!(parse_count("10k"), Ok(10_000));
        assert_eq!(parse_count("2.5m"), Ok(2_500_000));
        assert_eq!(parse_count("1_000"), Ok(1000));
        assert!(parse_count("1.5").is_err());
        assert!(parse_count("").is_err());
    }
}
