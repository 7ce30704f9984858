//! The gateway in front of the FHIR APIs (seed 002 "Security requirements by API"): bearer
//! validation, the plan subscription check and the plan's claim rules. Handlers receive a
//! [`PatientCaller`] or [`DirectoryCaller`] only when every rule passed.

pub mod access;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::environment::Environment;
use crate::faults::Fault;
use crate::outcome::FhirError;
use crate::registry::Api;
use crate::state::AppState;
use crate::tokens::AccessToken;

/// The text seed 000's FAQ quotes for a call outside the client's plan.
pub const NOT_REGISTERED: &str = "Not registered to plan";

/// A caller of the Patient Access API: a live token of a Patient Access client with
/// patient-level scopes and a patient claim.
#[derive(Debug, Clone)]
pub struct PatientCaller {
    pub token: AccessToken,
    pub patient_id: String,
    /// The FHIR base the request came through (the sandbox's or the production mirror's):
    /// links in the answer point there.
    pub base: String,
}

/// A caller of the Provider Directory API: a live system-level token without patient claim.
#[derive(Debug, Clone)]
pub struct DirectoryCaller {
    pub token: AccessToken,
    /// The FHIR base the request came through, as for [`PatientCaller::base`].
    pub base: String,
}

impl FromRequestParts<AppState> for PatientCaller {
    type Rejection = FhirError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, FhirError> {
        let token = authenticate(parts, state, Api::PatientAccess)?;
        let base = base_of(parts, state, Api::PatientAccess);
        match access::patient_of_with(&token, &state.faults) {
            Some(patient_id) => Ok(PatientCaller {
                patient_id,
                token,
                base,
            }),
            None => Err(insufficient(
                &base,
                "the Patient Access API needs patient-level scopes (patient/*.rs, launch/patient) and a patient claim",
            )),
        }
    }
}

impl FromRequestParts<AppState> for DirectoryCaller {
    type Rejection = FhirError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, FhirError> {
        let token = authenticate(parts, state, Api::ProviderDirectory)?;
        let base = base_of(parts, state, Api::ProviderDirectory);
        let realm = &base;
        // Seed 002: "Provider Directory plans require system-level scopes and must not
        // include a patient claim."
        if token.patient_id.is_some() {
            return Err(insufficient(
                realm,
                "the Provider Directory API refuses tokens with a patient claim",
            ));
        }
        if !token.scope.iter().any(|s| s == "system/*.rs") {
            return Err(insufficient(
                realm,
                "the Provider Directory API needs the system/*.rs scope",
            ));
        }
        Ok(DirectoryCaller { token, base })
    }
}

/// The FHIR base of `api` in the environment the request came through.
fn base_of(parts: &Parts, state: &AppState, api: Api) -> String {
    match Environment::of_request(&parts.extensions) {
        Environment::Sandbox => realm_of(state, api).to_string(),
        Environment::Production => {
            let path = match api {
                Api::PatientAccess => crate::urls::PATIENT_ACCESS_PATH,
                Api::ProviderDirectory => crate::urls::PROVIDER_DIRECTORY_PATH,
            };
            let root = &state.urls.root;
            format!("{root}{}{path}", crate::environment::PRODUCTION_PATH)
        }
    }
}

fn realm_of(state: &AppState, api: Api) -> &str {
    match api {
        Api::PatientAccess => &state.urls.patient_access,
        Api::ProviderDirectory => &state.urls.provider_directory,
    }
}

/// A live access token whose client is subscribed to `api`'s plan.
fn authenticate(parts: &Parts, state: &AppState, api: Api) -> Result<AccessToken, FhirError> {
    let realm = realm_of(state, api);
    let unauthorized = |error: Option<&str>, text: &str| {
        access::unauthorized_with(realm, error, text, &state.faults)
    };
    let mut values = parts.headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        // RFC 6750 3.1: no error code when the request carried no credentials.
        return Err(unauthorized(
            None,
            "an Authorization: Bearer token is required",
        ));
    };
    if values.next().is_some() {
        return Err(unauthorized(
            Some("invalid_token"),
            "more than one Authorization header",
        ));
    }
    let text = value.to_str().unwrap_or_default();
    let (scheme, rest) = text.split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        // RFC 6750 3.1: another authentication scheme gets a challenge without an error code.
        return Err(unauthorized(
            None,
            "an Authorization: Bearer token is required",
        ));
    }
    let token = Some(rest.trim())
        .filter(|t| is_token68(t))
        .ok_or_else(|| unauthorized(Some("invalid_token"), "malformed Bearer credentials"))?;
    let env = Environment::of_request(&parts.extensions);
    let access = Some(token)
        .filter(|t| access::same_environment_with(t, env, &state.faults))
        .and_then(|t| access::live_access_with(&state.tokens, t, &state.faults))
        .ok_or_else(|| {
            unauthorized(
                Some("invalid_token"),
                "the access token is unknown, expired or revoked",
            )
        })?;
    let subscribed = access::subscribed_with(
        &state.registry,
        &state.portal,
        &access.client_id,
        api,
        &state.faults,
    );
    if !subscribed {
        // Seed 000's text, with the challenge RFC 6750 3 requires of a token that does not
        // enable access. Fault `PlanRefusalWithoutChallenge`: a bare 403.
        if state.faults.on(Fault::PlanRefusalWithoutChallenge) {
            return Err(FhirError::forbidden(crate::gateway::NOT_REGISTERED));
        }
        return Err(insufficient(realm, crate::gateway::NOT_REGISTERED));
    }
    Ok(access)
}

/// 403 with an `insufficient_scope` challenge (RFC 6750 3.1).
fn insufficient(realm: &str, text: &str) -> FhirError {
    FhirError::insufficient_scope(Some(realm), text)
}

/// RFC 6750 2.1 `b64token` syntax.
fn is_token68(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 4096
        && t.trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn token68_syntax() {
        assert!(super::is_token68("abc-_.~+/=="));
        assert!(!super::is_token68("a b"));
        assert!(!super::is_token68(""));
        assert!(!super::is_token68("a\"b"));
    }
}
