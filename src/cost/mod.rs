//! Cost model: a validated price table (the corpus's price files, `corpus::prices`, and bot.toml's
//! `[pricing]` as an override), token counting, and estimates of what a call, many calls or a
//! daily chat habit cost, against a subscription plan.
//!
//! `PricingConfig` -> `check()` -> `PriceTable` (one sheet per file, combined); then
//! `estimate(&table, &CostRequest)` ->
//! `CostReport`, plain data that serializes to one JSON object; renderers format it at the edge.

mod arith;
mod call;
mod conversation;
mod money;
mod pricing;
mod report;
mod request;
mod tokens;

pub use money::{format_count, format_decimal, format_usd};
pub use pricing::{ModelPrice, ModelPriceConfig, Plan, PlanConfig, PriceTable, PricingConfig, Sheet};
pub(crate) use pricing::{key_segment, normalize as normalize_model_name};
pub use report::{Breakdown, CallReport, ConversationReport, CostReport};
pub use request::{
    CallRequest, ConversationRequest, CostRequest, DAYS_PER_MONTH, Input, MAX_CONVERSATIONS_PER_DAY, MAX_REQUESTS,
    MAX_TOKENS, MAX_TURNS, Period,
};
pub use tokens::{MAX_TEXT_BYTES, Tokenizer, count_tokens, warm_up};

/// Everything that can go wrong while loading prices or estimating a cost.
///
/// Messages are written to be shown to the person who asked, so they name the option or
/// config key at fault and, where it helps, what would have been accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CostError {
    /// A `[pricing]` value is unusable; `key` is the full dotted path, e.g.
    /// `pricing.models.gpt-4o.input_per_mtok`.
    #[error("{key} {reason}")]
    InvalidConfig { key: String, reason: String },

    #[error("{}", unknown_model_message(.given, .known, .suggestion.as_deref()))]
    UnknownModel { given: String, known: Vec<String>, suggestion: Option<String> },

    #[error("unknown tokenizer `{given}`: use o200k_base or cl100k_base")]
    UnknownTokenizer { given: String },

    /// A numeric option below its minimum, e.g. `requests must be at least 1`.
    #[error("{option} must be at least {min}")]
    TooSmall { option: &'static str, min: u64 },

    /// A numeric option (or the text) above its limit; `unit` is empty or e.g. " bytes".
    #[error("{option} must be at most {}{unit}", limit_text(.limit))]
    TooLarge { option: &'static str, limit: u64, unit: &'static str },

    #[error(
        "cached_input_tokens ({cached}) cannot exceed the input tokens ({input}): cached tokens are part of the input"
    )]
    CachedExceedsInput { cached: u64, input: u64 },

    #[error(
        "nothing to estimate: give input_tokens or text (and output_tokens), or conversations_per_day, turns, user_tokens and reply_tokens"
    )]
    NothingToEstimate,

    /// Checked arithmetic failed; only reachable with absurd prices, since every count is capped.
    #[error("{option} is too large: the cost overflows")]
    Overflow { option: &'static str },

    #[error("token counting failed: {reason}")]
    Tokenizer { reason: String },

    #[error(
        "no prices: the corpus has no price file (NAME.prices.toml beside an article, or prices.toml) and bot.toml no [pricing]"
    )]
    NoPrices,

    #[error("no plan to compare with: set compare_plan in the model's price file to one of its [plans]")]
    NoPlan,
}

fn unknown_model_message(given: &str, known: &[String], suggestion: Option<&str>) -> String {
    let mut msg = format!("unknown model `{given}`; known models: {}", known.join(", "));
    if let Some(s) = suggestion {
        msg.push_str(&format!("; did you mean {s}?"));
    }
    msg
}

fn limit_text(limit: &u64) -> String {
    money::format_count(u128::from(*limit))
}

/// Prices a request with the model it names, or the table's default model.
pub fn estimate(table: &PriceTable, req: &CostRequest) -> Result<CostReport, CostError> {
    let named = match req {
        CostRequest::Calls(c) => c.model.as_deref(),
        CostRequest::Conversation(c) => c.model.as_deref(),
    };
    let model = match named.map(str::trim) {
        Some(name) if !name.is_empty() => table.resolve_model(name)?,
        _ => table.default_model().ok_or(CostError::NoPrices)?,
    };
    // Each model is priced with its own sheet's discount, dates, source and plan.
    let sheet = table.sheet_of(model);
    let mut report = match req {
        CostRequest::Calls(c) => call::report(sheet, model, c).map(CostReport::Call),
        CostRequest::Conversation(c) => conversation::report(sheet, model, c).map(CostReport::Conversation),
    }?;
    if let Some(note) = sheet.note() {
        match &mut report {
            CostReport::Call(r) => r.caveats.push(note.to_owned()),
            CostReport::Conversation(r) => r.caveats.push(note.to_owned()),
        }
    }
    Ok(report)
}

/// The shipped corpus's price file, for tests of the arithmetic with real figures.
#[cfg(test)]
pub(crate) fn shipped_pricing() -> PricingConfig {
    let path = std::path::Path::new("corpus/openai-api-vs-chatgpt.prices.toml");
    let text = include_str!("../../corpus/openai-api-vs-chatgpt.prices.toml");
    crate::corpus::prices::parse(path, text, &["openai-api-vs-chatgpt"]).expect("the shipped price file parses").prices
}

#[cfg(test)]
pub(crate) mod testing {
    use std::str::FromStr;

    use rust_decimal::Decimal;

    use super::*;

    pub fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test literal")
    }

    pub fn table() -> PriceTable {
        shipped_pricing().validate().expect("the shipped prices validate")
    }

    pub fn call(req: CallRequest) -> CallReport {
        match estimate(&table(), &CostRequest::Calls(req)) {
            Ok(CostReport::Call(r)) => r,
            other => panic!("expected a call report, got {other:?}"),
        }
    }

    pub fn conversation(req: ConversationRequest) -> ConversationReport {
        match estimate(&table(), &CostRequest::Conversation(req)) {
            Ok(CostReport::Conversation(r)) => r,
            other => panic!("expected a conversation report, got {other:?}"),
        }
    }

    pub fn err(req: CostRequest) -> String {
        match estimate(&table(), &req) {
            Ok(r) => panic!("expected an error, got {r:?}"),
            Err(e) => e.to_string(),
        }
    }

    pub fn tokens(input: u64, output: u64) -> CallRequest {
        CallRequest {
            model: Some("gpt-4o".into()),
            input: Some(Input::Tokens(input)),
            output_tokens: Some(output),
            ..CallRequest::default()
        }
    }

    pub fn conv(per_day: u64, turns: u64, user: u64, reply: u64) -> ConversationRequest {
        ConversationRequest {
            model: Some("gpt-4o".into()),
            conversations_per_day: per_day,
            turns,
            user_tokens: user,
            reply_tokens: reply,
            batch: false,
        }
    }
}
