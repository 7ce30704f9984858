//! The id_token inspection: decodes an OpenID Connect id_token, finds its `kid` in the
//! server's JWKS, verifies the RS256 signature, and summarises what it found as JSON so the
//! ordinary checks can judge it (`alg`, `kid_in_jwks`, `jwks_keys`, `signature_valid`, the
//! decoded `header` and `claims`...). The key is the JWKS's by `kid`, or its only key when the
//! token has no `kid` (OIDC Core 10.1 requires a `kid` only when the JWKS has several).
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
    let key_count = keys.as_ref().map_or(0, |k| k.keys.len());
    let jwk = header
        .kid
        .as_deref()
        .and_then(|kid| keys.as_ref().and_then(|k| k.find(kid)));
    // OIDC Core 10.1: a `kid` is required only when the JWKS holds more than one key; without
    // one, the JWKS's only key is the one to verify with.
    let candidates: Vec<_> = match (&header.kid, &keys) {
        (Some(_), _) => jwk.into_iter().collect(),
        (None, Some(k)) if k.keys.len() == 1 => k.keys.iter().collect(),
        (None, _) => Vec::new(),
    };
    let verified = candidates.into_iter().find_map(|jwk| {
        let key = DecodingKey::from_jwk(jwk).ok()?;
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
    // OIDC Core 2: `aud` is an array of audiences, or a single string in the common case of
    // one; the checks see the list either way.
    let audiences = match claims.get("aud") {
        Some(Value::String(one)) => json!([one]),
        Some(Value::Array(list)) => Value::Array(list.clone()),
        _ => Value::Null,
    };
    json!({
        "audiences": audiences,
        "decodes": claims.is_object(),
        "alg": format!("{:?}", header.alg),
        "has_kid": header.kid.is_some(),
        "kid_in_jwks": jwk.is_some(),
        "jwks_keys": key_count,
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
        assert_eq!(s["audiences"], json!(["c"]));
        let later = inspect(&token, &json!({"keys": []}), 1000);
        assert_eq!(later["exp_in_future"], false);
    }

    /// A token signed by a fresh key, with or without `kid`, and that key's JWKS.
    fn signed(with_kid: bool) -> (String, Value) {
        let key = reference_server::keys::SigningKey::generate().unwrap();
        let pem = key.to_pkcs8_pem().unwrap();
        let encoding = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
        let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
        header.kid = with_kid.then(|| key.kid().to_string());
        let claims = json!({"iss": "https://i", "aud": "c", "exp": 100, "iat": 50});
        let token = jsonwebtoken::encode(&header, &claims, &encoding).unwrap();
        (token, key.jwks().clone())
    }

    #[test]
    fn without_a_kid_the_only_key_verifies_and_several_keys_need_one() {
        let (token, jwks) = signed(false);
        let one = inspect(&token, &jwks, 60);
        assert_eq!(one["has_kid"], false);
        assert_eq!(one["jwks_keys"], 1);
        assert_eq!(
            one["signature_valid"], true,
            "OIDC Core 10.1: one key, no kid needed"
        );
        let (_, other) = signed(true);
        let mut two = jwks.clone();
        two["keys"]
            .as_array_mut()
            .unwrap()
            .push(other["keys"][0].clone());
        let several = inspect(&token, &two, 60);
        assert_eq!(several["jwks_keys"], 2);
        assert_eq!(
            several["signature_valid"], false,
            "several keys: which one is unsaid"
        );
        let (with_kid, its_jwks) = signed(true);
        let mut both = its_jwks.clone();
        both["keys"]
            .as_array_mut()
            .unwrap()
            .push(jwks["keys"][0].clone());
        let found = inspect(&with_kid, &both, 60);
        assert_eq!(
            (
                found["kid_in_jwks"].clone(),
                found["signature_valid"].clone()
            ),
            (json!(true), json!(true))
        );
    }
}
