//! A golden `$everything` page: the Bundle's shape (links, entries, the generated resources)
//! reviewed once and pinned. The server runs with a fixed public URL so links and the Bundle
//! id are stable; only `meta.lastUpdated` (the time of the request) is redacted.

use reference_server::Config;
use serde_json::Value;

use super::insert_patient_token;
use super::support::{MEMBER1, server_with};

#[tokio::test]
async fn fhir_everything_first_page_snapshot() {
    let mut config = Config::ephemeral();
    config.public_url = Some("http://reference.test".parse().unwrap());
    let s = server_with(config).await;
    let bearer = insert_patient_token(&s, MEMBER1.2);
    // The public URL is not reachable; ask the bound address for the same path.
    let url = format!(
        "http://{}/fhir/Patient/{}/$everything?_count=3",
        s.addr, MEMBER1.2
    );
    let res = bearer
        .http
        .get(&url)
        .bearer_auth(&bearer.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    insta::assert_json_snapshot!("everything_first_page", page, {
        ".meta.lastUpdated" => "[request time]",
    });
    s.shutdown().await;
}
