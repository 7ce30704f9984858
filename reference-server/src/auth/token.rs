//! The token endpoint (seed 002 "Exchange the auth code", "Client credentials flow",
//! "Refresh token redemption"; RFC 6749 4.1.3, 4.4, 5, 6; RFC 7636 4.6).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::{OAuthError, no_store};
use super::{client_auth, grants, id_token, pkce, token_rules};
use crate::environment::Environment;
use crate::faults::{Fault, FaultSwitches};
use crate::params::{ParamError, Params};
use crate::registry::{Api, Client, GrantType, Registry};
use crate::scope;
use crate::state::AppState;
use crate::tokens::{AccessToken, AuthorizationCode, RefreshToken, now};

/// A request body, or why axum could not read it (too large, aborted).
pub type FormBody = Result<Bytes, axum::extract::rejection::BytesRejection>;

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
    answer_with(exchange(state, headers, body, env), &state.faults)
}

/// The token endpoint's answer (RFC 6749 5.1, 5.2): the token response or the OAuth error as
/// JSON, never cached (`Cache-Control: no-store`, `Pragma: no-cache`).
fn answer(result: Result<Value, OAuthError>) -> Response {
    let mut res = match result {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    };
    no_store(&mut res);
    res
}

/// [`answer`] as sent. Fault `TokenErrorsNotJson`: requests refused as malformed (not a form,
/// a missing or repeated parameter, an unknown grant_type) get the web framework's HTML error
/// page; only client and grant errors are OAuth JSON. Fault `TokenCacheHeadersMissing`: token
/// responses go out with whatever caching the defaults allow.
fn answer_with(result: Result<Value, OAuthError>, faults: &FaultSwitches) -> Response {
    let mut res = match result {
        Err(e)
            if faults.on(Fault::TokenErrorsNotJson)
                && matches!(e.error, "invalid_request" | "unsupported_grant_type") =>
        {
            let mut res = e.into_html_response();
            no_store(&mut res);
            res
        }
        result => answer(result),
    };
    if faults.on(Fault::TokenCacheHeadersMissing) {
        res.headers_mut().remove(header::CACHE_CONTROL);
        res.headers_mut().remove(header::PRAGMA);
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

/// The token request parameters of RFC 6749, 7636 and 7523: what a strict server knows.
const KNOWN_PARAMS: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "scope",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "username",
    "password",
    "assertion",
];

/// Fault `UnknownParameterRefused`: a parameter outside [`KNOWN_PARAMS`] is refused, where
/// RFC 6749 3.2 says to ignore it.
fn refuse_unknown_with(params: &Params, faults: &FaultSwitches) -> Result<(), OAuthError> {
    if !faults.on(Fault::UnknownParameterRefused) {
        return Ok(());
    }
    match params.pairs().find(|(k, _)| !KNOWN_PARAMS.contains(k)) {
        Some((k, _)) => Err(OAuthError::invalid_request(format!(
            "unknown parameter `{k}`"
        ))),
        None => Ok(()),
    }
}

fn exchange(
    state: &AppState,
    headers: &HeaderMap,
    body: &FormBody,
    env: Environment,
) -> Result<Value, OAuthError> {
    let params = form(headers, body)?;
    refuse_unknown_with(&params, &state.faults)?;
    let client = match client_auth::authenticate_in(state, headers, &params, env) {
        Ok(c) => c,
        // Fault `GrantTrustsNamedClient`: a code exchange or refresh is trusted on the
        // client it names (Basic user name or body client_id), its secret unchecked.
        Err(e)
            if state.faults.on(Fault::GrantTrustsNamedClient)
                && matches!(
                    params.single("grant_type")?,
                    Some("authorization_code" | "refresh_token")
                ) =>
        {
            client_auth::claimed(state, headers, &params).ok_or(e)?
        }
        Err(e) => return Err(e),
    };
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
    if !grants::may_exchange_with(client, grant, &state.faults) {
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
        if entry.client_id != client.id && !state.faults.on(Fault::CodeNotBoundToClient) {
            return Err(OAuthError::invalid_grant(
                "the code was issued to another client",
            ));
        }
        if token_rules::is_replay_with(&entry, &state.faults) {
            // RFC 6749 4.1.2: a replayed code revokes the tokens it issued (fault
            // `CodeReplayKeepsTokens`: it does not).
            let grant = entry.grant_id;
            drop(entry);
            if !state.faults.on(Fault::CodeReplayKeepsTokens) {
                state.tokens.revoke_grant(grant);
            }
            return Err(OAuthError::invalid_grant(
                "the code was already used; its tokens are revoked",
            ));
        }
        entry.redeemed = true;
        entry.clone()
    };
    if token_rules::is_expired_with(&issued, now(), &state.faults) {
        return Err(OAuthError::invalid_grant("the authorization code expired"));
    }
    if !state.tokens.grant_active(issued.grant_id) {
        return Err(OAuthError::invalid_grant("the authorization was revoked"));
    }
    if !token_rules::redirect_matches_with(&issued, redirect_uri, &state.faults) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request",
        ));
    }
    match (&issued.code_challenge, verifier) {
        (None, None) => {}
        (Some(challenge), Some(v)) => {
            if !pkce::verifier_matches_with(challenge, v, &state.faults) {
                return Err(OAuthError::invalid_grant(
                    "code_verifier does not match the code_challenge",
                ));
            }
        }
        // Fault `PkceVerifierOptional`: a missing verifier is not asked for.
        (Some(_), None) if state.faults.on(Fault::PkceVerifierOptional) => {}
        (Some(_), None) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier is required (PKCE)",
            ));
        }
        // RFC 9700 2.1.1 (and OAuth 2.1 4.1.3): a verifier for a code issued without a
        // challenge is refused, or PKCE could be downgraded. Fault `PkceDowngradeAccepted`.
        (None, Some(_)) if state.faults.on(Fault::PkceDowngradeAccepted) => {}
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
    let id_token = id_token::issue(state, client, &issued, t)?;
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
    let fields = TokenFields {
        access_token: &access_token,
        expires_in: state.config.access_token_ttl,
        scope: &issued.scope,
    };
    Ok(code_response_with(
        &fields,
        &issued,
        &id_token,
        &refresh_token,
        &state.faults,
    ))
}

/// The tokens of a response, as every grant answers them.
struct TokenFields<'a> {
    access_token: &'a str,
    expires_in: u64,
    scope: &'a [String],
}

/// The code exchange's response (RFC 6749 5.1; SMART App Launch: `patient` is the launch
/// context, `id_token` for `openid`, a refresh token for the member's grant).
fn code_response(
    tokens: &TokenFields,
    code: &AuthorizationCode,
    id_token: &str,
    refresh_token: &str,
) -> Value {
    json!({
        "access_token": tokens.access_token,
        "token_type": "Bearer",
        "expires_in": tokens.expires_in,
        "scope": tokens.scope.join(" "),
        "patient": code.patient_id,
        "id_token": id_token,
        "refresh_token": refresh_token,
    })
}

/// [`code_response`] as sent. Fault `TokenResponseWithoutPatient`: the launch context is left
/// for the app to dig out of the id_token.
fn code_response_with(
    tokens: &TokenFields,
    code: &AuthorizationCode,
    id_token: &str,
    refresh_token: &str,
    faults: &FaultSwitches,
) -> Value {
    let mut response = code_response(tokens, code, id_token, refresh_token);
    if faults.on(Fault::TokenResponseWithoutPatient)
        && let Some(fields) = response.as_object_mut()
    {
        fields.remove("patient");
    }
    response
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
    let tokens = TokenFields {
        access_token: &access_token,
        expires_in: state.config.access_token_ttl,
        scope: &granted,
    };
    Ok(system_response_with(
        &tokens,
        &state.registry,
        &state.faults,
    ))
}

/// The client credentials response: no refresh token (RFC 6749 4.4.3), no id_token and no
/// `patient` (no end user; seed 002: a Provider Directory token carries no patient claim).
fn system_response(tokens: &TokenFields) -> Value {
    json!({
        "access_token": tokens.access_token,
        "token_type": "Bearer",
        "expires_in": tokens.expires_in,
        "scope": tokens.scope.join(" "),
    })
}

/// [`system_response`] as sent. Fault `PatientClaimOnSystemToken`: the shared response
/// builder fills `patient` with the sandbox's first member (the token itself stays without a
/// patient, so the gateway still serves it).
fn system_response_with(
    tokens: &TokenFields,
    registry: &Registry,
    faults: &FaultSwitches,
) -> Value {
    let mut response = system_response(tokens);
    if faults.on(Fault::PatientClaimOnSystemToken)
        && let Some(m) = registry.members().first()
    {
        response["patient"] = json!(m.patient_id);
    }
    response
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
    if !token_rules::refresh_bound_to_with(&stored, &client.id, &state.faults) {
        return Err(OAuthError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if stored.expires_at <= now() {
        return Err(OAuthError::invalid_grant("the refresh token expired"));
    }
    if !token_rules::refresh_grant_active_with(&state.tokens, &stored, &state.faults) {
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
    // Fault `RefreshNarrowingSticks`: a narrowed refresh narrows the refresh token itself
    // (RFC 6749 6: its scope stays identical).
    if state.faults.on(Fault::RefreshNarrowingSticks)
        && let Some(mut kept) = state.tokens.refresh.get_mut(token)
    {
        kept.scope = scope.clone();
    }
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
    // omitting it, and it keeps refresh cheap under load). Fault `RefreshRotatedOldKept`:
    // a new refresh token is issued and the old one still works.
    let token = if state.faults.on(Fault::RefreshRotatedOldKept) {
        let rotated = env.new_token();
        state.tokens.refresh.insert(rotated.clone(), stored.clone());
        rotated
    } else {
        token.to_string()
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn content_type(res: &Response) -> &str {
        res.headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[test]
    fn answers_are_uncached_json_unless_a_fault_bends_them() {
        let ok = || Ok(json!({ "access_token": "t" }));
        let malformed = || Err(OAuthError::invalid_request("grant_type is required"));
        let grant = || Err(OAuthError::invalid_grant("the code expired"));
        let clean = FaultSwitches::default();
        for result in [ok(), malformed(), grant()] {
            let res = answer_with(result.clone(), &clean);
            assert!(content_type(&res).starts_with("application/json"));
            assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
            assert_eq!(res.headers()[header::PRAGMA], "no-cache");
            let pure = answer(result);
            assert_eq!(pure.status(), res.status());
            assert_eq!(pure.headers(), res.headers());
        }

        let html = FaultSwitches::with(&[Fault::TokenErrorsNotJson]);
        assert!(content_type(&answer_with(malformed(), &html)).starts_with("text/html"));
        assert!(content_type(&answer_with(grant(), &html)).starts_with("application/json"));
        assert!(content_type(&answer_with(ok(), &html)).starts_with("application/json"));
        assert_eq!(
            answer_with(malformed(), &html).headers()[header::CACHE_CONTROL],
            "no-store"
        );

        let cached = FaultSwitches::with(&[Fault::TokenCacheHeadersMissing]);
        for result in [ok(), malformed(), grant()] {
            let res = answer_with(result, &cached);
            assert!(res.headers().get(header::CACHE_CONTROL).is_none());
            assert!(res.headers().get(header::PRAGMA).is_none());
        }
    }

    #[test]
    fn responses_carry_their_fields_unless_a_fault_bends_them() {
        let scope = ["openid".to_string(), "patient/*.rs".to_string()];
        let fields = TokenFields {
            access_token: "at",
            expires_in: 300,
            scope: &scope,
        };
        let code = AuthorizationCode {
            client_id: "app".into(),
            redirect_uri: "https://app.example/cb".into(),
            scope: scope.to_vec(),
            nonce: None,
            code_challenge: None,
            patient_id: "p1".into(),
            grant_id: 1,
            expires_at: 0,
            redeemed: false,
        };
        let clean = FaultSwitches::default();
        let full = code_response(&fields, &code, "idt", "rt");
        assert_eq!(full["patient"], "p1");
        assert_eq!(full["scope"], "openid patient/*.rs");
        assert_eq!(
            code_response_with(&fields, &code, "idt", "rt", &clean),
            full
        );
        let faults = FaultSwitches::with(&[Fault::TokenResponseWithoutPatient]);
        let bent = code_response_with(&fields, &code, "idt", "rt", &faults);
        assert!(bent.get("patient").is_none());
        assert_eq!(bent["id_token"], "idt");

        let registry = Registry::load(1, 0).unwrap();
        let system = system_response(&fields);
        assert!(system.get("patient").is_none() && system.get("refresh_token").is_none());
        assert_eq!(system_response_with(&fields, &registry, &clean), system);
        let faults = FaultSwitches::with(&[Fault::PatientClaimOnSystemToken]);
        let bent = system_response_with(&fields, &registry, &faults);
        assert_eq!(bent["patient"], json!(registry.members()[0].patient_id));
    }
}
