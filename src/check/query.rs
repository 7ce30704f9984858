//! Queries: what a check, a condition or a capture reads from a step's observation. One
//! parser and one [`eval_query`] serve all three; one small function per kind.
//!
//! ```text
//! status                     the status code
//! header content-type        the first value of a header (case-insensitive name)
//! headers cache-control      every value of a header, as a list
//! json /access_token         a JSON pointer into the body (`json` alone: the whole body)
//! location                   the Location header
//! location_param code        a query parameter of the Location URL (its first value)
//! location_params state      every value of that parameter, as a list
//! challenge_problems         the RFC 6750 3 syntax problems of the Bearer challenge
//! body                       the body as text
//! walk failed_pages          a field of a walk step's summary
//! login credentials_refused  a field of a login step's summary
//! jwt signature_valid        a field of a jwt step's summary
//! jwt_header kid             a member of the decoded JWT's header
//! jwt_claim iss              a claim of the decoded JWT
//! var patient_id             a variable's value
//! step first json /scope     a query of an earlier step (by its `id`)
//! ```

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use super::{Lookup, Observed, SyntaxError};

/// What to read.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    Status,
    Header(String),
    Headers(String),
    /// A JSON pointer; empty for the whole body.
    Json(String),
    Location,
    LocationParam(String),
    /// Every value of a parameter of the Location's query, in order.
    LocationParams(String),
    Body,
    /// The RFC 6750 3 syntax problems of the answer's Bearer challenge (`check::challenge`).
    ChallengeProblems,
    /// A field (or a pointer starting with `/`) of a flow step's summary.
    Summary(SummaryKind, String),
    JwtHeader(String),
    JwtClaim(String),
    Var(String),
    /// A query of the earlier step with this `id`.
    Step(String, Box<Query>),
}

/// The flow steps that summarise what they saw as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryKind {
    Walk,
    Login,
    Jwt,
}

impl SummaryKind {
    /// The step kind's name, as scenario files write it.
    pub fn name(self) -> &'static str {
        match self {
            SummaryKind::Walk => "walk",
            SummaryKind::Login => "login",
            SummaryKind::Jwt => "jwt",
        }
    }
}

/// A query's value: `Ok(None)` when nothing is there, `Err` when the query cannot be
/// evaluated on this step.
pub type QueryResult = Result<Option<Value>, QueryError>;

/// Why a query cannot be evaluated on a step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the body is not JSON")]
    NotJson,
    /// A summary query on another kind of step (`walk pages` on a request).
    #[error("`{0}` reads a {0} step's summary; this step is a {1} step", .wanted.name(), .got)]
    WrongStep {
        wanted: SummaryKind,
        got: &'static str,
    },
    #[error("step `{0}` has not run in this case")]
    StepNotRun(String),
}

/// Reads `query` from `seen`; `lookup` gives variables and earlier steps.
pub fn eval_query(query: &Query, seen: &Observed, lookup: &dyn Lookup) -> QueryResult {
    match query {
        Query::Status => Ok(Some(Value::from(seen.status))),
        Query::Header(name) => Ok(eval_header(seen, name)),
        Query::Headers(name) => Ok(Some(eval_headers(seen, name))),
        Query::Json(pointer) => eval_json(seen, pointer),
        Query::Location => Ok(eval_location(seen).map(Value::String)),
        Query::LocationParam(name) => Ok(eval_location_param(seen, name)),
        Query::LocationParams(name) => Ok(eval_location_params(seen, name)),
        Query::ChallengeProblems => Ok(eval_challenge(seen)),
        Query::Body => Ok(seen.body.clone().map(Value::String)),
        Query::Summary(kind, field) => eval_summary(seen, *kind, &pointer_of(field)),
        Query::JwtHeader(name) => eval_summary(seen, SummaryKind::Jwt, &member("header", name)),
        Query::JwtClaim(name) => eval_summary(seen, SummaryKind::Jwt, &member("claims", name)),
        Query::Var(name) => Ok(lookup.var(name)),
        Query::Step(id, inner) => match lookup.step(id) {
            Some(earlier) => eval_query(inner, earlier, lookup),
            None => Err(QueryError::StepNotRun(id.clone())),
        },
    }
}

fn eval_header(seen: &Observed, name: &str) -> Option<Value> {
    seen.headers
        .get(name)
        .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
}

fn eval_headers(seen: &Observed, name: &str) -> Value {
    let values = seen.headers.get_all(name).iter();
    Value::Array(
        values
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
    )
}

fn eval_json(seen: &Observed, pointer: &str) -> QueryResult {
    match &seen.json {
        None => Err(QueryError::NotJson),
        Some(json) => Ok(json.pointer(pointer).cloned()),
    }
}

fn eval_location(seen: &Observed) -> Option<String> {
    let value = seen.headers.get(reqwest::header::LOCATION)?;
    Some(String::from_utf8_lossy(value.as_bytes()).into_owned())
}

fn eval_location_param(seen: &Observed, name: &str) -> Option<Value> {
    let Some(Value::Array(values)) = eval_location_params(seen, name) else {
        return None;
    };
    values.into_iter().next()
}

fn eval_location_params(seen: &Observed, name: &str) -> Option<Value> {
    let location = eval_location(seen)?;
    // A relative Location is read against a placeholder base: only its query matters here.
    let base = url::Url::parse("http://relative.invalid/").ok()?;
    let url = base.join(&location).ok()?;
    let values = url.query_pairs().filter(|(n, _)| n == name);
    Some(Value::Array(
        values.map(|(_, v)| Value::String(v.into_owned())).collect(),
    ))
}

/// None without a `WWW-Authenticate` header; otherwise the list of problems (maybe empty).
fn eval_challenge(seen: &Observed) -> Option<Value> {
    let values: Vec<String> = seen
        .headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    if values.is_empty() {
        return None;
    }
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    let problems = super::challenge::problems(&values);
    Some(Value::Array(
        problems.into_iter().map(Value::String).collect(),
    ))
}

fn eval_summary(seen: &Observed, kind: SummaryKind, pointer: &str) -> QueryResult {
    match &seen.summary {
        Some((k, summary)) if *k == kind => Ok(summary.pointer(pointer).cloned()),
        _ => Err(QueryError::WrongStep {
            wanted: kind,
            got: seen.kind,
        }),
    }
}

/// `field` as a pointer: a name is one member, a string starting with `/` a pointer.
fn pointer_of(field: &str) -> String {
    if field.starts_with('/') {
        field.to_string()
    } else {
        format!("/{}", escape_pointer(field))
    }
}

fn member(object: &str, name: &str) -> String {
    format!("/{object}/{}", escape_pointer(name))
}

fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

impl Query {
    /// Whether a value read by this query is a secret by its name (a code in a redirect, a
    /// token in a token answer): reports then never quote it.
    pub fn reads_secret(&self) -> bool {
        let last = |s: &str| s.rsplit('/').next().unwrap_or_default().to_string();
        match self {
            Query::LocationParam(name) | Query::LocationParams(name) | Query::Var(name) => {
                crate::transcript::redact::is_secret_name(name)
            }
            Query::Json(pointer) => crate::transcript::redact::is_secret_name(&last(pointer)),
            Query::Header(name) | Query::Headers(name) => {
                crate::transcript::redact::is_secret_header(name)
            }
            Query::Body => false,
            Query::Step(_, inner) => inner.reads_secret(),
            _ => false,
        }
    }
}

impl FromStr for Query {
    type Err = SyntaxError;

    /// Parses the compact form above (words separated by single spaces or more).
    fn from_str(text: &str) -> Result<Query, SyntaxError> {
        let text = text.trim();
        let (word, rest) = match text.split_once(char::is_whitespace) {
            Some((w, r)) => (w, r.trim()),
            None => (text, ""),
        };
        let argument = |what: &str| -> Result<String, SyntaxError> {
            if rest.is_empty() || rest.contains(char::is_whitespace) {
                Err(format!("`{word}` takes one {what}: `{word} <{what}>`").into())
            } else {
                Ok(rest.to_string())
            }
        };
        let none = |q: Query| -> Result<Query, SyntaxError> {
            if rest.is_empty() {
                Ok(q)
            } else {
                Err(format!("`{word}` takes nothing after it").into())
            }
        };
        match word {
            "status" => none(Query::Status),
            "location" => none(Query::Location),
            "body" => none(Query::Body),
            "header" => Ok(Query::Header(argument("name")?.to_ascii_lowercase())),
            "headers" => Ok(Query::Headers(argument("name")?.to_ascii_lowercase())),
            "json" if rest.is_empty() => Ok(Query::Json(String::new())),
            "json" => {
                let pointer = argument("pointer")?;
                if !pointer.starts_with('/') {
                    return Err(format!("a JSON pointer starts with `/`: `{pointer}`").into());
                }
                Ok(Query::Json(pointer))
            }
            "location_param" => Ok(Query::LocationParam(argument("name")?)),
            "location_params" => Ok(Query::LocationParams(argument("name")?)),
            "challenge_problems" => none(Query::ChallengeProblems),
            "walk" => Ok(Query::Summary(SummaryKind::Walk, argument("field")?)),
            "login" => Ok(Query::Summary(SummaryKind::Login, argument("field")?)),
            "jwt" => Ok(Query::Summary(SummaryKind::Jwt, argument("field")?)),
            "jwt_header" => Ok(Query::JwtHeader(argument("name")?)),
            "jwt_claim" => Ok(Query::JwtClaim(argument("name")?)),
            "var" => Ok(Query::Var(argument("name")?)),
            "step" => {
                let (id, inner) = rest
                    .split_once(char::is_whitespace)
                    .ok_or("`step` takes an id and a query: `step <id> <query>`")?;
                Ok(Query::Step(id.to_string(), Box::new(inner.parse()?)))
            }
            "" => Err("an empty query".into()),
            other => Err(format!(
                "unknown query `{other}` (one of status, header, headers, json, location, \
                 location_param, location_params, challenge_problems, body, walk, login, jwt, \
                 jwt_header, jwt_claim, var, step)"
            )
            .into()),
        }
    }
}

impl fmt::Display for Query {
    /// The compact form, as parsed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Query::Status => write!(f, "status"),
            Query::Header(n) => write!(f, "header {n}"),
            Query::Headers(n) => write!(f, "headers {n}"),
            Query::Json(p) if p.is_empty() => write!(f, "json"),
            Query::Json(p) => write!(f, "json {p}"),
            Query::Location => write!(f, "location"),
            Query::LocationParam(n) => write!(f, "location_param {n}"),
            Query::LocationParams(n) => write!(f, "location_params {n}"),
            Query::ChallengeProblems => write!(f, "challenge_problems"),
            Query::Body => write!(f, "body"),
            Query::Summary(kind, field) => write!(f, "{} {field}", kind.name()),
            Query::JwtHeader(n) => write!(f, "jwt_header {n}"),
            Query::JwtClaim(n) => write!(f, "jwt_claim {n}"),
            Query::Var(n) => write!(f, "var {n}"),
            Query::Step(id, inner) => write!(f, "step {id} {inner}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::NoLookup;
    use proptest::prelude::*;
    use serde_json::json;

    fn response() -> Observed {
        let mut seen = Observed::response(
            302,
            reqwest::header::HeaderMap::new(),
            br#"{"a": {"b": [1, 2]}, "s": "x"}"#.to_vec(),
        );
        let h = &mut seen.headers;
        h.insert(
            "location",
            "https://app/cb?code=c1&state=s".parse().unwrap(),
        );
        h.append("cache-control", "no-store".parse().unwrap());
        h.append("cache-control", "private".parse().unwrap());
        seen
    }

    /// Each query kind: what it reads when the value is there, and when it is not.
    #[test]
    fn each_query_reads_its_value_or_nothing() {
        let seen = response();
        let table: [(&str, QueryResult); 12] = [
            ("status", Ok(Some(json!(302)))),
            ("header Cache-Control", Ok(Some(json!("no-store")))),
            ("header x-missing", Ok(None)),
            (
                "headers cache-control",
                Ok(Some(json!(["no-store", "private"]))),
            ),
            ("headers x-missing", Ok(Some(json!([])))),
            ("json /a/b/1", Ok(Some(json!(2)))),
            ("json /a/c", Ok(None)),
            ("json", Ok(Some(json!({"a": {"b": [1, 2]}, "s": "x"})))),
            (
                "location",
                Ok(Some(json!("https://app/cb?code=c1&state=s"))),
            ),
            ("location_param state", Ok(Some(json!("s")))),
            ("location_param error", Ok(None)),
            ("body", Ok(Some(json!(r#"{"a": {"b": [1, 2]}, "s": "x"}"#)))),
        ];
        for (text, want) in table {
            let q: Query = text.parse().unwrap();
            assert_eq!(eval_query(&q, &seen, &NoLookup), want, "{text}");
        }
    }

    #[test]
    fn json_of_a_body_that_is_not_json_is_an_error() {
        let seen = Observed::response(200, Default::default(), b"<html>".to_vec());
        let q: Query = "json /a".parse().unwrap();
        assert_eq!(eval_query(&q, &seen, &NoLookup), Err(QueryError::NotJson));
    }

    #[test]
    fn summaries_are_read_only_from_their_own_kind_of_step() {
        let summary = json!({"pages": 3, "header": {"kid": "k1"}, "claims": {"iss": "i"}});
        let jwt = Observed::summary(SummaryKind::Jwt, 200, summary.clone());
        let walk = Observed::summary(SummaryKind::Walk, 200, summary);
        let read =
            |seen: &Observed, text: &str| eval_query(&text.parse().unwrap(), seen, &NoLookup);
        assert_eq!(read(&jwt, "jwt_header kid"), Ok(Some(json!("k1"))));
        assert_eq!(read(&jwt, "jwt_claim iss"), Ok(Some(json!("i"))));
        assert_eq!(read(&jwt, "jwt_claim aud"), Ok(None));
        assert_eq!(read(&walk, "walk pages"), Ok(Some(json!(3))));
        assert_eq!(read(&walk, "walk /header/kid"), Ok(Some(json!("k1"))));
        assert!(
            read(&walk, "jwt pages")
                .unwrap_err()
                .to_string()
                .contains("walk step")
        );
        assert!(read(&response(), "login credentials_refused").is_err());
    }

    struct Earlier(Observed);
    impl Lookup for Earlier {
        fn var(&self, name: &str) -> Option<Value> {
            (name == "patient_id").then(|| json!("p1"))
        }
        fn step(&self, id: &str) -> Option<&Observed> {
            (id == "first").then_some(&self.0)
        }
    }

    #[test]
    fn variables_and_earlier_steps() {
        let lookup = Earlier(response());
        let now = Observed::response(200, Default::default(), b"{}".to_vec());
        let read = |text: &str| eval_query(&text.parse().unwrap(), &now, &lookup);
        assert_eq!(read("var patient_id"), Ok(Some(json!("p1"))));
        assert_eq!(read("var nope"), Ok(None));
        assert_eq!(read("step first status"), Ok(Some(json!(302))));
        assert_eq!(read("step first json /s"), Ok(Some(json!("x"))));
        assert!(read("step later status").is_err());
    }

    #[test]
    fn bad_queries_are_refused_with_the_form_to_write() {
        for bad in [
            "",
            "stat",
            "status 200",
            "header",
            "header a b",
            "json a",
            "step first",
            "step first nope",
        ] {
            assert!(bad.parse::<Query>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn secret_reads_are_known_by_name() {
        for (text, secret) in [
            ("location_param code", true),
            ("json /access_token", true),
            ("json /refresh_token", true),
            ("header set-cookie", true),
            ("step a json /id_token", true),
            ("json /error", false),
            ("location_param state", false),
        ] {
            let q: Query = text.parse().unwrap();
            assert_eq!(q.reads_secret(), secret, "{text}");
        }
    }

    fn query() -> impl Strategy<Value = Query> {
        let name = "[a-z][a-z0-9_-]{0,8}";
        let leaf = prop_oneof![
            Just(Query::Status),
            Just(Query::Location),
            Just(Query::Body),
            name.prop_map(Query::Header),
            name.prop_map(Query::Headers),
            "(/[a-zA-Z0-9_~]{0,5}){0,3}".prop_map(Query::Json),
            name.prop_map(Query::LocationParam),
            name.prop_map(|n| Query::Summary(SummaryKind::Walk, n)),
            name.prop_map(|n| Query::Summary(SummaryKind::Jwt, n)),
            name.prop_map(Query::JwtClaim),
            name.prop_map(Query::Var),
        ];
        leaf.prop_recursive(2, 4, 1, move |inner| {
            (name, inner).prop_map(|(id, q)| Query::Step(id, Box::new(q)))
        })
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(q in query()) {
            prop_assert_eq!(q.to_string().parse::<Query>(), Ok(q));
        }

        #[test]
        fn any_text_parses_or_is_refused_without_panicking(text in "\\PC{0,40}") {
            let _ = text.parse::<Query>();
        }
    }
}
