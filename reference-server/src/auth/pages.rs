//! The member-facing login and consent pages (real HTML forms, no JavaScript needed).

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::authorize::no_store;
use crate::faults::{Fault, FaultSwitches};
use crate::html::{escape, page};
use crate::tokens::PendingAuthorization;

/// A login or consent page as served: never cached (it carries the transaction id), and
/// never shown in another site's frame (RFC 9700 4.16 clickjacking: both the CSP directive
/// and X-Frame-Options, for browsers without CSP level 2). Fault `LoginPageFrameable`: neither.
pub fn interaction_page(html: String, faults: &FaultSwitches) -> Response {
    let mut res = no_store(Html(html).into_response());
    if !faults.on(Fault::LoginPageFrameable) {
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    res
}

/// The login form: username and password, posted with the transaction id.
pub fn login_page(action: &str, tx: &str, client_name: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\" id=\"login-error\">{}</p>", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<p><strong>{client}</strong> wants to access your health plan data.</p>{error}\
         <form method=\"post\" action=\"{action}\" id=\"login-form\">\
         <input type=\"hidden\" name=\"tx\" value=\"{tx}\">\
         <label>Username <input name=\"username\" id=\"username\" autocomplete=\"username\" required></label>\
         <label>Password <input name=\"password\" id=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\
         <button type=\"submit\" id=\"sign-in\">Sign in</button></form>",
        client = escape(client_name),
        action = escape(action),
        tx = escape(tx),
    );
    page("Member sign in", &body)
}

/// The consent page: what the app asks for, approve or deny.
pub fn consent_page(
    action: &str,
    tx: &str,
    client_name: &str,
    pending: &PendingAuthorization,
) -> String {
    let scopes: String = pending
        .scope
        .iter()
        .map(|s| format!("<li><code>{}</code></li>", escape(s)))
        .collect();
    let body = format!(
        "<p><strong>{client}</strong> asks to read your health plan data \
         (claims, coverage and clinical records) on your behalf:</p><ul id=\"scopes\">{scopes}</ul>\
         <form method=\"post\" action=\"{action}\" id=\"consent-form\">\
         <input type=\"hidden\" name=\"tx\" value=\"{tx}\">\
         <button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></form>",
        client = escape(client_name),
        action = escape(action),
        tx = escape(tx),
    );
    page("Allow access?", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interaction_pages_forbid_framing_unless_the_fault_is_on() {
        let faults = FaultSwitches::default();
        let res = interaction_page("<p>x</p>".into(), &faults);
        let h = res.headers();
        assert_eq!(h[header::CACHE_CONTROL], "no-store");
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], "frame-ancestors 'none'");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        faults.set(&[Fault::LoginPageFrameable]);
        let res = interaction_page("<p>x</p>".into(), &faults);
        let h = res.headers();
        assert_eq!(h[header::CACHE_CONTROL], "no-store");
        assert!(h.get(header::CONTENT_SECURITY_POLICY).is_none());
        assert!(h.get(header::X_FRAME_OPTIONS).is_none());
    }
}
