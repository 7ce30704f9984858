//! PKCE (RFC 7636; SMART App Launch 2.0 "Considerations for PKCE"): S256 only. The challenge
//! is checked at the authorization endpoint, the verifier at the token endpoint; each rule is
//! a pure function beside the variant, bent by its fault, that the endpoint calls.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::faults::{Fault, FaultSwitches};

/// The authorization request's `code_challenge` and `code_challenge_method`: none at all, or
/// an S256 challenge (SMART forbids `plain`, RFC 7636 4.2 and 4.3 would allow it). `Err` is
/// the `error_description` of the `invalid_request` redirect.
pub fn check_challenge(challenge: Option<&str>, method: Option<&str>) -> Result<(), &'static str> {
    match (challenge, method) {
        (None, None) => Ok(()),
        (Some(c), Some("S256")) if is_s256_challenge(c) => Ok(()),
        (Some(_), Some("S256")) => Err("code_challenge is not a base64url SHA-256 value"),
        (Some(_), None) | (_, Some("plain")) => Err("PKCE method plain is not supported; use S256"),
        (_, Some(_)) => Err("code_challenge and code_challenge_method=S256 go together"),
    }
}

/// [`check_challenge`] as the authorization endpoint applies it. Fault `PkcePlainAccepted`:
/// `plain` is accepted, explicit or by default (as RFC 7636 4.3 lets a server do).
pub fn check_challenge_with(
    challenge: Option<&str>,
    method: Option<&str>,
    faults: &FaultSwitches,
) -> Result<(), &'static str> {
    match (challenge, method) {
        (Some(_), None | Some("plain")) if faults.on(Fault::PkcePlainAccepted) => Ok(()),
        _ => check_challenge(challenge, method),
    }
}

/// An S256 challenge is the base64url (no padding) of 32 bytes: 43 characters.
fn is_s256_challenge(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// RFC 7636 4.6: the `code_verifier` is well-formed and its S256 is the code's challenge.
pub fn verifier_matches(challenge: &str, verifier: &str) -> bool {
    is_verifier(verifier) && s256(verifier) == challenge
}

/// [`verifier_matches`] as the token endpoint applies it. Fault `PkceNotVerified`: any
/// well-formed verifier passes; it is not hashed and compared.
pub fn verifier_matches_with(challenge: &str, verifier: &str, faults: &FaultSwitches) -> bool {
    if faults.on(Fault::PkceNotVerified) {
        return is_verifier(verifier);
    }
    verifier_matches(challenge, verifier)
}

/// RFC 7636 4.1: 43..128 unreserved characters.
fn is_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// BASE64URL(SHA256(verifier)).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU2p1r-wW1gFWFOEjXk";
    // Expected value from Python: base64.urlsafe_b64encode(hashlib.sha256(v).digest()).
    const CHALLENGE: &str = "ds6m7b3BphPhC5KVSTwj-8sjyMhumHpOHDawE-oZNgQ";

    #[test]
    fn s256_matches_python_hashlib() {
        assert_eq!(s256(VERIFIER), CHALLENGE);
        assert!(!is_verifier("short"));
    }

    #[test]
    fn only_s256_or_no_pkce_is_accepted_and_the_fault_lets_plain_through() {
        let clean = FaultSwitches::default();
        let lax = FaultSwitches::with(&[Fault::PkcePlainAccepted]);
        let challenge = Some(CHALLENGE);
        // (challenge, method, clean server accepts, faulty server accepts)
        for (c, m, strict_ok, lax_ok) in [
            (None, None, true, true),
            (challenge, Some("S256"), true, true),
            (challenge, Some("plain"), false, true),
            (challenge, None, false, true),
            (Some("too-short"), Some("S256"), false, false),
            (None, Some("S256"), false, false),
            (None, Some("plain"), false, false),
            (challenge, Some("S512"), false, false),
        ] {
            assert_eq!(check_challenge(c, m).is_ok(), strict_ok, "{c:?} {m:?}");
            assert_eq!(
                check_challenge_with(c, m, &clean),
                check_challenge(c, m),
                "{c:?} {m:?}"
            );
            assert_eq!(
                check_challenge_with(c, m, &lax).is_ok(),
                lax_ok,
                "{c:?} {m:?}"
            );
        }
    }

    #[test]
    fn the_verifier_must_hash_to_the_challenge_unless_the_fault_is_on() {
        let clean = FaultSwitches::default();
        let lax = FaultSwitches::with(&[Fault::PkceNotVerified]);
        let other = "x".repeat(43);
        // (verifier, clean server accepts, faulty server accepts)
        for (v, strict_ok, lax_ok) in [
            (VERIFIER, true, true),
            (other.as_str(), false, true),
            ("short", false, false),
            ("dBjftJeZ4CVP-mB92K27uhbUJU2p1r-wW1gFWFOEjX!", false, false),
        ] {
            assert_eq!(verifier_matches(CHALLENGE, v), strict_ok, "{v}");
            assert_eq!(
                verifier_matches_with(CHALLENGE, v, &clean),
                strict_ok,
                "{v}"
            );
            assert_eq!(verifier_matches_with(CHALLENGE, v, &lax), lax_ok, "{v}");
        }
    }
}
