//! The id_token inspection: decodes an OpenID Connect id_token, finds its `kid` in the
//! server's JWKS, verifies the RS256 signature, and summarises what it found as JSON so the
//! ordinary checks can judge it (`alg`, `kid_in_jwks`, `signature_valid`, the decoded `header`
//! and `claims`...).
//! Nothing here fails: a token that cannot be decoded gives `decodes: false`, and the checks
//! fail on that.

use std::collections::HashSet;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Value, json};

/// Clock skew allowed when judging `exp` and `iat`, in seconds.
const SKEW: u64 = 60;

/// The summary of `token` checked against `jwks` (the JWKS document) at time `now`.
pub fn inspect(token: &str, jwks: &Value, now: u64) -> Value {
    let Ok(header) = decode_header(token) else {
        return json!({ "decodes": false });
    };
    let keys: Option<JwkSet> = serde_json::from_value(jwks.clone()).ok();
    let jwk = header
        .kid
        .as_deref()
        .and_then(|kid| keys.as_ref().and_then(|k| k.find(kid)));
    let verified = jwk
        .and_then(|jwk| DecodingKey::from_jwk(jwk).ok())
        .and_then(|key| {
            let mut v = Validation::new(Algorithm::RS256);
            v.validate_exp = false;
            v.validate_aud = false;
            v.required_spec_claims = HashSet::new();
            decode::<Value>(token, &key, &v).ok()
        });
    // Claims are read even when the signature fails, to say what the token claimed.
    let claims = verified
        .as_ref()
        .map(|t| t.claims.clone())
        .or_else(|| unverified_claims(token))
        .unwrap_or(Value::Null);
    let number = |name: &str| claims.get(name).and_then(Value::as_u64);
    json!({
        "decodes": claims.is_object(),
        "alg": format!("{:?}", header.alg),
        "has_kid": header.kid.is_some(),
        "kid_in_jwks": jwk.is_some(),
        "signature_valid": verified.is_some(),
        "exp_in_future": number("exp").is_some_and(|exp| exp + SKEW > now),
        "iat_not_in_future": number("iat").is_some_and(|iat| iat <= now + SKEW),
        "header": unverified_part(token, 0).unwrap_or(Value::Null),
        "claims": claims,
    })
}

/// The payload of a JWT without checking anything.
fn unverified_claims(token: &str) -> Option<Value> {
    unverified_part(token, 1)
}

/// Part `index` of a JWT (0: the header, 1: the payload), decoded, without checking anything.
fn unverified_part(token: &str, index: usize) -> Option<Value> {
    use base64::Engine;
    let payload = token.split('.').nth(index)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_does_not_decode() {
        let s = inspect("not.a.jwt", &json!({"keys": []}), 0);
        assert_eq!(s["decodes"], false);
        assert!(s.get("signature_valid").is_none());
    }

    #[test]
    fn an_unsigned_token_is_read_but_not_valid() {
        use base64::Engine;
        let enc = |v: Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
        };
        let token = format!(
            "{}.{}.",
            enc(json!({"alg": "RS256", "kid": "k1"})),
            enc(json!({"iss": "https://i", "aud": "c", "exp": 100, "iat": 50}))
        );
        let s = inspect(&token, &json!({"keys": []}), 60);
        assert_eq!(s["decodes"], true);
        assert_eq!(s["alg"], "RS256");
        assert_eq!(s["kid_in_jwks"], false);
        assert_eq!(s["signature_valid"], false);
        assert_eq!(s["claims"]["iss"], "https://i");
        assert_eq!(s["header"]["kid"], "k1");
        assert_eq!(s["exp_in_future"], true);
        let later = inspect(&token, &json!({"keys": []}), 1000);
        assert_eq!(later["exp_in_future"], false);
    }
}
