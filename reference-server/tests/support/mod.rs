//! Shared helpers of the integration tests: a server on an ephemeral loopback port and the
//! member flow driven through the real login and consent forms.
#![allow(dead_code)]

use reference_server::urls::Urls;
use reference_server::{Config, RunningServer};
use reqwest::redirect::Policy;
use serde_json::Value;

pub const PA_CLIENT: &str = "patient-access-app";
pub const PA_SECRET: &str = "pa-demo-secret-7f3c";
pub const PA2_CLIENT: &str = "patient-access-app-2";
pub const PA2_SECRET: &str = "pa2-demo-secret-91ab";
pub const PD_CLIENT: &str = "provider-directory-app";
pub const PD_SECRET: &str = "pd-demo-secret-4e2d";
pub const NP_CLIENT: &str = "no-plan-app";
pub const NP_SECRET: &str = "np-demo-secret-0c55";
pub const REDIRECT: &str = "https://client-app.com/redirect";
pub const REDIRECT_SLASH: &str = "https://client-app.com/callback/";
pub const SCOPE: &str = "openid fhirUser launch/patient patient/*.rs";
pub const MEMBER1: (&str, &str, &str) = (
    "sbx-patientAccessMember-1",
    "hpTest11",
    "ffaa7043-d695-4cf0-a541-945bca539041",
);
pub const MEMBER2: (&str, &str, &str) = (
    "sbx-patientAccessMember-2",
    "hpTest22",
    "b5631ecf-b58c-48f5-87f0-b9988f41969b",
);

/// Anything that knows the server's URLs: a running server in-process, or just its URLs
/// (benchmarks drive a server in another process).
pub trait Target {
    fn urls(&self) -> &Urls;
}

impl Target for RunningServer {
    fn urls(&self) -> &Urls {
        &self.state.urls
    }
}

impl Target for Urls {
    fn urls(&self) -> &Urls {
        self
    }
}

/// Starts a server with default settings on 127.0.0.1:0.
pub async fn server() -> RunningServer {
    server_with(Config::ephemeral()).await
}

/// Starts a server with `config`.
pub async fn server_with(config: Config) -> RunningServer {
    reference_server::start(config)
        .await
        .expect("server starts")
}

/// A client that keeps cookies and never follows redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// A plain client that never follows redirects.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// The authorize URL with the given parameters.
pub fn authorize_url(s: &impl Target, params: &[(&str, &str)]) -> String {
    let mut u = url::Url::parse(&s.urls().authorize).expect("url");
    u.query_pairs_mut().extend_pairs(params);
    u.to_string()
}

/// The standard parameters for `client` with `redirect_uri`.
pub fn std_params<'a>(client: &'a str, redirect_uri: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", redirect_uri),
        ("scope", SCOPE),
        ("state", "st-123"),
    ]
}

/// The value of hidden input `name` in an HTML form.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// Query parameters of a redirect `Location`.
pub fn location_params(res: &reqwest::Response) -> Vec<(String, String)> {
    let loc = res
        .headers()
        .get("location")
        .expect("location")
        .to_str()
        .expect("ascii");
    url::Url::parse(loc)
        .expect("absolute location")
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Opens the authorize URL in `b` and returns the login form's transaction id.
pub async fn start_login(s: &impl Target, b: &reqwest::Client, params: &[(&str, &str)]) -> String {
    let page = b
        .get(authorize_url(s, params))
        .send()
        .await
        .expect("authorize");
    assert_eq!(page.status(), 200, "authorize should show the login page");
    let html = page.text().await.expect("body");
    hidden(&html, "tx").expect("tx in login form")
}

/// Submits the login form.
pub async fn submit_login(
    s: &impl Target,
    b: &reqwest::Client,
    tx: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    b.post(format!("{}/login", s.urls().issuer))
        .form(&[("tx", tx), ("username", username), ("password", password)])
        .send()
        .await
        .expect("login")
}

/// Refreshes with `refresh_token` (and a `scope`, if given) as `creds`.
pub async fn refresh_request(
    s: &impl Target,
    creds: (&str, &str),
    refresh_token: &str,
    scope: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    if let Some(sc) = scope {
        form.push(("scope", sc));
    }
    token_request(s, Some(creds), &form).await
}

/// Drives authorize -> login -> consent with `decision`; returns the final 302 response.
pub async fn member_flow(
    s: &impl Target,
    params: &[(&str, &str)],
    member: (&str, &str, &str),
    decision: &str,
) -> reqwest::Response {
    let b = browser();
    let tx = start_login(s, &b, params).await;
    let consent = submit_login(s, &b, &tx, member.0, member.1).await;
    assert_eq!(consent.status(), 200);
    let html = consent.text().await.expect("body");
    assert!(
        html.contains("id=\"consent-form\""),
        "consent page expected: {html}"
    );
    b.post(format!("{}/consent", s.urls().issuer))
        .form(&[("tx", tx.as_str()), ("decision", decision)])
        .send()
        .await
        .expect("consent")
}

/// A fresh authorization code for `client` / `redirect_uri` and member 1.
pub async fn code_for(
    s: &impl Target,
    extra: &[(&str, &str)],
    client: &str,
    redirect_uri: &str,
) -> String {
    let mut params = std_params(client, redirect_uri);
    params.extend_from_slice(extra);
    let res = member_flow(s, &params, MEMBER1, "approve").await;
    assert_eq!(res.status(), 302);
    let pairs = location_params(&res);
    param(&pairs, "code").expect("code").to_string()
}

/// POSTs a form to the token endpoint with Basic credentials.
pub async fn token_request(
    s: &impl Target,
    creds: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = http().post(&s.urls().token).form(form);
    if let Some((id, secret)) = creds {
        req = req.basic_auth(id, Some(secret));
    }
    req.send().await.expect("token request")
}

/// Full member login and code exchange; returns the token response JSON.
pub async fn member_tokens(s: &impl Target, member: (&str, &str, &str)) -> Value {
    let res = member_flow(s, &std_params(PA_CLIENT, REDIRECT), member, "approve").await;
    let pairs = location_params(&res);
    let code = param(&pairs, "code").expect("code").to_string();
    let res = token_request(
        s,
        Some((PA_CLIENT, PA_SECRET)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

/// A client-credentials token for the Provider Directory app.
pub async fn directory_token(s: &impl Target) -> Value {
    let res = token_request(
        s,
        Some((PD_CLIENT, PD_SECRET)),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "system/*.rs"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

/// GET with a bearer token.
pub async fn get_bearer(url: &str, token: &str) -> reqwest::Response {
    http()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("get")
}

/// Asserts an OAuth error response is uncached; returns its status and `error`.
pub async fn error_of(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["pragma"], "no-cache");
    let v: Value = res.json().await.unwrap();
    (status, v["error"].as_str().unwrap_or_default().to_string())
}
