//! The arithmetic of an estimate: prices a single call (or many), or a daily chat habit
//! against ChatGPT Plus, and presents the result as flat JSON or a short text answer.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value, json};

use super::CostError;
use super::money::{format_count, format_decimal, format_usd};
use super::pricing::{ModelPrice, PriceTable};
use super::tokens::{Tokenizer, count_tokens};

/// Largest token count accepted for any option: far beyond any real workload, and small
/// enough that every product below stays inside Decimal's 28 digits with sane prices.
pub const MAX_TOKENS: u64 = 10_000_000_000;
pub const MAX_REQUESTS: u64 = 1_000_000_000_000;
pub const MAX_TURNS: u64 = 10_000;
pub const MAX_CONVERSATIONS_PER_DAY: u64 = 100_000_000;
/// Monthly figures assume 30 days, as the article does.
pub const DAYS_PER_MONTH: u64 = 30;

const CONVERSATION_OPTIONS: &str = "the conversation options (conversations_per_day, turns, user_tokens, reply_tokens)";

/// Config strings are clipped in text answers so an overlong bot.toml entry cannot push a
/// reply past Discord's limits: names and dates are short by nature, prose gets more room.
const MAX_SHOWN_NAME_CHARS: usize = 40;
const MAX_SHOWN_SOURCE_CHARS: usize = 100;
const MAX_SHOWN_NOTE_CHARS: usize = 160;

/// What the user asked for. Everything is optional so each transport (slash command,
/// CLI flags, free-text parser) fills in only what the user gave.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CostRequest {
    pub model: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// Part of the input that hits the prompt cache; priced at the cached rate.
    pub cached_input_tokens: Option<u64>,
    pub requests: Option<u64>,
    pub per: Option<Period>,
    pub batch: bool,
    /// Prompt text whose tokens are counted instead of giving `input_tokens`.
    pub text: Option<String>,
    pub conversations_per_day: Option<u64>,
    pub turns: Option<u64>,
    pub user_tokens: Option<u64>,
    pub reply_tokens: Option<u64>,
}

/// The period that `requests` are counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    #[serde(alias = "daily")]
    Day,
    #[serde(alias = "monthly")]
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

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Period {
    type Err = CostError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "day" | "daily" => Ok(Period::Day),
            "month" | "monthly" => Ok(Period::Month),
            _ => Err(CostError::UnknownPeriod { given: s.trim().to_string() }),
        }
    }
}

/// Where the money goes, for one request (call form) or one conversation.
/// `batch_discount_usd` is the amount taken off, so the parts sum as
/// uncached + cached + output - batch_discount.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breakdown {
    pub uncached_input_usd: Decimal,
    pub cached_input_usd: Decimal,
    pub output_usd: Decimal,
    pub batch_discount_usd: Decimal,
}

/// Estimate for `requests` calls of the same shape.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub batch_discount_percent: Decimal,
    pub input_per_mtok: Decimal,
    /// The rate actually charged for cached tokens (the input rate when the model has none).
    pub cached_input_per_mtok: Decimal,
    pub output_per_mtok: Decimal,
    /// Per request.
    pub breakdown: Breakdown,
    pub usd_per_request: Decimal,
    /// Cost of all `requests`.
    pub usd_total: Decimal,
    pub usd_per_day: Option<Decimal>,
    pub usd_per_month: Option<Decimal>,
    pub as_of: String,
    pub source: String,
    pub caveats: Vec<String>,
}

/// Estimate for a daily chat habit, where every turn resends the conversation so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationReport {
    pub model: String,
    pub tokenizer: Tokenizer,
    pub conversations_per_day: u64,
    pub turns: u64,
    pub user_tokens: u64,
    pub reply_tokens: u64,
    pub input_tokens_per_conversation: u64,
    pub output_tokens_per_conversation: u64,
    /// API calls a day: one per turn.
    pub requests_per_day: u64,
    pub input_tokens_per_day: u128,
    pub output_tokens_per_day: u128,
    pub batch: bool,
    pub batch_discount_percent: Decimal,
    pub input_per_mtok: Decimal,
    pub output_per_mtok: Decimal,
    /// Per conversation.
    pub breakdown: Breakdown,
    pub usd_per_conversation: Decimal,
    /// Average over the turns of a day.
    pub usd_per_request: Decimal,
    pub usd_per_day: Decimal,
    pub usd_per_month: Decimal,
    pub plus_plan_name: String,
    pub chatgpt_plus_usd_per_month: Decimal,
    /// Conversations a day at which the API costs as much as Plus; `None` when a
    /// conversation costs nothing, so there is no such point.
    pub crossover_conversations_per_day: Option<Decimal>,
    pub verdict: String,
    pub as_of: String,
    pub source: String,
    pub caveats: Vec<String>,
}

/// Result of [`estimate`]; serializes to one flat JSON object with a `form` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CostReport {
    Call(CallReport),
    Conversation(ConversationReport),
}

/// Prices a request. The conversation form is chosen when any conversation option is given;
/// otherwise it is a call (or `requests` identical calls).
pub fn estimate(table: &PriceTable, req: &CostRequest) -> Result<CostReport, CostError> {
    let model = match req.model.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => table.resolve_model(name)?,
        _ => table.default_model(),
    };
    let conversation = req.conversations_per_day.is_some()
        || req.turns.is_some()
        || req.user_tokens.is_some()
        || req.reply_tokens.is_some();
    if conversation {
        conversation_report(table, model, req).map(CostReport::Conversation)
    } else {
        call_report(table, model, req).map(CostReport::Call)
    }
}

/// Text that a transport left empty counts as not given.
fn given_text(req: &CostRequest) -> Option<&str> {
    req.text.as_deref().filter(|t| !t.is_empty())
}

fn capped(value: Option<u64>, option: &'static str, limit: u64) -> Result<Option<u64>, CostError> {
    match value {
        Some(v) if v > limit => Err(CostError::TooLarge { option, limit, unit: "" }),
        other => Ok(other),
    }
}

fn at_least_one(value: u64, option: &'static str) -> Result<u64, CostError> {
    if value == 0 { Err(CostError::TooSmall { option, min: 1 }) } else { Ok(value) }
}

fn overflow(option: &'static str) -> CostError {
    CostError::Overflow { option }
}

fn mul(a: Decimal, b: Decimal, option: &'static str) -> Result<Decimal, CostError> {
    a.checked_mul(b).ok_or_else(|| overflow(option))
}

fn add(a: Decimal, b: Decimal, option: &'static str) -> Result<Decimal, CostError> {
    a.checked_add(b).ok_or_else(|| overflow(option))
}

fn div(a: Decimal, b: Decimal, option: &'static str) -> Result<Decimal, CostError> {
    a.checked_div(b).ok_or_else(|| overflow(option))
}

/// Prices are per million tokens, so multiply first and divide last to stay exact.
fn token_cost(tokens: u64, per_mtok: Decimal, option: &'static str) -> Result<Decimal, CostError> {
    div(mul(Decimal::from(tokens), per_mtok, option)?, Decimal::from(1_000_000u64), option)
}

fn batch_discount(
    subtotal: Decimal,
    batch: bool,
    percent: Decimal,
    option: &'static str,
) -> Result<Decimal, CostError> {
    if !batch {
        return Ok(Decimal::ZERO);
    }
    div(mul(subtotal, percent, option)?, Decimal::ONE_HUNDRED, option)
}

fn batch_caveat(percent: Decimal, conversation: bool) -> String {
    let pct = percent.normalize();
    if conversation {
        format!(
            "the {pct}% batch discount is applied as asked, but Batch API answers come back asynchronously, unlike a live chat"
        )
    } else {
        format!(
            "the {pct}% batch discount applies only to jobs sent through the Batch API, which returns results asynchronously"
        )
    }
}

fn call_report(table: &PriceTable, model: &ModelPrice, req: &CostRequest) -> Result<CallReport, CostError> {
    let input_given = capped(req.input_tokens, "input_tokens", MAX_TOKENS)?;
    let output_tokens = capped(req.output_tokens, "output_tokens", MAX_TOKENS)?.unwrap_or(0);
    let cached_input_tokens = capped(req.cached_input_tokens, "cached_input_tokens", MAX_TOKENS)?.unwrap_or(0);
    let requests = at_least_one(capped(req.requests, "requests", MAX_REQUESTS)?.unwrap_or(1), "requests")?;

    let (input_tokens, text_tokens) = match (input_given, given_text(req)) {
        (Some(_), Some(_)) => {
            return Err(CostError::Conflict { option: "text", with: "input_tokens (give one or the other)" });
        }
        (Some(n), None) => (n, None),
        (None, Some(text)) => {
            let n = count_tokens(model.tokenizer(), text)?;
            let n = u64::try_from(n).map_err(|_| overflow("text"))?;
            (n, Some(n))
        }
        (None, None) => {
            if req.output_tokens.is_none() && req.cached_input_tokens.is_none() {
                return Err(CostError::NothingToEstimate);
            }
            (0, None)
        }
    };
    if cached_input_tokens > input_tokens {
        return Err(CostError::CachedExceedsInput { cached: cached_input_tokens, input: input_tokens });
    }
    let uncached_tokens = input_tokens - cached_input_tokens;

    let mut caveats = Vec::new();
    let cached_rate = match model.cached_input_per_mtok() {
        Some(rate) => rate,
        None => {
            if cached_input_tokens > 0 {
                caveats.push(format!(
                    "{} has no cached-input price, so the {} cached tokens are priced at the normal input rate ({}/M)",
                    model.name(),
                    format_count(u128::from(cached_input_tokens)),
                    format_usd(model.input_per_mtok())
                ));
            }
            model.input_per_mtok()
        }
    };

    let uncached_input_usd = token_cost(uncached_tokens, model.input_per_mtok(), "input_tokens")?;
    let cached_input_usd = token_cost(cached_input_tokens, cached_rate, "cached_input_tokens")?;
    let output_usd = token_cost(output_tokens, model.output_per_mtok(), "output_tokens")?;
    let subtotal = add(add(uncached_input_usd, cached_input_usd, "input_tokens")?, output_usd, "output_tokens")?;
    let batch_discount_usd = batch_discount(subtotal, req.batch, table.batch_discount_percent(), "input_tokens")?;
    let usd_per_request = subtotal.checked_sub(batch_discount_usd).ok_or_else(|| overflow("input_tokens"))?;
    let usd_total = mul(usd_per_request, Decimal::from(requests), "requests")?;
    let days = Decimal::from(DAYS_PER_MONTH);
    let (usd_per_day, usd_per_month) = match req.per {
        None => (None, None),
        Some(Period::Day) => (Some(usd_total), Some(mul(usd_total, days, "requests")?)),
        Some(Period::Month) => (Some(div(usd_total, days, "requests")?), Some(usd_total)),
    };
    if req.batch {
        caveats.push(batch_caveat(table.batch_discount_percent(), false));
    }

    Ok(CallReport {
        model: model.name().to_string(),
        tokenizer: model.tokenizer(),
        input_tokens,
        cached_input_tokens,
        output_tokens,
        text_tokens,
        requests,
        per: req.per,
        batch: req.batch,
        batch_discount_percent: table.batch_discount_percent(),
        input_per_mtok: model.input_per_mtok(),
        cached_input_per_mtok: cached_rate,
        output_per_mtok: model.output_per_mtok(),
        breakdown: Breakdown { uncached_input_usd, cached_input_usd, output_usd, batch_discount_usd },
        usd_per_request,
        usd_total,
        usd_per_day,
        usd_per_month,
        as_of: table.as_of().to_string(),
        source: table.source().to_string(),
        caveats,
    })
}

fn conversation_report(
    table: &PriceTable,
    model: &ModelPrice,
    req: &CostRequest,
) -> Result<ConversationReport, CostError> {
    for (option, present) in [
        ("input_tokens", req.input_tokens.is_some()),
        ("text", given_text(req).is_some()),
        ("output_tokens", req.output_tokens.is_some()),
        ("cached_input_tokens", req.cached_input_tokens.is_some()),
        ("requests", req.requests.is_some()),
    ] {
        if present {
            return Err(CostError::Conflict { option, with: CONVERSATION_OPTIONS });
        }
    }
    let missing: Vec<&'static str> = [
        ("conversations_per_day", req.conversations_per_day.is_none()),
        ("turns", req.turns.is_none()),
        ("user_tokens", req.user_tokens.is_none()),
        ("reply_tokens", req.reply_tokens.is_none()),
    ]
    .into_iter()
    .filter_map(|(name, absent)| absent.then_some(name))
    .collect();
    if !missing.is_empty() {
        return Err(CostError::MissingConversationOptions { missing });
    }

    let conversations_per_day = at_least_one(
        capped(req.conversations_per_day, "conversations_per_day", MAX_CONVERSATIONS_PER_DAY)?.unwrap_or(0),
        "conversations_per_day",
    )?;
    let turns = at_least_one(capped(req.turns, "turns", MAX_TURNS)?.unwrap_or(0), "turns")?;
    let user_tokens = capped(req.user_tokens, "user_tokens", MAX_TOKENS)?.unwrap_or(0);
    let reply_tokens = capped(req.reply_tokens, "reply_tokens", MAX_TOKENS)?.unwrap_or(0);

    // Turn k sends k user messages and the k-1 replies before it, so over T turns the input
    // is u*(1+..+T) + r*(0+..+(T-1)) = u*T(T+1)/2 + r*T(T-1)/2; each turn outputs one reply.
    let tri_up = turns.checked_mul(turns + 1).map(|v| v / 2).ok_or_else(|| overflow("turns"))?;
    let tri_down = turns.checked_mul(turns - 1).map(|v| v / 2).ok_or_else(|| overflow("turns"))?;
    let user_input = user_tokens.checked_mul(tri_up).ok_or_else(|| overflow("user_tokens"))?;
    let reply_input = reply_tokens.checked_mul(tri_down).ok_or_else(|| overflow("reply_tokens"))?;
    let input_tokens_per_conversation = user_input.checked_add(reply_input).ok_or_else(|| overflow("user_tokens"))?;
    let output_tokens_per_conversation = reply_tokens.checked_mul(turns).ok_or_else(|| overflow("reply_tokens"))?;
    let requests_per_day = conversations_per_day.checked_mul(turns).ok_or_else(|| overflow("conversations_per_day"))?;
    // u128 cannot overflow here: both factors are below 2^64.
    let input_tokens_per_day = u128::from(input_tokens_per_conversation) * u128::from(conversations_per_day);
    let output_tokens_per_day = u128::from(output_tokens_per_conversation) * u128::from(conversations_per_day);

    let uncached_input_usd = token_cost(input_tokens_per_conversation, model.input_per_mtok(), "user_tokens")?;
    let output_usd = token_cost(output_tokens_per_conversation, model.output_per_mtok(), "reply_tokens")?;
    let subtotal = add(uncached_input_usd, output_usd, "reply_tokens")?;
    let batch_discount_usd = batch_discount(subtotal, req.batch, table.batch_discount_percent(), "user_tokens")?;
    let usd_per_conversation = subtotal.checked_sub(batch_discount_usd).ok_or_else(|| overflow("user_tokens"))?;
    let usd_per_day = mul(usd_per_conversation, Decimal::from(conversations_per_day), "conversations_per_day")?;
    let days = Decimal::from(DAYS_PER_MONTH);
    let usd_per_month = mul(usd_per_day, days, "conversations_per_day")?;
    let usd_per_request = div(usd_per_day, Decimal::from(requests_per_day), "conversations_per_day")?;

    let plus = table.plus_plan();
    let plus_usd = plus.usd_per_month();
    let crossover_conversations_per_day = if usd_per_conversation.is_zero() {
        None
    } else {
        let monthly_per_daily_conversation = mul(usd_per_conversation, days, "user_tokens")?;
        let exact = div(plus_usd, monthly_per_daily_conversation, "pricing.plans.plus.usd_per_month")?;
        Some(exact.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
    };

    // Compared at cents, as shown, so the verdict never contradicts the printed figures.
    let cents = |d: Decimal| d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let relation = match cents(usd_per_month).cmp(&cents(plus_usd)) {
        Ordering::Less => "less than",
        Ordering::Equal => "the same as",
        Ordering::Greater => "more than",
    };
    let verdict = format!(
        "At {} conversation{} a day the API costs {}/month, {relation} {} at {}/month.",
        format_count(u128::from(conversations_per_day)),
        if conversations_per_day == 1 { "" } else { "s" },
        format_usd(usd_per_month),
        clip(plus.name()),
        format_usd(plus_usd),
    );

    let mut caveats = vec![
        "assumes every turn resends the whole conversation as input, with no system prompt and no prompt caching"
            .to_string(),
    ];
    if req.batch {
        caveats.push(batch_caveat(table.batch_discount_percent(), true));
    }
    if let Some(c) = plus.caveat() {
        caveats.push(c.to_string());
    }

    Ok(ConversationReport {
        model: model.name().to_string(),
        tokenizer: model.tokenizer(),
        conversations_per_day,
        turns,
        user_tokens,
        reply_tokens,
        input_tokens_per_conversation,
        output_tokens_per_conversation,
        requests_per_day,
        input_tokens_per_day,
        output_tokens_per_day,
        batch: req.batch,
        batch_discount_percent: table.batch_discount_percent(),
        input_per_mtok: model.input_per_mtok(),
        output_per_mtok: model.output_per_mtok(),
        breakdown: Breakdown { uncached_input_usd, cached_input_usd: Decimal::ZERO, output_usd, batch_discount_usd },
        usd_per_conversation,
        usd_per_request,
        usd_per_day,
        usd_per_month,
        plus_plan_name: plus.name().to_string(),
        chatgpt_plus_usd_per_month: plus_usd,
        crossover_conversations_per_day,
        verdict,
        as_of: table.as_of().to_string(),
        source: table.source().to_string(),
        caveats,
    })
}

/// Money goes into JSON as a number only at this last step, via its exact decimal text,
/// so the float is the closest one to the exact amount.
fn num(d: Decimal) -> Value {
    d.normalize()
        .to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

fn opt_num(d: Option<Decimal>) -> Value {
    d.map_or(Value::Null, num)
}

fn count(n: u128) -> Value {
    match u64::try_from(n) {
        Ok(v) => Value::from(v),
        Err(_) => Value::from(n as f64),
    }
}

fn breakdown_json(b: &Breakdown, per: &str) -> Value {
    json!({
        "per": per,
        "uncached_input_usd": num(b.uncached_input_usd),
        "cached_input_usd": num(b.cached_input_usd),
        "output_usd": num(b.output_usd),
        "batch_discount_usd": num(b.batch_discount_usd),
    })
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

    /// One flat object. The conversation form fills the call-form fields for one day of use:
    /// `requests` are the day's turns, token counts are per day, `usd_total` is the daily cost.
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        match self {
            CostReport::Call(r) => {
                o.insert("form".into(), "call".into());
                o.insert("model".into(), r.model.clone().into());
                o.insert("tokenizer".into(), r.tokenizer.as_str().into());
                o.insert("input_tokens".into(), r.input_tokens.into());
                o.insert("output_tokens".into(), r.output_tokens.into());
                o.insert("cached_input_tokens".into(), r.cached_input_tokens.into());
                o.insert("text_tokens".into(), r.text_tokens.map_or(Value::Null, Value::from));
                o.insert("requests".into(), r.requests.into());
                o.insert("per".into(), r.per.map_or(Value::Null, |p| p.as_str().into()));
                o.insert("batch".into(), r.batch.into());
                o.insert("batch_discount_percent".into(), num(r.batch_discount_percent));
                o.insert("input_usd_per_mtok".into(), num(r.input_per_mtok));
                o.insert("cached_input_usd_per_mtok".into(), num(r.cached_input_per_mtok));
                o.insert("output_usd_per_mtok".into(), num(r.output_per_mtok));
                o.insert("usd_per_request".into(), num(r.usd_per_request));
                o.insert("usd_total".into(), num(r.usd_total));
                o.insert("usd_per_day".into(), opt_num(r.usd_per_day));
                o.insert("usd_per_month".into(), opt_num(r.usd_per_month));
                o.insert("breakdown".into(), breakdown_json(&r.breakdown, "request"));
                o.insert("as_of".into(), r.as_of.clone().into());
                o.insert("source".into(), r.source.clone().into());
                o.insert("caveats".into(), r.caveats.clone().into());
            }
            CostReport::Conversation(r) => {
                o.insert("form".into(), "conversation".into());
                o.insert("model".into(), r.model.clone().into());
                o.insert("tokenizer".into(), r.tokenizer.as_str().into());
                o.insert("input_tokens".into(), count(r.input_tokens_per_day));
                o.insert("output_tokens".into(), count(r.output_tokens_per_day));
                o.insert("cached_input_tokens".into(), 0.into());
                o.insert("text_tokens".into(), Value::Null);
                o.insert("requests".into(), r.requests_per_day.into());
                o.insert("per".into(), Period::Day.as_str().into());
                o.insert("batch".into(), r.batch.into());
                o.insert("batch_discount_percent".into(), num(r.batch_discount_percent));
                o.insert("input_usd_per_mtok".into(), num(r.input_per_mtok));
                o.insert("cached_input_usd_per_mtok".into(), Value::Null);
                o.insert("output_usd_per_mtok".into(), num(r.output_per_mtok));
                o.insert("usd_per_request".into(), num(r.usd_per_request));
                o.insert("usd_total".into(), num(r.usd_per_day));
                o.insert("usd_per_day".into(), num(r.usd_per_day));
                o.insert("usd_per_month".into(), num(r.usd_per_month));
                o.insert("breakdown".into(), breakdown_json(&r.breakdown, "conversation"));
                o.insert("conversations_per_day".into(), r.conversations_per_day.into());
                o.insert("turns".into(), r.turns.into());
                o.insert("user_tokens".into(), r.user_tokens.into());
                o.insert("reply_tokens".into(), r.reply_tokens.into());
                o.insert("input_tokens_per_conversation".into(), r.input_tokens_per_conversation.into());
                o.insert("output_tokens_per_conversation".into(), r.output_tokens_per_conversation.into());
                o.insert("usd_per_conversation".into(), num(r.usd_per_conversation));
                o.insert("chatgpt_plus_usd_per_month".into(), num(r.chatgpt_plus_usd_per_month));
                o.insert("crossover_conversations_per_day".into(), opt_num(r.crossover_conversations_per_day));
                o.insert("verdict".into(), r.verdict.clone().into());
                o.insert("as_of".into(), r.as_of.clone().into());
                o.insert("source".into(), r.source.clone().into());
                o.insert("caveats".into(), r.caveats.clone().into());
            }
        }
        Value::Object(o)
    }

    /// A compact answer for a terminal or a Discord message: plain lines with `**bold**`,
    /// ending with where the prices come from.
    pub fn render_text(&self) -> String {
        let mut lines = Vec::new();
        let (as_of, source, caveats) = match self {
            CostReport::Call(r) => {
                render_call(r, &mut lines);
                (&r.as_of, &r.source, &r.caveats)
            }
            CostReport::Conversation(r) => {
                render_conversation(r, &mut lines);
                (&r.as_of, &r.source, &r.caveats)
            }
        };
        for c in caveats {
            lines.push(format!("Note: {}", clip_to(c, MAX_SHOWN_NOTE_CHARS)));
        }
        lines.push(format!("Prices as of {} ({})", clip(as_of), clip_to(source, MAX_SHOWN_SOURCE_CHARS)));
        lines.join("\n")
    }
}

impl Serialize for CostReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

fn clip_to(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn clip(name: &str) -> String {
    clip_to(name, MAX_SHOWN_NAME_CHARS)
}

fn tokens_text(n: u64) -> String {
    format_count(u128::from(n))
}

fn batch_title(batch: bool, percent: Decimal) -> String {
    if batch { format!(" (Batch API, {}% off)", percent.normalize()) } else { String::new() }
}

fn render_call(r: &CallReport, lines: &mut Vec<String>) {
    lines.push(format!("**{}** API cost estimate{}", clip(&r.model), batch_title(r.batch, r.batch_discount_percent)));
    let input = match r.text_tokens {
        Some(n) => format!("{} input tokens (counted from your text, {})", tokens_text(n), r.tokenizer),
        None => format!("{} input tokens", tokens_text(r.input_tokens)),
    };
    lines.push(format!(
        "Per request: {input} + {} output tokens = **{}**",
        tokens_text(r.output_tokens),
        format_usd(r.usd_per_request)
    ));
    let uncached = r.input_tokens.saturating_sub(r.cached_input_tokens);
    if uncached > 0 || r.cached_input_tokens == 0 {
        let label = if r.cached_input_tokens > 0 { "uncached input" } else { "input" };
        lines.push(format!(
            "- {label}: {} × {}/M = {}",
            tokens_text(uncached),
            format_usd(r.input_per_mtok),
            format_usd(r.breakdown.uncached_input_usd)
        ));
    }
    if r.cached_input_tokens > 0 {
        lines.push(format!(
            "- cached input: {} × {}/M = {}",
            tokens_text(r.cached_input_tokens),
            format_usd(r.cached_input_per_mtok),
            format_usd(r.breakdown.cached_input_usd)
        ));
    }
    lines.push(format!(
        "- output: {} × {}/M = {}",
        tokens_text(r.output_tokens),
        format_usd(r.output_per_mtok),
        format_usd(r.breakdown.output_usd)
    ));
    if r.batch {
        lines.push(format!(
            "- batch discount ({}%): -{}",
            r.batch_discount_percent.normalize(),
            format_usd(r.breakdown.batch_discount_usd)
        ));
    }
    let requests = tokens_text(r.requests);
    let plural = if r.requests == 1 { "request" } else { "requests" };
    match (r.per, r.usd_per_day, r.usd_per_month) {
        (Some(Period::Day), Some(day), Some(month)) => lines.push(format!(
            "{requests} {plural} a day: **{}/day**, **{}/month** (30 days)",
            format_usd(day),
            format_usd(month)
        )),
        (Some(Period::Month), Some(day), Some(month)) => lines.push(format!(
            "{requests} {plural} a month: **{}/month** (about {}/day over 30 days)",
            format_usd(month),
            format_usd(day)
        )),
        _ if r.requests > 1 => lines.push(format!("{requests} {plural}: **{}** in total", format_usd(r.usd_total))),
        _ => {}
    }
}

fn render_conversation(r: &ConversationReport, lines: &mut Vec<String>) {
    lines.push(format!(
        "**{}** API vs **{}**{}",
        clip(&r.model),
        clip(&r.plus_plan_name),
        batch_title(r.batch, r.batch_discount_percent)
    ));
    lines.push(format!(
        "{} conversation{} a day × {} turn{}, {} user + {} reply tokens per turn",
        tokens_text(r.conversations_per_day),
        if r.conversations_per_day == 1 { "" } else { "s" },
        tokens_text(r.turns),
        if r.turns == 1 { "" } else { "s" },
        tokens_text(r.user_tokens),
        tokens_text(r.reply_tokens),
    ));
    lines.push(format!(
        "Each turn resends the conversation so far: {} input + {} output tokens per conversation",
        tokens_text(r.input_tokens_per_conversation),
        tokens_text(r.output_tokens_per_conversation),
    ));
    let mut per_conv = format!(
        "Per conversation: **{}** (input at {}/M: {}, output at {}/M: {}",
        format_usd(r.usd_per_conversation),
        format_usd(r.input_per_mtok),
        format_usd(r.breakdown.uncached_input_usd),
        format_usd(r.output_per_mtok),
        format_usd(r.breakdown.output_usd),
    );
    if r.batch {
        per_conv.push_str(&format!(", batch -{}", format_usd(r.breakdown.batch_discount_usd)));
    }
    per_conv.push(')');
    lines.push(per_conv);
    lines.push(format!(
        "API: {}/day, **{}/month** (30 days) · {}: **{}/month**",
        format_usd(r.usd_per_day),
        format_usd(r.usd_per_month),
        clip(&r.plus_plan_name),
        format_usd(r.chatgpt_plus_usd_per_month),
    ));
    lines.push(r.verdict.clone());
    match r.crossover_conversations_per_day {
        // A tiny break-even rounds to 0.00, which would read as "never cheaper" rather than "almost never".
        Some(x) if x.is_zero() => {
            lines.push("Break-even: under 0.01 conversations a day (fewer, and the API is cheaper)".to_string())
        }
        Some(x) => lines.push(format!(
            "Break-even: about {} conversations a day (fewer, and the API is cheaper)",
            format_decimal(x, 2)
        )),
        None => lines.push("Break-even: none, these conversations cost nothing on the API".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // Reached through the parent so the tests do not depend on where `cost` is mounted.
    use super::super::{MAX_TEXT_BYTES, PricingConfig};

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test literal")
    }

    fn table() -> PriceTable {
        PricingConfig::default().validate().expect("shipped defaults validate")
    }

    fn call(req: CostRequest) -> CallReport {
        match estimate(&table(), &req) {
            Ok(CostReport::Call(r)) => r,
            other => panic!("expected a call report, got {other:?}"),
        }
    }

    fn conversation(req: CostRequest) -> ConversationReport {
        match estimate(&table(), &req) {
            Ok(CostReport::Conversation(r)) => r,
            other => panic!("expected a conversation report, got {other:?}"),
        }
    }

    fn err(req: CostRequest) -> String {
        match estimate(&table(), &req) {
            Ok(r) => panic!("expected an error, got {r:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn tokens(input: u64, output: u64) -> CostRequest {
        CostRequest {
            model: Some("gpt-4o".into()),
            input_tokens: Some(input),
            output_tokens: Some(output),
            ..CostRequest::default()
        }
    }

    fn conv_req(per_day: u64, turns: u64, user: u64, reply: u64) -> CostRequest {
        CostRequest {
            model: Some("gpt-4o".into()),
            conversations_per_day: Some(per_day),
            turns: Some(turns),
            user_tokens: Some(user),
            reply_tokens: Some(reply),
            ..CostRequest::default()
        }
    }

    #[test]
    fn thousand_in_five_hundred_out_on_gpt_4o() {
        // 1000 * 2.50/1e6 = 0.0025, 500 * 10.00/1e6 = 0.005.
        let r = call(tokens(1000, 500));
        assert_eq!(r.usd_per_request, d("0.0075"));
        assert_eq!(r.usd_total, d("0.0075"));
        assert_eq!(r.breakdown.uncached_input_usd, d("0.0025"));
        assert_eq!(r.breakdown.output_usd, d("0.005"));
        assert_eq!(format_usd(r.usd_per_request), "$0.0075");
        assert_eq!(r.usd_per_day, None);
        assert!(CostReport::Call(r).render_text().contains("**$0.0075**"));
    }

    #[test]
    fn batch_halves_the_cost() {
        let r = call(CostRequest { batch: true, ..tokens(1000, 500) });
        assert_eq!(r.usd_per_request, d("0.00375"));
        assert_eq!(r.breakdown.batch_discount_usd, d("0.00375"));
        assert_eq!(format_usd(r.usd_per_request), "$0.00375");
        assert!(r.caveats.iter().any(|c| c.contains("Batch API")));
    }

    #[test]
    fn ten_thousand_requests_a_day() {
        let r = call(CostRequest { requests: Some(10_000), per: Some(Period::Day), ..tokens(1000, 500) });
        assert_eq!(r.usd_total, d("75"));
        assert_eq!(format_usd(r.usd_total), "$75.00");
        assert_eq!(r.usd_per_day, Some(d("75")));
        assert_eq!(r.usd_per_month, Some(d("2250")));

        let monthly = call(CostRequest { requests: Some(10_000), per: Some(Period::Month), ..tokens(1000, 500) });
        assert_eq!(monthly.usd_per_month, Some(d("75")));
        assert_eq!(monthly.usd_per_day, Some(d("2.5")));

        let no_period = call(CostRequest { requests: Some(10_000), ..tokens(1000, 500) });
        assert_eq!(no_period.usd_total, d("75"));
        assert_eq!((no_period.usd_per_day, no_period.usd_per_month), (None, None));
    }

    #[test]
    fn cached_input_is_priced_at_the_cached_rate() {
        // 600 * 2.50/1e6 = 0.0015, 400 * 1.25/1e6 = 0.0005, 500 * 10/1e6 = 0.005.
        let r = call(CostRequest { cached_input_tokens: Some(400), ..tokens(1000, 500) });
        assert_eq!(r.breakdown.uncached_input_usd, d("0.0015"));
        assert_eq!(r.breakdown.cached_input_usd, d("0.0005"));
        assert_eq!(r.usd_per_request, d("0.007"));
        assert!(r.caveats.is_empty());
        // All input cached on the mini model: 1000 * 0.075/1e6.
        let mini = call(CostRequest {
            model: Some("4o mini".into()),
            input_tokens: Some(1000),
            cached_input_tokens: Some(1000),
            ..CostRequest::default()
        });
        assert_eq!(mini.usd_per_request, d("0.000075"));
    }

    #[test]
    fn model_without_cached_price_falls_back_with_a_note() {
        // 1000 * 0.50/1e6 whether cached or not, + 500 * 1.50/1e6 = 0.0005 + 0.00075.
        let r = call(CostRequest {
            model: Some("gpt-3.5-turbo".into()),
            cached_input_tokens: Some(400),
            ..tokens(1000, 500)
        });
        assert_eq!(r.usd_per_request, d("0.00125"));
        assert_eq!(r.cached_input_per_mtok, d("0.50"));
        assert_eq!(
            r.caveats,
            vec![
                "gpt-3.5-turbo has no cached-input price, so the 400 cached tokens are priced at the normal input rate ($0.50/M)"
            ]
        );
        let no_cache_no_note = call(CostRequest { model: Some("gpt-3.5-turbo".into()), ..tokens(1000, 500) });
        assert!(no_cache_no_note.caveats.is_empty());
    }

    #[test]
    fn text_is_counted_with_the_model_tokenizer() {
        let text = "Ünïcödé prompt with emoji 🚀 and 日本語 to count";
        for (model, bpe) in [("gpt-4o", tiktoken_rs::o200k_base()), ("gpt-3.5-turbo", tiktoken_rs::cl100k_base())] {
            let expected = bpe.expect("vocabulary loads").encode_with_special_tokens(text).len() as u64;
            let r = call(CostRequest { model: Some(model.into()), text: Some(text.into()), ..CostRequest::default() });
            assert_eq!(r.text_tokens, Some(expected), "{model}");
            assert_eq!(r.input_tokens, expected, "{model}");
        }
        let r =
            call(CostRequest { text: Some("hello world".into()), output_tokens: Some(0), ..CostRequest::default() });
        // Default model gpt-4o: 2 tokens * 2.50/1e6.
        assert_eq!(r.model, "gpt-4o");
        assert_eq!(r.usd_per_request, d("0.000005"));
    }

    #[test]
    fn conversation_matches_hand_computation() {
        // T=3, u=100, r=200. Input: turn 1 = 100; turn 2 = 100 + 200 + 100 = 400;
        // turn 3 = 400 + 200 + 100 = 700; total 1,200. Output: 3 * 200 = 600.
        // Cost: 1200 * 2.50/1e6 = 0.003, 600 * 10/1e6 = 0.006 -> 0.009 per conversation.
        // 10 a day: 0.09/day, 2.70/month. Crossover: 20 / (30 * 0.009) = 74.074... -> 74.07.
        let r = conversation(conv_req(10, 3, 100, 200));
        assert_eq!(r.input_tokens_per_conversation, 1200);
        assert_eq!(r.output_tokens_per_conversation, 600);
        assert_eq!(r.usd_per_conversation, d("0.009"));
        assert_eq!(r.usd_per_day, d("0.09"));
        assert_eq!(r.usd_per_month, d("2.7"));
        assert_eq!(r.requests_per_day, 30);
        assert_eq!(r.usd_per_request, d("0.003"));
        assert_eq!(r.chatgpt_plus_usd_per_month, d("20"));
        assert_eq!(r.crossover_conversations_per_day, Some(d("74.07")));
        assert_eq!(
            r.verdict,
            "At 10 conversations a day the API costs $2.70/month, less than ChatGPT Plus at $20.00/month."
        );
        assert!(r.caveats.iter().any(|c| c.contains("$25")));
    }

    #[test]
    fn conversation_above_plus_says_more() {
        // T=10, u=150, r=400: input 150*55 + 400*45 = 26,250; output 4,000.
        // 26250*2.5/1e6 + 4000*10/1e6 = 0.065625 + 0.04 = 0.105625; 20/day -> 63.375/month.
        let r = conversation(conv_req(20, 10, 150, 400));
        assert_eq!(r.input_tokens_per_conversation, 26_250);
        assert_eq!(r.usd_per_conversation, d("0.105625"));
        assert_eq!(r.usd_per_month, d("63.375"));
        assert_eq!(r.crossover_conversations_per_day, Some(d("6.31")));
        assert!(r.verdict.contains("$63.38/month, more than ChatGPT Plus at $20.00/month"), "{}", r.verdict);
        let batch = conversation(CostRequest { batch: true, ..conv_req(20, 10, 150, 400) });
        assert_eq!(batch.usd_per_conversation, d("0.0528125"));
        assert!(batch.caveats.iter().any(|c| c.contains("live chat")));
    }

    #[test]
    fn single_turn_conversation_equals_a_single_call() {
        let conv = conversation(conv_req(1, 1, 1000, 500));
        let single = call(tokens(1000, 500));
        assert_eq!(conv.usd_per_conversation, single.usd_per_request);
        assert_eq!(conv.input_tokens_per_conversation, 1000);
        assert_eq!(conv.output_tokens_per_conversation, 500);
    }

    #[test]
    fn zero_token_conversation_has_no_crossover() {
        let r = conversation(conv_req(5, 4, 0, 0));
        assert_eq!(r.usd_per_conversation, Decimal::ZERO);
        assert_eq!(r.crossover_conversations_per_day, None);
        let json = CostReport::Conversation(r.clone()).to_json();
        assert!(json["crossover_conversations_per_day"].is_null());
        assert!(CostReport::Conversation(r).render_text().contains("Break-even: none"));
    }

    #[test]
    fn bad_inputs_are_errors_that_name_the_option() {
        assert_eq!(err(CostRequest { requests: Some(0), ..tokens(1000, 500) }), "requests must be at least 1");
        assert_eq!(err(tokens(MAX_TOKENS + 1, 0)), "input_tokens must be at most 10,000,000,000");
        assert_eq!(err(tokens(0, MAX_TOKENS + 1)), "output_tokens must be at most 10,000,000,000");
        assert_eq!(
            err(CostRequest { requests: Some(MAX_REQUESTS + 1), ..tokens(1, 1) }),
            "requests must be at most 1,000,000,000,000"
        );
        assert_eq!(
            err(CostRequest { cached_input_tokens: Some(1001), ..tokens(1000, 500) }),
            "cached_input_tokens (1001) cannot exceed the input tokens (1000): cached tokens are part of the input"
        );
        assert_eq!(
            err(CostRequest { text: Some("hello".into()), ..tokens(1000, 500) }),
            "text cannot be combined with input_tokens (give one or the other)"
        );
        assert_eq!(
            err(CostRequest { turns: None, reply_tokens: None, ..conv_req(20, 10, 150, 400) }),
            "a conversation estimate also needs turns, reply_tokens: give conversations_per_day, turns, user_tokens and reply_tokens"
        );
        assert_eq!(
            err(CostRequest { input_tokens: Some(5), ..conv_req(20, 10, 150, 400) }),
            "input_tokens cannot be combined with the conversation options (conversations_per_day, turns, user_tokens, reply_tokens)"
        );
        assert_eq!(
            err(CostRequest { text: Some("hi".into()), ..conv_req(20, 10, 150, 400) }),
            "text cannot be combined with the conversation options (conversations_per_day, turns, user_tokens, reply_tokens)"
        );
        assert_eq!(err(conv_req(20, MAX_TURNS + 1, 150, 400)), "turns must be at most 10,000");
        assert_eq!(err(conv_req(20, 0, 150, 400)), "turns must be at least 1");
        assert_eq!(
            err(conv_req(MAX_CONVERSATIONS_PER_DAY + 1, 10, 150, 400)),
            "conversations_per_day must be at most 100,000,000"
        );
        assert_eq!(err(conv_req(0, 10, 150, 400)), "conversations_per_day must be at least 1");
        assert_eq!(err(conv_req(1, 1, MAX_TOKENS + 1, 0)), "user_tokens must be at most 10,000,000,000");
        assert_eq!(err(CostRequest::default()), CostError::NothingToEstimate.to_string());
        let too_long = "a ".repeat(MAX_TEXT_BYTES);
        assert_eq!(
            err(CostRequest { text: Some(too_long), ..CostRequest::default() }),
            "text must be at most 200,000 bytes"
        );
    }

    #[test]
    fn unknown_model_lists_known_and_suggests() {
        assert_eq!(
            err(CostRequest { model: Some("gpt4o-mni".into()), ..tokens(1, 1) }),
            "unknown model `gpt4o-mni`; known models: gpt-3.5-turbo, gpt-4o, gpt-4o-mini; did you mean gpt-4o-mini?"
        );
    }

    #[test]
    fn maximum_values_compute_and_huge_values_do_not_panic() {
        let r = call(CostRequest {
            cached_input_tokens: Some(MAX_TOKENS),
            requests: Some(MAX_REQUESTS),
            per: Some(Period::Day),
            batch: true,
            ..tokens(MAX_TOKENS, MAX_TOKENS)
        });
        // 1e10 cached * 1.25/1e6 + 1e10 * 10/1e6 = 112,500 per request, halved, times 1e12, times 30.
        assert_eq!(r.usd_per_month, Some(d("1687500000000000000")));
        let c = conversation(conv_req(MAX_CONVERSATIONS_PER_DAY, MAX_TURNS, MAX_TOKENS, MAX_TOKENS));
        assert_eq!(c.input_tokens_per_conversation, 1_000_000_000_000_000_000);
        assert!(c.usd_per_month > Decimal::ZERO);
        assert!(c.crossover_conversations_per_day.is_some());

        for v in [u64::MAX, u64::MAX / 2, MAX_REQUESTS + 1] {
            assert!(estimate(&table(), &tokens(v, v)).is_err());
            assert!(estimate(&table(), &conv_req(v, v, v, v)).is_err());
            assert!(estimate(&table(), &conv_req(1, 1, 1, v)).is_err());
            assert!(estimate(&table(), &CostRequest { requests: Some(v), ..tokens(1, 1) }).is_err());
            assert!(estimate(&table(), &CostRequest { cached_input_tokens: Some(v), ..tokens(1, 1) }).is_err());
        }
    }

    #[test]
    fn absurd_prices_overflow_into_an_error() {
        let mut cfg = PricingConfig::default();
        if let Some(m) = cfg.models.get_mut("gpt-4o") {
            m.input_per_mtok = d("1e23");
        }
        let t = cfg.validate().expect("valid");
        let e = estimate(&t, &tokens(MAX_TOKENS, 0)).unwrap_err();
        assert_eq!(e, CostError::Overflow { option: "input_tokens" });
        assert_eq!(e.to_string(), "input_tokens is too large: the cost overflows");
        let e = estimate(&t, &conv_req(1, MAX_TURNS, MAX_TOKENS, 0)).unwrap_err();
        assert_eq!(e, CostError::Overflow { option: "user_tokens" });
        let e = estimate(&t, &CostRequest { requests: Some(MAX_REQUESTS), ..tokens(1, 0) });
        assert_eq!(e.unwrap_err(), CostError::Overflow { option: "requests" });
    }

    #[test]
    fn json_is_one_flat_object_with_numbers() {
        let r = estimate(
            &table(),
            &CostRequest {
                requests: Some(10_000),
                per: Some(Period::Day),
                cached_input_tokens: Some(400),
                ..tokens(1000, 500)
            },
        )
        .expect("estimates");
        let v = serde_json::to_value(&r).expect("serializes");
        assert_eq!(v["form"], "call");
        assert_eq!(v["model"], "gpt-4o");
        for key in [
            "input_tokens",
            "output_tokens",
            "cached_input_tokens",
            "requests",
            "usd_per_request",
            "usd_total",
            "usd_per_day",
            "usd_per_month",
        ] {
            assert!(v[key].is_number(), "{key}: {}", v[key]);
        }
        assert_eq!(v["usd_total"].as_f64(), Some(70.0));
        assert_eq!(v["usd_per_request"].as_f64(), Some(0.007));
        assert_eq!(v["per"], "day");
        assert_eq!(v["batch"], false);
        assert!(v["text_tokens"].is_null());
        assert!(v["breakdown"]["cached_input_usd"].is_number());
        assert!(v["as_of"].is_string() && v["source"].is_string() && v["caveats"].is_array());

        let plain = serde_json::to_value(estimate(&table(), &tokens(1000, 500)).expect("ok")).expect("json");
        assert!(plain["usd_per_day"].is_null() && plain["usd_per_month"].is_null() && plain["per"].is_null());

        let c = serde_json::to_value(estimate(&table(), &conv_req(20, 10, 150, 400)).expect("ok")).expect("json");
        assert_eq!(c["form"], "conversation");
        for key in [
            "input_tokens",
            "output_tokens",
            "cached_input_tokens",
            "requests",
            "usd_per_request",
            "usd_total",
            "usd_per_day",
            "usd_per_month",
            "conversations_per_day",
            "turns",
            "user_tokens",
            "reply_tokens",
            "input_tokens_per_conversation",
            "output_tokens_per_conversation",
            "usd_per_conversation",
            "chatgpt_plus_usd_per_month",
            "crossover_conversations_per_day",
        ] {
            assert!(c[key].is_number(), "{key}: {}", c[key]);
        }
        assert_eq!(c["crossover_conversations_per_day"].as_f64(), Some(6.31));
        assert_eq!(c["usd_total"], c["usd_per_day"]);
        assert_eq!(c["requests"].as_u64(), Some(200));
        assert!(c.as_object().is_some_and(|o| o.values().all(|v| !v.is_object() || v == &c["breakdown"])));
    }

    #[test]
    fn text_answers_are_short_and_cite_the_prices() {
        let call_text =
            estimate(&table(), &CostRequest { requests: Some(10_000), per: Some(Period::Day), ..tokens(1000, 500) })
                .expect("ok")
                .render_text();
        assert!(call_text.contains("**$75.00/day**, **$2,250.00/month**"), "{call_text}");
        assert!(
            call_text.ends_with("Prices as of 2025-01 (OpenAI API vs ChatGPT article; figures marked [VERIFY] there)")
        );
        assert!(!call_text.contains("$25"), "Plus caveat only where Plus is used");

        let conv_text = estimate(&table(), &conv_req(20, 10, 150, 400)).expect("ok").render_text();
        assert!(conv_text.contains("**$63.38/month**"), "{conv_text}");
        assert!(conv_text.contains("Break-even: about 6.31 conversations a day"), "{conv_text}");
        assert!(conv_text.contains("Note: the article says Plus was recently raised to $25"));

        // Even with overlong config text the answer stays well inside a Discord message.
        let mut cfg = PricingConfig { source: "s".repeat(5000), as_of: "a".repeat(5000), ..PricingConfig::default() };
        let long_name = "x".repeat(300);
        let mut long_model = cfg.models["gpt-3.5-turbo"].clone();
        long_model.aliases.clear();
        cfg.models.insert(long_name.clone(), long_model);
        if let Some(p) = cfg.plans.get_mut("plus") {
            p.caveat = Some("c".repeat(5000));
            p.name = "n".repeat(5000);
        }
        let t = cfg.validate().expect("valid");
        for req in [
            CostRequest {
                requests: Some(MAX_REQUESTS),
                per: Some(Period::Month),
                cached_input_tokens: Some(MAX_TOKENS),
                batch: true,
                model: Some(long_name.clone()),
                ..tokens(MAX_TOKENS, MAX_TOKENS)
            },
            CostRequest { batch: true, ..conv_req(MAX_CONVERSATIONS_PER_DAY, MAX_TURNS, MAX_TOKENS, MAX_TOKENS) },
        ] {
            let text = estimate(&t, &req).expect("ok").render_text();
            assert!(text.chars().count() < 1500, "{} chars:\n{text}", text.chars().count());
        }
    }

    #[test]
    fn periods_parse() {
        assert_eq!("day".parse(), Ok(Period::Day));
        assert_eq!(" Daily ".parse(), Ok(Period::Day));
        assert_eq!("month".parse(), Ok(Period::Month));
        assert_eq!("MONTHLY".parse(), Ok(Period::Month));
        assert_eq!("week".parse::<Period>().unwrap_err().to_string(), "unknown period `week`: use day or month");
        let req: CostRequest = serde_json::from_str(r#"{"input_tokens": 5, "per": "daily"}"#).expect("deserializes");
        assert_eq!(req.per, Some(Period::Day));
    }
}
