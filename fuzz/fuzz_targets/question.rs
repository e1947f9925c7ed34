//! Any bytes, as lossy UTF-8, asked of the engine over the shipped corpus: always an answer with text.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use productbot::engine::Engine;

#[path = "../../tests/fuzz_support/mod.rs"]
mod fuzz_support;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| fuzz_support::shipped_engine(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..")))
}

fuzz_target!(|data: &[u8]| {
    fuzz_support::question(engine(), data);
});
