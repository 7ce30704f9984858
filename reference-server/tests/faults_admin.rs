//! Fault switches on a running server: off by default, `--fault` at start, and the admin
//! endpoint (only with `--admin`) to list and switch them.

mod support;

use reference_server::Config;
use reference_server::faults::Fault;
use serde_json::{Value, json};
use support::*;

#[tokio::test]
async fn the_admin_endpoint_is_absent_without_admin() {
    let s = server().await;
    let res = http()
        .get(format!("{}/admin/faults", s.root()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(s.state.faults.active().is_empty(), "no fault by default");
    s.shutdown().await;
}

#[tokio::test]
async fn faults_are_listed_and_switched_through_the_admin_endpoint() {
    let mut config = Config::ephemeral();
    config.admin = true;
    config.faults = vec![Fault::CodeReusable];
    let s = server_with(config).await;
    let url = format!("{}/admin/faults", s.root());
    let list: Value = http().get(&url).send().await.unwrap().json().await.unwrap();
    let faults = list["faults"].as_array().unwrap();
    assert_eq!(faults.len(), Fault::all().len());
    let reusable = faults
        .iter()
        .find(|f| f["name"] == "code-reusable")
        .unwrap();
    assert_eq!(reusable["on"], true);
    assert_eq!(
        reusable["requirements"],
        json!(["CODE-SINGLE-USE", "CODE-REPLAY-REVOKES"])
    );

    let res = http()
        .put(&url)
        .json(&json!({"on": ["plan-not-checked", "pkce-not-verified"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        s.state.faults.active(),
        [Fault::PkceNotVerified, Fault::PlanNotChecked]
    );
    let bad = http()
        .put(&url)
        .json(&json!({"on": ["no-such-fault"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("no-such-fault"));
    assert_eq!(
        s.state.faults.active().len(),
        2,
        "a refused request changes nothing"
    );
    s.shutdown().await;
}
