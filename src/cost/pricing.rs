//! The `[pricing]` section of bot.toml and its validated form, `PriceTable`, which resolves
//! the many ways people write a model name ("4o mini", "GPT-4o-Mini") to one price entry.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::CostError;
use super::tokens::Tokenizer;

/// Raw `[pricing]` section as written in bot.toml. `Default` is the shipped price list.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PricingConfig {
    /// When the figures were taken, shown under every answer.
    pub as_of: String,
    /// Where the figures come from, shown under every answer.
    pub source: String,
    #[serde(deserialize_with = "de_decimal", serialize_with = "ser_decimal")]
    pub batch_discount_percent: Decimal,
    pub default_model: String,
    pub models: BTreeMap<String, ModelPriceConfig>,
    pub plans: BTreeMap<String, PlanConfig>,
}

/// One model's prices in USD per million tokens.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPriceConfig {
    #[serde(deserialize_with = "de_decimal", serialize_with = "ser_decimal")]
    pub input_per_mtok: Decimal,
    #[serde(
        default,
        deserialize_with = "de_opt_decimal",
        serialize_with = "ser_opt_decimal",
        skip_serializing_if = "Option::is_none"
    )]
    pub cached_input_per_mtok: Option<Decimal>,
    #[serde(deserialize_with = "de_decimal", serialize_with = "ser_decimal")]
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
    #[serde(deserialize_with = "de_decimal", serialize_with = "ser_decimal")]
    pub usd_per_month: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caveat: Option<String>,
}

impl Default for PricingConfig {
    fn default() -> Self {
        let model = |input: i64,
                     in_scale: u32,
                     cached: Option<(i64, u32)>,
                     output: i64,
                     out_scale: u32,
                     tokenizer: &str,
                     aliases: &[&str]| {
            ModelPriceConfig {
                input_per_mtok: Decimal::new(input, in_scale),
                cached_input_per_mtok: cached.map(|(m, s)| Decimal::new(m, s)),
                output_per_mtok: Decimal::new(output, out_scale),
                tokenizer: tokenizer.to_string(),
                aliases: aliases.iter().map(|a| a.to_string()).collect(),
            }
        };
        let models = BTreeMap::from([
            ("gpt-4o".to_string(), model(250, 2, Some((125, 2)), 1000, 2, "o200k_base", &["4o", "gpt4o", "gpt-4-o"])),
            (
                "gpt-4o-mini".to_string(),
                model(15, 2, Some((75, 3)), 60, 2, "o200k_base", &["4o-mini", "gpt4o-mini", "4o mini", "gpt-4o mini"]),
            ),
            (
                "gpt-3.5-turbo".to_string(),
                model(50, 2, None, 150, 2, "cl100k_base", &["3.5", "gpt-3.5", "gpt35", "gpt-3.5 turbo", "3.5-turbo"]),
            ),
        ]);
        let plans = BTreeMap::from([
            (
                "free".to_string(),
                PlanConfig { name: "ChatGPT Free".to_string(), usd_per_month: Decimal::ZERO, caveat: None },
            ),
            (
                "plus".to_string(),
                PlanConfig {
                    name: "ChatGPT Plus".to_string(),
                    usd_per_month: Decimal::new(20, 0),
                    caveat: Some(
                        "the article says Plus was recently raised to $25 [VERIFY current pricing]".to_string(),
                    ),
                },
            ),
        ]);
        PricingConfig {
            as_of: "2025-01".to_string(),
            source: "OpenAI API vs ChatGPT article; figures marked [VERIFY] there".to_string(),
            batch_discount_percent: Decimal::new(50, 0),
            default_model: "gpt-4o".to_string(),
            models,
            plans,
        }
    }
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
    key: String,
    name: String,
    usd_per_month: Decimal,
    caveat: Option<String>,
}

impl Plan {
    /// Key under `[pricing.plans]`, e.g. "plus".
    pub fn key(&self) -> &str {
        &self.key
    }
    /// Display name, e.g. "ChatGPT Plus".
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

/// Validated prices: every model has a known tokenizer and non-negative prices, names and
/// aliases are unambiguous, the default model exists and a `plus` plan is present.
/// Only [`PricingConfig::validate`] builds one.
#[derive(Debug, Clone)]
pub struct PriceTable {
    as_of: String,
    source: String,
    batch_discount_percent: Decimal,
    /// Sorted by name, as the config's BTreeMap yields them.
    models: Vec<ModelPrice>,
    default_model: ModelPrice,
    /// Normalized name or alias -> index into `models`.
    lookup: HashMap<String, usize>,
    /// Lookup keys longest first, so free-text scanning prefers "gpt-4o-mini" to "gpt-4o".
    keys_longest_first: Vec<(String, usize)>,
    plans: BTreeMap<String, Plan>,
    plus: Plan,
}

/// How many entries Discord accepts in an autocomplete answer.
const MAX_COMPLETIONS: usize = 25;

/// Below this similarity a "did you mean" would be noise rather than help.
const MIN_SUGGESTION_SIMILARITY: f64 = 0.5;

impl PricingConfig {
    /// Checks the section and builds the lookup structures. Every error names the offending
    /// key path so the operator can find it in bot.toml.
    pub fn validate(&self) -> Result<PriceTable, CostError> {
        let invalid = |key: String, reason: String| CostError::InvalidConfig { key, reason };

        if self.batch_discount_percent < Decimal::ZERO || self.batch_discount_percent > Decimal::ONE_HUNDRED {
            return Err(invalid(
                "pricing.batch_discount_percent".into(),
                format!("must be between 0 and 100 (got {})", self.batch_discount_percent),
            ));
        }
        if self.models.is_empty() {
            return Err(invalid("pricing.models".into(), "must list at least one model".into()));
        }

        let mut models = Vec::with_capacity(self.models.len());
        let mut lookup: HashMap<String, usize> = HashMap::new();
        for (index, (name, m)) in self.models.iter().enumerate() {
            let base = format!("pricing.models.{}", key_segment(name));
            let normalized_name = normalize(name);
            if normalized_name.is_empty() {
                return Err(invalid(base, "needs a non-empty model name".into()));
            }
            for (field, value) in [
                ("input_per_mtok", Some(m.input_per_mtok)),
                ("cached_input_per_mtok", m.cached_input_per_mtok),
                ("output_per_mtok", Some(m.output_per_mtok)),
            ] {
                if value.is_some_and(|v| v < Decimal::ZERO) {
                    return Err(invalid(format!("{base}.{field}"), "must not be negative".into()));
                }
            }
            let tokenizer = Tokenizer::from_str(&m.tokenizer).map_err(|_| {
                invalid(
                    format!("{base}.tokenizer"),
                    format!("is unknown (`{}`): use o200k_base or cl100k_base", m.tokenizer.trim()),
                )
            })?;

            let mut register = |key: String, what: &str, field: &str| -> Result<(), CostError> {
                if key.is_empty() {
                    return Err(invalid(format!("{base}.{field}"), "must not contain an empty alias".into()));
                }
                match lookup.get(&key) {
                    // The same spelling twice within one model ("4o mini" and "4o-mini") is harmless.
                    Some(&other) if other == index => Ok(()),
                    Some(&other) => {
                        let other_name = self.models.keys().nth(other).map_or("", String::as_str);
                        Err(invalid(
                            format!("{base}.{field}"),
                            format!("{what} `{key}` is already used by model {other_name}"),
                        ))
                    }
                    None => {
                        lookup.insert(key, index);
                        Ok(())
                    }
                }
            };
            register(normalized_name, "name", "name").map_err(|e| rename_key(e, &base))?;
            for alias in &m.aliases {
                register(normalize(alias), "alias", "aliases")?;
            }

            models.push(ModelPrice {
                name: name.clone(),
                input_per_mtok: m.input_per_mtok,
                cached_input_per_mtok: m.cached_input_per_mtok,
                output_per_mtok: m.output_per_mtok,
                tokenizer,
                aliases: m.aliases.clone(),
            });
        }

        let default_model =
            lookup.get(&normalize(&self.default_model)).and_then(|&i| models.get(i)).cloned().ok_or_else(|| {
                invalid(
                    "pricing.default_model".into(),
                    format!(
                        "names unknown model `{}` (known: {})",
                        self.default_model.trim(),
                        self.models.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                )
            })?;

        let mut plans = BTreeMap::new();
        for (key, p) in &self.plans {
            let base = format!("pricing.plans.{}", key_segment(key));
            if p.name.trim().is_empty() {
                return Err(invalid(format!("{base}.name"), "must not be empty".into()));
            }
            if p.usd_per_month < Decimal::ZERO {
                return Err(invalid(format!("{base}.usd_per_month"), "must not be negative".into()));
            }
            plans.insert(
                key.clone(),
                Plan {
                    key: key.clone(),
                    name: p.name.trim().to_string(),
                    usd_per_month: p.usd_per_month,
                    caveat: p.caveat.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string),
                },
            );
        }
        let plus = plans.get("plus").cloned().ok_or_else(|| {
            invalid(
                "pricing.plans.plus".into(),
                "is missing: conversation estimates compare against ChatGPT Plus".into(),
            )
        })?;

        let mut keys_longest_first: Vec<(String, usize)> = lookup.iter().map(|(k, &i)| (k.clone(), i)).collect();
        keys_longest_first.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));

        Ok(PriceTable {
            as_of: self.as_of.trim().to_string(),
            source: self.source.trim().to_string(),
            batch_discount_percent: self.batch_discount_percent,
            models,
            default_model,
            lookup,
            keys_longest_first,
            plans,
            plus,
        })
    }
}

/// The name check reports under the model's own key rather than a `.name` field that
/// does not exist in bot.toml.
fn rename_key(e: CostError, base: &str) -> CostError {
    match e {
        CostError::InvalidConfig { reason, .. } => CostError::InvalidConfig { key: base.to_string(), reason },
        other => other,
    }
}

impl PriceTable {
    pub fn as_of(&self) -> &str {
        &self.as_of
    }
    pub fn source(&self) -> &str {
        &self.source
    }
    pub fn batch_discount_percent(&self) -> Decimal {
        self.batch_discount_percent
    }
    /// All models, sorted by canonical name.
    pub fn models(&self) -> &[ModelPrice] {
        &self.models
    }
    pub fn default_model(&self) -> &ModelPrice {
        &self.default_model
    }
    pub fn plans(&self) -> &BTreeMap<String, Plan> {
        &self.plans
    }
    pub fn plan(&self, key: &str) -> Option<&Plan> {
        self.plans.get(key)
    }
    /// The ChatGPT Plus plan, which validation guarantees.
    pub fn plus_plan(&self) -> &Plan {
        &self.plus
    }

    /// Canonical model names, sorted.
    pub fn model_names(&self) -> Vec<&str> {
        self.models.iter().map(|m| m.name.as_str()).collect()
    }

    /// Finds a model by name or alias, ignoring case, surrounding space and the difference
    /// between spaces, hyphens and underscores.
    pub fn resolve_model(&self, name: &str) -> Result<&ModelPrice, CostError> {
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
fn normalize(name: &str) -> String {
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
fn key_segment(key: &str) -> String {
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare { key.to_string() } else { format!("{key:?}") }
}

/// Parses a Decimal from whatever a config loader hands over: TOML goes through the
/// `config` crate as f64/i64, or arrives as a string when quoted. A float is read through
/// its shortest round-trip text, so 0.075 becomes exactly 0.075 and not 0.07499999...
struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number such as 2.50 or \"2.50\"")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Decimal, E> {
        Decimal::try_from_i128_with_scale(v, 0).map_err(|_| E::custom(format!("{v} is too large for a price")))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Decimal, E> {
        i128::try_from(v)
            .ok()
            .and_then(|v| Decimal::try_from_i128_with_scale(v, 0).ok())
            .ok_or_else(|| E::custom(format!("{v} is too large for a price")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        if !v.is_finite() {
            return Err(E::custom(format!("{v} is not a usable number")));
        }
        // Display for f64 is the shortest text that round-trips and never uses an exponent.
        parse_decimal(&v.to_string()).map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        parse_decimal(v).map_err(E::custom)
    }
}

fn parse_decimal(text: &str) -> Result<Decimal, String> {
    let t = text.trim();
    Decimal::from_str(t).or_else(|_| Decimal::from_scientific(t)).map_err(|_| format!("`{t}` is not a decimal number"))
}

fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    d.deserialize_any(DecimalVisitor)
}

fn de_opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    struct DecimalField(Decimal);
    impl<'de> Deserialize<'de> for DecimalField {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            de_decimal(d).map(DecimalField)
        }
    }
    Ok(Option::<DecimalField>::deserialize(d)?.map(|f| f.0))
}

// Written as strings so a round trip through TOML or JSON cannot pick up float error.
fn ser_decimal<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

fn ser_opt_decimal<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => ser_decimal(v, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test literal")
    }

    fn table() -> PriceTable {
        PricingConfig::default().validate().expect("shipped defaults validate")
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
        assert_eq!(t.default_model().name(), "gpt-4o");
        assert_eq!(t.batch_discount_percent(), d("50"));
        let m = t.resolve_model("gpt-4o-mini").expect("known");
        assert_eq!(m.input_per_mtok(), d("0.15"));
        assert_eq!(m.cached_input_per_mtok(), Some(d("0.075")));
        assert_eq!(m.output_per_mtok(), d("0.60"));
        assert_eq!(m.tokenizer(), Tokenizer::O200kBase);
        let old = t.resolve_model("gpt-3.5-turbo").expect("known");
        assert_eq!(old.cached_input_per_mtok(), None);
        assert_eq!(old.tokenizer(), Tokenizer::Cl100kBase);
        assert_eq!(t.plus_plan().usd_per_month(), d("20"));
        assert!(t.plus_plan().caveat().is_some_and(|c| c.contains("$25")));
        assert_eq!(t.plan("free").map(Plan::usd_per_month), Some(Decimal::ZERO));
        assert!(!t.as_of().is_empty() && !t.source().is_empty());
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
        let mut cfg = PricingConfig::default();
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
        let mut cfg = PricingConfig::default();
        if let Some(m) = cfg.models.get_mut("gpt-4o") {
            m.input_per_mtok = d("-1");
        }
        assert_eq!(config_error(&cfg), "pricing.models.gpt-4o.input_per_mtok must not be negative");

        let mut cfg = PricingConfig::default();
        if let Some(m) = cfg.models.get_mut("gpt-3.5-turbo") {
            m.tokenizer = "p50k_base".into();
        }
        assert_eq!(
            config_error(&cfg),
            "pricing.models.\"gpt-3.5-turbo\".tokenizer is unknown (`p50k_base`): use o200k_base or cl100k_base"
        );

        let mut cfg = PricingConfig::default();
        if let Some(m) = cfg.models.get_mut("gpt-4o-mini") {
            m.cached_input_per_mtok = Some(d("-0.01"));
        }
        assert_eq!(config_error(&cfg), "pricing.models.gpt-4o-mini.cached_input_per_mtok must not be negative");

        let mut cfg = PricingConfig::default();
        if let Some(m) = cfg.models.get_mut("gpt-4o-mini") {
            m.aliases.push("4O".into());
        }
        assert_eq!(config_error(&cfg), "pricing.models.gpt-4o-mini.aliases alias `4o` is already used by model gpt-4o");

        let mut cfg = PricingConfig { batch_discount_percent: d("150"), ..PricingConfig::default() };
        assert_eq!(config_error(&cfg), "pricing.batch_discount_percent must be between 0 and 100 (got 150)");
        cfg.batch_discount_percent = d("-1");
        assert!(config_error(&cfg).starts_with("pricing.batch_discount_percent "));

        let cfg = PricingConfig { default_model: "gpt-5".into(), ..PricingConfig::default() };
        assert_eq!(
            config_error(&cfg),
            "pricing.default_model names unknown model `gpt-5` (known: gpt-3.5-turbo, gpt-4o, gpt-4o-mini)"
        );

        let mut cfg = PricingConfig::default();
        cfg.plans.remove("plus");
        assert_eq!(
            config_error(&cfg),
            "pricing.plans.plus is missing: conversation estimates compare against ChatGPT Plus"
        );

        let mut cfg = PricingConfig::default();
        if let Some(p) = cfg.plans.get_mut("plus") {
            p.usd_per_month = d("-20");
        }
        assert_eq!(config_error(&cfg), "pricing.plans.plus.usd_per_month must not be negative");

        let mut cfg = PricingConfig::default();
        cfg.models.clear();
        assert_eq!(config_error(&cfg), "pricing.models must list at least one model");

        let mut cfg = PricingConfig::default();
        let m = cfg.models["gpt-4o"].clone();
        let mut m2 = m.clone();
        m2.aliases.clear();
        cfg.models.insert("GPT 4o".into(), m2);
        assert_eq!(config_error(&cfg), "pricing.models.gpt-4o name `gpt-4o` is already used by model GPT 4o");

        let mut cfg = PricingConfig::default();
        if let Some(m) = cfg.models.get_mut("gpt-4o") {
            m.aliases.push("  ".into());
        }
        assert_eq!(config_error(&cfg), "pricing.models.gpt-4o.aliases must not contain an empty alias");
    }

    #[test]
    fn default_model_may_be_an_alias() {
        let cfg = PricingConfig { default_model: "4o mini".into(), ..PricingConfig::default() };
        assert_eq!(cfg.validate().expect("valid").default_model().name(), "gpt-4o-mini");
    }

    #[derive(Deserialize)]
    struct Probe {
        #[serde(deserialize_with = "de_decimal")]
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

    const BOT_TOML: &str = r#"
[pricing]
as_of = "2025-01"
source = "OpenAI API vs ChatGPT article; figures marked [VERIFY] there"
batch_discount_percent = 50
default_model = "gpt-4o"

[pricing.models.gpt-4o]
input_per_mtok = 2.50
cached_input_per_mtok = 1.25
output_per_mtok = 10.00
tokenizer = "o200k_base"
aliases = ["4o", "gpt4o", "gpt-4-o"]

[pricing.models.gpt-4o-mini]
input_per_mtok = 0.15
cached_input_per_mtok = 0.075
output_per_mtok = 0.60
tokenizer = "o200k_base"
aliases = ["4o-mini", "gpt4o-mini", "4o mini", "gpt-4o mini"]

[pricing.models."gpt-3.5-turbo"]
input_per_mtok = "0.50"
output_per_mtok = 1.5
tokenizer = "cl100k_base"
aliases = ["3.5", "gpt-3.5", "gpt35", "gpt-3.5 turbo", "3.5-turbo"]

[pricing.plans.free]
name = "ChatGPT Free"
usd_per_month = 0

[pricing.plans.plus]
name = "ChatGPT Plus"
usd_per_month = 20
caveat = "the article says Plus was recently raised to $25 [VERIFY current pricing]"
"#;

    #[derive(Deserialize)]
    struct BotToml {
        pricing: PricingConfig,
    }

    #[test]
    fn bot_toml_section_loads_through_the_config_crate_like_the_defaults() {
        let loaded: BotToml = config::Config::builder()
            .add_source(config::File::from_str(BOT_TOML, config::FileFormat::Toml))
            .build()
            .and_then(config::Config::try_deserialize)
            .expect("config crate loads [pricing]");
        assert_eq!(loaded.pricing, PricingConfig::default());
        assert!(loaded.pricing.validate().is_ok());

        let direct: BotToml = toml::from_str(BOT_TOML).expect("toml loads [pricing]");
        assert_eq!(direct.pricing, PricingConfig::default());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let bad = BOT_TOML.replace("tokenizer = \"cl100k_base\"", "tokeniser = \"cl100k_base\"");
        let err = toml::from_str::<BotToml>(&bad).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("tokeniser"), "{err}");
    }

    #[test]
    fn serialized_defaults_round_trip_through_toml() {
        let text = toml::to_string(&PricingConfig::default()).expect("serializes");
        let back: PricingConfig = toml::from_str(&text).expect("parses back");
        assert_eq!(back, PricingConfig::default());
    }
}
