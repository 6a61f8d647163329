//! Fuzzes `tests/properties/config.rs`: its `check` on any UTF-8 text.
#![no_main]

#[path = "../../tests/properties/config.rs"]
mod config;

libfuzzer_sys::fuzz_target!(|text: &str| config::check(text));
