//! Authorization endpoint, login and consent: one test per rule (DESIGN section 4,
//! "Authorization endpoint").

mod support;

use support::*;

#[tokio::test]
async fn registered_uris_get_a_code_and_the_state_echoed() {
    let s = server().await;
    for uri in [REDIRECT, REDIRECT_SLASH, "http://127.0.0.1:8765/callback"] {
        let res = member_flow(&s, &std_params(PA_CLIENT, uri), MEMBER1, "approve").await;
        assert_eq!(res.status(), 302, "{uri}");
        let loc = res.headers()["location"].to_str().unwrap().to_string();
        assert!(
            loc.starts_with(&format!("{uri}?")),
            "{loc} must go back to {uri}"
        );
        let pairs = location_params(&res);
        assert_eq!(param(&pairs, "state"), Some("st-123"));
        assert_eq!(param(&pairs, "code").map(str::len), Some(43));
        assert_eq!(res.headers()["cache-control"], "no-store");
    }
    s.shutdown().await;
}

#[tokio::test]
async fn state_with_special_characters_is_echoed_exactly() {
    let s = server().await;
    let state = "a b&c=d/é?#%";
    let mut params = std_params(PA_CLIENT, REDIRECT);
    params.retain(|(k, _)| *k != "state");
    params.push(("state", state));
    let res = member_flow(&s, &params, MEMBER1, "approve").await;
    assert_eq!(param(&location_params(&res), "state"), Some(state));
    s.shutdown().await;
}

#[tokio::test]
async fn every_redirect_uri_mutation_gets_an_error_page_and_no_redirect() {
    let s = server().await;
    let b = browser();
    for bad in [
        "https://client-app.com/redirect/",
        "https://client-app.com/callback",
        "HTTPS://client-app.com/redirect",
        "https://CLIENT-APP.com/redirect",
        "https://client-app.com/REDIRECT",
        "https://client-app.com:443/redirect",
        "https://client-app.com:8443/redirect",
        "http://client-app.com/redirect",
        "https://client-app.com/redirect?extra=1",
        "https://client-app.com/redirect#frag",
        "https://client-app.com/redirect/more",
        "https://client-app.com/redir",
        "https://client-app.com/%72edirect",
        "https://evil.example/redirect",
        "https://second-app.example.org/cb",
    ] {
        let res = b
            .get(authorize_url(&s, &std_params(PA_CLIENT, bad)))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{bad}");
        assert!(
            res.headers().get("location").is_none(),
            "{bad} must not redirect"
        );
        let html = res.text().await.unwrap();
        assert!(
            html.contains("data-error=\"invalid_request\""),
            "{bad}: {html}"
        );
    }
    s.shutdown().await;
}

#[tokio::test]
async fn unknown_or_missing_client_and_missing_redirect_uri_are_not_redirected() {
    let s = server().await;
    let b = browser();
    let cases: Vec<Vec<(&str, &str)>> = vec![
        std_params("no-such-client", REDIRECT),
        std_params(PA_CLIENT, REDIRECT)
            .into_iter()
            .filter(|(k, _)| *k != "client_id")
            .collect(),
        std_params(PA_CLIENT, REDIRECT)
            .into_iter()
            .filter(|(k, _)| *k != "redirect_uri")
            .collect(),
        // A URI the Provider Directory app did not register.
        std_params(PD_CLIENT, REDIRECT),
        {
            let mut p = std_params(PA_CLIENT, REDIRECT);
            p.push(("client_id", PA_CLIENT));
            p
        },
    ];
    for params in cases {
        let res = b.get(authorize_url(&s, &params)).send().await.unwrap();
        assert_eq!(res.status(), 400, "{params:?}");
        assert!(res.headers().get("location").is_none());
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
    s.shutdown().await;
}

async fn authorize_error(
    s: &reference_server::RunningServer,
    params: &[(&str, &str)],
) -> (String, Option<String>) {
    let res = browser()
        .get(authorize_url(s, params))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302, "{params:?}");
    let pairs = location_params(&res);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with(REDIRECT)
    );
    assert!(param(&pairs, "code").is_none());
    (
        param(&pairs, "error").expect("error").to_string(),
        param(&pairs, "state").map(str::to_string),
    )
}

#[tokio::test]
async fn forbidden_scopes_are_refused_with_invalid_scope_and_the_state() {
    let s = server().await;
    for scope in [
        "openid fhirUser launch/patient patient/*.rs patient/Patient.rs",
        "openid fhirUser launch/patient patient/Patient.rs",
        "openid fhirUser launch/patient patient/*.*",
        "openid fhirUser launch/patient patient/*.cruds",
        "openid fhirUser launch/patient patient/*.read",
        "openid fhirUser launch/patient user/*.rs",
        "openid fhirUser launch/patient patient/*.rs system/*.rs",
        "openid fhirUser launch patient/*.rs",
        "openid fhirUser launch/patient patient/*.rs launch",
        "openid fhirUser launch/patient patient/*.rs offline_access",
        "fhirUser launch/patient patient/*.rs",
        "openid launch/patient patient/*.rs",
        "openid fhirUser patient/*.rs",
        "openid fhirUser launch/patient",
        "",
    ] {
        let mut params = std_params(PA_CLIENT, REDIRECT);
        params.retain(|(k, _)| *k != "scope");
        if !scope.is_empty() {
            params.push(("scope", scope));
        }
        let (error, state) = authorize_error(&s, &params).await;
        assert_eq!(error, "invalid_scope", "{scope}");
        assert_eq!(state.as_deref(), Some("st-123"), "{scope}");
    }
    s.shutdown().await;
}

#[tokio::test]
async fn malformed_requests_with_a_good_redirect_are_redirected_with_the_error() {
    let s = server().await;
    let base = std_params(PA_CLIENT, REDIRECT);
    let with = |k: &'static str, v: &'static str| {
        let mut p: Vec<(&str, &str)> = base.iter().copied().filter(|(n, _)| *n != k).collect();
        if !v.is_empty() {
            p.push((k, v));
        }
        p
    };
    let cases = [
        (with("response_type", ""), "invalid_request"),
        (with("response_type", "token"), "unsupported_response_type"),
        (with("code_challenge_method", "plain"), "invalid_request"),
        (with("code_challenge", "abc"), "invalid_request"),
        (
            with("aud", "https://elsewhere.example/fhir"),
            "invalid_request",
        ),
        (
            {
                let mut p = base.clone();
                p.push(("scope", SCOPE));
                p
            },
            "invalid_request",
        ),
    ];
    for (params, expected) in cases {
        let (error, state) = authorize_error(&s, &params).await;
        assert_eq!(error, expected, "{params:?}");
        assert_eq!(state.as_deref(), Some("st-123"));
    }
    // A client without the authorization code grant, at its own registered URI.
    let pd_redirect = "https://directory-app.example.org/callback";
    let res = browser()
        .get(authorize_url(&s, &std_params(PD_CLIENT, pd_redirect)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with(pd_redirect)
    );
    assert_eq!(
        param(&location_params(&res), "error"),
        Some("unauthorized_client")
    );
    // The no-plan app may run the flow; the gateway refuses it later.
    let res = browser()
        .get(authorize_url(
            &s,
            &std_params(NP_CLIENT, "https://no-plan-app.example.org/redirect"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    s.shutdown().await;
}

#[tokio::test]
async fn aud_equal_to_the_fhir_base_is_accepted() {
    let s = server().await;
    let aud = s.state.urls.patient_access.clone();
    let mut params = std_params(PA_CLIENT, REDIRECT);
    params.push(("aud", &aud));
    let res = member_flow(&s, &params, MEMBER1, "approve").await;
    assert!(param(&location_params(&res), "code").is_some());
    s.shutdown().await;
}

#[tokio::test]
async fn wrong_password_shows_the_form_again_with_an_error() {
    let s = server().await;
    let b = browser();
    let tx = start_login(&s, &b, &std_params(PA_CLIENT, REDIRECT)).await;
    let res = submit_login(&s, &b, &tx, MEMBER1.0, "hpTest12").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("set-cookie").is_none());
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"login-error\""));
    assert!(html.contains("id=\"login-form\""));
    assert_eq!(hidden(&html, "tx").as_deref(), Some(tx.as_str()));
    s.shutdown().await;
}

#[tokio::test]
async fn deny_redirects_with_access_denied_and_the_state() {
    let s = server().await;
    let res = member_flow(&s, &std_params(PA_CLIENT, REDIRECT), MEMBER1, "deny").await;
    assert_eq!(res.status(), 302);
    let pairs = location_params(&res);
    assert_eq!(param(&pairs, "error"), Some("access_denied"));
    assert_eq!(param(&pairs, "state"), Some("st-123"));
    assert!(param(&pairs, "code").is_none());
    s.shutdown().await;
}

#[tokio::test]
async fn consent_needs_the_session_cookie_of_the_login() {
    let s = server().await;
    let b = browser();
    let tx = start_login(&s, &b, &std_params(PA_CLIENT, REDIRECT)).await;
    let consent_url = format!("{}/consent", s.state.urls.issuer);
    // Before login: refused.
    let res = http()
        .post(&consent_url)
        .form(&[("tx", tx.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    submit_login(&s, &b, &tx, MEMBER1.0, MEMBER1.1).await;
    // Another browser (no cookie) cannot approve on the member's behalf.
    let res = http()
        .post(&consent_url)
        .form(&[("tx", tx.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    // The member's own browser can, once.
    let res = b
        .post(&consent_url)
        .form(&[("tx", tx.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let res = b
        .post(&consent_url)
        .form(&[("tx", tx.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "the transaction is single use");
    s.shutdown().await;
}
