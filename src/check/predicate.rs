//! Predicates: what a check claims about a query's value. One small function per kind; each
//! says what it saw when the claim does not hold. A missing value (nothing at the query)
//! fails every predicate but `absent` and `not_contains`; JSON `null` counts as missing.
//!
//! ```toml
//! equals = 200                 not_equals = "plain"         one_of = [400, 401]
//! contains = "S256"            not_contains = "plain"       starts_with = "application/json"
//! matches = "^Bearer "         present = true               absent = true
//! less = 10                    less_or_equal = 50           greater = 0
//! greater_or_equal = 1         count = 3                    count = { greater = 0 }
//! every_item = { starts_with = "https://" }                 words_within = ["openid", "fhirUser"]
//! absolute_url = true          same_origin = "{patient_access}"
//! ```

use std::fmt;

use serde_json::Value;

use super::{Mismatch, SyntaxError};

/// A claim about a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    Equals(Value),
    NotEquals(Value),
    OneOf(Vec<Value>),
    /// A list holds the item, or a text holds the substring.
    Contains(Value),
    /// The negation of `contains`; a missing value holds it (nothing contains nothing).
    NotContains(Value),
    StartsWith(String),
    Matches(Regex),
    Present,
    Absent,
    Less(f64),
    LessOrEqual(f64),
    Greater(f64),
    GreaterOrEqual(f64),
    /// The number of items of a list, judged by the inner predicate (`count = 3` is
    /// `count = { equals = 3 }`).
    Count(Box<Predicate>),
    /// Every item of a list holds the inner predicate (an empty list holds it).
    EveryItem(Box<Predicate>),
    /// Space-separated words (or a list of texts), each one of these.
    WordsWithin(Vec<String>),
    /// An absolute `http` or `https` URL.
    AbsoluteUrl,
    /// A URL with the same scheme, host and port as this one.
    SameOrigin(String),
}

/// A compiled regular expression that compares by its source.
#[derive(Debug, Clone)]
pub struct Regex(pub regex::Regex);

impl PartialEq for Regex {
    fn eq(&self, other: &Regex) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

/// The predicate keys of a check table, as scenario files write them.
pub const KEYS: [&str; 18] = [
    "equals",
    "not_equals",
    "one_of",
    "contains",
    "not_contains",
    "starts_with",
    "matches",
    "present",
    "absent",
    "less",
    "less_or_equal",
    "greater",
    "greater_or_equal",
    "count",
    "every_item",
    "words_within",
    "absolute_url",
    "same_origin",
];

/// `Ok` when `predicate` holds of `value`; otherwise what was seen instead. `quote`
/// renders a seen value for the message (it hides secrets).
pub fn eval_predicate(
    predicate: &Predicate,
    value: Option<&Value>,
    quote: &dyn Fn(&Value) -> String,
) -> Result<(), Mismatch> {
    let value = value.filter(|v| !v.is_null());
    match (predicate, value) {
        (Predicate::Absent, None) => Ok(()),
        (Predicate::Absent, Some(v)) => Err(format!("present: {}", quote(v)).into()),
        (Predicate::NotContains(_), None) => Ok(()),
        (_, None) => Err("nothing there".into()),
        (p, Some(v)) => eval_on(p, v, quote),
    }
}

fn eval_on(
    predicate: &Predicate,
    v: &Value,
    quote: &dyn Fn(&Value) -> String,
) -> Result<(), Mismatch> {
    let seen = || quote(v);
    let holds = |ok: bool| {
        if ok {
            Ok(())
        } else {
            Err(format!("{} (wanted {predicate})", seen()).into())
        }
    };
    match predicate {
        Predicate::Equals(want) => holds(same(v, want)),
        Predicate::NotEquals(want) => holds(!same(v, want)),
        Predicate::OneOf(wants) => holds(wants.iter().any(|w| same(v, w))),
        Predicate::Contains(want) => contains(v, want).map_or_else(Err, holds),
        Predicate::NotContains(want) => match contains(v, want)? {
            true => Err(format!("{} holds {}", seen(), want).into()),
            false => Ok(()),
        },
        Predicate::StartsWith(prefix) => holds(text(v)?.starts_with(prefix.as_str())),
        Predicate::Matches(re) => holds(re.0.is_match(text(v)?)),
        Predicate::Present => Ok(()),
        Predicate::Absent => unreachable!("handled before"),
        Predicate::Less(n) => holds(number(v)? < *n),
        Predicate::LessOrEqual(n) => holds(number(v)? <= *n),
        Predicate::Greater(n) => holds(number(v)? > *n),
        Predicate::GreaterOrEqual(n) => holds(number(v)? >= *n),
        Predicate::Count(inner) => {
            let n = Value::from(list(v)?.len());
            eval_on(inner, &n, &|n| format!("{n} items"))
        }
        Predicate::EveryItem(inner) => {
            for (i, item) in list(v)?.iter().enumerate() {
                eval_predicate(inner, Some(item), quote).map_err(|e| format!("item {i}: {e}"))?;
            }
            Ok(())
        }
        Predicate::WordsWithin(allowed) => {
            let words: Vec<&str> = match v {
                Value::Array(items) => items.iter().map(text).collect::<Result<_, _>>()?,
                other => text(other)?.split_whitespace().collect(),
            };
            let extra: Vec<&str> = words
                .into_iter()
                .filter(|w| !allowed.iter().any(|a| a == w))
                .collect();
            match extra.is_empty() {
                true => Ok(()),
                false => Err(format!("also has {}", extra.join(" ")).into()),
            }
        }
        Predicate::AbsoluteUrl => {
            let url = url::Url::parse(text(v)?);
            holds(url.is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
        }
        Predicate::SameOrigin(base) => {
            let origin = |s: &str| url::Url::parse(s).ok().map(|u| u.origin());
            let want = origin(base).ok_or_else(|| format!("{base} is not a URL"))?;
            holds(origin(text(v)?).is_some_and(|o| o == want))
        }
    }
}

/// JSON equality, with numbers compared by value (`7` equals `7.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) if a.is_number() && b.is_number() => x == y,
        _ => a == b,
    }
}

fn contains(v: &Value, want: &Value) -> Result<bool, Mismatch> {
    match (v, want) {
        (Value::Array(items), _) => Ok(items.iter().any(|i| same(i, want))),
        (Value::String(s), Value::String(w)) => Ok(s.contains(w.as_str())),
        _ => Err(format!("{} is not a list or a text", kind(v)).into()),
    }
}

fn text(v: &Value) -> Result<&str, Mismatch> {
    v.as_str()
        .ok_or_else(|| Mismatch(format!("{} is not a text", kind(v))))
}

fn number(v: &Value) -> Result<f64, Mismatch> {
    v.as_f64()
        .ok_or_else(|| Mismatch(format!("{} is not a number", kind(v))))
}

fn list(v: &Value) -> Result<&Vec<Value>, Mismatch> {
    v.as_array()
        .ok_or_else(|| Mismatch(format!("{} is not a list", kind(v))))
}

/// A value's JSON type, for messages that must not quote it.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl Predicate {
    /// Reads the predicate of table key `key` with its value.
    pub fn from_entry(key: &str, value: Value) -> Result<Predicate, SyntaxError> {
        let num = |v: &Value| {
            v.as_f64()
                .ok_or_else(|| SyntaxError(format!("`{key}` takes a number, not {v}")))
        };
        let flag = |v: &Value, p: Predicate| match v {
            Value::Bool(true) => Ok(p),
            _ => Err(SyntaxError(format!("write `{key} = true`"))),
        };
        let texts = |v: Value| -> Result<Vec<String>, SyntaxError> {
            serde_json::from_value(v)
                .map_err(|_| SyntaxError(format!("`{key}` takes a list of texts")))
        };
        let one_text = |v: Value| match v {
            Value::String(s) => Ok(s),
            other => Err(SyntaxError(format!("`{key}` takes a text, not {other}"))),
        };
        Ok(match key {
            "equals" => Predicate::Equals(value),
            "not_equals" => Predicate::NotEquals(value),
            "one_of" => match value {
                Value::Array(items) => Predicate::OneOf(items),
                _ => return Err("`one_of` takes a list".into()),
            },
            "contains" => Predicate::Contains(value),
            "not_contains" => Predicate::NotContains(value),
            "starts_with" => Predicate::StartsWith(one_text(value)?),
            "matches" => {
                let source = one_text(value)?;
                let re = regex::Regex::new(&source)
                    .map_err(|e| format!("`matches`: not a regular expression: {e}"))?;
                Predicate::Matches(Regex(re))
            }
            "present" => flag(&value, Predicate::Present)?,
            "absent" => flag(&value, Predicate::Absent)?,
            "absolute_url" => flag(&value, Predicate::AbsoluteUrl)?,
            "less" => Predicate::Less(num(&value)?),
            "less_or_equal" => Predicate::LessOrEqual(num(&value)?),
            "greater" => Predicate::Greater(num(&value)?),
            "greater_or_equal" => Predicate::GreaterOrEqual(num(&value)?),
            "count" => Predicate::Count(Box::new(Predicate::nested(key, value)?)),
            "every_item" => Predicate::EveryItem(Box::new(Predicate::nested(key, value)?)),
            // A list, or space-separated texts (a scope, `words_within = "{scope}"`, which
            // a list keeps as one item when it is written back and expanded).
            "words_within" => {
                let items = match value {
                    Value::String(words) => vec![words],
                    list => texts(list)?,
                };
                let words = items.iter().flat_map(|i| i.split_whitespace());
                Predicate::WordsWithin(words.map(String::from).collect())
            }
            "same_origin" => Predicate::SameOrigin(one_text(value)?),
            other => return Err(format!("unknown predicate `{other}`").into()),
        })
    }

    /// The inner predicate of `count` or `every_item`: a table with one predicate (a bare
    /// number for `count` means `equals`).
    fn nested(key: &str, value: Value) -> Result<Predicate, SyntaxError> {
        match value {
            Value::Object(map) if map.len() == 1 => {
                let (k, v) = map.into_iter().next().expect("one entry");
                Predicate::from_entry(&k, v).map_err(|e| SyntaxError(format!("`{key}`: {e}")))
            }
            n @ Value::Number(_) if key == "count" => Ok(Predicate::Equals(n)),
            _ => Err(format!(
                "`{key}` takes a table with one predicate, e.g. `{key} = {{ greater = 0 }}`"
            )
            .into()),
        }
    }

    /// The table key and value this predicate is written with (the inverse of
    /// [`Predicate::from_entry`]).
    pub fn to_entry(&self) -> (&'static str, Value) {
        let n = |x: &f64| serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number);
        let nested = |p: &Predicate| {
            let (k, v) = p.to_entry();
            Value::Object([(k.to_string(), v)].into_iter().collect())
        };
        match self {
            Predicate::Equals(v) => ("equals", v.clone()),
            Predicate::NotEquals(v) => ("not_equals", v.clone()),
            Predicate::OneOf(vs) => ("one_of", Value::Array(vs.clone())),
            Predicate::Contains(v) => ("contains", v.clone()),
            Predicate::NotContains(v) => ("not_contains", v.clone()),
            Predicate::StartsWith(s) => ("starts_with", Value::from(s.as_str())),
            Predicate::Matches(re) => ("matches", Value::from(re.0.as_str())),
            Predicate::Present => ("present", Value::Bool(true)),
            Predicate::Absent => ("absent", Value::Bool(true)),
            Predicate::AbsoluteUrl => ("absolute_url", Value::Bool(true)),
            Predicate::Less(x) => ("less", n(x)),
            Predicate::LessOrEqual(x) => ("less_or_equal", n(x)),
            Predicate::Greater(x) => ("greater", n(x)),
            Predicate::GreaterOrEqual(x) => ("greater_or_equal", n(x)),
            Predicate::Count(p) => ("count", nested(p)),
            Predicate::EveryItem(p) => ("every_item", nested(p)),
            Predicate::WordsWithin(ws) => ("words_within", Value::from(ws.clone())),
            Predicate::SameOrigin(s) => ("same_origin", Value::from(s.as_str())),
        }
    }
}

impl fmt::Display for Predicate {
    /// The claim in words, as reports show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Predicate::Equals(v) => write!(f, "= {v}"),
            Predicate::NotEquals(v) => write!(f, "≠ {v}"),
            Predicate::OneOf(vs) => {
                let vs: Vec<String> = vs.iter().map(Value::to_string).collect();
                write!(f, "one of {}", vs.join(", "))
            }
            Predicate::Contains(v) => write!(f, "contains {v}"),
            Predicate::NotContains(v) => write!(f, "lacks {v}"),
            Predicate::StartsWith(s) => write!(f, "starts with \"{s}\""),
            Predicate::Matches(re) => write!(f, "matches /{}/", re.0.as_str()),
            Predicate::Present => write!(f, "present"),
            Predicate::Absent => write!(f, "absent"),
            Predicate::Less(x) => write!(f, "< {x}"),
            Predicate::LessOrEqual(x) => write!(f, "<= {x}"),
            Predicate::Greater(x) => write!(f, "> {x}"),
            Predicate::GreaterOrEqual(x) => write!(f, ">= {x}"),
            Predicate::Count(p) => write!(f, "count {p}"),
            Predicate::EveryItem(p) => write!(f, "every item {p}"),
            Predicate::WordsWithin(ws) => write!(f, "only from: {}", ws.join(" ")),
            Predicate::AbsoluteUrl => write!(f, "is an absolute URL"),
            Predicate::SameOrigin(s) => write!(f, "same origin as {s}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(key: &str, value: Value) -> Predicate {
        Predicate::from_entry(key, value).unwrap()
    }

    fn check(pred: &Predicate, v: Option<Value>) -> Result<(), Mismatch> {
        eval_predicate(pred, v.as_ref(), &|v| v.to_string())
    }

    /// Each predicate with a value it holds of and one it does not.
    #[test]
    fn each_predicate_holds_and_fails() {
        let table: Vec<(&str, Value, Value, Value)> = vec![
            ("equals", json!(200), json!(200.0), json!(404)),
            ("equals", json!("a"), json!("a"), json!("b")),
            ("not_equals", json!("plain"), json!("S256"), json!("plain")),
            ("one_of", json!([400, 401]), json!(401), json!(200)),
            (
                "contains",
                json!("S256"),
                json!(["S256", "x"]),
                json!(["plain"]),
            ),
            (
                "contains",
                json!("no-store"),
                json!("private, no-store"),
                json!("private"),
            ),
            (
                "not_contains",
                json!("plain"),
                json!(["S256"]),
                json!(["plain"]),
            ),
            (
                "starts_with",
                json!("https://"),
                json!("https://a"),
                json!("http://a"),
            ),
            (
                "matches",
                json!("^Bearer [A-Za-z]+$"),
                json!("Bearer abc"),
                json!("Basic abc"),
            ),
            ("present", json!(true), json!(0), Value::Null),
            ("absent", json!(true), Value::Null, json!("x")),
            ("less", json!(10), json!(9), json!(10)),
            ("less_or_equal", json!(10), json!(10), json!(11)),
            ("greater", json!(0), json!(1), json!(0)),
            ("greater_or_equal", json!(1), json!(1), json!(0)),
            ("count", json!(2), json!([1, 2]), json!([1])),
            ("count", json!({"greater": 0}), json!([1]), json!([])),
            (
                "every_item",
                json!({"starts_with": "h"}),
                json!(["ha", "hb"]),
                json!(["ha", "x"]),
            ),
            (
                "words_within",
                json!(["openid", "fhirUser"]),
                json!("openid fhirUser"),
                json!("openid user/*.rs"),
            ),
            (
                "words_within",
                json!(["a"]),
                json!(["a"]),
                json!(["a", "b"]),
            ),
            (
                "absolute_url",
                json!(true),
                json!("https://x/y"),
                json!("/relative"),
            ),
            (
                "same_origin",
                json!("https://a:8443/fhir"),
                json!("https://a:8443/x?y"),
                json!("https://a/x"),
            ),
        ];
        for (key, arg, holds, fails) in table {
            let pred = p(key, arg);
            assert_eq!(
                check(&pred, Some(holds.clone())),
                Ok(()),
                "{pred} of {holds}"
            );
            assert!(
                check(&pred, Some(fails.clone())).is_err(),
                "{pred} of {fails}"
            );
        }
    }

    #[test]
    fn a_missing_value_fails_all_but_absent_and_not_contains() {
        for key in KEYS {
            let arg = match key {
                "present" | "absent" | "absolute_url" => json!(true),
                "one_of" | "words_within" => json!(["a"]),
                "count" => json!(1),
                "every_item" => json!({"present": true}),
                "less" | "less_or_equal" | "greater" | "greater_or_equal" => json!(1),
                _ => json!("a"),
            };
            let pred = p(key, arg);
            let holds = matches!(key, "absent" | "not_contains");
            assert_eq!(check(&pred, None).is_ok(), holds, "{key}");
            assert_eq!(
                check(&pred, Some(Value::Null)).is_ok(),
                holds,
                "{key} of null"
            );
        }
    }

    #[test]
    fn wrong_types_fail_without_quoting_the_value() {
        let err = check(&p("starts_with", json!("a")), Some(json!(3))).unwrap_err();
        assert_eq!(err.0, "a number is not a text");
        assert!(check(&p("less", json!(3)), Some(json!("2"))).is_err());
        assert!(check(&p("count", json!(0)), Some(json!("text"))).is_err());
    }

    #[test]
    fn entries_round_trip_and_bad_ones_are_refused() {
        for key in KEYS {
            let arg = match key {
                "present" | "absent" | "absolute_url" => json!(true),
                "one_of" | "words_within" => json!(["a"]),
                "count" | "every_item" => json!({"greater": 1.5}),
                "less" | "less_or_equal" | "greater" | "greater_or_equal" => json!(1.5),
                _ => json!("a"),
            };
            let pred = p(key, arg);
            let (k, v) = pred.to_entry();
            assert_eq!(Predicate::from_entry(k, v), Ok(pred));
        }
        for (key, bad) in [
            ("present", json!(false)),
            ("one_of", json!("a")),
            ("less", json!("1")),
            ("matches", json!("(")),
            ("count", json!({"a": 1, "b": 2})),
            ("every_item", json!(3)),
            ("nope", json!(1)),
        ] {
            assert!(Predicate::from_entry(key, bad).is_err(), "{key}");
        }
    }
}
