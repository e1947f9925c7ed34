//! The `[pricing]` section of bot.toml and its validated form, `PriceTable`, which resolves
//! the many ways people write a model name ("4o mini", "GPT-4o-Mini") to one price entry.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::CostError;
use super::tokens::Tokenizer;

/// Raw `[pricing]` section as written in bot.toml. Decimals are read exactly, whether the config
/// loader hands over a float (through its shortest text, so 0.075 stays 0.075), an integer or a
/// string: `rust_decimal`'s own deserializer does that.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PricingConfig {
    /// When the figures were taken, shown under every answer.
    pub as_of: String,
    /// Where the figures come from, shown under every answer.
    pub source: String,
    pub batch_discount_percent: Decimal,
    pub default_model: String,
    /// The product ids of the corpus these prices are for (a price file's models price its API
    /// product, its plans the subscription product).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
    pub models: BTreeMap<String, ModelPriceConfig>,
    #[serde(default)]
    pub plans: BTreeMap<String, PlanConfig>,
    /// The key of the plan conversation estimates compare with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare_plan: Option<String>,
}

/// One model's prices in USD per million tokens.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPriceConfig {
    pub input_per_mtok: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input_per_mtok: Option<Decimal>,
    pub output_per_mtok: Decimal,
    /// "o200k_base" or "cl100k_base"; kept as text so a typo is reported with its key path.
    pub tokenizer: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A ChatGPT subscription plan, for comparing API spend with a flat fee.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    pub name: String,
    pub usd_per_month: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caveat: Option<String>,
}

/// A validated model price entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelPrice {
    name: String,
    input_per_mtok: Decimal,
    cached_input_per_mtok: Option<Decimal>,
    output_per_mtok: Decimal,
    tokenizer: Tokenizer,
    aliases: Vec<String>,
    /// Index into the table's sheets: where the model's prices come from.
    sheet: usize,
}

impl ModelPrice {
    /// Canonical name, as written as the key in `[pricing.models]`.
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn input_per_mtok(&self) -> Decimal {
        self.input_per_mtok
    }
    /// `None` when the model has no discounted rate for cached input.
    pub fn cached_input_per_mtok(&self) -> Option<Decimal> {
        self.cached_input_per_mtok
    }
    pub fn output_per_mtok(&self) -> Decimal {
        self.output_per_mtok
    }
    pub fn tokenizer(&self) -> Tokenizer {
        self.tokenizer
    }
    pub fn aliases(&self) -> &[String] {
        &self.aliases
    }
}

/// A validated subscription plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    name: String,
    usd_per_month: Decimal,
    caveat: Option<String>,
}

impl Plan {
    /// Display name, as `[pricing.plans.KEY] name` gives it.
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn usd_per_month(&self) -> Decimal {
        self.usd_per_month
    }
    pub fn caveat(&self) -> Option<&str> {
        self.caveat.as_deref()
    }
}

/// One price file (or bot.toml's `[pricing]`) as validated: when and where its figures come from,
/// the products and article it prices, its batch discount, default model and the plan its
/// conversation estimates compare with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sheet {
    origin: String,
    doc: Option<String>,
    products: Vec<String>,
    as_of: String,
    source: String,
    batch_discount_percent: Decimal,
    /// The default model's canonical name.
    default_model: String,
    compare: Option<Plan>,
    /// Every plan it prices, by key.
    plans: Vec<(String, Plan)>,
    /// Said under every estimate priced from this sheet.
    note: Option<String>,
}

impl Sheet {
    /// The file the figures were read from ("openai-api-vs-chatgpt.prices.toml", "bot.toml [pricing]").
    pub fn origin(&self) -> &str {
        &self.origin
    }
    /// The article whose prices these are (`NAME` of `NAME.prices.toml`), if one.
    pub fn doc(&self) -> Option<&str> {
        self.doc.as_deref()
    }
    /// The product ids these prices are for.
    pub fn products(&self) -> &[String] {
        &self.products
    }
    pub fn as_of(&self) -> &str {
        &self.as_of
    }
    pub fn source(&self) -> &str {
        &self.source
    }
    pub fn batch_discount_percent(&self) -> Decimal {
        self.batch_discount_percent
    }
    /// The plan conversation estimates compare with, if `compare_plan` names one.
    pub fn compare_plan(&self) -> Option<&Plan> {
        self.compare.as_ref()
    }
    /// Whether it prices a plan that `word` (lowercase) names: the plan's key or a word of its name
    /// ("max" for `max_5x`, "Claude Max (5x)").
    pub fn prices_plan(&self, word: &str) -> bool {
        self.plans.iter().any(|(key, plan)| {
            key == word
                || key.split(['_', '-']).any(|k| k == word)
                || plan.name.split(|c: char| !c.is_alphanumeric()).any(|w| w.eq_ignore_ascii_case(word))
        })
    }
    /// A caveat for every estimate priced from this sheet.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
}

/// Validated prices of one or more sheets (a price file per vendor or article, or bot.toml's
/// `[pricing]`): every model has a known tokenizer and non-negative prices, names and aliases are
/// unambiguous across all sheets, each sheet's default model exists and so does its plan to
/// compare with, if one is named. Built by [`PricingConfig::validate`] and [`PriceTable::combine`],
/// or [`PriceTable::empty`] when there are no prices at all.
#[derive(Debug, Clone, Default)]
pub struct PriceTable {
    sheets: Vec<Sheet>,
    /// Sorted by name.
    models: Vec<ModelPrice>,
    /// Normalized name or alias -> index into `models`.
    lookup: HashMap<String, usize>,
    /// Lookup keys longest first, so free-text scanning prefers "gpt-4o-mini" to "gpt-4o".
    keys_longest_first: Vec<(String, usize)>,
}

/// How many entries Discord accepts in an autocomplete answer.
const MAX_COMPLETIONS: usize = 25;

/// Below this similarity a "did you mean" would be noise rather than help.
const MIN_SUGGESTION_SIMILARITY: f64 = 0.5;

impl PricingConfig {
    /// Checks the section and builds the lookup structures. Every error names the offending
    /// key path so the operator can find it in bot.toml; this is the first of them.
    pub fn validate(&self) -> Result<PriceTable, CostError> {
        self.check("pricing.").map_err(|mut errors| errors.remove(0))
    }

    /// Every problem of the table, each naming its key path under `prefix` (`"pricing."` in
    /// bot.toml, `""` in a price file of the corpus).
    pub fn check(&self, prefix: &str) -> Result<PriceTable, Vec<CostError>> {
        let invalid = |key: String, reason: String| CostError::InvalidConfig { key: format!("{prefix}{key}"), reason };
        let mut errors = Vec::new();

        if self.batch_discount_percent < Decimal::ZERO || self.batch_discount_percent > Decimal::ONE_HUNDRED {
            errors.push(invalid(
                "batch_discount_percent".into(),
                format!("must be between 0 and 100 (got {})", self.batch_discount_percent),
            ));
        }
        if self.models.is_empty() {
            errors.push(invalid("models".into(), "must list at least one model".into()));
        }

        let mut models = Vec::with_capacity(self.models.len());
        let mut lookup: HashMap<String, usize> = HashMap::new();
        for (index, (name, m)) in self.models.iter().enumerate() {
            let base = format!("models.{}", key_segment(name));
            let normalized_name = normalize(name);
            if normalized_name.is_empty() {
                errors.push(invalid(base, "needs a non-empty model name".into()));
                continue;
            }
            for (field, value) in [
                ("input_per_mtok", Some(m.input_per_mtok)),
                ("cached_input_per_mtok", m.cached_input_per_mtok),
                ("output_per_mtok", Some(m.output_per_mtok)),
            ] {
                if value.is_some_and(|v| v < Decimal::ZERO) {
                    errors.push(invalid(format!("{base}.{field}"), "must not be negative".into()));
                }
            }
            let tokenizer = match Tokenizer::from_str(&m.tokenizer) {
                Ok(t) => t,
                Err(_) => {
                    errors.push(invalid(
                        format!("{base}.tokenizer"),
                        format!("is unknown (`{}`): use o200k_base or cl100k_base", m.tokenizer.trim()),
                    ));
                    Tokenizer::O200kBase
                }
            };

            let mut register = |key: String, what: &str, at: String| {
                if key.is_empty() {
                    errors.push(invalid(at, "must not contain an empty alias".into()));
                    return;
                }
                match lookup.get(&key) {
                    // The same spelling twice within one model ("4o mini" and "4o-mini") is harmless.
                    Some(&other) if other == index => {}
                    Some(&other) => {
                        let other_name = self.models.keys().nth(other).map_or("", String::as_str);
                        errors.push(invalid(at, format!("{what} `{key}` is already used by model {other_name}")));
                    }
                    None => {
                        lookup.insert(key, index);
                    }
                }
            };
            // The name check reports under the model's own key, not a `.name` field that does not exist.
            register(normalized_name, "name", base.clone());
            for alias in &m.aliases {
                register(normalize(alias), "alias", format!("{base}.aliases"));
            }

            models.push(ModelPrice {
                name: name.clone(),
                input_per_mtok: m.input_per_mtok,
                cached_input_per_mtok: m.cached_input_per_mtok,
                output_per_mtok: m.output_per_mtok,
                tokenizer,
                aliases: m.aliases.clone(),
                sheet: 0,
            });
        }

        let default_model = match lookup.get(&normalize(&self.default_model)) {
            Some(&i) => self.models.keys().nth(i).cloned().unwrap_or_default(),
            None => {
                if !self.models.is_empty() {
                    errors.push(invalid(
                        "default_model".into(),
                        format!(
                            "names unknown model `{}` (known: {})",
                            self.default_model.trim(),
                            self.models.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
                String::new()
            }
        };

        let mut plans: BTreeMap<&str, Plan> = BTreeMap::new();
        for (key, p) in &self.plans {
            let base = format!("plans.{}", key_segment(key));
            if p.name.trim().is_empty() {
                errors.push(invalid(format!("{base}.name"), "must not be empty".into()));
            }
            if p.usd_per_month < Decimal::ZERO {
                errors.push(invalid(format!("{base}.usd_per_month"), "must not be negative".into()));
            }
            plans.insert(
                key,
                Plan {
                    name: p.name.trim().to_string(),
                    usd_per_month: p.usd_per_month,
                    caveat: p.caveat.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string),
                },
            );
        }
        let compare = match &self.compare_plan {
            None => None,
            Some(key) => match plans.get(key.trim()) {
                Some(plan) => Some(plan.clone()),
                None => {
                    let known: Vec<&str> = plans.keys().copied().collect();
                    errors.push(invalid(
                        "compare_plan".into(),
                        format!(
                            "names unknown plan `{}` (plans: {})",
                            key.trim(),
                            if known.is_empty() { "none".into() } else { known.join(", ") }
                        ),
                    ));
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let sheet = Sheet {
            origin: "bot.toml [pricing]".into(),
            doc: None,
            products: self.products.iter().map(|p| p.trim().to_owned()).collect(),
            as_of: self.as_of.trim().to_string(),
            source: self.source.trim().to_string(),
            batch_discount_percent: self.batch_discount_percent,
            default_model,
            compare,
            plans: plans.into_iter().map(|(key, plan)| (key.to_owned(), plan)).collect(),
            note: None,
        };
        Ok(PriceTable::from_parts(vec![sheet], models))
    }
}

impl PriceTable {
    /// The lookup structures over `models` (any order), which are sorted by name here.
    fn from_parts(sheets: Vec<Sheet>, mut models: Vec<ModelPrice>) -> PriceTable {
        models.sort_by(|a, b| a.name.cmp(&b.name));
        let mut lookup = HashMap::new();
        for (i, m) in models.iter().enumerate() {
            for key in std::iter::once(normalize(&m.name)).chain(m.aliases.iter().map(|a| normalize(a))) {
                lookup.entry(key).or_insert(i);
            }
        }
        let mut keys_longest_first: Vec<(String, usize)> = lookup.iter().map(|(k, &i)| (k.clone(), i)).collect();
        keys_longest_first.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        PriceTable { sheets, models, lookup, keys_longest_first }
    }

    /// The same prices, said to come from `origin`, for article `doc`.
    pub fn labelled(mut self, origin: &str, doc: Option<&str>) -> PriceTable {
        for s in &mut self.sheets {
            s.origin = origin.to_owned();
            s.doc = doc.map(str::to_owned);
        }
        self
    }

    /// The same prices with `note` said under every estimate they make.
    pub fn noted(mut self, note: &str) -> PriceTable {
        for s in &mut self.sheets {
            s.note = Some(note.to_owned());
        }
        self
    }

    /// Several tables as one. Earlier tables win: a model whose name or an alias an earlier
    /// table already uses is left out (bot.toml's `[pricing]`, given first, overrides the corpus's
    /// files). Returns the table and each model left out, as "MODEL (ORIGIN)".
    pub fn combine(tables: impl IntoIterator<Item = PriceTable>) -> (PriceTable, Vec<String>) {
        let (mut sheets, mut models, mut taken, mut dropped) = (Vec::new(), Vec::new(), HashMap::new(), Vec::new());
        for t in tables {
            let base = sheets.len();
            for m in t.models {
                let keys: Vec<String> =
                    std::iter::once(normalize(&m.name)).chain(m.aliases.iter().map(|a| normalize(a))).collect();
                if keys.iter().any(|k| taken.contains_key(k)) {
                    dropped.push(format!("{} ({})", m.name, t.sheets.get(m.sheet).map_or("", |s| s.origin.as_str())));
                    continue;
                }
                for k in keys {
                    taken.insert(k, ());
                }
                models.push(ModelPrice { sheet: base + m.sheet, ..m });
            }
            sheets.extend(t.sheets);
        }
        (PriceTable::from_parts(sheets, models), dropped)
    }

    /// Every sheet, in the order they were combined.
    pub fn sheets(&self) -> &[Sheet] {
        &self.sheets
    }

    /// The sheet a model's prices come from.
    pub fn sheet_of(&self, model: &ModelPrice) -> &Sheet {
        &self.sheets[model.sheet.min(self.sheets.len().saturating_sub(1))]
    }

    /// The sheet that prices product `id`, if any.
    pub fn for_product(&self, id: &str) -> Option<&Sheet> {
        self.sheets.iter().find(|s| s.products.iter().any(|p| p == id))
    }

    /// The sheet of article `doc`, if it has one.
    pub fn for_doc(&self, doc: &str) -> Option<&Sheet> {
        self.sheets.iter().find(|s| s.doc.as_deref() == Some(doc))
    }

    /// All models, sorted by canonical name.
    pub fn models(&self) -> &[ModelPrice] {
        &self.models
    }
    /// The models of one sheet, sorted by name.
    pub fn models_of<'a>(&'a self, sheet: &'a Sheet) -> impl Iterator<Item = &'a ModelPrice> + 'a {
        self.models.iter().filter(move |m| std::ptr::eq(self.sheet_of(m), sheet))
    }
    /// No models, no plans: what `/cost` has when neither the corpus nor bot.toml has prices.
    pub fn empty() -> Self {
        PriceTable::default()
    }
    /// The model used when a request names none: the first sheet's default; `None` only for an
    /// empty table.
    pub fn default_model(&self) -> Option<&ModelPrice> {
        self.sheets.iter().find_map(|s| self.sheet_default(s))
    }
    /// A sheet's default model (another sheet's, when one overriding it took its name).
    pub fn sheet_default(&self, sheet: &Sheet) -> Option<&ModelPrice> {
        self.lookup.get(&normalize(&sheet.default_model)).and_then(|&i| self.models.get(i))
    }

    /// Canonical model names, sorted.
    pub fn model_names(&self) -> Vec<&str> {
        self.models.iter().map(|m| m.name.as_str()).collect()
    }

    /// Finds a model by name or alias, ignoring case, surrounding space and the difference
    /// between spaces, hyphens and underscores.
    pub fn resolve_model(&self, name: &str) -> Result<&ModelPrice, CostError> {
        if self.models.is_empty() {
            return Err(CostError::NoPrices);
        }
        let key = normalize(name);
        if let Some(m) = self.lookup.get(&key).and_then(|&i| self.models.get(i)) {
            return Ok(m);
        }
        Err(CostError::UnknownModel {
            given: name.trim().to_string(),
            known: self.models.iter().map(|m| m.name.clone()).collect(),
            suggestion: self.suggest(&key).map(str::to_string),
        })
    }

    fn suggest(&self, key: &str) -> Option<&str> {
        if key.is_empty() {
            return None;
        }
        let mut best: Option<(f64, usize)> = None;
        // Ties keep the first, i.e. the longest spelling, which is the more specific model.
        for (candidate, index) in &self.keys_longest_first {
            let score = strsim::normalized_damerau_levenshtein(key, candidate);
            if score >= MIN_SUGGESTION_SIMILARITY && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, *index));
            }
        }
        best.and_then(|(_, i)| self.models.get(i)).map(|m| m.name.as_str())
    }

    /// Canonical names for an autocomplete box: models whose name or an alias starts with
    /// `prefix` come first, then those that merely contain it; at most 25.
    pub fn complete_model(&self, prefix: &str) -> Vec<String> {
        let p = normalize(prefix);
        let mut ranked: Vec<(u8, &str)> = self
            .models
            .iter()
            .filter_map(|m| {
                let spellings: Vec<String> =
                    std::iter::once(normalize(&m.name)).chain(m.aliases.iter().map(|a| normalize(a))).collect();
                if spellings.iter().any(|s| s.starts_with(&p)) {
                    Some((0, m.name.as_str()))
                } else if spellings.iter().any(|s| s.contains(&p)) {
                    Some((1, m.name.as_str()))
                } else {
                    None
                }
            })
            .collect();
        ranked.sort();
        ranked.into_iter().take(MAX_COMPLETIONS).map(|(_, name)| name.to_string()).collect()
    }

    /// The first model named anywhere in free text, by name or alias. At each position the
    /// longest spelling wins ("gpt-4o-mini" is not read as "gpt-4o"), and a match must stand
    /// as a word of its own ("4o" does not match inside "14o").
    pub fn mentioned_model(&self, text: &str) -> Option<&str> {
        self.scan(text).next()
    }

    /// Every model named in free text, in order of first mention, without repeats.
    pub fn mentioned_models(&self, text: &str) -> Vec<&str> {
        let mut seen = Vec::new();
        for name in self.scan(text) {
            if !seen.contains(&name) {
                seen.push(name);
            }
        }
        seen
    }

    fn scan<'a>(&'a self, text: &str) -> impl Iterator<Item = &'a str> + 'a {
        let norm = normalize_text(text);
        let mut found = Vec::new();
        let mut pos = 0;
        let mut prev: Option<char> = None;
        while let Some(ch) = norm.get(pos..).and_then(|rest| rest.chars().next()) {
            if prev.is_none_or(|p| !p.is_alphanumeric())
                && let Some((key, index)) = self.match_at(&norm, pos)
            {
                if let Some(m) = self.models.get(index) {
                    found.push(m.name.as_str());
                }
                pos += key.len();
                prev = key.chars().next_back();
                continue;
            }
            prev = Some(ch);
            pos += ch.len_utf8();
        }
        found.into_iter()
    }

    fn match_at(&self, norm: &str, pos: usize) -> Option<(&str, usize)> {
        let rest = norm.get(pos..)?;
        self.keys_longest_first.iter().find_map(|(key, index)| {
            let after = rest.strip_prefix(key.as_str())?;
            let ends_word = after.chars().next().is_none_or(|c| !c.is_alphanumeric());
            ends_word.then_some((key.as_str(), *index))
        })
    }
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '_' | '\u{2010}' | '\u{2011}')
}

/// Lowercases and turns every run of spaces, hyphens and underscores into one hyphen,
/// so "GPT 4o_mini" and "gpt-4o-mini" compare equal.
pub(crate) fn normalize(name: &str) -> String {
    name.split(is_separator).filter(|part| !part.is_empty()).map(str::to_lowercase).collect::<Vec<_>>().join("-")
}

/// Like [`normalize`], but keeps leading and trailing separators so positions in running
/// text still see the word boundaries they had.
fn normalize_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_separator = false;
    for c in text.chars() {
        if is_separator(c) {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.extend(c.to_lowercase());
            in_separator = false;
        }
    }
    out
}

/// Quotes a TOML key segment only when it needs it, so `gpt-4o` stays bare and
/// `gpt-3.5-turbo` reads as `"gpt-3.5-turbo"` the way it must be written in bot.toml.
pub(crate) fn key_segment(key: &str) -> String {
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare { key.to_string() } else { format!("{key:?}") }
}

#[cfg(test)]
mod tests {
    use super::super::shipped_pricing;
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test literal")
    }

    fn table() -> PriceTable {
        shipped_pricing().validate().expect("shipped prices validate")
    }

    fn config_error(cfg: &PricingConfig) -> String {
        match cfg.validate() {
            Ok(_) => panic!("config should have been rejected"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn shipped_defaults_validate_with_the_article_figures() {
        let t = table();
        assert_eq!(t.model_names(), vec!["gpt-3.5-turbo", "gpt-4o", "gpt-4o-mini"]);
        assert_eq!(t.default_model().map(ModelPrice::name), Some("gpt-4o"));
        let sheet = &t.sheets()[0];
        assert_eq!(sheet.batch_discount_percent(), d("50"));
        assert_eq!(sheet.products(), ["api", "chatgpt"]);
        let m = t.resolve_model("gpt-4o-mini").expect("known");
        assert_eq!(m.input_per_mtok(), d("0.15"));
        assert_eq!(m.cached_input_per_mtok(), Some(d("0.075")));
        assert_eq!(m.output_per_mtok(), d("0.60"));
        assert_eq!(m.tokenizer(), Tokenizer::O200kBase);
        let old = t.resolve_model("gpt-3.5-turbo").expect("known");
        assert_eq!(old.cached_input_per_mtok(), None);
        assert_eq!(old.tokenizer(), Tokenizer::Cl100kBase);
        let plan = sheet.compare_plan().expect("the shipped prices compare with a plan");
        assert_eq!((plan.name(), plan.usd_per_month()), ("ChatGPT Plus", d("20")));
        assert!(plan.caveat().is_some_and(|c| c.contains("$25")));
        assert!(!sheet.as_of().is_empty() && !sheet.source().is_empty());
    }

    #[test]
    fn resolves_names_and_aliases_loosely() {
        let t = table();
        for (given, want) in [
            ("gpt-4o", "gpt-4o"),
            ("  GPT-4o ", "gpt-4o"),
            ("4o", "gpt-4o"),
            ("gpt 4o", "gpt-4o"),
            ("GPT4O", "gpt-4o"),
            ("4o mini", "gpt-4o-mini"),
            ("4o   MINI", "gpt-4o-mini"),
            ("gpt_4o_mini", "gpt-4o-mini"),
            ("gpt 4o mini", "gpt-4o-mini"),
            ("3.5", "gpt-3.5-turbo"),
            ("GPT 3.5 Turbo", "gpt-3.5-turbo"),
        ] {
            assert_eq!(t.resolve_model(given).map(ModelPrice::name), Ok(want), "{given}");
        }
    }

    #[test]
    fn unknown_model_lists_known_models_and_suggests_closest() {
        let t = table();
        let err = t.resolve_model("gpt-4").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown model `gpt-4`; known models: gpt-3.5-turbo, gpt-4o, gpt-4o-mini; did you mean gpt-4o?"
        );
        let CostError::UnknownModel { suggestion, known, .. } = t.resolve_model("gpt4o-mni").unwrap_err() else {
            panic!("wrong variant");
        };
        assert_eq!(suggestion.as_deref(), Some("gpt-4o-mini"));
        assert_eq!(known.len(), 3);
        let CostError::UnknownModel { suggestion, .. } = t.resolve_model("claude-3-opus").unwrap_err() else {
            panic!("wrong variant");
        };
        assert_eq!(suggestion, None);
        assert!(t.resolve_model("").is_err());
    }

    #[test]
    fn completes_model_names() {
        let t = table();
        assert_eq!(t.complete_model(""), vec!["gpt-3.5-turbo", "gpt-4o", "gpt-4o-mini"]);
        assert_eq!(t.complete_model("gpt-4"), vec!["gpt-4o", "gpt-4o-mini"]);
        assert_eq!(t.complete_model("4o m"), vec!["gpt-4o-mini"]);
        assert_eq!(t.complete_model("3.5"), vec!["gpt-3.5-turbo"]);
        // Contains-matches come after prefix matches.
        assert_eq!(t.complete_model("mini"), vec!["gpt-4o-mini"]);
        assert_eq!(t.complete_model("4o"), vec!["gpt-4o", "gpt-4o-mini"]);
        assert!(t.complete_model("llama").is_empty());
    }

    #[test]
    fn completion_is_capped_at_25() {
        let mut cfg = shipped_pricing();
        let template = cfg.models["gpt-4o"].clone();
        for i in 0..40 {
            let mut m = template.clone();
            m.aliases.clear();
            cfg.models.insert(format!("custom-{i:02}"), m);
        }
        let t = cfg.validate().expect("valid");
        assert_eq!(t.complete_model("custom").len(), 25);
    }

    #[test]
    fn finds_models_mentioned_in_free_text() {
        let t = table();
        for (text, want) in [
            ("how much does GPT-4o cost per million tokens?", Some("gpt-4o")),
            ("what about 4o mini", Some("gpt-4o-mini")),
            ("is gpt-4o-mini cheaper?", Some("gpt-4o-mini")),
            ("price of GPT‑4o‑mini", Some("gpt-4o-mini")),
            ("(4o) vs plus", Some("gpt-4o")),
            ("gpt-3.5-turbo, please", Some("gpt-3.5-turbo")),
            ("I have 14o apples", None),
            ("the 4order", None),
            ("how much is chatgpt plus", None),
            ("", None),
        ] {
            assert_eq!(t.mentioned_model(text), want, "{text}");
        }
        assert_eq!(
            t.mentioned_models("compare gpt-4o-mini, 3.5 and 4o; gpt-4o again"),
            vec!["gpt-4o-mini", "gpt-3.5-turbo", "gpt-4o"]
        );
    }

    #[test]
    fn invalid_configs_name_the_key() {
        let mut cfg = shipped_pricing();
        if let Some(m) = cfg.models.get_mut("gpt-4o") {
            m.input_per_mtok = d("-1");
        }
        assert_eq!(config_error(&cfg), "pricing.models.gpt-4o.input_per_mtok must not be negative");

        let mut cfg = shipped_pricing();
        if let Some(m) = cfg.models.get_mut("gpt-3.5-turbo") {
            m.tokenizer = "p50k_base".into();
        }
        assert_eq!(
            config_error(&cfg),
            "pricing.models.\"gpt-3.5-turbo\".tokenizer is unknown (`p50k_base`): use o200k_base or cl100k_base"
        );

        let mut cfg = shipped_pricing();
        if let Some(m) = cfg.models.get_mut("gpt-4o-mini") {
            m.cached_input_per_mtok = Some(d("-0.01"));
        }
        assert_eq!(config_error(&cfg), "pricing.models.gpt-4o-mini.cached_input_per_mtok must not be negative");

        let mut cfg = shipped_pricing();
        if let Some(m) = cfg.models.get_mut("gpt-4o-mini") {
            m.aliases.push("4O".into());
        }
        assert_eq!(config_error(&cfg), "pricing.models.gpt-4o-mini.aliases alias `4o` is already used by model gpt-4o");

        let mut cfg = PricingConfig { batch_discount_percent: d("150"), ..shipped_pricing() };
        assert_eq!(config_error(&cfg), "pricing.batch_discount_percent must be between 0 and 100 (got 150)");
        cfg.batch_discount_percent = d("-1");
        assert!(config_error(&cfg).starts_with("pricing.batch_discount_percent "));

        let cfg = PricingConfig { default_model: "gpt-5".into(), ..shipped_pricing() };
        assert_eq!(
            config_error(&cfg),
            "pricing.default_model names unknown model `gpt-5` (known: gpt-3.5-turbo, gpt-4o, gpt-4o-mini)"
        );

        let mut cfg = shipped_pricing();
        cfg.compare_plan = Some("pro".into());
        assert_eq!(config_error(&cfg), "pricing.compare_plan names unknown plan `pro` (plans: free, plus)");

        let mut cfg = shipped_pricing();
        if let Some(p) = cfg.plans.get_mut("plus") {
            p.usd_per_month = d("-20");
        }
        assert_eq!(config_error(&cfg), "pricing.plans.plus.usd_per_month must not be negative");

        let mut cfg = shipped_pricing();
        cfg.models.clear();
        assert_eq!(config_error(&cfg), "pricing.models must list at least one model");

        let mut cfg = shipped_pricing();
        let m = cfg.models["gpt-4o"].clone();
        let mut m2 = m.clone();
        m2.aliases.clear();
        cfg.models.insert("GPT 4o".into(), m2);
        assert_eq!(config_error(&cfg), "pricing.models.gpt-4o name `gpt-4o` is already used by model GPT 4o");

        let mut cfg = shipped_pricing();
        if let Some(m) = cfg.models.get_mut("gpt-4o") {
            m.aliases.push("  ".into());
        }
        assert_eq!(config_error(&cfg), "pricing.models.gpt-4o.aliases must not contain an empty alias");
    }

    #[test]
    fn a_sheet_prices_the_plans_its_keys_and_names_say() {
        let mut cfg = shipped_pricing();
        cfg.plans.insert(
            "max_5x".into(),
            PlanConfig { name: "Claude Max (5x)".into(), usd_per_month: d("100"), caveat: None },
        );
        let t = cfg.validate().expect("valid");
        let sheet = &t.sheets()[0];
        for (word, priced) in
            [("plus", true), ("free", true), ("max", true), ("5x", true), ("team", false), ("enterprise", false)]
        {
            assert_eq!(sheet.prices_plan(word), priced, "{word}");
        }
    }

    #[test]
    fn default_model_may_be_an_alias() {
        let cfg = PricingConfig { default_model: "4o mini".into(), ..shipped_pricing() };
        assert_eq!(cfg.validate().expect("valid").default_model().map(ModelPrice::name), Some("gpt-4o-mini"));
    }

    #[derive(Deserialize)]
    struct Probe {
        v: Decimal,
    }

    #[test]
    fn decimals_deserialize_exactly_from_floats_ints_and_strings() {
        let from_json = |s: &str| serde_json::from_str::<Probe>(s).map(|p| p.v);
        assert_eq!(from_json(r#"{"v": 0.075}"#).expect("f64"), d("0.075"));
        assert_eq!(from_json(r#"{"v": 2}"#).expect("u64"), d("2"));
        assert_eq!(from_json(r#"{"v": -2}"#).expect("i64"), d("-2"));
        assert_eq!(from_json(r#"{"v": "1.25"}"#).expect("str"), d("1.25"));
        assert_eq!(from_json(r#"{"v": "2.5e-1"}"#).expect("sci"), d("0.25"));
        assert!(from_json(r#"{"v": "abc"}"#).is_err());
        assert!(from_json(r#"{"v": 1e300}"#).is_err());
        // The exact float nearest 0.075 is 0.07499999999999999722...; a naive conversion keeps that.
        assert_eq!(from_json(r#"{"v": 0.075}"#).expect("f64").to_string(), "0.075");

        let from_toml = |s: &str| toml::from_str::<Probe>(s).map(|p| p.v);
        assert_eq!(from_toml("v = 0.075").expect("toml float"), d("0.075"));
        assert_eq!(from_toml("v = 2.50").expect("toml float"), d("2.5"));
        assert_eq!(from_toml("v = 2").expect("toml int"), d("2"));
        assert_eq!(from_toml("v = \"1.25\"").expect("toml str"), d("1.25"));
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let text = include_str!("../../corpus/openai-api-vs-chatgpt.prices.toml")
            .replace("tokenizer = \"cl100k_base\"", "tokeniser = \"cl100k_base\"");
        let err = toml::from_str::<PricingConfig>(&text).map(|p| p.models.len()).err().map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("tokeniser"));
    }

    #[test]
    fn prices_round_trip_through_toml_exactly() {
        let text = toml::to_string(&shipped_pricing()).expect("serializes");
        let back: PricingConfig = toml::from_str(&text).expect("parses back");
        assert_eq!(back, shipped_pricing());
        assert_eq!(back.models["gpt-4o-mini"].cached_input_per_mtok, Some(d("0.075")));
    }

    #[test]
    fn an_empty_table_refuses_estimates_by_name() {
        let t = PriceTable::empty();
        assert!(t.default_model().is_none() && t.models().is_empty());
        assert_eq!(t.resolve_model("gpt-4o").unwrap_err(), CostError::NoPrices);
    }
}
