//! The RS256 signing key: generated at start with aws-lc-rs or read from a PEM file;
//! signs id_tokens and publishes its public half as a JWKS.

use std::sync::OnceLock;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::error::KeyError;

/// An RSA key pair with its key id.
pub struct SigningKey {
    pair: KeyPair,
    kid: String,
    jwks: Value,
    /// A second key that no JWKS publishes, made on first use (fault `IdTokenForeignKey`).
    unpublished: OnceLock<Box<SigningKey>>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh 2048-bit key.
    pub fn generate() -> Result<SigningKey, KeyError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
        Ok(SigningKey::from_pair(pair))
    }

    /// A key from PEM text: PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`).
    pub fn from_pem(pem: &str) -> Result<SigningKey, KeyError> {
        let (label, der) = decode_pem(pem)?;
        let pair = match label.as_str() {
            "PRIVATE KEY" => KeyPair::from_pkcs8(&der),
            "RSA PRIVATE KEY" => KeyPair::from_der(&der),
            other => return Err(KeyError::UnsupportedPem(other.to_string())),
        }
        .map_err(|e| KeyError::Rejected(e.to_string()))?;
        Ok(SigningKey::from_pair(pair))
    }

    /// The private key as PKCS#8 PEM, for writing a generated key to disk.
    pub fn to_pkcs8_pem(&self) -> Result<String, KeyError> {
        let der = self.pair.as_der().map_err(|_| KeyError::Encode)?;
        let b64 = STANDARD.encode(der.as_ref());
        let mut out = String::from("-----BEGIN PRIVATE KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END PRIVATE KEY-----\n");
        Ok(out)
    }

    fn from_pair(pair: KeyPair) -> SigningKey {
        let public = pair.public_key();
        let n = URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero());
        let e = URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero());
        // RFC 7638 thumbprint as the key id: stable for a given key.
        let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
        let kid = URL_SAFE_NO_PAD.encode(digest.as_ref());
        let jwks = json!({ "keys": [{
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e
        }]});
        SigningKey {
            pair,
            kid,
            jwks,
            unpublished: OnceLock::new(),
        }
    }

    /// A key of its own that is not in this key's JWKS, generated on first call: what a
    /// server signs with when it rotated keys without publishing the new one.
    pub fn unpublished(&self) -> Result<&SigningKey, KeyError> {
        if let Some(k) = self.unpublished.get() {
            return Ok(k);
        }
        let fresh = SigningKey::generate()?;
        Ok(self.unpublished.get_or_init(|| Box::new(fresh)))
    }

    /// The key id placed in every JWT header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JSON Web Key Set served at `jwks_uri`.
    pub fn jwks(&self) -> &Value {
        &self.jwks
    }

    /// A compact RS256 JWS over `claims`, with `kid` in the header.
    pub fn sign_jwt(&self, claims: &Value) -> Result<String, KeyError> {
        let header = json!({ "alg": "RS256", "typ": "JWT", "kid": self.kid });
        let mut token = URL_SAFE_NO_PAD.encode(header.to_string());
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut sig = vec![0; self.pair.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.pair
            .sign(&RSA_PKCS1_SHA256, &rng, token.as_bytes(), &mut sig)
            .map_err(|_| KeyError::Sign)?;
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(sig));
        Ok(token)
    }
}

/// The label and DER bytes of the first PEM block.
fn decode_pem(pem: &str) -> Result<(String, Vec<u8>), KeyError> {
    let malformed = KeyError::MalformedPem;
    let begin = pem.find("-----BEGIN ").ok_or(malformed("no BEGIN line"))?;
    let rest = &pem[begin + 11..];
    let label_end = rest.find("-----").ok_or(malformed("a broken BEGIN line"))?;
    let label = rest[..label_end].to_string();
    let body = &rest[label_end + 5..];
    let end = body.find("-----END ").ok_or(malformed("no END line"))?;
    let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
    let der = STANDARD.decode(b64)?;
    Ok((label, der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip_keeps_the_key_id() {
        let key = SigningKey::generate().unwrap();
        let pem = key.to_pkcs8_pem().unwrap();
        let again = SigningKey::from_pem(&pem).unwrap();
        assert_eq!(key.kid(), again.kid());
        assert_eq!(key.jwks(), again.jwks());
        assert!(
            SigningKey::from_pem("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----")
                .is_err()
        );
        assert!(SigningKey::from_pem("garbage").is_err());
    }

    #[test]
    fn the_unpublished_key_is_another_key_made_once() {
        let key = SigningKey::generate().unwrap();
        let other = key.unpublished().unwrap();
        assert_ne!(other.kid(), key.kid());
        assert!(!key.jwks().to_string().contains(other.kid()));
        assert_eq!(key.unpublished().unwrap().kid(), other.kid());
    }

    #[test]
    fn jwt_has_three_parts_and_the_kid() {
        let key = SigningKey::generate().unwrap();
        let jwt = key.sign_jwt(&json!({"sub": "x"})).unwrap();
        let parts: Vec<_> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["kid"], key.kid());
        assert_eq!(header["alg"], "RS256");
    }
}
