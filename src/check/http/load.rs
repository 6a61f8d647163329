//! `load = { requests, concurrency }`: the request sent `requests` times,
//! never more than `concurrency` in flight, over the run's pooled
//! connections; each response is checked as a single one would be
//! (`status`, `headers`, body), and the response times are checked as
//! statistics (`p50` ... `mean`, `max_time`, `error_rate`).

use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use reqwest::Client;
use toml::Spanned;

use super::expect::{Expectations, Stat};
use super::{HttpProbe, RawLoad, describe, request};
use crate::check::expect::Placed;
use crate::config::{Diagnostic, Source, values};
use crate::event::{Failure, Stats};
use crate::exec::Attempt;

/// How many requests, and how many at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    pub requests: u32,
    /// Never more than `requests`.
    pub concurrency: u32,
}

/// `load = { requests, concurrency }`, both at least 1.
pub fn load(source: &Source, raw: &Spanned<RawLoad>) -> Result<Load, Diagnostic> {
    let raw = raw.get_ref();
    let requests = values::at_least_one(source, "load.requests", &raw.requests)?;
    let concurrency = values::at_least_one(source, "load.concurrency", &raw.concurrency)?;
    Ok(Load {
        requests,
        concurrency: concurrency.min(requests),
    })
}

/// What the requests of a load found.
#[derive(Debug, Default)]
struct Tally {
    /// Response times of the requests that got a response, in order of arrival.
    times: Vec<Duration>,
    errors: u64,
    /// The first error to arrive: `request 17: expected status 200, got 503`.
    first_error: Option<String>,
}

impl Tally {
    fn error(&mut self, number: u32, reason: String) {
        self.errors += 1;
        self.first_error
            .get_or_insert_with(|| format!("request {number}: {reason}"));
    }
}

/// Sends the load and checks its statistics.
pub async fn run(probe: &HttpProbe, load: Load, client: &Client, timeout: Duration) -> Attempt {
    let mut tally = Tally::default();
    let mut responses = stream::iter(1..=load.requests)
        .map(|number| async move { (number, request(probe, client).await) })
        .buffer_unordered(load.concurrency as usize);
    while let Some((number, response)) = responses.next().await {
        match response {
            Ok(received) => {
                tally.times.push(received.elapsed);
                let failures = probe.expect.check_response(&received);
                if !failures.is_empty() {
                    let reasons: Vec<String> = failures.iter().map(Failure::to_string).collect();
                    tally.error(number, reasons.join("; "));
                }
            }
            Err(error) => tally.error(number, describe(&error, probe, timeout).1),
        }
    }
    judge(&probe.expect, load, tally)
}

/// The attempt: the statistics, checked against `expect`.
fn judge(expect: &Expectations, load: Load, tally: Tally) -> Attempt {
    let mut times = tally.times;
    times.sort_unstable();
    let figures = Figures::of(&times);
    let requests = u64::from(load.requests);
    let rate = tally.errors as f64 / requests as f64;
    let mut failures: Vec<Failure> = expect
        .statistics
        .iter()
        .filter_map(|bound| {
            let (stat, limit) = bound.value;
            exceeds(bound, stat.key(), figures.get(stat), limit)
        })
        .collect();
    if let Some(max) = &expect.max_time {
        failures.extend(exceeds(max, "max_time", figures.max, max.value));
    }
    if let Some(allowed) = &expect.error_rate {
        if rate > allowed.value {
            failures.push(allowed.failure(
                "error rate",
                format!("<= {}", percent(allowed.value)),
                format!("{} ({} of {requests})", percent(rate), tally.errors),
            ));
        }
    }
    let mut output = format!(
        "{requests} requests, {} at once: p50 {}, p90 {}, p95 {}, p99 {}, max {}, mean {}; {} errors ({})",
        load.concurrency,
        ms(figures.p50),
        ms(figures.p90),
        ms(figures.p95),
        ms(figures.p99),
        ms(figures.max),
        ms(figures.mean),
        tally.errors,
        percent(rate)
    );
    if let Some(first) = &tally.first_error {
        output.push_str(&format!("\nfirst error: {first}"));
    }
    let attempt = Attempt::passed().with_failures(failures);
    Attempt {
        stats: Some(Box::new(figures.stats(requests, tally.errors))),
        ..attempt.with_output(output)
    }
}

/// A failure of the bound at `bound` when `value` is over `limit`.
fn exceeds<T>(bound: &Placed<T>, key: &str, value: Duration, limit: Duration) -> Option<Failure> {
    (value > limit).then(|| bound.failure(key, format!("<= {}", ms(limit)), ms(value)))
}

/// The statistics of sorted response times.
#[derive(Debug, Default, Clone, Copy)]
struct Figures {
    p50: Duration,
    p90: Duration,
    p95: Duration,
    p99: Duration,
    max: Duration,
    mean: Duration,
}

impl Figures {
    /// The figures of `sorted` (all zero when there is no time at all).
    fn of(sorted: &[Duration]) -> Figures {
        if sorted.is_empty() {
            return Figures::default();
        }
        let total: Duration = sorted.iter().sum();
        Figures {
            p50: percentile(sorted, 50),
            p90: percentile(sorted, 90),
            p95: percentile(sorted, 95),
            p99: percentile(sorted, 99),
            max: sorted[sorted.len() - 1],
            mean: total / u32::try_from(sorted.len()).unwrap_or(u32::MAX),
        }
    }

    fn get(&self, stat: Stat) -> Duration {
        match stat {
            Stat::P50 => self.p50,
            Stat::P90 => self.p90,
            Stat::P95 => self.p95,
            Stat::P99 => self.p99,
            Stat::Mean => self.mean,
        }
    }

    fn stats(&self, requests: u64, errors: u64) -> Stats {
        // Rounded, as the output line rounds them.
        let whole = |d: Duration| (d.as_secs_f64() * 1000.0).round() as u64;
        Stats {
            requests,
            errors,
            p50_ms: whole(self.p50),
            p90_ms: whole(self.p90),
            p95_ms: whole(self.p95),
            p99_ms: whole(self.p99),
            max_ms: whole(self.max),
            mean_ms: whole(self.mean),
        }
    }
}

/// The nearest-rank percentile `p` of `sorted` (not empty): the smallest
/// time that `p`% of the times are at or below.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// `41ms`, `0.4ms`: milliseconds, to a tenth below 10.
fn ms(duration: Duration) -> String {
    let millis = duration.as_secs_f64() * 1000.0;
    match millis < 10.0 {
        true => format!("{millis:.1}ms"),
        false => format!("{}ms", millis.round()),
    }
}

/// `0.1%`.
fn percent(fraction: f64) -> String {
    format!("{:.1}%", fraction * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(list: &[u64]) -> Vec<Duration> {
        list.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let times = millis(&(1..=100).collect::<Vec<_>>());
        let figures = Figures::of(&times);
        assert_eq!(figures.p50, Duration::from_millis(50));
        assert_eq!(figures.p95, Duration::from_millis(95));
        assert_eq!(figures.p99, Duration::from_millis(99));
        assert_eq!(figures.max, Duration::from_millis(100));
        assert_eq!(figures.mean, Duration::from_micros(50_500));
        let one = Figures::of(&millis(&[7]));
        assert_eq!((one.p50, one.p99, one.max), (one.mean, one.mean, one.mean));
        assert_eq!(Figures::of(&[]).max, Duration::ZERO);
    }

    #[test]
    fn figures_read_as_people_write_them() {
        assert_eq!(ms(Duration::from_micros(412)), "0.4ms");
        assert_eq!(ms(Duration::from_micros(120_400)), "120ms");
        assert_eq!(percent(0.001), "0.1%");
        assert_eq!(percent(0.025), "2.5%");
    }
}
