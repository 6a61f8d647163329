//! Properties of the four readers of outside input: the config loader,
//! interpolation, the Markdown importer and the `gate merge` report reader.
//!
//! Each module holds one `check` that panics when a property does not hold;
//! the tests here feed it a few seconds of generated inputs from fixed seeds,
//! and the fuzz targets in `fuzz/` feed it what libFuzzer finds.

mod config;
mod interpolation;
mod markdown;
mod merge;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Runs `check` on `cases` values of `strategy`, always the same ones.
/// A failure is shrunk and shown; nothing is written to disk.
fn run<S: Strategy>(cases: u32, strategy: S, check: impl Fn(S::Value)) {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&strategy, |value| {
        check(value);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// One of `seeds` with a few edits: pieces cut out, and `tokens` or any
/// characters put in, at any place.
fn mutated(seeds: &[impl AsRef<str>], tokens: &'static [&'static str]) -> BoxedStrategy<String> {
    let seeds: Vec<String> = seeds.iter().map(|seed| seed.as_ref().to_owned()).collect();
    let edit = (any::<prop::sample::Index>(), 0..8usize, insertion(tokens));
    (
        prop::sample::select(seeds),
        prop::collection::vec(edit, 0..6),
    )
        .prop_map(|(seed, edits)| {
            let mut text: Vec<char> = seed.chars().collect();
            for (place, cut, insert) in edits {
                let start = place.index(text.len() + 1);
                let end = (start + cut).min(text.len());
                text.splice(start..end, insert.chars());
            }
            text.into_iter().collect()
        })
        .boxed()
}

/// Texts made of `tokens` and a few other characters, in any order.
fn pieces(tokens: &'static [&'static str], most: usize) -> BoxedStrategy<String> {
    prop::collection::vec(insertion(tokens), 0..most)
        .prop_map(|parts| parts.concat())
        .boxed()
}

/// One of `tokens`, or a short run of any characters.
fn insertion(tokens: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![
        3 => prop::sample::select(tokens).prop_map(str::to_owned),
        1 => "(?s:.){0,3}",
        1 => "[\n\r\t \"'\\\\${}\\[\\]=#.,:-]{1,2}",
    ]
    .boxed()
}
