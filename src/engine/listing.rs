//! List questions answered from the feature table itself: "what can ChatGPT do that the API
//! can't?", "which features are API-only?", "what do both have?". The products the question names,
//! in the order it names them, and its negation, "only" and "both" words say which rows fit.

use super::Engine;
use super::analysis::Analysis;
use super::signals::{CUES, Cues};
use super::tuning::TUNING;
use crate::answer::{ListGroup, ListItem, Listing, ProductValue};
use crate::corpus::Availability;

/// The rows of the table that answer a list question; `None` when none fits.
pub fn list(engine: &Engine, a: &Analysis) -> Option<Listing> {
    let table = engine.features();
    let all: Vec<usize> = (0..table.products.len()).collect();
    if all.is_empty() || table.features.is_empty() {
        return None;
    }
    let asking: Vec<&str> =
        a.q.words.iter().zip(&a.q.focus).filter(|(_, f)| **f).map(|(w, _)| w.text.as_str()).collect();
    let has = |group: &[String]| asking.iter().any(|w| Cues::is(group, w));
    // A list of prices ("claude plan prices list", "compare API prices for ...") is no list of
    // features: the passages that give the prices answer it.
    if has(&CUES.price) {
        return None;
    }
    // The table gives one value per product, not per plan: what Plus has and Free lacks, or what
    // Team and Enterprise add, is in the passages that describe the plans.
    if plan_named(engine, a, &a.u.products, true, false).is_some() {
        return None;
    }
    // "use both", "pay for both": which products to use is a question for the passages.
    let chooses_both = a.q.words.iter().enumerate().any(|(i, w)| {
        a.q.focus[i]
            && Cues::is(&CUES.both_products, &w.text)
            && a.q.words[i.saturating_sub(2)..i].iter().any(|p| Cues::is(&CUES.choose_both, &p.text))
    });
    if chooses_both {
        return None;
    }
    let (only, both) = (has(&CUES.only), has(&CUES.both));
    // A negation negates the product named next after it: "what can't the API do that ChatGPT
    // can?" and "what doesn't ChatGPT let me do that the API does?" negate the first product named;
    // "what does ChatGPT have that the API doesn't?" and "only with the API and not in ChatGPT"
    // the second.
    let negations: Vec<usize> =
        (0..a.q.words.len()).filter(|&i| a.q.focus[i] && Cues::is(&CUES.negation, &a.q.words[i].text)).collect();
    let first_negation = negations.first().copied();
    // With one product named, a negation counts where it is about that product: next to its name
    // ("what can't the API do", "what's missing from ChatGPT", "features ChatGPT doesn't have"),
    // not elsewhere in the sentence ("ChatGPT tools I can use without writing code").
    let near_product = |n: usize| a.u.product_at.iter().flatten().any(|&p| n.abs_diff(p) <= TUNING.negation_reach);
    let negation = match a.u.products.len() {
        1 => negations.iter().any(|&n| near_product(n)),
        _ => !negations.is_empty(),
    };
    let negates_first = match (first_negation, a.u.product_at.first().copied().flatten()) {
        (Some(n), Some(first)) => n < first,
        _ => false,
    };
    // What one product has and the others lack is against its own vendor's other products: another
    // vendor's are compared in their own article.
    let vendor = |p: usize| table.products.get(p).map(|x| x.vendor.as_str());
    let others = |p: usize| all.iter().copied().filter(|&o| o != p && vendor(o) == vendor(p)).collect::<Vec<_>>();
    let wanted_for = |named: &[usize]| -> Vec<(Vec<usize>, Vec<usize>)> {
        if both {
            return vec![(if named.len() >= 2 { named.to_vec() } else { all.clone() }, vec![])];
        }
        match named {
            [] => all.iter().map(|&p| (vec![p], others(p))).collect(),
            [p] if only => vec![(vec![*p], others(*p))],
            [p] if negation => vec![(others(*p), vec![*p])],
            [p] => vec![(vec![*p], vec![])],
            [first, second, ..] if negation && negates_first => vec![(vec![*second], vec![*first])],
            [first, second, ..] if negation => vec![(vec![*first], vec![*second])],
            [first, second, ..] => vec![(vec![*first], vec![*second]), (vec![*second], vec![*first])],
        }
    };
    // A word that names several vendors' products ("the API") is asked of each of them.
    let wanted: Vec<(Vec<usize>, Vec<usize>)> = match &a.u.ambiguous {
        Some((_, group)) if a.u.products == *group => group.iter().flat_map(|&p| wanted_for(&[p])).collect(),
        _ => wanted_for(&a.u.products),
    };
    let groups: Vec<ListGroup> = wanted
        .into_iter()
        .map(|(with, without)| {
            let features = table
                .features
                .iter()
                .filter(|f| {
                    let value = |p: usize| f.availability.get(p).copied().unwrap_or(Availability::Unknown);
                    with.iter().all(|&p| value(p) == Availability::Yes)
                        && without.iter().all(|&p| value(p) == Availability::No)
                })
                .map(|f| ListItem {
                    feature: f.id.clone(),
                    name: f.name.clone(),
                    availability: table
                        .products
                        .iter()
                        .zip(&f.availability)
                        .map(|(p, &value)| ProductValue {
                            id: p.id.clone(),
                            name: p.name.clone(),
                            short: p.short.clone(),
                            value,
                        })
                        .collect(),
                })
                .collect();
            let ids = |ps: &[usize]| ps.iter().map(|&p| table.products[p].id.clone()).collect();
            let names = |ps: &[usize]| ps.iter().map(|&p| table.products[p].name.clone()).collect();
            let plural = |ps: &[usize]| !matches!(ps, [one] if !table.products[*one].plural);
            ListGroup {
                with: ids(&with),
                without: ids(&without),
                with_names: names(&with),
                without_names: names(&without),
                with_plural: plural(&with),
                without_plural: plural(&without),
                features,
            }
        })
        .filter(|g| !g.features.is_empty())
        .collect();
    (!groups.is_empty()).then_some(Listing { groups, contrast: only || both || negation })
}

/// The first word of the question that names a plan ([`crate::corpus::Product::plans`]) of one
/// of `products` (of any product when empty) as a plan: beside another plan of the same product
/// ("what do I get with plus that I don't get on free?"), beside a word of plans ("the free plan",
/// "Team seats") or, with `beside_product`, beside the product's name ("the free Claude plan").
/// `asking`: only in the sentences that ask. "ChatGPT Plus" in a list question is the product,
/// whose features the table lists, so lists look for plans without `beside_product`.
pub(super) fn plan_named(
    engine: &Engine,
    a: &Analysis,
    products: &[usize],
    asking: bool,
    beside_product: bool,
) -> Option<String> {
    let table = engine.features();
    let words = &a.q.words;
    let of_interest = |p: usize| products.is_empty() || products.contains(&p);
    let plan_of = |i: usize| -> Vec<usize> {
        (0..table.products.len())
            .filter(|&p| of_interest(p) && table.products[p].plans.iter().any(|w| *w == words[i].text))
            .collect()
    };
    let names_product =
        |j: usize| a.u.products.iter().zip(&a.u.product_at).any(|(&p, at)| of_interest(p) && *at == Some(j));
    let beside = |i: usize| {
        [i.checked_sub(1), Some(i + 1)]
            .into_iter()
            .flatten()
            .filter(|&j| j < words.len())
            .any(|j| Cues::is(&CUES.plan, &words[j].text) || (beside_product && names_product(j)))
    };
    let mut seen: Vec<(Vec<usize>, &str)> = Vec::new();
    for i in (0..words.len()).filter(|&i| !asking || a.q.focus[i]) {
        let of = plan_of(i);
        if of.is_empty() {
            continue;
        }
        let another = seen.iter().any(|(ps, w)| *w != words[i].text && ps.iter().any(|p| of.contains(p)));
        if beside(i) || another {
            return Some(words[i].text.clone());
        }
        seen.push((of, &words[i].text));
    }
    None
}

/// The passages a list cites: per section its listed features come from (the most listed first),
/// the first listed feature's own passage, from the article that gives the group's products' values
/// (a concept several articles have is cited from the one about the products listed).
pub fn passages(engine: &Engine, list: &Listing) -> Vec<usize> {
    let table = engine.features();
    let mut sections: Vec<(usize, usize, usize, String)> = Vec::new(); // (group, count, first passage, section)
    for (group, item) in list.groups.iter().enumerate().flat_map(|(i, g)| g.features.iter().map(move |f| (i, f))) {
        let Some(fi) = table.features.iter().position(|f| f.id == item.feature) else { continue };
        let g = &list.groups[group];
        let evidence = g.with.iter().chain(&g.without).find_map(|p| engine.product_passage(fi, p));
        let Some(pid) = evidence.or(engine.features[fi].passage) else { continue };
        let section = &engine.passages()[pid].section;
        match sections.iter_mut().find(|s| &s.3 == section && engine.passages()[s.2].doc == engine.passages()[pid].doc)
        {
            Some(s) => s.1 += 1,
            None => sections.push((group, 1, pid, section.clone())),
        }
    }
    // The first group's sections first (the question named its products in that order), most
    // listed first; ties keep the order the features came in.
    sections.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut cited: Vec<usize> = sections.iter().map(|s| s.2).collect();
    // A passage that names more of the listed features than any one section holds enumerates the
    // list itself ("ChatGPT Plus gives you access to voice, browsing, Canvas, memory, ..."): it is
    // cited first, from the articles the list's passages come from.
    let most_per_section = sections.iter().filter(|s| s.0 == 0).map(|s| s.1).max().unwrap_or(0);
    if let Some(pid) = enumerating(engine, list, &cited, most_per_section) {
        cited.retain(|&p| p != pid);
        cited.insert(0, pid);
    }
    cited.truncate(super::MAX_SOURCES);
    cited
}

/// The passage of the cited articles that names the most features of the list's first group, when
/// it names more than `most_per_section` (the most of them one section holds).
fn enumerating(engine: &Engine, list: &Listing, cited: &[usize], most_per_section: usize) -> Option<usize> {
    let table = engine.features();
    let listed: Vec<usize> = list
        .groups
        .first()
        .into_iter()
        .flat_map(|g| &g.features)
        .filter_map(|item| table.features.iter().position(|f| f.id == item.feature))
        .collect();
    let passages = engine.passages();
    let docs: Vec<&str> = cited.iter().map(|&p| passages[p].doc.as_str()).collect();
    (0..passages.len())
        .filter(|&pid| docs.contains(&passages[pid].doc.as_str()))
        .map(|pid| (engine.features_named(pid).iter().filter(|f| listed.contains(f)).count(), pid))
        .filter(|&(n, _)| n > most_per_section)
        // The most named; the earlier passage on a tie.
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
        .map(|(_, pid)| pid)
}
