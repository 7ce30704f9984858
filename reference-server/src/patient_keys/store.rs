//! The in-memory store of patient-generated credentials (seed 003). A pair is a public key
//! and a secret; only the secret's SHA-256 is kept, so it cannot be shown again. Deleting a
//! pair removes it at once: the next request with it fails (nothing is cached).

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dashmap::DashMap;

use crate::faults::{Fault, FaultSwitches};
use crate::tokens::{now, random_token};

/// Most pairs one member may hold at once.
pub const MAX_PER_MEMBER: usize = 20;
/// Longest pair name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// One pair as stored: everything but the secret, which is kept as its SHA-256 only.
#[derive(Clone)]
pub struct Credential {
    /// Public id, used to list and delete the pair.
    pub id: String,
    /// The member's name for the pair (e.g. "Health app on my phone").
    pub name: String,
    /// The public half presented on each request.
    pub key: String,
    /// The patient whose data the pair reads.
    pub patient_id: String,
    /// Creation time, seconds since the epoch.
    pub created: u64,
    secret_sha256: Vec<u8>,
    /// Fault `patient-key-secret-listed` only: the secret kept in clear.
    pub clear_secret: Option<String>,
}

/// A new pair with its secret, which exists in clear only in this value.
pub struct Issued {
    pub credential: Credential,
    pub secret: String,
}

/// Why a pair was not created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateError {
    /// The member already holds [`MAX_PER_MEMBER`] pairs.
    TooMany,
}

/// All pairs, by patient; and each key's patient, for authentication. Keyed by patient so a
/// member's count and insert happen under one entry lock (the bound holds under races).
#[derive(Default)]
pub struct PatientKeyStore {
    by_patient: DashMap<String, Vec<Credential>>,
    key_owner: DashMap<String, String>,
    /// Deleted pairs, for the fault `patient-key-deleted-still-works` (a stale cache of
    /// verified keys); bounded.
    deleted: DashMap<String, Credential>,
}

/// Most deleted pairs remembered (the stale cache of the fault).
const MAX_DELETED: usize = 10_000;

impl std::fmt::Debug for PatientKeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatientKeyStore")
            .field("pairs", &self.key_owner.len())
            .finish()
    }
}

/// `n` random bytes, base64url.
fn random_text(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        tracing::error!("system random generator failed");
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sha256(secret: &str) -> Vec<u8> {
    digest(&SHA256, secret.as_bytes()).as_ref().to_vec()
}

impl PatientKeyStore {
    /// Creates a pair named `name` (already validated) reading `patient_id`'s data. Seed 003:
    /// the secret is shown once, so only its SHA-256 is kept.
    pub fn create(&self, patient_id: &str, name: &str) -> Result<Issued, CreateError> {
        self.insert(patient_id, name, false)
    }

    /// [`PatientKeyStore::create`] as the server applies it. Fault `PatientKeySecretListed`:
    /// the secret is also kept in clear, and the list shows it again.
    pub fn create_with(
        &self,
        patient_id: &str,
        name: &str,
        faults: &FaultSwitches,
    ) -> Result<Issued, CreateError> {
        self.insert(patient_id, name, faults.on(Fault::PatientKeySecretListed))
    }

    fn insert(
        &self,
        patient_id: &str,
        name: &str,
        keep_clear: bool,
    ) -> Result<Issued, CreateError> {
        let mut pairs = self.by_patient.entry(patient_id.to_string()).or_default();
        if pairs.len() >= MAX_PER_MEMBER {
            return Err(CreateError::TooMany);
        }
        let secret = random_token();
        let credential = Credential {
            id: random_text(9),
            name: name.to_string(),
            key: format!("pk_{}", random_text(18)),
            patient_id: patient_id.to_string(),
            created: now(),
            secret_sha256: sha256(&secret),
            clear_secret: keep_clear.then(|| secret.clone()),
        };
        // Lock order: a `by_patient` entry, then `key_owner`; readers never hold both.
        self.key_owner
            .insert(credential.key.clone(), patient_id.to_string());
        pairs.push(credential.clone());
        Ok(Issued { credential, secret })
    }

    /// `patient_id`'s pairs, oldest first.
    pub fn list(&self, patient_id: &str) -> Vec<Credential> {
        self.by_patient
            .get(patient_id)
            .map(|p| p.clone())
            .unwrap_or_default()
    }

    /// [`PatientKeyStore::list`] as the server answers it. Fault `PatientKeyListEmpty`: the
    /// list loses the member's pairs (they can no longer be found to delete).
    pub fn list_with(&self, patient_id: &str, faults: &FaultSwitches) -> Vec<Credential> {
        if faults.on(Fault::PatientKeyListEmpty) {
            return Vec::new();
        }
        self.list(patient_id)
    }

    /// Deletes `patient_id`'s pair `id`; false when that patient has no such pair.
    pub fn delete(&self, patient_id: &str, id: &str) -> bool {
        let Some(mut pairs) = self.by_patient.get_mut(patient_id) else {
            return false;
        };
        let Some(i) = pairs.iter().position(|c| c.id == id) else {
            return false;
        };
        let gone = pairs.remove(i);
        self.key_owner.remove(&gone.key);
        if self.deleted.len() >= MAX_DELETED {
            self.deleted.clear();
        }
        self.deleted.insert(gone.key.clone(), gone);
        true
    }

    /// Fault `patient-key-secret-not-checked`: the patient of a live key, whatever the secret.
    fn owner(&self, key: &str) -> Option<String> {
        self.key_owner.get(key).map(|p| p.clone())
    }

    /// Fault `patient-key-deleted-still-works`: a deleted pair's patient, from the stale cache.
    fn authenticate_deleted(&self, key: &str, secret: &str) -> Option<String> {
        let pair = self.deleted.get(key)?;
        verify_slices_are_equal(&pair.secret_sha256, &sha256(secret))
            .is_ok()
            .then(|| pair.patient_id.clone())
    }

    /// The patient a live pair reads, when `key` names one and `secret` is its secret.
    pub fn authenticate(&self, key: &str, secret: &str) -> Option<String> {
        let patient_id = self.key_owner.get(key)?.clone();
        let pairs = self.by_patient.get(&patient_id)?;
        let pair = pairs.iter().find(|c| c.key == key)?;
        verify_slices_are_equal(&pair.secret_sha256, &sha256(secret))
            .is_ok()
            .then_some(patient_id)
    }

    /// [`PatientKeyStore::authenticate`] as the server applies it. Fault
    /// `PatientKeySecretNotChecked`: the secret is not checked, a live key alone is let in.
    /// Fault `PatientKeyDeletedStillWorks`: a stale cache of verified keys still lets a
    /// deleted pair in.
    pub fn authenticate_with(
        &self,
        key: &str,
        secret: &str,
        faults: &FaultSwitches,
    ) -> Option<String> {
        if faults.on(Fault::PatientKeySecretNotChecked) {
            return self.owner(key);
        }
        self.authenticate(key, secret).or_else(|| {
            faults
                .on(Fault::PatientKeyDeletedStillWorks)
                .then(|| self.authenticate_deleted(key, secret))
                .flatten()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_authenticates_until_deleted_and_others_keep_working() {
        let store = PatientKeyStore::default();
        let a = store.create("p1", "phone").unwrap();
        let b = store.create("p1", "laptop").unwrap();
        assert_ne!(a.credential.key, b.credential.key);
        assert_ne!(a.secret, b.secret);
        let auth = |i: &Issued| store.authenticate(&i.credential.key, &i.secret);
        assert_eq!(auth(&a).as_deref(), Some("p1"));
        assert_eq!(store.authenticate(&a.credential.key, &b.secret), None);
        assert!(
            !store.delete("p2", &a.credential.id),
            "another patient's pair"
        );
        assert!(store.delete("p1", &a.credential.id));
        assert!(!store.delete("p1", &a.credential.id), "deleted twice");
        assert_eq!(auth(&a), None);
        assert_eq!(auth(&b).as_deref(), Some("p1"));
        let listed: Vec<String> = store.list("p1").into_iter().map(|c| c.name).collect();
        assert_eq!(listed, ["laptop"]);
    }

    #[test]
    fn only_the_hash_of_the_secret_is_kept() {
        let store = PatientKeyStore::default();
        let a = store.create("p1", "phone").unwrap();
        let kept = &store.list("p1")[0];
        assert_eq!(kept.secret_sha256, sha256(&a.secret));
        assert_ne!(kept.secret_sha256, a.secret.as_bytes());
    }

    #[test]
    fn each_fault_bends_only_its_own_rule() {
        let store = PatientKeyStore::default();
        let live = store.create("p1", "phone").unwrap();
        let gone = store.create("p1", "old").unwrap();
        assert!(store.delete("p1", &gone.credential.id));
        let (key, secret) = (&live.credential.key, &live.secret);
        let (old_key, old_secret) = (&gone.credential.key, &gone.secret);
        // (faults, live pair, live key with a wrong secret, deleted pair, list length)
        let expect = |faults: &[Fault], right, wrong, deleted, listed: usize| {
            let faults = FaultSwitches::with(faults);
            let auth = |k: &str, s: &str| store.authenticate_with(k, s, &faults).is_some();
            assert_eq!(auth(key, secret), right, "{faults:?}");
            assert_eq!(auth(key, "wrong"), wrong, "{faults:?}");
            assert_eq!(auth(old_key, old_secret), deleted, "{faults:?}");
            assert!(!auth(old_key, "wrong"), "{faults:?}");
            assert_eq!(store.list_with("p1", &faults).len(), listed, "{faults:?}");
        };
        expect(&[], true, false, false, 1);
        expect(&[Fault::PatientKeySecretNotChecked], true, true, false, 1);
        expect(&[Fault::PatientKeyDeletedStillWorks], true, false, true, 1);
        expect(&[Fault::PatientKeyListEmpty], true, false, false, 0);
        assert!(live.credential.clear_secret.is_none());
        let faults = FaultSwitches::with(&[Fault::PatientKeySecretListed]);
        let kept = store.create_with("p2", "tablet", &faults).unwrap();
        assert_eq!(kept.credential.clear_secret.as_ref(), Some(&kept.secret));
        let clean = FaultSwitches::default();
        let plain = store.create_with("p2", "watch", &clean).unwrap();
        assert!(plain.credential.clear_secret.is_none());
    }

    #[test]
    fn a_member_holds_at_most_the_bound() {
        let store = PatientKeyStore::default();
        for i in 0..MAX_PER_MEMBER {
            store.create("p1", &format!("k{i}")).unwrap();
        }
        assert_eq!(
            store.create("p1", "one more").err(),
            Some(CreateError::TooMany)
        );
        assert!(store.create("p2", "other member").is_ok());
        let first = store.list("p1")[0].id.clone();
        assert!(store.delete("p1", &first));
        assert!(store.create("p1", "after a delete").is_ok());
    }
}
