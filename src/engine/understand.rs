//! Question understanding: which product(s) a question names, which feature of the table it is about,
//! and whether it names another vendor's product. Pure matching over stemmed words with bounded typo
//! tolerance; all names and aliases come from the feature table.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use crate::corpus::FeatureTable;
use crate::text::{self, Word, WordAnalyzer, is_typo_of};

/// One alias, pre-split into words.
#[derive(Debug, Clone)]
struct Alias {
    words: Vec<Word>,
    /// Surface length, so a longer (more specific) alias wins over a shorter one.
    weight: usize,
}

/// The compiled alias sets of a feature table.
#[derive(Debug, Clone)]
pub struct Matcher {
    features: Vec<Vec<Alias>>,
    /// Each product's names, in table order.
    products: Vec<Vec<Alias>>,
    /// Each product's vendor (index into `vendors`), if its table names one.
    product_vendor: Vec<Option<usize>>,
    /// Each vendor's names.
    vendors: Vec<Vec<Alias>>,
    others: Vec<(String, Alias)>,
    /// Topics the corpus does not cover.
    topics: Vec<(String, Alias)>,
    /// Word (surface or stem) -> the names it starts and whether a feature alias uses it: one lookup
    /// per question word finds every name that can start there.
    words: FxHashMap<String, Entry>,
    /// First letter -> the distinct first words long enough to be misspelt ([`is_typo_of`] needs six
    /// letters and the same first letter), each with the (feature, alias) pairs it starts: a
    /// misspelt question word is compared with these few words, not with every alias.
    typo_starts: HashMap<char, Vec<TypoStart>>,
}

/// What a word (surface form or stem) is to the matcher.
#[derive(Debug, Clone, Default)]
struct Entry {
    /// (feature, alias) pairs whose alias starts with the word.
    features: Vec<(usize, usize)>,
    /// What few words start: products', vendors' and topics' names (boxed: a large table's words
    /// are nearly all feature words, and a small entry keeps its map small).
    names: Option<Box<Names>>,
    /// A feature alias uses the word: a question word found here is spelt right, so it is never
    /// read as a typo of another.
    alias_word: bool,
}

#[derive(Debug, Clone, Default)]
struct Names {
    /// (product, alias) pairs whose name starts with the word.
    products: Vec<(usize, usize)>,
    /// (vendor, name) pairs whose name starts with the word.
    vendors: Vec<(usize, usize)>,
    /// Vendors whose name starts with the word.
    others: Vec<usize>,
    /// Uncovered topics whose phrase starts with the word.
    topics: Vec<usize>,
}

impl Entry {
    fn names(&self) -> &Names {
        static NONE: Names =
            Names { products: Vec::new(), vendors: Vec::new(), others: Vec::new(), topics: Vec::new() };
        self.names.as_deref().unwrap_or(&NONE)
    }

    fn names_mut(&mut self) -> &mut Names {
        self.names.get_or_insert_with(Box::default)
    }
}

/// A first word that may be misspelt, with the (feature, alias) pairs it starts.
type TypoStart = (String, Vec<(usize, usize)>);

/// One feature's best alias occurrence in a question.
#[derive(Debug, Clone)]
pub struct AliasHit {
    pub feature: usize,
    /// Longer (more specific) aliases weigh more; each word skipped inside the alias costs one.
    pub weight: usize,
    /// Question words skipped inside a multi-word alias ("train ChatGPT on my own data").
    pub skipped: usize,
    pub positions: Vec<usize>,
    /// Positions matched only by typo tolerance.
    pub typo_at: Vec<usize>,
}

/// A product word that names several vendors' products, as asked, and those products.
pub type Ambiguity = (String, Vec<usize>);

/// What a question names.
#[derive(Debug, Clone, Default)]
pub struct Understanding {
    /// Products named (indexes into the table's products), in question order, without duplicates.
    /// A word several vendors' products share ("api") names the one of the vendor the question
    /// names otherwise; failing that, all of them (and `ambiguous` says so). A vendor named without
    /// a product names its products.
    pub products: Vec<usize>,
    /// Where each of `products` is first named (a word position; parallel to `products`), `None`
    /// for a product a vendor's name stands for.
    pub product_at: Vec<Option<usize>>,
    /// A product word that names products of several vendors and that nothing else in the question
    /// settles: the word as asked, and the products it may name.
    pub ambiguous: Option<Ambiguity>,
    /// Vendors named (indexes into the table's vendors).
    pub vendors: Vec<usize>,
    /// How many products the question names: a word that may name several, or a vendor standing
    /// for its products, counts once.
    pub named: usize,
    /// Each feature's best alias occurrence, strongest first (weight, then earliest).
    pub hits: Vec<AliasHit>,
    /// Another vendor's product named in the question, with the position of its first word: the
    /// first of `others` that still counts for the question.
    pub other: Option<(String, usize)>,
    /// Every other vendor's product named, in table order.
    pub others: Vec<(String, usize)>,
    /// A topic the corpus does not cover, as the table names it, with its words' positions: the
    /// most specific of `topics` that still counts for the question.
    pub topic: Option<(String, Vec<usize>)>,
    /// Every uncovered topic the question names, the most specific first.
    pub topics: Vec<(String, Vec<usize>)>,
    /// Words that matched a product, feature or vendor name.
    pub matched: Vec<bool>,
}

impl Understanding {
    /// The product the question asks about: the one it names, or `None` for neither or both.
    pub fn asked(&self) -> Option<usize> {
        match self.products.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}

pub fn is_number(word: &str) -> bool {
    let digits = word.trim_end_matches(['k', 'm', 'b']);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

impl Matcher {
    /// Compiles the table's names; `topics` are the uncovered topics that still count (see
    /// [`covered`]).
    /// `is_subject(feature, stems)` says whether an alias's words are what its whole article is
    /// about (its product's name): such an alias tells no feature apart and is left out.
    /// `aliases[i]`: feature `i`'s aliases as words (as `analyzer` splits them).
    pub fn new(
        table: &FeatureTable,
        aliases: Vec<Vec<Vec<Word>>>,
        topics: &[String],
        analyzer: &mut WordAnalyzer,
        is_subject: &dyn Fn(usize, &[&str]) -> bool,
    ) -> Self {
        let of = |words: Vec<Word>| {
            let weight = words.iter().map(|w| w.text.len()).sum::<usize>() + words.len().saturating_sub(1);
            Alias { words, weight }
        };
        let mut compile = |s: &str| of(analyzer.words(s));
        let features: Vec<Vec<Alias>> = table
            .features
            .iter()
            .zip(aliases)
            .enumerate()
            .map(|(fi, (f, words))| {
                f.aliases
                    .iter()
                    .zip(words)
                    .map(|(a, words)| (a, of(words)))
                    .filter(|(a, compiled)| {
                        let stems: Vec<&str> = compiled.words.iter().map(|w| w.stem.as_str()).collect();
                        let subject = !stems.is_empty() && is_subject(fi, &stems);
                        if subject {
                            tracing::warn!(
                                "features.toml: alias \"{a}\" of feature `{}` is ignored: its words are in its \
                                 article's title or most of its passages, so it names what the article is about, not \
                                 the feature",
                                f.id
                            );
                        }
                        !compiled.words.is_empty() && !subject
                    })
                    .map(|(_, compiled)| compiled)
                    .collect()
            })
            .collect();
        let products: Vec<Vec<Alias>> = table
            .products
            .iter()
            .map(|p| p.words.iter().map(|n| compile(n)).filter(|a| !a.words.is_empty()).collect())
            .collect();
        let vendors: Vec<Vec<Alias>> = table
            .vendors
            .iter()
            .map(|v| v.words.iter().map(|n| compile(n)).filter(|a| !a.words.is_empty()).collect())
            .collect();
        let product_vendor: Vec<Option<usize>> =
            table.products.iter().map(|p| table.vendors.iter().position(|v| v.id == p.vendor)).collect();
        let others: Vec<(String, Alias)> =
            table.others.iter().map(|o| (o.clone(), compile(o))).filter(|(_, a)| !a.words.is_empty()).collect();
        let topics: Vec<(String, Alias)> =
            topics.iter().map(|o| (o.clone(), compile(o))).filter(|(_, a)| !a.words.is_empty()).collect();
        let mut words: FxHashMap<String, Entry> = FxHashMap::default();
        for w in features.iter().flatten().flat_map(|a: &Alias| &a.words) {
            entry(&mut words, &w.text).alias_word = true;
            entry(&mut words, &w.stem).alias_word = true;
        }
        for (fi, aliases) in features.iter().enumerate() {
            for (ai, alias) in aliases.iter().enumerate() {
                for key in first_keys(alias) {
                    entry(&mut words, key).features.push((fi, ai));
                }
            }
        }
        for (pi, aliases) in products.iter().enumerate() {
            for (ai, alias) in aliases.iter().enumerate() {
                for key in first_keys(alias) {
                    entry(&mut words, key).names_mut().products.push((pi, ai));
                }
            }
        }
        for (vi, aliases) in vendors.iter().enumerate() {
            for (ai, alias) in aliases.iter().enumerate() {
                for key in first_keys(alias) {
                    entry(&mut words, key).names_mut().vendors.push((vi, ai));
                }
            }
        }
        for (oi, (_, alias)) in others.iter().enumerate() {
            for key in first_keys(alias) {
                entry(&mut words, key).names_mut().others.push(oi);
            }
        }
        for (ti, (_, alias)) in topics.iter().enumerate() {
            for key in first_keys(alias) {
                entry(&mut words, key).names_mut().topics.push(ti);
            }
        }
        let mut typo_starts: HashMap<char, Vec<TypoStart>> = HashMap::new();
        // Where each first word sits in its bucket: a table of many aliases stays linear to compile.
        let mut at: FxHashMap<String, usize> = FxHashMap::default();
        for (fi, aliases) in features.iter().enumerate() {
            for (ai, alias) in aliases.iter().enumerate() {
                let first = &alias.words[0].text;
                let Some(c) = first.chars().next() else { continue };
                if first.chars().count() < text::MIN_TYPO_LEN {
                    continue;
                }
                let bucket = typo_starts.entry(c).or_default();
                match at.get(first) {
                    Some(&i) => bucket[i].1.push((fi, ai)),
                    None => {
                        at.insert(first.clone(), bucket.len());
                        bucket.push((first.clone(), vec![(fi, ai)]));
                    }
                }
            }
        }
        Matcher { features, products, product_vendor, vendors, others, topics, words, typo_starts }
    }

    /// How replies name a feature's alias set: its first alias, as written.
    pub fn canonical(&self, feature: usize) -> String {
        self.features[feature]
            .first()
            .map(|a| a.words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    }

    /// What `question` is about. `in_corpus(stem)` says whether the corpus has a word: such a word
    /// is spelt as someone meant it, so it is never read as a typo of an alias.
    pub fn understand(&self, words: &[Word], in_corpus: &dyn Fn(&str) -> bool) -> Understanding {
        let mut matched = vec![false; words.len()];
        // Each word's entries: by surface form, and by stem when that differs.
        let entries: Vec<[Option<&Entry>; 2]> = words
            .iter()
            .map(|w| [self.words.get(&w.text), if w.stem == w.text { None } else { self.words.get(&w.stem) }])
            .collect();
        let typo_candidates: Vec<bool> = words
            .iter()
            .zip(&entries)
            .map(|(w, e)| {
                w.text.chars().count() >= text::MIN_TYPO_LEN
                    && !e.iter().flatten().any(|e| e.alias_word)
                    && !in_corpus(&w.stem)
            })
            .collect();

        // Features first, so a product word inside a feature name ("Assistants API") is not read as
        // the product.
        // (feature, alias, position of the question word that may start it).
        let mut candidates: Vec<(usize, usize, usize)> = Vec::new();
        for (pos, (w, typo)) in words.iter().zip(&typo_candidates).enumerate() {
            for e in entries[pos].iter().flatten() {
                candidates.extend(e.features.iter().map(|&(fi, ai)| (fi, ai, pos)));
            }
            if *typo {
                // A misspelt word may start any alias whose first word it is a typo of.
                let bucket = w.text.chars().next().and_then(|c| self.typo_starts.get(&c));
                for (first, pairs) in bucket.into_iter().flatten() {
                    if is_typo_of(&w.text, first) {
                        candidates.extend(pairs.iter().map(|&(fi, ai)| (fi, ai, pos)));
                    }
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut hits: Vec<AliasHit> = Vec::new();
        for &(fi, ai, start) in &candidates {
            let alias = &self.features[fi][ai];
            let Some(m) = find_at(&alias.words, words, start, Some(&typo_candidates)) else { continue };
            let weight = (alias.weight * 4).saturating_sub(m.skipped);
            let hit = AliasHit { feature: fi, weight, skipped: m.skipped, positions: m.positions, typo_at: m.typo_at };
            // The best occurrence: one without gaps over one with, then heavier, then earlier.
            let rank = |h: &AliasHit| (h.skipped == 0, h.weight, std::cmp::Reverse(h.positions[0]));
            match hits.iter_mut().find(|h| h.feature == fi) {
                Some(h) if rank(&hit) > rank(h) => *h = hit,
                Some(_) => {}
                None => hits.push(hit),
            }
        }
        hits.sort_by_key(|h| (std::cmp::Reverse(h.weight), h.positions[0]));
        // A word inside an alias the question clearly uses is not also a product name.
        let feature_positions: Vec<usize> =
            hits.iter().filter(|h| h.skipped == 0).flat_map(|h| h.positions.iter().copied()).collect();
        for &p in &feature_positions {
            matched[p] = true;
        }

        // Products and vendors are matched exactly, so only where a question word is a first word.
        let mut product_hits: Vec<(usize, usize, usize)> = Vec::new(); // (position, product, alias)
        let mut vendor_hits: Vec<(usize, usize, usize)> = Vec::new(); // (position, vendor, name)
        let mut other_hits: Vec<(usize, usize)> = Vec::new(); // (vendor, position)
        for (pos, e) in entries.iter().enumerate() {
            for e in e.iter().flatten() {
                let n = e.names();
                product_hits.extend(n.products.iter().map(|&(pi, ai)| (pos, pi, ai)));
                vendor_hits.extend(n.vendors.iter().map(|&(vi, ai)| (pos, vi, ai)));
                other_hits.extend(n.others.iter().map(|&oi| (oi, pos)));
            }
        }
        // By position, then in table order: the order products are named in.
        product_hits.sort_unstable();
        product_hits.dedup();
        let mut found: Vec<(usize, Vec<usize>)> = Vec::new();
        for (start, pi, ai) in product_hits {
            let Some(m) = find_at(&self.products[pi][ai].words, words, start, None) else { continue };
            if m.positions.iter().all(|p| feature_positions.contains(p)) {
                continue;
            }
            for &p in &m.positions {
                matched[p] = true;
            }
            found.push((pi, m.positions));
        }
        let mut vendors: Vec<usize> = Vec::new();
        vendor_hits.sort_unstable();
        for (start, vi, ai) in vendor_hits {
            if let Some(m) = find_at(&self.vendors[vi][ai].words, words, start, None) {
                for &p in &m.positions {
                    matched[p] = true;
                }
                if !vendors.contains(&vi) {
                    vendors.push(vi);
                }
            }
        }
        let (products, product_at, ambiguous) = self.resolve_products(&found, &vendors, words);
        let named = match &ambiguous {
            Some((_, group)) => products.len() + 1 - group.len(),
            None if found.is_empty() => vendors.len().min(products.len()),
            None => products.len(),
        };

        // The other vendors the question names, in table order; each one's first occurrence
        // counts as matched.
        other_hits.sort_unstable();
        other_hits.dedup();
        let mut others: Vec<(String, usize)> = Vec::new();
        let mut done = None;
        for (oi, start) in other_hits {
            if done == Some(oi) {
                continue;
            }
            let (name, alias) = &self.others[oi];
            if let Some(m) = find_at(&alias.words, words, start, None) {
                for &p in &m.positions {
                    matched[p] = true;
                }
                others.push((name.clone(), start));
                done = Some(oi);
            }
        }
        let other = others.first().cloned();

        // The uncovered topics the question names, the most specific first (words may sit in
        // between, as in multi-word aliases; no typos).
        let no_typos = vec![false; words.len()];
        let mut topics: Vec<(usize, &str, Vec<usize>)> = Vec::new();
        for (pos, e) in entries.iter().enumerate() {
            for &ti in e.iter().flatten().flat_map(|e| &e.names().topics) {
                let (name, alias) = &self.topics[ti];
                if let Some(m) = find_at(&alias.words, words, pos, Some(&no_typos))
                    && !topics.iter().any(|(_, n, _)| *n == name.as_str())
                {
                    topics.push((alias.words.len(), name, m.positions));
                }
            }
        }
        topics.sort_by_key(|t| std::cmp::Reverse(t.0));
        let topics: Vec<(String, Vec<usize>)> =
            topics.into_iter().map(|(_, name, positions)| (name.to_owned(), positions)).collect();
        let topic = topics.first().cloned();

        Understanding { products, product_at, ambiguous, vendors, named, hits, other, others, topic, topics, matched }
    }
}

impl Matcher {
    /// The products named, from each product name found (product, positions): a name inside a
    /// longer one names only the longer one's product ("anthropic api" is not also "api"); a word
    /// several products share names those of the vendors the question names (by a vendor word or
    /// another product of theirs), else all of them, reported as ambiguous.
    fn resolve_products(
        &self,
        found: &[(usize, Vec<usize>)],
        vendors: &[usize],
        words: &[Word],
    ) -> (Vec<usize>, Vec<Option<usize>>, Option<Ambiguity>) {
        let inside_longer =
            |pos: &Vec<usize>| found.iter().any(|(_, o)| o.len() > pos.len() && pos.iter().all(|p| o.contains(p)));
        // Products named at the same words, in the order they are named.
        let mut groups: Vec<(&Vec<usize>, Vec<usize>)> = Vec::new();
        for (pi, pos) in found.iter().filter(|(_, pos)| !inside_longer(pos)) {
            match groups.iter_mut().find(|(p, _)| *p == pos) {
                Some((_, g)) if !g.contains(pi) => g.push(*pi),
                Some(_) => {}
                None => groups.push((pos, vec![*pi])),
            }
        }
        let mut known: Vec<Option<usize>> = vendors.iter().map(|&v| Some(v)).collect();
        known.extend(groups.iter().filter(|(_, g)| g.len() == 1).map(|(_, g)| self.product_vendor[g[0]]));
        let mut products: Vec<usize> = Vec::new();
        let mut product_at: Vec<Option<usize>> = Vec::new();
        let mut ambiguous = None;
        for (pos, group) in &groups {
            let vendors_of_group: Vec<Option<usize>> = group.iter().map(|&p| self.product_vendor[p]).collect();
            let several_vendors = vendors_of_group.iter().any(|v| *v != vendors_of_group[0]);
            let by_vendor: Vec<usize> =
                group.iter().copied().filter(|&p| known.contains(&self.product_vendor[p])).collect();
            let chosen = if several_vendors && !by_vendor.is_empty() { by_vendor } else { group.clone() };
            if several_vendors && chosen.len() == group.len() && ambiguous.is_none() {
                let word = pos.iter().map(|&p| words[p].text.as_str()).collect::<Vec<_>>().join(" ");
                ambiguous = Some((word, group.clone()));
            }
            for p in chosen {
                if !products.contains(&p) {
                    products.push(p);
                    product_at.push(pos.first().copied());
                }
            }
        }
        // A vendor named without any of its products names them all ("does Anthropic offer ...").
        if products.is_empty() {
            for &v in vendors {
                products.extend((0..self.products.len()).filter(|&p| self.product_vendor[p] == Some(v)));
            }
            product_at.resize(products.len(), None);
        }
        (products, product_at, ambiguous)
    }
}

/// Whether `phrase` occurs (stemmed, with the usual gaps) inside some of `texts`: a topic listed as
/// uncovered stops counting once the corpus covers it.
/// `texts` are analyzed already ([`text::words`]).
pub fn covered<'a>(phrase: &[Word], mut texts: impl Iterator<Item = &'a [Word]>) -> bool {
    if phrase.is_empty() {
        return true;
    }
    texts.any(|w| {
        let none = vec![false; w.len()];
        (0..w.len()).any(|start| find_at(phrase, w, start, Some(&none)).is_some())
    })
}

/// Multi-word aliases may have this many other words in between in total ("train ChatGPT on my own
/// data" for "train on my data").
const MAX_SKIPPED: usize = 2;

/// One occurrence of an alias in a question.
#[derive(Debug, Clone)]
struct Match {
    positions: Vec<usize>,
    skipped: usize,
    /// Positions matched only by typo tolerance.
    typo_at: Vec<usize>,
}

fn word_matches(alias: &Word, word: &Word, fuzzy: bool) -> Option<bool> {
    if alias.stem == word.stem || alias.text == word.text {
        Some(false)
    } else if fuzzy && is_typo_of(&word.text, &alias.text) {
        Some(true)
    } else {
        None
    }
}

/// The keys an alias is found by: its first word's text and, if different, its stem. A question
/// word is looked up by its own text and stem.
/// `words[key]`, inserted empty if missing; the key is copied only then (a large table's aliases
/// share most of their words).
fn entry<'a>(words: &'a mut FxHashMap<String, Entry>, key: &str) -> &'a mut Entry {
    if !words.contains_key(key) {
        words.insert(key.to_owned(), Entry::default());
    }
    words.get_mut(key).expect("inserted above")
}

fn first_keys(alias: &Alias) -> impl Iterator<Item = &String> {
    let first = &alias.words[0];
    std::iter::once(&first.text).chain((first.stem != first.text).then_some(&first.stem))
}

/// The occurrence of `alias` in `words` that starts at `start`, if any: its words in order, each
/// next one after at most [`MAX_SKIPPED`] skipped words in total. `typos` marks the words that may
/// be misspellings; `None` (product and vendor names) means exact words, no skipping.
fn find_at(alias: &[Word], words: &[Word], start: usize, typos: Option<&[bool]>) -> Option<Match> {
    let fuzzy = typos.is_some();
    let may_be_typo = |i: usize| typos.is_some_and(|t| t[i]);
    let n = alias.len();
    if n == 0 || n > words.len() - start.min(words.len()) {
        return None;
    }
    let budget = if fuzzy && n > 1 { MAX_SKIPPED } else { 0 };
    let typo = word_matches(&alias[0], &words[start], may_be_typo(start))?;
    let mut m = Match { positions: vec![start], skipped: 0, typo_at: if typo { vec![start] } else { vec![] } };
    let mut at = start + 1;
    for a in &alias[1..] {
        let mut found = false;
        while at < words.len() && m.skipped <= budget {
            if let Some(typo) = word_matches(a, &words[at], may_be_typo(at)) {
                m.positions.push(at);
                if typo {
                    m.typo_at.push(at);
                }
                at += 1;
                found = true;
                break;
            }
            m.skipped += 1;
            at += 1;
        }
        if !found || m.skipped > budget {
            return None;
        }
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{Availability, Feature, Headline, Product};

    fn table() -> FeatureTable {
        let f = |id: &str, aliases: &[&str]| Feature {
            id: id.into(),
            name: id.into(),
            aliases: aliases.iter().map(|s| (*s).to_owned()).collect(),
            availability: vec![Availability::Yes, Availability::No],
            note: String::new(),
            doc: "d".into(),
            section: "S".into(),
            heading: None,
            caveats: vec![],
            examples: vec![],
            headline: Headline::default(),
            evidence: vec![],
        };
        let p = |id: &str, words: &[&str]| Product {
            id: id.into(),
            name: id.into(),
            short: id.into(),
            words: words.iter().map(|s| (*s).to_owned()).collect(),
            vendor: String::new(),
            plural: false,
            plans: vec![],
        };
        FeatureTable {
            features: vec![
                f("memory", &["memory", "remember", "persistence"]),
                f("assistants", &["assistants api", "assistants"]),
                f("fine_tuning", &["fine-tuning", "fine tune"]),
            ],
            products: vec![p("chatgpt", &["chatgpt"]), p("api", &["api", "openai api"])],
            others: vec!["llama".into(), "claude".into()],
            topics: vec!["privacy".into(), "context window".into()],
            synonyms: vec![],
            vendors: vec![],
        }
    }

    const CHATGPT: usize = 0;
    const API: usize = 1;

    fn words(q: &str) -> Vec<Word> {
        text::words(&mut text::word_analyzer(), q)
    }

    /// A matcher over `t`, its aliases analyzed as the engine does.
    fn matcher(t: &FeatureTable, topics: &[String]) -> Matcher {
        let mut a = WordAnalyzer::with_vocabulary([], 0);
        let aliases: Vec<Vec<Vec<Word>>> =
            t.features.iter().map(|f| f.aliases.iter().map(|x| a.words(x)).collect()).collect();
        Matcher::new(t, aliases, topics, &mut a, &|_, _| false)
    }

    fn u(q: &str) -> (Understanding, FeatureTable) {
        let t = table();
        let m = matcher(&t, &t.topics);
        (m.understand(&words(q), &|_| false), t)
    }

    fn feature(q: &str) -> Option<String> {
        let (u, t) = u(q);
        u.hits.first().map(|h| t.features[h.feature].id.clone())
    }

    #[test]
    fn finds_features_by_alias_stem_and_typo() {
        assert_eq!(feature("Does ChatGPT remember things?").as_deref(), Some("memory"));
        assert_eq!(feature("does the api have memmory").as_deref(), Some("memory"));
        assert_eq!(feature("Can I fine tunning a model?").as_deref(), Some("fine_tuning"));
        assert_eq!(feature("Can I fine-tune GPT-4o?").as_deref(), Some("fine_tuning"));
        assert_eq!(feature("what time is it"), None);
    }

    #[test]
    fn a_word_the_corpus_has_is_not_read_as_a_typo() {
        let t = table();
        let m = matcher(&t, &[]);
        let q = words("does it rememder things");
        let u = m.understand(&q, &|_| false);
        assert_eq!(
            (u.hits[0].feature, u.hits[0].typo_at.as_slice()),
            (0, &[2][..]),
            "unknown word: a typo of \"remember\""
        );
        let stem = words("rememder")[0].stem.clone();
        let u = m.understand(&q, &|s| s == stem);
        assert!(u.hits.is_empty(), "a corpus word is spelt as meant");
    }

    #[test]
    fn product_inside_a_feature_name_is_not_the_product() {
        let (x, _) = u("What does the Assistants API offer?");
        assert!(x.products.is_empty(), "{:?}", x.products);
        let (x, _) = u("Does the API have the Assistants API?");
        assert_eq!(x.products, [API]);
    }

    #[test]
    fn products_named_in_order() {
        let (x, _) = u("Memory: ChatGPT or API?");
        assert_eq!(x.products, [CHATGPT, API]);
        assert_eq!(x.asked(), None);
        let (x, _) = u("Does the OpenAI API have memory?");
        assert_eq!(x.asked(), Some(API));
    }

    #[test]
    fn other_vendors_are_noticed() {
        let (x, _) = u("Does Llama support fine-tuning?");
        assert_eq!(x.other, Some(("llama".to_owned(), 1)));
        assert_eq!(x.others, [("llama".to_owned(), 1)]);
    }

    #[test]
    fn uncovered_topics_are_noticed_the_most_specific_first() {
        let (x, _) = u("what is the context window of the api");
        assert_eq!(x.topic.map(|(t, _)| t).as_deref(), Some("context window"));
        let (x, _) = u("is my privacy protected");
        assert_eq!(x.topic.map(|(t, _)| t).as_deref(), Some("privacy"));
        let (x, _) = u("a window into my context");
        assert_eq!(x.topic, None);
        // Every topic named, the most specific first: when an article covers the first for the
        // products asked about, the next still counts (Engine::analyze).
        let (x, _) = u("is my privacy safe with a big context window");
        let named: Vec<&str> = x.topics.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(named, ["context window", "privacy"]);
        assert_eq!(x.topic.map(|(t, _)| t).as_deref(), Some("context window"));
        let texts = |t: &[&str]| t.iter().map(|t| words(t)).collect::<Vec<_>>();
        assert!(covered(&words("context window"), texts(&["Context window size", "Memory"]).iter().map(Vec::as_slice)));
        assert!(!covered(&words("context window"), texts(&["Memory", "the window"]).iter().map(Vec::as_slice)));
    }

    #[test]
    fn every_feature_named_is_a_hit_strongest_first() {
        let (x, t) = u("which one has fine-tuning and memory?");
        let ids: Vec<&str> = x.hits.iter().map(|h| t.features[h.feature].id.as_str()).collect();
        assert_eq!(ids, ["fine_tuning", "memory"]);
        let (x, _) = u("can I fine the model tune it");
        assert_eq!(x.hits[0].skipped, 2, "{:?}", x.hits);
    }
}
