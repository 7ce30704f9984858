//! Token endpoint and id_token: one test per rule (DESIGN
//! section 4, "Token endpoint"; RFC 6749, 7636, 7662, 7009).

mod support;

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use reference_server::Config;
use serde_json::Value;
use support::*;

/// Exchanges `code` at the token endpoint as `creds`.
async fn exchange(
    s: &reference_server::RunningServer,
    creds: (&str, &str),
    code: &str,
    redirect_uri: &str,
) -> reqwest::Response {
    token_request(s, Some(creds), &exchange_form(code, redirect_uri)).await
}

fn exchange_form<'a>(code: &'a str, redirect_uri: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
    ]
}

#[tokio::test]
async fn code_exchange_returns_every_documented_field_uncached() {
    let s = server().await;
    let code = code_for(&s, &[], PA_CLIENT, REDIRECT).await;
    let res = exchange(&s, (PA_CLIENT, PA_SECRET), &code, REDIRECT).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["pragma"], "no-cache");
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3599);
    assert_eq!(v["scope"], SCOPE);
    assert_eq!(v["patient"], MEMBER1.2);
    for field in ["access_token", "refresh_token", "id_token"] {
        assert!(v[field].as_str().is_some_and(|t| !t.is_empty()), "{field}");
    }
    s.shutdown().await;
}

#[tokio::test]
async fn id_token_is_rs256_signed_by_a_jwks_key_with_the_oidc_claims() {
    let s = server().await;
    let code = code_for(&s, &[("nonce", "n-42")], PA_CLIENT, REDIRECT).await;
    let v: Value = exchange(&s, (PA_CLIENT, PA_SECRET), &code, REDIRECT)
        .await
        .json()
        .await
        .unwrap();
    let id_token = v["id_token"].as_str().unwrap();
    let header = decode_header(id_token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    let kid = header.kid.expect("kid");
    let discovery: Value = http()
        .get(format!(
            "{}/.well-known/smart-configuration",
            s.state.urls.patient_access
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwks: Value = http()
        .get(discovery["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("kid in JWKS");
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[PA_CLIENT]);
    validation.set_issuer(&[s.state.urls.issuer.as_str()]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    let claims = decode::<Value>(id_token, &key, &validation)
        .expect("valid signature and claims")
        .claims;
    assert_eq!(claims["sub"], MEMBER1.2);
    assert_eq!(claims["nonce"], "n-42");
    assert_eq!(
        claims["fhirUser"],
        format!("{}/Patient/{}", s.state.urls.patient_access, MEMBER1.2)
    );
    // A flipped signature byte fails verification.
    let (head, sig) = id_token.rsplit_once('.').unwrap();
    let mut raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sig)
        .unwrap();
    raw[0] ^= 1;
    let forged = format!(
        "{head}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    );
    assert!(decode::<Value>(&forged, &key, &validation).is_err());
    s.shutdown().await;
}

#[tokio::test]
async fn a_reused_code_fails_and_revokes_what_it_issued() {
    let s = server().await;
    let code = code_for(&s, &[], PA_CLIENT, REDIRECT).await;
    let first: Value = exchange(&s, (PA_CLIENT, PA_SECRET), &code, REDIRECT)
        .await
        .json()
        .await
        .unwrap();
    let again = exchange(&s, (PA_CLIENT, PA_SECRET), &code, REDIRECT).await;
    assert_eq!(error_of(again).await, (400, "invalid_grant".into()));
    let access = first["access_token"].as_str().unwrap();
    assert!(
        s.state.tokens.live_access(access).is_none(),
        "tokens of a replayed code are revoked"
    );
    let refresh = refresh_request(
        &s,
        (PA_CLIENT, PA_SECRET),
        first["refresh_token"].as_str().unwrap(),
        None,
    )
    .await;
    assert_eq!(error_of(refresh).await, (400, "invalid_grant".into()));
    s.shutdown().await;
}

#[tokio::test]
async fn codes_are_bound_to_redirect_uri_and_client() {
    let s = server().await;
    let code = code_for(&s, &[], PA_CLIENT, REDIRECT).await;
    // Another client presenting the code: invalid_grant, and the code is not spent.
    let other = exchange(&s, (PA2_CLIENT, PA2_SECRET), &code, REDIRECT).await;
    assert_eq!(error_of(other).await, (400, "invalid_grant".into()));
    let slash = exchange(
        &s,
        (PA_CLIENT, PA_SECRET),
        &code,
        "https://client-app.com/redirect/",
    )
    .await;
    assert_eq!(error_of(slash).await, (400, "invalid_grant".into()));
    let code = code_for(&s, &[], PA_CLIENT, REDIRECT_SLASH).await;
    let res = exchange(&s, (PA_CLIENT, PA_SECRET), &code, REDIRECT).await;
    assert_eq!(error_of(res).await, (400, "invalid_grant".into()));
    let code = code_for(&s, &[], PA_CLIENT, REDIRECT).await;
    let missing = token_request(
        &s,
        Some((PA_CLIENT, PA_SECRET)),
        &[("grant_type", "authorization_code"), ("code", &code)],
    )
    .await;
    assert_eq!(error_of(missing).await, (400, "invalid_request".into()));
    let res = token_request(
        &s,
        Some((PA_CLIENT, PA_SECRET)),
        &exchange_form("not-a-code", REDIRECT),
    )
    .await;
    assert_eq!(error_of(res).await, (400, "invalid_grant".into()));
    s.shutdown().await;
}

#[tokio::test]
async fn expired_codes_are_refused() {
    let mut config = Config::ephemeral();
    config.code_ttl = 1;
    let s = server_with(config).await;
    let code = code_for(&s, &[], PA_CLIENT, REDIRECT).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let res = exchange(&s, (PA_CLIENT, PA_SECRET), &code, REDIRECT).await;
    assert_eq!(error_of(res).await, (400, "invalid_grant".into()));
    s.shutdown().await;
}

#[tokio::test]
async fn pkce_s256_verifier_is_checked() {
    let s = server().await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU2p1r-wW1gFWFOEjXk";
    let pkce = [
        (
            "code_challenge",
            "ds6m7b3BphPhC5KVSTwj-8sjyMhumHpOHDawE-oZNgQ",
        ),
        ("code_challenge_method", "S256"),
    ];
    let code = code_for(&s, &pkce, PA_CLIENT, REDIRECT).await;
    let mut form = exchange_form(&code, REDIRECT);
    form.push(("code_verifier", verifier));
    assert_eq!(
        token_request(&s, Some((PA_CLIENT, PA_SECRET)), &form)
            .await
            .status(),
        200
    );
    for bad in [Some("dBjftJeZ4CVP-mB92K27uhbUJU2p1r-wW1gFWFOEjXX"), None] {
        let code = code_for(&s, &pkce, PA_CLIENT, REDIRECT).await;
        let mut form = exchange_form(&code, REDIRECT);
        if let Some(v) = bad {
            form.push(("code_verifier", v));
        }
        let res = token_request(&s, Some((PA_CLIENT, PA_SECRET)), &form).await;
        assert_eq!(
            error_of(res).await,
            (400, "invalid_grant".into()),
            "{bad:?}"
        );
    }
    s.shutdown().await;
}

#[tokio::test]
async fn bad_client_credentials_get_401_invalid_client_with_a_basic_challenge() {
    let s = server().await;
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "system/*.rs"),
    ];
    for creds in [Some((PD_CLIENT, "wrong")), Some(("nobody", "x")), None] {
        let res = token_request(&s, creds, &form).await;
        assert!(
            res.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Basic")
        );
        assert_eq!(
            error_of(res).await,
            (401, "invalid_client".into()),
            "{creds:?}"
        );
    }
    // client_secret_post is not offered.
    let res = http()
        .post(&s.state.urls.token)
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "system/*.rs"),
            ("client_id", PD_CLIENT),
            ("client_secret", PD_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res).await, (401, "invalid_client".into()));
    s.shutdown().await;
}

#[tokio::test]
async fn grant_type_errors_follow_rfc_6749() {
    let s = server().await;
    let pd = Some((PD_CLIENT, PD_SECRET));
    type Case<'a> = (Option<(&'a str, &'a str)>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (pd, vec![("scope", "system/*.rs")], "invalid_request"),
        (
            pd,
            vec![("grant_type", "password"), ("username", "u")],
            "unsupported_grant_type",
        ),
        (
            pd,
            vec![
                ("grant_type", "authorization_code"),
                ("code", "x"),
                ("redirect_uri", REDIRECT),
            ],
            "unauthorized_client",
        ),
        (
            Some((PA_CLIENT, PA_SECRET)),
            vec![
                ("grant_type", "client_credentials"),
                ("scope", "system/*.rs"),
            ],
            "unauthorized_client",
        ),
        (
            pd,
            vec![
                ("grant_type", "client_credentials"),
                ("scope", "patient/*.rs"),
            ],
            "invalid_scope",
        ),
        (
            pd,
            vec![
                ("grant_type", "client_credentials"),
                ("scope", "system/*.rs user/*.rs"),
            ],
            "invalid_scope",
        ),
        (
            pd,
            vec![("grant_type", "client_credentials")],
            "invalid_scope",
        ),
        (
            pd,
            vec![
                ("grant_type", "client_credentials"),
                ("grant_type", "client_credentials"),
                ("scope", "system/*.rs"),
            ],
            "invalid_request",
        ),
    ];
    for (creds, form, expected) in cases {
        let res = token_request(&s, creds, &form).await;
        assert_eq!(error_of(res).await, (400, expected.to_string()), "{form:?}");
    }
    let res = http()
        .post(&s.state.urls.token)
        .basic_auth(PD_CLIENT, Some(PD_SECRET))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res).await, (400, "invalid_request".into()));
    s.shutdown().await;
}

#[tokio::test]
async fn client_credentials_grant_only_system_scope_without_patient_or_refresh() {
    let s = server().await;
    // Seed 002's own example sends `openid fhirUser system/*.rs`.
    let res = token_request(
        &s,
        Some((PD_CLIENT, PD_SECRET)),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "openid fhirUser system/*.rs"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["scope"], "system/*.rs");
    assert_eq!(v["token_type"], "Bearer");
    for absent in ["patient", "refresh_token", "id_token"] {
        assert!(v.get(absent).is_none(), "{absent} must be absent");
    }
    s.shutdown().await;
}

#[tokio::test]
async fn refresh_issues_a_working_token_bound_to_the_client_and_never_wider() {
    let s = server().await;
    let t = member_tokens(&s, MEMBER1).await;
    let rt = t["refresh_token"].as_str().unwrap();
    let res = refresh_request(&s, (PA_CLIENT, PA_SECRET), rt, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let v: Value = res.json().await.unwrap();
    assert_ne!(v["access_token"], t["access_token"]);
    assert_eq!(v["expires_in"], 3599);
    assert_eq!(v["scope"], SCOPE);
    assert!(
        s.state
            .tokens
            .live_access(v["access_token"].as_str().unwrap())
            .is_some()
    );
    // Narrowing is allowed, widening is not.
    let narrow = refresh_request(&s, (PA_CLIENT, PA_SECRET), rt, Some("patient/*.rs")).await;
    assert_eq!(
        narrow.json::<Value>().await.unwrap()["scope"],
        "patient/*.rs"
    );
    let wide = refresh_request(
        &s,
        (PA_CLIENT, PA_SECRET),
        rt,
        Some("patient/*.rs user/*.rs"),
    )
    .await;
    assert_eq!(error_of(wide).await, (400, "invalid_scope".into()));
    let other = refresh_request(&s, (PA2_CLIENT, PA2_SECRET), rt, None).await;
    assert_eq!(error_of(other).await, (400, "invalid_grant".into()));
    let random = refresh_request(&s, (PA_CLIENT, PA_SECRET), "x".repeat(43).as_str(), None).await;
    assert_eq!(error_of(random).await, (400, "invalid_grant".into()));
    s.shutdown().await;
}
