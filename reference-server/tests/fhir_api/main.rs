//! The FHIR APIs over HTTP: reads, compartment rules, searches, `$everything` phases and
//! paging, the Provider Directory, and bad input. Tokens are inserted into the token store
//! directly, so these tests do not depend on the OAuth endpoints. Expectations are computed
//! from the server's own data, so they hold for any generated record.

#[path = "../support/mod.rs"]
mod support;

mod directory;
mod patient_access;
mod snapshot;

use std::collections::HashSet;

use reference_server::RunningServer;
use reference_server::tokens::{AccessToken, now, random_token};
use serde_json::Value;
use support::{MEMBER1, MEMBER2, PA_CLIENT, PD_CLIENT, http, server};

const PAGE_LIMIT: usize = 1000;

/// A live access token and one HTTP client to use it with (one connection pool per test;
/// a client per request would pay client construction on every call).
pub struct Bearer {
    pub token: String,
    pub http: reqwest::Client,
}

/// Inserts a live access token.
pub fn insert_token(
    s: &RunningServer,
    client_id: &str,
    scope: &[&str],
    patient_id: Option<&str>,
) -> Bearer {
    let token = random_token();
    s.state.tokens.access.insert(
        token.clone(),
        AccessToken {
            client_id: client_id.into(),
            scope: scope.iter().map(|s| s.to_string()).collect(),
            patient_id: patient_id.map(str::to_string),
            grant_id: None,
            issued_at: now(),
            expires_at: now() + 3600,
        },
    );
    Bearer {
        token,
        http: http(),
    }
}

/// A Patient Access token for `patient_id`.
pub fn insert_patient_token(s: &RunningServer, patient_id: &str) -> Bearer {
    insert_token(
        s,
        PA_CLIENT,
        &["openid", "fhirUser", "launch/patient", "patient/*.rs"],
        Some(patient_id),
    )
}

/// A Provider Directory token.
pub fn insert_directory_token(s: &RunningServer) -> Bearer {
    insert_token(s, PD_CLIENT, &["system/*.rs"], None)
}

/// GET with a bearer token: status, content type and body as JSON (Null if not JSON).
pub async fn get_json(url: &str, bearer: &Bearer) -> (u16, String, Value) {
    let res = bearer
        .http
        .get(url)
        .bearer_auth(&bearer.token)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = res.bytes().await.expect("body");
    (
        status,
        ctype,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

/// `(type, id)` of every resource in a member's record, optionally of one type.
pub fn record_keys(
    s: &RunningServer,
    patient_id: &str,
    only: Option<&str>,
) -> HashSet<(String, String)> {
    let member = s
        .state
        .registry
        .member_by_patient(patient_id)
        .expect("member");
    let record = s.state.data.record(member);
    record
        .all()
        .iter()
        .filter(|r| only.is_none_or(|t| r.resource_type == t))
        .map(|r| (r.resource_type.clone(), r.id.clone()))
        .collect()
}

/// Follows `next` links from `url`, checking each page, and returns the pages.
pub async fn walk(url: &str, token: &Bearer, base: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut next = Some(url.to_string());
    while let Some(u) = next.take() {
        assert!(pages.len() < PAGE_LIMIT, "more than {PAGE_LIMIT} pages");
        let (status, ctype, page) = get_json(&u, token).await;
        assert_eq!(status, 200, "{u}: {page}");
        assert!(ctype.starts_with("application/fhir+json"), "{ctype}");
        assert_eq!(page["resourceType"], "Bundle");
        assert_eq!(page["type"], "searchset");
        let links = page["link"].as_array().expect("links");
        let link = |rel: &str| {
            links
                .iter()
                .find(|l| l["relation"] == rel)
                .and_then(|l| l["url"].as_str())
        };
        assert!(link("self").is_some_and(|l| l.starts_with(base)));
        if let Some(n) = link("next") {
            assert!(
                n.starts_with(&format!("{base}/")),
                "next link {n} is not absolute on {base}"
            );
            next = Some(n.to_string());
        }
        pages.push(page);
    }
    pages
}

/// `(type, id)` of every entry, checking `fullUrl`s and that no entry repeats.
pub fn entries(pages: &[Value], base: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in pages.iter().filter_map(|p| p["entry"].as_array()).flatten() {
        let (t, id) = (
            e["resource"]["resourceType"].as_str().unwrap_or(""),
            e["resource"]["id"].as_str().unwrap_or(""),
        );
        assert_eq!(
            e["fullUrl"].as_str(),
            Some(format!("{base}/{t}/{id}").as_str())
        );
        assert_eq!(e["search"]["mode"], "match");
        out.push((t.to_string(), id.to_string()));
    }
    let unique: HashSet<_> = out.iter().collect();
    assert_eq!(unique.len(), out.len(), "duplicate entries");
    out
}

pub fn page_len(p: &Value) -> usize {
    p["entry"].as_array().map_or(0, Vec::len)
}
