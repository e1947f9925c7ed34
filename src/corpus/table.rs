//! The structured feature tables: the products the corpus describes (each of a vendor), what each of
//! them offers, the words people use for each feature, and which passage supports each value. Any
//! number of products, in the order the files declare them.
//!
//! Knowledge comes per article: `NAME.features.toml` beside `NAME.md` declares the products that
//! article covers and, for those only, their availability, note, section and caveats. The same
//! feature id in several tables is one concept with evidence per article ([`Evidence`]); a product
//! no table gives a value for is [`Availability::NotCovered`]. A corpus-wide `features.toml` (the
//! one-table format) is read first, as a table whose entries cite any document and cover the
//! products it declares.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::diag::{Diagnostic, Reader, Table, Value, get, suggestion};
use super::document::{Document, Passage};
use crate::text;

pub const FEATURES_FILE: &str = "features.toml";
/// An article's own table is `NAME` + this, beside the article `NAME.md` (or `.txt`).
pub const ARTICLE_TABLE_SUFFIX: &str = ".features.toml";

/// The article an article table belongs to (`NAME` of `NAME.features.toml`), or `None` for any
/// other file name.
pub fn article_of_table(file_name: &str) -> Option<&str> {
    file_name.strip_suffix(ARTICLE_TABLE_SUFFIX).filter(|s| !s.is_empty())
}

/// Whether `file_name` is a feature table: `features.toml` or an article's `NAME.features.toml`.
pub fn is_table_file(file_name: &str) -> bool {
    file_name == FEATURES_FILE || article_of_table(file_name).is_some()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Availability {
    Yes,
    No,
    Partial,
    Unknown,
    /// No article's table covers the product: nothing is known of it, which is not the same as an
    /// article that does not say (`Unknown`). Never written in a table.
    #[serde(rename = "not_covered")]
    NotCovered,
}

impl Availability {
    /// The values a table may give.
    pub const ALL: [Availability; 4] = [Self::Yes, Self::No, Self::Partial, Self::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Partial => "partial",
            Self::Unknown => "unknown",
            Self::NotCovered => "not_covered",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl fmt::Display for Availability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotCovered => f.write_str("not covered"),
            a => f.write_str(a.as_str()),
        }
    }
}

/// One product the corpus describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: String,
    /// How a sentence names it ("the API", "the Claude apps").
    pub name: String,
    /// Column headers and embed fields ("API").
    pub short: String,
    /// The words that name it in a question, lowercase. Products of different vendors may share
    /// one ("api"): the question's other words then say which is meant.
    pub words: Vec<String>,
    /// The vendor's id (`[vendors.ID]`), empty for a table that declares none.
    #[serde(default)]
    pub vendor: String,
    /// The name is plural ("the Claude apps offer ..."), so sentences agree with it.
    #[serde(default)]
    pub plural: bool,
    /// The words that name its plans or tiers ("free", "plus", "team"), lowercase. The table gives
    /// one value per product, not per plan: a list question about plans is answered from the
    /// passages, and a verdict asked of a plan says that the table does not go by plan.
    #[serde(default)]
    pub plans: Vec<String>,
}

/// A vendor: the maker of some products, and the words that name it in a question ("anthropic").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vendor {
    pub id: String,
    pub name: String,
    /// Lowercase.
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
            Availability::NotCovered => None,
        }
    }

    fn set(&mut self, a: Availability, s: String) {
        let slot = match a {
            Availability::Yes => &mut self.yes,
            Availability::No => &mut self.no,
            Availability::Partial => &mut self.partial,
            Availability::Unknown | Availability::NotCovered => &mut self.unknown,
        };
        *slot = Some(s);
    }

    /// Fills the templates this one lacks from `other`.
    fn fill(&mut self, other: &Headline) {
        for a in Availability::ALL {
            if self.get(a).is_none()
                && let Some(t) = other.get(a)
            {
                self.set(a, t.to_owned());
            }
        }
    }
}

/// What one article's table says of a feature: the passage it rests on, its note and caveats, for
/// the products that table gives a value for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub doc: String,
    pub section: String,
    pub heading: Option<String>,
    pub note: String,
    pub caveats: Vec<String>,
    /// This table's own wording of the verdict (falls back to the feature's).
    pub headline: Headline,
    /// The ids of the products whose value this entry gives.
    pub products: Vec<String>,
}

impl Evidence {
    /// The passage heading of the supporting item ("Features Only in ChatGPT › Memory").
    pub fn item_heading(&self) -> Option<String> {
        self.heading.as_ref().map(|h| format!("{} › {h}", self.section))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feature {
    pub id: String,
    pub name: String,
    /// Lowercase; the name and the id (with spaces) are always among them. Every table's aliases of
    /// the concept.
    pub aliases: Vec<String>,
    /// One value per product, in the table's product order.
    pub availability: Vec<Availability>,
    /// The first table's entry (its note, document, section, item and caveats) is the feature's
    /// primary evidence; `evidence` has every table's, that one first.
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
    /// Per article table that has the feature, what it says; never empty once loaded (a table
    /// stored before evidence existed reads as one entry covering every product: [`FeatureTable::normalize`]).
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

impl Feature {
    /// The passage heading of the supporting item ("Features Only in ChatGPT › Memory").
    pub fn item_heading(&self) -> Option<String> {
        self.heading.as_ref().map(|h| format!("{} › {h}", self.section))
    }

    /// The evidence that gives product `id`'s value, if any table does.
    pub fn evidence_for(&self, id: &str) -> Option<usize> {
        self.evidence.iter().position(|e| e.products.iter().any(|p| p == id))
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
    /// The vendors the tables declare (`[vendors.ID]`), in declaration order.
    #[serde(default)]
    pub vendors: Vec<Vendor>,
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

    pub fn vendor(&self, id: &str) -> Option<&Vendor> {
        self.vendors.iter().find(|v| v.id == id)
    }

    /// Gives every feature stored without per-article evidence (an older generation's table) its
    /// primary entry as the one evidence, covering every product.
    pub fn normalize(&mut self) {
        let ids: Vec<String> = self.products.iter().map(|p| p.id.clone()).collect();
        for f in self.features.iter_mut().filter(|f| f.evidence.is_empty()) {
            f.evidence.push(Evidence {
                doc: f.doc.clone(),
                section: f.section.clone(),
                heading: f.heading.clone(),
                note: f.note.clone(),
                caveats: f.caveats.clone(),
                headline: f.headline.clone(),
                products: ids.clone(),
            });
        }
    }
}

const TOP_KEYS: &[&str] = &["products", "vendors", "scope", "synonyms", "feature"];
const PRODUCT_KEYS: &[&str] = &["name", "short", "words", "vendor", "plural", "plans"];
const FEATURE_KEYS: &[&str] =
    &["id", "name", "aliases", "availability", "note", "doc", "section", "heading", "caveats", "examples", "headline"];
/// An article's table cites its own article: no `doc`.
const ARTICLE_FEATURE_KEYS: &[&str] =
    &["id", "name", "aliases", "availability", "note", "section", "heading", "caveats", "examples", "headline"];

/// One table file's text.
#[derive(Debug, Clone, Copy)]
pub struct TableFile<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

/// Parses and validates one `features.toml` against the documents; every problem is reported, each
/// with its line.
pub fn parse(
    path: &Path,
    text: &str,
    docs: &[Document],
    passages: &[Passage],
) -> Result<FeatureTable, Vec<Diagnostic>> {
    parse_files(&[TableFile { path, text }], docs, passages)
}

/// One file being read: its reader, its parsed root and the article it belongs to.
struct Open<'t> {
    path: PathBuf,
    text: &'t str,
    r: Reader<'t>,
    root: Table<'t>,
    article: Option<String>,
    /// Indexes (into all products) of the products this file declares.
    own: Vec<usize>,
}

/// One `[[feature]]` entry of one file, before entries of the same id are merged.
/// One entry's id and aliases, read even when the rest of the entry has problems: an alias
/// collision is reported in the same round as the entry's other faults.
struct AliasSet {
    file: usize,
    line: usize,
    id: String,
    aliases: Vec<String>,
}

struct Entry {
    file: usize,
    line: usize,
    feature: Feature,
    values: Vec<(usize, Availability)>,
}

/// Parses and validates every table file (`features.toml` first, then the articles' tables in
/// name order) into one table; every problem of every file is reported at once.
pub fn parse_files(
    files: &[TableFile],
    docs: &[Document],
    passages: &[Passage],
) -> Result<FeatureTable, Vec<Diagnostic>> {
    let mut files: Vec<TableFile> = files.to_vec();
    let name = |f: &TableFile| f.path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
    files.sort_by_key(|f| (name(f) != FEATURES_FILE, name(f)));
    let mut open: Vec<Open> = files
        .iter()
        .map(|f| {
            let mut r = Reader::new(f.path, f.text);
            let root = r.parse();
            let file_name = name(f);
            let article = article_of_table(&file_name).map(str::to_owned);
            r.unknown_keys(&root, TOP_KEYS, &file_name);
            if let Some(a) = &article
                && !docs.iter().any(|d| &d.id == a)
            {
                let hint = suggestion(a, docs.iter().map(|d| d.id.as_str()));
                r.error(
                    0..0,
                    format!(
                        "no article `{a}.md` beside this table (an article's table is named after its article){hint}"
                    ),
                );
            }
            Open { path: f.path.to_owned(), text: f.text, r, root, article, own: Vec::new() }
        })
        .collect();

    // Vendors, products, scope and synonyms of every file, before any feature names a product.
    let mut vendors: Vec<Vendor> = Vec::new();
    let mut products: Vec<Product> = Vec::new();
    let (mut others, mut topics, mut synonyms) = (Vec::new(), Vec::new(), Vec::new());
    let mut declared: HashMap<String, PathBuf> = HashMap::new();
    let mut word_owner: HashMap<(String, String), String> = HashMap::new();
    for o in open.iter_mut() {
        for v in vendors_of(&mut o.r, &o.root) {
            match vendors.iter().position(|x| x.id == v.id) {
                Some(i) if vendors[i] != v => {
                    let span = vendor_span(&o.root, &v.id);
                    o.r.error(span, format!("vendor `{}` is declared differently in another table", v.id));
                }
                Some(_) => {}
                None => vendors.push(v),
            }
        }
        let required = o.article.is_none();
        for (p, span) in products_of(&mut o.r, &o.root, required) {
            if let Some(first) = declared.get(&p.id) {
                o.r.error(
                    span.clone(),
                    format!("product `{}` is already declared in {}: declare each product once", p.id, first.display()),
                );
                continue;
            }
            for w in &p.words {
                if let Some(other) = word_owner.insert((p.vendor.clone(), w.clone()), p.id.clone())
                    && other != p.id
                {
                    let shared = if p.vendor.is_empty() {
                        " (products of different vendors may share a word: give each its `vendor`)".to_owned()
                    } else {
                        format!(" (both of vendor `{}`)", p.vendor)
                    };
                    o.r.error(span.clone(), format!("product word `{w}` names both `{other}` and `{}`{shared}", p.id));
                }
            }
            declared.insert(p.id.clone(), o.path.clone());
            o.own.push(products.len());
            products.push(p);
        }
        let (o_others, o_topics) = scope_of(&mut o.r, &o.root);
        others.extend(o_others);
        topics.extend(o_topics);
        synonyms.extend(synonym_groups(&mut o.r, &o.root));
    }
    // A product's vendor that no table declares is named by its id.
    for p in products.iter().filter(|p| !p.vendor.is_empty()) {
        if !vendors.iter().any(|v| v.id == p.vendor) {
            vendors.push(Vendor {
                id: p.vendor.clone(),
                name: p.vendor.clone(),
                words: vec![p.vendor.replace('_', " ")],
            });
        }
    }

    let mut entries: Vec<Entry> = Vec::new();
    let mut alias_sets: Vec<AliasSet> = Vec::new();
    for (fi, o) in open.iter_mut().enumerate() {
        let required: Vec<usize> = o.own.clone();
        let article = o.article.clone();
        let (valid, sets) = features(&mut o.r, &o.root, &products, &required, article.as_deref(), docs, passages);
        for (feature, line, values) in valid {
            entries.push(Entry { file: fi, line, feature, values });
        }
        alias_sets.extend(sets.into_iter().map(|(id, line, aliases)| AliasSet { file: fi, line, id, aliases }));
    }
    let mut problems: Vec<Diagnostic> = Vec::new();
    problems.extend(duplicate_aliases(&open, &alias_sets));
    let features = merge(&open, entries, products.len(), &mut problems);
    for o in open {
        problems.extend(o.r.into_diagnostics());
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let lower = |v: Vec<String>| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for o in v.into_iter().map(|o| o.trim().to_lowercase()).filter(|o| !o.is_empty()) {
            if !out.contains(&o) {
                out.push(o);
            }
        }
        out
    };
    Ok(FeatureTable { products, features, others: lower(others), topics: lower(topics), synonyms, vendors })
}

/// Entries of one id across tables become one feature: aliases and examples of all, each entry's
/// evidence, each product's value from the one table that gives it (two are a problem).
fn merge(open: &[Open], entries: Vec<Entry>, products: usize, problems: &mut Vec<Diagnostic>) -> Vec<Feature> {
    let mut out: Vec<Feature> = Vec::new();
    // Per merged feature, per product: where its value was given.
    let mut given: Vec<Vec<Option<(usize, usize)>>> = Vec::new();
    for e in entries {
        let i = match out.iter().position(|f| f.id == e.feature.id) {
            Some(i) => i,
            None => {
                let mut f = e.feature.clone();
                f.evidence.clear();
                f.aliases.clear();
                f.examples.clear();
                f.availability = vec![Availability::NotCovered; products];
                out.push(f);
                given.push(vec![None; products]);
                out.len() - 1
            }
        };
        let f = &mut out[i];
        for a in &e.feature.aliases {
            if !f.aliases.contains(a) {
                f.aliases.push(a.clone());
            }
        }
        for x in &e.feature.examples {
            if !f.examples.contains(x) {
                f.examples.push(x.clone());
            }
        }
        f.headline.fill(&e.feature.headline);
        for &(p, value) in &e.values {
            if let Some((file, line)) = given[i][p] {
                problems.push(Diagnostic {
                    path: open[e.file].path.clone(),
                    line: e.line,
                    message: format!(
                        "feature `{}`: the value for product `{}` is already given in {}:{line}; one table gives each product's value",
                        f.id,
                        product_id_of(&e, p),
                        open[file].path.display()
                    ),
                });
                continue;
            }
            given[i][p] = Some((e.file, e.line));
            f.availability[p] = value;
        }
        f.evidence.extend(e.feature.evidence);
    }
    out
}

fn product_id_of(e: &Entry, p: usize) -> String {
    e.feature
        .evidence
        .first()
        .and_then(|ev| e.values.iter().position(|(x, _)| *x == p).and_then(|k| ev.products.get(k)))
        .cloned()
        .unwrap_or_else(|| p.to_string())
}

fn vendor_span(root: &Table, id: &str) -> std::ops::Range<usize> {
    get(root, "vendors")
        .and_then(|(_, v)| v.get_ref().as_table().and_then(|t| t.iter().find(|(k, _)| k.get_ref() == id)))
        .map_or(0..0, |(k, _)| k.span())
}

fn vendors_of(r: &mut Reader, root: &Table) -> Vec<Vendor> {
    let Some((_, v)) = get(root, "vendors") else { return Vec::new() };
    let Some(table) = r.table(v, "vendors") else { return Vec::new() };
    let mut out = Vec::new();
    for (id, v) in table.iter() {
        let id_str = id.get_ref().to_string();
        if !valid_id(&id_str) {
            r.error(id.span(), format!("vendor id `{id_str}` must be lowercase letters, digits and _"));
        }
        let Some(t) = r.table(v, &format!("vendors.{id_str}")) else { continue };
        r.unknown_keys(t, &["name", "words"], &format!("[vendors.{id_str}]"));
        let name = get(t, "name").and_then(|(_, v)| r.string(v, "name")).unwrap_or_else(|| id_str.clone());
        let words = get(t, "words").and_then(|(_, v)| r.strings(v, "words")).unwrap_or_else(|| vec![id_str.clone()]);
        let words = words.into_iter().map(|w| w.trim().to_lowercase()).filter(|w| !w.is_empty()).collect();
        out.push(Vendor { id: id_str, name: name.trim().to_owned(), words });
    }
    out
}

fn scope_of(r: &mut Reader, root: &Table) -> (Vec<String>, Vec<String>) {
    match get(root, "scope") {
        Some((_, v)) => match r.table(v, "scope") {
            Some(t) => {
                r.unknown_keys(t, &["others", "topics"], "[scope]");
                let list =
                    |r: &mut Reader, key: &str| get(t, key).and_then(|(_, v)| r.strings(v, key)).unwrap_or_default();
                (list(r, "others"), list(r, "topics"))
            }
            None => (Vec::new(), Vec::new()),
        },
        None => (Vec::new(), Vec::new()),
    }
}

/// The products one file declares, each with the span of its id. `required`: the file must
/// declare some (`features.toml`; an article's table may cover products declared elsewhere).
fn products_of(r: &mut Reader, root: &Table, required: bool) -> Vec<(Product, std::ops::Range<usize>)> {
    let Some((key, v)) = get(root, "products") else {
        if required {
            r.error(0..0, "no [products]: declare each product as [products.ID] with `name` and `words`");
        }
        return Vec::new();
    };
    let Some(table) = r.table(v, "products") else { return Vec::new() };
    if table.is_empty() {
        r.error(key.span(), "[products] is empty: declare each product as [products.ID] with `name` and `words`");
    }
    let mut out = Vec::new();
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
        let vendor = get(t, "vendor").and_then(|(_, v)| r.string(v, "vendor")).unwrap_or_default();
        let plural = match get(t, "plural") {
            Some((_, v)) => match v.get_ref().as_bool() {
                Some(b) => b,
                None => {
                    r.error(v.span(), format!("`plural` must be true or false, not {}", v.get_ref().type_str()));
                    false
                }
            },
            None => false,
        };
        let words = match get(t, "words") {
            Some((_, v)) => r.strings(v, "words").unwrap_or_default(),
            None => vec![id_str.replace('_', " ")],
        };
        let lowercase = |words: Vec<String>| {
            let mut lower: Vec<String> = Vec::new();
            for w in words.into_iter().map(|w| w.trim().to_lowercase()).filter(|w| !w.is_empty()) {
                if !lower.contains(&w) {
                    lower.push(w);
                }
            }
            lower
        };
        let lower = lowercase(words);
        let plans = match get(t, "plans") {
            Some((_, v)) => {
                let plans = lowercase(r.strings(v, "plans").unwrap_or_default());
                if let Some(bad) = plans.iter().find(|p| p.contains(char::is_whitespace)) {
                    r.error(
                        v.span(),
                        format!("plan \"{bad}\" of [products.{id_str}] must be one word, as questions name it"),
                    );
                }
                plans
            }
            None => Vec::new(),
        };
        let name = name.unwrap_or_else(|| id_str.clone());
        let short = short.unwrap_or_else(|| default_short(&name));
        out.push((
            Product { id: id_str, name, short, words: lower, vendor: vendor.trim().to_owned(), plural, plans },
            id.span(),
        ));
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

/// An entry's id, line and aliases.
type IdAliases = (String, usize, Vec<String>);

/// The values one entry gives: (product index, value).
type Values = Vec<(usize, Availability)>;

/// Each feature of one file with the line of its `id` and the values it gives (product index,
/// value). `required`: the products whose value every entry must give (those the file declares);
/// `article`: the article an article's table belongs to, which its entries cite.
#[allow(clippy::too_many_arguments)]
fn features(
    r: &mut Reader,
    root: &Table,
    products: &[Product],
    required: &[usize],
    article: Option<&str>,
    docs: &[Document],
    passages: &[Passage],
) -> (Vec<(Feature, usize, Values)>, Vec<IdAliases>) {
    let Some((key, v)) = get(root, "feature") else {
        if article.is_none() {
            r.error(0..0, "no [[feature]] entries");
        }
        return (Vec::new(), Vec::new());
    };
    let Some(items) = v.get_ref().as_array() else {
        r.error(key.span(), "`feature` must be an array of tables: write each entry as [[feature]]");
        return (Vec::new(), Vec::new());
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    let mut sets = Vec::new();
    for item in items.iter() {
        let Some(t) = r.table(item, "feature") else { continue };
        let id_span = get(t, "id").map_or(item.span(), |(_, v)| v.span());
        let line = r.line_of(id_span.start);
        // The aliases as the entry writes them (problems with them are the full read's to report).
        let text = |key: &str| get(t, key).and_then(|(_, v)| v.get_ref().as_str().map(|s| s.trim().to_owned()));
        if let Some(id) = text("id") {
            let mut aliases: Vec<String> = get(t, "aliases")
                .and_then(|(_, v)| v.get_ref().as_array())
                .map(|a| a.iter().filter_map(|x| x.get_ref().as_str()).map(|x| x.trim().to_lowercase()).collect())
                .unwrap_or_default();
            aliases.extend(text("name").map(|n| n.to_lowercase()));
            aliases.push(id.replace('_', " "));
            aliases.retain(|a| !a.is_empty());
            aliases.dedup();
            if !seen.contains_key(&id) {
                sets.push((id, line, aliases));
            }
        }
        if let Some((f, values)) = feature(r, t, item, products, required, article, docs, passages) {
            if let Some(first) = seen.insert(f.id.clone(), line) {
                r.error(id_span, format!("duplicate feature id `{}` (first at line {first})", f.id));
                continue;
            }
            out.push((f, line, values));
        }
    }
    (out, sets)
}

#[allow(clippy::too_many_arguments)]
fn feature(
    r: &mut Reader,
    t: &Table,
    item: &Value,
    products: &[Product],
    required_products: &[usize],
    article: Option<&str>,
    docs: &[Document],
    passages: &[Passage],
) -> Option<(Feature, Vec<(usize, Availability)>)> {
    r.unknown_keys(t, if article.is_some() { ARTICLE_FEATURE_KEYS } else { FEATURE_KEYS }, "[[feature]]");
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
    let values = availability(r, t, item, products, required_products, article.is_some(), &label);
    let headline = headline(r, t);
    let (doc, section, heading) = location(r, t, item, article, docs, passages, &label)?;
    let (id, name, note, values) = (id?, name?, note?, values?);
    let mut aliases: Vec<String> = aliases.iter().map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()).collect();
    for implied in [name.to_lowercase(), id.replace('_', " ")] {
        if !aliases.contains(&implied) {
            aliases.push(implied);
        }
    }
    let evidence = Evidence {
        doc: doc.clone(),
        section: section.clone(),
        heading: heading.clone(),
        note: note.clone(),
        caveats: caveats.clone(),
        headline: headline.clone(),
        products: values.iter().map(|(p, _)| products[*p].id.clone()).collect(),
    };
    // In table order until merged; `merge` lays the values out over every product.
    let availability = values.iter().map(|(_, a)| *a).collect();
    let f = Feature {
        id,
        name,
        aliases,
        availability,
        note,
        doc,
        section,
        heading,
        caveats,
        examples,
        headline,
        evidence: vec![evidence],
    };
    Some((f, values))
}

/// The values one entry gives: for every product of `required`, and any other product the corpus
/// declares.
fn availability(
    r: &mut Reader,
    t: &Table,
    item: &Value,
    products: &[Product],
    required: &[usize],
    article: bool,
    feature: &str,
) -> Option<Vec<(usize, Availability)>> {
    let ids: Vec<&str> = products.iter().map(|p| p.id.as_str()).collect();
    let Some((_, v)) = get(t, "availability") else {
        let example: Vec<String> = required.iter().map(|&i| format!("{} = \"yes\"", ids[i])).collect();
        r.error(item.span(), format!("feature `{feature}` needs `availability = {{ {} }}`", example.join(", ")));
        return None;
    };
    let table = r.table(v, "availability")?;
    let mut out: Vec<(usize, Availability)> = Vec::new();
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
            Some(a) => out.push((i, a)),
            None => {
                r.error(
                    val.span(),
                    format!("feature `{feature}`: unknown availability `{s}` for {key} (expected yes, no, partial or unknown)"),
                );
                ok = false;
            }
        }
    }
    let missing: Vec<&str> = required.iter().filter(|&&i| !out.iter().any(|(p, _)| *p == i)).map(|&i| ids[i]).collect();
    if ok && !missing.is_empty() {
        let whose = if article { "every product this article's table declares" } else { "every product" };
        r.error(
            v.span(),
            format!("feature `{feature}`: availability misses {} ({whose} needs a value)", missing.join(", ")),
        );
        return None;
    }
    if ok && out.is_empty() {
        r.error(v.span(), format!("feature `{feature}`: availability gives no product's value"));
        return None;
    }
    if !ok {
        return None;
    }
    Some(out)
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

/// The feature's document, section and item, checked against the corpus, with suggestions. An
/// article's table cites its own article.
fn location(
    r: &mut Reader,
    t: &Table,
    item: &Value,
    article: Option<&str>,
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
    let doc = match (article, doc) {
        // A missing article is reported once, for the whole file.
        (Some(a), _) => docs.iter().find(|d| d.id == a)?,
        (None, Some((id, span))) => match docs.iter().find(|d| d.id == id) {
            Some(d) => d,
            None => {
                let hint = suggestion(&id, docs.iter().map(|d| d.id.as_str()));
                let all: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
                r.error(span, format!("feature `{feature}`: no document `{id}`; documents: {}{hint}", all.join(", ")));
                return None;
            }
        },
        (None, None) => {
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

/// An alias in two features makes the second unreachable: report both, by file and line. The same
/// concept (one id) in several tables may share its aliases. Aliases are compared as the matcher
/// sees them, stemmed ("fine-tuning" and "fine tuning" are one alias).
fn duplicate_aliases(open: &[Open], entries: &[AliasSet]) -> Vec<Diagnostic> {
    let mut analyzer = text::word_analyzer();
    // Stemmed alias -> the first entry that has it, and its spelling there.
    let mut owner: HashMap<Vec<String>, (usize, &str)> = HashMap::new();
    let mut out = Vec::new();
    for (ei, e) in entries.iter().enumerate() {
        let f = e;
        for a in &f.aliases {
            let key: Vec<String> = text::words(&mut analyzer, a).into_iter().map(|w| w.stem).collect();
            if key.is_empty() {
                continue;
            }
            match owner.get(&key) {
                Some(&(other, other_alias)) if entries[other].id != f.id => {
                    let g = &entries[other];
                    let at = if g.file == e.file {
                        format!("line {}", g.line)
                    } else {
                        format!("{}:{}", open[g.file].path.display(), g.line)
                    };
                    out.push(Diagnostic {
                        path: open[e.file].path.clone(),
                        line: alias_line(open[e.file].text, e.line, a).unwrap_or(e.line),
                        message: format!(
                            "alias `{a}` of feature `{}` is also `{other_alias}` of feature `{}` ({at}): a question with it would only ever reach one; keep it in one feature",
                            f.id, g.id
                        ),
                    });
                }
                Some(_) => {}
                None => {
                    owner.insert(key, (ei, a.as_str()));
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
    fn plans_are_single_lowercase_words() {
        let t = parse_str(&format!(
            "{}plans = [\"Free\", \"plus\"]\n{OK}",
            PRODUCTS.replace("[products.api]", "[products.api]\n")
        ))
        .map(|t| t.products.iter().map(|p| p.plans.clone()).collect::<Vec<_>>());
        assert_eq!(t.unwrap(), [vec![], vec!["free".to_owned(), "plus".to_owned()]]);
        let e = errors(&format!("{PRODUCTS}plans = [\"pro max\"]\n{OK}"));
        assert_eq!(e, ["features.toml:7: plan \"pro max\" of [products.api] must be one word, as questions name it"]);
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
                // The second entry keeps the name "Memory": its collision comes in the same round.
                "features.toml:18: alias `memory` of feature `canvas` is also `memory` of feature `memory` (line 9): a question with it would only ever reach one; keep it in one feature",
                "features.toml:13: feature `memory`: section `Onyl` does not exist in the corpus (did you mean `Only`?)",
                "features.toml:19: feature `canvas`: unknown product `apx` in availability; products: chat, api (did you mean `api`?)",
                "features.toml:22: feature `canvas`: no item `Memroy` in section `Only` (did you mean `Memory`?)",
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
