//! The form login driver against the bundled reference server's real pages.

use smartcheck::flow::login_form::{Credentials, FormLoginSettings, login};
use smartcheck::http::Session;

const REDIRECT: &str = "https://client-app.com/redirect";

fn browser() -> Session {
    Session::new(Default::default()).unwrap()
}

fn authorize_url(server: &reference_server::RunningServer, redirect_uri: &str) -> String {
    let mut u = url::Url::parse(&server.state.urls.authorize).unwrap();
    u.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", "patient-access-app"),
        ("redirect_uri", redirect_uri),
        ("scope", "openid fhirUser launch/patient patient/*.rs"),
        ("state", "s-1"),
    ]);
    u.to_string()
}

/// Member 1 logs in with `password` from an authorize request for `redirect_uri`.
async fn member_login(
    s: &reference_server::RunningServer,
    redirect_uri: &str,
    password: &str,
) -> Result<url::Url, smartcheck::flow::login_form::LoginError> {
    let member = Credentials {
        username: "sbx-patientAccessMember-1",
        password,
    };
    let settings = FormLoginSettings::default();
    login(
        &mut browser(),
        &authorize_url(s, redirect_uri),
        redirect_uri,
        &member,
        &settings,
    )
    .await
}

#[tokio::test]
async fn logs_in_approves_and_stops_at_the_redirect_uri() {
    let s = reference_server::start(reference_server::Config::ephemeral())
        .await
        .unwrap();
    let url = member_login(&s, REDIRECT, "hpTest11").await.unwrap();
    assert!(url.as_str().starts_with(REDIRECT));
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert!(pairs.iter().any(|(k, v)| k == "code" && v.len() == 43));
    assert!(pairs.contains(&("state".into(), "s-1".into())));
    s.shutdown().await;
}

#[tokio::test]
async fn a_wrong_password_or_a_bad_redirect_is_an_error_without_secrets() {
    let s = reference_server::start(reference_server::Config::ephemeral())
        .await
        .unwrap();
    let err = member_login(&s, REDIRECT, "not-the-Pa55word")
        .await
        .unwrap_err();
    assert!(err.message.contains("login form was shown again"), "{err}");
    assert!(err.credentials_refused);
    assert!(!err.to_string().contains("not-the-Pa55word"));
    let bad = "https://client-app.com/redirect/";
    let err = member_login(&s, bad, "hpTest11").await.unwrap_err();
    assert!(!err.credentials_refused);
    assert_eq!(err.step, 1);
    assert!(
        err.message.contains("400") && err.message.contains("invalid_request"),
        "{err}"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_server_is_an_error_not_a_hang() {
    let member = Credentials {
        username: "u",
        password: "p",
    };
    let err = login(
        &mut browser(),
        "http://127.0.0.1:9/oauth2/authorize",
        REDIRECT,
        &member,
        &FormLoginSettings::default(),
    )
    .await
    .unwrap_err();
    assert!(
        err.message.starts_with("GET failed: cannot connect"),
        "{err}"
    );
}
