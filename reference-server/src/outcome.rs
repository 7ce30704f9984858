//! FHIR errors: an HTTP status with an OperationOutcome body (and, on the gateway's 401s
//! and 403s, a `WWW-Authenticate: Bearer` challenge).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The FHIR media type of every FHIR response.
pub const FHIR_JSON: &str = "application/fhir+json";

/// An error answered as an OperationOutcome.
#[derive(Debug, Clone)]
pub struct FhirError {
    pub status: StatusCode,
    /// OperationOutcome.issue.code (http://hl7.org/fhir/issue-type).
    pub code: &'static str,
    /// Human text, also placed in issue.details.text.
    pub text: String,
    /// Value of a `WWW-Authenticate` header, if any.
    pub challenge: Option<String>,
}

impl FhirError {
    /// A new error without a challenge.
    pub fn new(status: StatusCode, code: &'static str, text: impl Into<String>) -> FhirError {
        FhirError {
            status,
            code,
            text: text.into(),
            challenge: None,
        }
    }

    /// 400 `invalid`.
    pub fn invalid(text: impl Into<String>) -> FhirError {
        FhirError::new(StatusCode::BAD_REQUEST, "invalid", text)
    }

    /// 404 `not-found`.
    pub fn not_found(text: impl Into<String>) -> FhirError {
        FhirError::new(StatusCode::NOT_FOUND, "not-found", text)
    }

    /// 403 `forbidden`.
    pub fn forbidden(text: impl Into<String>) -> FhirError {
        FhirError::new(StatusCode::FORBIDDEN, "forbidden", text)
    }

    /// 403 `forbidden` for a Bearer token that does not enable access to the resource, with
    /// the challenge RFC 6750 3 requires then (`insufficient_scope`, 3.1; the realm is
    /// optional). The description keeps to the characters 3 allows in it.
    pub fn insufficient_scope(realm: Option<&str>, text: impl Into<String>) -> FhirError {
        let text = text.into();
        let description: String = text
            .chars()
            .map(|c| match c {
                '"' | '\\' => '\'',
                ' '..='~' => c,
                _ => '?',
            })
            .collect();
        let realm = realm
            .map(|r| format!("realm=\"{r}\", "))
            .unwrap_or_default();
        FhirError::forbidden(text).with_challenge(format!(
            "Bearer {realm}error=\"insufficient_scope\", error_description=\"{description}\""
        ))
    }

    /// Adds a `WWW-Authenticate` challenge.
    pub fn with_challenge(mut self, challenge: String) -> FhirError {
        self.challenge = Some(challenge);
        self
    }
}

impl IntoResponse for FhirError {
    fn into_response(self) -> Response {
        let body = json!({
            "resourceType": "OperationOutcome",
            "issue": [{
                "severity": "error",
                "code": self.code,
                "details": { "text": self.text },
                "diagnostics": self.text,
            }]
        });
        let mut res = (self.status, body.to_string()).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
        if let Some(c) = self.challenge
            && let Ok(v) = HeaderValue::from_str(&c)
        {
            headers.insert(header::WWW_AUTHENTICATE, v);
        }
        res
    }
}
