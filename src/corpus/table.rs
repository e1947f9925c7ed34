//! The structured feature table (`features.toml`): the products the corpus describes, what each of
//! them offers, the words people use for each feature, and which passage supports the entry. Any
//! number of products, in the order the file declares them.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::diag::{Diagnostic, Reader, Table, Value, get, suggestion};
use super::document::{Document, Passage};
use crate::text;

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
    pub const ALL: [Availability; 4] = [Self::Yes, Self::No, Self::Partial, Self::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Partial => "partial",
            Self::Unknown => "unknown",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl fmt::Display for Availability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One product the corpus describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: String,
    /// How a sentence names it ("the API").
    pub name: String,
    /// Column headers and embed fields ("API").
    pub short: String,
    /// The words that name it in a question, lowercase.
    pub words: Vec<String>,
}

/// How a verdict reads, per availability, with `{product}` and `{name}` filled in. Unset ones read
/// as "{product} offers {name}" and its negations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headline {
    pub yes: Option<String>,
    pub no: Option<String>,
    pub partial: Option<String>,
    pub unknown: Option<String>,
}

impl Headline {
    pub fn get(&self, a: Availability) -> Option<&str> {
        match a {
            Availability::Yes => self.yes.as_deref(),
            Availability::No => self.no.as_deref(),
            Availability::Partial => self.partial.as_deref(),
            Availability::Unknown => self.unknown.as_deref(),
        }
    }

    fn set(&mut self, a: Availability, s: String) {
        let slot = match a {
            Availability::Yes => &mut self.yes,
            Availability::No => &mut self.no,
            Availability::Partial => &mut self.partial,
            Availability::Unknown => &mut self.unknown,
        };
        *slot = Some(s);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feature {
    pub id: String,
    pub name: String,
    /// Lowercase; the name and the id (with spaces) are always among them.
    pub aliases: Vec<String>,
    /// One value per product, in the table's product order.
    pub availability: Vec<Availability>,
    pub note: String,
    /// The document whose section supports the entry (always resolved).
    pub doc: String,
    pub section: String,
    /// The item label inside the section ("Memory" for "Memory — ..."), cited first.
    pub heading: Option<String>,
    pub caveats: Vec<String>,
    /// Questions the feature answers, in the words people use.
    pub examples: Vec<String>,
    pub headline: Headline,
}

impl Feature {
    /// The passage heading of the supporting item ("Features Only in ChatGPT › Memory").
    pub fn item_heading(&self) -> Option<String> {
        self.heading.as_ref().map(|h| format!("{} › {h}", self.section))
    }
}

/// The validated table, plus what question understanding needs: products, other vendors, synonyms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureTable {
    pub products: Vec<Product>,
    pub features: Vec<Feature>,
    /// Other vendors' products, lowercase: a question about one of them is out of scope.
    pub others: Vec<String>,
    /// Topics of the domain the corpus does not cover, lowercase: a question about one is out of
    /// scope unless it clearly names a feature.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Groups of interchangeable words ("cost", "price", "pay"); retrieval widens a question with
    /// the rest of each group it touches.
    pub synonyms: Vec<Vec<String>>,
}

impl FeatureTable {
    pub fn get(&self, id: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.id == id)
    }

    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    pub fn product_index(&self, id: &str) -> Option<usize> {
        self.products.iter().position(|p| p.id == id)
    }
}

const TOP_KEYS: &[&str] = &["products", "scope", "synonyms", "feature"];
const PRODUCT_KEYS: &[&str] = &["name", "short", "words"];
const FEATURE_KEYS: &[&str] =
    &["id", "name", "aliases", "availability", "note", "doc", "section", "heading", "caveats", "examples", "headline"];

/// Parses and validates `features.toml` against the documents; every problem is reported, each with
/// its line.
pub fn parse(
    path: &Path,
    text: &str,
    docs: &[Document],
    passages: &[Passage],
) -> Result<FeatureTable, Vec<Diagnostic>> {
    let mut r = Reader::new(path, text);
    let root = r.parse();
    r.unknown_keys(&root, TOP_KEYS, path.file_name().and_then(|n| n.to_str()).unwrap_or("features.toml"));
    let products = products(&mut r, &root);
    let (others, topics) = match get(&root, "scope") {
        Some((_, v)) => match r.table(v, "scope") {
            Some(t) => {
                r.unknown_keys(t, &["others", "topics"], "[scope]");
                let list =
                    |r: &mut Reader, key: &str| get(t, key).and_then(|(_, v)| r.strings(v, key)).unwrap_or_default();
                (list(&mut r, "others"), list(&mut r, "topics"))
            }
            None => (Vec::new(), Vec::new()),
        },
        None => (Vec::new(), Vec::new()),
    };
    let lower = |v: Vec<String>| -> Vec<String> {
        v.into_iter().map(|o| o.trim().to_lowercase()).filter(|o| !o.is_empty()).collect()
    };
    let synonyms = synonym_groups(&mut r, &root);
    let (features, alias_sets) = features(&mut r, &root, &products, docs, passages);
    let mut diagnostics = r.into_diagnostics();
    diagnostics.extend(duplicate_aliases(path, text, &alias_sets));
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let features = features.into_iter().map(|(f, _)| f).collect();
    Ok(FeatureTable { products, features, others: lower(others), topics: lower(topics), synonyms })
}

fn products(r: &mut Reader, root: &Table) -> Vec<Product> {
    let Some((key, v)) = get(root, "products") else {
        r.error(0..0, "no [products]: declare each product as [products.ID] with `name` and `words`");
        return Vec::new();
    };
    let Some(table) = r.table(v, "products") else { return Vec::new() };
    if table.is_empty() {
        r.error(key.span(), "[products] is empty: declare each product as [products.ID] with `name` and `words`");
    }
    let mut out: Vec<Product> = Vec::new();
    let mut word_owner: HashMap<String, String> = HashMap::new();
    for (id, v) in table.iter() {
        let id_str = id.get_ref().to_string();
        if !valid_id(&id_str) {
            r.error(id.span(), format!("product id `{id_str}` must be lowercase letters, digits and _"));
        }
        let Some(t) = r.table(v, &format!("products.{id_str}")) else { continue };
        r.unknown_keys(t, PRODUCT_KEYS, &format!("[products.{id_str}]"));
        let name = match get(t, "name") {
            Some((_, v)) => r.string(v, "name"),
            None => {
                r.error(v.span(), format!("[products.{id_str}] needs `name` (how a sentence names it)"));
                None
            }
        };
        let short = get(t, "short").and_then(|(_, v)| r.string(v, "short"));
        let words = match get(t, "words") {
            Some((_, v)) => {
                let words = r.strings(v, "words").unwrap_or_default();
                for w in &words {
                    let w = w.trim().to_lowercase();
                    if let Some(other) = word_owner.insert(w.clone(), id_str.clone())
                        && other != id_str
                    {
                        r.error(v.span(), format!("product word `{w}` names both `{other}` and `{id_str}`"));
                    }
                }
                words
            }
            None => vec![id_str.replace('_', " ")],
        };
        let name = name.unwrap_or_else(|| id_str.clone());
        let short = short.unwrap_or_else(|| default_short(&name));
        out.push(Product {
            id: id_str,
            name,
            short,
            words: words.into_iter().map(|w| w.trim().to_lowercase()).filter(|w| !w.is_empty()).collect(),
        });
    }
    out
}

/// "the API" -> "API"; "ChatGPT" stays.
fn default_short(name: &str) -> String {
    let bare = name.strip_prefix("the ").or_else(|| name.strip_prefix("The ")).unwrap_or(name);
    let mut c = bare.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn synonym_groups(r: &mut Reader, root: &Table) -> Vec<Vec<String>> {
    let Some((_, v)) = get(root, "synonyms") else { return Vec::new() };
    let Some(t) = r.table(v, "synonyms") else { return Vec::new() };
    r.unknown_keys(t, &["groups"], "[synonyms]");
    let Some((_, groups)) = get(t, "groups") else { return Vec::new() };
    let Some(items) = groups.get_ref().as_array() else {
        r.error(groups.span(), "`groups` must be an array of arrays of words");
        return Vec::new();
    };
    let mut out = Vec::new();
    for g in items.iter() {
        let words = r.strings(g, "groups").unwrap_or_default();
        let words: Vec<String> = words.into_iter().map(|w| w.trim().to_lowercase()).filter(|w| !w.is_empty()).collect();
        if words.len() > 1 {
            out.push(words);
        }
    }
    out
}

/// Each feature with the line of its `id` (for later cross-feature checks), and the aliases of
/// every entry with an id, complete or not: an alias collision is reported in the same load as a
/// missing availability, not in the next.
fn features(
    r: &mut Reader,
    root: &Table,
    products: &[Product],
    docs: &[Document],
    passages: &[Passage],
) -> (Vec<(Feature, usize)>, Vec<AliasSet>) {
    let Some((key, v)) = get(root, "feature") else {
        r.error(0..0, "no [[feature]] entries");
        return (Vec::new(), Vec::new());
    };
    let Some(items) = v.get_ref().as_array() else {
        r.error(key.span(), "`feature` must be an array of tables: write each entry as [[feature]]");
        return (Vec::new(), Vec::new());
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let (mut out, mut alias_sets) = (Vec::new(), Vec::new());
    for item in items.iter() {
        let Some(t) = r.table(item, "feature") else { continue };
        let id_span = get(t, "id").map_or(item.span(), |(_, v)| v.span());
        let line = r.line_of(id_span.start);
        let (f, aliases) = feature(r, t, item, products, docs, passages);
        if let Some((id, aliases)) = aliases
            && !seen.contains_key(&id)
        {
            alias_sets.push(AliasSet { id, aliases, line });
        }
        if let Some(f) = f {
            if let Some(first) = seen.insert(f.id.clone(), line) {
                r.error(id_span, format!("duplicate feature id `{}` (first at line {first})", f.id));
                continue;
            }
            out.push((f, line));
        }
    }
    (out, alias_sets)
}

/// A feature entry's id and aliases (as the matcher sees them), with the line of its `id`.
struct AliasSet {
    id: String,
    aliases: Vec<String>,
    line: usize,
}

fn feature(
    r: &mut Reader,
    t: &Table,
    item: &Value,
    products: &[Product],
    docs: &[Document],
    passages: &[Passage],
) -> (Option<Feature>, Option<(String, Vec<String>)>) {
    r.unknown_keys(t, FEATURE_KEYS, "[[feature]]");
    let required = |r: &mut Reader, key: &str| -> Option<String> {
        match get(t, key) {
            Some((_, v)) => r.string(v, key).map(|s| s.trim().to_owned()),
            None => {
                r.error(item.span(), format!("[[feature]] needs `{key}`"));
                None
            }
        }
    };
    let id = required(r, "id");
    if let Some(id) = &id
        && !valid_id(id)
    {
        r.error(
            get(t, "id").map_or(item.span(), |(_, v)| v.span()),
            format!("feature id `{id}` must be lowercase letters, digits and _"),
        );
    }
    let label = id.clone().unwrap_or_else(|| "?".into());
    let name = required(r, "name");
    let note = required(r, "note");
    let aliases = get(t, "aliases").and_then(|(_, v)| r.strings(v, "aliases")).unwrap_or_default();
    let caveats = get(t, "caveats").and_then(|(_, v)| r.strings(v, "caveats")).unwrap_or_default();
    let examples = get(t, "examples").and_then(|(_, v)| r.strings(v, "examples")).unwrap_or_default();
    let availability = availability(r, t, item, products, &label);
    let headline = headline(r, t);
    let location = location(r, t, item, docs, passages, &label);
    let mut aliases: Vec<String> = aliases.iter().map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()).collect();
    let implied = name.iter().map(|n| n.to_lowercase()).chain(id.iter().map(|i| i.replace('_', " ")));
    for implied in implied.collect::<Vec<_>>() {
        if !aliases.contains(&implied) {
            aliases.push(implied);
        }
    }
    let alias_set = id.clone().map(|id| (id, aliases.clone()));
    let feature = match (id, name, note, availability, location) {
        (Some(id), Some(name), Some(note), Some(availability), Some((doc, section, heading))) => {
            Some(Feature { id, name, aliases, availability, note, doc, section, heading, caveats, examples, headline })
        }
        _ => None,
    };
    (feature, alias_set)
}

fn availability(
    r: &mut Reader,
    t: &Table,
    item: &Value,
    products: &[Product],
    feature: &str,
) -> Option<Vec<Availability>> {
    let ids: Vec<&str> = products.iter().map(|p| p.id.as_str()).collect();
    let Some((_, v)) = get(t, "availability") else {
        r.error(
            item.span(),
            format!(
                "feature `{feature}` needs `availability = {{ {} }}`",
                ids.iter().map(|i| format!("{i} = \"yes\"")).collect::<Vec<_>>().join(", ")
            ),
        );
        return None;
    };
    let table = r.table(v, "availability")?;
    let mut out: Vec<Option<Availability>> = vec![None; products.len()];
    let mut ok = true;
    for (k, val) in table.iter() {
        let key = k.get_ref().as_ref();
        let Some(i) = ids.iter().position(|p| *p == key) else {
            r.error(
                k.span(),
                format!(
                    "feature `{feature}`: unknown product `{key}` in availability; products: {}{}",
                    ids.join(", "),
                    suggestion(key, ids.iter().copied())
                ),
            );
            ok = false;
            continue;
        };
        let Some(s) = r.string(val, key) else {
            ok = false;
            continue;
        };
        match Availability::parse(s.trim()) {
            Some(a) => out[i] = Some(a),
            None => {
                r.error(
                    val.span(),
                    format!("feature `{feature}`: unknown availability `{s}` for {key} (expected yes, no, partial or unknown)"),
                );
                ok = false;
            }
        }
    }
    let missing: Vec<&str> = ids.iter().zip(&out).filter(|(_, a)| a.is_none()).map(|(id, _)| *id).collect();
    if ok && !missing.is_empty() {
        r.error(
            v.span(),
            format!("feature `{feature}`: availability misses {} (every product needs a value)", missing.join(", ")),
        );
        return None;
    }
    if !ok {
        return None;
    }
    out.into_iter().collect()
}

fn headline(r: &mut Reader, t: &Table) -> Headline {
    let mut h = Headline::default();
    let Some((_, v)) = get(t, "headline") else { return h };
    let Some(table) = r.table(v, "headline") else { return h };
    for (k, val) in table.iter() {
        let key = k.get_ref().as_ref();
        let Some(a) = Availability::parse(key) else {
            r.error(k.span(), format!("unknown key `{key}` in headline (expected yes, no, partial or unknown)"));
            continue;
        };
        let Some(s) = r.string(val, key) else { continue };
        if let Some(bad) = placeholders(&s).find(|p| !matches!(*p, "product" | "name")) {
            r.error(val.span(), format!("unknown placeholder `{{{bad}}}` in headline (use {{product}} and {{name}})"));
            continue;
        }
        h.set(a, s.trim().to_owned());
    }
    h
}

fn placeholders(s: &str) -> impl Iterator<Item = &str> {
    s.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(p, _)| p))
}

/// The feature's document, section and item, checked against the corpus, with suggestions.
fn location(
    r: &mut Reader,
    t: &Table,
    item: &Value,
    docs: &[Document],
    passages: &[Passage],
    feature: &str,
) -> Option<(String, String, Option<String>)> {
    let doc = get(t, "doc").and_then(|(_, v)| r.string(v, "doc").map(|s| (s.trim().to_owned(), v.span())));
    let Some((_, section_value)) = get(t, "section") else {
        r.error(item.span(), format!("feature `{feature}` needs `section` (a ## heading of a document)"));
        return None;
    };
    let section = r.string(section_value, "section")?.trim().to_owned();
    let doc = match doc {
        Some((id, span)) => match docs.iter().find(|d| d.id == id) {
            Some(d) => d,
            None => {
                let hint = suggestion(&id, docs.iter().map(|d| d.id.as_str()));
                let all: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
                r.error(span, format!("feature `{feature}`: no document `{id}`; documents: {}{hint}", all.join(", ")));
                return None;
            }
        },
        None => {
            let having: Vec<&Document> = docs.iter().filter(|d| has_section(d, passages, &section)).collect();
            match having.as_slice() {
                [one] => *one,
                [] => {
                    let all = docs.iter().flat_map(|d| d.sections.iter().map(String::as_str));
                    let hint = suggestion(&section, all);
                    r.error(
                        section_value.span(),
                        format!("feature `{feature}`: section `{section}` does not exist in the corpus{hint}"),
                    );
                    return None;
                }
                many => {
                    let ids: Vec<&str> = many.iter().map(|d| d.id.as_str()).collect();
                    let options: Vec<String> = ids.iter().map(|id| format!("doc = \"{id}\"")).collect();
                    r.error(
                        section_value.span(),
                        format!(
                            "feature `{feature}`: section `{section}` is in {}; say which with {}",
                            ids.join(" and "),
                            options.join(" or ")
                        ),
                    );
                    return None;
                }
            }
        }
    };
    if !has_section(doc, passages, &section) {
        let hint = suggestion(&section, doc.sections.iter().map(String::as_str));
        r.error(
            section_value.span(),
            format!("feature `{feature}`: section `{section}` does not exist in {}{hint}", doc.id),
        );
        return None;
    }
    // The canonical spelling of the section, as the document writes it.
    let section = passages
        .iter()
        .find(|p| p.doc == doc.id && p.section.eq_ignore_ascii_case(&section))
        .map_or(section, |p| p.section.clone());
    let heading = match get(t, "heading") {
        Some((_, v)) => {
            let h = r.string(v, "heading")?.trim().to_owned();
            let prefix = format!("{section} › ");
            let items: Vec<&str> = passages
                .iter()
                .filter(|p| p.doc == doc.id && p.section == section)
                .filter_map(|p| p.heading.strip_prefix(&prefix))
                .collect();
            match items.iter().find(|i| i.eq_ignore_ascii_case(&h)) {
                Some(canonical) => Some((*canonical).to_owned()),
                None => {
                    let hint = suggestion(&h, items.iter().copied());
                    r.error(v.span(), format!("feature `{feature}`: no item `{h}` in section `{section}`{hint}"));
                    return None;
                }
            }
        }
        None => None,
    };
    Some((doc.id.clone(), section, heading))
}

fn has_section(doc: &Document, passages: &[Passage], section: &str) -> bool {
    passages.iter().any(|p| p.doc == doc.id && p.section.eq_ignore_ascii_case(section))
}

/// An alias in two features makes the second unreachable: report both, by line. Aliases are
/// compared as the matcher sees them, stemmed ("fine-tuning" and "fine tuning" are one alias).
fn duplicate_aliases(path: &Path, text: &str, features: &[AliasSet]) -> Vec<Diagnostic> {
    let mut analyzer = text::word_analyzer();
    let mut owner: HashMap<Vec<String>, (usize, &str)> = HashMap::new();
    let mut out = Vec::new();
    for (fi, f) in features.iter().enumerate() {
        let line = &f.line;
        for a in &f.aliases {
            let key: Vec<String> = text::words(&mut analyzer, a).into_iter().map(|w| w.stem).collect();
            if key.is_empty() {
                continue;
            }
            match owner.get(&key) {
                Some(&(other, other_alias)) if other != fi && features[other].id != f.id => {
                    let (g, gline) = (&features[other], features[other].line);
                    out.push(Diagnostic {
                        path: path.to_owned(),
                        line: alias_line(text, *line, a).unwrap_or(*line),
                        message: format!(
                            "alias `{a}` of feature `{}` is also `{other_alias}` of feature `{}` (line {gline}): a question with it would only ever reach one; keep it in one feature",
                            f.id, g.id
                        ),
                    });
                }
                Some(_) => {}
                None => {
                    owner.insert(key, (fi, a.as_str()));
                }
            }
        }
    }
    out
}

/// The line of `alias` inside the feature entry that starts at `from`.
fn alias_line(text: &str, from: usize, alias: &str) -> Option<usize> {
    let needle = format!("\"{alias}\"");
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| l.to_lowercase().contains(&needle))
        .map(|(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::document::split_document;

    fn corpus() -> (Vec<Document>, Vec<Passage>) {
        let (a, mut pa) = split_document("a", "# A\n\n## Only\n\nMemory — remembers.\n\n## Pricing\n\nCosts money.\n");
        let (b, pb) = split_document("b", "# B\n\n## Pricing\n\nSeats cost money.\n");
        pa.extend(pb);
        (vec![a, b], pa)
    }

    const PRODUCTS: &str =
        "[products.chat]\nname = \"Chat\"\nwords = [\"chat\"]\n[products.api]\nname = \"the API\"\nwords = [\"api\"]\n";

    const OK: &str = r#"
[[feature]]
id = "memory"
name = "Memory"
availability = { chat = "yes", api = "no" }
note = "n"
section = "Only"
heading = "Memory"
"#;

    fn parse_str(text: &str) -> Result<FeatureTable, Vec<Diagnostic>> {
        let (docs, passages) = corpus();
        parse(Path::new("features.toml"), text, &docs, &passages)
    }

    fn errors(text: &str) -> Vec<String> {
        parse_str(text).unwrap_err().iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn parses_products_in_order_and_a_valid_entry() {
        let t = parse_str(&format!("{PRODUCTS}{OK}")).unwrap();
        let ids: Vec<&str> = t.products.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["chat", "api"]);
        assert_eq!(t.products[1].short, "API");
        assert_eq!(t.features[0].availability, [Availability::Yes, Availability::No]);
        assert_eq!(t.features[0].doc, "a");
        assert!(t.features[0].aliases.contains(&"memory".to_owned()));
    }

    #[test]
    fn every_problem_is_reported_with_its_line_at_once() {
        let text = format!(
            "{PRODUCTS}{}{}",
            OK.replace("section = \"Only\"", "section = \"Onyl\""),
            OK.replace("memory", "canvas")
                .replace("api = \"no\"", "apx = \"no\"")
                .replace("heading = \"Memory\"", "heading = \"Memroy\"")
        );
        let e = errors(&text);
        assert_eq!(
            e,
            [
                "features.toml:13: feature `memory`: section `Onyl` does not exist in the corpus (did you mean `Only`?)",
                "features.toml:19: feature `canvas`: unknown product `apx` in availability; products: chat, api (did you mean `api`?)",
                "features.toml:22: feature `canvas`: no item `Memroy` in section `Only` (did you mean `Memory`?)",
                // The second entry kept the name "Memory": its implied alias collides, reported in
                // the same load although the entry is incomplete.
                "features.toml:18: alias `memory` of feature `canvas` is also `memory` of feature `memory` (line 9): a question with it would only ever reach one; keep it in one feature",
            ]
        );
    }

    #[test]
    fn heading_typos_get_a_suggestion_and_missing_products_are_named() {
        let e = errors(&format!("{PRODUCTS}{}", OK.replace("heading = \"Memory\"", "heading = \"Memroy\"")));
        assert_eq!(
            e,
            ["features.toml:14: feature `memory`: no item `Memroy` in section `Only` (did you mean `Memory`?)"]
        );
        let e = errors(&format!("{PRODUCTS}{}", OK.replace(", api = \"no\"", "")));
        assert_eq!(e, ["features.toml:11: feature `memory`: availability misses api (every product needs a value)"]);
    }

    #[test]
    fn a_section_in_two_documents_needs_doc() {
        let entry = OK.replace("section = \"Only\"\nheading = \"Memory\"", "section = \"Pricing\"");
        let e = errors(&format!("{PRODUCTS}{entry}"));
        assert_eq!(
            e,
            [
                "features.toml:13: feature `memory`: section `Pricing` is in a and b; say which with doc = \"a\" or doc = \"b\""
            ]
        );
        let t = parse_str(&format!("{PRODUCTS}{}", entry.replace("section =", "doc = \"b\"\nsection ="))).unwrap();
        assert_eq!(t.features[0].doc, "b");
        let e = errors(&format!("{PRODUCTS}{}", entry.replace("section =", "doc = \"c\"\nsection =")));
        assert_eq!(e, ["features.toml:13: feature `memory`: no document `c`; documents: a, b"]);
    }

    #[test]
    fn a_duplicate_alias_names_both_features() {
        let two = format!(
            "{PRODUCTS}{}{}",
            OK.replace("note =", "aliases = [\"recall\"]\nnote ="),
            OK.replace("\"memory\"", "\"canvas\"")
                .replace("\"Memory\"\navail", "\"Canvas\"\navail")
                .replace("note =", "aliases = [\"Recall\"]\nnote =")
        );
        let e = errors(&two);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert!(e[0].contains("alias `recall` of feature `canvas` is also `recall` of feature `memory`"), "{}", e[0]);
    }

    #[test]
    fn an_alias_collision_is_reported_with_a_missing_availability_not_after_it() {
        let two = format!(
            "{PRODUCTS}{}{}",
            OK.replace("note =", "aliases = [\"recall\"]\nnote =").replace(", api = \"no\"", ""),
            OK.replace("\"memory\"", "\"canvas\"")
                .replace("\"Memory\"\navail", "\"Canvas\"\navail")
                .replace("note =", "aliases = [\"recall\"]\nnote =")
        );
        let e = errors(&two);
        assert_eq!(e.len(), 2, "{e:#?}");
        assert!(e[0].contains("availability misses api"), "{}", e[0]);
        assert!(e[1].contains("alias `recall` of feature `canvas` is also `recall` of feature `memory`"), "{}", e[1]);
    }

    #[test]
    fn unknown_keys_and_placeholders_are_named() {
        let e = errors(&format!(
            "{PRODUCTS}{}",
            OK.replace("note =", "nots = \"x\"\nheadline = { yes = \"{prodcut} has it\" }\nnote =")
        ));
        assert!(e.iter().any(|m| m.contains("unknown key `nots` in [[feature]] (did you mean `note`?)")), "{e:#?}");
        assert!(e.iter().any(|m| m.contains("unknown placeholder `{prodcut}`")), "{e:#?}");
    }

    #[test]
    fn duplicate_id_names_the_first() {
        let e = errors(&format!("{PRODUCTS}{OK}{OK}"));
        assert_eq!(e, ["features.toml:17: duplicate feature id `memory` (first at line 9)"]);
    }
}
