//! A cost estimate as a few short lines, for any renderer: `Marks` says how this one shows a strong
//! figure and escapes text that comes from the config.

use rust_decimal::Decimal;

use crate::cost::{CallReport, ConversationReport, CostReport, Period, format_count, format_decimal, format_usd};

/// Config strings are clipped so an overlong bot.toml entry cannot push a reply past Discord's
/// limits: names and dates are short by nature, prose gets more room.
const MAX_SHOWN_NAME_CHARS: usize = 40;
const MAX_SHOWN_SOURCE_CHARS: usize = 100;
const MAX_SHOWN_NOTE_CHARS: usize = 160;

/// How a renderer shows a figure to stand out, and text from the config.
pub struct Marks<'a> {
    pub strong: &'a dyn Fn(&str) -> String,
    pub escape: &'a dyn Fn(&str) -> String,
    /// Text a user typed, shown to admins (`/gaps`): escaped, without invisible characters
    /// ([`super::visible`]), and with links made inert where the renderer would follow them.
    pub user: &'a dyn Fn(&str) -> String,
}

/// The estimate, ending with where the prices come from.
pub fn lines(c: &CostReport, m: &Marks) -> String {
    let mut lines = Vec::new();
    let (as_of, source, caveats) = match c {
        CostReport::Call(r) => {
            call(r, m, &mut lines);
            (&r.as_of, &r.source, &r.caveats)
        }
        CostReport::Conversation(r) => {
            conversation(r, m, &mut lines);
            (&r.as_of, &r.source, &r.caveats)
        }
    };
    for note in caveats {
        lines.push(format!("Note: {}", (m.escape)(&clip_to(note, MAX_SHOWN_NOTE_CHARS))));
    }
    lines.push(format!(
        "Prices as of {} ({})",
        (m.escape)(&clip(as_of)),
        (m.escape)(&clip_to(source, MAX_SHOWN_SOURCE_CHARS))
    ));
    lines.join("\n")
}

pub(super) fn clip_to(s: &str, max: usize) -> String {
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

fn count(n: u64) -> String {
    format_count(u128::from(n))
}

fn batch_title(batch: bool, percent: Decimal) -> String {
    if batch { format!(" (batch, {}% off)", percent.normalize()) } else { String::new() }
}

fn call(r: &CallReport, m: &Marks, lines: &mut Vec<String>) {
    let strong = m.strong;
    lines.push(format!(
        "{} cost estimate{}",
        strong(&(m.escape)(&clip(&r.model))),
        batch_title(r.batch, r.batch_discount_percent)
    ));
    let input = match r.text_tokens {
        Some(n) => format!("{} input tokens (counted from your text, {})", count(n), r.tokenizer),
        None => format!("{} input tokens", count(r.input_tokens)),
    };
    lines.push(format!(
        "Per request: {input} + {} output tokens = {}",
        count(r.output_tokens),
        strong(&format_usd(r.usd_per_request))
    ));
    let uncached = r.input_tokens.saturating_sub(r.cached_input_tokens);
    if uncached > 0 || r.cached_input_tokens == 0 {
        let label = if r.cached_input_tokens > 0 { "uncached input" } else { "input" };
        lines.push(format!(
            "- {label}: {} × {}/M = {}",
            count(uncached),
            format_usd(r.input_per_mtok),
            format_usd(r.breakdown.uncached_input_usd)
        ));
    }
    if r.cached_input_tokens > 0 {
        lines.push(format!(
            "- cached input: {} × {}/M = {}",
            count(r.cached_input_tokens),
            format_usd(r.cached_input_per_mtok),
            format_usd(r.breakdown.cached_input_usd)
        ));
    }
    lines.push(format!(
        "- output: {} × {}/M = {}",
        count(r.output_tokens),
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
    let requests = count(r.requests);
    let plural = if r.requests == 1 { "request" } else { "requests" };
    match (r.per, r.usd_per_day, r.usd_per_month) {
        (Some(Period::Day), Some(day), Some(month)) => lines.push(format!(
            "{requests} {plural} a day: {}, {} (30 days)",
            strong(&format!("{}/day", format_usd(day))),
            strong(&format!("{}/month", format_usd(month)))
        )),
        (Some(Period::Month), Some(day), Some(month)) => lines.push(format!(
            "{requests} {plural} a month: {} (about {}/day over 30 days)",
            strong(&format!("{}/month", format_usd(month))),
            format_usd(day)
        )),
        _ if r.requests > 1 => {
            lines.push(format!("{requests} {plural}: {} in total", strong(&format_usd(r.usd_total))))
        }
        _ => {}
    }
}

fn conversation(r: &ConversationReport, m: &Marks, lines: &mut Vec<String>) {
    let strong = m.strong;
    let model = (m.escape)(&clip(&r.model));
    let plan = (m.escape)(&clip(&r.plan));
    lines.push(format!("{} vs {}{}", strong(&model), strong(&plan), batch_title(r.batch, r.batch_discount_percent)));
    lines.push(format!(
        "{} conversation{} a day × {} turn{}, {} user + {} reply tokens per turn",
        count(r.conversations_per_day),
        if r.conversations_per_day == 1 { "" } else { "s" },
        count(r.turns),
        if r.turns == 1 { "" } else { "s" },
        count(r.user_tokens),
        count(r.reply_tokens),
    ));
    lines.push(format!(
        "Each turn resends the conversation so far: {} input + {} output tokens per conversation",
        count(r.input_tokens_per_conversation),
        count(r.output_tokens_per_conversation),
    ));
    let mut per_conversation = format!(
        "Per conversation: {} (input at {}/M: {}, output at {}/M: {}",
        strong(&format_usd(r.usd_per_conversation)),
        format_usd(r.input_per_mtok),
        format_usd(r.breakdown.uncached_input_usd),
        format_usd(r.output_per_mtok),
        format_usd(r.breakdown.output_usd),
    );
    if r.batch {
        per_conversation.push_str(&format!(", batch -{}", format_usd(r.breakdown.batch_discount_usd)));
    }
    per_conversation.push(')');
    lines.push(per_conversation);
    lines.push(format!(
        "{model}: {}/day, {} (30 days) · {plan}: {}",
        format_usd(r.usd_per_day),
        strong(&format!("{}/month", format_usd(r.usd_per_month))),
        strong(&format!("{}/month", format_usd(r.plan_usd_per_month))),
    ));
    lines.push((m.escape)(&clip_to(&r.verdict, MAX_SHOWN_NOTE_CHARS)));
    match r.crossover_conversations_per_day {
        // A tiny break-even rounds to 0.00, which would read as "never cheaper" rather than "almost never".
        Some(x) if x.is_zero() => lines
            .push(format!("Break-even: under 0.01 conversations a day (fewer, and {model} costs less than {plan})")),
        Some(x) => lines.push(format!(
            "Break-even: about {} conversations a day (fewer, and {model} costs less than {plan})",
            format_decimal(x, 2)
        )),
        None => lines.push("Break-even: none, these conversations cost nothing".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::{
        CallRequest, ConversationRequest, CostRequest, Input, MAX_CONVERSATIONS_PER_DAY, MAX_REQUESTS, MAX_TOKENS,
        MAX_TURNS, PricingConfig, estimate,
    };

    fn markdown() -> Marks<'static> {
        Marks { strong: &|s| format!("**{s}**"), escape: &|s| s.to_owned(), user: &|s| s.to_owned() }
    }

    fn pricing() -> PricingConfig {
        crate::cost::shipped_pricing()
    }

    fn calls(requests: u64, per: Option<Period>) -> CostRequest {
        CostRequest::Calls(CallRequest {
            model: Some("gpt-4o".into()),
            input: Some(Input::Tokens(1000)),
            output_tokens: Some(500),
            requests,
            per,
            ..CallRequest::default()
        })
    }

    fn habit(per_day: u64, turns: u64, user: u64, reply: u64, batch: bool) -> CostRequest {
        CostRequest::Conversation(ConversationRequest {
            model: None,
            conversations_per_day: per_day,
            turns,
            user_tokens: user,
            reply_tokens: reply,
            batch,
        })
    }

    #[test]
    fn answers_are_short_and_cite_the_prices() {
        let t = pricing().validate().unwrap();
        let call_text = lines(&estimate(&t, &calls(10_000, Some(Period::Day))).unwrap(), &markdown());
        assert!(call_text.contains("**$75.00/day**, **$2,250.00/month**"), "{call_text}");
        assert!(
            call_text.ends_with("Prices as of 2025-01 (OpenAI API vs ChatGPT article; figures marked [VERIFY] there)")
        );
        assert!(!call_text.contains("$25"), "the plan's caveat only where the plan is used");
        assert!(lines(&estimate(&t, &calls(1, None)).unwrap(), &markdown()).contains("= **$0.0075**"));

        let conv_text = lines(&estimate(&t, &habit(20, 10, 150, 400, false)).unwrap(), &markdown());
        assert!(conv_text.contains("**$63.38/month**"), "{conv_text}");
        assert!(conv_text.contains("Break-even: about 6.31 conversations a day"), "{conv_text}");
        assert!(conv_text.contains("Note: the article says Plus was recently raised to $25"));
        let none = lines(&estimate(&t, &habit(5, 4, 0, 0, false)).unwrap(), &markdown());
        assert!(none.contains("Break-even: none"), "{none}");
    }

    #[test]
    fn overlong_config_text_stays_well_inside_a_message() {
        let mut cfg = PricingConfig { source: "s".repeat(5000), as_of: "a".repeat(5000), ..pricing() };
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
            CostRequest::Calls(CallRequest {
                model: Some(long_name.clone()),
                input: Some(Input::Tokens(MAX_TOKENS)),
                output_tokens: Some(MAX_TOKENS),
                cached_input_tokens: Some(MAX_TOKENS),
                requests: MAX_REQUESTS,
                per: Some(Period::Month),
                batch: true,
            }),
            habit(MAX_CONVERSATIONS_PER_DAY, MAX_TURNS, MAX_TOKENS, MAX_TOKENS, true),
        ] {
            let text = lines(&estimate(&t, &req).expect("ok"), &markdown());
            assert!(text.chars().count() < 1500, "{} chars:\n{text}", text.chars().count());
        }
    }
}
