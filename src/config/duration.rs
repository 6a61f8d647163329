//! Durations in the config: an integer and a unit, combinable (`250ms`,
//! `30s`, `5m`, `1h`, `7d`, `1m30s`).

use std::time::Duration;

/// The units, longest first so `ms` is not read as `m` followed by `s`.
const UNITS: [(&str, u64); 5] = [
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
];

/// Parses `text` as one or more `<integer><unit>` parts; `None` when it is
/// not one (including on overflow).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut rest = text;
    let mut millis: u64 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let amount: u64 = rest[..digits].parse().ok()?;
        let (unit, factor) = UNITS
            .iter()
            .find(|(unit, _)| rest[digits..].starts_with(unit))?;
        millis = millis.checked_add(amount.checked_mul(*factor)?)?;
        rest = &rest[digits + unit.len()..];
    }
    (!text.is_empty()).then(|| Duration::from_millis(millis))
}

/// Writes `duration` the way a config does (`1m30s`, `500ms`, `0s`), to
/// the millisecond.
pub fn format_duration(duration: Duration) -> String {
    let mut rest = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    if rest == 0 {
        return "0s".to_owned();
    }
    let mut text = String::new();
    for (unit, factor) in UNITS.iter().rev() {
        if rest >= *factor {
            text.push_str(&format!("{}{unit}", rest / factor));
            rest %= factor;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::{format_duration, parse_duration};
    use std::time::Duration;

    #[test]
    fn single_units() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(7 * 86_400)));
    }

    #[test]
    fn combined_units() {
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1s500ms"), Some(Duration::from_millis(1500)));
        assert_eq!(
            parse_duration("1d12h"),
            Some(Duration::from_secs(36 * 3600))
        );
    }

    #[test]
    fn rejects_anything_else() {
        for bad in [
            "", "5", "s", "5 mins", "5min", " 5s", "5s ", "1.5s", "-1s", "5D", "m5",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formats_as_written_in_a_config() {
        for text in [
            "0s", "500ms", "5s", "1m30s", "1h", "2h5m", "1s500ms", "7d", "1d1h",
        ] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
    }

    #[test]
    fn rejects_overflow() {
        assert_eq!(parse_duration("99999999999999999999h"), None);
        assert_eq!(parse_duration("9999999999999999h"), None);
    }
}
