//! Cost model for OpenAI API usage: validated price table, token counting and
//! estimates of what a call, a batch of calls or a chat habit costs compared with ChatGPT Plus.
//!
//! Typical use: `PricingConfig` (the `[pricing]` section of bot.toml, or its `Default`) ->
//! `validate()` -> `PriceTable`, then `estimate(&table, &CostRequest { .. })` -> `CostReport`,
//! which serializes to one flat JSON object or renders as a short text answer.

mod estimate;
mod money;
mod pricing;
mod tokens;

pub use estimate::{
    Breakdown, CallReport, ConversationReport, CostReport, CostRequest, DAYS_PER_MONTH, MAX_CONVERSATIONS_PER_DAY,
    MAX_REQUESTS, MAX_TOKENS, MAX_TURNS, Period, estimate,
};
pub use money::{format_count, format_usd};
pub use pricing::{ModelPrice, ModelPriceConfig, Plan, PlanConfig, PriceTable, PricingConfig};
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

    #[error("unknown period `{given}`: use day or month")]
    UnknownPeriod { given: String },

    /// A numeric option below its minimum, e.g. `requests must be at least 1`.
    #[error("{option} must be at least {min}")]
    TooSmall { option: &'static str, min: u64 },

    /// A numeric option (or the text) above its limit; `unit` is empty or e.g. " bytes".
    #[error("{option} must be at most {}{unit}", limit_text(.limit))]
    TooLarge { option: &'static str, limit: u64, unit: &'static str },

    #[error("{option} cannot be combined with {with}")]
    Conflict { option: &'static str, with: &'static str },

    #[error(
        "a conversation estimate also needs {}: give conversations_per_day, turns, user_tokens and reply_tokens",
        .missing.join(", ")
    )]
    MissingConversationOptions { missing: Vec<&'static str> },

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
