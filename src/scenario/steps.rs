//! Runs one step's action: expands its variables (the one expansion path,
//! `Vars::expand_into`), sends the request through the step's session (or runs its flow:
//! login, consent, walk, JWT inspection, wait) and returns what the checks see.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::check::{Observed, SummaryKind, SyntaxError};
use crate::flow::everything::WalkError;
use crate::flow::login_form::{self, Credentials, LoginEnd, LoginError, PendingConsent};
use crate::http::{Fetched, HttpError, Session};
use crate::scenario::model::{Action, Consent, Decision, Jwt, Login, Request, Walk};
use crate::scenario::vars::{ExpandError, Vars};
use crate::target::access::{Access, LoginDriver};
use crate::transcript::Redactor;

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
    #[error("capture `{name}`: {detail}")]
    Capture { name: String, detail: String },
}

/// One member session of a case: its cookie jar and transcript, and the consent page its
/// login stopped at, if any.
pub struct MemberSession {
    pub http: Session,
    pending: Option<PendingConsent>,
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
        Action::Request(r) => send(&mut session.http, &vars.expand_into(r)?).await,
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
async fn send(session: &mut Session, r: &Request) -> Result<Observed, StepError> {
    let (method, raw) = r.target()?;
    let url = url_with(raw, &r.query)?;
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| SyntaxError(format!("unknown method `{method}`")))?;
    let mut req = session.client().request(method, url);
    if let Some(body) = &r.body {
        let content_type = r.content_type.as_deref().unwrap_or("text/plain");
        req = req
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.clone());
    } else if let Some(json) = &r.json {
        req = req.json(json);
    }
    let mut form = r.form.clone();
    match (&r.client, r.client_auth.as_deref()) {
        // RFC 6749 2.3.1: the client id and secret are form-encoded before Basic encoding.
        (Some([id, secret]), None | Some("client_secret_basic")) => {
            let encode =
                |t: &str| url::form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>();
            req = req.basic_auth(encode(id), Some(encode(secret)));
        }
        (Some(_), Some("client_secret_post")) if r.body.is_some() || r.json.is_some() => {
            let e = "client_secret_post sends the credentials in a form body, not `body` or `json`";
            return Err(SyntaxError(e.into()).into());
        }
        (Some([id, secret]), Some("client_secret_post")) => {
            form.insert("client_id".into(), id.clone());
            form.insert("client_secret".into(), secret.clone());
        }
        (Some(_), Some(other)) => {
            let e = format!(
                "unsupported client authentication `{other}` (client_secret_basic or client_secret_post)"
            );
            return Err(SyntaxError(e).into());
        }
        (None, _) => {}
    }
    if r.body.is_none() && r.json.is_none() && !form.is_empty() {
        req = req.form(&form);
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
    match end {
        Ok(end) => redirected(end),
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
    redirected(end)
}

/// The form settings whose approve button carries the member's decision.
fn with_decision(
    form: &login_form::FormLoginSettings,
    decision: Decision,
) -> login_form::FormLoginSettings {
    let mut settings = form.clone();
    if decision == Decision::Deny {
        settings.approve.1 = "deny".into();
    }
    settings
}

/// What checks see of a login that reached the client's redirect: a 302 to it.
fn redirected(end: url::Url) -> Result<Observed, StepError> {
    let mut headers = reqwest::header::HeaderMap::new();
    let location = reqwest::header::HeaderValue::from_str(end.as_str())
        .map_err(|_| StepError::UnusableRedirect)?;
    headers.insert(reqwest::header::LOCATION, location);
    let mut seen = Observed::summary(
        SummaryKind::Login,
        302,
        json!({"credentials_refused": false}),
    );
    seen.headers = headers;
    Ok(seen)
}
