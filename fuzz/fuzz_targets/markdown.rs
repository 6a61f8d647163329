//! Fuzzes `tests/properties/markdown.rs`: its `check` on any UTF-8 text.
#![no_main]

#[path = "../../tests/properties/markdown.rs"]
mod markdown;

libfuzzer_sys::fuzz_target!(|text: &str| markdown::check(text));
