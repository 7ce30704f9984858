//! The developer portal admin API (seed 000) and the production mirror: dynamic apps at the
//! token endpoint, plan subscription at the gateway, production approval, credential rotation.

mod support;

use reference_server::{Config, RunningServer};
use serde_json::{Value, json};
use support::*;

async fn portal_server() -> RunningServer {
    let mut config = Config::ephemeral();
    config.admin = true;
    server_with(config).await
}

async fn post(s: &RunningServer, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = http().post(format!("{}{path}", s.root()));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn subscribe(s: &RunningServer, app: &str, plan: &str) {
    let res = http()
        .put(format!("{}/portal/apps/{app}/plan", s.root()))
        .json(&json!({ "plan": plan }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// The client-credentials token request at `/oauth2/token` or `/production/oauth2/token`.
async fn cc_token(s: &RunningServer, prefix: &str, id: &str, secret: &str) -> (u16, Value) {
    let res = http()
        .post(format!("{}{prefix}/oauth2/token", s.root()))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "system/*.rs"),
        ])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

/// A token from `prefix`'s endpoint, asserted issued.
async fn token_ok(s: &RunningServer, prefix: &str, id: &str, secret: &str) -> String {
    let (status, body) = cc_token(s, prefix, id, secret).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

/// The status of a directory read with `token` under `prefix`.
async fn directory_status(s: &RunningServer, prefix: &str, token: &str) -> u16 {
    let url = format!("{}{prefix}/provider-directory/fhir/Practitioner", s.root());
    get_bearer(&url, token).await.status().as_u16()
}

fn creds(v: &Value) -> (String, String) {
    (
        v["client_id"].as_str().unwrap().to_string(),
        v["client_secret"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn the_portal_is_absent_without_admin() {
    let s = server().await;
    let (status, _) = post(&s, "/portal/apps", Some(json!({"name": "x"}))).await;
    assert_eq!(status, 404);
    s.shutdown().await;
}

#[tokio::test]
async fn an_app_is_created_subscribed_and_used_in_the_sandbox() {
    let s = portal_server().await;
    let (status, app) = post(&s, "/portal/apps", Some(json!({"name": "My app"}))).await;
    assert_eq!(status, 201);
    let (id, secret) = creds(&app);
    // Not subscribed: the token is issued, the gateway says "Not registered to plan".
    let token = token_ok(&s, "", &id, &secret).await;
    let res = get_bearer(
        &format!("{}/provider-directory/fhir/Practitioner", s.root()),
        &token,
    )
    .await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("Not registered to plan"));
    subscribe(&s, &id, "provider-directory").await;
    assert_eq!(directory_status(&s, "", &token).await, 200);
    // The Patient Access API is not this app's plan.
    let res = get_bearer(&format!("{}/fhir/Patient", s.root()), &token).await;
    assert_eq!(res.status(), 403);
    // The secret is not shown again.
    let shown: Value = http()
        .get(format!("{}/portal/apps/{id}", s.root()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["plan"], "provider-directory");
    assert!(!shown.to_string().contains(&secret));
    // Unknown plan, unknown app.
    let res = http()
        .put(format!("{}/portal/apps/{id}/plan", s.root()))
        .json(&json!({"plan": "gold"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let (status, _) = post(&s, "/portal/apps/nope/credentials", None).await;
    assert_eq!(status, 404);
    s.shutdown().await;
}

#[tokio::test]
async fn production_needs_approval_then_takes_the_same_credentials() {
    let s = portal_server().await;
    let (_, app) = post(&s, "/portal/apps", Some(json!({"name": "Prod app"}))).await;
    let (id, secret) = creds(&app);
    subscribe(&s, &id, "provider-directory").await;
    let (status, body) = cc_token(&s, "/production", &id, &secret).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // Approval without a request is refused; a request alone is not enough.
    let (status, _) = post(&s, &format!("/portal/apps/{id}/production-approval"), None).await;
    assert_eq!(status, 409);
    let (status, body) = post(&s, &format!("/portal/apps/{id}/production-request"), None).await;
    assert_eq!(
        (status, body["production"].as_str()),
        (200, Some("requested"))
    );
    assert_eq!(cc_token(&s, "/production", &id, &secret).await.0, 401);
    let (status, body) = post(&s, &format!("/portal/apps/{id}/production-approval"), None).await;
    assert_eq!(
        (status, body["production"].as_str()),
        (200, Some("approved"))
    );
    let prod = token_ok(&s, "/production", &id, &secret).await;
    let sandbox = token_ok(&s, "", &id, &secret).await;
    assert_eq!(directory_status(&s, "/production", &prod).await, 200);
    assert_eq!(directory_status(&s, "", &sandbox).await, 200);
    // Each token only in its own environment.
    assert_eq!(directory_status(&s, "/production", &sandbox).await, 401);
    assert_eq!(directory_status(&s, "", &prod).await, 401);
    // Links in production answers stay in production (where the token works).
    let base = format!("{}/production/provider-directory/fhir", s.root());
    let page: Value = get_bearer(&format!("{base}/Practitioner?_count=1"), &prod)
        .await
        .json()
        .await
        .unwrap();
    let links: Vec<&str> = page["link"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["url"].as_str().unwrap())
        .collect();
    assert!(links.len() >= 2, "{page}");
    assert!(links.iter().all(|u| u.starts_with(&base)), "{links:?}");
    let next = page["link"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["relation"] == "next");
    let next = next.unwrap()["url"].as_str().unwrap();
    assert_eq!(get_bearer(next, &prod).await.status(), 200);
    let full_url = page["entry"][0]["fullUrl"].as_str().unwrap();
    assert!(full_url.starts_with(&base), "{full_url}");
    // Fixture clients are sandbox registrations.
    let (status, _) = cc_token(&s, "/production", PD_CLIENT, PD_SECRET).await;
    assert_eq!(status, 401);
    s.shutdown().await;
}

#[tokio::test]
async fn credential_sets_rotate() {
    let s = portal_server().await;
    let (_, app) = post(&s, "/portal/apps", Some(json!({"name": "Rotating"}))).await;
    let (id1, secret1) = creds(&app);
    let app_id = app["app_id"].as_str().unwrap();
    let cred1 = app["credential_id"].as_str().unwrap();
    subscribe(&s, app_id, "provider-directory").await;
    // A second set: its own client_id and secret; both work.
    let (status, second) = post(&s, &format!("/portal/apps/{id1}/credentials"), None).await;
    assert_eq!(status, 201);
    let (id2, secret2) = creds(&second);
    assert_ne!(id1, id2);
    let t2 = token_ok(&s, "", &id2, &secret2).await;
    assert_eq!(directory_status(&s, "", &t2).await, 200);
    token_ok(&s, "", &id1, &secret1).await;
    // Reset API Secret of set 1: the old secret is refused at once, the new one works.
    let (status, reset) = post(
        &s,
        &format!("/portal/apps/{app_id}/credentials/{cred1}/reset-secret"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (same_id, new_secret) = creds(&reset);
    assert_eq!(same_id, id1);
    let (status, body) = cc_token(&s, "", &id1, &secret1).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    token_ok(&s, "", &id1, &new_secret).await;
    token_ok(&s, "", &id2, &secret2).await;
    // Reset Credentials of set 2: new id and secret; the old pair is refused.
    let cred2 = second["credential_id"].as_str().unwrap();
    let (status, reset) = post(
        &s,
        &format!("/portal/apps/{app_id}/credentials/{cred2}/reset"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (id3, secret3) = creds(&reset);
    assert_ne!(id3, id2);
    assert_eq!(cc_token(&s, "", &id2, &secret2).await.0, 401);
    let t3 = token_ok(&s, "", &id3, &secret3).await;
    assert_eq!(directory_status(&s, "", &t3).await, 200);
    // Tokens issued before the reset live until they expire.
    assert_eq!(directory_status(&s, "", &t2).await, 200);
    // The old client_id no longer names the app in the portal.
    let (status, _) = post(&s, &format!("/portal/apps/{id2}/credentials"), None).await;
    assert_eq!(status, 404);
    s.shutdown().await;
}
