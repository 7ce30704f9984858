//! In-memory OAuth state: login transactions, authorization codes, grants, access and refresh
//! tokens. Sharded maps (no global lock on the read path); expired entries are swept.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dashmap::DashMap;

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// 256 random bits, base64url: unguessable opaque tokens, codes and session ids.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // Fails only when the OS has no entropy source at all.
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        tracing::error!("system random generator failed");
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Most login transactions kept at once; beyond it authorize answers 429, so anonymous
/// authorize requests cannot grow memory without bound.
pub const MAX_PENDING: usize = 100_000;

/// How long an authorization code is remembered after it expired: a replay a little late is
/// still recognised (its grant revoked, RFC 6749 4.1.2) and a late code is told it expired
/// rather than that it is unknown.
pub const CODE_MEMORY: u64 = 300;

/// `now() + ttl` without overflow for absurd configured lifetimes.
pub fn expiry(ttl: u64) -> u64 {
    now().saturating_add(ttl)
}

/// What the member asked for at the authorize endpoint, while they log in and consent.
#[derive(Clone)]
pub struct PendingAuthorization {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    /// Set once the member logged in: their patient id and the session cookie value.
    pub member: Option<(String, String)>,
    pub expires_at: u64,
}

impl std::fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The session cookie value is a secret.
        f.debug_struct("PendingAuthorization")
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("scope", &self.scope)
            .field("logged_in", &self.member.is_some())
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An issued authorization code.
#[derive(Debug, Clone)]
pub struct AuthorizationCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub patient_id: String,
    pub grant_id: u64,
    pub expires_at: u64,
    /// Codes are single use: kept after redemption so a replay can be detected.
    pub redeemed: bool,
}

/// A member's authorization of a client; revoking it kills every token it issued.
#[derive(Debug, Clone)]
pub struct Grant {
    pub client_id: String,
    pub patient_id: String,
    pub revoked: bool,
    pub created_at: u64,
}

/// An access token's meaning.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub client_id: String,
    pub scope: Vec<String>,
    pub patient_id: Option<String>,
    /// None for client-credentials tokens.
    pub grant_id: Option<u64>,
    pub issued_at: u64,
    pub expires_at: u64,
}

/// A refresh token's meaning.
#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub client_id: String,
    pub scope: Vec<String>,
    pub patient_id: String,
    pub grant_id: u64,
    pub issued_at: u64,
    pub expires_at: u64,
}

/// All OAuth state of the server. Its maps are keyed by secrets, so `Debug` shows counts only.
#[derive(Default)]
pub struct TokenStore {
    pub pending: DashMap<String, PendingAuthorization>,
    pub codes: DashMap<String, AuthorizationCode>,
    pub grants: DashMap<u64, Grant>,
    pub access: DashMap<String, AccessToken>,
    pub refresh: DashMap<String, RefreshToken>,
    /// `(client_id, jti)` of each client assertion seen, until its `exp` (RFC 7523 3 item 7).
    assertion_jtis: DashMap<(String, String), u64>,
    next_grant: AtomicU64,
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStore")
            .field("pending", &self.pending.len())
            .field("codes", &self.codes.len())
            .field("grants", &self.grants.len())
            .field("access", &self.access.len())
            .field("refresh", &self.refresh.len())
            .finish()
    }
}

impl TokenStore {
    /// Records a new grant and returns its id.
    pub fn new_grant(&self, client_id: &str, patient_id: &str) -> u64 {
        let id = self.next_grant.fetch_add(1, Ordering::Relaxed) + 1;
        self.grants.insert(
            id,
            Grant {
                client_id: client_id.to_string(),
                patient_id: patient_id.to_string(),
                revoked: false,
                created_at: now(),
            },
        );
        id
    }

    /// Records a client assertion's `jti`; false when the client used it before and that
    /// assertion has not expired yet. Expired entries are dropped as new ones come.
    pub fn first_assertion(&self, client_id: &str, jti: &str, exp: u64, now: u64) -> bool {
        if self.assertion_jtis.len() > 10_000 {
            self.assertion_jtis.retain(|_, e| *e >= now);
        }
        match self
            .assertion_jtis
            .entry((client_id.to_string(), jti.to_string()))
        {
            dashmap::mapref::entry::Entry::Occupied(mut seen) if *seen.get() < now => {
                seen.insert(exp);
                true
            }
            dashmap::mapref::entry::Entry::Occupied(_) => false,
            dashmap::mapref::entry::Entry::Vacant(v) => {
                v.insert(exp);
                true
            }
        }
    }

    /// Whether a grant exists and is not revoked.
    pub fn grant_active(&self, grant_id: u64) -> bool {
        self.grants.get(&grant_id).is_some_and(|g| !g.revoked)
    }

    /// Revokes one grant (idempotent).
    pub fn revoke_grant(&self, grant_id: u64) {
        if let Some(mut g) = self.grants.get_mut(&grant_id) {
            g.revoked = true;
        }
    }

    /// Revokes every grant a patient gave a client; returns how many were active.
    pub fn revoke_member_grants(&self, patient_id: &str, client_id: &str) -> usize {
        let mut n = 0;
        for mut g in self.grants.iter_mut() {
            if g.patient_id == patient_id && g.client_id == client_id && !g.revoked {
                g.revoked = true;
                n += 1;
            }
        }
        n
    }

    /// An access token that is known, unexpired and whose grant (if any) is active.
    pub fn live_access(&self, token: &str) -> Option<AccessToken> {
        let t = self.access.get(token)?;
        if t.expires_at <= now() {
            return None;
        }
        if let Some(g) = t.grant_id
            && !self.grant_active(g)
        {
            return None;
        }
        Some(t.clone())
    }

    /// Drops expired entries so memory stays bounded in long runs. A grant goes once it is
    /// older than `refresh_ttl` (every token it issued has expired by then); a code
    /// [`CODE_MEMORY`] after it expired.
    pub fn sweep(&self, refresh_ttl: u64) {
        let t = now();
        self.grants
            .retain(|_, g| g.created_at.saturating_add(refresh_ttl) > t);
        self.pending.retain(|_, p| p.expires_at > t);
        self.codes
            .retain(|_, c| c.expires_at.saturating_add(CODE_MEMORY) > t);
        self.access.retain(|_, a| a.expires_at > t);
        self.refresh.retain(|_, r| r.expires_at > t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assertion_jti_counts_once_per_client_until_it_expires() {
        let store = TokenStore::default();
        assert!(store.first_assertion("a", "j1", 200, 100));
        assert!(!store.first_assertion("a", "j1", 200, 150), "replayed");
        assert!(
            store.first_assertion("b", "j1", 200, 150),
            "another client's jti"
        );
        assert!(
            store.first_assertion("a", "j1", 400, 201),
            "the first one expired"
        );
    }

    #[test]
    fn tokens_are_random_and_url_safe() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn revoking_a_grant_kills_its_access_tokens() {
        let s = TokenStore::default();
        let g = s.new_grant("c", "p");
        s.access.insert(
            "t".into(),
            AccessToken {
                client_id: "c".into(),
                scope: vec![],
                patient_id: Some("p".into()),
                grant_id: Some(g),
                issued_at: now(),
                expires_at: now() + 60,
            },
        );
        assert!(s.live_access("t").is_some());
        assert_eq!(s.revoke_member_grants("p", "c"), 1);
        assert!(s.live_access("t").is_none());
    }
}
