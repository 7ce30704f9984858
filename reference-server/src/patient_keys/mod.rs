//! The patient-generated credentials profile (seed 003; docs/reference-server.md
//! "Patient-generated credentials (seed 003)"), on its own base path `/patient-keys`.
//!
//! Key management, as the member (HTTP Basic username:password, like `/member/grants`):
//! - `POST /patient-keys/credentials` with a JSON or form `name`: 201 with the new pair
//!   (`id`, `name`, `key`, `secret`, `created`, `patient`); the only time the secret is sent.
//! - `GET /patient-keys/credentials`: the member's pairs without secrets.
//! - `DELETE /patient-keys/credentials/{id}`: 204; 404 for an unknown or another member's id.
//!
//! Data access with a pair (HTTP Basic key:secret) under `/patient-keys/fhir`: read and
//! search of Patient, Coverage and ExplanationOfBenefit in the pair's patient compartment,
//! by the Patient Access API's own handlers ([`crate::fhir::patient_access`]).

pub mod store;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::auth::client_auth::parse_basic;
use crate::fhir::patient_access::{read_for, search_for};
use crate::fhir::{path_error, unsupported_type};
use crate::member::{error, member, unauthenticated};
use crate::outcome::FhirError;
use crate::params::{Params, is_form};
use crate::state::AppState;
use store::{CreateError, Credential, MAX_NAME_CHARS, MAX_PER_MEMBER};

/// Path prefix of the profile.
pub const PATIENT_KEYS_PATH: &str = "/patient-keys";
/// Path of its FHIR base.
pub const FHIR_PATH: &str = "/patient-keys/fhir";
/// Path of the key management collection.
pub const CREDENTIALS_PATH: &str = "/patient-keys/credentials";

/// Resource types a pair may read and search (the patient's own compartment only).
pub const SERVED_TYPES: [&str; 3] = ["Patient", "Coverage", "ExplanationOfBenefit"];

/// Routes under `/patient-keys`.
pub fn router() -> Router<AppState> {
    let fhir = Router::new()
        .route("/{type}", get(search).fallback(not_allowed))
        .route("/{type}/{id}", get(read).fallback(not_allowed))
        .fallback(no_such_path);
    Router::new()
        .route(CREDENTIALS_PATH, get(list).post(create))
        .route(&format!("{CREDENTIALS_PATH}/{{id}}"), delete(remove))
        .nest(FHIR_PATH, fhir)
        // A nested fallback's catch-all does not match the empty tail of `{base}/`.
        .route(&format!("{FHIR_PATH}/"), any(no_such_path))
}

/// A request authenticated with a live pair: the patient it reads.
#[derive(Debug, Clone)]
pub struct KeyCaller {
    pub patient_id: String,
}

impl FromRequestParts<AppState> for KeyCaller {
    type Rejection = FhirError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, FhirError> {
        let challenge = format!("Basic realm=\"{}{FHIR_PATH}\"", state.urls.root);
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(unauthorized(
                "credentials required: HTTP Basic with the pair's key and secret",
                challenge,
            ));
        };
        parse_basic(value.as_bytes())
            .and_then(|(key, secret)| {
                state
                    .patient_keys
                    .authenticate_with(&key, &secret, &state.faults)
            })
            .map(|patient_id| KeyCaller { patient_id })
            .ok_or_else(|| unauthorized("unknown, deleted or malformed key and secret", challenge))
    }
}

fn unauthorized(text: &str, challenge: String) -> FhirError {
    FhirError::new(StatusCode::UNAUTHORIZED, "login", text).with_challenge(challenge)
}

/// The type, when a pair may read it; otherwise the 404 of an unsupported type.
fn served(resource_type: &str) -> Result<(), FhirError> {
    if SERVED_TYPES.contains(&resource_type) {
        Ok(())
    } else {
        Err(unsupported_type(resource_type))
    }
}

/// `GET /patient-keys/fhir/{type}/{id}`.
async fn read(
    caller: KeyCaller,
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, FhirError> {
    let Path((resource_type, id)) = path.map_err(path_error)?;
    served(&resource_type)?;
    read_for(&state, &caller.patient_id, &resource_type, &id)
}

/// `GET /patient-keys/fhir/{type}`.
async fn search(
    caller: KeyCaller,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, FhirError> {
    let Path(resource_type) = path.map_err(path_error)?;
    served(&resource_type)?;
    let base = format!("{}{FHIR_PATH}", state.urls.root);
    search_for(
        &state,
        &caller.patient_id,
        &base,
        &resource_type,
        query.as_deref(),
    )
}

/// 405 (after authentication, as on the Patient Access API).
async fn not_allowed(_caller: KeyCaller) -> Response {
    crate::fhir::not_allowed()
}

async fn no_such_path(_caller: KeyCaller) -> FhirError {
    FhirError::not_found(
        "no such FHIR interaction: use [base]/Patient/[id], [base]/Coverage?patient=[id] \
         or [base]/ExplanationOfBenefit?patient=[id]",
    )
}

/// A pair as listed: never the secret.
fn listed(c: &Credential) -> Value {
    let mut v = json!({ "id": c.id, "name": c.name, "key": c.key, "created": c.created });
    // Fault `patient-key-secret-listed`: the secret was kept in clear and is shown again.
    if let Some(secret) = &c.clear_secret {
        v["secret"] = json!(secret);
    }
    v
}

/// `GET /patient-keys/credentials`.
async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(m) = member(&state, &headers) else {
        return unauthenticated();
    };
    let pairs: Vec<Value> = state
        .patient_keys
        .list_with(&m.patient_id, &state.faults)
        .iter()
        .map(listed)
        .collect();
    axum::Json(json!({ "patient": m.patient_id, "credentials": pairs })).into_response()
}

/// `POST /patient-keys/credentials`.
async fn create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(m) = member(&state, &headers) else {
        return unauthenticated();
    };
    let name = match requested_name(&headers, &body) {
        Ok(name) => name,
        Err((status, text)) => return error(status, &text),
    };
    let issued = match state
        .patient_keys
        .create_with(&m.patient_id, &name, &state.faults)
    {
        Ok(issued) => issued,
        Err(CreateError::TooMany) => {
            return error(
                StatusCode::CONFLICT,
                &format!("at most {MAX_PER_MEMBER} credentials per member: delete one first"),
            );
        }
    };
    let c = &issued.credential;
    let location = format!("{}{CREDENTIALS_PATH}/{}", state.urls.root, c.id);
    let body = json!({
        "id": c.id,
        "name": c.name,
        "key": c.key,
        "secret": issued.secret,
        "created": c.created,
        "patient": c.patient_id,
    });
    let mut res = (StatusCode::CREATED, axum::Json(body)).into_response();
    let h = res.headers_mut();
    // The secret is in this body only: no cache may keep it.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&location) {
        h.insert(header::LOCATION, v);
    }
    res
}

/// `DELETE /patient-keys/credentials/{id}`.
async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let Some(m) = member(&state, &headers) else {
        return unauthenticated();
    };
    match path {
        Ok(Path(id)) if state.patient_keys.delete(&m.patient_id, &id) => {
            StatusCode::NO_CONTENT.into_response()
        }
        _ => error(StatusCode::NOT_FOUND, "no such credentials"),
    }
}

/// Whether the request's `Content-Type` is JSON (`application/json` or `...+json`).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let media_type = v.split(';').next().unwrap_or_default().trim();
            media_type.eq_ignore_ascii_case("application/json")
                || media_type.to_ascii_lowercase().ends_with("+json")
        })
}

/// The `name` of a create request (JSON `{"name": ...}` or a form), checked: 1 to
/// [`MAX_NAME_CHARS`] characters after trimming, no control characters.
fn requested_name(headers: &HeaderMap, body: &[u8]) -> Result<String, (StatusCode, String)> {
    let bad = |text: &str| (StatusCode::BAD_REQUEST, text.to_string());
    let raw = if is_json(headers) {
        let value: Value =
            serde_json::from_slice(body).map_err(|_| bad("the body is not valid JSON"))?;
        match value.get("name") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(bad("`name` must be a string")),
            None => String::new(),
        }
    } else if is_form(headers) {
        let params = Params::parse(body).map_err(|e| bad(&e.to_string()))?;
        let name = params.single("name").map_err(|e| bad(&e.to_string()))?;
        name.unwrap_or_default().to_string()
    } else {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send `name` as application/json or application/x-www-form-urlencoded".to_string(),
        ));
    };
    let name = raw.trim();
    if name.is_empty() {
        return Err(bad("`name` is required"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(bad(&format!(
            "`name` is at most {MAX_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("`name` must not contain control characters"));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        h
    }

    #[test]
    fn names_from_json_and_forms() {
        let json = headers("application/json; charset=utf-8");
        let form = headers("application/x-www-form-urlencoded");
        assert_eq!(
            requested_name(&json, br#"{"name":" Phone app "}"#).unwrap(),
            "Phone app"
        );
        assert_eq!(
            requested_name(&form, b"name=Phone+app").unwrap(),
            "Phone app"
        );
        let status = |h: &HeaderMap, b: &[u8]| requested_name(h, b).unwrap_err().0;
        assert_eq!(status(&json, b"{"), StatusCode::BAD_REQUEST);
        assert_eq!(status(&json, br#"{"name":7}"#), StatusCode::BAD_REQUEST);
        assert_eq!(status(&json, b"[]"), StatusCode::BAD_REQUEST);
        assert_eq!(status(&json, br#"{"name":"  "}"#), StatusCode::BAD_REQUEST);
        assert_eq!(status(&form, b"name=a&name=b"), StatusCode::BAD_REQUEST);
        assert_eq!(status(&form, b"name=a%0Ab"), StatusCode::BAD_REQUEST);
        let long = format!("name={}", "é".repeat(MAX_NAME_CHARS + 1));
        assert_eq!(status(&form, long.as_bytes()), StatusCode::BAD_REQUEST);
        let longest = format!("name={}", "é".repeat(MAX_NAME_CHARS));
        assert!(requested_name(&form, longest.as_bytes()).is_ok());
        assert_eq!(
            status(&headers("text/plain"), b"name=x"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
    }
}
