//! The `Answer` value every transport renders: plain data with no markup. Renderers at the edge
//! (`render` for terminals and JSON, `discord::render` for embeds) decide how it looks.

use std::ops::Range;

use serde::Serialize;

use crate::corpus::Availability;
pub use crate::engine::Evidence;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The question is about a feature of the table; `verdicts` is not empty.
    Feature,
    /// Answered from retrieved passages alone.
    Search,
    /// The corpus does not cover it; no verdict, no borrowed passages.
    OutOfScope,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Feature => "feature",
            Kind::Search => "search",
            Kind::OutOfScope => "out_of_scope",
        }
    }
}

/// What kind of question the engine read it as (decided by the fitted model, `engine::model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    /// Whether a product has a feature: answered with a verdict from the table.
    #[default]
    Availability,
    /// How something behaves, why, what it costs, which to choose: answered with the passages.
    Informational,
    /// A list or comparison over the table ("which features are API-only?").
    List,
    /// Something the corpus does not answer.
    NotCovered,
}

impl QuestionType {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::Availability => "availability",
            QuestionType::Informational => "informational",
            QuestionType::List => "list",
            QuestionType::NotCovered => "not_covered",
        }
    }
}

/// What the fitted model decided about a question, with its probabilities.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// The probability that the corpus covers the question.
    pub covered: f64,
    /// The probability of the decision taken (covered times the kind's, or not covered).
    pub probability: f64,
    /// The probability that the answer is right (the fitted confidence decision); high
    /// confidence above the model's threshold.
    pub right: f64,
    /// What the hand-written rules read it as (the decision unless the model is surer otherwise).
    pub rules: QuestionType,
}

impl Decision {
    /// What a decline of the scope rules (another vendor, a listed topic) stands for, taken before
    /// any decision: a certain one. The fit reads it so, and the confidence model weighs it so.
    pub fn rule_decline() -> Self {
        Decision {
            kind: QuestionType::NotCovered,
            covered: 0.0,
            probability: 1.0,
            right: 0.0,
            rules: QuestionType::NotCovered,
        }
    }
}

/// A list answered from the feature table: one group per "these products have it, those don't".
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub groups: Vec<ListGroup>,
    /// Whether the question says which products have the features and which lack them (a
    /// negation, "only" or "both"): then the table is what it lists.
    pub contrast: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListGroup {
    /// Product ids that have each feature of the group (availability yes) ...
    pub with: Vec<String>,
    /// ... and those that do not (availability no).
    pub without: Vec<String>,
    /// The same products as sentences name them ("the API").
    pub with_names: Vec<String>,
    pub without_names: Vec<String>,
    /// Whether a sentence about them takes a plural verb: several products, or one whose name is
    /// plural ("the Claude apps don't").
    pub with_plural: bool,
    pub without_plural: bool,
    pub features: Vec<ListItem>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListItem {
    pub feature: String,
    pub name: String,
    pub availability: Vec<ProductValue>,
}

/// How sure the engine is of an answer, from the fitted confidence decision: `high` answers are
/// right at least as often as the model's target precision on questions held out of its fit;
/// `low` ones are more likely wrong than right (or rest on an unsure reading) and say so, showing
/// the closest passages instead of standing behind a verdict; `medium` is the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    High,
    Medium,
    Low,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

/// One product's availability, with the names renderers need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductValue {
    pub id: String,
    /// As a sentence names it ("the API").
    pub name: String,
    /// As a column or field names it ("API").
    pub short: String,
    pub value: Availability,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub feature: String,
    pub name: String,
    /// The product the question asks about; `None` when it names none or several.
    pub asked: Option<String>,
    /// Every product, in table order.
    pub availability: Vec<ProductValue>,
    pub note: String,
    /// The one-sentence verdict ("No. The API does not offer memory.").
    pub headline: String,
}

impl Verdict {
    /// The value for the product asked about, if one was.
    pub fn asked_value(&self) -> Option<Availability> {
        let asked = self.asked.as_deref()?;
        self.availability.iter().find(|p| p.id == asked).map(|p| p.value)
    }
}

/// A passage excerpt; `highlights` are byte ranges of the question's words in `text`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet {
    pub text: String,
    pub highlights: Vec<Range<usize>>,
}

impl Snippet {
    /// The text with each highlight wrapped in `open` and `close`, and every other run passed
    /// through `escape` (renderers escape their own markup).
    pub fn marked(&self, open: &str, close: &str, escape: impl Fn(&str) -> String) -> String {
        let mut out = String::with_capacity(self.text.len() + 8 * self.highlights.len());
        let mut at = 0;
        for r in &self.highlights {
            if r.start < at
                || r.end > self.text.len()
                || !self.text.is_char_boundary(r.start)
                || !self.text.is_char_boundary(r.end)
            {
                continue;
            }
            out.push_str(&escape(&self.text[at..r.start]));
            out.push_str(open);
            out.push_str(&escape(&self.text[r.clone()]));
            out.push_str(close);
            at = r.end;
        }
        out.push_str(&escape(&self.text[at..]));
        out
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Document id (file stem).
    pub doc: String,
    /// The document's title, when the corpus has more than one document (replies then name it).
    pub title: Option<String>,
    pub section: String,
    pub heading: String,
    pub score: f32,
    pub snippet: Snippet,
}

/// A caveat on an answer, as a reason; `engine::phrasing` words it ([`Caveat::text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caveat {
    /// The feature table's own caveat on a feature (the table's words).
    Table(String),
    /// A cited passage marks a claim `[VERIFY]`: the claim, and the article's title when the
    /// corpus has several.
    Unverified { article: Option<String>, claim: String },
    /// Question words read as a feature's alias through a typo: (word as asked, alias).
    ReadAs(Vec<(String, String)>),
    /// Another vendor's product named in passing, which the articles say nothing about.
    OtherVendor { vendor: String, articles: usize },
    /// Models, products or names in the question that the articles never mention.
    Unmentioned { names: Vec<String>, articles: usize },
    /// The question names a plan of the product asked about ("the free Claude plan"): the table
    /// gives the product's value, not the plan's. The product's name and the plan as asked.
    Plan { product: String, plan: String },
    /// A word of the question names products of several vendors and nothing else in it says which:
    /// the word as asked and the products' names. The answer covers each of them.
    Ambiguous { word: String, products: Vec<String> },
}

/// A command that computes what a question asks, as a reason; worded per transport
/// ([`Suggestion::command`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suggestion {
    /// `/cost` for a model: per call ([`CALL`]), or as a conversation habit ([`CONVERSATION`])
    /// against the price table's plan, with what that costs by the price table.
    Cost { model: String, conversation: bool, estimate: Option<Box<crate::cost::CostReport>> },
}

/// The call a price question's estimate prices: input and output tokens.
pub const CALL: (u64, u64) = (1000, 500);
/// The conversation habit it prices: conversations a day, turns, tokens per message and per reply.
pub const CONVERSATION: (u64, u64, u64, u64) = (20, 10, 150, 400);

/// How commands are written where an answer is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Syntax {
    /// `/cost model:gpt-4o input_tokens:1000` (the shell and Discord).
    #[default]
    Slash,
    /// `productbot cost --model gpt-4o --input-tokens 1000` (the command line).
    Cli,
}

/// The sentence an informational answer opens with: quoted from a cited passage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    pub sentence: String,
    /// Index into the answer's sources.
    pub source: usize,
}

/// Why a question was declined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Declined {
    /// There is no question: nothing but spaces, punctuation or mentions.
    Empty,
    /// It names another vendor's product.
    OtherVendor(String),
    /// It is about a topic of the domain the corpus does not cover.
    Topic(String),
    /// It names a model or product the corpus never mentions.
    Unknown(Vec<String>),
    /// The corpus has no evidence that answers it.
    NotCovered,
    /// A feature of the table asked of a product no article covers it for (by ids): the articles
    /// say nothing about it there, which is no verdict.
    NotCoveredFor { feature: String, product: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The question as asked.
    pub question: String,
    pub kind: Kind,
    /// What kind of question it was read as.
    pub asked_as: QuestionType,
    pub confidence: Confidence,
    /// For a list question: the table's rows that answer it.
    pub listing: Option<Listing>,
    /// Best first; empty unless `kind` is `Feature`.
    pub verdicts: Vec<Verdict>,
    pub sources: Vec<Source>,
    /// For an informational answer: the sentence of a cited passage that answers it.
    pub lead: Option<Lead>,
    pub caveats: Vec<Caveat>,
    /// A command that computes what the question asks about prices, when it asks.
    pub suggestion: Option<Suggestion>,
    /// For out-of-scope answers: why, and a sentence saying what the bot covers.
    pub declined: Option<(Declined, String)>,
    /// What the decision rested on (coverage of the question's informative words, feature cards).
    pub evidence: Evidence,
    /// Corpus revision the answer came from.
    pub revision: String,
    /// The id analytics recorded it under (what feedback buttons carry); `None` when not recorded.
    pub record: Option<i64>,
    /// A follow-up read with the question before it: the question answered (`question` is then
    /// that too), which the reply shows ("Reading this as: ...").
    pub read_as: Option<String>,
}

impl Answer {
    pub fn verdict(&self) -> Option<&Verdict> {
        self.verdicts.first()
    }
}
