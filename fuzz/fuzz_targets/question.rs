//! Any bytes, as lossy UTF-8, asked of the engine over the shipped corpus: always an answer with text.
#![no_main]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use productbot::cost::PricingConfig;
use productbot::engine::Engine;

#[path = "../../tests/fuzz_support/mod.rs"]
mod fuzz_support;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let prices = Arc::new(PricingConfig::default().validate().expect("default prices"));
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
        Engine::from_corpus_dir(&corpus, prices).expect("shipped corpus loads")
    })
}

fuzz_target!(|data: &[u8]| {
    fuzz_support::question(engine(), data);
});
