//! Checked decimal arithmetic for estimates: every overflow is an error that names the option
//! whose size caused it.

use rust_decimal::Decimal;

use super::CostError;

pub fn capped(value: u64, option: &'static str, limit: u64) -> Result<u64, CostError> {
    if value > limit { Err(CostError::TooLarge { option, limit, unit: "" }) } else { Ok(value) }
}

pub fn at_least_one(value: u64, option: &'static str) -> Result<u64, CostError> {
    if value == 0 { Err(CostError::TooSmall { option, min: 1 }) } else { Ok(value) }
}

pub fn overflow(option: &'static str) -> CostError {
    CostError::Overflow { option }
}

pub fn mul(a: Decimal, b: Decimal, option: &'static str) -> Result<Decimal, CostError> {
    a.checked_mul(b).ok_or_else(|| overflow(option))
}

pub fn add(a: Decimal, b: Decimal, option: &'static str) -> Result<Decimal, CostError> {
    a.checked_add(b).ok_or_else(|| overflow(option))
}

pub fn sub(a: Decimal, b: Decimal, option: &'static str) -> Result<Decimal, CostError> {
    a.checked_sub(b).ok_or_else(|| overflow(option))
}

pub fn div(a: Decimal, b: Decimal, option: &'static str) -> Result<Decimal, CostError> {
    a.checked_div(b).ok_or_else(|| overflow(option))
}

/// Prices are per million tokens, so multiply first and divide last to stay exact.
pub fn token_cost(tokens: u64, per_mtok: Decimal, option: &'static str) -> Result<Decimal, CostError> {
    div(mul(Decimal::from(tokens), per_mtok, option)?, Decimal::from(1_000_000u64), option)
}

/// The amount the batch discount takes off `subtotal` (zero without `batch`).
pub fn batch_discount(
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

pub fn batch_caveat(percent: Decimal, conversation: bool) -> String {
    let pct = percent.normalize();
    if conversation {
        format!(
            "the {pct}% batch discount is applied as asked, but batch jobs return results asynchronously, unlike a live chat"
        )
    } else {
        format!("the {pct}% batch discount applies only to batch jobs, which return results asynchronously")
    }
}
