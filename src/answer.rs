//! The `Answer` value every transport renders: kind, verdict, cited sources, caveats and the rendered
//! text. Its serde form is the `ask --json` schema.

use serde::Serialize;

use crate::features::{Availability, Product};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The question is about a feature of the table; `verdict` is set.
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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub feature: String,
    pub name: String,
    /// The product the question asks about; `None` when it names neither or both.
    pub asked: Option<Product>,
    pub chatgpt: Availability,
    pub api: Availability,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    pub doc: String,
    pub section: String,
    pub heading: String,
    pub score: f32,
    /// A passage excerpt with matched words in `**bold**`.
    pub snippet: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub question: String,
    pub kind: Kind,
    pub verdict: Option<Verdict>,
    pub sources: Vec<Source>,
    pub caveats: Vec<String>,
    pub text: String,
    /// A slash command that computes what the question asks about prices, when it asks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// Corpus revision the answer came from.
    pub revision: String,
}

impl Verdict {
    /// The one-line verdict: "No. The API does not offer memory." or, when no product was named,
    /// "Memory: only ChatGPT has it."
    pub fn headline(&self) -> String {
        let name = sentence_name(&self.name);
        match self.asked {
            Some(p) => {
                let product = capitalize(p.display());
                match self.availability(p) {
                    Availability::Yes => format!("Yes. {product} offers {name}."),
                    Availability::No => format!("No. {product} does not offer {name}."),
                    Availability::Partial => format!("Partly. {product} offers {name} only in a limited form."),
                    Availability::Unknown => {
                        format!("Not stated. The article doesn't say whether {} offers {name}.", p.display())
                    }
                }
            }
            None => {
                use Availability::*;
                let both = match (self.chatgpt, self.api) {
                    (Yes, Yes) => "both ChatGPT and the API have it".to_owned(),
                    (Yes, No) => "only ChatGPT has it".to_owned(),
                    (No, Yes) => "only the API has it".to_owned(),
                    (No, No) => "neither product has it".to_owned(),
                    (c, a) => format!("ChatGPT: {c}, API: {a}"),
                };
                format!("{}: {both}.", self.name)
            }
        }
    }

    pub fn availability(&self, p: Product) -> Availability {
        match p {
            Product::Chatgpt => self.chatgpt,
            Product::Api => self.api,
        }
    }
}

/// Feature names read naturally mid-sentence: "memory", but "Code Interpreter" and "Conversation UI"
/// keep their capitals.
fn sentence_name(name: &str) -> String {
    let keeps_caps = name.split_whitespace().skip(1).any(|w| w.chars().any(char::is_uppercase))
        || name.split_whitespace().next().is_some_and(|w| w.chars().filter(|c| c.is_uppercase()).count() > 1);
    if keeps_caps { name.to_owned() } else { lower_first(name) }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Renders the human answer of a feature or search answer, shared by the CLI and the shell (Discord
/// builds an embed from the same fields; out-of-scope answers carry their own short text).
pub fn render_text(
    verdict: Option<&Verdict>,
    sources: &[Source],
    caveats: &[String],
    suggestion: Option<&str>,
) -> String {
    use std::fmt::Write as _;
    let size = 64
        + verdict.map_or(0, |v| v.note.len() + 96)
        + sources.iter().map(|s| s.heading.len() + s.snippet.len() + 16).sum::<usize>()
        + caveats.iter().map(|c| c.len() + 4).sum::<usize>()
        + suggestion.map_or(0, |s| s.len() + 32);
    let mut out = String::with_capacity(size);
    // Writing into a String cannot fail.
    if let Some(v) = verdict {
        let _ = write!(out, "{}\n{}\nChatGPT: {} · API: {}\n", v.headline(), v.note, v.chatgpt, v.api);
    }
    if !sources.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(if verdict.is_some() { "Sources:\n" } else { "From the article:\n" });
        for (i, s) in sources.iter().enumerate() {
            let _ = write!(out, "[{}] {}\n    {}\n", i + 1, s.heading, s.snippet);
        }
    }
    if !caveats.is_empty() {
        out.push_str("\nCaveats:\n");
        for c in caveats {
            let _ = writeln!(out, "- {c}");
        }
    }
    if let Some(s) = suggestion {
        let _ = writeln!(out, "\nFor an estimate, try: {s}");
    }
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(asked: Option<Product>, chatgpt: Availability, api: Availability, name: &str) -> Verdict {
        Verdict { feature: "x".into(), name: name.into(), asked, chatgpt, api, note: String::new() }
    }

    #[test]
    fn headlines() {
        use Availability::*;
        assert_eq!(v(Some(Product::Api), Yes, No, "Memory").headline(), "No. The API does not offer memory.");
        assert_eq!(v(Some(Product::Chatgpt), Yes, No, "Memory").headline(), "Yes. ChatGPT offers memory.");
        assert_eq!(v(None, No, Yes, "Fine-tuning").headline(), "Fine-tuning: only the API has it.");
        assert_eq!(
            v(Some(Product::Api), Yes, Unknown, "Code Interpreter").headline(),
            "Not stated. The article doesn't say whether the API offers Code Interpreter."
        );
        assert_eq!(
            v(Some(Product::Api), Yes, Partial, "Voice mode").headline(),
            "Partly. The API offers voice mode only in a limited form."
        );
    }
}
