//! The authorization endpoint (seed 002 "Authorization code flow"; RFC 6749 4.1.1, 4.1.2.1;
//! RFC 7636). Until the client and its redirect URI are verified, errors are shown as a page
//! and never redirected; after that they are redirected with the `state`.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{grants, pages, pkce};
use crate::faults::{Fault, FaultSwitches};
use crate::html::error_page;
use crate::params::{ParamError, Params};
use crate::redirect;
use crate::registry::Api;
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
        if state.faults.on(Fault::RedirectForUnknownClient)
            && let Ok(Some(uri)) = params.single("redirect_uri")
        {
            // Fault: the error is sent to a redirect_uri no client registered (RFC 6749
            // 4.1.2.1: MUST NOT redirect when the client is unknown), an open redirector.
            return found(&redirect::with_params(
                uri,
                &[("error", "unauthorized_client")],
            ));
        }
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
        let app_state = params.single("state").ok().flatten();
        if let Some(location) =
            redirect::bad_uri_target_with(redirect_uri, app_state, &state.faults)
        {
            return found(&location);
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
        // Fault: any response_type is served as `code`.
        Some(_) if state.faults.on(Fault::ResponseTypeNotChecked) => {}
        Some(_) => {
            return fail(
                "unsupported_response_type",
                "only response_type=code is supported",
            );
        }
    }
    if !grants::may_authorize_with(&client, &state.faults) {
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
    if state.faults.on(Fault::ScopeOrderSensitive) && requested != plan.scopes {
        // Fault: the scope compared as one string with the documented one, so the same
        // scopes in another order are refused (RFC 6749 3.3: their order does not matter).
        return fail("invalid_scope", "scope must be exactly the documented one");
    }
    let granted = match scope::grant_with(&requested, plan, &state.faults) {
        Ok(g) => g,
        Err(e) => return fail("invalid_scope", &e.to_string()),
    };
    if let Some(aud) = params.single("aud").ok().flatten()
        && !audience_accepted_with(aud, &state.urls.patient_access, &state.faults)
    {
        return fail(
            "invalid_request",
            "aud is not this server's Patient Access base URL",
        );
    }
    let challenge = params.single("code_challenge").ok().flatten();
    let method = params.single("code_challenge_method").ok().flatten();
    if let Err(description) = pkce::check_challenge_with(challenge, method, &state.faults) {
        return fail("invalid_request", description);
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
    pages::interaction_page(
        pages::login_page(&action, &tx, &client.name, None),
        &state.faults,
    )
}

/// SMART's `aud` (SMART App Launch 2.0.0, "aud" parameter), when sent, names the Patient
/// Access base (a trailing slash aside). Optional here because seed 002's example omits it.
pub fn audience_accepted(aud: &str, patient_access: &str) -> bool {
    aud.trim_end_matches('/') == patient_access
}

/// [`audience_accepted`] as the authorization endpoint applies it. Fault `AudienceNotChecked`:
/// `aud` is read but never compared.
pub fn audience_accepted_with(aud: &str, patient_access: &str, faults: &FaultSwitches) -> bool {
    audience_accepted(aud, patient_access) || faults.on(Fault::AudienceNotChecked)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aud_names_the_patient_access_base_unless_the_fault_is_on() {
        let base = "https://h.example/fhir";
        let clean = FaultSwitches::default();
        let lax = FaultSwitches::with(&[Fault::AudienceNotChecked]);
        // (aud, accepted by a clean server)
        for (aud, ok) in [
            ("https://h.example/fhir", true),
            ("https://h.example/fhir/", true),
            ("https://h.example/fhir/x", false),
            ("https://h.example/provider-directory/fhir", false),
            ("https://evil.example/fhir", false),
            ("", false),
        ] {
            assert_eq!(audience_accepted(aud, base), ok, "{aud}");
            assert_eq!(audience_accepted_with(aud, base, &clean), ok, "{aud}");
            assert!(audience_accepted_with(aud, base, &lax), "{aud}");
        }
    }
}
