//! `/help [command]`: generated from the command table and the corpus.

use std::fmt::Write as _;

use super::{
    Command, CommandSpec, Completion, Context, OptKind, OptSpec, Options, Reply, UsageError, Via, spec, typed,
};

pub static SPEC: CommandSpec = CommandSpec {
    name: "help",
    help: "List the commands, or explain one",
    options: &[OptSpec::new("command", "A command name", OptKind::Text).positional().complete(Completion::Command)],
    admin: false,
    slow: false,
    examples: &[],
    via: Via::Typed,
    chart: false,
    parse,
};

#[derive(Debug, Clone, PartialEq)]
pub struct Help {
    pub command: Option<String>,
}

fn parse(o: &Options) -> Result<Command, UsageError> {
    Ok(Command::Help(Help { command: o.text("command").map(str::to_owned) }))
}

impl Help {
    pub fn run(self, ctx: Context) -> Reply {
        let about = match ctx.store() {
            Ok(store) => store.snapshot().covers_phrase(),
            Err(reply) => return reply,
        };
        Reply::Help { text: help_text(self.command.as_deref(), &about) }
    }
}

/// All commands, or one in detail; `about` says what the bot answers from.
pub fn help_text(command: Option<&str>, about: &str) -> String {
    let mut s = String::new();
    match command.map(|c| c.trim().trim_start_matches('/').to_lowercase()).filter(|c| !c.is_empty()) {
        Some(name) => match spec(&name).filter(|c| c.via == Via::Typed) {
            Some(c) => {
                let _ = writeln!(s, "/{} — {}", c.name, c.help);
                for o in c.options {
                    let _ = writeln!(s, "  {}{}: {}", o.name, if o.required { " (required)" } else { "" }, o.help);
                }
                for e in c.examples {
                    let _ = writeln!(s, "Example: {e}");
                }
            }
            None => {
                let _ = writeln!(s, "No command /{name}.");
                s.push_str(&help_text(None, about));
            }
        },
        None => {
            let _ = writeln!(s, "I answer from {about}. Commands:");
            for c in typed() {
                let opts: Vec<String> = c
                    .options
                    .iter()
                    .filter(|o| !o.discord_only)
                    .map(|o| if o.required { format!("{}:…", o.name) } else { format!("[{}]", o.name) })
                    .collect();
                let _ = writeln!(s, "/{} {} — {}", c.name, opts.join(" "), c.help);
            }
            s.push_str("Or just type a question.");
        }
    }
    s.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_is_generated_from_the_table() {
        let h = help_text(None, "the article");
        for c in typed() {
            assert!(h.contains(&format!("/{}", c.name)), "{h}");
        }
        assert!(help_text(Some("cost"), "x").contains("cached_input_tokens"));
        assert!(help_text(Some("nope"), "x").starts_with("No command /nope."));
    }
}
