//! The assertion vocabulary: evaluates a scenario check against a response.

use serde_json::Value;

use crate::scenario::model::Expect;

/// What a check sees of a response.
#[derive(Debug, Clone)]
pub struct Observed {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON, when it is JSON.
    pub json: Option<Value>,
}

/// `Ok` when the expectation holds; otherwise what was seen instead (no secrets: checks
/// only quote statuses, header values named by the scenario and JSON fields).
pub fn evaluate(expect: &Expect, seen: &Observed) -> Result<(), String> {
    let location = seen
        .headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok());
    let location_param = |name: &str| {
        location
            .and_then(|l| url::Url::parse(l).ok())
            .and_then(|u| {
                u.query_pairs()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.into_owned())
            })
    };
    let at = |pointer: &str| seen.json.as_ref().and_then(|j| j.pointer(pointer));
    let json_missing = |pointer: &str| match &seen.json {
        None => "the body is not JSON".to_string(),
        Some(_) => format!("nothing at {pointer}"),
    };
    match expect {
        Expect::Status { value } => (seen.status == *value)
            .then_some(())
            .ok_or_else(|| format!("status {} instead of {value}", seen.status)),
        Expect::StatusIn { values } => values
            .contains(&seen.status)
            .then_some(())
            .ok_or_else(|| format!("status {} instead of one of {values:?}", seen.status)),
        Expect::HeaderStartsWith { name, prefix } => {
            header_holds(seen, name, |v| v.starts_with(prefix.as_str()))
        }
        Expect::HeaderContains { name, text } => {
            header_holds(seen, name, |v| v.contains(text.as_str()))
        }
        Expect::JsonAbsent { pointer } => match (&seen.json, at(pointer)) {
            (None, _) => Err("the body is not JSON".into()),
            (Some(_), Some(v)) if !v.is_null() => Err(format!("{pointer} is present")),
            _ => Ok(()),
        },
        Expect::JsonEquals { pointer, value } => match at(pointer) {
            Some(v) if v == value => Ok(()),
            Some(v) => Err(format!("{pointer} is {v} instead of {value}")),
            None => Err(json_missing(pointer)),
        },
        Expect::JsonPresent { pointer } => match at(pointer) {
            Some(v) if !v.is_null() => Ok(()),
            _ => Err(json_missing(pointer)),
        },
        Expect::JsonContains { pointer, value } => match at(pointer).and_then(Value::as_array) {
            Some(a) if a.contains(value) => Ok(()),
            Some(a) => Err(format!(
                "{pointer} is {} without {value}",
                Value::Array(a.clone())
            )),
            None => Err(json_missing(pointer)),
        },
        Expect::JsonLacks { pointer, value } => match at(pointer).and_then(Value::as_array) {
            Some(a) if a.contains(value) => Err(format!("{pointer} contains {value}")),
            _ => Ok(()),
        },
        Expect::NoLocation => match location {
            None => Ok(()),
            Some(l) => Err(format!(
                "redirected ({}) to {}",
                seen.status,
                origin_and_path(l)
            )),
        },
        Expect::LocationStartsWith { prefix } => match location {
            Some(l) if l.starts_with(prefix.as_str()) => Ok(()),
            Some(l) => Err(format!("redirected to {}", origin_and_path(l))),
            None => Err(format!("status {} without a redirect", seen.status)),
        },
        Expect::LocationParam { name, value } => match location_param(name) {
            Some(v) if &v == value => Ok(()),
            Some(_) if name == "code" => Err("a different code".into()),
            Some(v) => Err(format!("{name}={v} instead of {value}")),
            None => Err(format!(
                "no {name} in the redirect (status {})",
                seen.status
            )),
        },
        Expect::LocationHasParam { name } => match location_param(name) {
            Some(_) => Ok(()),
            None => Err(format!(
                "no {name} in the redirect (status {})",
                seen.status
            )),
        },
        Expect::JsonAtMost { pointer, value } => match at(pointer).and_then(Value::as_f64) {
            Some(n) if n <= *value => Ok(()),
            Some(n) => Err(format!("{pointer} is {n}, more than {value}")),
            None => Err(json_missing(pointer)),
        },
        Expect::JsonWordsWithin { pointer, allowed } => match at(pointer).and_then(Value::as_str) {
            Some(words) => {
                let extra: Vec<&str> = words
                    .split_whitespace()
                    .filter(|w| !allowed.iter().any(|a| a == w))
                    .collect();
                if extra.is_empty() {
                    Ok(())
                } else {
                    Err(format!("{pointer} also has {}", extra.join(" ")))
                }
            }
            None => Err(json_missing(pointer)),
        },
        Expect::JsonNumber { pointer, value } => {
            let want: f64 = value
                .parse()
                .map_err(|_| format!("{value} is not a number"))?;
            match at(pointer).and_then(Value::as_f64) {
                Some(n) if n == want => Ok(()),
                Some(n) => Err(format!("{pointer} is {n} instead of {want}")),
                None => Err(json_missing(pointer)),
            }
        }
        Expect::JsonAbsoluteUrl { pointer } => match at(pointer).and_then(Value::as_str) {
            Some(s) if url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) => {
                Ok(())
            }
            Some(s) => Err(format!("{pointer} is not an absolute URL: {s}")),
            None => Err(json_missing(pointer)),
        },
    }
}

/// A redirect target without its query: codes and tokens never reach a report.
fn origin_and_path(location: &str) -> String {
    location
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// `Ok` when header `name` is there and `holds`; otherwise what was there (cut short).
fn header_holds(seen: &Observed, name: &str, holds: impl Fn(&str) -> bool) -> Result<(), String> {
    match seen.headers.get(name).and_then(|v| v.to_str().ok()) {
        Some(v) if holds(v) => Ok(()),
        Some(v) => Err(format!(
            "{name}: {}",
            v.chars().take(120).collect::<String>()
        )),
        None => Err(format!("no {name} header")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seen(json: Value) -> Observed {
        Observed {
            status: 200,
            headers: Default::default(),
            json: Some(json),
        }
    }

    #[test]
    fn each_expectation_can_fail() {
        let s = seen(json!({"m": ["S256"], "u": "/relative", "a": "https://x/y", "n": 7}));
        let pass = [
            Expect::Status { value: 200 },
            Expect::JsonContains {
                pointer: "/m".into(),
                value: json!("S256"),
            },
            Expect::JsonLacks {
                pointer: "/m".into(),
                value: json!("plain"),
            },
            Expect::JsonAbsoluteUrl {
                pointer: "/a".into(),
            },
            Expect::JsonPresent {
                pointer: "/u".into(),
            },
            Expect::JsonEquals {
                pointer: "/u".into(),
                value: json!("/relative"),
            },
            Expect::JsonAtMost {
                pointer: "/n".into(),
                value: 7.0,
            },
            Expect::JsonNumber {
                pointer: "/n".into(),
                value: "7".into(),
            },
        ];
        for e in &pass {
            assert_eq!(evaluate(e, &s), Ok(()), "{e:?}");
        }
        let fail = [
            Expect::Status { value: 404 },
            Expect::JsonContains {
                pointer: "/m".into(),
                value: json!("plain"),
            },
            Expect::JsonLacks {
                pointer: "/m".into(),
                value: json!("S256"),
            },
            Expect::JsonAbsoluteUrl {
                pointer: "/u".into(),
            },
            Expect::JsonPresent {
                pointer: "/missing".into(),
            },
            Expect::HeaderStartsWith {
                name: "content-type".into(),
                prefix: "application/json".into(),
            },
            Expect::JsonAtMost {
                pointer: "/n".into(),
                value: 6.0,
            },
            Expect::JsonNumber {
                pointer: "/n".into(),
                value: "8".into(),
            },
            Expect::JsonNumber {
                pointer: "/n".into(),
                value: "{record_size}".into(),
            },
        ];
        for e in &fail {
            assert!(evaluate(e, &s).is_err(), "{e:?}");
        }
    }
}
