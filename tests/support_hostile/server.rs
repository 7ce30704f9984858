//! The axum side of the hostile server: one fallback handler that reads the mode (the first
//! path segment) and answers as that mode misbehaves.
//!
//! Modes that run the suite (`{mode}/fhir` misbehaves; SMART configuration, login and token
//! work unless said otherwise):
//!
//! | mode | behaviour |
//! |---|---|
//! | `non-json` | every FHIR answer is 200 `application/fhir+json` with an HTML body |
//! | `huge` | every FHIR answer is 200 with a 9 MiB body |
//! | `redirect-loop` | every FHIR GET redirects to itself; authorize redirects A -> B -> A |
//! | `next-loop` | `$everything` without `_count` cycles (page 3 links back to page 2); with `_count`, and every search, an endless chain of new pages |
//! | `slow` | every FHIR answer comes after 30 s |
//! | `busy` | the SMART configuration answers 503 `Retry-After: 1` on odd requests, metadata 429 `Retry-After: 1` on odd requests, the token endpoint always 503 `Retry-After: 1` |
//!
//! Modes about the SMART configuration itself (the run stops at discovery):
//! `config-non-json`, `config-huge`, `config-slow`, `config-redirect` (to itself),
//! `config-busy` (always 503 `Retry-After: 0`), `config-busy-long` (always 503
//! `Retry-After: 3600`), `config-bad-date` (always 503 with a `Retry-After` date in year
//! 300 000 000 000).
//!
//! | `stall` | every FHIR and OAuth answer comes after an hour (only the run's deadline ends it) |
//!
//! Modes for the login driver: `deep-login` (the login page's form sits inside
//! [`DEEP_NESTING`] nested `div`s, about 1 MB).
//!
//! Modes for the session tests (any path under `{mode}/`): `echo` (every answer echoes the
//! request's headers in its body and sets the cookie [`ECHO_COOKIE`]), `alt-503` and `alt-429` (odd
//! requests per method and path answered 503/429 `Retry-After: 1`, even ones 200),
//! `always-503` (`Retry-After: 0`), `exact` (a body of exactly `MAX_BODY` bytes), and the
//! FHIR behaviours above.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::{
    ACCESS_TOKEN, CLIENT_ID, Log, PASSWORD, PATIENT, REDIRECT_URI, REDIRECT_URI_SLASH, SECRET,
    USERNAME, smart_configuration,
};

/// 9 MiB: above the harness's 8 MiB cap.
pub static HUGE: LazyLock<Bytes> = LazyLock::new(|| Bytes::from(vec![b' '; 9 * 1024 * 1024]));
/// Exactly the cap.
static EXACT: LazyLock<Bytes> =
    LazyLock::new(|| Bytes::from(vec![b' '; smartcheck::http::MAX_BODY]));
/// A `Retry-After` date no calendar reaches (IMF-fixdate in form, year 300 000 000 000).
pub const ABSURD_DATE: &str = "Sun, 06 Nov 300000000000 08:49:37 GMT";
/// How long the slow modes keep a request waiting.
const SLOW: Duration = Duration::from_secs(30);
/// How long `stall` keeps a request waiting.
const STALL: Duration = Duration::from_secs(3600);
/// `div`s around the `deep-login` form (html5ever's tree builder took about 30 s for 80,000).
pub const DEEP_NESTING: usize = 200_000;
/// The cookie `echo` sets (a session cookie: a credential).
pub const ECHO_COOKIE: &str = "hostile-cookie-8a2b77";

#[derive(Clone)]
struct Ctx {
    root: Arc<str>,
    log: Log,
}

/// The router: everything goes through [`handle`].
pub fn app(root: String, log: Log) -> Router {
    Router::new().fallback(handle).with_state(Ctx {
        root: root.into(),
        log,
    })
}

async fn handle(
    State(ctx): State<Ctx>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    // Requests that ask for another media type (the discovery case's Accept variants) are
    // counted apart, so the odd/even answers of each kind stay in step however the
    // concurrent cases interleave.
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .filter(|a| a.starts_with("text/html") || a.starts_with("application/fhir+json"));
    let key = match accept {
        Some(a) => format!("{path} (Accept: {a})"),
        None => path.clone(),
    };
    let nth = ctx.log.record(method.as_str(), &key);
    let Some((mode, rest)) = path.strip_prefix('/').and_then(|p| p.split_once('/')) else {
        return answer(404, &[], "no mode");
    };
    let rest = format!("/{rest}");
    let here = |p: &str| format!("{}/{mode}/{p}", ctx.root);
    if rest == "/fhir/.well-known/smart-configuration" {
        return configuration(&ctx.root, mode, nth).await;
    }
    match mode {
        "stall" => tokio::time::sleep(STALL).await,
        "echo" => return echo(&headers),
        _ => {}
    }
    if let Some(endpoint) = rest.strip_prefix("/oauth2/") {
        return oauth(mode, endpoint, &query, &body, &here);
    }
    let self_url = if query.is_empty() {
        path.clone()
    } else {
        format!("{path}?{query}")
    };
    match mode {
        "non-json" => answer_typed(
            200,
            "application/fhir+json",
            "<html><body><h1>Service Unavailable</h1>Please try later.</body></html>",
        ),
        "huge" => answer_typed(200, "application/fhir+json", HUGE.clone()),
        "exact" => answer_typed(200, "application/octet-stream", EXACT.clone()),
        "redirect-loop" => answer(302, &[("location", &self_url)], ""),
        "slow" => {
            tokio::time::sleep(SLOW).await;
            fhir_ok(&rest, &query, &here)
        }
        "next-loop" => fhir_ok(&rest, &query, &here),
        "busy" if rest == "/fhir/metadata" && nth % 2 == 1 => busy(429, "1"),
        "busy" => fhir_ok(&rest, &query, &here),
        "alt-503" if nth % 2 == 1 => busy(503, "1"),
        "alt-429" if nth % 2 == 1 => busy(429, "1"),
        "always-503" => busy(503, "0"),
        _ => fhir_ok(&rest, &query, &here),
    }
}

/// The SMART configuration of `mode` (its `nth` request).
async fn configuration(root: &str, mode: &str, nth: usize) -> Response {
    let valid = || answer_json(200, &smart_configuration(root, mode));
    match mode {
        "config-non-json" => answer_typed(200, "text/html", "<html>maintenance</html>"),
        "config-huge" => answer_typed(200, "application/json", HUGE.clone()),
        "config-slow" => {
            tokio::time::sleep(SLOW).await;
            valid()
        }
        "config-redirect" => answer(
            302,
            &[(
                "location",
                &format!("/{mode}/fhir/.well-known/smart-configuration"),
            )],
            "",
        ),
        "config-busy" => busy(503, "0"),
        "config-busy-long" => busy(503, "3600"),
        "config-bad-date" => busy(503, ABSURD_DATE),
        "busy" if nth % 2 == 1 => busy(503, "1"),
        _ => valid(),
    }
}

/// A 429 or 503 with `Retry-After`.
fn busy(status: u16, retry_after: &str) -> Response {
    answer(
        status,
        &[
            ("retry-after", retry_after),
            ("content-type", "application/json"),
        ],
        r#"{"error":"temporarily_unavailable"}"#,
    )
}

/// The authorization server: a form login (login page, consent page, redirect with a code)
/// and a token endpoint, except where the mode misbehaves.
fn oauth(
    mode: &str,
    endpoint: &str,
    query: &str,
    body: &[u8],
    here: &dyn Fn(&str) -> String,
) -> Response {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let get = |pairs: &[(String, String)], name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    match (mode, endpoint) {
        ("redirect-loop", "authorize") => answer(
            302,
            &[("location", &format!("{}?{query}", here("oauth2/again")))],
            "",
        ),
        ("redirect-loop", "again") => answer(
            302,
            &[("location", &format!("{}?{query}", here("oauth2/authorize")))],
            "",
        ),
        (_, "authorize") => {
            let redirect_uri = get(&params, "redirect_uri");
            if get(&params, "client_id") != CLIENT_ID
                || ![REDIRECT_URI, REDIRECT_URI_SLASH].contains(&redirect_uri.as_str())
            {
                return answer_typed(400, "text/html", "<html><body>bad request</body></html>");
            }
            // The login transaction carries where to go back to.
            let tx = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("state", &get(&params, "state"))
                .finish();
            login_page(mode, here, &tx)
        }
        (_, "login") => {
            let tx = get(&form, "tx");
            if get(&form, "username") != USERNAME || get(&form, "password") != PASSWORD {
                return login_page(mode, here, &tx);
            }
            answer_typed(
                200,
                "text/html; charset=utf-8",
                format!(
                    "<!doctype html><html><body><form method=\"post\" action=\"{}\">\
                     <input type=\"hidden\" name=\"tx\" value=\"{}\">\
                     <button name=\"decision\" value=\"approve\">Allow</button>\
                     <button name=\"decision\" value=\"deny\">Deny</button></form></body></html>",
                    here("oauth2/consent"),
                    escape(&tx)
                ),
            )
        }
        (_, "consent") => {
            let tx: Vec<(String, String)> =
                url::form_urlencoded::parse(get(&form, "tx").as_bytes())
                    .into_owned()
                    .collect();
            let Ok(mut to) = url::Url::parse(&get(&tx, "redirect_uri")) else {
                return answer(400, &[], "bad transaction");
            };
            to.query_pairs_mut()
                .append_pair("code", "hostile-code-0001")
                .append_pair("state", &get(&tx, "state"));
            answer(302, &[("location", to.as_str())], "")
        }
        ("busy", "token") => busy(503, "1"),
        (_, "token") => answer_json(
            200,
            &json!({
                "access_token": ACCESS_TOKEN,
                "token_type": "Bearer",
                "expires_in": 3600,
                "scope": "openid fhirUser launch/patient patient/*.rs",
                "patient": PATIENT,
            }),
        ),
        (_, "jwks") => answer_json(200, &json!({ "keys": [] })),
        _ => answer(404, &[], "not found"),
    }
}

fn login_page(mode: &str, here: &dyn Fn(&str) -> String, tx: &str) -> Response {
    let depth = if mode == "deep-login" {
        DEEP_NESTING
    } else {
        0
    };
    answer_typed(
        200,
        "text/html; charset=utf-8",
        format!(
            "<!doctype html><html><body>{}<form method=\"post\" action=\"{}\">\
             <input type=\"hidden\" name=\"tx\" value=\"{}\">\
             <input name=\"username\"><input type=\"password\" name=\"password\">\
             <button type=\"submit\">Sign in</button></form></body></html>",
            "<div>".repeat(depth),
            here("oauth2/login"),
            escape(tx)
        ),
    )
}

/// The request's headers, echoed (as a debugging proxy or a careless error page would), and
/// a session cookie set.
fn echo(headers: &HeaderMap) -> Response {
    let echoed: Vec<String> = headers
        .iter()
        .map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v.as_bytes())))
        .collect();
    let cookie = format!("sid={ECHO_COOKIE}; Path=/; HttpOnly");
    answer(
        200,
        &[("content-type", "text/plain"), ("set-cookie", &cookie)],
        echoed.join("\n"),
    )
}

/// A well-formed FHIR answer for `rest` (`/fhir/...`): the CapabilityStatement, a Patient,
/// or a searchset page whose `next` link loops (see the module comment).
fn fhir_ok(rest: &str, query: &str, here: &dyn Fn(&str) -> String) -> Response {
    let path = rest.trim_start_matches("/fhir/");
    if path == "metadata" {
        return answer_fhir(&json!({
            "resourceType": "CapabilityStatement",
            "status": "active",
            "kind": "instance",
            "fhirVersion": "4.0.1",
            "format": ["json"],
            "rest": [{
                "mode": "server",
                "security": {
                    "service": [{"coding": [{"code": "SMART-on-FHIR"}]}],
                    "extension": [{"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                                   "extension": [{"url": "token", "valueUri": "x"}]}],
                },
            }],
        }));
    }
    if let Some(id) = path.strip_prefix("Patient/")
        && !id.contains('/')
    {
        return answer_fhir(&json!({"resourceType": "Patient", "id": id}));
    }
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let page: u64 = param("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let endless = path.contains("$everything") && param("_count").is_some_and(|c| !c.is_empty())
        || !path.contains("$everything");
    // The cycle: 1 -> 2 -> 3 -> 2. The chain: 1 -> 2 -> 3 -> ... for ever.
    let next_page = if endless || page < 3 { page + 1 } else { 2 };
    let mut next = url::Url::parse(&here(&format!("fhir/{path}"))).unwrap();
    {
        let mut q = next.query_pairs_mut();
        for (k, v) in params.iter().filter(|(k, _)| k != "page") {
            q.append_pair(k, v);
        }
        q.append_pair("page", &next_page.to_string());
    }
    let resource = json!({
        "resourceType": "Coverage",
        "id": format!("c{page}"),
        "beneficiary": {"reference": format!("Patient/{PATIENT}")},
    });
    answer_fhir(&json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "link": [{"relation": "self", "url": "x"}, {"relation": "next", "url": next.as_str()}],
        "entry": [{"resource": resource}],
    }))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

fn answer(status: u16, headers: &[(&str, &str)], body: impl Into<Body>) -> Response {
    let mut r = Response::builder().status(status);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.body(body.into()).unwrap()
}

fn answer_typed(status: u16, content_type: &str, body: impl Into<Body>) -> Response {
    answer(status, &[("content-type", content_type)], body)
}

fn answer_json(status: u16, value: &Value) -> Response {
    answer_typed(status, "application/json", value.to_string())
}

fn answer_fhir(value: &Value) -> Response {
    answer_typed(200, "application/fhir+json", value.to_string())
}

/// The secrets the profile names, to check they never show.
pub fn secrets() -> [&'static str; 3] {
    [PASSWORD, SECRET, ACCESS_TOKEN]
}
