//! The shell's (and a mention's) command line: `/name options...` or a plain question.

use super::options::{OptKind, OptValue, option_names};
use super::{Invocation, UsageError, Via, spec, unknown_command};

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
    // Buttons are pressed, not typed.
    let Some(spec) = spec(&name).filter(|s| s.via == Via::Typed) else { return Err(unknown_command(&name)) };
    let mut inv = Invocation { name: spec.name.to_owned(), options: Vec::new() };
    if args.is_empty() {
        return Ok(inv);
    }
    // A command of one option takes its value unnamed: a text option the whole line (`/ask`), any
    // other one word (`/gaps 7`). `/cost` options are always named. (Options that only slash
    // commands show do not count: `/ask` takes the line.)
    let typed_options = spec.options.iter().filter(|o| !o.discord_only).count();
    let only = spec.options.first().filter(|_| typed_options == 1);
    let starts_with_option = spec.options.iter().any(|o| {
        let a = args.to_lowercase();
        a.starts_with(&format!("{}:", o.name)) || a.starts_with(&format!("{}=", o.name))
    });
    if let (Some(o), false) = (only, starts_with_option) {
        if o.kind == OptKind::Text {
            inv.options.push((o.name.to_owned(), OptValue::Str(unquote(args))));
            return Ok(inv);
        }
        if o.kind != OptKind::Bool && !args.contains([':', '=']) && !args.contains(char::is_whitespace) {
            inv.options.push((o.name.to_owned(), OptValue::Str(args.to_owned())));
            return Ok(inv);
        }
    }
    for word in split_args(args)? {
        let (key, value) = match word.split_once([':', '=']) {
            Some((k, v)) => (option_key(k), Some(v.to_owned())),
            None => (option_key(&word), None),
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

/// The option a typed key names: `--input-tokens`, `Input_Tokens` and `input_tokens` alike.
pub fn option_key(key: &str) -> String {
    key.trim_start_matches('-').to_lowercase().replace('-', "_")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::Command;

    fn cmd(line: &str) -> Result<Command, UsageError> {
        Command::from_invocation(&parse_line(line)?)
    }

    fn question(c: Command) -> String {
        match c {
            Command::Ask(a) => a.question,
            other => panic!("not a question: {other:?}"),
        }
    }

    #[test]
    fn plain_text_is_a_question() {
        assert_eq!(question(cmd("does the API have memory?").unwrap()), "does the API have memory?");
    }

    #[test]
    fn ask_takes_the_rest_of_the_line_even_with_colons() {
        assert_eq!(question(cmd("/ask Memory: ChatGPT or API?").unwrap()), "Memory: ChatGPT or API?");
        assert_eq!(question(cmd("/ask question:\"hi there\"").unwrap()), "hi there");
    }

    #[test]
    fn unknown_command_lists_the_known_ones() {
        let e = cmd("/frobnicate").unwrap_err().to_string();
        assert!(e.contains("/frobnicate") && e.contains("/ask") && e.contains("/reindex"), "{e}");
    }

    #[test]
    fn a_single_option_takes_a_bare_value() {
        let inv = parse_line("/gaps 7").unwrap();
        assert_eq!(inv.options, vec![("days".to_owned(), OptValue::Str("7".into()))]);
        assert_eq!(parse_line("/stats days:3").unwrap().options, vec![("days".to_owned(), OptValue::Str("3".into()))]);
        // Still checked as the option's kind, and several words are not one value.
        assert!(cmd("/gaps seven").is_err());
        assert!(parse_line("/gaps 7 8").is_err());
    }

    #[test]
    fn bad_options_are_named() {
        for (line, want) in [
            ("/cost input_tokens:-5", "input_tokens"),
            ("/cost input_tokens:lots", "input_tokens"),
            ("/cost requests:0", "at least 1"),
            ("/cost input_tokens:99999999999999999999999", "too large"),
            ("/cost colour:red", "colour"),
            ("/cost model:4o model:3.5 input_tokens:5", "`model` is given twice"),
            ("/cost text:\"unclosed", "unclosed quote"),
            ("/cost input_tokens", "needs a value"),
        ] {
            let e = cmd(line).unwrap_err().to_string();
            assert!(e.contains(want), "{line}: {e}");
        }
    }
}
