//! What a JSON value must be: a value it must equal, or a table of
//! predicates that must all hold (`{ gte = 0.999 }`, `{ len = { gte = 1 } }`,
//! `{ exists = false }`).
//!
//! [`Expected::parse`] reads the JSON form of what gates.toml wrote, both
//! when the file is loaded and, for a value with `${...}` in it, once it is
//! interpolated: one parser, one message for a mistake.

use std::fmt;

use regex::Regex;
use serde_json::Value;

use super::expect::{Needle, Pattern};
use crate::config::{Parse, suggest};

/// The predicate names, as gates.toml writes them.
const PREDICATES: [&str; 11] = [
    "eq", "ne", "lt", "lte", "gt", "gte", "contains", "matches", "exists", "len", "type",
];

/// The JSON types `type` names.
const TYPES: [&str; 6] = ["string", "number", "bool", "null", "array", "object"];

/// Longest value shown in a failure, in characters.
const SHOWN: usize = 80;

/// What a JSON value must be.
#[derive(Debug, Clone)]
pub enum Expected {
    /// Equal to this value (see [`Predicate::Eq`]).
    Equal(Value),
    /// Every one of these holds.
    All(Vec<Predicate>),
}

/// One test of a JSON value.
#[derive(Debug, Clone)]
pub enum Predicate {
    /// Equal: numbers by value, and a number given as a JSON string (as
    /// Prometheus writes samples) compares as a number.
    Eq(Value),
    Ne(Value),
    /// `lt`, `lte`, `gt`, `gte` against a number.
    Compare(Order, f64),
    /// A substring of a string, or an element of an array.
    Contains(Value),
    Matches(Regex),
    /// True: the pointer resolves; false: it does not.
    Exists(bool),
    /// The length of a string (in characters), an array or an object.
    Len(Vec<Predicate>),
    Type(&'static str),
}

/// How `lt`, `lte`, `gt` and `gte` compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Lt,
    Lte,
    Gt,
    Gte,
}

/// A predicate that did not hold: what it wanted and what was there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// `>= 0.999`, `absent`, `of length 0`.
    pub expected: String,
    /// `0.9812`, `not found`, `length 2`.
    pub actual: String,
}

impl Expected {
    /// What `value` (gates.toml's value as JSON) says the JSON must be. A
    /// table whose keys are all predicate names is a predicate table; one
    /// that mixes predicate names with other keys, or whose keys all look
    /// like misspelt predicates, is a mistake; any other value is compared
    /// for equality.
    pub fn parse(value: &Value) -> Result<Expected, String> {
        let Value::Object(table) = value else {
            return Ok(Expected::Equal(value.clone()));
        };
        let is_predicate = |key: &String| PREDICATES.contains(&key.as_str());
        let misspelt = |key: &String| suggest::closest(key, PREDICATES).is_some();
        let unknown = table.keys().find(|key| !is_predicate(key));
        match unknown {
            None if !table.is_empty() => predicates(table).map(Expected::All),
            Some(key) if table.keys().any(is_predicate) || table.keys().all(misspelt) => {
                Err(format!(
                    "{} (to compare with an object, write `{{ eq = {{ ... }} }}`)",
                    suggest::unknown("predicate", key, &PREDICATES)
                ))
            }
            _ => Ok(Expected::Equal(value.clone())),
        }
    }

    /// What does not hold for `actual` (`None`: the pointer resolves to
    /// nothing), one mismatch per predicate.
    pub fn check(&self, actual: Option<&Value>) -> Vec<Mismatch> {
        match self {
            Expected::Equal(value) => Predicate::Eq(value.clone()).check(actual),
            Expected::All(predicates) => predicates.iter().flat_map(|p| p.check(actual)).collect(),
        }
    }
}

/// The predicates of a table whose keys are all predicate names.
fn predicates(table: &serde_json::Map<String, Value>) -> Result<Vec<Predicate>, String> {
    table
        .iter()
        .map(|(name, value)| Predicate::parse(name, value))
        .collect()
}

impl Predicate {
    /// The predicate `name = value`.
    fn parse(name: &str, value: &Value) -> Result<Predicate, String> {
        let order = |order| Ok(Predicate::Compare(order, bound(name, value)?));
        match name {
            "eq" => Ok(Predicate::Eq(value.clone())),
            "ne" => Ok(Predicate::Ne(value.clone())),
            "lt" => order(Order::Lt),
            "lte" => order(Order::Lte),
            "gt" => order(Order::Gt),
            "gte" => order(Order::Gte),
            "contains" => match value {
                Value::String(text) => {
                    Ok(Predicate::Contains(Value::String(Needle::parse(text)?.0)))
                }
                other => Ok(Predicate::Contains(other.clone())),
            },
            "matches" => match value {
                Value::String(text) => Ok(Predicate::Matches(Pattern::parse(text)?.0)),
                other => Err(format!(
                    "`matches` takes a regex string, not {}",
                    shown(other)
                )),
            },
            "exists" => match value {
                Value::Bool(exists) => Ok(Predicate::Exists(*exists)),
                other => Err(format!(
                    "`exists` takes true or false, not {}",
                    shown(other)
                )),
            },
            "len" => length(value).map(Predicate::Len),
            "type" => match TYPES.iter().find(|&&t| value.as_str() == Some(t)) {
                Some(name) => Ok(Predicate::Type(name)),
                None => Err(format!(
                    "`type` takes one of {}, not {}",
                    TYPES.map(|t| format!("\"{t}\"")).join(", "),
                    shown(value)
                )),
            },
            other => unreachable!("`{other}` is not among the predicate names"),
        }
    }

    /// What does not hold for `actual`.
    fn check(&self, actual: Option<&Value>) -> Vec<Mismatch> {
        let Some(actual) = actual else {
            return match self {
                Predicate::Exists(false) => Vec::new(),
                _ => vec![self.mismatch("not found".to_owned())],
            };
        };
        let holds = match self {
            Predicate::Eq(want) => equal(actual, want),
            Predicate::Ne(want) => !equal(actual, want),
            Predicate::Compare(order, bound) => {
                number(actual).is_some_and(|n| order.holds(n, *bound))
            }
            Predicate::Contains(want) => contains(actual, want),
            Predicate::Matches(pattern) => actual.as_str().is_some_and(|s| pattern.is_match(s)),
            Predicate::Exists(exists) => *exists,
            Predicate::Len(rules) => {
                return match len(actual) {
                    Some(n) => rules
                        .iter()
                        .flat_map(|rule| rule.check(Some(&Value::from(n))))
                        .map(|m| Mismatch {
                            expected: format!("of length {}", m.expected.trim_start_matches("= ")),
                            actual: format!("length {n}"),
                        })
                        .collect(),
                    None => vec![self.mismatch(format!("{}, which has no length", shown(actual)))],
                };
            }
            Predicate::Type(name) => type_name(actual) == *name,
        };
        match holds {
            true => Vec::new(),
            false => vec![self.mismatch(self.actual(actual))],
        }
    }

    fn mismatch(&self, actual: String) -> Mismatch {
        Mismatch {
            expected: self.to_string(),
            actual,
        }
    }

    /// `actual` as a failure shows it: numbers given as strings as the
    /// numbers they are compared as, the type next to the value for `type`.
    fn actual(&self, actual: &Value) -> String {
        match (self, actual) {
            (Predicate::Compare(..), Value::String(text)) if number(actual).is_some() => {
                text.trim().to_owned()
            }
            (Predicate::Type(_), Value::Null) => "null".to_owned(),
            (Predicate::Type(_), _) => format!("{} {}", type_name(actual), shown(actual)),
            _ => shown(actual),
        }
    }
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Predicate::Eq(value) => write!(f, "= {}", shown(value)),
            Predicate::Ne(value) => write!(f, "!= {}", shown(value)),
            Predicate::Compare(order, bound) => write!(f, "{} {bound}", order.symbol()),
            Predicate::Contains(value) => write!(f, "containing {}", shown(value)),
            Predicate::Matches(pattern) => write!(f, "matching /{pattern}/"),
            Predicate::Exists(true) => write!(f, "present"),
            Predicate::Exists(false) => write!(f, "absent"),
            Predicate::Len(rules) => {
                let rules: Vec<String> = rules
                    .iter()
                    .map(|rule| rule.to_string().trim_start_matches("= ").to_owned())
                    .collect();
                write!(f, "of length {}", rules.join(" and "))
            }
            Predicate::Type(name) => write!(f, "of type {name}"),
        }
    }
}

impl Order {
    fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Order::Lt => value < bound,
            Order::Lte => value <= bound,
            Order::Gt => value > bound,
            Order::Gte => value >= bound,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Order::Lt => "<",
            Order::Lte => "<=",
            Order::Gt => ">",
            Order::Gte => ">=",
        }
    }
}

/// The number a comparison is made against: a number, or a string holding
/// one (an interpolated `"${MIN_UPTIME}"`).
fn bound(name: &str, value: &Value) -> Result<f64, String> {
    number(value)
        .filter(|n| n.is_finite())
        .ok_or_else(|| format!("`{name}` takes a number, not {}", shown(value)))
}

/// `len = 0` or `len = { gte = 1 }`: comparisons of a length.
fn length(value: &Value) -> Result<Vec<Predicate>, String> {
    let wrong = || {
        format!(
            "`len` takes a length (0 or more) or a table of comparisons such as \
             `{{ gte = 1 }}`, not {}",
            shown(value)
        )
    };
    match value {
        Value::Number(n) => match n.as_u64() {
            Some(n) => Ok(vec![Predicate::Eq(Value::from(n))]),
            None => Err(wrong()),
        },
        Value::Object(table) if !table.is_empty() => table
            .iter()
            .map(|(name, value)| match name.as_str() {
                "eq" | "ne" | "lt" | "lte" | "gt" | "gte" if number(value).is_some() => {
                    Predicate::parse(name, value)
                }
                "eq" | "ne" | "lt" | "lte" | "gt" | "gte" => Err(wrong()),
                other => Err(suggest::unknown(
                    "length comparison",
                    other,
                    &["eq", "ne", "lt", "lte", "gt", "gte"],
                )),
            })
            .collect(),
        _ => Err(wrong()),
    }
}

/// The number in `value`: a JSON number, or a string that holds one.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    }
}

/// Equal JSON values: numbers by value (`1 == 1.0`; integers exactly,
/// beyond what a float holds); a number and a string holding a number
/// compare as numbers.
pub fn equal(actual: &Value, want: &Value) -> bool {
    match (actual, want) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i128(), y.as_i128()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::String(_), Value::Number(_)) | (Value::Number(_), Value::String(_)) => {
            same_number(actual, want)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => actual == want,
    }
}

/// A number and a string holding one (a captured value, a Prometheus
/// sample) compared as numbers: integers exactly, else as floats.
fn same_number(a: &Value, b: &Value) -> bool {
    let integer = |v: &Value| match v {
        Value::Number(n) => n.as_i128(),
        Value::String(text) => text.trim().parse::<i128>().ok(),
        _ => None,
    };
    match (integer(a), integer(b)) {
        (Some(x), Some(y)) => x == y,
        _ => matches!((number(a), number(b)), (Some(x), Some(y)) if x == y),
    }
}

fn contains(actual: &Value, want: &Value) -> bool {
    match (actual, want) {
        (Value::String(text), Value::String(needle)) => text.contains(needle.as_str()),
        (Value::Array(items), want) => items.iter().any(|item| equal(item, want)),
        _ => false,
    }
}

fn len(value: &Value) -> Option<usize> {
    match value {
        Value::String(text) => Some(text.chars().count()),
        Value::Array(items) => Some(items.len()),
        Value::Object(map) => Some(map.len()),
        _ => None,
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `value` as compact JSON, cut to `SHOWN` characters with `…`.
pub fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.chars().count() > SHOWN {
        true => format!("{}…", text.chars().take(SHOWN).collect::<String>()),
        false => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(expected: Value, actual: Option<Value>) -> Vec<(String, String)> {
        Expected::parse(&expected)
            .unwrap()
            .check(actual.as_ref())
            .into_iter()
            .map(|m| (m.expected, m.actual))
            .collect()
    }

    fn holds(expected: Value, actual: Value) -> bool {
        check(expected, Some(actual)).is_empty()
    }

    fn pair(expected: &str, actual: &str) -> Vec<(String, String)> {
        vec![(expected.to_owned(), actual.to_owned())]
    }

    #[test]
    fn comparisons_read_numbers_in_strings() {
        assert!(holds(json!({"gte": 0.999}), json!("0.9993")));
        assert_eq!(
            check(json!({"gte": 0.999}), Some(json!("0.9812"))),
            pair(">= 0.999", "0.9812")
        );
        assert!(holds(json!({"lt": 0.001}), json!(0)));
        assert!(!holds(json!({"lt": 0.001}), json!(0.001)));
        assert!(holds(json!({"lte": 5}), json!(5)));
        assert!(holds(json!({"gt": 0.2}), json!(0.25)));
        assert!(!holds(json!({"gt": 0.2}), json!("NaN")));
        assert_eq!(
            check(json!({"gt": 1}), Some(json!("high"))),
            pair("> 1", "\"high\"")
        );
    }

    #[test]
    fn equality() {
        assert!(holds(json!(0), json!("0")));
        assert!(holds(json!({"eq": 1}), json!(1.0)));
        assert!(holds(json!("42"), json!(42)));
        assert!(!holds(json!("42"), json!(43)));
        assert!(!holds(json!("forty-two"), json!(42)));
        assert_eq!(
            check(json!({"ne": "down"}), Some(json!("down"))),
            pair("!= \"down\"", "\"down\"")
        );
        assert!(holds(json!({"eq": {"a": 1}}), json!({"a": 1})));
        assert!(holds(json!({"up": true}), json!({"up": true})));
    }

    #[test]
    fn a_missing_value_fails_all_but_absence() {
        assert_eq!(check(json!({"ne": 0}), None), pair("!= 0", "not found"));
        assert_eq!(
            check(json!({"exists": true}), None),
            pair("present", "not found")
        );
        assert!(check(json!({"exists": false}), None).is_empty());
        assert_eq!(
            check(json!({"exists": false}), Some(json!(3))),
            pair("absent", "3")
        );
    }

    #[test]
    fn contains_matches_len_and_type() {
        assert!(holds(json!({"contains": "ok"}), json!("all ok")));
        assert!(holds(json!({"contains": 3}), json!([1, 2, 3])));
        assert!(!holds(json!({"contains": "x"}), json!({"x": 1})));
        assert!(holds(json!({"matches": "^v\\d+"}), json!("v12")));
        assert!(!holds(json!({"matches": "^v\\d+"}), json!(12)));
        assert_eq!(
            check(json!({"len": 0}), Some(json!(["e1", "e2"]))),
            pair("of length 0", "length 2")
        );
        assert!(holds(json!({"len": {"gte": 1}}), json!({"a": 1})));
        assert_eq!(
            check(json!({"len": {"gte": 1}}), Some(json!([]))),
            pair("of length >= 1", "length 0")
        );
        assert_eq!(
            check(json!({"len": 1}), Some(json!(true))),
            pair("of length 1", "true, which has no length")
        );
        assert_eq!(
            check(json!({"type": "string"}), Some(json!(5))),
            pair("of type string", "number 5")
        );
        assert!(holds(json!({"type": "null"}), json!(null)));
    }

    #[test]
    fn every_predicate_of_a_table_is_checked() {
        assert_eq!(
            check(json!({"gt": 1, "lt": 0}), Some(json!(0.5))),
            vec![
                ("> 1".to_owned(), "0.5".to_owned()),
                ("< 0".to_owned(), "0.5".to_owned())
            ]
        );
    }

    #[test]
    fn mistakes_have_messages() {
        let error = |value: Value| Expected::parse(&value).unwrap_err();
        assert_eq!(
            error(json!({"gtee": 1})),
            "unknown predicate `gtee`, did you mean `gte`? (to compare with an object, write \
             `{ eq = { ... } }`)"
        );
        assert!(
            error(json!({"gte": 1, "lenn": 2}))
                .starts_with("unknown predicate `lenn`, did you mean `len`?")
        );
        assert_eq!(
            error(json!({"gte": "high"})),
            "`gte` takes a number, not \"high\""
        );
        assert!(error(json!({"contains": ""})).contains("empty"));
        assert!(error(json!({"matches": ".*"})).contains("matches any text"));
        assert_eq!(
            error(json!({"exists": "yes"})),
            "`exists` takes true or false, not \"yes\""
        );
        assert!(error(json!({"len": -1})).starts_with("`len` takes a length"));
        assert!(error(json!({"len": {"most": 3}})).starts_with("unknown length comparison `most`"));
        assert!(error(json!({"type": "int"})).starts_with("`type` takes one of \"string\""));
        assert!(matches!(
            Expected::parse(&json!({"name": "x"})),
            Ok(Expected::Equal(_))
        ));
        assert!(matches!(
            Expected::parse(&json!({"gte": "0.5"})),
            Ok(Expected::All(_))
        ));
    }
}
