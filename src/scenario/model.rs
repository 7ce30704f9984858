//! The scenario file model. A scenario is a family's cases; a case is steps run in order;
//! a step is exactly one kind of action (a request, a login, a consent, a `$everything`
//! walk, a JWT inspection, a wait) with its captures and its checks. Parsing (and the
//! "exactly one kind per step" rule) is in `scenario::parse`; the format in
//! scenarios/README.md.
//!
//! ```toml
//! [[case.step]]
//! request = "GET {patient_access}/.well-known/smart-configuration"
//! [[case.step.check]]
//! requirement = "DISC-SMART-CONFIG"
//! query = "status"
//! equals = 200
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::check::{Check, Query, SyntaxError};

/// One scenario file.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub family: String,
    pub name: String,
    pub description: String,
    pub cases: Vec<Case>,
}

/// A case: steps run in order, each member session with its own cookie jar.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    /// One case is run per variant: each names itself (`name`) and sets variables used as
    /// `{var}` in the steps, so a list replaces copied cases.
    pub variants: Vec<BTreeMap<String, String>>,
    /// Variables the case needs from the target (e.g. `expired_access_token`, which only the
    /// bundled server can provide); when one is missing the case is skipped with the reason.
    pub requires: Vec<String>,
    /// The case changes what other cases rely on (the member revoking the app's grant ends
    /// every token of that member and app): it runs alone, after the cases before it.
    pub exclusive: bool,
    pub steps: Vec<Step>,
}

/// One step: its action, what it captures and what it checks.
#[derive(Debug, Clone)]
pub struct Step {
    /// A name later steps' queries use (`step <id> json /scope`).
    pub id: Option<String>,
    /// The session (cookie jar) the step runs in; `None` is the case's main session. Two
    /// members are interleaved by logging them in in two sessions.
    pub session: Option<String>,
    pub action: Action,
    /// Variables taken from what the step saw, by query; captured values named as secrets
    /// (codes, tokens) are never reported.
    pub captures: BTreeMap<String, Capture>,
    pub checks: Vec<Check>,
    /// Conditions on what the step before saw (and on variables): when one does not hold,
    /// the step is not sent and its checks are not applicable (a legitimate alternative
    /// answer earlier in the case made it moot).
    pub when: Vec<crate::check::Assertion>,
}

/// A capture: a query, optional when written with a trailing `?`.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    pub query: Query,
    /// Nothing there leaves the variable unset instead of stopping the case.
    pub optional: bool,
}

/// What a step does: exactly one of these, chosen by its key.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // a few hundred steps per suite, each parsed once
pub enum Action {
    Request(Request),
    Login(Login),
    Consent(Consent),
    Walk(Walk),
    Jwt(Jwt),
    Wait(Wait),
}

/// An HTTP request: `request = "POST {token}"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// The method and the URL, e.g. `GET {patient_access}/metadata`.
    pub request: String,
    /// Query parameters added to the URL (form-encoded).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    /// A form body (`application/x-www-form-urlencoded`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub form: BTreeMap<String, String>,
    /// A JSON body (`application/json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// A raw body, sent as `content_type` (default `text/plain`): the bad-input cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Extra request headers (the application-id profile's credentials).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// HTTP Basic credentials `[user, password]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic: Option<[String; 2]>,
    /// Client credentials `[client_id, client_secret]`, sent the way `client_auth` says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<[String; 2]>,
    /// `client_secret_basic` (the default: HTTP Basic), `client_secret_post` (in the form),
    /// RFC 6749 2.3.1, or `private_key_jwt` (a signed client assertion, RFC 7523 2.2, with
    /// the target's key for that client; the secret is not sent); usually a variable such
    /// as `{introspect_auth}` or `{token_auth}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_auth: Option<String>,
    /// How a `private_key_jwt` assertion departs from a valid one (the negative cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assertion: Option<AssertionSpec>,
    /// A bearer token; empty sends no `Authorization` header (the no-token variants).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer: Option<String>,
}

/// A client assertion's departures from a valid one; by default `aud` is the request URL,
/// `exp` five minutes ahead and `jti` fresh, signed with the client's first key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssertionSpec {
    /// Sign with the client's key of this algorithm (`RS384`, `ES384`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// Send `aud` as a one-element array (RFC 7519 4.1.3 allows either form).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub aud_array: bool,
    /// Seconds from now to `exp` (negative: already expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    /// Sign with a fresh key under the registered `kid` (a forged signature).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub impostor: bool,
    /// Send the previous assertion of this session again (a replayed `jti`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reuse: bool,
    /// `iss` and `sub` other than the client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Seconds from now to an `nbf` claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before_in: Option<i64>,
    /// Claims left out (`exp`, `sub`, `iss`, `aud`, `jti`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub without: Vec<String>,
    /// Send it unsigned (`alg: none`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unsigned: bool,
}

/// The member login through the configured driver, from the authorize URL to the redirect
/// that carries the code (never fetched): `login = "{authorize}"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub login: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    /// The member's credentials (default `{username}` and `{password}`).
    #[serde(default = "default_username")]
    pub username: String,
    #[serde(default = "default_password")]
    pub password: String,
    /// What the member answers on the consent page; `later` stops there, for a `consent`
    /// step of the same session to answer (form driver).
    #[serde(default)]
    pub decision: Decision,
}

/// The member's answer to a consent page the session's login stopped at:
/// `consent = "approve"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    pub consent: Decision,
}

/// What a member does on the consent page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    #[default]
    Approve,
    Deny,
    /// Stop at the consent page (a login step only).
    Later,
}

/// Walks `$everything` from this URL through every `next` link: `walk = "{url}"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Walk {
    pub walk: String,
    /// Query parameters added to the first page's URL (`_count`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer: Option<String>,
    /// The patient whose compartment the pages must stay in (default `{patient_id}`).
    #[serde(default = "default_patient")]
    pub patient: String,
    /// Page bound of the walk.
    #[serde(default = "default_max_pages")]
    pub max_pages: usize,
}

/// Decodes a JWT and verifies it against the JWKS at `jwks`: `jwt = "{id_token}"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jwt {
    pub jwt: String,
    pub jwks: String,
}

/// Waits this many milliseconds (at most a minute): `wait = 1500`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wait {
    pub wait: u64,
}

fn default_username() -> String {
    "{username}".into()
}

fn default_password() -> String {
    "{password}".into()
}

fn default_patient() -> String {
    "{patient_id}".into()
}

fn default_max_pages() -> usize {
    100
}

/// The longest wait a step may ask for.
pub const MAX_WAIT_MS: u64 = 60_000;

impl Action {
    /// The key that names this kind of step in a scenario file.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Request(_) => "request",
            Action::Login(_) => "login",
            Action::Consent(_) => "consent",
            Action::Walk(_) => "walk",
            Action::Jwt(_) => "jwt",
            Action::Wait(_) => "wait",
        }
    }

    /// The keys that name a step's kind.
    pub const KINDS: [&str; 6] = ["request", "login", "consent", "walk", "jwt", "wait"];
}

impl Request {
    /// The method and the URL template of `request = "METHOD URL"`.
    pub fn target(&self) -> Result<(&str, &str), SyntaxError> {
        let (method, url) = self
            .request
            .trim()
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("`request` is \"METHOD URL\", not \"{}\"", self.request))?;
        match method {
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => {
                Ok((method, url.trim()))
            }
            other => Err(format!("unknown method `{other}` in `request`").into()),
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Approve => "approve",
            Decision::Deny => "deny",
            Decision::Later => "later",
        })
    }
}

impl fmt::Display for Step {
    /// The step as written: `GET {patient_access}/metadata`, `login {authorize}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.action {
            Action::Request(r) => write!(f, "{}", r.request),
            Action::Login(l) => write!(f, "login {}", l.login),
            Action::Consent(c) => write!(f, "consent {}", c.consent),
            Action::Walk(w) => write!(f, "walk {}", w.walk),
            Action::Jwt(j) => write!(f, "jwt {} against {}", j.jwt, j.jwks),
            Action::Wait(w) => write!(f, "wait {} ms", w.wait),
        }?;
        if let Some(session) = &self.session {
            write!(f, " [session {session}]")?;
        }
        Ok(())
    }
}
