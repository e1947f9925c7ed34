//! The `--json` form of an answer: one object per question, written straight to the output (batch
//! mode writes thousands a second). Products appear in the table's order.

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::answer::{Answer, Confidence, Kind, ProductValue, QuestionType, Source, Verdict};
use crate::corpus::{Availability as Value, FeatureTable, Product};

/// An answer as `ask --json` prints it. See README "JSON answer schema".
#[derive(Serialize)]
pub struct AnswerJson<'a> {
    question: &'a str,
    /// A follow-up read with the question before it: the question answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    read_as: Option<&'a str>,
    kind: Kind,
    /// What kind of question it was read as.
    #[serde(rename = "type")]
    asked_as: QuestionType,
    confidence: Confidence,
    verdict: Option<VerdictJson<'a>>,
    verdicts: Vec<VerdictJson<'a>>,
    sources: Vec<SourceJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lead: Option<LeadJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    list: Option<Vec<ListJson<'a>>>,
    caveats: Vec<String>,
    text: String,
    revision: &'a str,
    evidence: &'a crate::answer::Evidence,
    #[serde(skip_serializing_if = "Option::is_none")]
    suggestion: Option<String>,
    /// What the suggestion's estimate comes to, in a sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    estimate: Option<String>,
}

#[derive(Serialize)]
struct LeadJson<'a> {
    sentence: &'a str,
    /// Index into `sources`.
    source: usize,
}

#[derive(Serialize)]
struct ListJson<'a> {
    with: &'a [String],
    without: &'a [String],
    heading: String,
    features: Vec<&'a str>,
}

#[derive(Serialize)]
struct VerdictJson<'a> {
    feature: &'a str,
    name: &'a str,
    asked: Option<&'a str>,
    availability: Availability<'a>,
    note: &'a str,
    headline: &'a str,
}

/// `{product id: value}` in table order.
struct Availability<'a>(&'a [ProductValue]);

impl Serialize for Availability<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for p in self.0 {
            m.serialize_entry(&p.id, &p.value)?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct SourceJson<'a> {
    doc: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    section: &'a str,
    heading: &'a str,
    score: f32,
    snippet: &'a str,
    /// Byte ranges of the question's words in `snippet`.
    highlights: Vec<[usize; 2]>,
}

fn verdict(v: &Verdict) -> VerdictJson<'_> {
    VerdictJson {
        feature: &v.feature,
        name: &v.name,
        asked: v.asked.as_deref(),
        availability: Availability(&v.availability),
        note: &v.note,
        headline: &v.headline,
    }
}

fn source(s: &Source) -> SourceJson<'_> {
    SourceJson {
        doc: &s.doc,
        title: s.title.as_deref(),
        section: &s.section,
        heading: &s.heading,
        score: s.score,
        snippet: &s.snippet.text,
        highlights: s.snippet.highlights.iter().map(|r| [r.start, r.end]).collect(),
    }
}

pub fn answer(a: &Answer) -> AnswerJson<'_> {
    AnswerJson {
        question: &a.question,
        read_as: a.read_as.as_deref(),
        kind: a.kind,
        asked_as: a.asked_as,
        confidence: a.confidence,
        verdict: a.verdicts.first().map(verdict),
        verdicts: a.verdicts.iter().map(verdict).collect(),
        sources: a.sources.iter().map(source).collect(),
        lead: a.lead.as_ref().map(|l| LeadJson { sentence: &l.sentence, source: l.source }),
        list: a.listing.as_ref().map(|l| {
            l.groups
                .iter()
                .map(|g| ListJson {
                    with: &g.with,
                    without: &g.without,
                    heading: crate::engine::list_heading(g),
                    features: g.features.iter().map(|f| f.feature.as_str()).collect(),
                })
                .collect()
        }),
        caveats: a.caveats.iter().map(|c| c.text()).collect(),
        text: super::plain(a),
        revision: &a.revision,
        evidence: &a.evidence,
        suggestion: a.suggestion.as_ref().map(|s| s.command(crate::answer::Syntax::Slash)),
        estimate: a.suggestion.as_ref().and_then(|s| s.sentence()),
    }
}

/// The feature table as `features --json` prints it: the products, then each feature with its
/// availability per product (in table order) and where the corpus supports it.
#[derive(Serialize)]
pub struct FeaturesJson<'a> {
    products: &'a [Product],
    features: Vec<FeatureJson<'a>>,
}

#[derive(Serialize)]
struct FeatureJson<'a> {
    id: &'a str,
    name: &'a str,
    availability: ProductMap<'a>,
    note: &'a str,
    doc: &'a str,
    section: &'a str,
    heading: Option<&'a str>,
    aliases: &'a [String],
    caveats: &'a [String],
}

/// `{product id: value}` from the table's products and one feature's values.
struct ProductMap<'a>(&'a [Product], &'a [Value]);

impl Serialize for ProductMap<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (p, v) in self.0.iter().zip(self.1) {
            m.serialize_entry(&p.id, v)?;
        }
        m.end()
    }
}

pub fn features(t: &FeatureTable) -> FeaturesJson<'_> {
    FeaturesJson {
        products: &t.products,
        features: t
            .features
            .iter()
            .map(|f| FeatureJson {
                id: &f.id,
                name: &f.name,
                availability: ProductMap(&t.products, &f.availability),
                note: &f.note,
                doc: &f.doc,
                section: &f.section,
                heading: f.heading.as_deref(),
                aliases: &f.aliases,
                caveats: &f.caveats,
            })
            .collect(),
    }
}
