//! Any bytes, as lossy UTF-8, as one shell line: parsed, checked against the command table (also in
//! Discord's typed form), and a `/cost` estimated with the shipped prices and rendered. A usage error
//! or an estimate, never a panic.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use productbot::cost::PriceTable;

#[path = "../../tests/fuzz_support/mod.rs"]
mod fuzz_support;

fn prices() -> &'static PriceTable {
    static PRICES: OnceLock<PriceTable> = OnceLock::new();
    PRICES.get_or_init(|| fuzz_support::shipped_prices(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..")))
}

fuzz_target!(|data: &[u8]| {
    let _ = fuzz_support::options(prices(), data);
});
