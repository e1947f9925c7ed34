//! Prices as corpus data: `NAME.prices.toml` beside the article `NAME.md` (the vendor's prices that
//! article quotes), or a plain `prices.toml` for the whole corpus. Each file holds what bot.toml's
//! `[pricing]` used to: `as_of`, `source`, the product ids it prices, models (per-million-token
//! prices, cached input, tokenizer, aliases), plans, `compare_plan` and the batch discount. Every
//! problem is reported with its line, and model names are checked across files.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use toml::de::DeValue;

use super::diag::{Diagnostic, Reader, Table, Value, get, suggestion};
use crate::cost::{CostError, ModelPriceConfig, PlanConfig, PriceTable, PricingConfig};

/// The corpus-wide price file.
pub const PRICES_FILE: &str = "prices.toml";
/// The suffix of an article's price file: `NAME.prices.toml` prices the article `NAME.md`.
pub const PRICES_SUFFIX: &str = ".prices.toml";

/// Whether `name` is a price file's name.
pub fn is_price_file(name: &str) -> bool {
    name == PRICES_FILE || (name.ends_with(PRICES_SUFFIX) && name.len() > PRICES_SUFFIX.len())
}

/// One price file, parsed and checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceFile {
    /// The file's name in the corpus directory.
    pub file: String,
    /// The article it belongs to (`NAME` of `NAME.prices.toml`); `None` for `prices.toml`.
    pub doc: Option<String>,
    pub prices: PricingConfig,
}

impl PriceFile {
    /// The validated table, labelled with its file and article.
    pub fn table(&self) -> Result<PriceTable, Vec<CostError>> {
        Ok(self.prices.check("")?.labelled(&self.file, self.doc.as_deref()))
    }
}

/// The corpus's price files as one table, after `overrides` (bot.toml's `[pricing]`, which wins
/// over a model of the same name), with the models that were overridden.
pub fn combined(files: &[PriceFile], overrides: &PriceTable) -> (PriceTable, Vec<String>) {
    let corpus = files.iter().filter_map(|f| f.table().ok());
    PriceTable::combine(std::iter::once(overrides.clone()).chain(corpus))
}

const TOP_KEYS: &[&str] =
    &["as_of", "source", "products", "batch_discount_percent", "default_model", "compare_plan", "models", "plans"];
const MODEL_KEYS: &[&str] = &["input_per_mtok", "cached_input_per_mtok", "output_per_mtok", "tokenizer", "aliases"];
const PLAN_KEYS: &[&str] = &["name", "usd_per_month", "caveat"];

/// Parses one price file; `docs` are the ids of the corpus's articles (a `NAME.prices.toml` needs
/// `NAME`). Every problem is reported, each with its line.
pub fn parse(path: &Path, text: &str, docs: &[&str]) -> Result<PriceFile, Vec<Diagnostic>> {
    match read(path, text, docs) {
        (file, problems) if problems.is_empty() => Ok(file),
        (_, problems) => Err(problems),
    }
}

/// The file as far as it could be read (what is missing or unreadable stands in neutrally, so the
/// checks across files still run on it), with every problem found.
pub fn read(path: &Path, text: &str, docs: &[&str]) -> (PriceFile, Vec<Diagnostic>) {
    let file = path.file_name().and_then(|n| n.to_str()).unwrap_or(PRICES_FILE).to_owned();
    let mut r = Reader::new(path, text);
    let root = r.parse();
    r.unknown_keys(&root, TOP_KEYS, &file);
    let doc = file.strip_suffix(PRICES_SUFFIX).map(str::to_owned);
    if let Some(d) = &doc
        && !docs.contains(&d.as_str())
    {
        let hint = suggestion(d, docs.iter().copied());
        r.error(0..0, format!("no article `{d}` for this price file (it prices `{d}.md` or `{d}.txt`){hint}"));
    }
    // Where each key path is written, for the table's own checks below.
    let mut lines: HashMap<String, usize> = HashMap::new();
    let mut note = |r: &Reader, path: String, span: std::ops::Range<usize>| {
        lines.insert(path, r.line_of(span.start));
    };
    let string = |r: &mut Reader, key: &str| -> Option<String> {
        match get(&root, key) {
            Some((_, v)) => r.string(v, key),
            None => {
                r.error(0..0, format!("needs `{key}`"));
                None
            }
        }
    };
    let as_of = string(&mut r, "as_of");
    let source = string(&mut r, "source");
    let default_model = string(&mut r, "default_model");
    let compare_plan = get(&root, "compare_plan").and_then(|(_, v)| r.string(v, "compare_plan"));
    let products = match get(&root, "products") {
        Some((_, v)) => r.strings(v, "products").unwrap_or_default(),
        None => {
            r.error(0..0, "needs `products`: the product ids these prices are for (e.g. products = [\"api\"])");
            Vec::new()
        }
    };
    let batch = match get(&root, "batch_discount_percent") {
        Some((_, v)) => decimal(&mut r, v, "batch_discount_percent"),
        None => Some(Decimal::ZERO),
    };
    for key in ["as_of", "source", "products", "batch_discount_percent", "default_model", "compare_plan"] {
        if let Some((k, _)) = get(&root, key) {
            note(&r, key.to_owned(), k.span());
        }
    }
    let mut models = BTreeMap::new();
    if let Some((k, v)) = get(&root, "models") {
        note(&r, "models".into(), k.span());
        if let Some(t) = r.table(v, "models") {
            for (name, v) in t.iter() {
                let base = format!("models.{}", crate::cost::key_segment(name.get_ref()));
                note(&r, base.clone(), name.span());
                let Some(m) = r.table(v, &base) else { continue };
                if let Some(m) = model(&mut r, m, v, &base, &mut note) {
                    models.insert(name.get_ref().to_string(), m);
                }
            }
        }
    } else {
        r.error(0..0, "needs [models.NAME] tables (input_per_mtok, output_per_mtok, tokenizer)");
    }
    let mut plans = BTreeMap::new();
    if let Some((_, v)) = get(&root, "plans")
        && let Some(t) = r.table(v, "plans")
    {
        for (key, v) in t.iter() {
            let base = format!("plans.{}", crate::cost::key_segment(key.get_ref()));
            note(&r, base.clone(), key.span());
            let Some(p) = r.table(v, &base) else { continue };
            r.unknown_keys(p, PLAN_KEYS, &format!("[{base}]"));
            for (k, _) in p.iter() {
                note(&r, format!("{base}.{}", k.get_ref()), k.span());
            }
            let name = match get(p, "name") {
                Some((_, v)) => r.string(v, "name"),
                None => {
                    r.error(key.span(), format!("[{base}] needs `name`"));
                    None
                }
            };
            let usd = match get(p, "usd_per_month") {
                Some((_, v)) => decimal(&mut r, v, "usd_per_month"),
                None => {
                    r.error(key.span(), format!("[{base}] needs `usd_per_month`"));
                    None
                }
            };
            let caveat = get(p, "caveat").and_then(|(_, v)| r.string(v, "caveat"));
            if let (Some(name), Some(usd_per_month)) = (name, usd) {
                plans.insert(key.get_ref().to_string(), PlanConfig { name, usd_per_month, caveat });
            }
        }
    }
    let mut diagnostics = r.into_diagnostics();
    // What is missing or unreadable is reported above; the table's own checks run all the same
    // (with neutral stand-ins), so a file's problems come in one report, not in rounds.
    let complete = as_of.is_some() && source.is_some() && default_model.is_some() && batch.is_some();
    let default_missing = default_model.is_none();
    let prices = PricingConfig {
        as_of: as_of.unwrap_or_default(),
        source: source.unwrap_or_default(),
        batch_discount_percent: batch.unwrap_or_default(),
        default_model: default_model.unwrap_or_default(),
        products: products.iter().map(|p| p.trim().to_owned()).collect(),
        models,
        plans,
        compare_plan,
    };
    // The table's own checks (negative prices, tokenizers, aliases used twice, the default model
    // and plan), each at the line of the key it names.
    if let Err(errors) = prices.check("") {
        for e in errors {
            let (key, message) = match &e {
                CostError::InvalidConfig { key, reason } => (key.as_str(), reason.clone()),
                other => ("", other.to_string()),
            };
            if default_missing && key == "default_model" {
                continue;
            }
            let line = line_of_key(&lines, key);
            diagnostics.push(Diagnostic { path: path.to_owned(), line, message: format!("`{key}` {message}") });
        }
    }
    debug_assert!(complete || !diagnostics.is_empty(), "a missing key is reported");
    (PriceFile { file, doc, prices }, diagnostics)
}

/// The line of `key`, or of the nearest enclosing key written in the file.
fn line_of_key(lines: &HashMap<String, usize>, key: &str) -> usize {
    let mut k = key;
    loop {
        if let Some(&l) = lines.get(k) {
            return l;
        }
        match k.rfind('.') {
            Some(i) => k = &k[..i],
            None => return 1,
        }
    }
}

fn model(
    r: &mut Reader,
    t: &Table,
    v: &Value,
    base: &str,
    note: &mut impl FnMut(&Reader, String, std::ops::Range<usize>),
) -> Option<ModelPriceConfig> {
    r.unknown_keys(t, MODEL_KEYS, &format!("[{base}]"));
    for (k, _) in t.iter() {
        note(r, format!("{base}.{}", k.get_ref()), k.span());
    }
    let required = |r: &mut Reader, key: &str| -> Option<Decimal> {
        match get(t, key) {
            Some((_, v)) => decimal(r, v, key),
            None => {
                r.error(v.span(), format!("[{base}] needs `{key}`"));
                None
            }
        }
    };
    let input = required(r, "input_per_mtok");
    let output = required(r, "output_per_mtok");
    let cached = match get(t, "cached_input_per_mtok") {
        Some((_, v)) => Some(decimal(r, v, "cached_input_per_mtok")?),
        None => None,
    };
    let tokenizer = match get(t, "tokenizer") {
        Some((_, v)) => r.string(v, "tokenizer"),
        None => {
            r.error(v.span(), format!("[{base}] needs `tokenizer` (o200k_base or cl100k_base)"));
            None
        }
    };
    let aliases = get(t, "aliases").and_then(|(_, v)| r.strings(v, "aliases")).unwrap_or_default();
    Some(ModelPriceConfig {
        input_per_mtok: input?,
        cached_input_per_mtok: cached,
        output_per_mtok: output?,
        tokenizer: tokenizer?,
        aliases,
    })
}

/// A number read exactly from how the file writes it (`2.50`, `2`, `"0.075"`), never through a float.
fn decimal(r: &mut Reader, v: &Value, key: &str) -> Option<Decimal> {
    let text = match v.get_ref() {
        DeValue::Integer(i) if i.radix() == 10 => i.as_str().replace('_', ""),
        DeValue::Float(f) => f.as_str().replace('_', ""),
        DeValue::String(s) => s.trim().to_owned(),
        other => {
            r.error(v.span(), format!("`{key}` must be a number, not {}", other.type_str()));
            return None;
        }
    };
    match Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)) {
        Ok(d) => Some(d),
        Err(_) => {
            r.error(v.span(), format!("`{key}` must be a decimal number, not `{text}`"));
            None
        }
    }
}

/// Checks across files and against the feature table: a model name or alias in two files, a
/// product id no product has, a product priced by two files.
pub fn check_across(files: &[(PriceFile, String)], product_ids: Option<&[&str]>, dir: &Path) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut owner: HashMap<String, (&str, &str)> = HashMap::new();
    let mut priced: HashMap<&str, &str> = HashMap::new();
    for (f, text) in files {
        let path = dir.join(&f.file);
        let line_where =
            |pred: &dyn Fn(&str) -> bool| text.lines().position(|l| pred(l.trim_start())).map_or(1, |i| i + 1);
        let products_line = line_where(&|l| l.starts_with("products"));
        for (name, m) in &f.prices.models {
            for spelling in std::iter::once(name).chain(&m.aliases) {
                let key = crate::cost::normalize_model_name(spelling);
                match owner.get(&key) {
                    Some(&(other_file, other_model)) if other_file != f.file => out.push(Diagnostic {
                        path: path.clone(),
                        line: if spelling == name {
                            line_where(&|l| l.starts_with("[models.") && l.contains(name.as_str()))
                        } else {
                            line_where(&|l| l.starts_with("aliases") && l.contains(&format!("\"{spelling}\"")))
                        },
                        message: format!(
                            "model `{name}`: `{spelling}` is also model `{other_model}` of {other_file}: a model name or alias must be in one price file"
                        ),
                    }),
                    Some(_) => {}
                    None => {
                        owner.insert(key, (f.file.as_str(), name.as_str()));
                    }
                }
            }
        }
        for p in &f.prices.products {
            if let Some(ids) = product_ids
                && !ids.contains(&p.as_str())
            {
                out.push(Diagnostic {
                    path: path.clone(),
                    line: products_line,
                    message: format!(
                        "unknown product `{p}` in `products`; products: {}{}",
                        ids.join(", "),
                        suggestion(p, ids.iter().copied())
                    ),
                });
            }
            match priced.get(p.as_str()) {
                Some(&other) => out.push(Diagnostic {
                    path: path.clone(),
                    line: products_line,
                    message: format!("product `{p}` is priced by {other} too: each product's prices are in one file"),
                }),
                None => {
                    priced.insert(p, &f.file);
                }
            }
        }
    }
    out
}
