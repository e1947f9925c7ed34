//! What `bot.toml` and `PRODUCTBOT__*` variables may hold, checked strictly before the `config` crate
//! merges them: every problem at once, each naming its file and line or its variable, and never a
//! silent coercion (`guild_id = 12.7`, `guild_id = true` and an id past `u64` are refused, not rounded,
//! read as 1 or saturated). The value of a `token` line is never quoted back.

use std::path::Path;

use crate::corpus::diag::{self, Diagnostic, Reader, Table, Value};

/// What one setting holds.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Bool,
    /// A whole number in `min..=max`.
    Count {
        min: u64,
        max: u64,
    },
    /// A Discord id (snowflake): a whole number from 1, or the same digits as a string.
    Id,
    /// An array of ids (in the environment: comma-separated).
    Ids,
    Text,
    /// An array of strings.
    Texts,
    /// A table whose keys are Discord ids, each a table of these settings (`[guilds.ID]`).
    Blocks(&'static [(&'static str, Kind)]),
    /// `"auto"`, a count from 1, or a range `"FIRST-LAST/TOTAL"`.
    Shards,
    Table(&'static [(&'static str, Kind)]),
    /// Checked by its own loader (the price table).
    Opaque,
}

const ANY: u64 = u64::MAX;

const COOLDOWN: Kind = Kind::Table(&[
    ("questions", Kind::Count { min: 1, max: u32::MAX as u64 }),
    ("seconds", Kind::Count { min: 0, max: 86_400 * 365 }),
]);

/// What a `[guilds.ID]` block may set: its own corpus, channels and roles (README "Several servers").
const GUILD: &[(&str, Kind)] = &[
    ("corpus", Kind::Text),
    ("help_channels", Kind::Ids),
    ("forum_channels", Kind::Ids),
    ("admin_roles", Kind::Ids),
    ("support_role", Kind::Id),
    ("support_channel", Kind::Id),
    ("cooldown", COOLDOWN),
    ("channels", Kind::Blocks(&[("articles", Kind::Texts)])),
];

/// Every setting, by section.
pub const SCHEMA: &[(&str, Kind)] = &[
    (
        "corpus",
        Kind::Table(&[
            ("dir", Kind::Text),
            ("watch", Kind::Bool),
            ("watch_debounce_ms", Kind::Count { min: 0, max: ANY }),
        ]),
    ),
    (
        "index",
        Kind::Table(&[
            ("dir", Kind::Text),
            ("threads", Kind::Count { min: 1, max: 64 }),
            ("poll_ms", Kind::Count { min: 0, max: ANY }),
        ]),
    ),
    ("pricing", Kind::Opaque),
    (
        "conversation",
        Kind::Table(&[("turns", Kind::Count { min: 0, max: 1_000 }), ("minutes", Kind::Count { min: 1, max: 10_080 })]),
    ),
    (
        "http",
        Kind::Table(&[
            ("listen", Kind::Text),
            ("timeout_s", Kind::Count { min: 1, max: 300 }),
            ("max_connections", Kind::Count { min: 1, max: 1_000_000 }),
        ]),
    ),
    (
        "analytics",
        Kind::Table(&[
            ("enabled", Kind::Bool),
            ("database", Kind::Text),
            ("store_questions", Kind::Bool),
            ("retention_days", Kind::Count { min: 1, max: 36_500 }),
            ("key_file", Kind::Text),
        ]),
    ),
    (
        "discord",
        Kind::Table(&[
            ("token", Kind::Text),
            ("application_id", Kind::Id),
            ("register_on_start", Kind::Bool),
            ("guild_id", Kind::Id),
            ("admin_users", Kind::Ids),
            ("admin_roles", Kind::Ids),
            ("shards", Kind::Shards),
            ("api_proxy", Kind::Text),
            ("http_timeout_s", Kind::Count { min: 1, max: 600 }),
            ("ready_timeout_s", Kind::Count { min: 1, max: 3600 }),
            ("answer_in_thread", Kind::Bool),
            ("message_content", Kind::Bool),
            ("forum_channels", Kind::Ids),
            ("support_role", Kind::Id),
            ("support_channel", Kind::Id),
            ("help_channels", Kind::Ids),
            ("gateway", Kind::Bool),
            ("cooldown", COOLDOWN),
        ]),
    ),
    ("guilds", Kind::Blocks(GUILD)),
];

/// Keys whose values are secrets: never quoted in a message.
const SECRET_KEYS: &[&str] = &["token"];

/// Checks a config file's text against [`SCHEMA`].
pub fn check_file(path: &Path, text: &str) -> Vec<Diagnostic> {
    let mut r = Reader::new(path, text);
    let root = r.parse();
    check_table(&mut r, &root, SCHEMA, "");
    let mut d = r.into_diagnostics();
    d.sort_by_key(|d| d.line);
    // Belt and braces: a malformed `token` line can parse as anything (a key, a table), so any run
    // of its value's characters that a message repeats is masked.
    let secrets = token_values(text);
    for diag in &mut d {
        for secret in &secrets {
            if diag.message.contains(secret.as_str()) {
                diag.message = diag.message.replace(secret.as_str(), "***");
            }
        }
    }
    d
}

/// The value (4+ characters) of every line whose key is `token` (the last dotted part of what comes
/// before its first `=`: `token`, `discord.token`, `"token"`, or the tail of a line the parser reads
/// as one long key), and the value's word-like runs of 4+ characters.
fn token_values(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        if s.chars().count() >= 4 && !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    };
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else { continue };
        let last = key.rsplit('.').next().unwrap_or_default().trim().trim_matches(['"', '\'']);
        if last != "token" {
            continue;
        }
        // The whole value, its quoted part, then its word-like runs (a message may quote any).
        let whole = value.trim();
        push(whole);
        if let Some(q) = whole.chars().next().filter(|c| matches!(c, '"' | '\''))
            && let Some(inner) = whole[1..].split(q).next()
        {
            push(inner.trim_end());
        }
        for run in
            value.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '{' | '}' | '[' | ']' | ',' | '='))
        {
            push(run);
        }
    }
    // Longest first, so a run inside another is masked as part of it.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

fn check_table(r: &mut Reader<'_>, table: &Table<'_>, schema: &[(&str, Kind)], prefix: &str) {
    let known: Vec<&str> = schema.iter().map(|(k, _)| *k).collect();
    let what = if prefix.is_empty() { "the config".to_owned() } else { format!("[{prefix}]") };
    r.unknown_keys(table, &known, &what);
    for (name, kind) in schema {
        let Some((_, v)) = diag::get(table, name) else { continue };
        let key = if prefix.is_empty() { (*name).to_owned() } else { format!("{prefix}.{name}") };
        check_value(r, v, *kind, &key);
    }
}

fn check_value(r: &mut Reader<'_>, v: &Value<'_>, kind: Kind, key: &str) {
    let shown = |v: &Value<'_>| -> String {
        if SECRET_KEYS.iter().any(|s| key.ends_with(s)) { v.get_ref().type_str().to_owned() } else { describe(v) }
    };
    let problem = match kind {
        Kind::Opaque => None,
        Kind::Table(schema) => {
            if let Some(t) = r.table(v, key) {
                check_table(r, t, schema, key);
            }
            None
        }
        Kind::Bool => {
            v.get_ref().as_bool().is_none().then(|| format!("`{key}` must be true or false, not {}", shown(v)))
        }
        Kind::Text => v.get_ref().as_str().is_none().then(|| format!("`{key}` must be a string, not {}", shown(v))),
        Kind::Texts => match v.get_ref().as_array() {
            Some(items) => {
                for item in items.iter().filter(|i| i.get_ref().as_str().is_none()) {
                    r.error(item.span(), format!("`{key}`: each must be a string, not {}", describe(item)));
                }
                None
            }
            None => Some(format!("`{key}` must be an array of strings, not {}", shown(v))),
        },
        Kind::Blocks(schema) => {
            if let Some(t) = r.table(v, key) {
                for (k, block) in t.iter() {
                    let id = k.get_ref();
                    if let Err(m) = parse_id(id) {
                        r.error(k.span(), format!("`{key}.{id}`: the key {m}"));
                        continue;
                    }
                    let inner = format!("{key}.{id}");
                    if let Some(b) = r.table(block, &inner) {
                        check_table(r, b, schema, &inner);
                    }
                }
            }
            None
        }
        Kind::Count { min, max } => match integer(v) {
            Some(n) if (min as i128..=max as i128).contains(&n) => None,
            Some(n) => Some(format!("`{key}` must be {}, not {n}", range(min, max))),
            None => Some(format!("`{key}` must be a whole number, not {}", shown(v))),
        },
        Kind::Id => id(v).err().map(|m| format!("`{key}` {m}")),
        Kind::Ids => match v.get_ref().as_array() {
            None => Some(format!("`{key}` must be an array of Discord ids, not {}", shown(v))),
            Some(items) => {
                for item in items.iter() {
                    if let Err(m) = id(item) {
                        r.error(item.span(), format!("`{key}`: each {m}"));
                    }
                }
                None
            }
        },
        Kind::Shards => match (v.get_ref().as_str(), integer(v)) {
            (Some(s), _) => parse_shards(s).err().map(|m| format!("`{key}` {m}")),
            (None, Some(n)) if n >= 1 && n <= u32::MAX as i128 => None,
            _ => Some(format!("`{key}` {SHARDS_HELP}, not {}", shown(v))),
        },
    };
    if let Some(p) = problem {
        r.error(v.span(), p);
    }
}

const SHARDS_HELP: &str = "must be \"auto\", a count from 1, or a range \"FIRST-LAST/TOTAL\" such as \"0-3/16\"";

/// How a setting's kind reads in a message.
fn range(min: u64, max: u64) -> String {
    match (min, max) {
        (0, ANY) => "a whole number".into(),
        (m, ANY) => format!("a whole number from {m}"),
        (m, x) => format!("a whole number from {m} to {x}"),
    }
}

/// An integer value (any radix, `_` separators), or none for other types.
fn integer(v: &Value<'_>) -> Option<i128> {
    match v.get_ref() {
        toml::de::DeValue::Integer(i) => {
            let digits: String = i.as_str().chars().filter(|c| *c != '_').collect();
            let (sign, digits) = match digits.strip_prefix('-') {
                Some(d) => (-1, d.to_owned()),
                None => (1, digits.trim_start_matches('+').to_owned()),
            };
            let digits = digits.trim_start_matches("0x").trim_start_matches("0o").trim_start_matches("0b");
            i128::from_str_radix(digits, i.radix()).ok().map(|n| sign * n)
        }
        _ => None,
    }
}

fn id(v: &Value<'_>) -> Result<u64, String> {
    let text = match (integer(v), v.get_ref().as_str()) {
        (Some(n), _) => n.to_string(),
        (None, Some(s)) => s.trim().to_owned(),
        _ => return Err(format!("must be a Discord id (a whole number), not {}", describe(v))),
    };
    parse_id(&text)
}

/// A Discord id from text: digits, from 1, within 64 bits.
pub fn parse_id(text: &str) -> Result<u64, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("must be a Discord id (a whole number), not {:?}", clip(text)));
    }
    match text.parse::<u64>() {
        Ok(0) => Err("must be a Discord id from 1, not 0".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("is too large for a Discord id: {}", clip(text))),
    }
}

/// A shard setting: "auto", a count, or "FIRST-LAST/TOTAL".
pub fn parse_shards(s: &str) -> Result<super::Shards, String> {
    use super::Shards;
    let s = s.trim();
    if s.eq_ignore_ascii_case("auto") {
        return Ok(Shards::Auto);
    }
    let bad = || format!("{SHARDS_HELP}, not {:?}", clip(s));
    if let Some((range, total)) = s.split_once('/') {
        let (first, last) = range.split_once('-').ok_or_else(bad)?;
        let num = |t: &str| t.trim().parse::<u32>().map_err(|_| bad());
        let (first, last, total) = (num(first)?, num(last)?, num(total)?);
        if total == 0 || first > last || last >= total {
            return Err(format!(
                "must be a range FIRST-LAST/TOTAL with FIRST <= LAST < TOTAL (shards are numbered from 0), not {s:?}"
            ));
        }
        return Ok(Shards::Range { first, last, total });
    }
    match s.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(Shards::Fixed(n)),
        _ => Err(bad()),
    }
}

/// Checks one `PRODUCTBOT__*` variable; `path` is its setting ("discord.guild_id").
pub fn check_env(var: &str, path: &str, value: &str) -> Result<(), String> {
    let mut schema = SCHEMA;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let known: Vec<&str> = schema.iter().map(|(k, _)| *k).collect();
        let Some((_, kind)) = schema.iter().find(|(k, _)| k == part) else {
            let hint = diag::suggestion(part, known.iter().copied());
            return Err(format!("{var}: no setting `{path}`{hint}"));
        };
        let last = i + 1 == parts.len();
        match (kind, last) {
            (Kind::Opaque, _) => return Ok(()),
            (Kind::Blocks(_), _) => {
                return Err(format!("{var}: `{}` blocks are set in the config file, not the environment", parts[0]));
            }
            (Kind::Table(inner), false) => schema = inner,
            (Kind::Table(_), true) => return Err(format!("{var}: `{path}` is a section, not a setting")),
            (_, false) => return Err(format!("{var}: `{}` has no settings under it", parts[..=i].join("."))),
            (kind, true) => return check_env_value(&format!("{var} (`{path}`)"), *kind, value),
        }
    }
    Ok(())
}

fn check_env_value(var: &str, kind: Kind, value: &str) -> Result<(), String> {
    let v = value.trim();
    let secret = var.to_ascii_lowercase().contains("token");
    let shown = if secret { "the value given".to_owned() } else { format!("{:?}", clip(v)) };
    match kind {
        Kind::Bool if matches!(v.to_ascii_lowercase().as_str(), "true" | "false") => Ok(()),
        Kind::Bool => Err(format!("{var} must be true or false, not {shown}")),
        Kind::Text | Kind::Texts | Kind::Opaque | Kind::Table(_) | Kind::Blocks(_) => Ok(()),
        Kind::Count { min, max } => match v.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(()),
            _ => Err(format!("{var} must be {}, not {shown}", range(min, max))),
        },
        Kind::Id => parse_id(v).map(|_| ()).map_err(|m| format!("{var} {m}")),
        Kind::Ids => {
            for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                parse_id(part).map_err(|m| format!("{var}: each {m}"))?;
            }
            Ok(())
        }
        Kind::Shards => parse_shards(v).map(|_| ()).map_err(|m| format!("{var} {m}")),
    }
}

/// A value as a message shows it: its type, and short scalars themselves.
fn describe(v: &Value<'_>) -> String {
    use toml::de::DeValue;
    match v.get_ref() {
        DeValue::Integer(i) => format!("integer {}", i.as_str()),
        DeValue::Float(f) => format!("float {}", f.as_str()),
        DeValue::Boolean(b) => format!("boolean {b}"),
        DeValue::String(s) => format!("string {:?}", clip(s)),
        other => other.type_str().to_owned(),
    }
}

fn clip(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}
