//! Any bytes as a bot.toml (and, after a 0xFF byte, `KEY=VALUE` environment lines), loaded with
//! `Config::load_with_env`: a config or an error that never echoes a token, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/fuzz_support/mod.rs"]
mod fuzz_support;

fn scratch() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("scratch dir"))
}

fuzz_target!(|data: &[u8]| {
    let _ = fuzz_support::config(data, scratch().path());
});
