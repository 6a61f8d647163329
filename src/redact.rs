//! Secrets never appear in any output: the values of the variables named in
//! `settings.redact`, and of variables whose names say they are secret, are
//! replaced by `***` wherever gate writes text.

/// Words in a variable's name that make its value a secret.
const SECRET_WORDS: [&str; 4] = ["TOKEN", "SECRET", "PASSWORD", "API_KEY"];
/// Shorter values of secret-looking variables are left alone (`1`, `yes`).
const MIN_GUESSED_LENGTH: usize = 4;
/// What a secret is replaced by.
const MASK: &str = "***";

/// Replaces known secret values in text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is masked whole.
    secrets: Vec<String>,
}

impl Redactor {
    /// Collects the secrets among `vars` (name, value): those named in
    /// `listed`, and those whose names contain a secret word.
    pub fn new<'a>(
        listed: &[String],
        vars: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Redactor {
        let mut secrets: Vec<String> = vars
            .into_iter()
            .filter(|(name, value)| {
                let listed = listed.iter().any(|l| l == name) && !value.is_empty();
                listed || (looks_secret(name) && value.len() >= MIN_GUESSED_LENGTH)
            })
            .map(|(_, value)| value.to_owned())
            .collect();
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Redactor { secrets }
    }

    /// `text` with every secret replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_owned(), |text, secret| {
            text.replace(secret.as_str(), MASK)
        })
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
    fn an_empty_listed_value_is_not_a_secret() {
        let redactor = Redactor::new(&["EMPTY".to_owned()], [("EMPTY", "")]);
        assert_eq!(redactor.redact("text"), "text");
    }
}
