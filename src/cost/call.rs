//! The call form: `requests` identical calls, priced per request, in total, and per day or month.

use rust_decimal::Decimal;

use super::arith::{add, at_least_one, batch_caveat, batch_discount, capped, div, mul, overflow, sub, token_cost};
use super::money::{format_count, format_usd};
use super::pricing::{ModelPrice, Sheet};
use super::report::{Breakdown, CallReport};
use super::request::{CallRequest, DAYS_PER_MONTH, Input, MAX_REQUESTS, MAX_TOKENS, Period};
use super::tokens::count_tokens;
use super::{CostError, MAX_TEXT_BYTES};

pub(super) fn report(table: &Sheet, model: &ModelPrice, req: &CallRequest) -> Result<CallReport, CostError> {
    let output_tokens = capped(req.output_tokens.unwrap_or(0), "output_tokens", MAX_TOKENS)?;
    let cached_input_tokens = capped(req.cached_input_tokens.unwrap_or(0), "cached_input_tokens", MAX_TOKENS)?;
    let requests = at_least_one(capped(req.requests, "requests", MAX_REQUESTS)?, "requests")?;

    let (input_tokens, text_tokens) = match &req.input {
        Some(Input::Tokens(n)) => (capped(*n, "input_tokens", MAX_TOKENS)?, None),
        Some(Input::Text(text)) => {
            if text.len() > MAX_TEXT_BYTES {
                return Err(CostError::TooLarge { option: "text", limit: MAX_TEXT_BYTES as u64, unit: " bytes" });
            }
            let n = count_tokens(model.tokenizer(), text)?;
            let n = u64::try_from(n).map_err(|_| overflow("text"))?;
            (n, Some(n))
        }
        None => {
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
    let usd_per_request = sub(subtotal, batch_discount_usd, "input_tokens")?;
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

#[cfg(test)]
mod tests {
    use super::super::testing::{call, d, err, table, tokens};
    use super::super::{CostReport, CostRequest, PricingConfig, estimate, shipped_pricing};
    use super::*;

    #[test]
    fn thousand_in_five_hundred_out() {
        // 1000 * 2.50/1e6 = 0.0025, 500 * 10.00/1e6 = 0.005.
        let r = call(tokens(1000, 500));
        assert_eq!(r.usd_per_request, d("0.0075"));
        assert_eq!(r.usd_total, d("0.0075"));
        assert_eq!(r.breakdown.uncached_input_usd, d("0.0025"));
        assert_eq!(r.breakdown.output_usd, d("0.005"));
        assert_eq!(format_usd(r.usd_per_request), "$0.0075");
        assert_eq!(r.usd_per_day, None);
    }

    #[test]
    fn batch_halves_the_cost() {
        let r = call(CallRequest { batch: true, ..tokens(1000, 500) });
        assert_eq!(r.usd_per_request, d("0.00375"));
        assert_eq!(r.breakdown.batch_discount_usd, d("0.00375"));
        assert_eq!(format_usd(r.usd_per_request), "$0.00375");
        assert!(r.caveats.iter().any(|c| c.contains("batch jobs")));
    }

    #[test]
    fn ten_thousand_requests_a_day() {
        let r = call(CallRequest { requests: 10_000, per: Some(Period::Day), ..tokens(1000, 500) });
        assert_eq!(r.usd_total, d("75"));
        assert_eq!(format_usd(r.usd_total), "$75.00");
        assert_eq!(r.usd_per_day, Some(d("75")));
        assert_eq!(r.usd_per_month, Some(d("2250")));

        let monthly = call(CallRequest { requests: 10_000, per: Some(Period::Month), ..tokens(1000, 500) });
        assert_eq!(monthly.usd_per_month, Some(d("75")));
        assert_eq!(monthly.usd_per_day, Some(d("2.5")));

        let no_period = call(CallRequest { requests: 10_000, ..tokens(1000, 500) });
        assert_eq!(no_period.usd_total, d("75"));
        assert_eq!((no_period.usd_per_day, no_period.usd_per_month), (None, None));
    }

    #[test]
    fn cached_input_is_priced_at_the_cached_rate() {
        // 600 * 2.50/1e6 = 0.0015, 400 * 1.25/1e6 = 0.0005, 500 * 10/1e6 = 0.005.
        let r = call(CallRequest { cached_input_tokens: Some(400), ..tokens(1000, 500) });
        assert_eq!(r.breakdown.uncached_input_usd, d("0.0015"));
        assert_eq!(r.breakdown.cached_input_usd, d("0.0005"));
        assert_eq!(r.usd_per_request, d("0.007"));
        assert!(r.caveats.is_empty());
        // All input cached on the mini model: 1000 * 0.075/1e6.
        let mini = call(CallRequest {
            model: Some("4o mini".into()),
            input: Some(Input::Tokens(1000)),
            cached_input_tokens: Some(1000),
            ..CallRequest::default()
        });
        assert_eq!(mini.usd_per_request, d("0.000075"));
    }

    #[test]
    fn model_without_cached_price_falls_back_with_a_note() {
        // 1000 * 0.50/1e6 whether cached or not, + 500 * 1.50/1e6 = 0.0005 + 0.00075.
        let r = call(CallRequest {
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
        let no_cache_no_note = call(CallRequest { model: Some("gpt-3.5-turbo".into()), ..tokens(1000, 500) });
        assert!(no_cache_no_note.caveats.is_empty());
    }

    #[test]
    fn text_is_counted_with_the_model_tokenizer() {
        let text = "Ünïcödé prompt with emoji 🚀 and 日本語 to count";
        for (model, bpe) in [("gpt-4o", tiktoken_rs::o200k_base()), ("gpt-3.5-turbo", tiktoken_rs::cl100k_base())] {
            let expected = bpe.expect("vocabulary loads").encode_with_special_tokens(text).len() as u64;
            let r = call(CallRequest {
                model: Some(model.into()),
                input: Some(Input::Text(text.into())),
                ..CallRequest::default()
            });
            assert_eq!(r.text_tokens, Some(expected), "{model}");
            assert_eq!(r.input_tokens, expected, "{model}");
        }
        let r = call(CallRequest {
            input: Some(Input::Text("hello world".into())),
            output_tokens: Some(0),
            ..CallRequest::default()
        });
        // The default model, gpt-4o: 2 tokens * 2.50/1e6.
        assert_eq!(r.model, "gpt-4o");
        assert_eq!(r.usd_per_request, d("0.000005"));
    }

    #[test]
    fn bad_inputs_are_errors_that_name_the_option() {
        let e = |r: CallRequest| err(CostRequest::Calls(r));
        assert_eq!(e(CallRequest { requests: 0, ..tokens(1000, 500) }), "requests must be at least 1");
        assert_eq!(e(tokens(MAX_TOKENS + 1, 0)), "input_tokens must be at most 10,000,000,000");
        assert_eq!(e(tokens(0, MAX_TOKENS + 1)), "output_tokens must be at most 10,000,000,000");
        assert_eq!(
            e(CallRequest { requests: MAX_REQUESTS + 1, ..tokens(1, 1) }),
            "requests must be at most 1,000,000,000,000"
        );
        assert_eq!(
            e(CallRequest { cached_input_tokens: Some(1001), ..tokens(1000, 500) }),
            "cached_input_tokens (1001) cannot exceed the input tokens (1000): cached tokens are part of the input"
        );
        assert_eq!(e(CallRequest::default()), CostError::NothingToEstimate.to_string());
        let too_long = "a ".repeat(MAX_TEXT_BYTES);
        assert_eq!(
            e(CallRequest { input: Some(Input::Text(too_long)), ..CallRequest::default() }),
            "text must be at most 200,000 bytes"
        );
        assert_eq!(
            e(CallRequest { model: Some("gpt4o-mni".into()), ..tokens(1, 1) }),
            "unknown model `gpt4o-mni`; known models: gpt-3.5-turbo, gpt-4o, gpt-4o-mini; did you mean gpt-4o-mini?"
        );
    }

    #[test]
    fn maximum_values_compute_and_huge_values_do_not_panic() {
        let r = call(CallRequest {
            cached_input_tokens: Some(MAX_TOKENS),
            requests: MAX_REQUESTS,
            per: Some(Period::Day),
            batch: true,
            ..tokens(MAX_TOKENS, MAX_TOKENS)
        });
        // 1e10 cached * 1.25/1e6 + 1e10 * 10/1e6 = 112,500 per request, halved, times 1e12, times 30.
        assert_eq!(r.usd_per_month, Some(d("1687500000000000000")));
        for v in [u64::MAX, u64::MAX / 2, MAX_REQUESTS + 1] {
            let est = |r: CallRequest| estimate(&table(), &CostRequest::Calls(r));
            assert!(est(tokens(v, v)).is_err());
            assert!(est(CallRequest { requests: v, ..tokens(1, 1) }).is_err());
            assert!(est(CallRequest { cached_input_tokens: Some(v), ..tokens(1, 1) }).is_err());
        }
    }

    #[test]
    fn absurd_prices_overflow_into_an_error() {
        let mut cfg: PricingConfig = shipped_pricing();
        if let Some(m) = cfg.models.get_mut("gpt-4o") {
            m.input_per_mtok = d("1e23");
        }
        let t = cfg.validate().expect("valid");
        let e = estimate(&t, &CostRequest::Calls(tokens(MAX_TOKENS, 0))).unwrap_err();
        assert_eq!(e, CostError::Overflow { option: "input_tokens" });
        assert_eq!(e.to_string(), "input_tokens is too large: the cost overflows");
        let e = estimate(&t, &CostRequest::Calls(CallRequest { requests: MAX_REQUESTS, ..tokens(1, 0) }));
        assert_eq!(e.unwrap_err(), CostError::Overflow { option: "requests" });
    }

    #[test]
    fn json_is_one_object_with_numbers() {
        let r = estimate(
            &table(),
            &CostRequest::Calls(CallRequest {
                requests: 10_000,
                per: Some(Period::Day),
                cached_input_tokens: Some(400),
                ..tokens(1000, 500)
            }),
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
        let plain =
            serde_json::to_value(estimate(&table(), &CostRequest::Calls(tokens(1000, 500))).expect("ok")).unwrap();
        assert!(plain["usd_per_day"].is_null() && plain["usd_per_month"].is_null() && plain["per"].is_null());
        assert!(matches!(r, CostReport::Call(_)));
    }
}
