//! Command options: their specs (kind, limits, help), the values transports receive, and the one
//! check that turns received values into typed ones, naming the option when one does not fit.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::{CommandSpec, UsageError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptKind {
    Text,
    /// A whole number; people may write "10k", "1,000" or "2.5m".
    Count {
        min: u64,
        max: u64,
    },
    Bool,
    Choice(&'static [&'static str]),
}

/// Where autocomplete suggestions for an option come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    None,
    Feature,
    Model,
    /// A typed command's name (`/help`).
    Command,
}

#[derive(Debug, Clone, Copy)]
pub struct OptSpec {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: OptKind,
    pub required: bool,
    pub complete: Completion,
    /// On the command line, a positional argument rather than `--name VALUE`.
    pub positional: bool,
    /// Only slash commands offer it (it changes how Discord shows the reply); the command line and
    /// the shell leave it out.
    pub discord_only: bool,
}

impl OptSpec {
    pub const fn new(name: &'static str, help: &'static str, kind: OptKind) -> Self {
        OptSpec {
            name,
            help,
            kind,
            required: false,
            complete: Completion::None,
            positional: false,
            discord_only: false,
        }
    }

    pub const fn count(name: &'static str, help: &'static str, min: u64, max: u64) -> Self {
        Self::new(name, help, OptKind::Count { min, max })
    }

    pub const fn required(self) -> Self {
        OptSpec { required: true, ..self }
    }

    pub const fn positional(self) -> Self {
        OptSpec { positional: true, ..self }
    }

    pub const fn discord_only(self) -> Self {
        OptSpec { discord_only: true, ..self }
    }

    pub const fn complete(self, complete: Completion) -> Self {
        OptSpec { complete, ..self }
    }
}

/// An option value as a transport received it.
#[derive(Debug, Clone, PartialEq)]
pub enum OptValue {
    Str(String),
    Int(i64),
    Bool(bool),
}

/// A checked option value.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(String),
    Count(u64),
    Bool(bool),
    Choice(&'static str),
}

/// The options of one command, checked against its spec.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    values: Vec<(&'static str, Value)>,
}

impl Options {
    fn get(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Value::Text(s)) => Some(s),
            _ => None,
        }
    }

    pub fn count(&self, name: &str) -> Option<u64> {
        match self.get(name) {
            Some(Value::Count(n)) => Some(*n),
            _ => None,
        }
    }

    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some(Value::Bool(true)))
    }

    pub fn choice(&self, name: &str) -> Option<&'static str> {
        match self.get(name) {
            Some(Value::Choice(c)) => Some(c),
            _ => None,
        }
    }

    /// The options given, by name, in spec order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.values.iter().map(|(n, _)| *n)
    }
}

/// Checks received values against `spec`: unknown and repeated options are refused, each value is
/// converted to its kind, required options must be there.
pub fn check(spec: &CommandSpec, given: &[(String, OptValue)]) -> Result<Options, UsageError> {
    let mut values: Vec<(&'static str, Value)> = Vec::new();
    for (name, value) in given {
        let Some(o) = spec.options.iter().find(|o| o.name == name) else {
            return Err(UsageError(format!("/{} has no option `{name}`; options: {}", spec.name, option_names(spec))));
        };
        if values.iter().any(|(n, _)| *n == o.name) {
            return Err(UsageError(format!("option `{}` is given twice; give it once", o.name)));
        }
        values.push((o.name, convert(o, value)?));
    }
    for o in spec.options.iter().filter(|o| o.required) {
        if !values.iter().any(|(n, _)| *n == o.name) {
            return Err(UsageError(format!("/{} needs `{}`: {}", spec.name, o.name, o.help)));
        }
    }
    values.sort_by_key(|(n, _)| spec.options.iter().position(|o| o.name == *n));
    Ok(Options { values })
}

pub fn option_names(spec: &CommandSpec) -> String {
    if spec.options.is_empty() {
        return "none".into();
    }
    spec.options.iter().map(|o| o.name).collect::<Vec<_>>().join(", ")
}

fn convert(o: &OptSpec, value: &OptValue) -> Result<Value, UsageError> {
    let bad = |why: String| UsageError(format!("option `{}`: {why}", o.name));
    match (o.kind, value) {
        (OptKind::Text, OptValue::Str(s)) => Ok(Value::Text(s.clone())),
        (OptKind::Text, OptValue::Int(i)) => Ok(Value::Text(i.to_string())),
        (OptKind::Text, OptValue::Bool(b)) => Ok(Value::Text(b.to_string())),
        (OptKind::Count { min, max }, v) => {
            let n = match v {
                OptValue::Int(i) => u64::try_from(*i).map_err(|_| bad(format!("must be at least {min}, got {i}")))?,
                OptValue::Str(s) => parse_count(s).map_err(bad)?,
                OptValue::Bool(_) => return Err(bad("expected a whole number".into())),
            };
            if n < min {
                return Err(bad(format!("must be at least {min}, got {n}")));
            }
            if n > max {
                return Err(bad(format!("must be at most {max}, got {n}")));
            }
            Ok(Value::Count(n))
        }
        (OptKind::Bool, OptValue::Bool(b)) => Ok(Value::Bool(*b)),
        (OptKind::Bool, OptValue::Str(s)) => match s.trim().to_lowercase().as_str() {
            "" | "true" | "yes" | "on" | "1" => Ok(Value::Bool(true)),
            "false" | "no" | "off" | "0" => Ok(Value::Bool(false)),
            _ => Err(bad(format!("expected true or false, got {s:?}"))),
        },
        (OptKind::Bool, OptValue::Int(i)) => match i {
            0 => Ok(Value::Bool(false)),
            1 => Ok(Value::Bool(true)),
            _ => Err(bad(format!("expected true or false, got {i}"))),
        },
        (OptKind::Choice(choices), v) => {
            let s = match v {
                OptValue::Str(s) => s.trim().to_lowercase(),
                other => return Err(bad(format!("expected one of {}, got {other:?}", choices.join(", ")))),
            };
            let canonical = match s.as_str() {
                "daily" => "day",
                "monthly" => "month",
                other => other,
            };
            choices
                .iter()
                .find(|c| **c == canonical)
                .map(|c| Value::Choice(c))
                .ok_or_else(|| bad(format!("expected one of {}, got {s:?}", choices.join(", "))))
        }
    }
}

/// Parses a count as people type it: "1000", "1,000", "1_000", "10k", "2.5m", "1.5b", exactly (in
/// decimal, so "1.001k" is 1001 and "1.0001k" is not a whole number).
pub fn parse_count(s: &str) -> Result<u64, String> {
    let t = s.trim().replace([',', '_'], "").to_lowercase();
    let (num, mult) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1_000u64),
        Some('m') => (&t[..t.len() - 1], 1_000_000),
        Some('b') => (&t[..t.len() - 1], 1_000_000_000),
        _ => (t.as_str(), 1),
    };
    if num.is_empty() || num.starts_with('+') {
        return Err(format!("expected a number, got {s:?}"));
    }
    if num.starts_with('-') {
        return Err(format!("must not be negative, got {s:?}"));
    }
    if num.bytes().all(|b| b.is_ascii_digit()) {
        return num.parse::<u64>().ok().and_then(|n| n.checked_mul(mult)).ok_or_else(|| format!("{s:?} is too large"));
    }
    if !num.bytes().all(|b| b.is_ascii_digit() || b == b'.') || num.matches('.').count() > 1 {
        return Err(format!("expected a number, got {s:?}"));
    }
    // A decimal point: exact decimal arithmetic decides whether the value is whole.
    let d = Decimal::from_str(num).map_err(|_| format!("{s:?} is too large"))?;
    let v = d.checked_mul(Decimal::from(mult)).ok_or_else(|| format!("{s:?} is too large"))?;
    if !v.fract().is_zero() {
        return Err(format!("expected a whole number, got {s:?}"));
    }
    u64::try_from(v.trunc()).map_err(|_| format!("{s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_as_people_type_them() {
        for (s, want) in
            [("10k", 10_000), ("2.5m", 2_500_000), ("1_000", 1000), ("1,000", 1000), ("1.001k", 1001), ("0.5k", 500)]
        {
            assert_eq!(parse_count(s), Ok(want), "{s}");
        }
        for (s, why) in [
            ("1.5", "whole number"),
            ("1.0001k", "whole number"),
            ("", "expected a number"),
            ("-5", "negative"),
            ("lots", "expected a number"),
            ("9223372036854775808000", "too large"),
            ("18446744073709551616", "too large"),
            ("99999999999b", "too large"),
            ("1e3", "expected a number"),
        ] {
            let e = parse_count(s).unwrap_err();
            assert!(e.contains(why), "{s}: {e}");
        }
        assert_eq!(parse_count("9223372036854775808"), Ok(9_223_372_036_854_775_808));
    }
}
