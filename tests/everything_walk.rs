//! The `$everything` walk against a small misbehaving server: a looping `next`, a `next` to
//! another origin (never followed, so the token stays home), duplicates and a resource of
//! another patient are all reported.

use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};
use smartcheck::flow::everything::walk;
use smartcheck::http::Session;

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A searchset entry of the patient's own Coverage `id`, a match.
fn matched(id: &str) -> Value {
    json!({"resource": {"resourceType": "Coverage", "id": id,
           "beneficiary": {"reference": "Patient/p"}}, "search": {"mode": "match"}})
}

/// The payer Organization, as `_include` adds it.
fn included() -> Value {
    json!({"resource": {"resourceType": "Organization", "id": "o"},
           "search": {"mode": "include"}})
}

fn bundle(next: Option<String>, entries: Vec<Value>) -> Value {
    let mut links = vec![json!({"relation": "self", "url": "x"})];
    if let Some(n) = next {
        links.push(json!({"relation": "next", "url": n}));
    }
    json!({"resourceType": "Bundle", "type": "searchset", "link": links,
           "entry": entries.into_iter().map(|r| json!({"resource": r})).collect::<Vec<_>>()})
}

#[tokio::test]
async fn loops_foreign_links_duplicates_and_strangers_are_reported() {
    let patient = json!({"resourceType": "Patient", "id": "p"});
    let stranger =
        json!({"resourceType": "Observation", "id": "o", "subject": {"reference": "Patient/q"}});
    let base = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let b = base.clone();
    let app = Router::new()
        .route(
            "/loop",
            get(move || {
                let next = format!("{}/loop", b.get().unwrap());
                async move {
                    axum::Json(bundle(
                        Some(next),
                        vec![json!({"resourceType": "Patient", "id": "p"})],
                    ))
                }
            }),
        )
        .route(
            "/foreign",
            get(move || {
                let (p, s) = (patient.clone(), stranger.clone());
                async move {
                    axum::Json(bundle(
                        Some("http://foreign.invalid/steal".into()),
                        vec![p.clone(), p, s],
                    ))
                }
            }),
        );
    let root = serve(app).await;
    base.set(root.clone()).unwrap();
    let mut session = Session::new(Default::default()).unwrap();

    let summary = walk(
        &mut session,
        &format!("{root}/loop").parse().unwrap(),
        "t",
        "p",
        50,
    )
    .await
    .unwrap();
    assert_eq!(summary["loop"], true);
    assert_eq!(summary["pages"], 1);

    let summary = walk(
        &mut session,
        &format!("{root}/foreign").parse().unwrap(),
        "t",
        "p",
        50,
    )
    .await
    .unwrap();
    assert_eq!(summary["foreign_next"], 1, "{summary}");
    assert_eq!(summary["pages"], 1, "the foreign link is not fetched");
    assert_eq!(summary["duplicates"], 1);
    assert_eq!(summary["outside_compartment"], 1);
}

/// A relative `next` is counted and followed (resolved against the page's URL); a
/// scheme-relative one to another host is a foreign link, never fetched. Included resources
/// do not count against the page size, and the types seen are listed.
#[tokio::test]
async fn relative_links_are_followed_and_includes_are_not_matches() {
    let page = |next: Option<&str>, entries: Vec<Value>| {
        let mut b = bundle(next.map(str::to_string), vec![]);
        b["entry"] = Value::Array(entries);
        axum::Json(b)
    };
    let included = included();
    let app = Router::new()
        .route(
            "/fhir/Coverage",
            get(move || {
                let (a, b, i) = (matched("a"), matched("b"), included.clone());
                async move { page(Some("Coverage-2?x=1"), vec![a, b, i]) }
            }),
        )
        .route(
            "/fhir/Coverage-2",
            get(move || async move { page(Some("//foreign.invalid/steal"), vec![matched("c")]) }),
        );
    let root = serve(app).await;
    let summary = walk(
        &mut Session::new(Default::default()).unwrap(),
        &format!("{root}/fhir/Coverage").parse().unwrap(),
        "t",
        "p",
        50,
    )
    .await
    .unwrap();
    assert_eq!(summary["pages"], 2, "{summary}");
    assert_eq!(summary["relative_next"], 2);
    assert_eq!(summary["foreign_next"], 1);
    assert_eq!(summary["largest_page"], 2, "the include is not a match");
    assert_eq!(summary["resources"], 4);
    assert_eq!(summary["first_status"], 200);
    assert_eq!(summary["types"], json!(["Coverage", "Organization"]));
}

#[tokio::test]
async fn an_unreachable_start_is_an_error() {
    let err = walk(
        &mut Session::new(Default::default()).unwrap(),
        &"http://127.0.0.1:9/x".parse().unwrap(),
        "t",
        "p",
        5,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("GET failed: cannot connect"), "{err}");
}

/// FHIR R4 Bundle.total counts the matches across all pages, not the `include` entries: a
/// walk that reaches its end says whether they agree; without a total, or on a walk that
/// stopped early, there is nothing to judge (null).
#[tokio::test]
async fn total_is_judged_against_the_matches_of_a_complete_walk() {
    let with_total = |total: u64, next: Option<&str>, entries: Vec<Value>| {
        let mut b = bundle(next.map(str::to_string), vec![]);
        b["entry"] = Value::Array(entries);
        b["total"] = json!(total);
        axum::Json(b)
    };
    let included = included();
    let app =
        Router::new()
            .route(
                "/agrees",
                get(move || {
                    let (a, i) = (matched("a"), included.clone());
                    async move { with_total(2, Some("agrees-2"), vec![a, i]) }
                }),
            )
            .route(
                "/agrees-2",
                get(move || async move { with_total(2, None, vec![matched("b")]) }),
            )
            .route(
                "/short",
                get(move || async move { with_total(5, None, vec![matched("a"), matched("b")]) }),
            )
            .route(
                "/stopped",
                get(move || async move {
                    with_total(9, Some("//foreign.invalid/x"), vec![matched("a")])
                }),
            );
    let root = serve(app).await;
    let mut session = Session::new(Default::default()).unwrap();
    for (path, total, agrees) in [
        ("agrees", json!(2), json!(true)),
        ("short", json!(5), json!(false)),
        ("stopped", json!(9), Value::Null),
    ] {
        let start = format!("{root}/{path}").parse().unwrap();
        let summary = walk(&mut session, &start, "t", "p", 50).await.unwrap();
        assert_eq!(summary["total"], total, "{path}: {summary}");
        assert_eq!(summary["total_agrees"], agrees, "{path}: {summary}");
    }
}
