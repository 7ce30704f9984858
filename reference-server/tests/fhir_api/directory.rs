//! Provider Directory API, the gateway's plan rule, and paths and methods outside the API.

use std::collections::HashSet;

use axum::Router;
use axum::routing::get;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn fhir_provider_directory_search_pages_and_reads() {
    let s = server().await;
    let base = s.state.urls.provider_directory.clone();
    let tok = insert_directory_token(&s);
    for t in [
        "Practitioner",
        "PractitionerRole",
        "Organization",
        "Location",
        "HealthcareService",
        "InsurancePlan",
        "Endpoint",
    ] {
        let pages = walk(&format!("{base}/{t}?_count=2"), &tok, &base).await;
        let got = entries(&pages, &base);
        let want: HashSet<(String, String)> = s
            .state
            .data
            .shared
            .of_type(t)
            .filter(|r| !reference_server::fhir::directory::is_formulary(&r.value))
            .map(|r| (r.resource_type.clone(), r.id.clone()))
            .collect();
        assert_eq!(got.iter().cloned().collect::<HashSet<_>>(), want, "{t}");
        assert!(pages.iter().all(|p| page_len(p) <= 2));
        if let Some((t, id)) = got.first() {
            let (status, ctype, body) = get_json(&format!("{base}/{t}/{id}"), &tok).await;
            assert_eq!(
                (status, ctype.as_str(), body["id"].as_str()),
                (200, "application/fhir+json", Some(id.as_str()))
            );
        }
    }
    assert_eq!(
        get_json(&format!("{base}/MedicationKnowledge"), &tok)
            .await
            .0,
        404
    );
    assert_eq!(
        get_json(&format!("{base}/Practitioner?_count=0"), &tok)
            .await
            .0,
        400
    );
    // The gateway keeps each API to its plan.
    let patient = insert_patient_token(&s, MEMBER1.2);
    let (status, _, outcome) = get_json(&format!("{base}/Practitioner"), &patient).await;
    assert_eq!(status, 403);
    assert!(
        outcome.to_string().contains("Not registered to plan"),
        "{outcome}"
    );
    let pa = &s.state.urls.patient_access;
    assert_eq!(
        get_json(&format!("{pa}/Patient/{}", MEMBER1.2), &tok)
            .await
            .0,
        403
    );
    s.shutdown().await;
}

#[tokio::test]
async fn fhir_other_paths_and_methods_answer_operation_outcomes() {
    let s = server().await;
    let base = s.state.urls.patient_access.clone();
    let tok = insert_patient_token(&s, MEMBER1.2);
    for path in ["/a/b/c/d", "", "/", "/Patient/x/y/z", "//Patient"] {
        let (status, ctype, body) = get_json(&format!("{base}{path}"), &tok).await;
        assert_eq!(
            (status, ctype.as_str()),
            (404, "application/fhir+json"),
            "{path}"
        );
        assert_eq!(body["resourceType"], "OperationOutcome");
    }
    for url in [
        format!("{base}/Patient"),
        format!("{base}/Patient/{}", MEMBER1.2),
    ] {
        let res = http()
            .post(&url)
            .bearer_auth(&tok.token)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 405);
        assert_eq!(res.headers()["allow"], "GET, HEAD");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["resourceType"], "OperationOutcome");
    }
    let res = http().get(format!("{base}/Patient")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    s.shutdown().await;
}

#[tokio::test]
async fn fhir_discovery_routes_win_over_the_type_parameter() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let root = format!("http://{}", listener.local_addr().unwrap());
    let state =
        reference_server::build_state(reference_server::Config::ephemeral(), &root).unwrap();
    // Other areas' routes, and an application-wide fallback added after the merge.
    let discovery: Router<reference_server::AppState> = Router::new()
        .route("/fhir/metadata", get(|| async { "metadata" }))
        .route(
            "/fhir/.well-known/smart-configuration",
            get(|| async { "smart" }),
        );
    let app = reference_server::fhir::router()
        .merge(discovery)
        .fallback(|| async { "global" })
        .with_state(state);
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = http();
    for (path, status, want) in [
        ("/fhir/metadata", 200, "metadata"),
        ("/fhir/.well-known/smart-configuration", 200, "smart"),
        ("/elsewhere", 200, "global"),
        // Paths under the base stay behind the gateway.
        ("/fhir/Patient", 401, "OperationOutcome"),
        ("/fhir/a/b/c/d", 401, "OperationOutcome"),
        ("/fhir/", 401, "OperationOutcome"),
        ("/provider-directory/fhir/a/b/c", 401, "OperationOutcome"),
    ] {
        let res = client.get(format!("{root}{path}")).send().await.unwrap();
        assert_eq!(res.status(), status, "{path}");
        assert!(res.text().await.unwrap().contains(want), "{path}");
    }
    task.abort();
}
