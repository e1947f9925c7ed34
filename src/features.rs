//! The structured feature table (`corpus/features.toml`): which product offers what, the words people
//! use for each feature, and which section of the corpus supports the entry.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::corpus::Corpus;

pub const FEATURES_FILE: &str = "features.toml";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Availability {
    Yes,
    No,
    Partial,
    Unknown,
}

impl Availability {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Partial => "partial",
            Self::Unknown => "unknown",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "yes" => Some(Self::Yes),
            "no" => Some(Self::No),
            "partial" => Some(Self::Partial),
            "unknown" => Some(Self::Unknown),
            _ => None,
        }
    }
}

impl fmt::Display for Availability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The two products the corpus compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Product {
    Chatgpt,
    Api,
}

impl Product {
    pub const ALL: [Product; 2] = [Product::Chatgpt, Product::Api];

    pub fn id(self) -> &'static str {
        match self {
            Self::Chatgpt => "chatgpt",
            Self::Api => "api",
        }
    }

    /// How the product is named in a sentence.
    pub fn display(self) -> &'static str {
        match self {
            Self::Chatgpt => "ChatGPT",
            Self::Api => "the API",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feature {
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub chatgpt: Availability,
    pub api: Availability,
    pub note: String,
    pub section: String,
    pub heading: Option<String>,
    pub caveats: Vec<String>,
}

impl Feature {
    pub fn availability(&self, product: Product) -> Availability {
        match product {
            Product::Chatgpt => self.chatgpt,
            Product::Api => self.api,
        }
    }
}

/// The validated table, plus the product names and the out-of-scope names that question
/// understanding needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureTable {
    pub features: Vec<Feature>,
    pub products: BTreeMap<Product, Vec<String>>,
    pub others: Vec<String>,
    /// Groups of interchangeable words ("cost", "price", "pay"); retrieval widens a question with
    /// the rest of each group it touches.
    #[serde(default)]
    pub synonyms: Vec<Vec<String>>,
}

impl FeatureTable {
    pub fn get(&self, id: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.id == id)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FeatureError {
    #[error("{path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}:{line}: {message}")]
    Invalid { path: PathBuf, line: usize, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    products: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    scope: RawScope,
    #[serde(default)]
    feature: Vec<RawFeature>,
    #[serde(default)]
    synonyms: RawSynonyms,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSynonyms {
    #[serde(default)]
    groups: Vec<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawScope {
    #[serde(default)]
    others: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeature {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    chatgpt: Spanned<String>,
    api: Spanned<String>,
    note: String,
    section: Spanned<String>,
    #[serde(default)]
    heading: Option<String>,
    #[serde(default)]
    caveats: Vec<String>,
}

/// Reads `features.toml` from the corpus directory and validates it against the corpus.
pub fn load(dir: &Path, corpus: &Corpus) -> Result<FeatureTable, FeatureError> {
    let path = dir.join(FEATURES_FILE);
    let text = std::fs::read_to_string(&path).map_err(|source| FeatureError::Read { path: path.clone(), source })?;
    parse(&path, &text, corpus)
}

/// Parses and validates the table; every error names the file and the line of the offending entry.
pub fn parse(path: &Path, text: &str, corpus: &Corpus) -> Result<FeatureTable, FeatureError> {
    let raw: RawFile = toml::from_str(text)
        .map_err(|e| FeatureError::Syntax { path: path.to_owned(), message: syntax_message(text, &e) })?;
    let line_of = |span: std::ops::Range<usize>| text[..span.start.min(text.len())].matches('\n').count() + 1;
    let invalid = |span: std::ops::Range<usize>, message: String| FeatureError::Invalid {
        path: path.to_owned(),
        line: line_of(span),
        message,
    };

    let mut products = BTreeMap::new();
    for (name, aliases) in raw.products {
        let product = match name.as_str() {
            "chatgpt" => Product::Chatgpt,
            "api" => Product::Api,
            other => {
                return Err(FeatureError::Invalid {
                    path: path.to_owned(),
                    line: text.find("[products]").map_or(1, |i| line_of(i..i)),
                    message: format!("unknown product `{other}` in [products] (expected chatgpt or api)"),
                });
            }
        };
        products.insert(product, aliases.into_iter().map(|a| a.to_lowercase()).collect());
    }
    for product in Product::ALL {
        products.entry(product).or_insert_with(|| vec![product.id().to_owned()]);
    }

    if raw.feature.is_empty() {
        return Err(FeatureError::Invalid { path: path.to_owned(), line: 1, message: "no [[feature]] entries".into() });
    }
    let mut seen = HashSet::new();
    let mut features = Vec::with_capacity(raw.feature.len());
    for f in raw.feature {
        let id = f.id.get_ref().trim().to_owned();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return Err(invalid(f.id.span(), format!("feature id `{id}` must be lowercase letters, digits and _")));
        }
        if !seen.insert(id.clone()) {
            return Err(invalid(f.id.span(), format!("duplicate feature id `{id}`")));
        }
        let avail = |v: &Spanned<String>, product: &str| {
            Availability::parse(v.get_ref().trim()).ok_or_else(|| {
                invalid(
                    v.span(),
                    format!(
                        "feature `{id}`: unknown availability `{}` for {product} (expected yes, no, partial or unknown)",
                        v.get_ref()
                    ),
                )
            })
        };
        let chatgpt = avail(&f.chatgpt, "chatgpt")?;
        let api = avail(&f.api, "api")?;
        let section = f.section.get_ref().trim().to_owned();
        if !corpus.section_exists(&section) {
            return Err(invalid(
                f.section.span(),
                format!("feature `{id}`: section `{section}` does not exist in the corpus"),
            ));
        }
        if let Some(heading) = &f.heading {
            let full = format!("{section} › {heading}");
            if !corpus.passages.iter().any(|p| p.heading.eq_ignore_ascii_case(&full)) {
                return Err(invalid(
                    f.section.span(),
                    format!("feature `{id}`: no item `{heading}` in section `{section}`"),
                ));
            }
        }
        let mut aliases: Vec<String> =
            f.aliases.iter().map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()).collect();
        for implied in [f.name.to_lowercase(), id.replace('_', " ")] {
            if !aliases.contains(&implied) {
                aliases.push(implied);
            }
        }
        features.push(Feature {
            id,
            name: f.name,
            aliases,
            chatgpt,
            api,
            note: f.note,
            section,
            heading: f.heading,
            caveats: f.caveats,
        });
    }
    Ok(FeatureTable {
        features,
        products,
        others: raw.scope.others.into_iter().map(|o| o.to_lowercase()).collect(),
        synonyms: raw
            .synonyms
            .groups
            .into_iter()
            .map(|g| g.into_iter().map(|w| w.trim().to_lowercase()).filter(|w| !w.is_empty()).collect::<Vec<_>>())
            .filter(|g| g.len() > 1)
            .collect(),
    })
}

fn syntax_message(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}: {}", e.message())
        }
        None => e.message().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::split_document;

    fn corpus() -> Corpus {
        let (doc, passages) = split_document("a", "# T\n\n## Only\n\nMemory — remembers.\n");
        Corpus { docs: vec![doc], passages, fingerprint: "x".into(), bytes: 0 }
    }

    const OK: &str = r#"
[[feature]]
id = "memory"
name = "Memory"
chatgpt = "yes"
api = "no"
note = "n"
section = "Only"
heading = "Memory"
"#;

    fn err(text: &str) -> String {
        parse(Path::new("features.toml"), text, &corpus()).unwrap_err().to_string()
    }

    #[test]
    fn parses_a_valid_entry() {
        let t = parse(Path::new("f.toml"), OK, &corpus()).unwrap();
        assert_eq!(t.features[0].api, Availability::No);
        assert!(t.features[0].aliases.contains(&"memory".to_owned()));
        assert_eq!(t.products[&Product::Api], ["api"]);
    }

    #[test]
    fn duplicate_id_names_file_and_line() {
        let text = format!("{OK}{OK}");
        assert_eq!(err(&text), "features.toml:12: duplicate feature id `memory`");
    }

    #[test]
    fn unknown_availability_names_the_value() {
        let text = OK.replace("api = \"no\"", "api = \"maybe\"");
        let e = err(&text);
        assert!(e.starts_with("features.toml:6: feature `memory`: unknown availability `maybe` for api"), "{e}");
    }

    #[test]
    fn missing_section_is_rejected() {
        let text = OK.replace("section = \"Only\"", "section = \"Nowhere\"");
        assert_eq!(err(&text), "features.toml:8: feature `memory`: section `Nowhere` does not exist in the corpus");
    }

    #[test]
    fn syntax_error_names_the_line() {
        let e = err("[[feature]]\nid = \"x\nname = 1\n");
        assert!(e.starts_with("features.toml: line 2:"), "{e}");
    }
}
