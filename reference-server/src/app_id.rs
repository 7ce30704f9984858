//! The application-id auth profile (seed 004; docs/reference-server.md "Application-id profile
//! (seed 004)"): an application id and secret sent as header values on every request,
//! per-healthcare-provider-account grants and per-endpoint authorizations, sandbox credentials
//! different from production ones.
//!
//! Base `/app-id/{env}` with `env` = `sandbox` or `production`:
//! - `GET /app-id/{env}/accounts/{account}/Patient`: the account's patients (searchset).
//! - `GET /app-id/{env}/accounts/{account}/Patient/{id}`: one of them.
//! - `GET /app-id/{env}/accounts/{account}/Appointment`: the account's appointments.
//!
//! Every request under a known environment authenticates first ([`AppCaller`]): missing or
//! wrong credentials, or the other environment's, are a 401; then the account grant and the
//! endpoint authorization, each a 403. Errors are OperationOutcomes. Patients are the data
//! store's records of the sandbox members the fixture lists per account; appointments are
//! generated from them, deterministically.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, OriginalUri, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::FixtureError;
use crate::fhir::bundle::{BundleHead, write_bundle};
use crate::fhir::{check_id, fhir_ok, path_error, read_response};
use crate::outcome::FhirError;
use crate::state::AppState;
use crate::store::{ResourceSet, StoredResource};

const APP_ID_TOML: &str = include_str!("../../fixtures/app_id.toml");

/// The profile's base path; the environment is the next segment.
pub const APP_ID_PATH: &str = "/app-id";
/// The header carrying the application id.
pub const ID_HEADER: &str = "x-application-id";
/// The header carrying the application secret.
pub const SECRET_HEADER: &str = "x-application-secret";
/// The `WWW-Authenticate` scheme of this profile's 401s.
pub const SCHEME: &str = "ApplicationId";

/// Sandbox or production: separate credentials, the same grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Env {
    Sandbox,
    Production,
}

impl Env {
    /// The environment named by a path segment.
    pub fn parse(segment: &str) -> Option<Env> {
        match segment {
            "sandbox" => Some(Env::Sandbox),
            "production" => Some(Env::Production),
            _ => None,
        }
    }

    /// The path segment.
    pub fn as_str(self) -> &'static str {
        match self {
            Env::Sandbox => "sandbox",
            Env::Production => "production",
        }
    }
}

/// An API endpoint an application may be authorized for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoint {
    /// `GET .../Patient`.
    PatientSearch,
    /// `GET .../Patient/{id}`.
    PatientRead,
    /// `GET .../Appointment`.
    AppointmentSearch,
}

impl Endpoint {
    /// How the endpoint is written in the fixture and in error texts.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::PatientSearch => "patient-search",
            Endpoint::PatientRead => "patient-read",
            Endpoint::AppointmentSearch => "appointment-search",
        }
    }
}

/// A healthcare provider account.
#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    pub id: String,
    pub name: String,
    /// Usernames of the sandbox members (fixtures/members.toml) who are its patients.
    pub members: Vec<String>,
}

/// One environment's credential pair.
#[derive(Clone, Deserialize)]
pub struct Credentials {
    pub id: String,
    pub secret: String,
}

// Secrets never reach `{:?}` output.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// An integration application.
#[derive(Debug, Clone, Deserialize)]
pub struct Application {
    pub name: String,
    pub sandbox: Credentials,
    pub production: Credentials,
    /// The accounts it is granted.
    pub accounts: Vec<String>,
    /// The endpoints it is authorized for.
    pub endpoints: Vec<Endpoint>,
}

impl Application {
    /// The credentials of `env`.
    pub fn credentials(&self, env: Env) -> &Credentials {
        match env {
            Env::Sandbox => &self.sandbox,
            Env::Production => &self.production,
        }
    }
}

/// The profile's accounts and applications (fixtures/app_id.toml). Read-only.
#[derive(Debug, Deserialize)]
pub struct Directory {
    #[serde(rename = "account")]
    pub accounts: Vec<Account>,
    #[serde(rename = "application")]
    pub applications: Vec<Application>,
}

static DIRECTORY: LazyLock<Directory> = LazyLock::new(|| {
    Directory::parse(APP_ID_TOML).unwrap_or_else(|e| panic!("fixtures/app_id.toml: {e}"))
});

impl Directory {
    /// The embedded fixture (parsed once; checked by a unit test).
    pub fn embedded() -> &'static Directory {
        &DIRECTORY
    }

    /// Parses and checks a fixture: every granted account exists, credentials differ between
    /// environments and ids are unique.
    pub fn parse(text: &str) -> Result<Directory, FixtureError> {
        let dir: Directory = toml::from_str(text).map_err(|source| FixtureError::Syntax {
            file: "fixtures/app_id.toml",
            source,
        })?;
        let inconsistent = FixtureError::Inconsistent;
        let mut ids = std::collections::HashSet::new();
        for app in &dir.applications {
            if app.sandbox.id == app.production.id || app.sandbox.secret == app.production.secret {
                return Err(inconsistent(format!(
                    "{}: sandbox and production credentials must differ",
                    app.name
                )));
            }
            for c in [&app.sandbox, &app.production] {
                if !ids.insert(c.id.clone()) {
                    return Err(inconsistent(format!(
                        "application id {} is used twice",
                        c.id
                    )));
                }
            }
            if let Some(a) = app.accounts.iter().find(|a| dir.account(a).is_none()) {
                return Err(inconsistent(format!("{}: unknown account {a}", app.name)));
            }
        }
        Ok(dir)
    }

    /// An account by id.
    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }
}

/// Defects this profile can be switched to have, from the server's fault switches
/// ([`crate::faults::Fault`]`::AppId*`; `scenarios/app_id.toml` catches each). The profile's
/// rules take it, and [`Lenience::default`] is each rule unbent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lenience {
    /// An account the application is not granted is readable (APPID-ACCOUNT-403).
    pub ungranted_account_readable: bool,
    /// An endpoint the application is not authorized for answers (APPID-ENDPOINT-403).
    pub unauthorized_endpoint_allowed: bool,
    /// Sandbox credentials are accepted on production (APPID-ENV).
    pub sandbox_credentials_on_production: bool,
    /// The application secret is not checked (APPID-401).
    pub secret_not_checked: bool,
}

impl Lenience {
    /// The defects switched on in `faults`.
    pub fn of(faults: &crate::faults::FaultSwitches) -> Lenience {
        use crate::faults::Fault;
        Lenience {
            ungranted_account_readable: faults.on(Fault::AppIdUngrantedAccountReadable),
            unauthorized_endpoint_allowed: faults.on(Fault::AppIdUnauthorizedEndpointAllowed),
            sandbox_credentials_on_production: faults
                .on(Fault::AppIdSandboxCredentialsOnProduction),
            secret_not_checked: faults.on(Fault::AppIdSecretNotChecked),
        }
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// No credential headers (or not both): 401 without an `error`.
    NoCredentials,
    /// A credential header repeated or not visible ASCII, or an unknown id or wrong secret
    /// for this environment: 401 with `error="invalid_credentials"`.
    BadCredentials(&'static str),
    /// The application is not granted the account (or the account does not exist): 403.
    AccountNotGranted,
    /// The application is not authorized for the endpoint: 403.
    EndpointNotAuthorized(Endpoint),
}

impl Denial {
    /// The answer: an OperationOutcome, with a challenge on a 401.
    pub fn into_error(self, env: Env) -> FhirError {
        let realm = format!("{SCHEME} realm=\"app-id/{}\"", env.as_str());
        match self {
            Denial::NoCredentials => FhirError::new(
                StatusCode::UNAUTHORIZED,
                "login",
                "send the application id and secret in the X-Application-Id and \
                 X-Application-Secret headers on every request",
            )
            .with_challenge(realm),
            Denial::BadCredentials(why) => FhirError::new(StatusCode::UNAUTHORIZED, "login", why)
                .with_challenge(format!("{realm}, error=\"invalid_credentials\"")),
            Denial::AccountNotGranted => FhirError::forbidden(
                "the application is not granted this healthcare provider account",
            ),
            Denial::EndpointNotAuthorized(e) => FhirError::forbidden(format!(
                "the application is not authorized for the {} endpoint",
                e.as_str()
            )),
        }
    }
}

/// The application whose `env` credentials are `id` and `secret` (both already read from
/// exactly one header each). Fault `AppIdSecretNotChecked` (`lenience.secret_not_checked`):
/// the id alone signs in; fault `AppIdSandboxCredentialsOnProduction`: sandbox credentials
/// also work on production.
pub fn authenticate<'a>(
    dir: &'a Directory,
    env: Env,
    id: &str,
    secret: &str,
    lenience: Lenience,
) -> Result<&'a Application, Denial> {
    let matches = |c: &Credentials| {
        c.id == id
            // Fault: the secret is not compared (the id alone signs in).
            && (lenience.secret_not_checked
                || aws_lc_rs::constant_time::verify_slices_are_equal(
                    c.secret.as_bytes(),
                    secret.as_bytes(),
                )
                .is_ok())
    };
    dir.applications
        .iter()
        .find(|app| {
            matches(app.credentials(env))
                || (lenience.sandbox_credentials_on_production
                    && env == Env::Production
                    && matches(&app.sandbox))
        })
        .ok_or(Denial::BadCredentials(
            "unknown application id or wrong secret for this environment \
             (sandbox and production credentials differ)",
        ))
}

/// The account `account_id`, when `app` is granted it and authorized for `endpoint`. Faults
/// `AppIdUngrantedAccountReadable` and `AppIdUnauthorizedEndpointAllowed` skip each check.
pub fn authorize<'a>(
    dir: &'a Directory,
    app: &Application,
    account_id: &str,
    endpoint: Endpoint,
    lenience: Lenience,
) -> Result<&'a Account, Denial> {
    let account = dir.account(account_id).ok_or(Denial::AccountNotGranted)?;
    if !lenience.ungranted_account_readable && !app.accounts.iter().any(|a| a == account_id) {
        return Err(Denial::AccountNotGranted);
    }
    if !lenience.unauthorized_endpoint_allowed && !app.endpoints.contains(&endpoint) {
        return Err(Denial::EndpointNotAuthorized(endpoint));
    }
    Ok(account)
}

/// One credential header's value: None when absent, an error when repeated or not visible
/// ASCII.
fn header_value<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, Denial> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Denial::BadCredentials("send each credential header once"));
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| Denial::BadCredentials("credential headers are visible ASCII"))
}

/// An authenticated caller of the profile.
#[derive(Debug, Clone)]
pub struct AppCaller {
    pub env: Env,
    pub app: &'static Application,
    lenience: Lenience,
}

impl AppCaller {
    /// The account, when the application may call `endpoint` on it.
    fn account(&self, account_id: &str, endpoint: Endpoint) -> Result<&'static Account, FhirError> {
        authorize(
            Directory::embedded(),
            self.app,
            account_id,
            endpoint,
            self.lenience,
        )
        .map_err(|d| d.into_error(self.env))
    }
}

/// The environment named by the request path (`/app-id/{env}/...`), if any.
fn env_of(parts: &Parts) -> Option<Env> {
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(parts.uri.path(), |u| u.0.path());
    let rest = path.strip_prefix(APP_ID_PATH)?.strip_prefix('/')?;
    Env::parse(rest.split('/').next().unwrap_or_default())
}

impl FromRequestParts<AppState> for AppCaller {
    type Rejection = FhirError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, FhirError> {
        let Some(env) = env_of(parts) else {
            return Err(FhirError::not_found(
                "no such environment: use /app-id/sandbox or /app-id/production",
            ));
        };
        let lenience = Lenience::of(&state.faults);
        let read = || {
            let id = header_value(&parts.headers, ID_HEADER)?;
            let secret = header_value(&parts.headers, SECRET_HEADER)?;
            let (Some(id), Some(secret)) = (id, secret) else {
                return Err(Denial::NoCredentials);
            };
            authenticate(Directory::embedded(), env, id, secret, lenience)
        };
        match read() {
            Ok(app) => Ok(AppCaller { env, app, lenience }),
            Err(d) => Err(d.into_error(env)),
        }
    }
}

/// Routes under `/app-id`. Every other path and method there is a 404 or 405 after
/// authentication (an unknown environment a 404 before it).
pub fn router() -> Router<AppState> {
    // Parse the fixture at start-up rather than on the first request.
    let _ = Directory::embedded();
    let accounts = Router::new()
        .route(
            "/{env}/accounts/{account}/Patient",
            get(patient_search).fallback(not_allowed),
        )
        .route(
            "/{env}/accounts/{account}/Patient/{id}",
            get(patient_read).fallback(not_allowed),
        )
        .route(
            "/{env}/accounts/{account}/Appointment",
            get(appointment_search).fallback(not_allowed),
        )
        .fallback(no_such_path);
    Router::new().nest(APP_ID_PATH, accounts)
}

async fn not_allowed(_caller: AppCaller) -> Response {
    let err = FhirError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "not-supported",
        "this API is read-only: only GET (and HEAD) is supported",
    );
    (
        [(header::ALLOW, HeaderValue::from_static("GET, HEAD"))],
        err,
    )
        .into_response()
}

async fn no_such_path(_caller: AppCaller) -> FhirError {
    FhirError::not_found(
        "no such endpoint: use /app-id/{env}/accounts/{account}/Patient, \
         .../Patient/{id} or .../Appointment",
    )
}

/// The account's patients: their Patient resources from the data store, in fixture order.
fn patients(state: &AppState, account: &Account) -> ResourceSet {
    let values = account
        .members
        .iter()
        .filter_map(|u| state.registry.member_by_username(u))
        .filter_map(|m| {
            let record = state.data.record(m);
            let patient = record.get("Patient", &m.patient_id)?;
            serde_json::from_slice::<Value>(&patient.json).ok()
        })
        .collect();
    ResourceSet::new(values)
}

/// Two appointments per patient of the account, derived from the account and patient only.
pub fn appointments(account: &Account, patients: &ResourceSet) -> ResourceSet {
    let mut values = Vec::new();
    for (i, p) in patients.all().iter().enumerate() {
        let name = p.value["name"][0]["text"].as_str().map_or_else(
            || {
                let n = &p.value["name"][0];
                let given = n["given"][0].as_str().unwrap_or_default();
                format!("{given} {}", n["family"].as_str().unwrap_or_default())
            },
            str::to_string,
        );
        for (n, (service, minutes)) in [("Office visit", 30), ("Follow-up", 15)]
            .into_iter()
            .enumerate()
        {
            let day = 3 + 7 * n + i;
            let short: String = p.id.chars().take(8).collect();
            values.push(json!({
                "resourceType": "Appointment",
                "id": format!("{}-{short}-{}", account.id, n + 1),
                "meta": { "versionId": "1", "lastUpdated": "2025-01-02T00:00:00Z" },
                "status": "booked",
                "serviceType": [{ "text": service }],
                "start": format!("2025-03-{day:02}T09:00:00Z"),
                "end": format!("2025-03-{day:02}T09:{minutes:02}:00Z"),
                "minutesDuration": minutes,
                "participant": [
                    {
                        "actor": { "reference": format!("Patient/{}", p.id), "display": name.trim() },
                        "required": "required",
                        "status": "accepted"
                    },
                    {
                        "actor": { "display": account.name },
                        "required": "required",
                        "status": "accepted"
                    }
                ]
            }));
        }
    }
    ResourceSet::new(values)
}

/// The account's base URL (`fullUrl`s and links).
fn base(state: &AppState, env: Env, account: &Account) -> String {
    format!(
        "{}{APP_ID_PATH}/{}/accounts/{}",
        state.urls.root,
        env.as_str(),
        account.id
    )
}

/// A searchset of every resource of `resource_type` in `set`, in one page.
fn searchset(base: &str, resource_type: &str, set: &ResourceSet) -> Response {
    let matches: Vec<&StoredResource> = set.of_type(resource_type).collect();
    let self_link = format!("{base}/{resource_type}");
    let head = BundleHead {
        self_link: &self_link,
        next_link: None,
        total: Some(matches.len()),
        now: i64::try_from(crate::tokens::now()).unwrap_or(0),
    };
    fhir_ok(write_bundle(&head, base, &matches))
}

type AccountPath = Result<Path<(String, String)>, PathRejection>;

async fn patient_search(
    caller: AppCaller,
    State(state): State<AppState>,
    path: AccountPath,
) -> Result<Response, FhirError> {
    let Path((_, account_id)) = path.map_err(path_error)?;
    let account = caller.account(&account_id, Endpoint::PatientSearch)?;
    let set = patients(&state, account);
    Ok(searchset(
        &base(&state, caller.env, account),
        "Patient",
        &set,
    ))
}

async fn patient_read(
    caller: AppCaller,
    State(state): State<AppState>,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<Response, FhirError> {
    let Path((_, account_id, id)) = path.map_err(path_error)?;
    let account = caller.account(&account_id, Endpoint::PatientRead)?;
    check_id(&id)?;
    let set = patients(&state, account);
    set.get("Patient", &id).map(read_response).ok_or_else(|| {
        FhirError::not_found(format!("Patient/{id} is not a patient of this account"))
    })
}

async fn appointment_search(
    caller: AppCaller,
    State(state): State<AppState>,
    path: AccountPath,
) -> Result<Response, FhirError> {
    let Path((_, account_id)) = path.map_err(path_error)?;
    let account = caller.account(&account_id, Endpoint::AppointmentSearch)?;
    let set = appointments(account, &patients(&state, account));
    Ok(searchset(
        &base(&state, caller.env, account),
        "Appointment",
        &set,
    ))
}

#[cfg(test)]
#[path = "app_id_tests.rs"]
mod tests;
