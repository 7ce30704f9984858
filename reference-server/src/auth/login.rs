//! The member's login and consent steps between authorize and the redirect with the code.
//! Login sets a session cookie; consent requires it, so only the browser that logged in can
//! approve.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::authorize::found;
use super::pages;
use super::token::FormBody;
use crate::faults::{Fault, FaultSwitches};
use crate::html::{ErrorPage, error_page};
use crate::params::Params;
use crate::redirect;
use crate::state::AppState;
use crate::tokens::{AuthorizationCode, PendingAuthorization, expiry, now, random_token};

/// Name of the login session cookie.
pub const SESSION_COOKIE: &str = "refserver_session";

fn expired_page() -> ErrorPage {
    ErrorPage::bad_request(
        "this sign-in request is unknown or expired; start again from the application",
    )
}

/// The live pending authorization named by the form's `tx`.
fn pending(state: &AppState, params: &Params) -> Result<(String, PendingAuthorization), ErrorPage> {
    let tx = match params.single("tx") {
        Ok(Some(tx)) => tx.to_string(),
        Ok(None) => return Err(expired_page()),
        Err(e) => return Err(ErrorPage::bad_request(e.to_string())),
    };
    match state.tokens.pending.get(&tx) {
        Some(p) if p.expires_at > now() => Ok((tx, p.clone())),
        _ => Err(expired_page()),
    }
}

fn form_params(headers: &HeaderMap, body: &FormBody) -> Result<Params, ErrorPage> {
    if !crate::params::is_form(headers) {
        return Err(ErrorPage {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            error: "invalid_request",
            description: "expected a form post".into(),
        });
    }
    let Ok(body) = body else {
        return Err(ErrorPage {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            error: "invalid_request",
            description: "the form is too large".into(),
        });
    };
    Params::parse(body).map_err(|e| ErrorPage::bad_request(e.to_string()))
}

/// `POST /oauth2/login`: check the member's password; show consent or the form again.
pub async fn login(State(state): State<AppState>, headers: HeaderMap, body: FormBody) -> Response {
    let params = match form_params(&headers, &body) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let (tx, pending) = match pending(&state, &params) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let client = state.client(&pending.client_id);
    let client_name = client.as_deref().map_or("", |c| c.name.as_str());
    let username = params.single("username").ok().flatten().unwrap_or("");
    let password = params.single("password").ok().flatten().unwrap_or("");
    let member = state
        .registry
        .member_by_username(username)
        .filter(|m| password_accepted_with(&m.password, password, &state.faults));
    let action = format!("{}/login", state.urls.issuer);
    let Some(member) = member else {
        let page = pages::login_page(
            &action,
            &tx,
            client_name,
            Some("Unknown username or wrong password."),
        );
        return pages::interaction_page(page, &state.faults);
    };
    let session = random_token();
    if let Some(mut p) = state.tokens.pending.get_mut(&tx) {
        p.member = Some((member.patient_id.clone(), session.clone()));
    }
    let consent_action = format!("{}/consent", state.urls.issuer);
    let mut page = pages::consent_page(&consent_action, &tx, client_name, &pending);
    if state.faults.on(Fault::ConsentPageCarriesPassword) {
        // The defect: the sign-in is carried to the consent form in hidden fields.
        let carried = format!(
            "<input type=\"hidden\" name=\"password\" value=\"{}\">",
            crate::html::escape(password)
        );
        page = page.replacen(
            "<input type=\"hidden\"",
            &format!("{carried}<input type=\"hidden\""),
            1,
        );
    }
    let mut res = pages::interaction_page(page, &state.faults);
    let secure = if state.urls.root.starts_with("https:") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax{secure}");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// The session cookie's value, if the request carries exactly one.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

/// `POST /oauth2/consent`: approve issues a code, deny redirects with `access_denied`.
pub async fn consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: FormBody,
) -> Response {
    let params = match form_params(&headers, &body) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let (tx, pending) = match pending(&state, &params) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let Some((patient_id, session)) = pending.member.clone() else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "sign in before giving consent",
        );
    };
    let cookie_ok = session_cookie(&headers).is_some_and(|c| {
        aws_lc_rs::constant_time::verify_slices_are_equal(c.as_bytes(), session.as_bytes()).is_ok()
    });
    if !cookie_ok {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the sign-in session cookie is missing or wrong",
        );
    }
    let decision = params.single("decision").ok().flatten();
    if !matches!(decision, Some("approve" | "deny")) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "decision must be approve or deny",
        );
    }
    // The transaction is spent whatever the decision; removing it first means two
    // concurrent submits cannot both issue a code.
    if state.tokens.pending.remove(&tx).is_none() {
        return expired_page().into_response();
    }
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    let code;
    if issues_code_with(decision, &state.faults) {
        let grant_id = state.tokens.new_grant(&pending.client_id, &patient_id);
        code = random_token();
        state.tokens.codes.insert(
            code.clone(),
            AuthorizationCode {
                client_id: pending.client_id.clone(),
                redirect_uri: pending.redirect_uri.clone(),
                scope: pending.scope.clone(),
                nonce: pending.nonce.clone(),
                code_challenge: pending.code_challenge.clone(),
                patient_id,
                grant_id,
                expires_at: expiry(state.config.code_ttl),
                redeemed: false,
            },
        );
        pairs.push(("code", &code));
    } else {
        pairs.push(("error", "access_denied"));
        pairs.push(("error_description", "the member denied access"));
    }
    let mut location = redirect::with_params(&pending.redirect_uri, &pairs);
    if let Some(s) = echoed_state_with(&pending, &state.faults) {
        if state.faults.on(Fault::StateNotEncoded) {
            // Fault: the state pasted into the URL as it came, so `&`, `#`, `+` and `%`
            // in it change what the client reads back.
            location.push_str(&format!("&state={s}"));
        } else {
            location = redirect::with_params(&location, &[("state", s)]);
        }
    }
    found(&location)
}

/// The member's password, compared in constant time with the one presented.
pub fn password_accepted(password: &str, presented: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(password.as_bytes(), presented.as_bytes())
        .is_ok()
}

/// [`password_accepted`] as the login step applies it. Fault `WrongPasswordAccepted`: the
/// check's result is ignored; a known username is enough.
pub fn password_accepted_with(password: &str, presented: &str, faults: &FaultSwitches) -> bool {
    password_accepted(password, presented) || faults.on(Fault::WrongPasswordAccepted)
}

/// Seed 002 consent: only "approve" issues a code (deny redirects with `access_denied`).
pub fn issues_code(decision: Option<&str>) -> bool {
    decision == Some("approve")
}

/// [`issues_code`] as the consent step applies it. Fault `ConsentDenialIssuesCode`: only that
/// the form was submitted is looked at, not which button.
pub fn issues_code_with(decision: Option<&str>, faults: &FaultSwitches) -> bool {
    issues_code(decision) || faults.on(Fault::ConsentDenialIssuesCode)
}

/// RFC 6749 4.1.2: the redirect carries the authorization request's `state`, if it had one.
pub fn echoed_state(pending: &PendingAuthorization) -> Option<&str> {
    pending.state.as_deref()
}

/// [`echoed_state`] as the consent step applies it. Fault `StateNotEchoed`: the state is not
/// carried through the login and consent pages.
pub fn echoed_state_with<'p>(
    pending: &'p PendingAuthorization,
    faults: &FaultSwitches,
) -> Option<&'p str> {
    echoed_state(pending).filter(|_| !faults.on(Fault::StateNotEchoed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_must_match_unless_the_fault_is_on() {
        let clean = FaultSwitches::default();
        let lax = FaultSwitches::with(&[Fault::WrongPasswordAccepted]);
        for (presented, ok) in [
            ("s3cret", true),
            ("S3cret", false),
            ("s3cre", false),
            ("", false),
        ] {
            assert_eq!(password_accepted("s3cret", presented), ok, "{presented}");
            assert_eq!(password_accepted_with("s3cret", presented, &clean), ok);
            assert!(password_accepted_with("s3cret", presented, &lax));
        }
    }

    #[test]
    fn only_approve_issues_a_code_unless_the_fault_is_on() {
        let clean = FaultSwitches::default();
        let lax = FaultSwitches::with(&[Fault::ConsentDenialIssuesCode]);
        for (decision, ok) in [
            (Some("approve"), true),
            (Some("deny"), false),
            (None, false),
        ] {
            assert_eq!(issues_code(decision), ok, "{decision:?}");
            assert_eq!(issues_code_with(decision, &clean), ok, "{decision:?}");
            assert!(issues_code_with(decision, &lax), "{decision:?}");
        }
    }

    #[test]
    fn the_state_is_echoed_unless_the_fault_drops_it() {
        let pending = |state: Option<&str>| PendingAuthorization {
            client_id: "app".into(),
            redirect_uri: "https://app.example/cb".into(),
            scope: vec![],
            state: state.map(str::to_string),
            nonce: None,
            code_challenge: None,
            member: None,
            expires_at: 0,
        };
        let with = pending(Some("xyz"));
        let without = pending(None);
        let clean = FaultSwitches::default();
        let lax = FaultSwitches::with(&[Fault::StateNotEchoed]);
        assert_eq!(echoed_state(&with), Some("xyz"));
        assert_eq!(echoed_state_with(&with, &clean), Some("xyz"));
        assert_eq!(echoed_state_with(&with, &lax), None);
        assert_eq!(echoed_state(&without), None);
        assert_eq!(echoed_state_with(&without, &clean), None);
    }
}
