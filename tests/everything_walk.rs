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
