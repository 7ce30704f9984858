//! The member-facing login and consent pages (real HTML forms, no JavaScript needed).

use crate::html::{escape, page};
use crate::tokens::PendingAuthorization;

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
