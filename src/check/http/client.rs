//! The HTTP side shared by `http` gates and the webhook of
//! `[settings.notify]`: URLs, one client per setting (so connections are
//! pooled across a run), and why a request got no response, in words.

use std::error::Error as _;
use std::sync::OnceLock;

use reqwest::{Client, Url};
use rustls::ClientConfig;

use crate::check::net::{io_reason, rustls_cause};
use crate::check::tls;
use crate::config::Parse;
use crate::words;

/// Most redirects followed.
const MAX_REDIRECTS: usize = 10;

/// An http or https URL, and its text as written (after interpolation):
/// reports show the text, since the parsed URL re-encodes characters (and a
/// secret with them).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpUrl {
    pub url: Url,
    pub text: String,
}

impl Parse for HttpUrl {
    fn parse(text: &str) -> Result<HttpUrl, String> {
        let url = parse_url(text).map_err(|reason| format!("invalid URL `{text}`: {reason}"))?;
        Ok(HttpUrl {
            url,
            text: text.to_owned(),
        })
    }
}

impl HttpUrl {
    /// The URL for reports: as written, or with its password masked when it has one.
    pub fn display(&self) -> String {
        display(&self.url, &self.text)
    }
}

/// `url`, written as `text`, for reports: as written, or with its password
/// masked when it has one.
pub fn display(url: &Url, text: &str) -> String {
    match url.password() {
        Some(_) => without_password(url),
        None => text.to_owned(),
    }
}

/// `text` as an http(s) URL; the reason, if not, does not repeat the text
/// (a webhook's URL is a secret).
pub fn parse_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| e.to_string())?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!(
            "the scheme is `{other}`, expected `http` or `https`"
        )),
    }
}

/// `url` with any password replaced by `***`.
pub fn without_password(url: &Url) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    url.to_string()
}

/// One client per combination of redirect and certificate settings,
/// each made when first needed.
#[derive(Debug, Default)]
pub struct Clients {
    clients: [OnceLock<Result<Client, String>>; 4],
    /// For asking whether a local service is up: no proxy, no redirects,
    /// certificates unchecked.
    local: OnceLock<Result<Client, String>>,
}

impl Clients {
    /// The shared client that follows redirects or not, and verifies
    /// certificates unless `insecure`.
    pub fn get(&self, follow_redirects: bool, insecure: bool) -> Result<&Client, String> {
        let slot = usize::from(follow_redirects) * 2 + usize::from(insecure);
        self.clients[slot]
            .get_or_init(|| build(follow_redirects, insecure))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The client that asks a service gate started whether it is ready: it
    /// never goes through `HTTP_PROXY`, whose answer would stand for the
    /// service's.
    pub fn local(&self) -> Result<&Client, String> {
        self.local
            .get_or_init(|| finish(builder(false, true).no_proxy()))
            .as_ref()
            .map_err(Clone::clone)
    }
}

fn build(follow_redirects: bool, insecure: bool) -> Result<Client, String> {
    finish(builder(follow_redirects, insecure))
}

fn builder(follow_redirects: bool, insecure: bool) -> reqwest::ClientBuilder {
    let redirects = match follow_redirects {
        true => reqwest::redirect::Policy::limited(MAX_REDIRECTS),
        false => reqwest::redirect::Policy::none(),
    };
    // The TLS gates' config: the roots are read at the first https
    // connection, not when the client is made.
    let tls = ClientConfig::clone(&tls::client_config(insecure));
    Client::builder()
        .redirect(redirects)
        .use_preconfigured_tls(tls)
        .user_agent(concat!("gate/", env!("CARGO_PKG_VERSION")))
}

fn finish(builder: reqwest::ClientBuilder) -> Result<Client, String> {
    builder
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {}", e.without_url()))
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoResponse {
    /// The request's timeout passed.
    TimedOut,
    /// The TLS handshake failed (a certificate that does not verify...).
    Tls(String),
    Refused,
    /// The host name did not resolve; the resolver's words.
    Unresolved(String),
    /// No connection for another reason; the innermost cause.
    Connect(String),
    /// The connection was made but the exchange failed; the innermost cause.
    Failed(String),
}

impl NoResponse {
    /// What went wrong with a request that ended in `error`, in words.
    pub fn of(error: &reqwest::Error) -> NoResponse {
        let causes: Vec<&(dyn std::error::Error + 'static)> =
            std::iter::successors(error.source(), |&e| e.source()).collect();
        let innermost = causes
            .last()
            .map_or_else(|| words::fragment(&without_url(error)), |&e| cause_words(e));
        if error.is_timeout() {
            return NoResponse::TimedOut;
        }
        if let Some(tls) = causes.iter().find_map(|&e| rustls_cause(e)) {
            return NoResponse::Tls(words::tls(tls));
        }
        let refused = causes
            .iter()
            .filter_map(|e| e.downcast_ref::<std::io::Error>())
            .any(|e| e.kind() == std::io::ErrorKind::ConnectionRefused);
        let dns = causes
            .iter()
            .any(|e| e.to_string().starts_with("dns error"));
        match () {
            () if refused => NoResponse::Refused,
            () if dns => NoResponse::Unresolved(innermost),
            () if error.is_connect() => NoResponse::Connect(innermost),
            () => NoResponse::Failed(innermost),
        }
    }
}

/// The innermost cause of a failed request in words: the system's (a
/// connection reset, a name that does not resolve) or the library's.
fn cause_words(cause: &(dyn std::error::Error + 'static)) -> String {
    match cause.downcast_ref::<std::io::Error>() {
        Some(io) => io_reason(io),
        None => words::fragment(&cause.to_string()),
    }
}

/// The message of `error` without the URL it names (a webhook's URL is a
/// secret).
fn without_url(error: &reqwest::Error) -> String {
    let text = error.to_string();
    match error.url() {
        Some(url) => text.replace(&format!(" for url ({url})"), ""),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls() {
        assert!(parse_url("https://example.com/hook").is_ok());
        assert_eq!(
            parse_url("ftp://example.com/x").unwrap_err(),
            "the scheme is `ftp`, expected `http` or `https`"
        );
        assert_eq!(
            HttpUrl::parse("localhost:8000/x").unwrap_err(),
            "invalid URL `localhost:8000/x`: the scheme is `localhost`, expected `http` or `https`"
        );
        assert_eq!(
            parse_url("not a url").unwrap_err(),
            "relative URL without a base"
        );
    }

    #[test]
    fn passwords_are_masked() {
        let url = HttpUrl::parse("http://user:pw@127.0.0.1/x").unwrap();
        assert_eq!(url.display(), "http://user:***@127.0.0.1/x");
        let url = HttpUrl::parse("http://127.0.0.1/a b").unwrap();
        assert_eq!(url.display(), "http://127.0.0.1/a b");
    }
}
