//! What a cost estimate is asked for: a number of calls of one shape, or a daily conversation
//! habit. The two forms are separate types, so options that conflict cannot be expressed.

use serde::Serialize;

/// Largest token count accepted for any option: far beyond any real workload, and small
/// enough that every product below stays inside Decimal's 28 digits with sane prices.
pub const MAX_TOKENS: u64 = 10_000_000_000;
pub const MAX_REQUESTS: u64 = 1_000_000_000_000;
pub const MAX_TURNS: u64 = 10_000;
pub const MAX_CONVERSATIONS_PER_DAY: u64 = 100_000_000;
/// Monthly figures assume 30 days.
pub const DAYS_PER_MONTH: u64 = 30;

/// The period that `requests` are counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Day,
    Month,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Month => "month",
        }
    }
}

/// The input of each call: a token count, or text whose tokens are counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Tokens(u64),
    Text(String),
}

/// `requests` identical calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRequest {
    pub model: Option<String>,
    pub input: Option<Input>,
    pub output_tokens: Option<u64>,
    /// Part of the input that hits the prompt cache; priced at the cached rate.
    pub cached_input_tokens: Option<u64>,
    pub requests: u64,
    pub per: Option<Period>,
    pub batch: bool,
}

impl Default for CallRequest {
    fn default() -> Self {
        CallRequest {
            model: None,
            input: None,
            output_tokens: None,
            cached_input_tokens: None,
            requests: 1,
            per: None,
            batch: false,
        }
    }
}

/// A daily chat habit, where every turn resends the conversation so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRequest {
    pub model: Option<String>,
    pub conversations_per_day: u64,
    pub turns: u64,
    pub user_tokens: u64,
    pub reply_tokens: u64,
    pub batch: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CostRequest {
    Calls(CallRequest),
    Conversation(ConversationRequest),
}
