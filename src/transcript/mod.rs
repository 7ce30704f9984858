//! The transcript model and redaction: what a report may say about an exchange with a
//! target. The bottom of the house: nothing here imports from the rest of `src/`, and
//! `http`, `flow`, `load` and `report` all build on it.

pub mod leaks;
pub mod redact;

use serde::Serialize;

pub use redact::Redactor;

/// One HTTP request and its response, redacted (see [`redact`]).
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    /// `None` when no response came (see `error`).
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    /// The body, cut to a few kilobytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Time to the whole body, in milliseconds (fractional).
    pub duration_ms: f64,
    /// Credentials the response carried, by variable and place (never the value): see
    /// [`leaks`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub credential_leaks: Vec<String>,
}
