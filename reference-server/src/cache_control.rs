//! `Cache-Control: no-store` (and `Pragma: no-cache`) on every response that carries a
//! secret or a login transaction (RFC 6749 5.1): the token endpoint, introspection, the login
//! and consent pages, the portal's issued credentials.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// Adds `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 5.1).
pub fn no_store(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}
