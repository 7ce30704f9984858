//! OAuth error responses of the token, introspection and revocation endpoints
//! (RFC 6749 5.2): JSON, no caching, and a `Basic` challenge on `invalid_client`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

/// An RFC 6749 5.2 error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status,
            error,
            description: description_text(&description.into()),
        }
    }

    /// 400 `invalid_request`.
    pub fn invalid_request(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", d)
    }

    /// 401 `invalid_client` (sent with `WWW-Authenticate: Basic`, RFC 6749 5.2).
    pub fn invalid_client(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_client", d)
    }

    /// 400 `invalid_grant`.
    pub fn invalid_grant(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_grant", d)
    }

    /// 400 `unauthorized_client`.
    pub fn unauthorized_client(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "unauthorized_client", d)
    }

    /// 400 `unsupported_grant_type`.
    pub fn unsupported_grant_type(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", d)
    }

    /// 400 `invalid_scope`.
    pub fn invalid_scope(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_scope", d)
    }
}

impl From<crate::params::ParamError> for OAuthError {
    fn from(e: crate::params::ParamError) -> OAuthError {
        match e {
            crate::params::ParamError::TooLarge => OAuthError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                e.to_string(),
            ),
            crate::params::ParamError::Duplicate(_) => OAuthError::invalid_request(e.to_string()),
        }
    }
}

/// Keeps only the characters RFC 6749 5.2 allows in `error_description` (%x20-21 / %x23-5B /
/// %x5D-7E): descriptions may quote request input, which must not smuggle anything else.
pub fn description_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ' ' | '!' | '#'..='[' | ']'..='~' => c,
            _ => '?',
        })
        .collect()
}

pub use crate::cache_control::no_store;

impl OAuthError {
    /// The error as a generic HTML error page (what fault `TokenErrorsNotJson` answers).
    pub fn into_html_response(self) -> Response {
        let body = format!(
            "<p>{}: {}</p>",
            crate::html::escape(self.error),
            crate::html::escape(&self.description)
        );
        let title = self.status.canonical_reason().unwrap_or("Error");
        let mut res = (self.status, Html(crate::html::page(title, &body))).into_response();
        no_store(&mut res);
        res
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        let mut res = (self.status, axum::Json(body)).into_response();
        no_store(&mut res);
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"token\", charset=\"UTF-8\""),
            );
        }
        res
    }
}
