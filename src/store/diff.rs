//! What changed between two generations, from their manifests: sections (by digest), features,
//! availability per product, aliases, notes, product words, the lexicon, the scope lists (other
//! vendors, uncovered topics) and the prices (models, plans, each price file's terms).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::corpus::{Corpus, Passage};

/// The parts of a feature entry a diff reports on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FeatureDigest {
    /// Product id -> value, in table order.
    pub availability: Vec<(String, String)>,
    pub aliases: Vec<String>,
    pub note: String,
}

/// What a manifest records for diffs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Digest {
    /// Section key ("doc › section") -> digest of its passages.
    pub sections: BTreeMap<String, String>,
    pub features: BTreeMap<String, FeatureDigest>,
    /// Product id -> its words, in table order.
    pub products: Vec<(String, Vec<String>)>,
    /// Lexicon entries, "word = replacement", sorted.
    pub lexicon: Vec<String>,
    /// `[scope] others` and `topics`, as the table lists them.
    #[serde(default)]
    pub others: Vec<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    /// "model NAME", "plan KEY (FILE)" and each price file's name -> its fields and values.
    #[serde(default)]
    pub prices: BTreeMap<String, Vec<(String, String)>>,
}

impl Digest {
    pub fn of(corpus: &Corpus) -> Digest {
        let table = &corpus.table;
        Digest {
            sections: section_digests(&corpus.passages),
            features: table
                .features
                .iter()
                .map(|f| {
                    let availability = table
                        .products
                        .iter()
                        .zip(&f.availability)
                        .map(|(p, a)| (p.id.clone(), a.to_string()))
                        .collect();
                    (f.id.clone(), FeatureDigest { availability, aliases: f.aliases.clone(), note: f.note.clone() })
                })
                .collect(),
            products: table.products.iter().map(|p| (p.id.clone(), p.words.clone())).collect(),
            lexicon: corpus.lexicon.sorted().into_iter().map(|(k, v)| format!("{k} = {v}")).collect(),
            others: table.others.clone(),
            topics: table.topics.clone(),
            prices: price_digests(&corpus.prices),
        }
    }
}

/// Each price file's terms, model and plan, as its fields and their values in words, so a diff
/// names what changed ("model gpt-4o: input_per_mtok 2.5 -> 2").
fn price_digests(files: &[crate::corpus::PriceFile]) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out = BTreeMap::new();
    let field = |k: &str, v: String| (k.to_owned(), v);
    for f in files {
        let p = &f.prices;
        out.insert(
            f.file.clone(),
            vec![
                field("as_of", p.as_of.clone()),
                field("source", p.source.clone()),
                field("products", p.products.join(", ")),
                field("default_model", p.default_model.clone()),
                field("batch_discount_percent", p.batch_discount_percent.normalize().to_string()),
                field("compare_plan", p.compare_plan.clone().unwrap_or_default()),
            ],
        );
        for (name, m) in &p.models {
            let cached = m.cached_input_per_mtok.map(|c| c.normalize().to_string()).unwrap_or_default();
            out.insert(
                format!("model {name}"),
                vec![
                    field("file", f.file.clone()),
                    field("input_per_mtok", m.input_per_mtok.normalize().to_string()),
                    field("cached_input_per_mtok", cached),
                    field("output_per_mtok", m.output_per_mtok.normalize().to_string()),
                    field("tokenizer", m.tokenizer.trim().to_owned()),
                    field("aliases", m.aliases.join(", ")),
                ],
            );
        }
        for (key, plan) in &p.plans {
            out.insert(
                format!("plan {key} ({})", f.file),
                vec![
                    field("name", plan.name.clone()),
                    field("usd_per_month", plan.usd_per_month.normalize().to_string()),
                    field("caveat", plan.caveat.clone().unwrap_or_default()),
                ],
            );
        }
    }
    out
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Diff {
    /// The generation compared with; `None` for the first build.
    pub previous: Option<String>,
    pub sections_added: Vec<String>,
    pub sections_removed: Vec<String>,
    pub sections_changed: Vec<String>,
    pub features_added: Vec<String>,
    pub features_removed: Vec<String>,
    /// E.g. "api.memory: no -> partial".
    pub availability_changes: Vec<String>,
    /// E.g. "memory: +recall, -retain".
    pub alias_changes: Vec<String>,
    /// Feature ids whose note changed.
    pub note_changes: Vec<String>,
    /// E.g. "api: +sdk", "products added: teams".
    pub product_changes: Vec<String>,
    /// E.g. "+ngl = not gonna lie".
    pub lexicon_changes: Vec<String>,
    /// E.g. "others: +anthropic", "topics: -sso".
    pub scope_changes: Vec<String>,
    /// E.g. "model gpt-4o: input_per_mtok 2.5 -> 3", "+model claude-sonnet-4", "-plan pro (x.prices.toml)".
    pub price_changes: Vec<String>,
}

impl Diff {
    /// Each kind of change with its label, in report order.
    pub fn lists(&self) -> [(&'static str, &[String]); 12] {
        [
            ("sections added", &self.sections_added),
            ("sections removed", &self.sections_removed),
            ("sections changed", &self.sections_changed),
            ("features added", &self.features_added),
            ("features removed", &self.features_removed),
            ("availability", &self.availability_changes),
            ("aliases", &self.alias_changes),
            ("notes changed", &self.note_changes),
            ("products", &self.product_changes),
            ("lexicon", &self.lexicon_changes),
            ("scope", &self.scope_changes),
            ("prices", &self.price_changes),
        ]
    }

    pub fn is_empty(&self) -> bool {
        self.lists().iter().all(|(_, l)| l.is_empty())
    }
}

/// The changes from `old` (the generation named `previous`) to `new`.
pub fn diff(previous: Option<&str>, old: Option<&Digest>, new: &Digest) -> Diff {
    let mut d = Diff { previous: previous.map(str::to_owned), ..Diff::default() };
    let Some(old) = old else { return d };
    for (k, v) in &new.sections {
        match old.sections.get(k) {
            None => d.sections_added.push(k.clone()),
            Some(o) if o != v => d.sections_changed.push(k.clone()),
            _ => {}
        }
    }
    d.sections_removed = old.sections.keys().filter(|k| !new.sections.contains_key(*k)).cloned().collect();
    for (id, f) in &new.features {
        let Some(o) = old.features.get(id) else {
            d.features_added.push(id.clone());
            continue;
        };
        for (product, value) in &f.availability {
            let before = o.availability.iter().find(|(p, _)| p == product).map_or("(none)", |(_, v)| v.as_str());
            if before != value {
                d.availability_changes.push(format!("{product}.{id}: {before} -> {value}"));
            }
        }
        if let Some(change) = list_change(id, &o.aliases, &f.aliases) {
            d.alias_changes.push(change);
        }
        if o.note != f.note {
            d.note_changes.push(id.clone());
        }
    }
    d.features_removed = old.features.keys().filter(|k| !new.features.contains_key(*k)).cloned().collect();
    for (id, words) in &new.products {
        match old.products.iter().find(|(p, _)| p == id) {
            None => d.product_changes.push(format!("added {id}")),
            Some((_, before)) => d.product_changes.extend(list_change(id, before, words)),
        }
    }
    for (id, _) in &old.products {
        if !new.products.iter().any(|(p, _)| p == id) {
            d.product_changes.push(format!("removed {id}"));
        }
    }
    d.lexicon_changes.extend(new.lexicon.iter().filter(|e| !old.lexicon.contains(e)).map(|e| format!("+{e}")));
    d.lexicon_changes.extend(old.lexicon.iter().filter(|e| !new.lexicon.contains(e)).map(|e| format!("-{e}")));
    d.scope_changes.extend(list_change("others", &old.others, &new.others));
    d.scope_changes.extend(list_change("topics", &old.topics, &new.topics));
    for (k, fields) in &new.prices {
        let Some(before) = old.prices.get(k) else {
            d.price_changes.push(format!("+{k}"));
            continue;
        };
        let shown = |v: &str| if v.is_empty() { "(none)".to_owned() } else { v.to_owned() };
        let changed: Vec<String> = fields
            .iter()
            .filter_map(|(f, v)| {
                let o = before.iter().find(|(g, _)| g == f).map_or("", |(_, o)| o.as_str());
                (o != v).then(|| format!("{f} {} -> {}", shown(o), shown(v)))
            })
            .collect();
        if !changed.is_empty() {
            d.price_changes.push(format!("{k}: {}", changed.join("; ")));
        }
    }
    d.price_changes.extend(old.prices.keys().filter(|k| !new.prices.contains_key(*k)).map(|k| format!("-{k}")));
    d
}

/// "id: +added, -removed", or `None` when the lists hold the same words.
fn list_change(id: &str, old: &[String], new: &[String]) -> Option<String> {
    let added = new.iter().filter(|w| !old.contains(w)).map(|w| format!("+{w}"));
    let removed = old.iter().filter(|w| !new.contains(w)).map(|w| format!("-{w}"));
    let all: Vec<String> = added.chain(removed).collect();
    (!all.is_empty()).then(|| format!("{id}: {}", all.join(", ")))
}

fn section_digests(passages: &[Passage]) -> BTreeMap<String, String> {
    let mut hashers: BTreeMap<String, Sha256> = BTreeMap::new();
    for p in passages {
        let key = format!("{} › {}", p.doc, p.section);
        let h = hashers.entry(key).or_default();
        h.update(p.heading.as_bytes());
        h.update([0]);
        h.update(p.text.as_bytes());
        h.update([0]);
    }
    hashers.into_iter().map(|(k, h)| (k, h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(aliases: &[&str], note: &str, api: &str, words: &[&str], lexicon: &[&str]) -> Digest {
        let mut features = BTreeMap::new();
        features.insert(
            "memory".to_owned(),
            FeatureDigest {
                availability: vec![("chatgpt".into(), "yes".into()), ("api".into(), api.into())],
                aliases: aliases.iter().map(|s| (*s).to_owned()).collect(),
                note: note.into(),
            },
        );
        Digest {
            sections: BTreeMap::new(),
            features,
            products: vec![("api".into(), words.iter().map(|s| (*s).to_owned()).collect())],
            lexicon: lexicon.iter().map(|s| (*s).to_owned()).collect(),
            ..Digest::default()
        }
    }

    #[test]
    fn reports_aliases_notes_products_and_lexicon() {
        let old = digest(&["memory", "retain"], "a", "no", &["api"], &["u = you"]);
        let new = digest(&["memory", "recall"], "b", "partial", &["api", "sdk"], &["u = you", "pls = please"]);
        let d = diff(Some("gen-000001"), Some(&old), &new);
        assert_eq!(d.availability_changes, ["api.memory: no -> partial"]);
        assert_eq!(d.alias_changes, ["memory: +recall, -retain"]);
        assert_eq!(d.note_changes, ["memory"]);
        assert_eq!(d.product_changes, ["api: +sdk"]);
        assert_eq!(d.lexicon_changes, ["+pls = please"]);
        assert!(diff(Some("g"), Some(&new), &new).is_empty());
    }

    #[test]
    fn reports_scope_and_price_changes() {
        let mut old = digest(&[], "a", "no", &[], &[]);
        old.others = vec!["claude".into(), "gemini".into()];
        old.topics = vec!["sso".into()];
        let fields =
            |v: &str| vec![("input_per_mtok".to_owned(), v.to_owned()), ("tokenizer".into(), "o200k_base".into())];
        old.prices.insert("model gpt-4o".into(), fields("2.5"));
        old.prices.insert("plan pro (a.prices.toml)".into(), fields("20"));
        let mut new = old.clone();
        new.others = vec!["gemini".into()];
        new.topics = vec!["sso".into(), "hipaa".into()];
        new.prices.insert("model gpt-4o".into(), fields("3"));
        new.prices.insert("model claude-sonnet-4".into(), fields("3"));
        new.prices.remove("plan pro (a.prices.toml)");
        let d = diff(Some("gen-000001"), Some(&old), &new);
        assert_eq!(d.scope_changes, ["others: -claude", "topics: +hipaa"]);
        assert_eq!(
            d.price_changes,
            ["+model claude-sonnet-4", "model gpt-4o: input_per_mtok 2.5 -> 3", "-plan pro (a.prices.toml)"]
        );
    }
}
