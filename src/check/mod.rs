//! The check language: a check is a [`Query`] and a [`Predicate`], tied to a requirement,
//! applied only when its `when` conditions (query and predicate too) hold. Captures use the
//! same queries. Nothing here knows about scenario files or HTTP sessions: a check judges an
//! [`Observed`] step, and a [`Lookup`] gives variables and earlier steps.
//!
//! ```toml
//! [[case.step.check]]
//! requirement = "TOKEN-REFRESH"
//! query = "step first json /refresh_token"
//! not_equals = "{refresh_token}"
//! when = { query = "json /refresh_token", present = true }
//! ```

pub mod challenge;
pub mod predicate;
pub mod query;

use std::fmt;

use serde_json::{Map, Value};

pub use predicate::{Predicate, eval_predicate};
pub use query::{Query, QueryError, QueryResult, SummaryKind, eval_query};

/// A malformed query, predicate or check, in words (the scenario reader adds the file, the
/// line, the case and the step).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SyntaxError(pub String);

impl From<String> for SyntaxError {
    fn from(message: String) -> SyntaxError {
        SyntaxError(message)
    }
}

impl From<&str> for SyntaxError {
    fn from(message: &str) -> SyntaxError {
        SyntaxError(message.to_string())
    }
}

/// What a query saw when an assertion did not hold (never a secret): the detail of a failed
/// check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Mismatch(pub String);

impl From<String> for Mismatch {
    fn from(seen: String) -> Mismatch {
        Mismatch(seen)
    }
}

impl From<&str> for Mismatch {
    fn from(seen: &str) -> Mismatch {
        Mismatch(seen.to_string())
    }
}

/// What a step saw: a response, or the summary of a flow (login, walk, jwt).
#[derive(Debug, Clone)]
pub struct Observed {
    /// The step's kind (`request`, `login`, `walk`, ...), for messages.
    pub kind: &'static str,
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    /// The body as text, when there was one.
    pub body: Option<String>,
    /// The body as JSON, when it is JSON.
    pub json: Option<Value>,
    /// A flow step's summary (see scenarios/README.md).
    pub summary: Option<(SummaryKind, Value)>,
}

impl Observed {
    /// A request step's response.
    pub fn response(status: u16, headers: reqwest::header::HeaderMap, body: Vec<u8>) -> Observed {
        let json = serde_json::from_slice(&body).ok();
        let body = (!body.is_empty()).then(|| String::from_utf8_lossy(&body).into_owned());
        Observed {
            kind: "request",
            status,
            headers,
            body,
            json,
            summary: None,
        }
    }

    /// A step that sees nothing (a wait).
    pub fn nothing(kind: &'static str) -> Observed {
        Observed {
            kind,
            status: 0,
            headers: Default::default(),
            body: None,
            json: None,
            summary: None,
        }
    }

    /// A flow step's summary.
    pub fn summary(kind: SummaryKind, status: u16, summary: Value) -> Observed {
        Observed {
            kind: kind.name(),
            status,
            headers: Default::default(),
            body: None,
            json: None,
            summary: Some((kind, summary)),
        }
    }
}

/// Where queries find variables and earlier steps.
pub trait Lookup {
    fn var(&self, name: &str) -> Option<Value>;
    /// The observation of the earlier step with this `id`.
    fn step(&self, id: &str) -> Option<&Observed>;
}

/// No variables and no earlier steps.
pub struct NoLookup;

impl Lookup for NoLookup {
    fn var(&self, _: &str) -> Option<Value> {
        None
    }
    fn step(&self, _: &str) -> Option<&Observed> {
        None
    }
}

/// A query and what it must satisfy.
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion {
    pub query: Query,
    pub predicate: Predicate,
}

/// A check: an assertion tied to a requirement, and the conditions under which it applies.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub requirement: String,
    pub assertion: Assertion,
    /// Every condition must hold for the check to apply; otherwise it is not applicable.
    pub when: Vec<Assertion>,
}

/// The conditions of a `when` (of a check or a step): one condition table or a list of them.
pub fn conditions_from(when: Option<Value>) -> Result<Vec<Assertion>, SyntaxError> {
    let items = match when {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(one) => vec![one],
    };
    items
        .into_iter()
        .map(|c| match c {
            Value::Object(mut t) => Assertion::from_table(&mut t, &[]),
            _ => Err("`when` is a condition table or a list of them".into()),
        })
        .collect::<Result<_, SyntaxError>>()
        .map_err(|e| SyntaxError(format!("when: {e}")))
}

/// What a check came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Holds,
    /// What was seen instead (no secrets).
    Fails(String),
    /// A `when` condition did not hold: the rule does not apply to this answer.
    NotApplicable(String),
}

/// Judges `check` on `seen`.
pub fn eval_check(check: &Check, seen: &Observed, lookup: &dyn Lookup) -> Verdict {
    for condition in &check.when {
        if let Err(Mismatch(detail)) = eval_assertion(condition, seen, lookup) {
            return Verdict::NotApplicable(format!("not applicable: {condition} ({detail})"));
        }
    }
    match eval_assertion(&check.assertion, seen, lookup) {
        Ok(()) => Verdict::Holds,
        Err(Mismatch(detail)) => Verdict::Fails(detail),
    }
}

/// `Ok` when the assertion holds; otherwise what its query saw, with the status for context.
pub fn eval_assertion(a: &Assertion, seen: &Observed, lookup: &dyn Lookup) -> Result<(), Mismatch> {
    // The status says what kind of answer it was, unless the query reads it or a summary.
    let context = |detail: &dyn fmt::Display| match (&a.query, &seen.summary) {
        (Query::Status, _) | (_, Some(_)) => Mismatch(format!("{}: {detail}", a.query)),
        _ => Mismatch(format!("{}: {detail} (status {})", a.query, seen.status)),
    };
    let value = eval_query(&a.query, seen, lookup).map_err(|e| context(&e))?;
    let quote = |v: &Value| quote(&a.query, v);
    eval_predicate(&a.predicate, value.as_ref(), &quote).map_err(|e| context(&e))
}

/// A seen value as a message may show it: never a secret, a redirect without its query,
/// long texts cut short.
fn quote(query: &Query, v: &Value) -> String {
    const LONG: usize = 120;
    if query.reads_secret() {
        return crate::transcript::redact::REDACTED.into();
    }
    let text = match (query, v) {
        (Query::Location, Value::String(l)) => {
            let cut = l.split(['?', '#']).next().unwrap_or_default();
            return format!("\"{cut}\" (query not shown)");
        }
        (_, v) => v.to_string(),
    };
    if text.chars().count() > LONG {
        format!("{}…", text.chars().take(LONG).collect::<String>())
    } else {
        text
    }
}

impl fmt::Display for Assertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.query, self.predicate)
    }
}

impl fmt::Display for Check {
    /// The check in words (`{var}` as written), as reports show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.assertion)?;
        for (i, c) in self.when.iter().enumerate() {
            write!(f, "{} {c}", if i == 0 { ", when" } else { " and" })?;
        }
        Ok(())
    }
}

impl Assertion {
    /// Reads `query` and exactly one predicate from a table; `also` names the other keys
    /// the table may hold.
    pub fn from_table(
        table: &mut Map<String, Value>,
        also: &[&str],
    ) -> Result<Assertion, SyntaxError> {
        if table.contains_key("expect") {
            return Err(
                "`expect` is the old check format: write `query` and one predicate \
                        (scenarios/README.md)"
                    .into(),
            );
        }
        let query = match table.remove("query") {
            Some(Value::String(q)) => q.parse().map_err(|e| SyntaxError(format!("query: {e}")))?,
            Some(other) => return Err(format!("`query` is a text, not {other}").into()),
            None => return Err("a check needs `query`".into()),
        };
        let keys: Vec<String> = table
            .keys()
            .filter(|k| predicate::KEYS.contains(&k.as_str()))
            .cloned()
            .collect();
        let key = match keys.as_slice() {
            [one] => one.clone(),
            [] => {
                return Err(format!(
                    "a check needs one predicate: {}",
                    predicate::KEYS.join(", ")
                )
                .into());
            }
            many => {
                return Err(format!("one predicate per check, not {}", many.join(" and ")).into());
            }
        };
        if let Some(unknown) = table
            .keys()
            .find(|k| **k != key && !also.contains(&k.as_str()))
        {
            return Err(format!(
                "unknown field `{unknown}` (a check has requirement, query, when and one \
                 predicate)"
            )
            .into());
        }
        let value = table.remove(&key).expect("the key is there");
        let predicate = Predicate::from_entry(&key, value)?;
        Ok(Assertion { query, predicate })
    }

    /// The table this assertion is written as.
    pub fn to_table(&self) -> Map<String, Value> {
        let (key, value) = self.predicate.to_entry();
        let mut t = Map::new();
        t.insert("query".into(), Value::String(self.query.to_string()));
        t.insert(key.into(), value);
        t
    }
}

impl Check {
    /// Reads a check table: `requirement`, `query`, one predicate and optional `when` (a
    /// condition table or a list of them).
    pub fn from_json(value: Value) -> Result<Check, SyntaxError> {
        let Value::Object(mut table) = value else {
            return Err("a check is a table".into());
        };
        let requirement = match table.remove("requirement") {
            Some(Value::String(r)) => r,
            _ => return Err("a check needs `requirement` (a requirement id)".into()),
        };
        let when = conditions_from(table.remove("when"))?;
        let assertion = Assertion::from_table(&mut table, &[])?;
        Ok(Check {
            requirement,
            assertion,
            when,
        })
    }

    /// The table this check is written as (the inverse of [`Check::from_json`]).
    pub fn to_json(&self) -> Value {
        let mut t = self.assertion.to_table();
        t.insert(
            "requirement".into(),
            Value::String(self.requirement.clone()),
        );
        if !self.when.is_empty() {
            let when = self.when.iter().map(|c| Value::Object(c.to_table()));
            t.insert("when".into(), Value::Array(when.collect()));
        }
        Value::Object(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token_answer(body: Value) -> Observed {
        Observed::response(200, Default::default(), body.to_string().into_bytes())
    }

    #[test]
    fn a_check_reads_one_query_and_one_predicate() {
        let c = Check::from_json(json!({
            "requirement": "R", "query": "json /error", "equals": "invalid_grant",
        }))
        .unwrap();
        assert_eq!(c.to_string(), "json /error = \"invalid_grant\"");
        assert_eq!(Check::from_json(c.to_json()), Ok(c));
    }

    #[test]
    fn malformed_checks_name_what_is_wrong() {
        for (table, says) in [
            (
                json!({"requirement": "R", "expect": "status", "value": 200}),
                "old check format",
            ),
            (json!({"requirement": "R", "equals": 1}), "needs `query`"),
            (
                json!({"requirement": "R", "query": "status"}),
                "needs one predicate",
            ),
            (
                json!({"requirement": "R", "query": "status", "equals": 1, "less": 2}),
                "one predicate per check",
            ),
            (
                json!({"requirement": "R", "query": "status", "equals": 1, "valeu": 2}),
                "unknown field `valeu`",
            ),
            (
                json!({"query": "status", "equals": 1}),
                "needs `requirement`",
            ),
            (
                json!({"requirement": "R", "query": "stats", "equals": 1}),
                "unknown query `stats`",
            ),
            (
                json!({"requirement": "R", "query": "status", "equals": 1, "when": 3}),
                "when:",
            ),
        ] {
            let err = Check::from_json(table).unwrap_err();
            assert!(err.0.contains(says), "{err} lacks {says}");
        }
    }

    #[test]
    fn when_makes_a_rule_conditional() {
        let c = Check::from_json(json!({
            "requirement": "R", "query": "json /scope", "words_within": ["a", "b"],
            "when": {"query": "json /scope", "present": true},
        }))
        .unwrap();
        assert_eq!(
            c.to_string(),
            "json /scope only from: a b, when json /scope present"
        );
        let judge = |body: Value| eval_check(&c, &token_answer(body), &NoLookup);
        assert_eq!(judge(json!({"scope": "a"})), Verdict::Holds);
        assert!(matches!(judge(json!({"scope": "a c"})), Verdict::Fails(_)));
        assert!(
            matches!(judge(json!({})), Verdict::NotApplicable(d) if d.starts_with("not applicable"))
        );
    }

    #[test]
    fn failures_quote_what_was_seen_but_never_a_secret() {
        let c = |q: &str, pred: Value| {
            let mut t = json!({"requirement": "R", "query": q});
            t.as_object_mut()
                .unwrap()
                .extend(pred.as_object().unwrap().clone());
            Check::from_json(t).unwrap()
        };
        let seen = token_answer(json!({"access_token": "s3cr3t-token", "error": "x"}));
        let fails = |check: &Check| match eval_check(check, &seen, &NoLookup) {
            Verdict::Fails(d) => d,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            fails(&c("json /error", json!({"equals": "y"}))),
            "json /error: \"x\" (wanted = \"y\") (status 200)"
        );
        assert_eq!(
            fails(&c("status", json!({"equals": 400}))),
            "status: 200 (wanted = 400)"
        );
        let secret = fails(&c("json /access_token", json!({"absent": true})));
        assert!(!secret.contains("s3cr3t"), "{secret}");
        assert_eq!(
            fails(&c("json /nope", json!({"present": true}))),
            "json /nope: nothing there (status 200)"
        );
        let mut redirect = token_answer(json!({}));
        redirect
            .headers
            .insert("location", "https://app/cb?code=abcd".parse().unwrap());
        let d = match eval_check(
            &c("location", json!({"absent": true})),
            &redirect,
            &NoLookup,
        ) {
            Verdict::Fails(d) => d,
            other => panic!("{other:?}"),
        };
        assert!(d.contains("https://app/cb") && !d.contains("abcd"), "{d}");
    }
}
