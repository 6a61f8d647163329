//! Fuzzes `tests/properties/merge.rs`: its `check` on any bytes.
#![no_main]

#[path = "../../tests/properties/merge.rs"]
mod merge;

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| merge::check(bytes));
