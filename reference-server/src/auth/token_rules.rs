//! The token endpoint's redemption rules (seed 002 "Exchange the auth code", "Refresh token
//! redemption"; RFC 6749 4.1.2, 4.1.3, 6, 10.4): when an authorization code or a refresh
//! token may be redeemed. Each rule is a pure function; beside it is the variant the endpoint
//! calls, bent by the fault that breaks the rule. (The PKCE verifier is in [`super::pkce`].)

use crate::faults::{Fault, FaultSwitches};
use crate::tokens::{AuthorizationCode, RefreshToken, TokenStore};

/// RFC 6749 4.1.2: a code is single use; redeeming a code already redeemed is a replay.
pub fn is_replay(code: &AuthorizationCode) -> bool {
    code.redeemed
}

/// [`is_replay`] as the token endpoint applies it. Fault `CodeReusable`: a redeemed code is
/// not remembered as spent.
pub fn is_replay_with(code: &AuthorizationCode, faults: &FaultSwitches) -> bool {
    is_replay(code) && !faults.on(Fault::CodeReusable)
}

/// RFC 6749 4.1.2: a code is short-lived; at `now` it is past its expiry.
pub fn is_expired(code: &AuthorizationCode, now: u64) -> bool {
    code.expires_at <= now
}

/// [`is_expired`] as the token endpoint applies it. Fault `CodeNeverExpires`: the code's
/// expiry is never compared with the clock.
pub fn is_expired_with(code: &AuthorizationCode, now: u64, faults: &FaultSwitches) -> bool {
    is_expired(code, now) && !faults.on(Fault::CodeNeverExpires)
}

/// RFC 6749 4.1.3: the exchange's `redirect_uri` is identical to the authorization
/// request's.
pub fn redirect_matches(code: &AuthorizationCode, redirect_uri: &str) -> bool {
    code.redirect_uri == redirect_uri
}

/// [`redirect_matches`] as the token endpoint applies it. Fault `CodeNotBoundToRedirectUri`:
/// redirect_uri is required but not compared.
pub fn redirect_matches_with(
    code: &AuthorizationCode,
    redirect_uri: &str,
    faults: &FaultSwitches,
) -> bool {
    redirect_matches(code, redirect_uri) || faults.on(Fault::CodeNotBoundToRedirectUri)
}

/// RFC 6749 6, 10.4: a refresh token is bound to the client it was issued to.
pub fn refresh_bound_to(stored: &RefreshToken, client_id: &str) -> bool {
    stored.client_id == client_id
}

/// [`refresh_bound_to`] as the token endpoint applies it. Fault `RefreshNotBoundToClient`:
/// whoever holds the refresh token may redeem it.
pub fn refresh_bound_to_with(
    stored: &RefreshToken,
    client_id: &str,
    faults: &FaultSwitches,
) -> bool {
    refresh_bound_to(stored, client_id) || faults.on(Fault::RefreshNotBoundToClient)
}

/// Seed 002 (a member may revoke an app), RFC 7009 2.1: a refresh token works only while the
/// grant behind it is active.
pub fn refresh_grant_active(tokens: &TokenStore, stored: &RefreshToken) -> bool {
    tokens.grant_active(stored.grant_id)
}

/// [`refresh_grant_active`] as the token endpoint applies it. Fault `RefreshAfterRevocation`:
/// the refresh token is looked at on its own, not the grant behind it.
pub fn refresh_grant_active_with(
    tokens: &TokenStore,
    stored: &RefreshToken,
    faults: &FaultSwitches,
) -> bool {
    refresh_grant_active(tokens, stored) || faults.on(Fault::RefreshAfterRevocation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(redeemed: bool, expires_at: u64) -> AuthorizationCode {
        AuthorizationCode {
            client_id: "app".into(),
            redirect_uri: "https://app.example/cb".into(),
            scope: vec![],
            nonce: None,
            code_challenge: None,
            patient_id: "p1".into(),
            grant_id: 1,
            expires_at,
            redeemed,
        }
    }

    fn refresh(grant_id: u64) -> RefreshToken {
        RefreshToken {
            client_id: "app".into(),
            scope: vec![],
            patient_id: "p1".into(),
            grant_id,
            issued_at: 0,
            expires_at: u64::MAX,
        }
    }

    #[test]
    fn each_code_rule_holds_and_only_its_fault_bends_it() {
        let clean = FaultSwitches::default();
        let fresh = code(false, 100);
        let spent = code(true, 100);
        assert!(!is_replay(&fresh) && is_replay(&spent));
        assert!(!is_expired(&fresh, 99) && is_expired(&fresh, 100) && is_expired(&fresh, 101));
        assert!(redirect_matches(&fresh, "https://app.example/cb"));
        for other in ["https://app.example/cb/", "https://APP.example/cb", ""] {
            assert!(!redirect_matches(&fresh, other), "{other}");
        }
        assert!(is_replay_with(&spent, &clean));
        assert!(is_expired_with(&fresh, 100, &clean));
        assert!(!redirect_matches_with(
            &fresh,
            "https://evil.example/cb",
            &clean
        ));

        for fault in Fault::all() {
            let faults = FaultSwitches::with(&[fault]);
            assert_eq!(
                is_replay_with(&spent, &faults),
                fault != Fault::CodeReusable,
                "{fault:?}"
            );
            assert!(!is_replay_with(&fresh, &faults));
            assert_eq!(
                is_expired_with(&fresh, 100, &faults),
                fault != Fault::CodeNeverExpires,
                "{fault:?}"
            );
            assert!(!is_expired_with(&fresh, 99, &faults));
            assert_eq!(
                redirect_matches_with(&fresh, "https://evil.example/cb", &faults),
                fault == Fault::CodeNotBoundToRedirectUri,
                "{fault:?}"
            );
        }
    }

    #[test]
    fn each_refresh_rule_holds_and_only_its_fault_bends_it() {
        let tokens = TokenStore::default();
        let live = tokens.new_grant("app", "p1");
        let ended = tokens.new_grant("app", "p1");
        tokens.revoke_grant(ended);
        let (live, ended, unknown) = (refresh(live), refresh(ended), refresh(999));
        assert!(refresh_bound_to(&live, "app") && !refresh_bound_to(&live, "other"));
        assert!(refresh_grant_active(&tokens, &live));
        assert!(!refresh_grant_active(&tokens, &ended));
        assert!(!refresh_grant_active(&tokens, &unknown));

        for fault in Fault::all() {
            let faults = FaultSwitches::with(&[fault]);
            assert_eq!(
                refresh_bound_to_with(&live, "other", &faults),
                fault == Fault::RefreshNotBoundToClient,
                "{fault:?}"
            );
            assert!(refresh_bound_to_with(&live, "app", &faults));
            assert_eq!(
                refresh_grant_active_with(&tokens, &ended, &faults),
                fault == Fault::RefreshAfterRevocation,
                "{fault:?}"
            );
            assert!(refresh_grant_active_with(&tokens, &live, &faults));
        }
    }
}
