//! The command line, generated from the command table: each table command is a subcommand whose
//! options are `--name VALUE` flags (a positional argument where the spec says so), with the spec's
//! help. Values stay text; the table checks them exactly as it checks the shell's and Discord's.

use clap::{Arg, ArgAction, ArgMatches};

use super::{CommandSpec, Invocation, OptKind, OptValue, typed};

/// The flag every table subcommand takes.
pub const JSON: &str = "json";
/// `--png FILE`: commands whose reply can carry a chart write it there.
pub const PNG: &str = "png";
/// `ask --record`: record the answer in the analytics database, as the shell and Discord do.
pub const RECORD: &str = "record";

/// One clap subcommand per typed table command (`/help` is clap's own `--help`).
pub fn subcommands() -> Vec<clap::Command> {
    typed().filter(|c| c.name != "help").map(subcommand).collect()
}

/// An option's name as a command-line flag, without the dashes: `input_tokens` -> `input-tokens`.
pub fn long_flag(name: &str) -> String {
    name.replace('_', "-")
}

fn subcommand(spec: &CommandSpec) -> clap::Command {
    let mut cmd = clap::Command::new(spec.name).about(spec.help);
    for o in spec.options.iter().filter(|o| !o.discord_only) {
        let mut arg = Arg::new(o.name).help(o.help);
        arg = if o.positional {
            arg.value_name(o.name.to_uppercase()).required(o.required).allow_hyphen_values(true)
        } else if o.kind == OptKind::Bool {
            arg.long(long_flag(o.name)).action(ArgAction::SetTrue)
        } else {
            arg.long(long_flag(o.name)).value_name(value_name(o.kind)).allow_hyphen_values(true)
        };
        cmd = cmd.arg(arg);
    }
    if !spec.examples.is_empty() {
        let lines: Vec<String> = spec.examples.iter().map(|e| format!("Example (shell or Discord): {e}")).collect();
        cmd = cmd.after_help(lines.join("\n"));
    }
    if spec.chart {
        cmd = cmd.arg(
            Arg::new(PNG)
                .long(PNG)
                .value_name("FILE")
                .value_parser(clap::value_parser!(std::path::PathBuf))
                .help("Also draw the chart to this PNG file"),
        );
    }
    if spec.name == "ask" {
        cmd = cmd.arg(
            Arg::new(RECORD)
                .long(RECORD)
                .action(ArgAction::SetTrue)
                .help("Record the answer in the analytics database (as the shell and Discord do)"),
        );
    }
    cmd.arg(Arg::new(JSON).long(JSON).action(ArgAction::SetTrue).help("Print JSON instead of text"))
}

fn value_name(kind: OptKind) -> &'static str {
    match kind {
        OptKind::Count { .. } => "N",
        OptKind::Choice(_) => "CHOICE",
        _ => "TEXT",
    }
}

/// The invocation a parsed subcommand stands for.
pub fn invocation(spec: &CommandSpec, m: &ArgMatches) -> Invocation {
    let mut options = Vec::new();
    for o in spec.options.iter().filter(|o| !o.discord_only) {
        if o.kind == OptKind::Bool {
            if m.get_flag(o.name) {
                options.push((o.name.to_owned(), OptValue::Bool(true)));
            }
        } else if let Some(v) = m.get_one::<String>(o.name) {
            options.push((o.name.to_owned(), OptValue::Str(v.clone())));
        }
    }
    Invocation { name: spec.name.to_owned(), options }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{Command, spec};

    fn parse(args: &[&str]) -> Result<Command, String> {
        let app = clap::Command::new("productbot").subcommands(subcommands());
        let m = app.try_get_matches_from(args).map_err(|e| e.to_string())?;
        let (name, sub) = m.subcommand().unwrap();
        Command::from_invocation(&invocation(spec(name).unwrap(), sub)).map_err(|e| e.to_string())
    }

    #[test]
    fn every_table_option_is_a_flag_with_its_help() {
        let app = clap::Command::new("productbot").subcommands(subcommands());
        app.clone().debug_assert();
        let cost = app.find_subcommand("cost").unwrap();
        for o in spec("cost").unwrap().options {
            let arg = cost.get_arguments().find(|a| a.get_id() == o.name).unwrap();
            assert_eq!(arg.get_help().map(|h| h.to_string()).as_deref(), Some(o.help));
        }
    }

    #[test]
    fn values_are_checked_by_the_table() {
        assert!(matches!(parse(&["productbot", "ask", "does it?"]), Ok(Command::Ask(_))));
        assert!(matches!(parse(&["productbot", "cost", "--input-tokens", "10k", "--batch"]), Ok(Command::Cost(_))));
        let e = parse(&["productbot", "cost", "--input-tokens", "-5"]).unwrap_err();
        assert!(e.contains("input_tokens") && e.contains("negative"), "{e}");
    }
}
