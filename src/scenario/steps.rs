//! Runs one step's action: expands its variables (the one expansion path,
//! `Vars::expand_into`), sends the request through the step's session (or runs its flow:
//! login, consent, walk, JWT inspection, wait) and returns what the checks see.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::check::{Observed, SummaryKind, SyntaxError};
use crate::flow::client_assertion::{ASSERTION_TYPE, Claims, KeyError, random_jti};
use crate::flow::everything::WalkError;
use crate::flow::framing;
use crate::flow::login_form::{self, Credentials, LoginEnd, LoginError, PendingConsent};
use crate::http::{Fetched, HttpError, Session};
use crate::scenario::model::{Action, AssertionSpec, Consent, Decision, Jwt, Login, Request, Walk};
use crate::scenario::vars::{ExpandError, Vars};
use crate::target::access::{Access, LoginDriver};
use crate::transcript::Redactor;

/// A valid assertion's lifetime: well inside SMART's five minutes.
const ASSERTION_LIFETIME_SECS: i64 = 240;

/// Why a step could not complete (its checks are then `error`). A target that answers, but
/// not as a rule requires, is a failed check, not this.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("bad step URL {raw}: {source}")]
    Url {
        raw: String,
        source: url::ParseError,
    },
    #[error(transparent)]
    Syntax(#[from] SyntaxError),
    #[error(transparent)]
    Expand(#[from] ExpandError),
    #[error(transparent)]
    Walk(#[from] WalkError),
    #[error("the JWKS is not JSON (status {0})")]
    JwksNotJson(u16),
    #[error("a login step needs a redirect_uri parameter")]
    NoRedirectUri,
    /// The login driver failed (not: the server refused the credentials).
    #[error(transparent)]
    Login(LoginError),
    #[error("answering consent apart needs the form login driver")]
    NeedsFormDriver,
    #[error("no login of this session is waiting at consent (`decision = \"later\"`)")]
    NoPendingConsent,
    #[error("unusable redirect URL")]
    UnusableRedirect,
    #[error("no private_key_jwt key for client {client_id}{} (the profile's key_file)", alg.as_deref().map(|a| format!(" with {a}")).unwrap_or_default())]
    NoClientKey {
        client_id: String,
        alg: Option<String>,
    },
    #[error("client key: {0}")]
    ClientKey(KeyError),
    #[error("capture `{name}`: {detail}")]
    Capture { name: String, detail: String },
}

/// One member session of a case: its cookie jar and transcript, and the consent page its
/// login stopped at, if any.
pub struct MemberSession {
    pub http: Session,
    pending: Option<PendingConsent>,
    /// The last client assertion sent (`assertion = { reuse = true }` sends it again).
    last_assertion: Option<String>,
}

/// The sessions of a case, by name (`""` is the main one), each with its own cookie jar.
#[derive(Default)]
pub struct Sessions {
    open: BTreeMap<String, MemberSession>,
}

impl Sessions {
    /// The named session, opened on first use with the run's HTTP policy.
    pub fn get(
        &mut self,
        name: &str,
        access: &Access,
        redactor: &Redactor,
    ) -> Result<&mut MemberSession, StepError> {
        if !self.open.contains_key(name) {
            let http = Session::with_policy(redactor.clone(), &access.http)?;
            let session = MemberSession {
                http,
                pending: None,
                last_assertion: None,
            };
            self.open.insert(name.to_string(), session);
        }
        Ok(self.open.get_mut(name).expect("just opened"))
    }
}

/// Runs `action` in `session`; `Err` when it could not complete (its checks are then
/// `error`).
pub async fn execute(
    session: &mut MemberSession,
    action: &Action,
    vars: &Vars,
    access: &Access,
) -> Result<Observed, StepError> {
    match action {
        Action::Request(r) => {
            let token_url = vars.text("token");
            send(session, &vars.expand_into(r)?, access, token_url.as_deref()).await
        }
        Action::Login(l) => {
            let mut l: Login = vars.expand_into(l)?;
            for (name, value) in &access.authorize_params {
                l.query.entry(name.clone()).or_insert_with(|| value.clone());
            }
            login(session, &l, &access.login).await
        }
        Action::Consent(c) => consent(session, c, &access.login).await,
        Action::Walk(w) => walk(&mut session.http, &vars.expand_into(w)?).await,
        Action::Jwt(j) => jwt(&mut session.http, &vars.expand_into(j)?).await,
        Action::Wait(w) => {
            tokio::time::sleep(std::time::Duration::from_millis(w.wait)).await;
            Ok(Observed::nothing("wait"))
        }
    }
}

fn url_with(raw: &str, query: &BTreeMap<String, String>) -> Result<url::Url, StepError> {
    let mut url = url::Url::parse(raw).map_err(|source| StepError::Url {
        raw: raw.to_string(),
        source,
    })?;
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    Ok(url)
}

fn observed(f: Fetched) -> Observed {
    Observed::response(f.status, f.headers, f.body)
}

/// Sends a request step.
async fn send(
    member: &mut MemberSession,
    r: &Request,
    access: &Access,
    token_url: Option<&str>,
) -> Result<Observed, StepError> {
    let (method, raw) = r.target()?;
    let url = url_with(raw, &r.query)?;
    // A client assertion's audience: the token endpoint (SMART: "The FHIR authorization
    // server's token URL"; RFC 7523 3 lets it serve introspection and revocation too), else
    // the endpoint called.
    let audience =
        token_url.map_or_else(|| url[..url::Position::AfterPath].to_string(), String::from);
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| SyntaxError(format!("unknown method `{method}`")))?;
    let credentials = client_credentials(member, r, access, &audience)?;
    let session = &mut member.http;
    let mut req = session.client().request(method, url);
    let mut form = r.form.clone();
    let mut fields = Vec::new();
    match credentials {
        ClientCredentials::None => {}
        ClientCredentials::Basic(id, secret) => req = req.basic_auth(id, Some(secret)),
        ClientCredentials::Fields(f) => fields = f,
    }
    let form_type = "application/x-www-form-urlencoded";
    if let Some(body) = &r.body {
        let content_type = r.content_type.as_deref().unwrap_or("text/plain");
        let mut body = body.clone();
        if !fields.is_empty() {
            // The bad-input cases send a raw form: the credentials go after it.
            if !content_type.starts_with(form_type) {
                let e = "client credentials in the body need a form body";
                return Err(SyntaxError(e.into()).into());
            }
            let extra = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&fields)
                .finish();
            body = format!("{body}&{extra}");
        }
        req = req
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
    } else if let Some(json) = &r.json {
        if !fields.is_empty() {
            let e = "client credentials in the body need a form body, not `json`";
            return Err(SyntaxError(e.into()).into());
        }
        req = req.json(json);
    } else {
        form.extend(fields);
        if !form.is_empty() {
            req = req.form(&form);
        }
    }
    if let Some([user, password]) = &r.basic {
        req = req.basic_auth(user, Some(password));
    }
    for (name, value) in &r.headers {
        req = req.header(name.as_str(), value.as_str());
    }
    // An empty token means "send no Authorization header" (the no-token variants).
    if let Some(token) = r.bearer.as_deref().filter(|t| !t.is_empty()) {
        req = req.bearer_auth(token);
    }
    Ok(session.fetch(req).await.map(observed)?)
}

/// How a request step's client authenticates (RFC 6749 2.3.1; RFC 7523 2.2).
enum ClientCredentials {
    None,
    /// HTTP Basic, id and secret already form-encoded.
    Basic(String, String),
    /// Form fields: `client_secret_post` or a client assertion.
    Fields(Vec<(String, String)>),
}

/// The step's `client` credentials, sent the way its `client_auth` says.
fn client_credentials(
    member: &mut MemberSession,
    r: &Request,
    access: &Access,
    audience: &str,
) -> Result<ClientCredentials, StepError> {
    let Some([id, secret]) = &r.client else {
        return Ok(ClientCredentials::None);
    };
    match r.client_auth.as_deref() {
        // RFC 6749 2.3.1: the client id and secret are form-encoded before Basic encoding.
        None | Some("client_secret_basic") => {
            let encode =
                |t: &str| url::form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>();
            Ok(ClientCredentials::Basic(encode(id), encode(secret)))
        }
        Some("client_secret_post") => Ok(ClientCredentials::Fields(vec![
            ("client_id".into(), id.clone()),
            ("client_secret".into(), secret.clone()),
        ])),
        Some("private_key_jwt") => {
            let spec = r.assertion.clone().unwrap_or_default();
            let jwt = match (&member.last_assertion, spec.reuse) {
                (Some(previous), true) => previous.clone(),
                (None, true) => {
                    let e =
                        "`reuse = true` needs an earlier private_key_jwt request in this session";
                    return Err(SyntaxError(e.into()).into());
                }
                (_, false) => client_assertion(access, id, audience, &spec)?,
            };
            member.http.redactor.add(&jwt);
            member.last_assertion = Some(jwt.clone());
            Ok(ClientCredentials::Fields(vec![
                ("client_assertion_type".into(), ASSERTION_TYPE.into()),
                ("client_assertion".into(), jwt),
            ]))
        }
        Some(other) => Err(SyntaxError(format!(
            "unsupported client authentication `{other}` (client_secret_basic, client_secret_post or private_key_jwt)"
        ))
        .into()),
    }
}

/// A fresh client assertion for `client_id` to `audience`, departing from a valid one as
/// `spec` says.
fn client_assertion(
    access: &Access,
    client_id: &str,
    audience: &str,
    spec: &AssertionSpec,
) -> Result<String, StepError> {
    let keys = access
        .client_keys
        .get(client_id)
        .map_or(&[][..], Vec::as_slice);
    let key = match &spec.alg {
        Some(alg) => keys.iter().find(|k| k.alg() == alg),
        None => keys.first(),
    }
    .ok_or_else(|| StepError::NoClientKey {
        client_id: client_id.to_string(),
        alg: spec.alg.clone(),
    })?;
    let forged;
    let key = if spec.impostor {
        forged = key.impostor().map_err(StepError::ClientKey)?;
        &forged
    } else {
        key
    };
    let claims = Claims {
        client_id: client_id.to_string(),
        aud: spec.aud.clone().unwrap_or_else(|| audience.to_string()),
        aud_array: spec.aud_array,
        expires_in: spec.expires_in.unwrap_or(ASSERTION_LIFETIME_SECS),
        jti: random_jti(),
        iss: spec.iss.clone(),
        sub: spec.sub.clone(),
        not_before_in: spec.not_before_in,
        without: spec.without.clone(),
        unsigned: spec.unsigned,
    };
    key.sign(&claims, unix_now()).map_err(StepError::ClientKey)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Walks `$everything`; the checks see its summary.
async fn walk(session: &mut Session, w: &Walk) -> Result<Observed, StepError> {
    let url = url_with(&w.walk, &w.query)?;
    let bearer = w.bearer.clone().unwrap_or_default();
    let summary =
        crate::flow::everything::walk(session, &url, &bearer, &w.patient, w.max_pages).await?;
    Ok(Observed::summary(SummaryKind::Walk, 200, summary))
}

/// GETs the JWKS and inspects the token against it; the checks see the summary.
async fn jwt(session: &mut Session, j: &Jwt) -> Result<Observed, StepError> {
    let url = url_with(&j.jwks, &BTreeMap::new())?;
    let jwks = session.fetch(session.client().get(url)).await?;
    let keys = jwks.json().ok_or(StepError::JwksNotJson(jwks.status))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let summary = crate::flow::id_token::inspect(&j.jwt, &keys, now);
    Ok(Observed::summary(SummaryKind::Jwt, jwks.status, summary))
}

/// Runs the login driver from the authorize URL to the client's redirect; checks see a 302
/// whose `Location` is that redirect (never fetched). When the server refuses the
/// credentials (shows the form again) checks see a 200 with no `Location` and the summary
/// `{"credentials_refused": true}`; a login that stops at consent (`decision = "later"`)
/// gives a 200 with `{"consent_pending": true}`.
async fn login(
    session: &mut MemberSession,
    l: &Login,
    driver: &LoginDriver,
) -> Result<Observed, StepError> {
    let url = url_with(&l.login, &l.query)?;
    let redirect_uri = url
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .ok_or(StepError::NoRedirectUri)?;
    let member = Credentials {
        username: &l.username,
        password: &l.password,
    };
    let summary = |v: Value| Observed::summary(SummaryKind::Login, 200, v);
    let refused = |e: login_form::LoginError| -> Result<Observed, StepError> {
        match e.credentials_refused {
            true => Ok(summary(
                json!({"credentials_refused": true, "page": e.message}),
            )),
            false => Err(StepError::Login(e)),
        }
    };
    let end = match (l.decision, driver) {
        (Decision::Approve, d) => {
            crate::flow::sign_in(d, &mut session.http, url.as_str(), &redirect_uri, &member).await
        }
        (decision, LoginDriver::Form(form)) => {
            let settings = with_decision(form, decision);
            let stop = decision == Decision::Later;
            let http = &mut session.http;
            match login_form::login_until(
                http,
                url.as_str(),
                &redirect_uri,
                &member,
                &settings,
                stop,
            )
            .await
            {
                Ok(LoginEnd::Redirect(end)) => Ok(end),
                Ok(LoginEnd::Consent(pending)) => {
                    session.pending = Some(pending);
                    return Ok(summary(json!({"consent_pending": true})));
                }
                Err(e) => Err(e),
            }
        }
        (_, _) => return Err(StepError::NeedsFormDriver),
    };
    // RFC 9700 4.16: the pages the form driver was shown (a browser's are not recorded).
    let pages = framing::count_pages(session.http.transcript());
    match end {
        Ok(end) => redirected(end, pages),
        Err(e) => refused(e),
    }
}

/// Answers the consent page the session's login stopped at.
async fn consent(
    session: &mut MemberSession,
    c: &Consent,
    driver: &LoginDriver,
) -> Result<Observed, StepError> {
    let LoginDriver::Form(form) = driver else {
        return Err(StepError::NeedsFormDriver);
    };
    let pending = session.pending.take().ok_or(StepError::NoPendingConsent)?;
    let settings = with_decision(form, c.consent);
    let end = login_form::answer_consent(&mut session.http, pending, &settings)
        .await
        .map_err(StepError::Login)?;
    redirected(end, framing::count_pages(session.http.transcript()))
}

/// The form settings that press the control of the member's decision.
fn with_decision(
    form: &login_form::FormLoginSettings,
    decision: Decision,
) -> login_form::FormLoginSettings {
    login_form::FormLoginSettings {
        deny_consent: decision == Decision::Deny,
        ..form.clone()
    }
}

/// What checks see of a login that reached the client's redirect: a 302 to it, with the
/// HTML pages shown on the way and how many of them any site may frame.
fn redirected(end: url::Url, (html, frameable): (usize, usize)) -> Result<Observed, StepError> {
    let mut headers = reqwest::header::HeaderMap::new();
    let location = reqwest::header::HeaderValue::from_str(end.as_str())
        .map_err(|_| StepError::UnusableRedirect)?;
    headers.insert(reqwest::header::LOCATION, location);
    let mut seen = Observed::summary(
        SummaryKind::Login,
        302,
        json!({"credentials_refused": false, "html_pages": html, "frameable_pages": frameable}),
    );
    seen.headers = headers;
    Ok(seen)
}
