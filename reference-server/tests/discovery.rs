//! Discovery documents: SMART configuration, CapabilityStatements, JWKS (snapshots with the
//! server's random port replaced by `[root]`).

mod support;

use serde_json::Value;
use support::*;

async fn fetch(url: &str) -> (String, Value) {
    let res = http().get(url).send().await.unwrap();
    assert_eq!(res.status(), 200, "{url}");
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    (ct, res.json().await.unwrap())
}

fn rooted(v: &Value, root: &str) -> Value {
    serde_json::from_str(&v.to_string().replace(root, "[root]")).unwrap()
}

#[tokio::test]
async fn smart_configuration_lists_every_endpoint_and_s256_only() {
    let s = server().await;
    let (ct, v) = fetch(&format!(
        "{}/.well-known/smart-configuration",
        s.state.urls.patient_access
    ))
    .await;
    assert!(ct.starts_with("application/json"));
    assert_eq!(
        v["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let (_, pd) = fetch(&format!(
        "{}/.well-known/smart-configuration",
        s.state.urls.provider_directory
    ))
    .await;
    assert_eq!(v, pd);
    insta::assert_json_snapshot!("smart_configuration", rooted(&v, s.root()));
    s.shutdown().await;
}

#[tokio::test]
async fn capability_statement_security_agrees_with_discovery() {
    let s = server().await;
    let (ct, cs) = fetch(&format!("{}/metadata", s.state.urls.patient_access)).await;
    assert!(ct.starts_with("application/fhir+json"));
    let (_, smart) = fetch(&format!(
        "{}/.well-known/smart-configuration",
        s.state.urls.patient_access
    ))
    .await;
    let uris = &cs["rest"][0]["security"]["extension"][0]["extension"];
    let uri = |name: &str| {
        uris.as_array()
            .unwrap()
            .iter()
            .find(|e| e["url"] == name)
            .map(|e| e["valueUri"].clone())
    };
    assert_eq!(
        uri("authorize"),
        Some(smart["authorization_endpoint"].clone())
    );
    assert_eq!(uri("token"), Some(smart["token_endpoint"].clone()));
    assert_eq!(
        uri("introspect"),
        Some(smart["introspection_endpoint"].clone())
    );
    assert_eq!(uri("revoke"), Some(smart["revocation_endpoint"].clone()));
    insta::assert_json_snapshot!("capability_statement_patient_access", rooted(&cs, s.root()));
    let (_, pd) = fetch(&format!("{}/metadata", s.state.urls.provider_directory)).await;
    assert_eq!(pd["rest"][0]["resource"].as_array().unwrap().len(), 7);
    s.shutdown().await;
}

#[tokio::test]
async fn jwks_and_openid_configuration_are_consistent() {
    let s = server().await;
    let (_, oidc) = fetch(&format!(
        "{}/.well-known/openid-configuration",
        s.state.urls.issuer
    ))
    .await;
    assert_eq!(oidc["issuer"], s.state.urls.issuer);
    let (_, jwks) = fetch(oidc["jwks_uri"].as_str().unwrap()).await;
    let key = &jwks["keys"][0];
    assert_eq!(
        (
            key["kty"].as_str(),
            key["alg"].as_str(),
            key["use"].as_str()
        ),
        (Some("RSA"), Some("RS256"), Some("sig"))
    );
    assert_eq!(key["kid"], s.state.key.kid());
    assert!(key.get("d").is_none(), "no private parts in the JWKS");
    s.shutdown().await;
}

#[tokio::test]
async fn home_page_lists_bases_clients_and_members() {
    let s = server().await;
    let html = http()
        .get(s.root())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let needles: [&str; 5] = [
        &s.state.urls.patient_access,
        &s.state.urls.provider_directory,
        "patient-access-app",
        "sbx-patientAccessMember-3",
        "hpTest33",
    ];
    for needle in needles {
        assert!(html.contains(needle), "{needle}");
    }
    let reg = http().post(&s.state.urls.register).send().await.unwrap();
    assert_eq!(reg.status(), 403);
    s.shutdown().await;
}
