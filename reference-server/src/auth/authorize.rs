//! The authorization endpoint (seed 002 "Authorization code flow"; RFC 6749 4.1.1, 4.1.2.1;
//! RFC 7636). Until the client and its redirect URI are verified, errors are shown as a page
//! and never redirected; after that they are redirected with the `state`.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::pages;
use crate::faults::Fault;
use crate::html::error_page;
use crate::params::{ParamError, Params};
use crate::redirect;
use crate::registry::{Api, GrantType};
use crate::scope;
use crate::state::AppState;
use crate::tokens::{MAX_PENDING, PendingAuthorization, expiry, random_token};

/// Longest accepted `state` or `nonce`.
const MAX_STATE_LEN: usize = 2048;

/// `GET /oauth2/authorize`.
pub async fn authorize(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params = match Params::from_query(query.as_deref()) {
        Ok(p) => p,
        Err(e) => return param_page(&e),
    };
    let client_id = match params.single("client_id") {
        Ok(Some(id)) => id,
        Ok(None) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "client_id is required",
            );
        }
        Err(e) => return param_page(&e),
    };
    let Some(client) = state.client(client_id) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "unknown client_id",
        );
    };
    let redirect_uri = match params.single("redirect_uri") {
        Ok(Some(uri)) => uri,
        // Choice: required even with one registered URI (SMART App Launch requires it).
        Ok(None) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "redirect_uri is required",
            );
        }
        Err(e) => return param_page(&e),
    };
    if !redirect::accepts(&client.redirect_uris, redirect_uri, &state.faults) {
        if state.faults.on(Fault::RedirectOnBadUri) {
            // Fault: the error is sent to the unverified redirect_uri (an open redirector).
            let mut pairs = vec![("error", "invalid_request")];
            if let Some(s) = params.single("state").ok().flatten() {
                pairs.push(("state", s));
            }
            return found(&redirect::with_params(redirect_uri, &pairs));
        }
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri does not exactly match a URI registered for this client",
        );
    }
    // From here on the redirect target is trusted.
    let app_state = params.single("state").ok().flatten();
    let fail = |error: &str, description: &str| {
        let description = super::error::description_text(description);
        let mut pairs = vec![
            ("error", error),
            ("error_description", description.as_str()),
        ];
        if let Some(s) = app_state {
            pairs.push(("state", s));
        }
        found(&redirect::with_params(redirect_uri, &pairs))
    };
    if let Some(dup) = params.first_duplicate() {
        return fail("invalid_request", &format!("parameter `{dup}` is repeated"));
    }
    if app_state.is_some_and(|s| s.len() > MAX_STATE_LEN) {
        return fail("invalid_request", "state is too long");
    }
    match params.single("response_type").ok().flatten() {
        None => return fail("invalid_request", "response_type is required"),
        Some("code") => {}
        Some(_) => {
            return fail(
                "unsupported_response_type",
                "only response_type=code is supported",
            );
        }
    }
    // Fault: the client's allowed grants are only looked at by the token endpoint.
    if !client.grant_types.contains(&GrantType::AuthorizationCode)
        && !state.faults.on(Fault::DirectoryAppAuthorizeAllowed)
    {
        return fail(
            "unauthorized_client",
            "this client may not use the authorization code grant",
        );
    }
    let Some(plan) = state.registry.plan_for_api(Api::PatientAccess) else {
        return fail("server_error", "no Patient Access plan is configured");
    };
    let requested = match params.single("scope").ok().flatten().map(scope::parse) {
        None => return fail("invalid_scope", &scope::ScopeError::Missing.to_string()),
        Some(Err(e)) => return fail("invalid_scope", &e.to_string()),
        Some(Ok(s)) => s,
    };
    let granted = match scope::grant_with(&requested, plan, &state.faults) {
        Ok(g) => g,
        Err(e) => return fail("invalid_scope", &e.to_string()),
    };
    // SMART's `aud`: optional here because seed 002's example omits it; when sent it must
    // name the Patient Access base (SMART App Launch 2.0.0, "aud" parameter).
    // Fault: `aud` read but never compared.
    if let Some(aud) = params.single("aud").ok().flatten()
        && aud.trim_end_matches('/') != state.urls.patient_access
        && !state.faults.on(Fault::AudienceNotChecked)
    {
        return fail(
            "invalid_request",
            "aud is not this server's Patient Access base URL",
        );
    }
    let challenge = params.single("code_challenge").ok().flatten();
    match (
        challenge,
        params.single("code_challenge_method").ok().flatten(),
    ) {
        (None, None) => {}
        (Some(c), Some("S256")) if is_s256_challenge(c) => {}
        // Fault: `plain` accepted, explicit or by default (RFC 7636 4.3 allows it; SMART
        // App Launch 2.0 forbids it).
        (Some(_), None | Some("plain")) if state.faults.on(Fault::PkcePlainAccepted) => {}
        (Some(_), Some("S256")) => {
            return fail(
                "invalid_request",
                "code_challenge is not a base64url SHA-256 value",
            );
        }
        (Some(_), None) | (_, Some("plain")) => {
            return fail(
                "invalid_request",
                "PKCE method plain is not supported; use S256",
            );
        }
        (_, Some(_)) => {
            return fail(
                "invalid_request",
                "code_challenge and code_challenge_method=S256 go together",
            );
        }
    }
    let nonce = params.single("nonce").ok().flatten();
    if nonce.is_some_and(|n| n.len() > MAX_STATE_LEN) {
        return fail("invalid_request", "nonce is too long");
    }
    if state.tokens.pending.len() >= MAX_PENDING {
        return error_page(
            StatusCode::TOO_MANY_REQUESTS,
            "temporarily_unavailable",
            "too many sign-ins in progress; try again later",
        );
    }
    let tx = random_token();
    state.tokens.pending.insert(
        tx.clone(),
        PendingAuthorization {
            client_id: client.id.clone(),
            redirect_uri: redirect_uri.to_string(),
            scope: granted,
            state: app_state.map(str::to_string),
            nonce: nonce.map(str::to_string),
            code_challenge: challenge.map(str::to_string),
            member: None,
            expires_at: expiry(state.config.login_ttl),
        },
    );
    let action = format!("{}/login", state.urls.issuer);
    no_store(Html(pages::login_page(&action, &tx, &client.name, None)).into_response())
}

/// An S256 challenge is the base64url (no padding) of 32 bytes: 43 characters.
fn is_s256_challenge(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn param_page(e: &ParamError) -> Response {
    let status = match e {
        ParamError::TooLarge => StatusCode::URI_TOO_LONG,
        ParamError::Duplicate(_) => StatusCode::BAD_REQUEST,
    };
    error_page(status, "invalid_request", &e.to_string())
}

/// A 302 redirect that is never cached.
pub fn found(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => {
            let mut res = StatusCode::FOUND.into_response();
            res.headers_mut().insert(header::LOCATION, v);
            no_store(res)
        }
        Err(_) => error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "cannot build the redirect",
        ),
    }
}

/// Marks a response as not cacheable (pages carrying transaction ids, redirects with codes).
pub fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
