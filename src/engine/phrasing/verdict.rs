//! A feature's verdict as a sentence: for the product asked about ("No. The API does not offer
//! memory."), or across the products a question compares ("Memory: only ChatGPT has it."). The
//! table may say how a feature reads (`headline`); otherwise a feature is something a product offers.

use crate::answer::{ProductValue, Verdict};
use crate::corpus::{Availability, Feature, FeatureTable};

use super::{capitalize, join_and};

/// The verdict on `feature` for the product `asked` (an index into the table's products), or
/// across `named` (or every product, when fewer than two are named). `sources` is how replies
/// refer to the corpus ("the article"). Each product's value reads from the article whose table
/// gives it: its note, its wording; a product no article covers reads as not covered.
pub fn verdict(
    table: &FeatureTable,
    feature: &Feature,
    asked: Option<usize>,
    named: &[usize],
    sources: &str,
) -> Verdict {
    let availability: Vec<ProductValue> = table
        .products
        .iter()
        .zip(&feature.availability)
        .map(|(p, &value)| ProductValue { id: p.id.clone(), name: p.name.clone(), short: p.short.clone(), value })
        .collect();
    let compared: Vec<usize> = match asked {
        Some(p) => vec![p],
        None if named.len() >= 2 => named.to_vec(),
        None => (0..availability.len()).collect(),
    };
    let headline = match asked {
        Some(p) => for_product(feature, table, p, &availability[p], sources),
        None => {
            let values: Vec<(&ProductValue, bool)> = compared
                .iter()
                .filter_map(|&i| Some((availability.get(i)?, table.products.get(i).is_some_and(|p| p.plural))))
                .collect();
            format!("{}: {}.", feature.name, summary(&values, sources))
        }
    };
    Verdict {
        feature: feature.id.clone(),
        name: feature.name.clone(),
        asked: asked.and_then(|p| table.products.get(p)).map(|p| p.id.clone()),
        availability,
        note: note(table, feature, &compared),
        headline,
    }
}

/// A verdict on a feature product `id` has, but not the detail the question asks about
/// ([`crate::engine::detail`]): that product's value is partial, and the headline quotes the
/// passage's `sentence` ("Partly. The Anthropic API offers temperature and parameter control, but
/// not all of what you ask: “It has no frequency or presence penalty parameters.”"; with several
/// products compared, after the comparison: "... Anthropic API: only in part: “...”").
pub fn withheld(v: &mut Verdict, id: &str, sentence: &str) {
    /// A quote longer than this is cut at a word, so that a headline stays a headline (embed
    /// titles hold 256 characters).
    const QUOTE_CHARS: usize = 150;
    let sentence = &crate::index::truncate_words(sentence, QUOTE_CHARS);
    let Some(p) = v.availability.iter_mut().find(|p| p.id == id) else { return };
    p.value = Availability::Partial;
    if v.asked.as_deref() == Some(id) {
        let said = v.headline.split_once(' ').map_or(v.headline.as_str(), |(_, rest)| rest);
        let said = said.trim_end_matches(['.', '!']);
        v.headline = format!("Partly. {said}, but not all of what you ask: “{sentence}”");
    } else {
        v.headline = format!("{} {}: only in part: “{sentence}”", v.headline, p.name);
    }
}

/// The notes of the articles that give the compared products' values, each once; with several,
/// each says whose it is ("ChatGPT, API: ...").
fn note(table: &FeatureTable, feature: &Feature, compared: &[usize]) -> String {
    if feature.evidence.is_empty() {
        return feature.note.clone();
    }
    let mut used: Vec<(usize, Vec<&str>)> = Vec::new();
    for &p in compared {
        let Some(product) = table.products.get(p) else { continue };
        let Some(e) = feature.evidence_for(&product.id) else { continue };
        match used.iter_mut().find(|(x, _)| *x == e) {
            Some((_, shorts)) => shorts.push(&product.short),
            None => used.push((e, vec![&product.short])),
        }
    }
    match used.as_slice() {
        [] => String::new(),
        [(e, _)] => feature.evidence[*e].note.clone(),
        many => many
            .iter()
            .map(|(e, shorts)| format!("{}: {}", shorts.join(", "), feature.evidence[*e].note))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn for_product(feature: &Feature, table: &FeatureTable, pi: usize, p: &ProductValue, sources: &str) -> String {
    let plural = table.products.get(pi).is_some_and(|p| p.plural);
    let lead = match p.value {
        Availability::Yes => "Yes.",
        Availability::No => "No.",
        Availability::Partial => "Partly.",
        Availability::Unknown => "Not stated.",
        Availability::NotCovered => "Not covered.",
    };
    // The wording of the article whose table gives this product's value.
    let own = feature.evidence_for(&p.id).map(|e| &feature.evidence[e].headline);
    let owned;
    let template = match own.unwrap_or(&feature.headline).get(p.value) {
        Some(t) => t,
        None => {
            owned = default_template(p.value, sources, plural);
            &owned
        }
    };
    let sentence = template.replace("{product}", &p.name).replace("{name}", &sentence_name(&feature.name));
    let sentence = capitalize(sentence.trim());
    let stop = if sentence.ends_with(['.', '!', '?']) { "" } else { "." };
    format!("{lead} {sentence}{stop}")
}

/// "does"/"do", "offers"/"offer": the verb agreeing with a product's name.
fn agree(plural: bool, one: &'static str, many: &'static str) -> &'static str {
    if plural { many } else { one }
}

/// "doesn't say" of "the article", "don't say" of "the articles".
fn sources_say(sources: &str, verb: &str) -> String {
    if sources.ends_with('s') { format!("don't {verb}") } else { format!("doesn't {verb}") }
}

fn default_template(a: Availability, sources: &str, plural: bool) -> String {
    let offers = agree(plural, "offers", "offer");
    match a {
        Availability::Yes => format!("{{product}} {offers} {{name}}"),
        Availability::No => format!("{{product}} {} not offer {{name}}", agree(plural, "does", "do")),
        Availability::Partial => format!("{{product}} {offers} {{name}} only in a limited form"),
        Availability::Unknown => {
            format!("{sources} {} whether {{product}} {offers} {{name}}", sources_say(sources, "say"))
        }
        Availability::NotCovered => format!("{sources} {} {{name}} for {{product}}", sources_say(sources, "cover")),
    }
}

/// How the compared products stand: "only ChatGPT has it", "both ChatGPT and the API have it",
/// "ChatGPT: yes, API: partial". Products no article covers are named apart ("; the articles don't
/// cover the Claude apps").
fn summary(compared: &[(&ProductValue, bool)], sources: &str) -> String {
    use Availability::*;
    let uncovered: Vec<&str> =
        compared.iter().filter(|(p, _)| p.value == NotCovered).map(|(p, _)| p.name.as_str()).collect();
    let covered: Vec<(&ProductValue, bool)> = compared.iter().copied().filter(|(p, _)| p.value != NotCovered).collect();
    if covered.is_empty() && !uncovered.is_empty() {
        return format!("{sources} {} {}", sources_say(sources, "cover"), join_and(&uncovered));
    }
    let main = summary_covered(&covered, sources);
    if uncovered.is_empty() {
        main
    } else {
        format!("{main}; {sources} {} {}", sources_say(sources, "cover"), join_or(&uncovered))
    }
}

fn join_or(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn summary_covered(compared: &[(&ProductValue, bool)], sources: &str) -> String {
    use Availability::*;
    let names = |v: &[&(&ProductValue, bool)]| join_and(&v.iter().map(|(p, _)| p.name.as_str()).collect::<Vec<_>>());
    let with = |a: Availability| compared.iter().filter(|(p, _)| p.value == a).collect::<Vec<_>>();
    let (yes, no) = (with(Yes), with(No));
    let n = compared.len();
    // One product's verb agrees with its name; two or more are plural.
    let has = |v: &[&(&ProductValue, bool)]| if v.len() == 1 && !v[0].1 { "has" } else { "have" };
    match () {
        _ if n == 0 => "no product to compare".into(),
        _ if yes.len() == n && n == 2 => format!("both {} have it", names(&yes)),
        _ if yes.len() == n && n == 1 => format!("{} {} it", names(&yes), has(&yes)),
        _ if yes.len() == n => format!("all of {} have it", names(&yes)),
        _ if no.len() == n && n == 2 => format!("neither {} nor {} has it", compared[0].0.name, compared[1].0.name),
        _ if no.len() == n && n == 1 => {
            format!("{} {} have it", names(&no), if no[0].1 { "don't" } else { "doesn't" })
        }
        _ if no.len() == n => format!("none of {} has it", names(&no)),
        _ if with(Unknown).len() == n => {
            format!("{sources} {} for {}", sources_say(sources, "say"), names(&with(Unknown)))
        }
        _ if yes.len() + no.len() == n => format!("only {} {} it", names(&yes), has(&yes)),
        _ => compared.iter().map(|(p, _)| format!("{}: {}", p.short, p.value)).collect::<Vec<_>>().join(", "),
    }
}

/// Feature names read naturally mid-sentence: "memory", but "Code Interpreter" and "Conversation UI"
/// keep their capitals.
pub(super) fn sentence_name(name: &str) -> String {
    let keeps_caps = name.split_whitespace().skip(1).any(|w| w.chars().any(char::is_uppercase))
        || name.split_whitespace().next().is_some_and(|w| w.chars().filter(|c| c.is_uppercase()).count() > 1);
    if keeps_caps {
        name.to_owned()
    } else {
        let mut c = name.chars();
        c.next().map(|f| f.to_lowercase().chain(c).collect()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{Headline, Product};
    use Availability::*;

    fn table(products: &[(&str, &str)]) -> FeatureTable {
        FeatureTable {
            products: products
                .iter()
                .map(|(id, name)| Product {
                    id: (*id).into(),
                    name: (*name).into(),
                    short: (*id).to_uppercase(),
                    words: vec![],
                    vendor: String::new(),
                    plural: false,
                    plans: vec![],
                })
                .collect(),
            features: vec![],
            others: vec![],
            topics: vec![],
            synonyms: vec![],
            vendors: vec![],
        }
    }

    fn feature(name: &str, availability: &[Availability]) -> Feature {
        Feature {
            id: "x".into(),
            name: name.into(),
            aliases: vec![],
            availability: availability.to_vec(),
            note: String::new(),
            doc: "d".into(),
            section: "S".into(),
            heading: None,
            caveats: vec![],
            examples: vec![],
            headline: Headline::default(),
            evidence: vec![],
        }
    }

    fn headline(
        products: &[(&str, &str)],
        name: &str,
        a: &[Availability],
        asked: Option<usize>,
        named: &[usize],
    ) -> String {
        verdict(&table(products), &feature(name, a), asked, named, "the article").headline
    }

    const TWO: &[(&str, &str)] = &[("chatgpt", "ChatGPT"), ("api", "the API")];
    const THREE: &[(&str, &str)] = &[("free", "Free"), ("pro", "Pro"), ("teams", "Teams")];

    #[test]
    fn headlines_for_the_product_asked() {
        for (name, a, asked, want) in [
            ("Memory", [Yes, No], 1, "No. The API does not offer memory."),
            ("Memory", [Yes, No], 0, "Yes. ChatGPT offers memory."),
            (
                "Code Interpreter",
                [Yes, Unknown],
                1,
                "Not stated. The article doesn't say whether the API offers Code Interpreter.",
            ),
            ("Voice mode", [Yes, Partial], 1, "Partly. The API offers voice mode only in a limited form."),
        ] {
            assert_eq!(headline(TWO, name, &a, Some(asked), &[]), want);
        }
    }

    #[test]
    fn headlines_across_products() {
        assert_eq!(headline(TWO, "Fine-tuning", &[No, Yes], None, &[]), "Fine-tuning: only the API has it.");
        assert_eq!(headline(TWO, "Images", &[Yes, Yes], None, &[]), "Images: both ChatGPT and the API have it.");
        assert_eq!(headline(TWO, "Canvas", &[Yes, Partial], None, &[]), "Canvas: CHATGPT: yes, API: partial.");
        assert_eq!(headline(THREE, "Offline", &[No, Yes, Yes], None, &[]), "Offline: only Pro and Teams have it.");
        assert_eq!(headline(THREE, "Offline", &[No, Yes, Yes], None, &[1, 2]), "Offline: both Pro and Teams have it.");
        assert_eq!(headline(THREE, "Admin", &[No, No, Yes], None, &[0, 1]), "Admin: neither Free nor Pro has it.");
    }

    /// Two products named, one of which no article covers: the other's value alone, in a sentence.
    #[test]
    fn one_covered_product_reads_as_a_sentence() {
        for (a, want) in [
            ([NotCovered, No], "Projects: the API doesn't have it; the article doesn't cover ChatGPT."),
            ([NotCovered, Yes], "Projects: the API has it; the article doesn't cover ChatGPT."),
        ] {
            assert_eq!(headline(TWO, "Projects", &a, None, &[0, 1]), want);
        }
        let mut t = table(TWO);
        t.products[1].name = "the Claude apps".into();
        t.products[1].plural = true;
        let v = verdict(&t, &feature("Canvas", &[NotCovered, No]), None, &[0, 1], "the article");
        assert_eq!(v.headline, "Canvas: the Claude apps don't have it; the article doesn't cover ChatGPT.");
    }

    #[test]
    fn the_table_says_how_a_property_reads() {
        let mut f = feature("Context window size", &[Partial, Yes]);
        f.headline.yes = Some("{product} publishes its context window per model".into());
        let v = verdict(&table(TWO), &f, Some(1), &[], "the article");
        assert_eq!(v.headline, "Yes. The API publishes its context window per model.");
        let v = verdict(&table(TWO), &f, Some(0), &[], "the article");
        assert_eq!(v.headline, "Partly. ChatGPT offers context window size only in a limited form.");
    }
}
