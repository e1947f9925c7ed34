//! A feature's verdict as a sentence: for the product asked about ("No. The API does not offer
//! memory."), or across the products a question compares ("Memory: only ChatGPT has it."). The
//! table may say how a feature reads (`headline`); otherwise a feature is something a product offers.

use crate::answer::{ProductValue, Verdict};
use crate::corpus::{Availability, Feature, FeatureTable};

use super::{capitalize, join_and};

/// The verdict on `feature` for the product `asked` (an index into the table's products), or
/// across `named` (or every product, when fewer than two are named). `sources` is how replies
/// refer to the corpus ("the article").
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
    let headline = match asked {
        Some(p) => for_product(feature, &availability[p], sources),
        None => {
            let compared: Vec<&ProductValue> = if named.len() >= 2 {
                named.iter().filter_map(|&i| availability.get(i)).collect()
            } else {
                availability.iter().collect()
            };
            format!("{}: {}.", feature.name, summary(&compared, sources))
        }
    };
    Verdict {
        feature: feature.id.clone(),
        name: feature.name.clone(),
        asked: asked.and_then(|p| table.products.get(p)).map(|p| p.id.clone()),
        availability,
        note: feature.note.clone(),
        headline,
    }
}

fn for_product(feature: &Feature, p: &ProductValue, sources: &str) -> String {
    let lead = match p.value {
        Availability::Yes => "Yes.",
        Availability::No => "No.",
        Availability::Partial => "Partly.",
        Availability::Unknown => "Not stated.",
    };
    let owned;
    let template = match feature.headline.get(p.value) {
        Some(t) => t,
        None => {
            owned = default_template(p.value, sources);
            &owned
        }
    };
    let sentence = template.replace("{product}", &p.name).replace("{name}", &sentence_name(&feature.name));
    let sentence = capitalize(sentence.trim());
    let stop = if sentence.ends_with(['.', '!', '?']) { "" } else { "." };
    format!("{lead} {sentence}{stop}")
}

fn default_template(a: Availability, sources: &str) -> String {
    match a {
        Availability::Yes => "{product} offers {name}".into(),
        Availability::No => "{product} does not offer {name}".into(),
        Availability::Partial => "{product} offers {name} only in a limited form".into(),
        Availability::Unknown => format!("{sources} doesn't say whether {{product}} offers {{name}}"),
    }
}

/// How the compared products stand: "only ChatGPT has it", "both ChatGPT and the API have it",
/// "ChatGPT: yes, API: partial".
fn summary(compared: &[&ProductValue], sources: &str) -> String {
    use Availability::*;
    let names = |v: &[&&ProductValue]| join_and(&v.iter().map(|p| p.name.as_str()).collect::<Vec<_>>());
    let with = |a: Availability| compared.iter().filter(|p| p.value == a).collect::<Vec<_>>();
    let (yes, no) = (with(Yes), with(No));
    let n = compared.len();
    match () {
        _ if n == 0 => "no product to compare".into(),
        _ if yes.len() == n && n == 2 => format!("both {} have it", names(&yes)),
        _ if yes.len() == n && n == 1 => format!("{} has it", names(&yes)),
        _ if yes.len() == n => format!("all of {} have it", names(&yes)),
        _ if no.len() == n && n == 2 => format!("neither {} nor {} has it", compared[0].name, compared[1].name),
        _ if no.len() == n => format!("none of {} has it", names(&no)),
        _ if with(Unknown).len() == n => format!("{sources} doesn't say for {}", names(&with(Unknown))),
        _ if yes.len() + no.len() == n => {
            format!("only {} {} it", names(&yes), if yes.len() == 1 { "has" } else { "have" })
        }
        _ => compared.iter().map(|p| format!("{}: {}", p.short, p.value)).collect::<Vec<_>>().join(", "),
    }
}

/// Feature names read naturally mid-sentence: "memory", but "Code Interpreter" and "Conversation UI"
/// keep their capitals.
fn sentence_name(name: &str) -> String {
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
                })
                .collect(),
            features: vec![],
            others: vec![],
            topics: vec![],
            synonyms: vec![],
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
