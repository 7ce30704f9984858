//! The form driver on a vendor's pages that are not ours: a search form before the login
//! form, a Cancel button before Sign in (only `action=login` signs in), and a consent page
//! whose unnamed buttons differ by text and `formaction`. The default settings cannot get
//! through; the controls a profile names by text and selector can, and deny works too.

use axum::Router;
use axum::extract::Form;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use smartcheck::flow::login_form::{Credentials, FormLoginSettings, login};
use smartcheck::flow::page_control::Control;
use smartcheck::http::Session;

const REDIRECT: &str = "https://client-app.com/redirect";

const LOGIN: &str = "<html><body><form action=/search><input name=q><button>Search</button></form>\
    <form method=post action=/login><input name=username><input type=password name=password>\
    <button name=action value=cancel>Cancel</button>\
    <button name=action value=login class='btn primary'>Sign in</button></form></body></html>";

const CONSENT: &str = "<html><body><form method=post action=/consent>\
    <input type=hidden name=tx value=t-1>\
    <button type=submit formaction=/consent/deny>Don't  allow</button>\
    <button type=submit>Allow access</button></form></body></html>";

async fn sign_in(Form(f): Form<Vec<(String, String)>>) -> Response {
    let has = |k: &str, v: &str| f.iter().any(|(a, b)| a == k && b == v);
    if has("action", "login") && has("username", "member") && has("password", "pw") {
        Html(CONSENT).into_response()
    } else {
        Html(LOGIN).into_response()
    }
}

async fn server() -> String {
    let tx = |f: &Vec<(String, String)>| f.iter().any(|(k, v)| k == "tx" && v == "t-1");
    let app = Router::new()
        .route("/authorize", get(|| async { Html(LOGIN) }))
        .route("/login", post(sign_in))
        .route(
            "/consent",
            post(move |Form(f): Form<Vec<(String, String)>>| async move {
                let to = if tx(&f) {
                    "?code=c-1"
                } else {
                    "?error=server_error"
                };
                Redirect::to(&format!("{REDIRECT}{to}"))
            }),
        )
        .route(
            "/consent/deny",
            post(|| async { Redirect::to(&format!("{REDIRECT}?error=access_denied")) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/authorize", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn run(url: &str, settings: &FormLoginSettings) -> Result<url::Url, String> {
    let member = Credentials {
        username: "member",
        password: "pw",
    };
    let mut session = Session::new(Default::default()).unwrap();
    login(&mut session, url, REDIRECT, &member, settings)
        .await
        .map_err(|e| e.to_string())
}

fn named_by_profile() -> FormLoginSettings {
    FormLoginSettings {
        login_button: Some(Control::Css("button.primary".into())),
        approve: Control::Text("allow access".into()),
        deny: Control::Text("don't allow".into()),
        ..FormLoginSettings::default()
    }
}

#[tokio::test]
async fn controls_named_by_text_and_selector_get_through_a_vendors_pages() {
    let url = server().await;
    let end = run(&url, &named_by_profile()).await.unwrap();
    assert_eq!(end.query(), Some("code=c-1"));
    let deny = FormLoginSettings {
        deny_consent: true,
        ..named_by_profile()
    };
    let end = run(&url, &deny).await.unwrap();
    assert_eq!(end.query(), Some("error=access_denied"));
}

#[tokio::test]
async fn the_defaults_press_cancel_and_find_no_consent_control() {
    let url = server().await;
    // Implicit submission presses the first submit control: Cancel, so the form comes back.
    let err = run(&url, &FormLoginSettings::default()).await.unwrap_err();
    assert!(err.contains("login form was shown again"), "{err}");
    let past_login = FormLoginSettings {
        login_button: Some(Control::Text("Sign in".into())),
        ..FormLoginSettings::default()
    };
    let err = run(&url, &past_login).await.unwrap_err();
    assert!(err.contains("neither login nor consent"), "{err}");
}
