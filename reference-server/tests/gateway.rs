//! The gateway in front of both FHIR APIs: bearer validation, plan subscription, plan claim
//! rules and the patient compartment (DESIGN section 4, "Gateway").

mod support;

use reference_server::Config;
use serde_json::Value;
use support::*;

/// Asserts an OperationOutcome response with `status` and returns (challenge, text).
async fn outcome(res: reqwest::Response, status: u16) -> (Option<String>, String) {
    assert_eq!(res.status(), status);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/fhir+json")
    );
    let challenge = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["resourceType"], "OperationOutcome");
    (
        challenge,
        v["issue"][0]["details"]["text"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

fn patient_url(s: &reference_server::RunningServer, id: &str) -> String {
    format!("{}/Patient/{id}", s.state.urls.patient_access)
}

#[tokio::test]
async fn missing_malformed_and_unknown_tokens_get_401_with_a_bearer_challenge() {
    let s = server().await;
    let url = patient_url(&s, MEMBER1.2);
    let (challenge, _) = outcome(http().get(&url).send().await.unwrap(), 401).await;
    let challenge = challenge.expect("WWW-Authenticate");
    assert!(challenge.starts_with("Bearer realm="), "{challenge}");
    assert!(
        !challenge.contains("error="),
        "no error code without credentials (RFC 6750 3.1)"
    );
    // Another scheme: a challenge without an error code (RFC 6750 3.1).
    let res = http()
        .get(&url)
        .header("authorization", "Basic dXNlcjpwdw==")
        .send()
        .await
        .unwrap();
    let (challenge, _) = outcome(res, 401).await;
    assert!(!challenge.unwrap().contains("error="));
    for header in [
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "Bearer not-a-known-token-at-all",
    ] {
        let res = http()
            .get(&url)
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        let (challenge, _) = outcome(res, 401).await;
        assert!(
            challenge.unwrap().contains("error=\"invalid_token\""),
            "{header}"
        );
    }
    let dir = format!("{}/Practitioner", s.state.urls.provider_directory);
    let (challenge, _) = outcome(http().get(&dir).send().await.unwrap(), 401).await;
    assert!(challenge.unwrap().starts_with("Bearer"));
    s.shutdown().await;
}

#[tokio::test]
async fn expired_tokens_get_401() {
    let mut config = Config::ephemeral();
    // Expiry is judged in whole seconds: a 1 s token issued late in a second can be expired
    // before the first read; 3 s leaves at least 2.
    config.access_token_ttl = 3;
    let s = server_with(config).await;
    let t = member_tokens(&s, MEMBER1).await;
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(
        get_bearer(&patient_url(&s, MEMBER1.2), at).await.status(),
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    let (challenge, _) = outcome(get_bearer(&patient_url(&s, MEMBER1.2), at).await, 401).await;
    assert!(challenge.unwrap().contains("invalid_token"));
    s.shutdown().await;
}

#[tokio::test]
async fn revoked_grants_and_revoked_tokens_get_401() {
    let s = server().await;
    let t = member_tokens(&s, MEMBER1).await;
    let at = t["access_token"].as_str().unwrap();
    let url = patient_url(&s, MEMBER1.2);
    assert_eq!(get_bearer(&url, at).await.status(), 200);
    let res = http()
        .delete(format!("{}/{PA_CLIENT}", s.state.urls.member_grants))
        .basic_auth(MEMBER1.0, Some(MEMBER1.1))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    outcome(get_bearer(&url, at).await, 401).await;
    let t = member_tokens(&s, MEMBER1).await;
    let at = t["access_token"].as_str().unwrap();
    let res = http()
        .post(&s.state.urls.revoke)
        .basic_auth(PA_CLIENT, Some(PA_SECRET))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    outcome(get_bearer(&url, at).await, 401).await;
    s.shutdown().await;
}

#[tokio::test]
async fn each_api_refuses_the_other_plans_token_as_not_registered_to_plan() {
    let s = server().await;
    let pa = member_tokens(&s, MEMBER1).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let pd = directory_token(&s).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = format!("{}/Practitioner", s.state.urls.provider_directory);
    assert_eq!(get_bearer(&dir, &pd).await.status(), 200);
    assert_eq!(
        get_bearer(&patient_url(&s, MEMBER1.2), &pa).await.status(),
        200
    );
    let (_, text) = outcome(get_bearer(&patient_url(&s, MEMBER1.2), &pd).await, 403).await;
    assert_eq!(text, "Not registered to plan");
    let (_, text) = outcome(get_bearer(&dir, &pa).await, 403).await;
    assert_eq!(text, "Not registered to plan");
    s.shutdown().await;
}

#[tokio::test]
async fn an_app_with_no_plan_gets_not_registered_to_plan_on_both_apis() {
    let s = server().await;
    let redirect = "https://no-plan-app.example.org/redirect";
    let code = code_for(&s, &[], NP_CLIENT, redirect).await;
    let res = token_request(
        &s,
        Some((NP_CLIENT, NP_SECRET)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
        ],
    )
    .await;
    let at = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, text) = outcome(get_bearer(&patient_url(&s, MEMBER1.2), &at).await, 403).await;
    assert_eq!(text, "Not registered to plan");
    let res = token_request(
        &s,
        Some((NP_CLIENT, NP_SECRET)),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "system/*.rs"),
        ],
    )
    .await;
    let at = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, text) = outcome(
        get_bearer(
            &format!("{}/Organization", s.state.urls.provider_directory),
            &at,
        )
        .await,
        403,
    )
    .await;
    assert_eq!(text, "Not registered to plan");
    s.shutdown().await;
}

#[tokio::test]
async fn patient_access_needs_patient_scopes_and_claim() {
    let s = server().await;
    let t = member_tokens(&s, MEMBER1).await;
    // A refresh narrowed to drop launch/patient no longer satisfies the plan's claim rule.
    let res = token_request(
        &s,
        Some((PA_CLIENT, PA_SECRET)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
            ("scope", "openid patient/*.rs"),
        ],
    )
    .await;
    let narrow = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (challenge, _) = outcome(get_bearer(&patient_url(&s, MEMBER1.2), &narrow).await, 403).await;
    assert!(challenge.unwrap().contains("insufficient_scope"));
    s.shutdown().await;
}

#[tokio::test]
async fn a_patient_token_reads_only_its_own_compartment() {
    let s = server().await;
    let at = member_tokens(&s, MEMBER1).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let pa = &s.state.urls.patient_access;
    let own = get_bearer(&patient_url(&s, MEMBER1.2), &at).await;
    assert_eq!(own.status(), 200);
    assert_eq!(own.json::<Value>().await.unwrap()["id"], MEMBER1.2);
    for url in [
        patient_url(&s, MEMBER2.2),
        format!("{pa}/Patient/{}/$everything", MEMBER2.2),
        format!("{pa}/ExplanationOfBenefit?patient={}", MEMBER2.2),
        format!("{pa}/Coverage?beneficiary=Patient/{}", MEMBER2.2),
    ] {
        outcome(get_bearer(&url, &at).await, 403).await;
    }
    // A resource id from member 2's record.
    let member2 = s.state.registry.member_by_patient(MEMBER2.2).unwrap();
    let record = s.state.data.record(member2);
    let foreign = record
        .all()
        .iter()
        .find(|r| r.resource_type == "ExplanationOfBenefit")
        .expect("member 2 has EOBs");
    outcome(
        get_bearer(&format!("{pa}/ExplanationOfBenefit/{}", foreign.id), &at).await,
        403,
    )
    .await;
    // Searches return only the caller's resources.
    let bundle: Value = get_bearer(&format!("{pa}/ExplanationOfBenefit?_count=500"), &at)
        .await
        .json()
        .await
        .unwrap();
    let own_ref = format!("Patient/{}", MEMBER1.2);
    for e in bundle["entry"].as_array().unwrap() {
        assert_eq!(e["resource"]["patient"]["reference"], own_ref.as_str());
    }
    s.shutdown().await;
}

#[tokio::test]
async fn the_directory_refuses_patient_claims_and_missing_system_scope() {
    let s = server().await;
    let dir = format!("{}/Organization", s.state.urls.provider_directory);
    let now = reference_server::tokens::now();
    for (scope, patient) in [
        (vec!["system/*.rs"], Some(MEMBER1.2)),
        (vec!["openid"], None),
    ] {
        let token = reference_server::tokens::random_token();
        s.state.tokens.access.insert(
            token.clone(),
            reference_server::tokens::AccessToken {
                client_id: PD_CLIENT.into(),
                scope: scope.iter().map(|s| s.to_string()).collect(),
                patient_id: patient.map(str::to_string),
                grant_id: None,
                issued_at: now,
                expires_at: now + 60,
            },
        );
        let (challenge, _) = outcome(get_bearer(&dir, &token).await, 403).await;
        assert!(
            challenge.unwrap().contains("insufficient_scope"),
            "{scope:?} {patient:?}"
        );
    }
    s.shutdown().await;
}
