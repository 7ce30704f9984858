//! The id_token of the code exchange (OpenID Connect Core 2 and 3.1.3.7; SMART App Launch
//! `fhirUser`): its claims, its audience and its signing key. The audience and the key are
//! each a pure rule beside the variant, bent by its fault, that [`issue`] uses.

use serde_json::json;

use super::error::OAuthError;
use crate::error::KeyError;
use crate::faults::{Fault, FaultSwitches};
use crate::keys::SigningKey;
use crate::registry::Client;
use crate::state::AppState;
use crate::tokens::AuthorizationCode;
use crate::urls::Urls;

/// The base of the `fhirUser` URL: the Patient Access base. Fault `IdTokenFhirUserWrongBase`:
/// the server's root, where no Patient is served (a proxy's internal URL leaking out).
fn fhir_user_base(state: &AppState) -> &str {
    if state.faults.on(Fault::IdTokenFhirUserWrongBase) {
        &state.urls.root
    } else {
        &state.urls.patient_access
    }
}

/// The signed id_token for the member of `code`, issued to `client` at `now`.
pub fn issue(
    state: &AppState,
    client: &Client,
    code: &AuthorizationCode,
    now: u64,
) -> Result<String, OAuthError> {
    let mut claims = json!({
        "iss": state.urls.issuer,
        "sub": code.patient_id,
        "aud": audience_with(client, &state.urls, &state.faults),
        "exp": now.saturating_add(state.config.access_token_ttl),
        "iat": now,
        "fhirUser": format!("{}/Patient/{}", fhir_user_base(state), code.patient_id),
    });
    // OIDC Core 2: the login's nonce, passed through unmodified. Fault `IdTokenNonceDropped`.
    if let Some(n) = code
        .nonce
        .as_ref()
        .filter(|_| !state.faults.on(Fault::IdTokenNonceDropped))
    {
        claims["nonce"] = json!(n);
    }
    let unable = |_| OAuthError::invalid_request("temporarily unable to sign the id_token");
    signing_key_with(&state.key, &state.faults)
        .map_err(unable)?
        .sign_jwt(&claims)
        .map_err(unable)
}

/// OIDC Core 2: the id_token's `aud` is the client it was issued to.
pub fn audience(client: &Client) -> String {
    client.id.clone()
}

/// [`audience`] as issued. Fault `IdTokenWrongAudience`: the audience is the API the access
/// token is for (the Patient Access base), not the client the id_token is for.
pub fn audience_with(client: &Client, urls: &Urls, faults: &FaultSwitches) -> String {
    if faults.on(Fault::IdTokenWrongAudience) {
        return urls.patient_access.clone();
    }
    audience(client)
}

/// OIDC Core 10.1: the id_token is signed with a key the JWKS publishes: the server's own.
pub fn signing_key(key: &SigningKey) -> &SigningKey {
    key
}

/// [`signing_key`] as used. Fault `IdTokenForeignKey`: signed with a rotated-in key that the
/// JWKS does not publish yet.
pub fn signing_key_with<'k>(
    key: &'k SigningKey,
    faults: &FaultSwitches,
) -> Result<&'k SigningKey, KeyError> {
    if faults.on(Fault::IdTokenForeignKey) {
        return key.unpublished();
    }
    Ok(signing_key(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audience_is_the_client_unless_the_fault_names_the_api() {
        let client = Client {
            id: "my-app".into(),
            name: "My app".into(),
            secret: "s".into(),
            jwks: None,
            plan: None,
            grant_types: vec![],
            redirect_uris: vec![],
        };
        let urls = Urls::new("http://h");
        assert_eq!(audience(&client), "my-app");
        assert_eq!(
            audience_with(&client, &urls, &FaultSwitches::default()),
            "my-app"
        );
        let faults = FaultSwitches::with(&[Fault::IdTokenWrongAudience]);
        assert_eq!(audience_with(&client, &urls, &faults), urls.patient_access);
    }

    #[test]
    fn the_key_is_the_published_one_unless_the_fault_signs_with_another() {
        let key = SigningKey::generate().unwrap();
        let published = signing_key_with(&key, &FaultSwitches::default()).unwrap();
        assert_eq!(published.kid(), key.kid());
        let faults = FaultSwitches::with(&[Fault::IdTokenForeignKey]);
        let foreign = signing_key_with(&key, &faults).unwrap();
        assert_ne!(foreign.kid(), key.kid());
        let listed = key.jwks().to_string();
        assert!(!listed.contains(foreign.kid()), "{listed}");
    }
}
