//! Fuzzes `tests/properties/interpolation.rs`: its `check` on any UTF-8 text.
#![no_main]

#[path = "../../tests/properties/interpolation.rs"]
mod interpolation;

libfuzzer_sys::fuzz_target!(|text: &str| interpolation::check(text));
