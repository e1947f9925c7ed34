//! Slash-command registration, generated from the command table [`crate::commands::COMMANDS`] so that Discord always
//! offers exactly the commands, options and permissions the dispatcher knows.

use std::fmt;

use serenity::all::{Command, CommandOptionType, CreateCommand, CreateCommandOption, GuildId, Http, Permissions};

use super::render::trim;
use crate::commands::{CommandSpec, Completion, OptKind, OptSpec, typed};

/// Discord's limit on command and option descriptions.
const DESCRIPTION_MAX: usize = 100;
/// Discord accepts integer bounds up to 2^53 - 1 (what a JSON double holds exactly).
const INT_BOUND_MAX: u64 = (1 << 53) - 1;

/// Where commands are registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every guild the bot is in, and DMs.
    Global,
    /// One guild only; updates show at once, which suits testing.
    Guild(u64),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Global => f.write_str("globally"),
            Scope::Guild(g) => write!(f, "for guild {g}"),
        }
    }
}

/// The whole command set, one entry per spec of the table.
pub fn commands() -> Vec<CreateCommand> {
    typed().map(command).collect()
}

pub fn command(spec: &CommandSpec) -> CreateCommand {
    let mut c = CreateCommand::new(spec.name).description(description(spec.help));
    for o in spec.options {
        c = c.add_option(option(o));
    }
    if spec.admin {
        // Hidden from members without Manage Server by default; the handler checks again, because a
        // server can override this default.
        c = c.default_member_permissions(Permissions::MANAGE_GUILD).dm_permission(false);
    }
    c
}

fn option(o: &OptSpec) -> CreateCommandOption {
    let kind = match o.kind {
        OptKind::Text | OptKind::Choice(_) => CommandOptionType::String,
        OptKind::Count { .. } => CommandOptionType::Integer,
        OptKind::Bool => CommandOptionType::Boolean,
    };
    let mut c = CreateCommandOption::new(kind, o.name, description(o.help)).required(o.required);
    match o.kind {
        OptKind::Count { min, max } => {
            c = c.min_int_value(min.min(INT_BOUND_MAX)).max_int_value(max.min(INT_BOUND_MAX));
        }
        OptKind::Choice(choices) => {
            for choice in choices.iter().take(25) {
                c = c.add_string_choice(*choice, *choice);
            }
        }
        OptKind::Text | OptKind::Bool => {}
    }
    if o.complete != Completion::None {
        c = c.set_autocomplete(true);
    }
    c
}

fn description(help: &str) -> String {
    let d = trim(help.trim(), DESCRIPTION_MAX);
    if d.is_empty() { "-".to_owned() } else { d }
}

/// Replaces the registered command set of `scope` with the table's. `http` must know the
/// application id.
pub async fn register(http: &Http, scope: Scope) -> serenity::Result<Vec<Command>> {
    match scope {
        Scope::Global => Command::set_global_commands(http, commands()).await,
        Scope::Guild(g) => GuildId::new(g).set_commands(http, commands()).await,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn all() -> Vec<Value> {
        commands().iter().map(|c| serde_json::to_value(c).unwrap()).collect()
    }

    fn find<'a>(cmds: &'a [Value], name: &str) -> &'a Value {
        cmds.iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("no /{name}"))
    }

    #[test]
    fn every_command_of_the_table_is_generated() {
        let cmds = all();
        assert_eq!(cmds.len(), typed().count());
        for (spec, c) in typed().zip(&cmds) {
            assert_eq!(c["name"], spec.name);
            let d = c["description"].as_str().unwrap();
            assert!((1..=100).contains(&d.chars().count()), "{d}");
            let opts = c["options"].as_array().unwrap();
            assert_eq!(opts.len(), spec.options.len());
            for o in opts {
                let d = o["description"].as_str().unwrap();
                assert!((1..=100).contains(&d.chars().count()), "{d}");
            }
        }
    }

    #[test]
    fn kinds_bounds_choices_and_autocomplete() {
        let cmds = all();
        let ask = find(&cmds, "ask");
        assert_eq!(ask["options"][0]["type"], 3);
        assert_eq!(ask["options"][0]["required"], true);
        assert_eq!(find(&cmds, "feature")["options"][0]["autocomplete"], true);
        let cost = find(&cmds, "cost");
        let opt = |n: &str| cost["options"].as_array().unwrap().iter().find(|o| o["name"] == n).unwrap().clone();
        assert_eq!(opt("model")["autocomplete"], true);
        assert_eq!(opt("input_tokens")["type"], 4);
        assert_eq!(opt("input_tokens")["min_value"], 0);
        assert_eq!(opt("requests")["min_value"], 1);
        assert_eq!(opt("batch")["type"], 5);
        assert_eq!(opt("per")["type"], 3);
        assert_eq!(
            opt("per")["choices"],
            json!([{"name": "day", "value": "day"}, {"name": "month", "value": "month"}])
        );
        assert_eq!(opt("per")["autocomplete"], false);
    }

    #[test]
    fn admin_commands_need_manage_server() {
        let cmds = all();
        let reindex = find(&cmds, "reindex");
        assert_eq!(reindex["default_member_permissions"], "32");
        assert_eq!(reindex["dm_permission"], false);
        assert!(find(&cmds, "ask").get("default_member_permissions").is_none());
    }

    #[test]
    fn long_descriptions_are_trimmed() {
        assert_eq!(description(&"x".repeat(150)).chars().count(), 100);
        assert_eq!(description(""), "-");
    }
}
