//! Request bounds applied before any handler: header block and URI size. (Bodies are bounded
//! by `DefaultBodyLimit`, query strings and forms again by `params`.)

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Largest accepted header block (names + values), in bytes.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Largest accepted request target, in bytes.
pub const MAX_URI_BYTES: usize = 32 * 1024;

/// Answers 431 or 414 for oversized requests, otherwise runs the handler.
pub async fn bound_request(req: Request, next: Next) -> Response {
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "request headers too large\n",
        )
            .into_response();
    }
    if req.uri().to_string().len() > MAX_URI_BYTES {
        return (StatusCode::URI_TOO_LONG, "request target too long\n").into_response();
    }
    next.run(req).await
}
