//! The application-id auth profile (seed 004) over HTTP: credentials on every request, per
//! environment; account grants and endpoint authorizations; never a 5xx on malformed input.
//! (Its defects are not fault switches yet: `app_id`'s unit tests show each `Lenience`.)

mod support;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use support::{MEMBER1, MEMBER2, http, server};

const ENVS: [&str; 2] = ["sandbox", "production"];

/// (id, secret) of an application in an environment (fixtures/app_id.toml).
fn creds(app: &str, env: &str) -> (&'static str, &'static str) {
    match (app, env) {
        ("roster-sync", "sandbox") => ("sbx-roster-sync-5d1e", "sbx-rs-secret-83f0"),
        ("roster-sync", _) => ("prd-roster-sync-a93c", "prd-rs-secret-1c7b"),
        ("intake-kiosk", "sandbox") => ("sbx-intake-kiosk-27b4", "sbx-ik-secret-6e19"),
        ("intake-kiosk", _) => ("prd-intake-kiosk-f06d", "prd-ik-secret-d452"),
        ("scheduler-lite", "sandbox") => ("sbx-scheduler-lite-9a02", "sbx-sl-secret-47cd"),
        _ => ("prd-scheduler-lite-3be8", "prd-sl-secret-b9e1"),
    }
}

fn other(env: &str) -> &'static str {
    if env == "sandbox" {
        "production"
    } else {
        "sandbox"
    }
}

/// Sends `method` to `path` with the given credential headers.
async fn call(
    root: &str,
    method: Method,
    path: &str,
    creds: Option<(&str, &str)>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = http().request(method, format!("{root}{path}"));
    if let Some((id, secret)) = creds {
        req = req
            .header("X-Application-Id", id)
            .header("X-Application-Secret", secret);
    }
    let res = req.send().await.expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, headers, body)
}

async fn get(root: &str, path: &str, creds: Option<(&str, &str)>) -> (StatusCode, Value) {
    let (status, _, body) = call(root, Method::GET, path, creds).await;
    (status, body)
}

fn outcome_text(body: &Value) -> &str {
    assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
    body["issue"][0]["details"]["text"]
        .as_str()
        .unwrap_or_default()
}

fn challenge(headers: &reqwest::header::HeaderMap) -> &str {
    headers
        .get("www-authenticate")
        .expect("WWW-Authenticate")
        .to_str()
        .expect("ascii")
}

#[tokio::test]
async fn granted_and_authorized_calls_succeed_in_both_environments() {
    let s = server().await;
    let root = s.root().to_string();
    for env in ENVS {
        let rs = Some(creds("roster-sync", env));
        let base = format!("/app-id/{env}/accounts/acme-clinic");
        let (status, headers, bundle) =
            call(&root, Method::GET, &format!("{base}/Patient"), rs).await;
        assert_eq!(status, StatusCode::OK, "{env}: {bundle}");
        assert_eq!(headers["content-type"], "application/fhir+json");
        assert_eq!(bundle["type"], "searchset");
        assert_eq!(bundle["total"], 2);
        let ids: Vec<&str> = bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [MEMBER1.2, MEMBER2.2]);
        assert_eq!(
            bundle["entry"][0]["fullUrl"],
            format!("{root}{base}/Patient/{}", MEMBER1.2)
        );

        let (status, patient) = get(&root, &format!("{base}/Patient/{}", MEMBER2.2), rs).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (&patient["resourceType"], &patient["id"]),
            (&"Patient".into(), &MEMBER2.2.into())
        );

        let (status, appts) = get(&root, &format!("{base}/Appointment"), rs).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(appts["total"], 4);
        let first = &appts["entry"][0]["resource"];
        assert_eq!(first["resourceType"], "Appointment");
        assert_eq!(first["status"], "booked");
        assert_eq!(
            first["participant"][0]["actor"]["reference"],
            format!("Patient/{}", MEMBER1.2)
        );

        // A second granted account, and a narrower application on its own account.
        let (status, birch) = get(
            &root,
            &format!("/app-id/{env}/accounts/birch-health/Patient"),
            rs,
        )
        .await;
        assert_eq!((status, &birch["total"]), (StatusCode::OK, &1.into()));
        let kiosk = Some(creds("intake-kiosk", env));
        let path = format!("/app-id/{env}/accounts/cedar-care/Patient/{}", MEMBER1.2);
        assert_eq!(get(&root, &path, kiosk).await.0, StatusCode::OK);
    }
    s.shutdown().await;
}

#[tokio::test]
async fn the_data_is_deterministic() {
    let (a, b) = (server().await, server().await);
    let path = "/app-id/sandbox/accounts/acme-clinic/Appointment";
    let rs = Some(creds("roster-sync", "sandbox"));
    let (_, x) = get(a.root(), path, rs).await;
    let (_, y) = get(b.root(), path, rs).await;
    let resources = |v: &Value| {
        v["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(resources(&x), resources(&y));
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn missing_or_wrong_credentials_are_401_with_a_challenge() {
    let s = server().await;
    let root = s.root().to_string();
    for env in ENVS {
        let path = format!("/app-id/{env}/accounts/acme-clinic/Patient");
        let (status, headers, body) = call(&root, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{env}");
        assert_eq!(
            challenge(&headers),
            format!("ApplicationId realm=\"app-id/{env}\"")
        );
        assert!(outcome_text(&body).contains("X-Application-Id"));

        let (id, secret) = creds("roster-sync", env);
        let wrong = [
            (id, "wrong-secret"),
            (id, ""),
            ("no-such-app", secret),
            (&secret[..4], secret),
        ];
        for c in wrong {
            let (status, headers, body) = call(&root, Method::GET, &path, Some(c)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{env} {c:?}");
            assert!(challenge(&headers).ends_with("error=\"invalid_credentials\""));
            outcome_text(&body);
        }

        // Only one of the two headers.
        for header in ["X-Application-Id", "X-Application-Secret"] {
            let res = http()
                .get(format!("{root}{path}"))
                .header(header, id)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{header}");
        }
        // A repeated header.
        let res = http()
            .get(format!("{root}{path}"))
            .header("X-Application-Id", id)
            .header("X-Application-Id", id)
            .header("X-Application-Secret", secret)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        // Credentials on one request do not carry over to the next (no session).
        assert_eq!(get(&root, &path, None).await.0, StatusCode::UNAUTHORIZED);
    }
    s.shutdown().await;
}

#[tokio::test]
async fn one_environments_credentials_are_401_in_the_other() {
    let s = server().await;
    let root = s.root().to_string();
    for env in ENVS {
        for app in ["roster-sync", "intake-kiosk", "scheduler-lite"] {
            let path = format!("/app-id/{env}/accounts/cedar-care/Patient");
            let (status, headers, _) =
                call(&root, Method::GET, &path, Some(creds(app, other(env)))).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{app} {env}");
            assert!(challenge(&headers).contains(&format!("app-id/{env}")));
        }
    }
    s.shutdown().await;
}

#[tokio::test]
async fn an_account_not_granted_is_403() {
    let s = server().await;
    let root = s.root().to_string();
    for env in ENVS {
        let cases = [
            ("roster-sync", "cedar-care", "Patient"),
            (
                "intake-kiosk",
                "acme-clinic",
                &format!("Patient/{}", MEMBER1.2),
            ),
            ("scheduler-lite", "birch-health", "Appointment"),
            // An unknown account is refused the same way (no existence oracle).
            ("roster-sync", "no-such-clinic", "Patient"),
        ];
        for (app, account, rest) in cases {
            let path = format!("/app-id/{env}/accounts/{account}/{rest}");
            let (status, headers, body) =
                call(&root, Method::GET, &path, Some(creds(app, env))).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{app} {path}");
            assert!(headers.get("www-authenticate").is_none());
            assert!(outcome_text(&body).contains("account"), "{body}");
        }
    }
    s.shutdown().await;
}

#[tokio::test]
async fn an_endpoint_not_authorized_is_403() {
    let s = server().await;
    let root = s.root().to_string();
    for env in ENVS {
        let cases = [
            ("intake-kiosk", "cedar-care/Patient", "patient-search"),
            (
                "intake-kiosk",
                "cedar-care/Appointment",
                "appointment-search",
            ),
            ("scheduler-lite", "acme-clinic/Patient", "patient-search"),
            (
                "scheduler-lite",
                &format!("acme-clinic/Patient/{}", MEMBER1.2),
                "patient-read",
            ),
        ];
        for (app, rest, endpoint) in cases {
            let path = format!("/app-id/{env}/accounts/{rest}");
            let (status, body) = get(&root, &path, Some(creds(app, env))).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{app} {path}");
            assert!(outcome_text(&body).contains(endpoint), "{body}");
        }
        // The same application on its authorized endpoint.
        let path = format!("/app-id/{env}/accounts/acme-clinic/Appointment");
        let (status, _) = get(&root, &path, Some(creds("scheduler-lite", env))).await;
        assert_eq!(status, StatusCode::OK);
    }
    s.shutdown().await;
}

#[tokio::test]
async fn other_paths_methods_and_ids() {
    let s = server().await;
    let root = s.root().to_string();
    let rs = Some(creds("roster-sync", "sandbox"));
    let base = "/app-id/sandbox/accounts/acme-clinic";
    // A patient of another account, and an unknown one: 404; a malformed id: 400.
    let member3 = "3db6ef9b-0278-4350-b6cc-857096540993";
    assert_eq!(
        get(&root, &format!("{base}/Patient/{member3}"), rs).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&root, &format!("{base}/Patient/unknown"), rs).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&root, &format!("{base}/Patient/a_b"), rs).await.0,
        StatusCode::BAD_REQUEST
    );
    // Unknown paths: 401 before authentication, 404 after; an unknown environment 404.
    assert_eq!(
        get(&root, &format!("{base}/Observation"), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = get(&root, &format!("{base}/Observation"), rs).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    outcome_text(&body);
    assert_eq!(
        get(&root, "/app-id/staging/accounts/acme-clinic/Patient", rs)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Writes: 401 without credentials, 405 with.
    let path = format!("{base}/Patient");
    let (status, _, _) = call(&root, Method::POST, &path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, headers, _) = call(&root, Method::DELETE, &path, rs).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["allow"], "GET, HEAD");
    s.shutdown().await;
}

#[tokio::test]
async fn malformed_input_is_never_5xx() {
    let s = server().await;
    let root = s.root().to_string();
    let rs = Some(creds("roster-sync", "production"));
    let long = "a".repeat(5000);
    let accounts = [
        "%FF%FE",
        "..",
        "ACME-CLINIC",
        "acme-clinic%00",
        &long,
        "%20",
    ];
    for account in accounts {
        for rest in ["Patient", "Patient/x", "Appointment"] {
            let path = format!("/app-id/production/accounts/{account}/{rest}");
            for c in [None, rs] {
                let status = get(&root, &path, c).await.0;
                assert!(status.is_client_error(), "{status} {path}");
            }
        }
    }
    // Non-ASCII and huge credential values.
    let path = "/app-id/production/accounts/acme-clinic/Patient";
    let res = http()
        .get(format!("{root}{path}"))
        .header("X-Application-Id", &[0xffu8, 0xfe][..])
        .header("X-Application-Secret", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let huge = "x".repeat(40 * 1024);
    let res = http()
        .get(format!("{root}{path}"))
        .header("X-Application-Id", &huge)
        .header("X-Application-Secret", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    s.shutdown().await;
}
