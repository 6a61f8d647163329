//! Secrets never appear in any output: the values of the variables named in
//! `settings.redact`, of variables whose names say they are secret, and the
//! password of every URL that carries one (`postgresql://app:PASSWORD@db`),
//! are replaced by `***` wherever gate writes text.

use std::sync::{LazyLock, PoisonError, RwLock, RwLockReadGuard};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use regex::{Captures, Regex};

use crate::config::interpolate::is_name;

/// Words in a variable's name that make its value a secret.
const SECRET_WORDS: [&str; 4] = ["TOKEN", "SECRET", "PASSWORD", "API_KEY"];
/// Shorter values of secret-looking variables are left alone (`1`, `yes`).
const MIN_GUESSED_LENGTH: usize = 4;
/// What a secret is replaced by.
const MASK: &str = "***";

/// Credentials in a URL, `scheme://user:password@`: group 1 is the user,
/// group 2 the password. The authority ends at `/`, `?`, `#`, white space
/// or a quote, and the password runs to its last `@`, as a URL parser
/// reads it.
static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)[a-z][a-z0-9+.-]*://([^\s/?#@:'"<>]*):([^\s/?#'"<>]+)@"#)
        .expect("the pattern is valid")
});

/// The same in the value of a variable, which holds its URL alone: there
/// a quote or `<>` is part of the password (drivers take them unencoded).
static URL_CREDENTIALS_IN_A_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z][a-z0-9+.-]*://([^\s/?#@:]*):([^\s/?#]+)@").expect("the pattern is valid")
});

/// What RFC 3986 leaves unencoded: letters, digits and `-._~`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Replaces known secret values in text. Values captured during a run are
/// learnt as they come, so one redactor, shared, masks them everywhere.
#[derive(Debug, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is masked whole.
    secrets: RwLock<Vec<String>>,
    /// `settings.redact`: names whose values are secrets whatever they are.
    listed: Vec<String>,
}

impl Clone for Redactor {
    fn clone(&self) -> Self {
        Redactor {
            secrets: RwLock::new(self.secrets().clone()),
            listed: self.listed.clone(),
        }
    }
}

impl Redactor {
    /// Collects the secrets among `vars` (name, value): those named in
    /// `listed`, and those whose names contain a secret word.
    pub fn new<'a>(
        listed: &[String],
        vars: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Redactor {
        let redactor = Redactor {
            secrets: RwLock::default(),
            listed: listed.to_vec(),
        };
        // Every gate's and service's variables repeat the global ones:
        // each (name, value) is learned once.
        let vars: std::collections::HashSet<(&str, &str)> = vars.into_iter().collect();
        for (name, value) in vars {
            redactor.learn(name, value);
        }
        redactor
    }

    /// Adds the value of the variable `name` to the secrets, when it is one
    /// (its name is listed, or says it is secret), and the password of every
    /// URL in it, whatever the name.
    pub fn learn(&self, name: &str, value: &str) {
        let listed = self.listed.iter().any(|l| l == name) && !value.is_empty();
        let mut found = Vec::new();
        if listed || (looks_secret(name) && value.len() >= MIN_GUESSED_LENGTH) {
            found.extend(forms(value));
        }
        for password in url_passwords(value) {
            found.extend(forms(&password));
        }
        if found.is_empty() {
            return;
        }
        let mut secrets = self.secrets.write().unwrap_or_else(PoisonError::into_inner);
        secrets.extend(found);
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
    }

    /// True when a value of the variable `name` may be a secret: its name
    /// is listed, or says it is secret.
    pub fn is_secret_name(&self, name: &str) -> bool {
        self.listed.iter().any(|l| l == name) || looks_secret(name)
    }

    /// The secrets known so far.
    fn secrets(&self) -> RwLockReadGuard<'_, Vec<String>> {
        self.secrets.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// `text` with every secret, and the password of every URL, replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let text = self.secrets().iter().fold(text.to_owned(), |text, secret| {
            text.replace(secret.as_str(), MASK)
        });
        mask_url_passwords(&text)
    }
}

/// `text` with the password of every URL that has one replaced by `***`.
fn mask_url_passwords(text: &str) -> String {
    if !text.contains("://") {
        return text.to_owned();
    }
    let masked = URL_CREDENTIALS.replace_all(text, |caps: &Captures| {
        let whole = caps.get(0).expect("a match");
        let password = caps.get(2).expect("the pattern has a password");
        let user = &text[whole.start()..password.start()];
        match is_reference(password.as_str()) {
            true => whole.as_str().to_owned(),
            false => format!("{user}{MASK}@"),
        }
    });
    masked.into_owned()
}

/// True for `${NAME}`: a variable standing for a password, as gates.toml
/// and a shell command write one, not a password.
fn is_reference(password: &str) -> bool {
    let name = password
        .strip_prefix("${")
        .and_then(|p| p.strip_suffix('}'));
    name.is_some_and(is_name)
}

/// The passwords of the URLs in `value`, as written and percent-decoded,
/// long enough to be masked on their own (shorter ones are masked inside
/// their URL only). A password that its URL shows anyway, in its scheme,
/// user name or host (`postgresql://postgres:postgres@postgres`), is
/// masked inside its URL only: masking it everywhere would only hide that
/// word from the output.
fn url_passwords(value: &str) -> Vec<String> {
    let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
    let mut passwords = Vec::new();
    for pattern in [&URL_CREDENTIALS, &URL_CREDENTIALS_IN_A_VALUE] {
        for caps in pattern.captures_iter(value) {
            let password = caps.get(2).expect("the pattern has a password");
            // `scheme://user:` and the host after the `@`.
            let before = &value[caps.get(0).expect("a match").start()..password.start()];
            let host = value[password.end() + 1..]
                .split(|c: char| c.is_whitespace() || "/?#".contains(c))
                .next()
                .unwrap_or_default();
            let decoded = decode(password.as_str());
            if !decode(&format!("{before}{host}")).contains(&decoded) {
                passwords.extend([password.as_str().to_owned(), decoded]);
            }
        }
    }
    passwords.retain(|password| password.len() >= MIN_GUESSED_LENGTH);
    passwords
}

/// The forms a value can take in output: as it is; without the newline a
/// pasted secret often ends with; line by line, for output read a line at a
/// time; and percent-encoded, as it shows in a URL.
fn forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_owned()];
    let trimmed = value.trim();
    forms.push(trimmed.to_owned());
    forms.extend(
        trimmed
            .lines()
            .map(str::trim)
            .filter(|line| line.len() >= MIN_GUESSED_LENGTH)
            .map(str::to_owned),
    );
    forms.push(percent_encoded(trimmed));
    // As it shows inside a JSON string (quotes and backslashes escaped).
    let json = serde_json::to_string(trimmed).unwrap_or_default();
    forms.push(json[1..json.len().saturating_sub(1).max(1)].to_owned());
    forms.retain(|form| !form.is_empty());
    forms
}

/// Every byte but the unreserved ones of RFC 3986 as `%XX`.
fn percent_encoded(value: &str) -> String {
    utf8_percent_encode(value, UNRESERVED).to_string()
}

impl Redactor {
    /// Like `redact`, for text cut out of a longer stream: it may also start
    /// with the end of a secret (4 characters or more), which is masked too.
    pub fn redact_cut(&self, text: &str) -> String {
        let secrets = self.secrets();
        let leading = secrets.iter().find_map(|secret| {
            (MIN_GUESSED_LENGTH..secret.len())
                .rev()
                .filter(|&k| secret.is_char_boundary(secret.len() - k))
                .map(|k| &secret[secret.len() - k..])
                .find(|end| text.starts_with(end))
        });
        match leading {
            Some(end) => format!("{MASK}{}", self.redact(&text[end.len()..])),
            None => self.redact(text),
        }
    }
}

fn looks_secret(name: &str) -> bool {
    let name = name.to_ascii_uppercase();
    SECRET_WORDS.iter().any(|word| name.contains(word))
}

#[cfg(test)]
mod tests {
    use super::Redactor;

    #[test]
    fn listed_and_secret_looking_variables_are_masked() {
        let vars = [
            ("ADMIN_TOKEN", "s3cr3t-token"),
            ("DB_PASSWORD", "hunter22"),
            ("github_api_key", "ghp_abcdef"),
            ("PLAIN", "visible"),
            ("LISTED", "xy"),
            ("SHORT_TOKEN", "abc"),
        ];
        let redactor = Redactor::new(&["LISTED".to_owned()], vars);
        assert_eq!(
            redactor.redact("s3cr3t-token hunter22 ghp_abcdef visible xy abc"),
            "*** *** *** visible *** abc"
        );
    }

    #[test]
    fn a_secret_containing_another_is_masked_whole() {
        let redactor = Redactor::new(
            &["A".to_owned(), "B".to_owned()],
            [("A", "abcd"), ("B", "abcdefgh")],
        );
        assert_eq!(redactor.redact("abcdefgh abcd"), "*** ***");
    }

    #[test]
    fn trimmed_line_by_line_and_encoded_forms_are_masked() {
        let key = "first-line\nsecond-line\n";
        let redactor = Redactor::new(
            &["KEY".to_owned(), "URL_TOKEN".to_owned()],
            [("KEY", key), ("URL_TOKEN", "a b<c>")],
        );
        assert_eq!(redactor.redact("first-line"), "***");
        assert_eq!(redactor.redact("x second-line y"), "x *** y");
        assert_eq!(redactor.redact("key=first-line\nsecond-line"), "key=***");
        assert_eq!(redactor.redact("?token=a%20b%3Cc%3E"), "?token=***");
    }

    #[test]
    fn a_cut_text_starting_inside_a_secret() {
        let redactor = Redactor::new(&[], [("API_TOKEN", "0123456789")]);
        assert_eq!(redactor.redact_cut("6789 and 0123456789"), "*** and ***");
        assert_eq!(redactor.redact_cut("789 rest"), "789 rest");
    }

    #[test]
    fn the_password_of_a_url_is_masked_wherever_it_appears() {
        let redactor = Redactor::default();
        assert_eq!(
            redactor.redact("connecting to postgresql://app:hunter22@db:5432/x ..."),
            "connecting to postgresql://app:***@db:5432/x ..."
        );
        assert_eq!(
            redactor.redact(r#"{"url":"redis://:pw@cache"} amqp://u:p@ss@mq/vhost"#),
            r#"{"url":"redis://:***@cache"} amqp://u:***@mq/vhost"#
        );
        let untouched = "https://user@host/a:b@c http://host:8080/x?q=a@b mailto:a@b";
        assert_eq!(redactor.redact(untouched), untouched);
    }

    #[test]
    fn a_variable_standing_for_a_url_password_is_no_password() {
        let redactor = Redactor::default();
        let written = r#"url = "https://app:${API_PASSWORD}@h/""#;
        assert_eq!(redactor.redact(written), written);
        assert_eq!(
            redactor.redact("https://app:${PW:-hunter22}@h/ https://app:$PW@h/"),
            "https://app:***@h/ https://app:***@h/"
        );
    }

    #[test]
    fn a_url_in_any_variable_makes_its_password_a_secret() {
        let redactor = Redactor::new(
            &[],
            [
                ("DATABASE_URL", "postgresql://app:s3cr%40t-pw@db/x"),
                ("CACHE", "redis://:ab@cache"),
            ],
        );
        assert_eq!(
            redactor.redact("pw s3cr%40t-pw, decoded s3cr@t-pw; ab stays"),
            "pw ***, decoded ***; ab stays"
        );
        redactor.learn("CAPTURED", "mysql://root:r00tpw@127.0.0.1/db");
        assert_eq!(redactor.redact("r00tpw"), "***");
    }

    #[test]
    fn a_url_password_its_url_shows_anyway_is_masked_in_the_url_only() {
        let redactor = Redactor::new(
            &[],
            [
                ("A", "postgresql://postgres:postgres@localhost/x"),
                ("B", "postgresql://app:db01@db01:5432/x"),
                (
                    "C",
                    "amqp://guest:guest@mq/ amqp://app:s3cret@mq/?copy=s3cret",
                ),
            ],
        );
        assert_eq!(
            redactor.redact("postgres on db01, guest; s3cret"),
            "postgres on db01, guest; ***"
        );
        assert_eq!(
            redactor.redact("postgresql://postgres:postgres@localhost/x"),
            "postgresql://postgres:***@localhost/x"
        );
    }

    #[test]
    fn an_empty_listed_value_is_not_a_secret() {
        let redactor = Redactor::new(&["EMPTY".to_owned()], [("EMPTY", "")]);
        assert_eq!(redactor.redact("text"), "text");
    }
}
