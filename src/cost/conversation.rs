//! The conversation form: a daily chat habit priced per token, where every turn resends the
//! conversation so far, compared with a subscription plan, with the break-even point.

use std::cmp::Ordering;

use rust_decimal::{Decimal, RoundingStrategy};

use super::CostError;
use super::arith::{add, at_least_one, batch_caveat, batch_discount, capped, div, mul, overflow, sub, token_cost};
use super::money::{format_count, format_usd};
use super::pricing::{ModelPrice, Sheet};
use super::report::{Breakdown, ConversationReport};
use super::request::{ConversationRequest, DAYS_PER_MONTH, MAX_CONVERSATIONS_PER_DAY, MAX_TOKENS, MAX_TURNS};

pub(super) fn report(
    table: &Sheet,
    model: &ModelPrice,
    req: &ConversationRequest,
) -> Result<ConversationReport, CostError> {
    let plan = table.compare_plan().ok_or(CostError::NoPlan)?;
    let conversations_per_day = at_least_one(
        capped(req.conversations_per_day, "conversations_per_day", MAX_CONVERSATIONS_PER_DAY)?,
        "conversations_per_day",
    )?;
    let turns = at_least_one(capped(req.turns, "turns", MAX_TURNS)?, "turns")?;
    let user_tokens = capped(req.user_tokens, "user_tokens", MAX_TOKENS)?;
    let reply_tokens = capped(req.reply_tokens, "reply_tokens", MAX_TOKENS)?;

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
    let usd_per_conversation = sub(subtotal, batch_discount_usd, "user_tokens")?;
    let usd_per_day = mul(usd_per_conversation, Decimal::from(conversations_per_day), "conversations_per_day")?;
    let days = Decimal::from(DAYS_PER_MONTH);
    let usd_per_month = mul(usd_per_day, days, "conversations_per_day")?;
    let usd_per_request = div(usd_per_day, Decimal::from(requests_per_day), "conversations_per_day")?;

    let plan_usd = plan.usd_per_month();
    let crossover_conversations_per_day = if usd_per_conversation.is_zero() {
        None
    } else {
        let monthly_per_daily_conversation = mul(usd_per_conversation, days, "user_tokens")?;
        let exact = div(plan_usd, monthly_per_daily_conversation, "pricing.plans.usd_per_month")?;
        Some(exact.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
    };

    // Compared at cents, as shown, so the verdict never contradicts the printed figures.
    let cents = |d: Decimal| d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let relation = match cents(usd_per_month).cmp(&cents(plan_usd)) {
        Ordering::Less => "less than",
        Ordering::Equal => "the same as",
        Ordering::Greater => "more than",
    };
    let verdict = format!(
        "At {} conversation{} a day {} costs {}/month, {relation} {} at {}/month.",
        format_count(u128::from(conversations_per_day)),
        if conversations_per_day == 1 { "" } else { "s" },
        model.name(),
        format_usd(usd_per_month),
        plan.name(),
        format_usd(plan_usd),
    );

    let mut caveats = vec![
        "assumes every turn resends the whole conversation as input, with no system prompt and no prompt caching"
            .to_string(),
    ];
    if req.batch {
        caveats.push(batch_caveat(table.batch_discount_percent(), true));
    }
    if let Some(c) = plan.caveat() {
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
        plan: plan.name().to_string(),
        plan_usd_per_month: plan_usd,
        crossover_conversations_per_day,
        verdict,
        as_of: table.as_of().to_string(),
        source: table.source().to_string(),
        caveats,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, conv, conversation, d, err, table, tokens};
    use super::super::{CostRequest, estimate};
    use super::*;

    #[test]
    fn conversation_matches_hand_computation() {
        // T=3, u=100, r=200. Input: turn 1 = 100; turn 2 = 100 + 200 + 100 = 400;
        // turn 3 = 400 + 200 + 100 = 700; total 1,200. Output: 3 * 200 = 600.
        // Cost: 1200 * 2.50/1e6 = 0.003, 600 * 10/1e6 = 0.006 -> 0.009 per conversation.
        // 10 a day: 0.09/day, 2.70/month. Crossover: 20 / (30 * 0.009) = 74.074... -> 74.07.
        let r = conversation(conv(10, 3, 100, 200));
        assert_eq!(r.input_tokens_per_conversation, 1200);
        assert_eq!(r.output_tokens_per_conversation, 600);
        assert_eq!(r.usd_per_conversation, d("0.009"));
        assert_eq!(r.usd_per_day, d("0.09"));
        assert_eq!(r.usd_per_month, d("2.7"));
        assert_eq!(r.requests_per_day, 30);
        assert_eq!(r.usd_per_request, d("0.003"));
        assert_eq!(r.plan_usd_per_month, d("20"));
        assert_eq!(r.crossover_conversations_per_day, Some(d("74.07")));
        assert_eq!(
            r.verdict,
            "At 10 conversations a day gpt-4o costs $2.70/month, less than ChatGPT Plus at $20.00/month."
        );
        assert!(r.caveats.iter().any(|c| c.contains("$25")));
    }

    #[test]
    fn conversation_above_the_plan_says_more() {
        // T=10, u=150, r=400: input 150*55 + 400*45 = 26,250; output 4,000.
        // 26250*2.5/1e6 + 4000*10/1e6 = 0.065625 + 0.04 = 0.105625; 20/day -> 63.375/month.
        let r = conversation(conv(20, 10, 150, 400));
        assert_eq!(r.input_tokens_per_conversation, 26_250);
        assert_eq!(r.usd_per_conversation, d("0.105625"));
        assert_eq!(r.usd_per_month, d("63.375"));
        assert_eq!(r.crossover_conversations_per_day, Some(d("6.31")));
        assert!(r.verdict.contains("$63.38/month, more than ChatGPT Plus at $20.00/month"), "{}", r.verdict);
        let batch = conversation(ConversationRequest { batch: true, ..conv(20, 10, 150, 400) });
        assert_eq!(batch.usd_per_conversation, d("0.0528125"));
        assert!(batch.caveats.iter().any(|c| c.contains("live chat")));
    }

    #[test]
    fn single_turn_conversation_equals_a_single_call() {
        let c = conversation(conv(1, 1, 1000, 500));
        let single = call(tokens(1000, 500));
        assert_eq!(c.usd_per_conversation, single.usd_per_request);
        assert_eq!(c.input_tokens_per_conversation, 1000);
        assert_eq!(c.output_tokens_per_conversation, 500);
    }

    #[test]
    fn zero_token_conversation_has_no_crossover() {
        let r = conversation(conv(5, 4, 0, 0));
        assert_eq!(r.usd_per_conversation, Decimal::ZERO);
        assert_eq!(r.crossover_conversations_per_day, None);
        let json = serde_json::to_value(super::super::CostReport::Conversation(r)).unwrap();
        assert!(json["crossover_conversations_per_day"].is_null());
    }

    #[test]
    fn bad_inputs_are_errors_that_name_the_option() {
        let e = |c: ConversationRequest| err(CostRequest::Conversation(c));
        assert_eq!(e(conv(20, MAX_TURNS + 1, 150, 400)), "turns must be at most 10,000");
        assert_eq!(e(conv(20, 0, 150, 400)), "turns must be at least 1");
        assert_eq!(
            e(conv(MAX_CONVERSATIONS_PER_DAY + 1, 10, 150, 400)),
            "conversations_per_day must be at most 100,000,000"
        );
        assert_eq!(e(conv(0, 10, 150, 400)), "conversations_per_day must be at least 1");
        assert_eq!(e(conv(1, 1, MAX_TOKENS + 1, 0)), "user_tokens must be at most 10,000,000,000");
    }

    #[test]
    fn maximum_values_compute_and_huge_values_do_not_panic() {
        let c = conversation(conv(MAX_CONVERSATIONS_PER_DAY, MAX_TURNS, MAX_TOKENS, MAX_TOKENS));
        assert_eq!(c.input_tokens_per_conversation, 1_000_000_000_000_000_000);
        assert!(c.usd_per_month > Decimal::ZERO);
        assert!(c.crossover_conversations_per_day.is_some());
        let json = serde_json::to_string(&super::super::CostReport::Conversation(c)).unwrap();
        assert!(json.contains("\"input_tokens_per_day\":100000000000000000000000000"), "exact, not a float: {json}");
        for v in [u64::MAX, u64::MAX / 2, MAX_TOKENS + 1] {
            assert!(estimate(&table(), &CostRequest::Conversation(conv(v, v, v, v))).is_err());
            assert!(estimate(&table(), &CostRequest::Conversation(conv(1, 1, 1, v))).is_err());
        }
    }

    #[test]
    fn json_has_the_plan_and_the_crossover() {
        let c = serde_json::to_value(estimate(&table(), &CostRequest::Conversation(conv(20, 10, 150, 400))).unwrap())
            .unwrap();
        assert_eq!(c["form"], "conversation");
        for key in [
            "usd_per_request",
            "usd_per_day",
            "usd_per_month",
            "conversations_per_day",
            "input_tokens_per_conversation",
            "usd_per_conversation",
            "plan_usd_per_month",
            "crossover_conversations_per_day",
        ] {
            assert!(c[key].is_number(), "{key}: {}", c[key]);
        }
        assert_eq!(c["plan"], "ChatGPT Plus");
        assert_eq!(c["crossover_conversations_per_day"].as_f64(), Some(6.31));
        assert_eq!(c["requests_per_day"].as_u64(), Some(200));
    }
}
