//! `[settings.notify]`: a short summary of the run POSTed to a webhook.
//!
//! With `on = "failure"` (the default) the webhook is called only when the
//! run fails; with `on = "always"`, after every run. The URL's `${VAR}` are
//! interpolated from the environment when the run is over; an empty URL
//! (`${WEBHOOK_URL:-}` with the variable unset) sends nothing.
//!
//! The body is JSON (`Content-Type: application/json`), every string in it
//! with the run's secrets masked:
//!
//! ```json
//! {
//!   "text": ":x: gate FAIL: 12 passed, 1 failed, 1 pending (gates.toml, host web-1, commit 1a2b3c4)\nfailed: lint (exit status 1)",
//!   "outcome": "fail",
//!   "counts": {"passed": 12, "failed": 1, "timed_out": 0, "error": 0, "skipped": 0, "cancelled": 0, "pending": 1},
//!   "failed": [{"id": "lint", "name": "Lint", "status": "failed", "reason": "exit status 1"}],
//!   "pending": [{"id": "approval", "name": "Sign-off", "status": "pending", "reason": "..."}],
//!   "config": "gates.toml",
//!   "partition": null,
//!   "host": "web-1",
//!   "commit": "1a2b3c4d..."
//! }
//! ```
//!
//! - `text` is Slack-compatible: a summary line, then `failed: ...` and
//!   `pending: ...` lines naming at most ten gates each by id, with reasons.
//! - `failed` lists, in config order, every gate that did not pass and is
//!   not pending: failed, timed out, error, skipped and cancelled, warn
//!   gates included. A manual gate waiting for its `--ack` is not a failure
//!   by itself, so pending gates are listed apart, in `pending`.
//! - `partition` is `"K/N"` for a shard of a partitioned run; `host` is this
//!   machine's host name; `commit` the config's git `HEAD` (`null` outside a
//!   repository).
//!
//! Notification trouble never changes the run's exit code: a variable not
//! set, a URL that is not http(s), a refused connection, a non-2xx answer
//! (redirects are not followed) or no answer within 10 seconds print one `gate: warning: notify: ...` line on
//! stderr, the URL's path and query shown as `***`.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Url;
use serde::Serialize;

use crate::check::http::client::{Clients, NoResponse, parse_url};
use crate::config::{InterpolateError, Notify, NotifyOn, interpolate};
use crate::event::Status;
use crate::plan::Environment;
use crate::redact::Redactor;
use crate::report::{GateRecord, Outcome, Report, origin};

/// How long the webhook has to answer, connection included.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Most gates named on one line of `text`; the arrays list them all.
const TEXT_LIMIT: usize = 10;
/// Most characters of a refusing webhook's answer quoted in the warning.
const ANSWER_LIMIT: usize = 200;

/// POSTs the summary of `report` to `notify`'s URL when it asks for it,
/// with the run's HTTP `clients`; trouble is a warning on stderr, never an
/// error.
pub async fn send(
    notify: &Notify,
    report: &Report,
    redactor: &Redactor,
    environment: &Environment,
    clients: &Clients,
) {
    if !wanted(notify.on, report.outcome) {
        return;
    }
    if let Err(warning) = try_send(notify, report, redactor, environment, clients).await {
        eprintln!("gate: warning: notify: {}", redactor.redact(&warning));
    }
}

/// Whether a run ending with `outcome` is notified.
fn wanted(on: NotifyOn, outcome: Outcome) -> bool {
    on == NotifyOn::Always || outcome == Outcome::Fail
}

async fn try_send(
    notify: &Notify,
    report: &Report,
    redactor: &Redactor,
    environment: &Environment,
    clients: &Clients,
) -> Result<(), String> {
    let template = notify.url.text();
    let text =
        interpolate(template, |name| environment.get(name).cloned()).map_err(
            |error| match error {
                InterpolateError::Missing { var } => {
                    format!("variable {var} is not set; no notification sent")
                }
                InterpolateError::Syntax { message } => {
                    format!("url `{template}`: {message}; no notification sent")
                }
            },
        )?;
    if text.trim().is_empty() {
        return Ok(());
    }
    // The reason does not repeat the URL, which may hold a secret.
    let url = parse_url(text.trim())
        .map_err(|reason| format!("url `{template}`: {reason}; no notification sent"))?;
    let body = serde_json::to_string(&payload(report, redactor))
        .map_err(|e| format!("cannot write the summary: {e}"))?;
    post(&url, body, clients)
        .await
        .map_err(|reason| format!("POST to {} failed: {reason}", masked(&url)))
}

/// `url` as warnings show it: its origin, the path and query (where
/// webhooks keep their tokens) as `***`, no user or password.
fn masked(url: &Url) -> String {
    let origin = url.origin().ascii_serialization();
    match url.path() == "/" && url.query().is_none() {
        true => format!("{origin}/"),
        false => format!("{origin}/***"),
    }
}

/// The JSON body, in this order.
#[derive(Debug, Serialize)]
struct Payload {
    text: String,
    outcome: Outcome,
    /// Every status, in the reports' order.
    counts: BTreeMap<Status, usize>,
    failed: Vec<Entry>,
    pending: Vec<Entry>,
    config: String,
    partition: Option<String>,
    host: Option<String>,
    commit: Option<String>,
}

/// A gate that did not pass.
#[derive(Debug, Serialize)]
struct Entry {
    id: String,
    name: String,
    status: Status,
    reason: Option<String>,
}

/// The body for `report`, every string masked by `redactor`.
fn payload(report: &Report, redactor: &Redactor) -> Payload {
    let masked = |text: &str| redactor.redact(text);
    let entries = |gates: Vec<&GateRecord>| {
        gates
            .into_iter()
            .map(|gate| Entry {
                id: masked(&gate.gate.id),
                name: masked(&gate.gate.name),
                status: gate.status,
                reason: gate.reason.as_deref().map(masked),
            })
            .collect()
    };
    let (failed, pending) = not_passed(report);
    Payload {
        text: masked(&text(report)),
        outcome: report.outcome,
        counts: report.counts.clone(),
        failed: entries(failed),
        pending: entries(pending),
        config: masked(&report.config),
        partition: report.partition.as_deref().map(masked),
        host: report.origin.host.as_deref().map(masked),
        commit: report.origin.commit.as_deref().map(masked),
    }
}

/// The gates that did not pass, in config order: the failures, and the
/// manual gates still pending.
fn not_passed(report: &Report) -> (Vec<&GateRecord>, Vec<&GateRecord>) {
    report
        .gates
        .iter()
        .filter(|gate| gate.status != Status::Passed)
        .partition(|gate| gate.status != Status::Pending)
}

/// The Slack-compatible message: the verdict and counts, then the gates
/// that failed and those pending.
fn text(report: &Report) -> String {
    let (emoji, verdict) = match report.outcome {
        Outcome::Pass => (":white_check_mark:", "PASS"),
        Outcome::Fail => (":x:", "FAIL"),
    };
    let counts = report.counts_summary();
    let mut place = vec![report.config.clone()];
    if let Some(partition) = &report.partition {
        place.push(format!("shard {partition}"));
    }
    if let Some(host) = &report.origin.host {
        place.push(format!("host {host}"));
    }
    if let Some(commit) = &report.origin.commit {
        place.push(format!("commit {}", &commit[..commit.len().min(7)]));
    }
    let mut text = format!("{emoji} gate {verdict}: {counts} ({})", place.join(", "));
    let (failed, pending) = not_passed(report);
    for (label, gates) in [("failed", failed), ("pending", pending)] {
        if !gates.is_empty() {
            text.push_str(&format!("\n{label}: {}", listing(&gates)));
        }
    }
    text
}

/// `lint (exit status 1), health (expected status 2xx, got 503)`, at most
/// [`TEXT_LIMIT`] gates and `and N more`.
fn listing(gates: &[&GateRecord]) -> String {
    let mut items: Vec<String> = gates
        .iter()
        .take(TEXT_LIMIT)
        .map(|gate| {
            let reason = gate
                .reason
                .as_deref()
                .map(origin::one_line)
                .unwrap_or_default();
            match reason.is_empty() {
                true => format!("{} ({})", gate.gate.id, gate.status.as_str()),
                false => format!("{} ({reason})", gate.gate.id),
            }
        })
        .collect();
    if gates.len() > TEXT_LIMIT {
        items.push(format!("and {} more", gates.len() - TEXT_LIMIT));
    }
    items.join(", ")
}

/// POSTs `body` to `url`; an interrupt ends the wait for the webhook
/// (gate's own SIGINT handler from the run is still installed, so nothing
/// else would).
async fn post(url: &Url, body: String, clients: &Clients) -> Result<(), String> {
    tokio::select! {
        result = exchange(url, body, clients) => result,
        _ = tokio::signal::ctrl_c() => Err("interrupted".to_owned()),
    }
}

/// Sends `body` (no redirects followed) and reads the answer.
async fn exchange(url: &Url, body: String, clients: &Clients) -> Result<(), String> {
    let client = clients.get(false, false)?;
    let response = client
        .post(url.clone())
        .timeout(TIMEOUT)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|error| describe(&error))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let answer = response.text().await.unwrap_or_default();
    let answer: String = origin::one_line(&answer)
        .chars()
        .take(ANSWER_LIMIT)
        .collect();
    Err(match answer.is_empty() {
        true => format!("the webhook answered {status}"),
        false => format!("the webhook answered {status}: {answer}"),
    })
}

/// Why a request failed, without its URL.
fn describe(error: &reqwest::Error) -> String {
    match NoResponse::of(error) {
        NoResponse::TimedOut => format!("no answer within {} seconds", TIMEOUT.as_secs()),
        NoResponse::Refused => "connection refused".to_owned(),
        NoResponse::Tls(reason) => format!("TLS handshake failed: {reason}"),
        NoResponse::Unresolved(reason) | NoResponse::Connect(reason) => {
            format!("cannot connect: {reason}")
        }
        NoResponse::Failed(reason) => reason,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::report::Origin;
    use crate::report::model::samples::{gate, report};

    #[test]
    fn failure_is_always_notified_and_a_pass_only_with_always() {
        assert!(wanted(NotifyOn::Failure, Outcome::Fail));
        assert!(!wanted(NotifyOn::Failure, Outcome::Pass));
        assert!(wanted(NotifyOn::Always, Outcome::Pass));
        assert!(wanted(NotifyOn::Always, Outcome::Fail));
    }

    #[test]
    fn the_text_sums_up_the_run_and_names_what_did_not_pass() {
        let report = report(
            vec![
                gate("build", Status::Passed, None),
                gate("lint", Status::Failed, Some("exit status 1")),
                gate("health", Status::Error, Some("connection refused by x:80")),
                gate("deploy", Status::Skipped, None),
                gate("approval", Status::Pending, Some("not acked")),
            ],
            Outcome::Fail,
        );
        assert_eq!(
            text(&report),
            ":x: gate FAIL: 1 passed, 1 failed, 1 error, 1 skipped, 1 pending \
             (gates.toml, host web-1, commit 1a2b3c4)\n\
             failed: lint (exit status 1), health (connection refused by x:80), \
             deploy (skipped)\n\
             pending: approval (not acked)"
        );
    }

    #[test]
    fn a_pass_has_one_line_and_a_shard_says_so() {
        let mut report = report(vec![gate("build", Status::Passed, None)], Outcome::Pass);
        report.partition = Some("2/3".into());
        report.origin = Origin::default();
        assert_eq!(
            text(&report),
            ":white_check_mark: gate PASS: 1 passed (gates.toml, shard 2/3)"
        );
    }

    #[test]
    fn long_lists_are_cut_in_the_text_but_not_in_the_arrays() {
        let gates = (0..12)
            .map(|i| gate(&format!("g{i}"), Status::Failed, Some("exit status 1")))
            .collect();
        let report = report(gates, Outcome::Fail);
        let body = serde_json::to_value(payload(&report, &Redactor::default())).unwrap();
        assert!(
            body["text"]
                .as_str()
                .unwrap()
                .ends_with("g9 (exit status 1), and 2 more")
        );
        assert_eq!(body["failed"].as_array().unwrap().len(), 12);
    }

    #[test]
    fn the_payload_has_every_count_and_masks_every_string() {
        let report = report(
            vec![
                gate("ok", Status::Passed, None),
                gate("leak", Status::Failed, Some("token s3cr3t-value rejected")),
            ],
            Outcome::Fail,
        );
        let redactor = Redactor::new(&[], [("DEPLOY_TOKEN", "s3cr3t-value")]);
        let body = serde_json::to_value(payload(&report, &redactor)).unwrap();
        assert!(!body.to_string().contains("s3cr3t-value"), "{body}");
        assert_eq!(body["outcome"], "fail");
        assert_eq!(body["config"], "gates.toml");
        assert_eq!(body["partition"], Value::Null);
        assert_eq!(body["commit"], "1a2b3c4d5e6f");
        let counts: BTreeMap<String, u64> = serde_json::from_value(body["counts"].clone()).unwrap();
        assert_eq!(counts.len(), 7);
        assert_eq!((counts["passed"], counts["failed"]), (1, 1));
        assert_eq!(
            body["failed"],
            json!([{"id": "leak", "name": "LEAK", "status": "failed",
                    "reason": "token *** rejected"}])
        );
        assert_eq!(body["pending"], json!([]));
    }

    #[test]
    fn warnings_show_the_origin_and_hide_the_path() {
        let url = |text: &str| masked(&Url::parse(text).unwrap());
        assert_eq!(
            url("https://hooks.slack.com/services/T0/B0/xyz"),
            "https://hooks.slack.com/***"
        );
        assert_eq!(
            url("http://user:pw@127.0.0.1:8080/?key=1"),
            "http://127.0.0.1:8080/***"
        );
        assert_eq!(url("https://example.com"), "https://example.com/");
    }
}
