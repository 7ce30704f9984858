//! The harness as a confidential asymmetric client (SMART App Launch 2, RFC 7523 2.2):
//! signs `private_key_jwt` client assertions with a key from a PEM file (RS384 for an RSA
//! key, ES384 for a P-384 key, the two algorithms SMART names).

use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::{
    ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_SHA384,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

/// RFC 7523 2.2.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Why a key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("not a PEM `PRIVATE KEY` (PKCS#8) block")]
    NotPkcs8,
    #[error("the key is neither RSA nor EC P-384 (RS384 or ES384)")]
    Unsupported,
    #[error("could not make a key")]
    Generate,
}

/// A signing key with the `kid` its public half is registered under.
#[derive(Clone)]
pub struct ClientKey {
    kid: String,
    signer: Arc<Signer>,
}

enum Signer {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

impl std::fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("ClientKey")
            .field("alg", &self.alg())
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// What a step may change in an assertion, to prove the server refuses it.
#[derive(Debug, Clone, Default)]
pub struct Claims {
    pub client_id: String,
    pub aud: String,
    /// `aud` as a one-element array instead of a string.
    pub aud_array: bool,
    /// Seconds from now to `exp` (SMART: at most 300).
    pub expires_in: i64,
    pub jti: String,
    /// `iss` and `sub` other than the client id (RFC 7523 3 items 1 and 2).
    pub iss: Option<String>,
    pub sub: Option<String>,
    /// Seconds from now to an `nbf` claim (none by default; RFC 7523 3 item 5).
    pub not_before_in: Option<i64>,
    /// Claims left out (`exp`, `sub`, ...: RFC 7523 3 says each is required).
    pub without: Vec<String>,
    /// Sent unsigned (`alg: none`, an empty signature: RFC 7523 3 item 9).
    pub unsigned: bool,
}

impl Claims {
    /// The payload: `iss` and `sub` the client, `aud` the token URL, `exp`, `iat` and `jti`,
    /// changed as the fields say.
    fn payload(&self, now: u64) -> Value {
        let exp = (now as i64).saturating_add(self.expires_in).max(0);
        let aud = if self.aud_array {
            json!([self.aud])
        } else {
            json!(self.aud)
        };
        let mut payload = json!({
            "iss": self.iss.as_deref().unwrap_or(&self.client_id),
            "sub": self.sub.as_deref().unwrap_or(&self.client_id),
            "aud": aud, "exp": exp, "iat": now, "jti": self.jti,
        });
        if let Some(nbf) = self.not_before_in {
            payload["nbf"] = json!((now as i64).saturating_add(nbf).max(0));
        }
        if let Value::Object(map) = &mut payload {
            for claim in &self.without {
                map.remove(claim);
            }
        }
        payload
    }
}

impl ClientKey {
    /// A key from PKCS#8 PEM text.
    pub fn from_pem(pem: &str, kid: &str) -> Result<ClientKey, KeyError> {
        let der = pkcs8_der(pem).ok_or(KeyError::NotPkcs8)?;
        let signer = if let Ok(pair) = RsaKeyPair::from_pkcs8(&der) {
            Signer::Rsa(pair)
        } else if let Ok(pair) = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &der) {
            Signer::Ec(pair)
        } else {
            return Err(KeyError::Unsupported);
        };
        Ok(ClientKey {
            kid: kid.to_string(),
            signer: Arc::new(signer),
        })
    }

    /// A fresh key of the same algorithm under the same `kid`, which no JWKS holds: its
    /// assertions must be refused.
    pub fn impostor(&self) -> Result<ClientKey, KeyError> {
        let signer = match &*self.signer {
            Signer::Rsa(_) => Signer::Rsa(
                RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                    .map_err(|_| KeyError::Generate)?,
            ),
            Signer::Ec(_) => Signer::Ec(
                EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING)
                    .map_err(|_| KeyError::Generate)?,
            ),
        };
        Ok(ClientKey {
            kid: self.kid.clone(),
            signer: Arc::new(signer),
        })
    }

    /// `RS384` or `ES384`.
    pub fn alg(&self) -> &'static str {
        match &*self.signer {
            Signer::Rsa(_) => "RS384",
            Signer::Ec(_) => "ES384",
        }
    }

    /// The public half as a JWK (what a client registers, or a JWKS the harness serves).
    pub fn public_jwk(&self) -> Value {
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        match &*self.signer {
            Signer::Rsa(pair) => {
                let public = pair.public_key();
                json!({
                    "kty": "RSA", "alg": "RS384", "use": "sig", "kid": self.kid,
                    "n": b64(public.modulus().big_endian_without_leading_zero()),
                    "e": b64(public.exponent().big_endian_without_leading_zero()),
                })
            }
            Signer::Ec(pair) => {
                // Uncompressed point: 0x04, then x and y of 48 bytes each.
                let point = pair.public_key().as_ref();
                json!({
                    "kty": "EC", "alg": "ES384", "use": "sig", "kid": self.kid, "crv": "P-384",
                    "x": b64(&point[1..49]), "y": b64(&point[49..]),
                })
            }
        }
    }

    /// A signed client assertion of `claims` (SMART's header `typ: JWT` and `kid`), or an
    /// unsigned one (`alg: none`) when `claims.unsigned`.
    pub fn sign(&self, claims: &Claims, now: u64) -> Result<String, KeyError> {
        let alg = if claims.unsigned { "none" } else { self.alg() };
        let header = json!({ "alg": alg, "typ": "JWT", "kid": self.kid });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.payload(now).to_string())
        );
        if claims.unsigned {
            return Ok(format!("{input}."));
        }
        let rng = SystemRandom::new();
        let signature = match &*self.signer {
            Signer::Rsa(pair) => {
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA384, &rng, input.as_bytes(), &mut out)
                    .map_err(|_| KeyError::Generate)?;
                out
            }
            Signer::Ec(pair) => pair
                .sign(&rng, input.as_bytes())
                .map_err(|_| KeyError::Generate)?
                .as_ref()
                .to_vec(),
        };
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// A fresh random `jti`.
pub fn random_jti() -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random source works");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The DER of a PEM `PRIVATE KEY` block.
fn pkcs8_der(pem: &str) -> Option<Vec<u8>> {
    let begin = "-----BEGIN PRIVATE KEY-----";
    let start = pem.find(begin)? + begin.len();
    let end = pem[start..].find("-----END PRIVATE KEY-----")? + start;
    let b64: String = pem[start..end].split_whitespace().collect();
    STANDARD.decode(b64).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RS: &str = include_str!("../../fixtures/client-keys/demo-asymmetric-rs384.pem");
    const ES: &str = include_str!("../../fixtures/client-keys/demo-asymmetric-es384.pem");
    const JWKS: &str = include_str!("../../fixtures/client-keys/demo-asymmetric.jwks.json");

    /// The registered demo JWKS is the public half of the demo keys.
    #[test]
    fn demo_jwks_matches_the_demo_keys() {
        let jwks: Value = serde_json::from_str(JWKS).unwrap();
        let rs = ClientKey::from_pem(RS, "demo-rs384").unwrap();
        let es = ClientKey::from_pem(ES, "demo-es384").unwrap();
        assert_eq!((rs.alg(), es.alg()), ("RS384", "ES384"));
        assert_eq!(jwks["keys"][0], rs.public_jwk());
        assert_eq!(jwks["keys"][1], es.public_jwk());
    }

    #[test]
    fn assertions_carry_the_smart_claims() {
        let key = ClientKey::from_pem(ES, "demo-es384").unwrap();
        let claims = Claims {
            client_id: "app".into(),
            aud: "https://as/token".into(),
            aud_array: false,
            expires_in: 120,
            jti: random_jti(),
            ..Claims::default()
        };
        let jwt = key.sign(&claims, 1_000).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let decode = |p: &str| -> Value {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
        };
        assert_eq!(
            decode(parts[0]),
            json!({"alg": "ES384", "typ": "JWT", "kid": "demo-es384"})
        );
        let body = decode(parts[1]);
        assert_eq!(
            (body["iss"].as_str(), body["sub"].as_str()),
            (Some("app"), Some("app"))
        );
        assert_eq!(
            (body["exp"].as_u64(), body["iat"].as_u64()),
            (Some(1_120), Some(1_000))
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().len(), 96);
        assert_ne!(random_jti(), random_jti());
        assert!(body.get("nbf").is_none());

        // The near misses a step can ask for.
        let near = Claims {
            sub: Some("other".into()),
            not_before_in: Some(600),
            without: vec!["exp".into()],
            unsigned: true,
            ..claims
        };
        let jwt = key.sign(&near, 1_000).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(decode(parts[0])["alg"], "none");
        assert_eq!(parts[2], "", "no signature");
        let body = decode(parts[1]);
        assert_eq!(
            (&body["iss"], &body["sub"]),
            (&json!("app"), &json!("other"))
        );
        assert_eq!(body["nbf"], 1_600);
        assert!(body.get("exp").is_none());
    }

    #[test]
    fn bad_pem_is_refused_and_debug_hides_the_key() {
        assert!(matches!(
            ClientKey::from_pem("nope", "k"),
            Err(KeyError::NotPkcs8)
        ));
        let p256 = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----";
        assert!(ClientKey::from_pem(p256, "k").is_err());
        let key = ClientKey::from_pem(RS, "demo-rs384").unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains("RS384") && !shown.contains("MII"));
        let other = key.impostor().unwrap();
        assert_ne!(other.public_jwk()["n"], key.public_jwk()["n"]);
        assert_eq!(other.public_jwk()["kid"], "demo-rs384");
    }
}
