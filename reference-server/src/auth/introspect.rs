//! Token introspection (RFC 7662) and revocation (RFC 7009). Both require the client's
//! HTTP Basic credentials and only reveal or revoke that client's own tokens.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::client_auth;
use super::error::{OAuthError, no_store};
use super::token::{FormBody, form};
use crate::faults::{Fault, FaultSwitches};
use crate::state::AppState;
use crate::tokens::now;

/// `POST /oauth2/introspect`.
pub async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: FormBody,
) -> Response {
    match describe(&state, &headers, &body) {
        Ok(v) => {
            let mut res = axum::Json(v).into_response();
            no_store(&mut res);
            res
        }
        Err(e) => e.into_response(),
    }
}

fn describe(state: &AppState, headers: &HeaderMap, body: &FormBody) -> Result<Value, OAuthError> {
    let params = form(headers, body)?;
    let client = match client_auth::authenticate(state, headers, &params) {
        Ok(c) => c,
        // Fault `IntrospectionUnauthenticated`: a caller without credentials is answered as
        // the client the token was issued to (RFC 7662 2.1 requires authorization, against
        // token scanning).
        Err(_)
            if state.faults.on(Fault::IntrospectionUnauthenticated)
                && !headers.contains_key(axum::http::header::AUTHORIZATION) =>
        {
            let token = params.single("token").ok().flatten().unwrap_or_default();
            let owner = state.tokens.live_access(token).map(|a| a.client_id.clone());
            match owner.and_then(|id| state.registry.client(&id)) {
                Some(c) => std::borrow::Cow::Borrowed(c),
                None => return Ok(inactive()),
            }
        }
        Err(e) => return Err(e),
    };
    let token = params
        .single("token")?
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    // The hint only orders the search (RFC 7662 2.1); both kinds are always looked up.
    // Choice: another client's token is reported inactive, so introspection cannot be used
    // to probe tokens the caller does not own. Fault `IntrospectionTrustsHint`: a token
    // hinted as a refresh token is not looked for among the access tokens.
    let hinted_refresh = params.single("token_type_hint")? == Some("refresh_token");
    let skip_access = hinted_refresh && state.faults.on(Fault::IntrospectionTrustsHint);
    if let Some(a) = state
        .tokens
        .live_access(token)
        .filter(|a| a.client_id == client.id && !skip_access)
    {
        let mut v = json!({
            "active": true,
            "scope": a.scope.join(" "),
            "client_id": a.client_id,
            "token_type": "Bearer",
            "exp": a.expires_at,
            "iat": a.issued_at,
            "iss": state.urls.issuer,
        });
        // Fault `IntrospectionWithoutLaunchContext`: SMART's conditional fields left out.
        if let Some(p) = a
            .patient_id
            .as_ref()
            .filter(|_| !state.faults.on(Fault::IntrospectionWithoutLaunchContext))
        {
            v["patient"] = json!(p);
            v["sub"] = json!(p);
            v["fhirUser"] = json!(format!("{}/Patient/{p}", state.urls.patient_access));
        }
        return Ok(v);
    }
    let refresh = state.tokens.refresh.get(token).map(|r| r.clone());
    if let Some(r) = refresh.filter(|r| {
        r.client_id == client.id
            && r.expires_at > now()
            && (state.tokens.grant_active(r.grant_id)
                || state.faults.on(Fault::IntrospectionIgnoresRevokedGrant))
    }) {
        return Ok(json!({
            "active": true,
            "scope": r.scope.join(" "),
            "client_id": r.client_id,
            "exp": r.expires_at,
            "iat": r.issued_at,
            "iss": state.urls.issuer,
            "sub": r.patient_id,
            "patient": r.patient_id,
        }));
    }
    Ok(inactive_with(&client.id, &state.urls.issuer, &state.faults))
}

/// RFC 7662 2.2: a token that is unknown, expired, revoked or another client's is described
/// as `{"active": false}` and nothing more.
pub fn inactive() -> Value {
    json!({ "active": false })
}

/// [`inactive`] as answered. Fault `IntrospectionAlwaysActive`: the fallback answers active
/// for whatever token the client sends.
pub fn inactive_with(client_id: &str, issuer: &str, faults: &FaultSwitches) -> Value {
    if faults.on(Fault::IntrospectionAlwaysActive) {
        return json!({ "active": true, "client_id": client_id, "iss": issuer });
    }
    inactive()
}

/// `POST /oauth2/revoke`.
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: FormBody) -> Response {
    match revoke_token(&state, &headers, &body) {
        Ok(()) => {
            let mut res = StatusCode::OK.into_response();
            no_store(&mut res);
            res
        }
        Err(e) => e.into_response(),
    }
}

fn revoke_token(state: &AppState, headers: &HeaderMap, body: &FormBody) -> Result<(), OAuthError> {
    let params = form(headers, body)?;
    let client = client_auth::authenticate(state, headers, &params)?;
    let token = params
        .single("token")?
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    // RFC 7009 2.2: an unknown hint is ignored; both kinds are always looked up.
    params.single("token_type_hint")?;
    let foreign = || {
        // RFC 7009 2.1: a token of another client is refused, not revoked.
        OAuthError::unauthorized_client("the token was issued to another client")
    };
    if let Some(owner) = state.tokens.access.get(token).map(|a| a.client_id.clone()) {
        if owner != client.id {
            return Err(foreign());
        }
        state.tokens.access.remove(token);
        return Ok(());
    }
    if let Some((owner, grant)) = state
        .tokens
        .refresh
        .get(token)
        .map(|r| (r.client_id.clone(), r.grant_id))
    {
        if owner != client.id {
            return Err(foreign());
        }
        // RFC 7009 2.1: revoking a refresh token also invalidates the grant's access tokens.
        state.tokens.revoke_grant(grant);
        state.tokens.refresh.remove(token);
    }
    // Unknown tokens are not an error (RFC 7009 2.2).
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inactive_token_is_described_as_inactive_unless_the_fault_is_on() {
        let clean = FaultSwitches::default();
        assert_eq!(inactive_with("app", "http://h/oauth2", &clean), inactive());
        assert_eq!(inactive(), json!({ "active": false }));
        let faults = FaultSwitches::with(&[Fault::IntrospectionAlwaysActive]);
        let answer = inactive_with("app", "http://h/oauth2", &faults);
        assert_eq!(answer["active"], json!(true));
        assert_eq!(answer["client_id"], json!("app"));
    }
}
