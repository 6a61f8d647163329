//! "Did you mean ...?": the closest known word to a misspelt one.
//!
//! Used for config keys, enum values and gate ids in `needs`, and by the
//! command line for unknown gate ids, tags, sections and profiles.

/// The candidate closest to `word`, if any is close enough to be a likely typo.
///
/// Closeness is the Damerau-Levenshtein distance (a swap of two neighbouring
/// letters counts as one edit), compared case-insensitively; a candidate is
/// close enough when the distance is at most a third of the longer word's
/// length, so `timout` finds `timeout` but `foo` finds nothing among
/// `timeout`, `retries`, ... On a tie the earliest candidate wins.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .filter_map(|candidate| {
            let distance = strsim::damerau_levenshtein(&word, &candidate.to_lowercase());
            let longest = word.chars().count().max(candidate.chars().count());
            (distance <= longest / 3).then_some((distance, candidate))
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// The message for a word that is not one of `candidates`:
/// "unknown WHAT `word`, did you mean `x`?" when one is close, else
/// "unknown WHAT `word` (expected one of `a`, `b`)".
pub fn unknown(what: &str, word: &str, candidates: &[&str]) -> String {
    let head = format!("unknown {what} `{word}`");
    match (closest(word, candidates.iter().copied()), candidates) {
        (Some(best), _) => format!("{head}, did you mean `{best}`?"),
        (None, []) => head,
        (None, [only]) => format!("{head} (expected `{only}`)"),
        (None, all) => format!("{head} (expected one of {})", quoted_list(all)),
    }
}

/// `a`, `b`, `c`
fn quoted_list(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|word| format!("`{word}`")).collect();
    quoted.join(", ")
}

#[cfg(test)]
mod tests {
    use super::{closest, unknown};

    const KEYS: [&str; 5] = ["name", "timeout", "retries", "retry_delay", "severity"];

    #[test]
    fn finds_a_typo() {
        assert_eq!(closest("timout", KEYS), Some("timeout"));
        assert_eq!(closest("retry_dealy", KEYS), Some("retry_delay"));
        assert_eq!(closest("blok", ["block", "warn"]), Some("block"));
        assert_eq!(
            closest("migratoins", ["lint", "migrations"]),
            Some("migrations")
        );
    }

    #[test]
    fn ignores_case() {
        assert_eq!(closest("Timeout", KEYS), Some("timeout"));
    }

    #[test]
    fn nothing_close() {
        assert_eq!(closest("foo", KEYS), None);
        assert_eq!(closest("x", ["a", "b"]), None);
        assert_eq!(closest("anything", []), None);
    }

    #[test]
    fn prefers_the_nearest_then_the_first() {
        assert_eq!(closest("retrie", KEYS), Some("retries"));
        assert_eq!(closest("ab", ["abc", "abd"]), Some("abc"));
    }

    #[test]
    fn unknown_messages() {
        assert_eq!(
            unknown("key", "timout", &KEYS),
            "unknown key `timout`, did you mean `timeout`?"
        );
        assert_eq!(
            unknown("severity", "fatal", &["block", "warn"]),
            "unknown severity `fatal` (expected one of `block`, `warn`)"
        );
        assert_eq!(
            unknown("key", "foo", &["url"]),
            "unknown key `foo` (expected `url`)"
        );
        assert_eq!(unknown("key", "foo", &[]), "unknown key `foo`");
    }
}
