//! What an estimate found, as plain data. The `--json` form is derived: money as JSON numbers
//! (through its exact decimal text), a `form` field naming the kind of estimate.

use rust_decimal::Decimal;
use serde::Serialize;

use super::request::Period;
use super::tokens::Tokenizer;

/// Where the money goes, for one request (call form) or one conversation. `batch_discount_usd` is
/// the amount taken off, so the parts sum as uncached + cached + output - batch_discount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Breakdown {
    #[serde(with = "rust_decimal::serde::float")]
    pub uncached_input_usd: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub cached_input_usd: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub output_usd: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub batch_discount_usd: Decimal,
}

/// Estimate for `requests` calls of the same shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallReport {
    pub model: String,
    pub tokenizer: Tokenizer,
    /// All input tokens of one request, cached ones included.
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    /// Set when the input was counted from text.
    pub text_tokens: Option<u64>,
    pub requests: u64,
    pub per: Option<Period>,
    pub batch: bool,
    #[serde(with = "rust_decimal::serde::float")]
    pub batch_discount_percent: Decimal,
    #[serde(rename = "input_usd_per_mtok", with = "rust_decimal::serde::float")]
    pub input_per_mtok: Decimal,
    /// The rate actually charged for cached tokens (the input rate when the model has none).
    #[serde(rename = "cached_input_usd_per_mtok", with = "rust_decimal::serde::float")]
    pub cached_input_per_mtok: Decimal,
    #[serde(rename = "output_usd_per_mtok", with = "rust_decimal::serde::float")]
    pub output_per_mtok: Decimal,
    /// Per request.
    pub breakdown: Breakdown,
    #[serde(with = "rust_decimal::serde::float")]
    pub usd_per_request: Decimal,
    /// Cost of all `requests`.
    #[serde(with = "rust_decimal::serde::float")]
    pub usd_total: Decimal,
    #[serde(with = "rust_decimal::serde::float_option")]
    pub usd_per_day: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::float_option")]
    pub usd_per_month: Option<Decimal>,
    pub as_of: String,
    pub source: String,
    pub caveats: Vec<String>,
}

/// Estimate for a daily chat habit against a subscription plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversationReport {
    pub model: String,
    pub tokenizer: Tokenizer,
    pub conversations_per_day: u64,
    pub turns: u64,
    pub user_tokens: u64,
    pub reply_tokens: u64,
    pub input_tokens_per_conversation: u64,
    pub output_tokens_per_conversation: u64,
    /// Calls a day: one per turn.
    pub requests_per_day: u64,
    pub input_tokens_per_day: u128,
    pub output_tokens_per_day: u128,
    pub batch: bool,
    #[serde(with = "rust_decimal::serde::float")]
    pub batch_discount_percent: Decimal,
    #[serde(rename = "input_usd_per_mtok", with = "rust_decimal::serde::float")]
    pub input_per_mtok: Decimal,
    #[serde(rename = "output_usd_per_mtok", with = "rust_decimal::serde::float")]
    pub output_per_mtok: Decimal,
    /// Per conversation.
    pub breakdown: Breakdown,
    #[serde(with = "rust_decimal::serde::float")]
    pub usd_per_conversation: Decimal,
    /// Average over the turns of a day.
    #[serde(with = "rust_decimal::serde::float")]
    pub usd_per_request: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub usd_per_day: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub usd_per_month: Decimal,
    /// The plan compared with (`[pricing] compare_plan`).
    pub plan: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub plan_usd_per_month: Decimal,
    /// Conversations a day at which usage costs as much as the plan; `None` when a conversation
    /// costs nothing, so there is no such point.
    #[serde(with = "rust_decimal::serde::float_option")]
    pub crossover_conversations_per_day: Option<Decimal>,
    pub verdict: String,
    pub as_of: String,
    pub source: String,
    pub caveats: Vec<String>,
}

/// Result of [`super::estimate`]; its JSON is one object with a `form` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum CostReport {
    Call(CallReport),
    Conversation(ConversationReport),
}

impl CostReport {
    pub fn model(&self) -> &str {
        match self {
            CostReport::Call(r) => &r.model,
            CostReport::Conversation(r) => &r.model,
        }
    }

    pub fn caveats(&self) -> &[String] {
        match self {
            CostReport::Call(r) => &r.caveats,
            CostReport::Conversation(r) => &r.caveats,
        }
    }
}
