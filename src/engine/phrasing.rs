//! The English of answers, in one place: verdict headlines ([`verdict`]), how replies refer to
//! the corpus, decline messages, caveats, suggestions and list headings. The core decides (reasons:
//! `Declined`, `Caveat`, `Suggestion`); this module words them.

mod verdict;

pub(super) use self::verdict::{verdict, withheld};
use super::*;
use crate::answer::{CALL, CONVERSATION, Caveat, ListGroup, Suggestion, Syntax};
use crate::cost::{CostReport, format_count, format_usd};

impl Engine {
    /// The message of a decline, saying what the bot covers (from the titles and product names).
    pub(super) fn decline_message(&self, why: &Declined) -> String {
        let covers = self.covers_phrase();
        match why {
            Declined::OtherVendor(o) => {
                format!(
                    "That's outside what I cover: I answer from {covers}, and {} nothing about {}.",
                    self.sources_verb("it says", "they say"),
                    title_case(o)
                )
            }
            Declined::NotCovered => format!("That's outside what I cover. I answer from {covers}."),
            Declined::Empty => format!("Ask me something: I answer from {covers}."),
            // The topic as the table lists it, quoted: a phrase ("used for training") need not
            // read as a noun.
            Declined::Topic(t) => format!(
                "That's outside what I cover: I answer from {covers}, and {} nothing about “{t}”.",
                self.sources_verb("it says", "they say")
            ),
            Declined::NotCoveredFor { feature, product } => self.not_covered_for(feature, product),
            Declined::Unknown(names) => format!(
                "That's outside what I cover: I answer from {covers}, and {} {}.",
                self.sources_verb("it doesn't mention", "they don't mention"),
                join_and(&names.iter().map(String::as_str).collect::<Vec<_>>())
            ),
        }
    }

    /// "That's outside what I cover: the articles don't cover image generation for the Claude
    /// apps. They cover it for ChatGPT and the API."
    fn not_covered_for(&self, feature: &str, product: &str) -> String {
        let table = &self.corpus.table;
        let (Some(f), Some(p)) = (table.get(feature), table.product_index(product)) else {
            return self.decline_message(&Declined::NotCovered);
        };
        let sources = self.sources_phrase(false);
        let covered: Vec<&str> = table
            .products
            .iter()
            .zip(&f.availability)
            .filter(|(_, a)| **a != crate::corpus::Availability::NotCovered)
            .map(|(p, _)| p.name.as_str())
            .collect();
        let mut message = format!(
            "That's outside what I cover: {sources} {} {} for {}.",
            self.sources_verb("doesn't cover", "don't cover"),
            verdict::sentence_name(&f.name),
            table.products[p].name
        );
        if !covered.is_empty() {
            message.push_str(&format!(
                " {} it for {}.",
                self.sources_verb("It covers", "They cover"),
                join_and(&covered)
            ));
        }
        message
    }

    pub(super) fn title_of<'a>(&'a self, doc: &'a str) -> &'a str {
        self.corpus.docs.iter().find(|d| d.id == doc).map_or(doc, |d| d.title.as_str())
    }

    /// "the article" or "the articles", as replies refer to the corpus (capitalised at a sentence start).
    pub(super) fn sources_phrase(&self, start: bool) -> String {
        let s = if self.corpus.docs.len() > 1 { "the articles" } else { "the article" };
        if start { capitalize(s) } else { s.to_owned() }
    }

    pub(super) fn sources_verb(&self, one: &'static str, many: &'static str) -> &'static str {
        if self.corpus.docs.len() > 1 { many } else { one }
    }

    /// What the bot answers from, for declines, help and banners: the titles, the products and
    /// the size of the feature table.
    pub fn covers_phrase(&self) -> String {
        let docs = &self.corpus.docs;
        let titles: Vec<String> = docs.iter().take(3).map(|d| format!("\u{201c}{}\u{201d}", d.title)).collect();
        let what = match docs.len() {
            1 => format!("the article {}", titles[0]),
            n if n <= 3 => format!("{n} articles ({})", titles.join(", ")),
            n => format!("{n} articles ({}, and {} more)", titles.join(", "), n - 3),
        };
        let products: Vec<&str> = self.corpus.table.products.iter().map(|p| p.name.as_str()).collect();
        if products.is_empty() || self.corpus.table.features.is_empty() {
            return what;
        }
        format!(
            "{what} about {}: which of {} features each offers, and what {} {} about {}",
            join_and(&products),
            self.corpus.table.features.len(),
            self.sources_phrase(false),
            self.sources_verb("says", "say"),
            if products.len() == 1 { "it" } else { "them" },
        )
    }
}

/// "a", "a and b", "a, b and c".
pub fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub(super) fn title_case(s: &str) -> String {
    s.split(' ').map(capitalize).collect::<Vec<_>>().join(" ")
}

/// "The article" or "The articles" at a sentence start, and the verb that goes with it.
fn articles(n: usize, one: &'static str, many: &'static str) -> (&'static str, &'static str) {
    if n > 1 { ("The articles", many) } else { ("The article", one) }
}

impl Caveat {
    /// The caveat as a sentence.
    pub fn text(&self) -> String {
        match self {
            Caveat::Table(c) => c.clone(),
            Caveat::Unverified { article, claim } => {
                let who = article.as_ref().map_or_else(|| "The article".to_owned(), |t| format!("\u{201c}{t}\u{201d}"));
                format!("{who} marks this as unverified: {claim}.")
            }
            Caveat::ReadAs(read) => {
                let read: Vec<String> = read.iter().map(|(w, a)| format!("\"{w}\" as \"{a}\"")).collect();
                format!("Read {}.", read.join(", "))
            }
            Caveat::OtherVendor { vendor, articles: n } => {
                let (who, verb) = articles(*n, "says", "say");
                format!("{who} {verb} nothing about {}.", title_case(vendor))
            }
            Caveat::Unmentioned { names, articles: n } => {
                let (who, verb) = articles(*n, "doesn't", "don't");
                format!("{who} {verb} mention {}.", names.join(", "))
            }
            Caveat::Plan { product, plan } => format!(
                "The table gives one answer for {product}, not one per plan: the cited passage may say more about \u{201c}{plan}\u{201d}."
            ),
            Caveat::Ambiguous { word, products } => {
                let or = match products.as_slice() {
                    [rest @ .., last] if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                    _ => products.join(""),
                };
                format!(
                    "\u{201c}{word}\u{201d} could mean {or}: this answers for each; name the vendor to ask about one."
                )
            }
        }
    }
}

impl Suggestion {
    /// The command, written as `syntax` writes commands.
    pub fn command(&self, syntax: Syntax) -> String {
        match (self, syntax) {
            (Suggestion::Cost { model, conversation: false, .. }, Syntax::Slash) => {
                format!("/cost model:{model} input_tokens:{i} output_tokens:{o}", i = CALL.0, o = CALL.1)
            }
            (Suggestion::Cost { model, conversation: true, .. }, Syntax::Slash) => {
                let (c, t, u, r) = CONVERSATION;
                format!("/cost model:{model} conversations_per_day:{c} turns:{t} user_tokens:{u} reply_tokens:{r}")
            }
            (Suggestion::Cost { model, conversation: false, .. }, Syntax::Cli) => {
                format!(
                    "productbot cost --model {model} --input-tokens {i} --output-tokens {o}",
                    i = CALL.0,
                    o = CALL.1
                )
            }
            (Suggestion::Cost { model, conversation: true, .. }, Syntax::Cli) => {
                let (c, t, u, r) = CONVERSATION;
                format!(
                    "productbot cost --model {model} --conversations-per-day {c} --turns {t} --user-tokens {u} --reply-tokens {r}"
                )
            }
        }
    }

    /// What the suggested estimate comes to, in a sentence ("By the price table (2025-01), 20
    /// conversations a day ... cost about $X a month; ChatGPT Plus is $20 a month.").
    pub fn sentence(&self) -> Option<String> {
        let Suggestion::Cost { estimate, .. } = self;
        let as_of = |a: &str| if a.is_empty() { String::new() } else { format!(" ({a})") };
        Some(match estimate.as_deref()? {
            CostReport::Call(r) => {
                let many = r
                    .usd_per_request
                    .checked_mul(rust_decimal::Decimal::from(10_000))
                    .map(|d| format!(" ({} for 10,000 such calls)", format_usd(d)))
                    .unwrap_or_default();
                format!(
                    "By the price table{}, one {} call of {} input and {} output tokens costs about {}{many}.",
                    as_of(&r.as_of),
                    r.model,
                    format_count(r.input_tokens.into()),
                    format_count(r.output_tokens.into()),
                    format_usd(r.usd_per_request),
                )
            }
            CostReport::Conversation(r) => format!(
                "By the price table{}, {} conversations a day of {} turns ({}-token messages, {}-token replies) on {} cost about {} a month; {} is {} a month.",
                as_of(&r.as_of),
                r.conversations_per_day,
                r.turns,
                r.user_tokens,
                r.reply_tokens,
                r.model,
                format_usd(r.usd_per_month),
                r.plan,
                format_usd(r.plan_usd_per_month),
            ),
        })
    }
}

/// A list group's opening: "The API has these and ChatGPT doesn't", "Both ChatGPT and the API
/// have these", "ChatGPT has these".
pub fn list_heading(g: &ListGroup) -> String {
    let with: Vec<&str> = g.with_names.iter().map(String::as_str).collect();
    let without: Vec<&str> = g.without_names.iter().map(String::as_str).collect();
    let have = if g.with_plural { "have" } else { "has" };
    let subject =
        if with.len() == 2 && without.is_empty() { format!("both {}", join_and(&with)) } else { join_and(&with) };
    let mut s = format!("{} {have} these", capitalize(&subject));
    if !without.is_empty() {
        let lack = if g.without_plural { "don't" } else { "doesn't" };
        s.push_str(&format!(" and {} {lack}", join_and(&without)));
    }
    s
}
