//! The HTML shell shared by the home, login, consent and error pages.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub use smartcheck_common::html::escape;

/// A complete page around `body` (already escaped HTML).
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title}</title><style>{STYLE}</style></head>\n<body><main>\n<h1>{title}</h1>\n{body}\n</main></body></html>\n",
        title = escape(title),
    )
}

/// An error page not yet rendered (small enough to travel in a `Result`).
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

impl ErrorPage {
    /// A 400 `invalid_request` page.
    pub fn bad_request(description: impl Into<String>) -> ErrorPage {
        ErrorPage {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            description: description.into(),
        }
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        error_page(self.status, self.error, &self.description)
    }
}

/// An error page: shown instead of redirecting when the redirect target cannot be trusted.
pub fn error_page(status: StatusCode, error: &str, description: &str) -> Response {
    let body = format!(
        "<p class=\"error\" id=\"error\" data-error=\"{e}\"><strong>{e}</strong>: {d}</p>\
         <p>The request was not redirected back to the application.</p>",
        e = escape(error),
        d = escape(description),
    );
    (status, Html(page("Authorization error", &body))).into_response()
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1b2733}\
main{max-width:52rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;\
box-shadow:0 1px 3px #0002}h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}\
td,th{border-bottom:1px solid #dde;padding:.3rem .5rem;text-align:left;font-size:.9rem;vertical-align:top}\
code{background:#eef;padding:0 .2rem}pre{background:#eef;padding:.6rem;overflow-x:auto}\
.error{color:#a00}label{display:block;margin:.6rem 0}input{padding:.3rem;font-size:1rem}\
button{padding:.4rem 1.2rem;margin-right:.5rem;font-size:1rem}";

#[cfg(test)]
mod tests {
    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            super::escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
