//! The gateway's access decisions (seed 002 "Security requirements by API", seed 000's plans
//! and environments; RFC 6750): which access token is live, in which environment, for which
//! plan, with which claims, and the 401 that refuses one. Each is a pure rule beside the
//! variant the gateway calls, bent by the fault that breaks the rule.

use axum::http::StatusCode;

use crate::environment::Environment;
use crate::faults::{Fault, FaultSwitches};
use crate::outcome::FhirError;
use crate::portal::store::{PortalStore, plan_api};
use crate::registry::{Api, Registry};
use crate::tokens::{AccessToken, TokenStore, now};

/// RFC 6750 3: a 401 carries a `Bearer` challenge naming the realm, with the error code and
/// its text when the request's credentials were wrong (none when it carried none, 3.1).
pub fn unauthorized(realm: &str, error: Option<&str>, text: &str) -> FhirError {
    FhirError::new(StatusCode::UNAUTHORIZED, "login", text)
        .with_challenge(challenge(realm, error, text))
}

/// The `WWW-Authenticate` value of [`unauthorized`].
fn challenge(realm: &str, error: Option<&str>, text: &str) -> String {
    match error {
        Some(e) => format!("Bearer realm=\"{realm}\", error=\"{e}\", error_description=\"{text}\""),
        None => format!("Bearer realm=\"{realm}\""),
    }
}

/// [`unauthorized`] as the gateway answers it. Fault `MissingWwwAuthenticate`: the 401 goes
/// out without its RFC 6750 challenge. Fault `ChallengeRealmRepeated`: its challenge names a
/// second realm (RFC 6750 3: at most once).
pub fn unauthorized_with(
    realm: &str,
    error: Option<&str>,
    text: &str,
    faults: &FaultSwitches,
) -> FhirError {
    if faults.on(Fault::MissingWwwAuthenticate) {
        return FhirError::new(StatusCode::UNAUTHORIZED, "login", text);
    }
    if faults.on(Fault::ChallengeRealmRepeated) {
        let challenge = format!("{}, realm=\"gateway\"", challenge(realm, error, text));
        return FhirError::new(StatusCode::UNAUTHORIZED, "login", text).with_challenge(challenge);
    }
    unauthorized(realm, error, text)
}

/// Seed 002 "Sandbox vs production access": a token works only in the environment (sandbox
/// or production) that issued it.
pub fn same_environment(token: &str, request: Environment) -> bool {
    Environment::of_token(token) == request
}

/// [`same_environment`] as the gateway applies it. Fault `PortalTokenAnyEnvironment`: a token
/// of either environment works on both.
pub fn same_environment_with(token: &str, request: Environment, faults: &FaultSwitches) -> bool {
    faults.on(Fault::PortalTokenAnyEnvironment) || same_environment(token, request)
}

/// The token store's live access token: known, unexpired, and its grant (if any) active.
pub fn live_access(tokens: &TokenStore, token: &str) -> Option<AccessToken> {
    tokens.live_access(token)
}

/// [`live_access`] as the gateway applies it. Fault `ExpiredTokenAccepted`: `expires_at` is
/// never compared with the clock. Fault `RevokedTokenAccepted`: the token's grant is not
/// looked up, so a grant the member (or a refresh token revocation) ended still lets its
/// access tokens in.
pub fn live_access_with(
    tokens: &TokenStore,
    token: &str,
    faults: &FaultSwitches,
) -> Option<AccessToken> {
    let skip_expiry = faults.on(Fault::ExpiredTokenAccepted);
    let skip_grant = faults.on(Fault::RevokedTokenAccepted);
    if !skip_expiry && !skip_grant {
        return live_access(tokens, token);
    }
    let access = tokens.access.get(token)?.clone();
    if !skip_expiry && access.expires_at <= now() {
        return None;
    }
    if !skip_grant && access.grant_id.is_some_and(|g| !tokens.grant_active(g)) {
        return None;
    }
    Some(access)
}

/// Seed 000 FAQ ("Not registered to plan"): the token's client, a fixture client or a portal
/// app, is subscribed to the plan of `api`.
pub fn subscribed(registry: &Registry, portal: &PortalStore, client_id: &str, api: Api) -> bool {
    registry
        .client(client_id)
        .and_then(|c| registry.plan_of(c))
        .is_some_and(|p| p.api == api)
        || portal
            .plan_of_client(client_id)
            .and_then(|p| plan_api(registry, &p))
            == Some(api)
}

/// [`subscribed`] as the gateway applies it. Fault `PlanNotChecked`: the client's plan
/// subscription is not looked at (the claim rules still run).
pub fn subscribed_with(
    registry: &Registry,
    portal: &PortalStore,
    client_id: &str,
    api: Api,
    faults: &FaultSwitches,
) -> bool {
    faults.on(Fault::PlanNotChecked) || subscribed(registry, portal, client_id, api)
}

/// Seed 002: "Patient Access plans require patient-level scopes and a patient claim": the
/// patient a token reads, when it carries `patient/*.rs`, `launch/patient` and a patient.
pub fn patient_of(token: &AccessToken) -> Option<String> {
    let has_scopes = ["patient/*.rs", "launch/patient"]
        .iter()
        .all(|s| token.scope.iter().any(|t| t == s));
    token.patient_id.clone().filter(|_| has_scopes)
}

/// [`patient_of`] as the gateway applies it. Fault `PatientAccessWithoutPatientClaim`: only
/// the resource scope is looked at; neither `launch/patient` (the grant of the patient
/// context) nor the patient claim is required, and a token without one reads an empty
/// compartment (patient "").
pub fn patient_of_with(token: &AccessToken, faults: &FaultSwitches) -> Option<String> {
    if faults.on(Fault::PatientAccessWithoutPatientClaim)
        && token.scope.iter().any(|t| t == "patient/*.rs")
    {
        return Some(token.patient_id.clone().unwrap_or_default());
    }
    patient_of(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(
        scope: &str,
        patient: Option<&str>,
        expires_at: u64,
        grant: Option<u64>,
    ) -> AccessToken {
        AccessToken {
            client_id: "app".into(),
            scope: scope.split(' ').map(str::to_string).collect(),
            patient_id: patient.map(str::to_string),
            grant_id: grant,
            issued_at: 0,
            expires_at,
        }
    }

    #[test]
    fn a_401_has_its_challenge_unless_the_fault_drops_it() {
        let clean = FaultSwitches::default();
        let bare = unauthorized_with("http://h/fhir", None, "no token", &clean);
        assert_eq!(bare.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            bare.challenge.as_deref(),
            Some("Bearer realm=\"http://h/fhir\"")
        );
        let wrong = unauthorized("http://h/fhir", Some("invalid_token"), "expired");
        assert_eq!(
            wrong.challenge.as_deref(),
            Some(
                "Bearer realm=\"http://h/fhir\", error=\"invalid_token\", error_description=\"expired\""
            )
        );
        let faults = FaultSwitches::with(&[Fault::MissingWwwAuthenticate]);
        let bent = unauthorized_with("http://h/fhir", Some("invalid_token"), "expired", &faults);
        assert_eq!(
            (bent.status, bent.challenge),
            (StatusCode::UNAUTHORIZED, None)
        );
    }

    #[test]
    fn a_token_works_in_its_own_environment_unless_the_fault_is_on() {
        let clean = FaultSwitches::default();
        let lax = FaultSwitches::with(&[Fault::PortalTokenAnyEnvironment]);
        let sandbox = Environment::Sandbox.new_token();
        let production = Environment::Production.new_token();
        // (token, request environment, accepted by a clean server)
        for (t, env, ok) in [
            (&sandbox, Environment::Sandbox, true),
            (&sandbox, Environment::Production, false),
            (&production, Environment::Production, true),
            (&production, Environment::Sandbox, false),
        ] {
            assert_eq!(same_environment(t, env), ok, "{env:?}");
            assert_eq!(same_environment_with(t, env, &clean), ok, "{env:?}");
            assert!(same_environment_with(t, env, &lax), "{env:?}");
        }
    }

    #[test]
    fn expired_and_revoked_tokens_are_dead_unless_their_fault_is_on() {
        let tokens = TokenStore::default();
        let live_grant = tokens.new_grant("app", "p1");
        let ended = tokens.new_grant("app", "p1");
        tokens.revoke_grant(ended);
        let later = now() + 3600;
        for (name, t) in [
            (
                "live",
                token("patient/*.rs", Some("p1"), later, Some(live_grant)),
            ),
            ("system", token("system/*.rs", None, later, None)),
            (
                "expired",
                token("patient/*.rs", Some("p1"), 1, Some(live_grant)),
            ),
            (
                "revoked",
                token("patient/*.rs", Some("p1"), later, Some(ended)),
            ),
            ("both", token("patient/*.rs", Some("p1"), 1, Some(ended))),
        ] {
            tokens.access.insert(name.to_string(), t);
        }
        let alive = |faults: &FaultSwitches| -> Vec<&str> {
            ["live", "system", "expired", "revoked", "both", "unknown"]
                .into_iter()
                .filter(|t| live_access_with(&tokens, t, faults).is_some())
                .collect()
        };
        let clean = FaultSwitches::default();
        assert_eq!(alive(&clean), ["live", "system"]);
        for t in ["live", "system", "expired", "revoked", "both", "unknown"] {
            assert_eq!(
                live_access(&tokens, t).is_some(),
                live_access_with(&tokens, t, &clean).is_some()
            );
        }
        let expired = FaultSwitches::with(&[Fault::ExpiredTokenAccepted]);
        assert_eq!(alive(&expired), ["live", "system", "expired"]);
        let revoked = FaultSwitches::with(&[Fault::RevokedTokenAccepted]);
        assert_eq!(alive(&revoked), ["live", "system", "revoked"]);
        let both = FaultSwitches::with(&[Fault::ExpiredTokenAccepted, Fault::RevokedTokenAccepted]);
        assert_eq!(
            alive(&both),
            ["live", "system", "expired", "revoked", "both"]
        );
    }

    #[test]
    fn a_client_reaches_only_its_plans_api_unless_the_fault_is_on() {
        use crate::portal::store::Lenience;
        let registry = Registry::load(1, 0).unwrap();
        let portal = PortalStore::default();
        let fixture = |api: Api| {
            registry
                .clients()
                .iter()
                .find(|c| registry.plan_of(c).is_some_and(|p| p.api == api))
                .map(|c| c.id.clone())
                .unwrap()
        };
        let patient_app = fixture(Api::PatientAccess);
        let directory_app = fixture(Api::ProviderDirectory);
        let portal_app = portal.create("a".into(), vec![], Lenience::default());
        portal
            .subscribe(&registry, &portal_app.app_id, "provider-directory")
            .unwrap();
        let unsubscribed = portal.create("b".into(), vec![], Lenience::default());
        let clean = FaultSwitches::default();
        let lax = FaultSwitches::with(&[Fault::PlanNotChecked]);
        // (client, api, subscribed)
        for (client, api, ok) in [
            (patient_app.as_str(), Api::PatientAccess, true),
            (patient_app.as_str(), Api::ProviderDirectory, false),
            (directory_app.as_str(), Api::ProviderDirectory, true),
            (directory_app.as_str(), Api::PatientAccess, false),
            (portal_app.client_id.as_str(), Api::ProviderDirectory, true),
            (portal_app.client_id.as_str(), Api::PatientAccess, false),
            (
                unsubscribed.client_id.as_str(),
                Api::ProviderDirectory,
                false,
            ),
            ("nobody", Api::PatientAccess, false),
        ] {
            assert_eq!(
                subscribed(&registry, &portal, client, api),
                ok,
                "{client} {api:?}"
            );
            assert_eq!(subscribed_with(&registry, &portal, client, api, &clean), ok);
            assert!(subscribed_with(&registry, &portal, client, api, &lax));
        }
    }

    #[test]
    fn patient_access_needs_both_scopes_and_the_claim_unless_the_fault_is_on() {
        let clean = FaultSwitches::default();
        let lax = FaultSwitches::with(&[Fault::PatientAccessWithoutPatientClaim]);
        let full = "openid fhirUser launch/patient patient/*.rs";
        // (scope, patient claim, clean answer, faulty answer)
        for (scope, patient, strict, bent) in [
            (full, Some("p1"), Some("p1"), Some("p1")),
            (full, None, None, Some("")),
            ("patient/*.rs", Some("p1"), None, Some("p1")),
            ("patient/*.rs", None, None, Some("")),
            ("launch/patient system/*.rs", Some("p1"), None, None),
            ("system/*.rs", None, None, None),
        ] {
            let t = token(scope, patient, u64::MAX, None);
            assert_eq!(patient_of(&t).as_deref(), strict, "{scope} {patient:?}");
            assert_eq!(patient_of_with(&t, &clean).as_deref(), strict, "{scope}");
            assert_eq!(
                patient_of_with(&t, &lax).as_deref(),
                bent,
                "{scope} {patient:?}"
            );
        }
    }
}
