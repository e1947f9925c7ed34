//! `/cost ...`: usage-based cost estimates from the configured price table, per call, in bulk, from
//! text, or for a conversation habit against a subscription plan.

use super::{Command, CommandSpec, Completion, Context, OptKind, OptSpec, Options, Reply, UsageError, Via};
use crate::cost::{
    self, CallRequest, ConversationRequest, CostRequest, Input, MAX_CONVERSATIONS_PER_DAY, MAX_REQUESTS,
    MAX_TEXT_BYTES, MAX_TOKENS, MAX_TURNS, Period,
};

const CALL_OPTIONS: &[&str] = &["input_tokens", "output_tokens", "cached_input_tokens", "requests", "per", "text"];
const CONVERSATION_OPTIONS: &[&str] = &["conversations_per_day", "turns", "user_tokens", "reply_tokens"];

pub static SPEC: CommandSpec = CommandSpec {
    name: "cost",
    help: "Estimate usage cost from tokens, text or a conversation habit, against a subscription plan",
    options: &[
        OptSpec::new("model", "Model (default: the price table's default_model)", OptKind::Text)
            .complete(Completion::Model),
        OptSpec::count("input_tokens", "Input tokens per request", 0, MAX_TOKENS),
        OptSpec::count("output_tokens", "Output tokens per request", 0, MAX_TOKENS),
        OptSpec::count("cached_input_tokens", "Of the input tokens, how many are cached", 0, MAX_TOKENS),
        OptSpec::count("requests", "Number of requests (1 if not given)", 1, MAX_REQUESTS),
        OptSpec::new("per", "Requests are per day or per month", OptKind::Choice(&["day", "month"])),
        OptSpec::new("batch", "Use the batch discount", OptKind::Bool),
        OptSpec::new("text", "Count the tokens of this text as input", OptKind::Text),
        OptSpec::count(
            "conversations_per_day",
            "Conversation estimate: conversations a day",
            1,
            MAX_CONVERSATIONS_PER_DAY,
        ),
        OptSpec::count("turns", "Conversation estimate: turns per conversation", 1, MAX_TURNS),
        OptSpec::count("user_tokens", "Conversation estimate: tokens per user message", 0, MAX_TOKENS),
        OptSpec::count("reply_tokens", "Conversation estimate: tokens per reply", 0, MAX_TOKENS),
    ],
    admin: false,
    slow: false,
    examples: &[
        "/cost input_tokens:1000 output_tokens:500 requests:10000 per:day",
        "/cost conversations_per_day:20 turns:10 user_tokens:150 reply_tokens:400",
    ],
    via: Via::Typed,
    chart: true,
    parse,
};

#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    pub request: CostRequest,
}

fn parse(o: &Options) -> Result<Command, UsageError> {
    let conversation: Vec<&str> = o.names().filter(|n| CONVERSATION_OPTIONS.contains(n)).collect();
    if !conversation.is_empty() {
        if let Some(call) = o.names().find(|n| CALL_OPTIONS.contains(n)) {
            return Err(UsageError(format!(
                "option `{call}` cannot be combined with the conversation options ({})",
                CONVERSATION_OPTIONS.join(", ")
            )));
        }
        let missing: Vec<&str> = CONVERSATION_OPTIONS.iter().copied().filter(|n| !o.has(n)).collect();
        if !missing.is_empty() {
            return Err(UsageError(format!(
                "a conversation estimate also needs {}: give {}",
                missing.join(", "),
                CONVERSATION_OPTIONS.join(", ")
            )));
        }
    } else if o.has("text") && o.has("input_tokens") {
        return Err(UsageError("option `text` cannot be combined with input_tokens (give one or the other)".into()));
    }
    if o.text("model").is_some_and(|m| m.trim().is_empty()) {
        return Err(UsageError(
            "option `model` is empty: name a model, or leave the option out for the default".into(),
        ));
    }
    if o.text("text").is_some_and(|t| t.len() > MAX_TEXT_BYTES) {
        return Err(UsageError(format!("option `text` must be at most {MAX_TEXT_BYTES} bytes")));
    }
    let model = o.text("model").map(|m| m.trim().to_owned());
    let request = if conversation.is_empty() {
        let input = match (o.count("input_tokens"), o.text("text")) {
            (Some(n), _) => Some(Input::Tokens(n)),
            (None, Some(t)) => Some(Input::Text(t.to_owned())),
            (None, None) => None,
        };
        CostRequest::Calls(CallRequest {
            model,
            input,
            output_tokens: o.count("output_tokens"),
            cached_input_tokens: o.count("cached_input_tokens"),
            requests: o.count("requests").unwrap_or(1),
            per: o.choice("per").map(|p| if p == "day" { Period::Day } else { Period::Month }),
            batch: o.flag("batch"),
        })
    } else {
        CostRequest::Conversation(ConversationRequest {
            model,
            conversations_per_day: o.count("conversations_per_day").unwrap_or_default(),
            turns: o.count("turns").unwrap_or_default(),
            user_tokens: o.count("user_tokens").unwrap_or_default(),
            reply_tokens: o.count("reply_tokens").unwrap_or_default(),
            batch: o.flag("batch"),
        })
    };
    Ok(Command::Cost(Cost { request }))
}

impl Cost {
    pub fn run(self, ctx: Context) -> Reply {
        match cost::estimate(&ctx.prices(), &self.request) {
            Ok(r) => Reply::Cost(Box::new(r)),
            Err(e) => Reply::error(e.to_string()),
        }
    }
}
