//! Human formatting of dollar amounts and counts, tuned for per-token prices where
//! a request can cost a fraction of a cent and "$0.00" would be a wrong answer.

use rust_decimal::{Decimal, RoundingStrategy};

/// Past this many decimals an amount is shown as "<$0.0000000001": nobody prices below that,
/// and unbounded decimals would make the answer unreadable.
const MAX_DECIMALS: u32 = 10;

/// Sub-dollar amounts keep this many significant digits: two would turn $0.000375 (a typical
/// batch price) into $0.00038, three keeps such figures exact without long tails like $0.0833333.
const SIGNIFICANT_DIGITS: u32 = 3;

/// Formats a dollar amount: cents with thousands separators from $1 up ("$2,250.00"),
/// and below $1 at least two decimals plus enough to show three significant digits
/// ("$0.50", "$0.0075", "$0.000375"), so a non-zero amount never reads as "$0.00".
pub fn format_usd(d: Decimal) -> String {
    if d.is_zero() {
        return "$0.00".to_string();
    }
    let negative = d.is_sign_negative();
    let a = d.abs();
    let sign = if negative { "-" } else { "" };
    if a >= Decimal::ONE {
        return format!("{sign}${}", dollars_and_cents(a));
    }
    let first = first_significant_decimal(a);
    let dp = first.saturating_add(SIGNIFICANT_DIGITS - 1).clamp(2, MAX_DECIMALS);
    let rounded = a.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    if rounded >= Decimal::ONE {
        // 0.9996 rounds up to a whole dollar and must then follow the cents rule.
        return format!("{sign}${}", dollars_and_cents(rounded));
    }
    if rounded.is_zero() {
        return if negative { ">-$0.0000000001".to_string() } else { "<$0.0000000001".to_string() };
    }
    let text = format!("{:.*}", dp as usize, rounded);
    format!("{sign}${}", trim_zeros_past_cents(&text))
}

/// Formats an integer with thousands separators, e.g. 10000 -> "10,000".
pub fn format_count(n: u128) -> String {
    group_thousands(&n.to_string())
}

/// Formats a non-money decimal (such as a break-even count) with `dp` decimals and separators.
pub fn format_decimal(d: Decimal, dp: u32) -> String {
    let rounded = d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.*}", dp as usize, rounded.abs());
    let (int, frac) = text.split_once('.').unwrap_or((text.as_str(), ""));
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{}", group_thousands(int))
    } else {
        format!("{sign}{}.{frac}", group_thousands(int))
    }
}

fn dollars_and_cents(a: Decimal) -> String {
    let rounded = a.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{rounded:.2}");
    let (int, cents) = text.split_once('.').unwrap_or((text.as_str(), "00"));
    format!("{}.{cents}", group_thousands(int))
}

/// 1-based position of the first non-zero decimal of `0 < a < 1`, read off the
/// mantissa and scale so no float conversion is involved.
fn first_significant_decimal(a: Decimal) -> u32 {
    let digits = a.mantissa().unsigned_abs().checked_ilog10().unwrap_or(0) + 1;
    a.scale().saturating_sub(digits).saturating_add(1)
}

fn trim_zeros_past_cents(text: &str) -> &str {
    let Some(dot) = text.find('.') else {
        return text;
    };
    let min_len = dot + 3;
    let trimmed = text.trim_end_matches('0');
    if trimmed.len() < min_len { &text[..min_len.min(text.len())] } else { trimmed }
}

fn group_thousands(digits: &str) -> String {
    let len = digits.len();
    let mut out = String::with_capacity(len + len / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test literal")
    }

    #[test]
    fn formats_spec_examples() {
        assert_eq!(format_usd(d("0.0075")), "$0.0075");
        assert_eq!(format_usd(d("2250")), "$2,250.00");
        assert_eq!(format_usd(d("75")), "$75.00");
        assert_eq!(format_usd(d("0.5")), "$0.50");
        assert_eq!(format_usd(d("0.000375")), "$0.000375");
        assert_eq!(format_usd(d("0.00375")), "$0.00375");
    }

    #[test]
    fn dollars_round_to_cents_with_separators() {
        assert_eq!(format_usd(d("1")), "$1.00");
        assert_eq!(format_usd(d("63.375")), "$63.38");
        assert_eq!(format_usd(d("1234567.891")), "$1,234,567.89");
        assert_eq!(format_usd(d("999.999")), "$1,000.00");
        assert_eq!(format_usd(d("100")), "$100.00");
    }

    #[test]
    fn sub_dollar_keeps_significant_digits_and_two_decimals() {
        assert_eq!(format_usd(d("0.12345")), "$0.123");
        assert_eq!(format_usd(d("0.1")), "$0.10");
        assert_eq!(format_usd(d("0.04")), "$0.04");
        assert_eq!(format_usd(d("0.083333333333333333")), "$0.0833");
        assert_eq!(format_usd(d("0.9996")), "$1.00");
        assert_eq!(format_usd(d("0.0000000012345")), "$0.0000000012");
    }

    #[test]
    fn never_shows_zero_for_non_zero() {
        for s in ["0.001", "0.0049", "0.00001", "0.000000001", "0.00000000001"] {
            let text = format_usd(d(s));
            assert_ne!(text, "$0.00", "{s}");
            assert!(!text.ends_with("$0.0000000000"), "{s} -> {text}");
        }
        assert_eq!(format_usd(d("0.00000000001")), "<$0.0000000001");
        assert_eq!(format_usd(Decimal::ZERO), "$0.00");
    }

    #[test]
    fn negative_and_extreme_values_do_not_panic() {
        assert_eq!(format_usd(d("-0.0075")), "-$0.0075");
        assert_eq!(format_usd(d("-2250")), "-$2,250.00");
        assert_eq!(format_usd(d("-0.00000000001")), ">-$0.0000000001");
        let max = format_usd(Decimal::MAX);
        assert!(max.starts_with("$79,228,162,514,264,337,593,543,950,335"), "{max}");
        assert!(format_usd(Decimal::MIN).starts_with("-$79,228"));
        // Smallest positive Decimal (scale 28) must not underflow the position arithmetic.
        assert_eq!(format_usd(Decimal::new(1, 28)), "<$0.0000000001");
    }

    #[test]
    fn counts_and_plain_decimals_group_thousands() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1000), "1,000");
        assert_eq!(format_count(10_000_000_000), "10,000,000,000");
        assert_eq!(format_decimal(d("6.3116"), 2), "6.31");
        assert_eq!(format_decimal(d("1234.5"), 2), "1,234.50");
        assert_eq!(format_decimal(d("11"), 2), "11.00");
    }
}
