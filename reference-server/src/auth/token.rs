//! The token endpoint (seed 002 "Exchange the auth code", "Client credentials flow",
//! "Refresh token redemption"; RFC 6749 4.1.3, 4.4, 5, 6; RFC 7636 4.6).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::client_auth;
use super::error::{OAuthError, no_store};
use crate::environment::Environment;
use crate::faults::Fault;
use crate::params::{ParamError, Params};

/// A request body, or why axum could not read it (too large, aborted).
pub type FormBody = Result<Bytes, axum::extract::rejection::BytesRejection>;
use crate::registry::{Api, Client, GrantType};
use crate::scope;
use crate::state::AppState;
use crate::tokens::{AccessToken, RefreshToken, now};

/// `POST /oauth2/token` (the sandbox).
pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: FormBody) -> Response {
    respond(&state, &headers, &body, Environment::Sandbox)
}

/// `POST /production/oauth2/token`: the same endpoint for approved portal apps; its tokens
/// are production tokens (accepted only on the production FHIR bases).
pub async fn production_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: FormBody,
) -> Response {
    respond(&state, &headers, &body, Environment::Production)
}

fn respond(state: &AppState, headers: &HeaderMap, body: &FormBody, env: Environment) -> Response {
    let mut res = match exchange(state, headers, body, env) {
        Ok(v) => axum::Json(v).into_response(),
        // Fault: requests refused as malformed (not a form, a missing or repeated parameter,
        // an unknown grant_type) get the web framework's HTML error page; only client and
        // grant errors are OAuth JSON.
        Err(e)
            if state.faults.on(Fault::TokenErrorsNotJson)
                && matches!(e.error, "invalid_request" | "unsupported_grant_type") =>
        {
            e.into_html_response()
        }
        Err(e) => e.into_response(),
    };
    if state.faults.on(Fault::TokenCacheHeadersMissing) {
        // Fault: token responses go out with whatever caching the defaults allow.
        res.headers_mut().remove(header::CACHE_CONTROL);
        res.headers_mut().remove(header::PRAGMA);
    } else {
        no_store(&mut res);
    }
    res
}

/// Form parameters of a POST to an OAuth endpoint, with duplicates refused.
pub fn form(headers: &HeaderMap, body: &FormBody) -> Result<Params, OAuthError> {
    let body = match body {
        Ok(b) => b,
        // Over the body limit (or unreadable): answered in OAuth form, not axum's plain text.
        Err(_) => return Err(ParamError::TooLarge.into()),
    };
    if !crate::params::is_form(headers) {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let params = Params::parse(body)?;
    if let Some(dup) = params.first_duplicate() {
        return Err(OAuthError::invalid_request(format!(
            "parameter `{dup}` is repeated"
        )));
    }
    Ok(params)
}

fn exchange(
    state: &AppState,
    headers: &HeaderMap,
    body: &FormBody,
    env: Environment,
) -> Result<Value, OAuthError> {
    let params = form(headers, body)?;
    let client = client_auth::authenticate_in(state, headers, &params, env)?;
    let client = &*client;
    let grant = match params.single("grant_type")? {
        None => return Err(OAuthError::invalid_request("grant_type is required")),
        Some("authorization_code") => GrantType::AuthorizationCode,
        Some("client_credentials") => GrantType::ClientCredentials,
        Some("refresh_token") => GrantType::RefreshToken,
        Some(other) => {
            return Err(OAuthError::unsupported_grant_type(format!(
                "grant_type `{other}` is not supported"
            )));
        }
    };
    // Seed 002: each plan has its flow; a client may only use the grants it registered for.
    // Fault: client credentials is open to every client that authenticates.
    let open_grant = grant == GrantType::ClientCredentials
        && state.faults.on(Fault::ClientCredentialsForPatientApp);
    if !client.grant_types.contains(&grant) && !open_grant {
        return Err(OAuthError::unauthorized_client(format!(
            "this client may not use the {} grant",
            grant.as_str()
        )));
    }
    match grant {
        GrantType::AuthorizationCode => authorization_code(state, client, &params, env),
        GrantType::ClientCredentials => client_credentials(state, client, &params, env),
        GrantType::RefreshToken => refresh(state, client, &params, env),
    }
}

fn authorization_code(
    state: &AppState,
    client: &Client,
    params: &Params,
    env: Environment,
) -> Result<Value, OAuthError> {
    let code = params
        .single("code")?
        .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let redirect_uri = params.single("redirect_uri")?.ok_or_else(|| {
        OAuthError::invalid_request("redirect_uri is required (it was sent at authorize)")
    })?;
    let verifier = params.single("code_verifier")?;
    let issued = {
        let mut entry =
            state.tokens.codes.get_mut(code).ok_or_else(|| {
                OAuthError::invalid_grant("unknown or expired authorization code")
            })?;
        if entry.client_id != client.id {
            return Err(OAuthError::invalid_grant(
                "the code was issued to another client",
            ));
        }
        // Fault: a redeemed code is not remembered as spent.
        if entry.redeemed && !state.faults.on(Fault::CodeReusable) {
            // RFC 6749 4.1.2: a replayed code revokes the tokens it issued.
            let grant = entry.grant_id;
            drop(entry);
            state.tokens.revoke_grant(grant);
            return Err(OAuthError::invalid_grant(
                "the code was already used; its tokens are revoked",
            ));
        }
        entry.redeemed = true;
        entry.clone()
    };
    // Fault: the code's expiry is never compared with the clock.
    if issued.expires_at <= now() && !state.faults.on(Fault::CodeNeverExpires) {
        return Err(OAuthError::invalid_grant("the authorization code expired"));
    }
    if !state.tokens.grant_active(issued.grant_id) {
        return Err(OAuthError::invalid_grant("the authorization was revoked"));
    }
    // Fault: redirect_uri is required but not compared with the authorization request's.
    if issued.redirect_uri != redirect_uri && !state.faults.on(Fault::CodeNotBoundToRedirectUri) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request",
        ));
    }
    match (&issued.code_challenge, verifier) {
        (None, None) => {}
        (Some(challenge), Some(v)) => {
            // Fault: any well-formed verifier passes; it is not hashed and compared.
            let compared = !state.faults.on(Fault::PkceNotVerified);
            if !is_verifier(v) || (compared && &s256(v) != challenge) {
                return Err(OAuthError::invalid_grant(
                    "code_verifier does not match the code_challenge",
                ));
            }
        }
        (Some(_), None) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier is required (PKCE)",
            ));
        }
        // OAuth 2.1 4.1.3: a verifier for a code issued without a challenge is refused.
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "no code_challenge was sent for this code",
            ));
        }
    }
    let t = now();
    let access_token = env.new_token();
    let refresh_token = env.new_token();
    let access = access_token_for(
        state,
        client,
        &issued.scope,
        Some(&issued.patient_id),
        Some(issued.grant_id),
    );
    // Fault: the audience is the API the token is for, not the client the id_token is for.
    let aud = if state.faults.on(Fault::IdTokenWrongAudience) {
        state.urls.patient_access.clone()
    } else {
        client.id.clone()
    };
    let mut claims = json!({
        "iss": state.urls.issuer,
        "sub": issued.patient_id,
        "aud": aud,
        "exp": t.saturating_add(state.config.access_token_ttl),
        "iat": t,
        "fhirUser": format!("{}/Patient/{}", state.urls.patient_access, issued.patient_id),
    });
    if let Some(n) = &issued.nonce {
        claims["nonce"] = json!(n);
    }
    // Fault: signed with a rotated-in key that the JWKS does not publish yet.
    let key = if state.faults.on(Fault::IdTokenForeignKey) {
        state
            .key
            .unpublished()
            .map_err(|_| OAuthError::invalid_request("temporarily unable to sign the id_token"))?
    } else {
        &state.key
    };
    let id_token = key
        .sign_jwt(&claims)
        .map_err(|_| OAuthError::invalid_request("temporarily unable to sign the id_token"))?;
    state.tokens.access.insert(access_token.clone(), access);
    state.tokens.refresh.insert(
        refresh_token.clone(),
        RefreshToken {
            client_id: client.id.clone(),
            scope: issued.scope.clone(),
            patient_id: issued.patient_id.clone(),
            grant_id: issued.grant_id,
            issued_at: t,
            expires_at: t.saturating_add(state.config.refresh_token_ttl),
        },
    );
    let mut response = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": state.config.access_token_ttl,
        "scope": issued.scope.join(" "),
        "patient": issued.patient_id,
        "id_token": id_token,
        "refresh_token": refresh_token,
    });
    // Fault: the launch context is left for the app to dig out of the id_token.
    if state.faults.on(Fault::TokenResponseWithoutPatient)
        && let Some(fields) = response.as_object_mut()
    {
        fields.remove("patient");
    }
    Ok(response)
}

fn client_credentials(
    state: &AppState,
    client: &Client,
    params: &Params,
    env: Environment,
) -> Result<Value, OAuthError> {
    let plan = state
        .registry
        .plan_for_api(Api::ProviderDirectory)
        .ok_or_else(|| {
            OAuthError::unauthorized_client("no Provider Directory plan is configured")
        })?;
    let raw = params.single("scope")?;
    let requested = raw
        .map(scope::parse)
        .unwrap_or(Err(scope::ScopeError::Missing))
        .map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
    // Seed 002's example sends `openid fhirUser system/*.rs`: tolerated, only system/*.rs granted.
    let granted =
        scope::grant(&requested, plan).map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
    let access_token = env.new_token();
    state.tokens.access.insert(
        access_token.clone(),
        access_token_for(state, client, &granted, None, None),
    );
    // No refresh token for client credentials (RFC 6749 4.4.3), no id_token (no end user).
    let mut response = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": state.config.access_token_ttl,
        "scope": granted.join(" "),
    });
    // Fault: the shared response builder fills `patient` with the sandbox's first member
    // (the token itself stays without a patient, so the gateway still serves it).
    if state.faults.on(Fault::PatientClaimOnSystemToken)
        && let Some(m) = state.registry.members().first()
    {
        response["patient"] = json!(m.patient_id);
    }
    Ok(response)
}

fn refresh(
    state: &AppState,
    client: &Client,
    params: &Params,
    env: Environment,
) -> Result<Value, OAuthError> {
    let token = params
        .single("refresh_token")?
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let stored = state
        .tokens
        .refresh
        .get(token)
        .map(|r| r.clone())
        // A refresh token is redeemed only in the environment that issued it.
        .filter(|_| Environment::of_token(token) == env)
        .ok_or_else(|| OAuthError::invalid_grant("unknown refresh token"))?;
    // Fault: whoever holds the refresh token may redeem it.
    if stored.client_id != client.id && !state.faults.on(Fault::RefreshNotBoundToClient) {
        return Err(OAuthError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if stored.expires_at <= now() {
        return Err(OAuthError::invalid_grant("the refresh token expired"));
    }
    // Fault: the refresh token is looked at on its own, not the grant behind it.
    if !state.tokens.grant_active(stored.grant_id)
        && !state.faults.on(Fault::RefreshAfterRevocation)
    {
        return Err(OAuthError::invalid_grant(
            "the member revoked this authorization",
        ));
    }
    let scope = match params.single("scope")? {
        None => stored.scope.clone(),
        Some(raw) => scope::parse(raw)
            .and_then(|req| scope::narrow(&req, &stored.scope))
            .map_err(|e| OAuthError::invalid_scope(e.to_string()))?,
    };
    let access_token = env.new_token();
    let access = access_token_for(
        state,
        client,
        &scope,
        Some(&stored.patient_id),
        Some(stored.grant_id),
    );
    state.tokens.access.insert(access_token.clone(), access);
    // The refresh token is not rotated; no new id_token on refresh (OIDC Core 12.2 allows
    // omitting it, and it keeps refresh cheap under load).
    Ok(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": state.config.access_token_ttl,
        "scope": scope.join(" "),
        "patient": stored.patient_id,
        "refresh_token": token,
    }))
}

/// A new access token's record, valid from now for the configured lifetime.
fn access_token_for(
    state: &AppState,
    client: &Client,
    scope: &[String],
    patient_id: Option<&str>,
    grant_id: Option<u64>,
) -> AccessToken {
    let t = now();
    AccessToken {
        client_id: client.id.clone(),
        scope: scope.to_vec(),
        patient_id: patient_id.map(str::to_string),
        grant_id,
        issued_at: t,
        expires_at: t.saturating_add(state.config.access_token_ttl),
    }
}

/// RFC 7636 4.1: 43..128 unreserved characters.
fn is_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// BASE64URL(SHA256(verifier)).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    // Expected value from Python: base64.urlsafe_b64encode(hashlib.sha256(v).digest()).
    #[test]
    fn s256_matches_python_hashlib() {
        assert_eq!(
            super::s256("dBjftJeZ4CVP-mB92K27uhbUJU2p1r-wW1gFWFOEjXk"),
            "ds6m7b3BphPhC5KVSTwj-8sjyMhumHpOHDawE-oZNgQ"
        );
        assert!(!super::is_verifier("short"));
    }
}
