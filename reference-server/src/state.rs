//! The shared application state handed to every handler.

use std::borrow::Cow;
use std::ops::Deref;
use std::sync::Arc;

use crate::config::Config;
use crate::faults::FaultSwitches;
use crate::keys::SigningKey;
use crate::patient_keys::store::PatientKeyStore;
use crate::portal::store::PortalStore;
use crate::registry::{Client, Registry};
use crate::store::DataStore;
use crate::tokens::TokenStore;
use crate::urls::Urls;

/// Everything a handler may read. Cheap to clone (one `Arc`).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// The parts of [`AppState`].
#[derive(Debug)]
pub struct Shared {
    pub config: Config,
    pub urls: Urls,
    pub registry: Registry,
    pub data: DataStore,
    pub key: SigningKey,
    pub tokens: TokenStore,
    /// Patient-generated key/secret pairs (seed 003).
    pub patient_keys: PatientKeyStore,
    /// Developer portal apps and their credential sets (seed 000).
    pub portal: PortalStore,
    /// The defects switched on (none by default).
    pub faults: FaultSwitches,
}

impl AppState {
    /// Wraps the parts.
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }

    /// A registered client by id: a fixture client, or a live credential set of a
    /// developer-portal app (its secret is not checked here; the token endpoint does).
    pub fn client(&self, id: &str) -> Option<Cow<'_, Client>> {
        self.registry
            .client(id)
            .map(Cow::Borrowed)
            .or_else(|| self.portal.client(id).map(Cow::Owned))
    }
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}
