//! The developer portal's in-memory state (seed 000): apps, their plan, their production
//! status and their credential sets. Secrets are kept only as SHA-256 hashes and compared in
//! constant time; `Debug` shows counts only.

use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;

use crate::faults::{Fault, FaultSwitches};
use crate::registry::{Api, Client, GrantType, Registry};
use crate::tokens::random_token;

/// Where an app stands on the way to production (seed 000 "Upgrade to production").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Production {
    /// Sandbox only.
    NotRequested,
    /// The developer asked; the payer has not approved yet.
    Requested,
    /// The payer approved: the same credentials work in production.
    Approved,
}

impl Production {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Production::NotRequested => "not-requested",
            Production::Requested => "requested",
            Production::Approved => "approved",
        }
    }
}

/// A portal application.
#[derive(Debug, Clone)]
pub struct App {
    pub id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    /// Plan id (fixtures/plans.toml), none until subscribed.
    pub plan: Option<String>,
    pub production: Production,
    /// (credential_id, current client_id) of each credential set, in creation order.
    pub credentials: Vec<(String, String)>,
}

/// One credential set, keyed by its client_id.
struct Credential {
    app_id: String,
    secret_sha256: [u8; 32],
    /// The secret before the last "Reset API Secret" (only a fault still accepts it).
    previous_sha256: Option<[u8; 32]>,
    /// The secret in clear: kept only under the fault that shows it again.
    clear: Option<String>,
}

impl Credential {
    /// A set whose secret is kept as its SHA-256 only (seed 000: the secret is shown once).
    /// Fault `PortalSecretShownAgain` (`lenience.secret_kept`): also kept in clear.
    fn new(app_id: &str, secret: &str, lenience: Lenience) -> Credential {
        Credential {
            app_id: app_id.to_string(),
            secret_sha256: sha256(secret),
            previous_sha256: None,
            clear: lenience.secret_kept.then(|| secret.to_string()),
        }
    }

    /// Whether `secret` is this set's. Fault `PortalOldSecretAccepted`
    /// (`lenience.old_secret_accepted`): its predecessor before "Reset API Secret" too.
    fn accepts(&self, secret: &str, lenience: Lenience) -> bool {
        let presented = sha256(secret);
        let matches =
            |h: &[u8; 32]| aws_lc_rs::constant_time::verify_slices_are_equal(h, &presented).is_ok();
        matches(&self.secret_sha256)
            || (lenience.old_secret_accepted && self.previous_sha256.as_ref().is_some_and(matches))
    }
}

/// The portal's defects (fault switches), read per request: the store's rules take it, and
/// [`Lenience::default`] is each rule unbent.
#[derive(Debug, Default, Clone, Copy)]
pub struct Lenience {
    /// "Reset API Secret" leaves the old secret working.
    pub old_secret_accepted: bool,
    /// "Reset Credentials" leaves the old client_id and secret working.
    pub old_credentials_accepted: bool,
    /// "Add" retires the app's earlier credential sets.
    pub added_replaces: bool,
    /// Secrets are kept in clear and shown on the app's page.
    pub secret_kept: bool,
}

impl Lenience {
    /// The defects switched on for this server.
    pub fn of(faults: &FaultSwitches) -> Lenience {
        Lenience {
            old_secret_accepted: faults.on(Fault::PortalOldSecretAccepted),
            old_credentials_accepted: faults.on(Fault::PortalOldCredentialsAccepted),
            added_replaces: faults.on(Fault::PortalAddedCredentialReplaces),
            secret_kept: faults.on(Fault::PortalSecretShownAgain),
        }
    }
}

/// Freshly issued credentials: the only time a secret leaves the store.
#[derive(Debug)]
pub struct Issued {
    pub app_id: String,
    pub credential_id: String,
    pub client_id: String,
    pub client_secret: String,
}

/// Why a portal operation was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum PortalError {
    NoSuchApp,
    NoSuchCredential,
    UnknownPlan,
    NotRequested,
}

/// All portal state.
#[derive(Default)]
pub struct PortalStore {
    apps: DashMap<String, App>,
    /// Live credential sets by client_id.
    credentials: DashMap<String, Credential>,
    /// Credential sets replaced by "Reset Credentials", by their old client_id: they no
    /// longer authenticate, but tokens already issued to them keep their plan until expiry.
    retired: DashMap<String, Credential>,
    next: AtomicU64,
}

impl std::fmt::Debug for PortalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalStore")
            .field("apps", &self.apps.len())
            .field("credentials", &self.credentials.len())
            .finish_non_exhaustive()
    }
}

fn sha256(secret: &str) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// The API a plan id opens, if the plan exists.
pub fn plan_api(registry: &Registry, plan: &str) -> Option<Api> {
    [Api::PatientAccess, Api::ProviderDirectory]
        .into_iter()
        .find(|&api| registry.plan_for_api(api).is_some_and(|p| p.id == plan))
}

impl PortalStore {
    fn serial(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// A new client_id: `portal-` and 96 random bits (never a fixture id).
    fn new_client_id() -> String {
        format!("portal-{}", &random_token()[..16])
    }

    /// A new client secret: 256 random bits, base64url, with a `~` after its first five
    /// characters, as Azure's secrets have. Form-encoding escapes `~` (`%7E`), so a client
    /// that form-encodes its HTTP Basic credentials as RFC 6749 2.3.1 says is understood
    /// only by a server that decodes them, and one that sends them raw is understood too.
    fn new_client_secret() -> String {
        let token = random_token();
        format!("{}~{}", &token[..5], &token[5..])
    }

    /// Stores a new credential set of `app_id` under a new client_id.
    fn issue(&self, app_id: &str, credential_id: String, lenience: Lenience) -> Issued {
        let client_id = Self::new_client_id();
        let client_secret = Self::new_client_secret();
        self.credentials.insert(
            client_id.clone(),
            Credential::new(app_id, &client_secret, lenience),
        );
        Issued {
            app_id: app_id.to_string(),
            credential_id,
            client_id,
            client_secret,
        }
    }

    /// "Create new app": the app with its first credential set.
    pub fn create(&self, name: String, redirect_uris: Vec<String>, lenience: Lenience) -> Issued {
        let n = self.serial();
        let app_id = format!("app-{n}");
        let credential_id = format!("cred-{}", self.serial());
        let issued = self.issue(&app_id, credential_id.clone(), lenience);
        self.apps.insert(
            app_id.clone(),
            App {
                id: app_id,
                name,
                redirect_uris,
                plan: None,
                production: Production::NotRequested,
                credentials: vec![(credential_id, issued.client_id.clone())],
            },
        );
        issued
    }

    /// The app named by its app id or by any live client_id of it.
    pub fn resolve(&self, key: &str) -> Option<String> {
        if self.apps.contains_key(key) {
            return Some(key.to_string());
        }
        self.credentials.get(key).map(|c| c.app_id.clone())
    }

    /// A copy of an app.
    pub fn app(&self, app_id: &str) -> Option<App> {
        self.apps.get(app_id).map(|a| a.clone())
    }

    /// Subscribes the app to `plan` (replacing any earlier subscription: one plan per app).
    pub fn subscribe(
        &self,
        registry: &Registry,
        app_id: &str,
        plan: &str,
    ) -> Result<(), PortalError> {
        plan_api(registry, plan).ok_or(PortalError::UnknownPlan)?;
        let mut app = self.apps.get_mut(app_id).ok_or(PortalError::NoSuchApp)?;
        app.plan = Some(plan.to_string());
        Ok(())
    }

    /// "Add" a credential set: a new client_id and secret; the existing sets keep working.
    /// Fault `PortalAddedCredentialReplaces` (`lenience.added_replaces`): they are retired.
    pub fn add_credential(&self, app_id: &str, lenience: Lenience) -> Result<Issued, PortalError> {
        if !self.apps.contains_key(app_id) {
            return Err(PortalError::NoSuchApp);
        }
        let credential_id = format!("cred-{}", self.serial());
        let issued = self.issue(app_id, credential_id.clone(), lenience);
        let mut app = self.apps.get_mut(app_id).ok_or(PortalError::NoSuchApp)?;
        if lenience.added_replaces {
            // Fault: the new set takes the old ones' place instead of joining them.
            for (_, old) in app.credentials.drain(..) {
                self.retire(&old);
            }
        }
        app.credentials
            .push((credential_id, issued.client_id.clone()));
        Ok(issued)
    }

    /// Moves a live credential set to the retired ones.
    fn retire(&self, client_id: &str) {
        if let Some((id, cred)) = self.credentials.remove(client_id) {
            self.retired.insert(id, cred);
        }
    }

    fn client_id_of(&self, app_id: &str, credential_id: &str) -> Result<String, PortalError> {
        let app = self.apps.get(app_id).ok_or(PortalError::NoSuchApp)?;
        app.credentials
            .iter()
            .find(|(c, _)| c == credential_id)
            .map(|(_, id)| id.clone())
            .ok_or(PortalError::NoSuchCredential)
    }

    /// "Reset API Secret": same client_id, new secret; the old secret fails at once.
    pub fn reset_secret(
        &self,
        app_id: &str,
        credential_id: &str,
        lenience: Lenience,
    ) -> Result<Issued, PortalError> {
        let client_id = self.client_id_of(app_id, credential_id)?;
        let client_secret = Self::new_client_secret();
        let mut cred = self
            .credentials
            .get_mut(&client_id)
            .ok_or(PortalError::NoSuchCredential)?;
        let fresh = Credential::new(app_id, &client_secret, lenience);
        cred.previous_sha256 = Some(std::mem::replace(
            &mut cred.secret_sha256,
            fresh.secret_sha256,
        ));
        cred.clear = fresh.clear;
        Ok(Issued {
            app_id: app_id.to_string(),
            credential_id: credential_id.to_string(),
            client_id,
            client_secret,
        })
    }

    /// "Reset Credentials": a new client_id and secret for the set; the old pair fails at once.
    pub fn reset_credentials(
        &self,
        app_id: &str,
        credential_id: &str,
        lenience: Lenience,
    ) -> Result<Issued, PortalError> {
        let old = self.client_id_of(app_id, credential_id)?;
        let issued = self.issue(app_id, credential_id.to_string(), lenience);
        self.retire(&old);
        let mut app = self.apps.get_mut(app_id).ok_or(PortalError::NoSuchApp)?;
        if let Some(set) = app.credentials.iter_mut().find(|(c, _)| c == credential_id) {
            set.1 = issued.client_id.clone();
        }
        Ok(issued)
    }

    /// "Upgrade to production": asks the payer; an approved app stays approved.
    pub fn request_production(&self, app_id: &str) -> Result<Production, PortalError> {
        let mut app = self.apps.get_mut(app_id).ok_or(PortalError::NoSuchApp)?;
        if app.production == Production::NotRequested {
            app.production = Production::Requested;
        }
        Ok(app.production)
    }

    /// The payer's approval of a pending request.
    pub fn approve_production(&self, app_id: &str) -> Result<Production, PortalError> {
        let mut app = self.apps.get_mut(app_id).ok_or(PortalError::NoSuchApp)?;
        if app.production == Production::NotRequested {
            return Err(PortalError::NotRequested);
        }
        app.production = Production::Approved;
        Ok(app.production)
    }

    /// The client a live credential set authenticates as, and whether its app is approved
    /// for production; None for an unknown client_id or a wrong secret. Fault
    /// `PortalOldCredentialsAccepted` (`lenience.old_credentials_accepted`): a set retired by
    /// "Reset Credentials" still authenticates.
    pub fn authenticate(
        &self,
        client_id: &str,
        secret: &str,
        lenience: Lenience,
    ) -> Option<(Client, bool)> {
        let app_id = match self.credentials.get(client_id) {
            Some(cred) => cred
                .accepts(secret, lenience)
                .then(|| cred.app_id.clone())?,
            // Fault: a retired set is still looked up.
            None if lenience.old_credentials_accepted => {
                let cred = self.retired.get(client_id)?;
                cred.accepts(secret, lenience)
                    .then(|| cred.app_id.clone())?
            }
            None => return None,
        };
        self.client_of(client_id, &app_id)
    }

    /// The client a live credential set stands for, without its secret checked (the
    /// authorize endpoint's and the member pages' lookup).
    pub fn client(&self, client_id: &str) -> Option<Client> {
        let app_id = self.credentials.get(client_id)?.app_id.clone();
        self.client_of(client_id, &app_id).map(|(client, _)| client)
    }

    /// The client `client_id` of `app_id` authenticates as, and whether the app is approved
    /// for production.
    fn client_of(&self, client_id: &str, app_id: &str) -> Option<(Client, bool)> {
        let app = self.app(app_id)?;
        let grant_types = match app.plan.as_deref() {
            Some("patient-access") => vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            // Provider Directory, or no plan yet: the token is issued and the gateway answers
            // "Not registered to plan" (like the fixture no-plan-app).
            _ => vec![GrantType::ClientCredentials],
        };
        let approved = app.production == Production::Approved;
        Some((
            Client {
                id: client_id.to_string(),
                name: app.name,
                secret: String::new(),
                jwks: None,
                plan: app.plan,
                grant_types,
                redirect_uris: app.redirect_uris,
            },
            approved,
        ))
    }

    /// The plan of the app behind a client_id (live or retired), for the gateway.
    pub fn plan_of_client(&self, client_id: &str) -> Option<String> {
        let app_id = match self.credentials.get(client_id) {
            Some(c) => c.app_id.clone(),
            None => self.retired.get(client_id)?.app_id.clone(),
        };
        self.apps.get(&app_id)?.plan.clone()
    }

    /// The secret of a live set, if it was kept in clear (only under a fault).
    pub fn kept_secret(&self, client_id: &str) -> Option<String> {
        self.credentials.get(client_id)?.clear.clone()
    }
}
