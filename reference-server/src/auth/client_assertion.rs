//! `private_key_jwt` client authentication (RFC 7523 2.2 and 3; SMART App Launch 2
//! "Confidential asymmetric client"): the client signs a short-lived JWT with a key whose
//! public half it registered as a JWKS, and sends it as `client_assertion`.
//!
//! Rules, each from SMART's list of what the server SHALL check: `client_assertion_type` is
//! `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`; the header's `alg` is RS384 or
//! ES384 (the algorithms SMART names) and the key is the registered one with the header's
//! `kid` (choice: without a `kid` every registered key of that algorithm is tried, RFC 7515
//! makes `kid` optional); `iss` and `sub` are the client_id; `aud` is the token endpoint URL;
//! `exp` is present, not past and at most five minutes ahead; a `jti` is not seen twice for
//! the same client while its assertion could still be valid. Every failure is `invalid_client`.

use aws_lc_rs::signature::{
    ECDSA_P384_SHA384_FIXED, RSA_PKCS1_2048_8192_SHA384, RsaPublicKeyComponents, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::error::OAuthError;
use crate::faults::Fault;
use crate::params::Params;
use crate::registry::Client;
use crate::state::AppState;

/// RFC 7523 2.2.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// SMART: `exp` "SHALL be no more than five minutes in the future".
const MAX_LIFETIME_SECS: u64 = 300;
/// Clock skew allowed on `exp` (a second or two between hosts is normal).
const LEEWAY_SECS: u64 = 5;

/// Whether the request authenticates with a client assertion.
pub fn is_assertion(params: &Params) -> bool {
    params.contains("client_assertion") || params.contains("client_assertion_type")
}

/// The client the assertion authenticates, or `invalid_client` saying why.
pub fn authenticate<'s>(state: &'s AppState, params: &Params) -> Result<&'s Client, OAuthError> {
    let refused = OAuthError::invalid_client;
    match params.single("client_assertion_type")? {
        Some(ASSERTION_TYPE) => {}
        Some(_) => return Err(refused("client_assertion_type is not jwt-bearer")),
        None => return Err(refused("client_assertion_type is required")),
    }
    let jwt = params
        .single("client_assertion")?
        .ok_or_else(|| refused("client_assertion is required"))?;
    let token = Jwt::parse(jwt).ok_or_else(|| refused("client_assertion is not a JWT"))?;
    let claim = |name: &str| token.claims.get(name).and_then(Value::as_str);
    let iss = claim("iss").ok_or_else(|| refused("the assertion has no iss"))?;
    let client = state
        .registry
        .client(iss)
        .filter(|c| state.registry.client_jwks(&c.id).is_some())
        .ok_or_else(|| refused("iss names no client registered for private_key_jwt"))?;
    if claim("sub") != Some(iss) {
        return Err(refused("the assertion's sub is not its iss"));
    }
    if let Some(body_id) = params.single("client_id")?
        && body_id != iss
    {
        return Err(OAuthError::invalid_request(
            "client_id does not match the assertion's iss",
        ));
    }
    let faults = &state.faults;
    if !faults.on(Fault::ClientAssertionSignatureUnchecked) {
        let jwks = state
            .registry
            .client_jwks(&client.id)
            .unwrap_or(&Value::Null);
        token.verify(jwks)?;
    }
    if !faults.on(Fault::ClientAssertionAudienceUnchecked)
        && !audience_is(&token, &state.urls.token)
    {
        return Err(refused("the assertion's aud is not the token endpoint"));
    }
    // Fault `AssertionAudArrayRefused`: only the string form of `aud` is taken.
    if faults.on(Fault::AssertionAudArrayRefused)
        && token.claims.get("aud").is_some_and(Value::is_array)
    {
        return Err(refused("the assertion's aud must be a string"));
    }
    let now = unix_now();
    let exp = token
        .claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or_else(|| refused("the assertion has no numeric exp"))?;
    if !faults.on(Fault::ClientAssertionExpiryUnchecked) {
        if exp + LEEWAY_SECS < now {
            return Err(refused("the assertion has expired"));
        }
        if exp > now + MAX_LIFETIME_SECS + LEEWAY_SECS {
            return Err(refused(
                "the assertion's exp is more than five minutes ahead",
            ));
        }
        // RFC 7523 3 item 5: not accepted before its nbf (a non-numeric nbf is not valid).
        match token.claims.get("nbf") {
            None => {}
            Some(nbf) if nbf.as_u64().is_some_and(|nbf| nbf <= now + LEEWAY_SECS) => {}
            Some(_) => return Err(refused("the assertion is not valid yet (nbf)")),
        }
    }
    let jti = claim("jti").ok_or_else(|| refused("the assertion has no jti"))?;
    if !faults.on(Fault::ClientAssertionReplayAccepted)
        && !state
            .tokens
            .first_assertion(&client.id, jti, exp.max(now), now)
    {
        return Err(refused("this assertion's jti was already used"));
    }
    Ok(client)
}

/// `aud` is the token URL, as a string or among an array's strings (RFC 7519 4.1.3).
fn audience_is(token: &Jwt, url: &str) -> bool {
    match token.claims.get("aud") {
        Some(Value::String(a)) => a == url,
        Some(Value::Array(all)) => all.iter().any(|a| a.as_str() == Some(url)),
        _ => false,
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A compact JWS, split and decoded (not yet verified).
struct Jwt<'a> {
    signing_input: &'a str,
    header: Value,
    claims: serde_json::Map<String, Value>,
    signature: Vec<u8>,
}

impl<'a> Jwt<'a> {
    fn parse(jwt: &'a str) -> Option<Jwt<'a>> {
        let (signing_input, signature) = jwt.rsplit_once('.')?;
        let (header, claims) = signing_input.split_once('.')?;
        let json = |part: &str| -> Option<Value> {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
        };
        let Value::Object(claims) = json(claims)? else {
            return None;
        };
        Some(Jwt {
            signing_input,
            header: json(header)?,
            claims,
            signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
        })
    }

    /// Verifies the signature with a registered key of the header's `alg` (and `kid`).
    fn verify(&self, jwks: &Value) -> Result<(), OAuthError> {
        let refused = OAuthError::invalid_client;
        let alg = self.header.get("alg").and_then(Value::as_str);
        let kty = match alg {
            Some("RS384") => "RSA",
            Some("ES384") => "EC",
            _ => return Err(refused("the assertion's alg is not RS384 or ES384")),
        };
        let kid = self.header.get("kid").and_then(Value::as_str);
        let keys = jwks.get("keys").and_then(Value::as_array);
        let candidates: Vec<&Value> = keys
            .into_iter()
            .flatten()
            .filter(|k| k.get("kty").and_then(Value::as_str) == Some(kty))
            .filter(|k| kid.is_none() || k.get("kid").and_then(Value::as_str) == kid)
            .collect();
        if candidates.is_empty() {
            return Err(refused(
                "no registered key matches the assertion's kid and alg",
            ));
        }
        let message = self.signing_input.as_bytes();
        if candidates
            .iter()
            .any(|k| verify_with(k, message, &self.signature))
        {
            Ok(())
        } else {
            Err(refused("the assertion's signature does not verify"))
        }
    }
}

/// One JWK (RSA or P-384 EC) verifies the signature.
fn verify_with(jwk: &Value, message: &[u8], signature: &[u8]) -> bool {
    let field = |name: &str| {
        jwk.get(name)
            .and_then(Value::as_str)
            .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
    };
    match jwk.get("kty").and_then(Value::as_str) {
        Some("RSA") => {
            let (Some(n), Some(e)) = (field("n"), field("e")) else {
                return false;
            };
            RsaPublicKeyComponents { n: &n, e: &e }
                .verify(&RSA_PKCS1_2048_8192_SHA384, message, signature)
                .is_ok()
        }
        Some("EC") if jwk.get("crv").and_then(Value::as_str) == Some("P-384") => {
            let (Some(x), Some(y)) = (field("x"), field("y")) else {
                return false;
            };
            let mut point = vec![0x04];
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            UnparsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, point)
                .verify(message, signature)
                .is_ok()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Hostile assertions never panic: parsing and verifying either refuse or decide.
        #[test]
        fn any_text_is_refused_or_judged(
            header in "[A-Za-z0-9_-]{0,40}", claims in "[A-Za-z0-9_-]{0,60}",
            sig in "[A-Za-z0-9_.-]{0,80}", raw in ".{0,120}",
        ) {
            let jwks: Value = serde_json::from_str(crate::registry::DEMO_CLIENT_JWKS).unwrap();
            for text in [format!("{header}.{claims}.{sig}"), raw] {
                if let Some(jwt) = Jwt::parse(&text) {
                    prop_assert!(jwt.verify(&jwks).is_err());
                }
            }
        }
    }

    #[test]
    fn parse_refuses_what_is_not_a_compact_jws() {
        assert!(Jwt::parse("abc").is_none());
        assert!(Jwt::parse("a.b").is_none());
        assert!(Jwt::parse("!!.!!.!!").is_none());
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS384"}"#);
        let array = URL_SAFE_NO_PAD.encode(b"[1]");
        assert!(Jwt::parse(&format!("{header}.{array}.c2ln")).is_none());
        let claims = URL_SAFE_NO_PAD.encode(br#"{"iss":"a"}"#);
        let jwt = format!("{header}.{claims}.c2ln");
        let parsed = Jwt::parse(&jwt).expect("a JWS");
        assert_eq!(parsed.signature, b"sig");
        assert_eq!(parsed.signing_input, format!("{header}.{claims}"));
    }

    #[test]
    fn verify_refuses_other_algorithms_and_unknown_keys() {
        let jwks: Value = serde_json::from_str(crate::registry::DEMO_CLIENT_JWKS).unwrap();
        for header in [
            r#"{"alg":"RS256"}"#,
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS384"}"#,
        ] {
            let h = URL_SAFE_NO_PAD.encode(header);
            let jwt = format!("{h}.e30.c2ln");
            let e = Jwt::parse(&jwt).unwrap().verify(&jwks).unwrap_err();
            assert!(e.description.contains("RS384 or ES384"), "{header}");
        }
        let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"ES384","kid":"nope"}"#);
        let jwt = format!("{h}.e30.c2ln");
        let e = Jwt::parse(&jwt).unwrap().verify(&jwks).unwrap_err();
        assert!(e.description.contains("no registered key"));
        let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"ES384"}"#);
        let jwt = format!("{h}.e30.c2ln");
        let e = Jwt::parse(&jwt).unwrap().verify(&jwks).unwrap_err();
        assert!(e.description.contains("does not verify"));
    }
}
