//! Any bytes as a Markdown document and a features.toml (split at the first 0xFF byte), loaded in
//! memory and from files: a corpus and table, or an error, never a panic.
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
    let _ = fuzz_support::loader(data, scratch().path());
});
