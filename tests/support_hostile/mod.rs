//! A misbehaving SMART-on-FHIR server for `tests/hostile_target.rs`, on loopback: an axum
//! server (`server.rs`: non-JSON answers, huge bodies, redirect loops, `next` loops, slow
//! answers, 503/429 with `Retry-After`) and a raw TCP server (`raw.rs`: connection resets,
//! half responses, endless and dripping bodies). Each behaviour lives under its own first
//! path segment (its *mode*): `{root}/{mode}/fhir` is a Patient Access base whose
//! `.well-known/smart-configuration` is valid (endpoints on the same server, under
//! `{root}/{mode}/oauth2`, with a working form login and token endpoint) unless the mode is
//! about that document. Every request is logged with its arrival time, so a test can count
//! attempts and measure the wait between them.

pub mod child;
pub mod judge;
pub mod plans;
pub mod raw;
pub mod server;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};

/// The Patient Access app of every profile.
pub const CLIENT_ID: &str = "hostile-app";
/// Its registered redirect URIs (never fetched).
pub const REDIRECT_URI: &str = "https://client-app.example/redirect";
pub const REDIRECT_URI_SLASH: &str = "https://client-app.example/callback/";
/// The member who signs in.
pub const USERNAME: &str = "hostile-member";
/// The member's password (given to the child only through its environment).
pub const PASSWORD: &str = "hostile-pw-7c1d";
/// The app's secret (idem).
pub const SECRET: &str = "hostile-secret-42f9";
/// The member's patient, and another patient.
pub const PATIENT: &str = "p1";
pub const OTHER_PATIENT: &str = "p2";
/// The access token the token endpoint issues.
pub const ACCESS_TOKEN: &str = "hostile-access-token-5e6f";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub method: String,
    /// Path without the query.
    pub path: String,
    pub at: Instant,
}

/// Every request either server received, in arrival order.
#[derive(Debug, Clone, Default)]
pub struct Log(Arc<Mutex<Vec<Hit>>>);

impl Log {
    /// Records a request; returns how many requests with this method and path there have been,
    /// this one included (1 for the first).
    pub fn record(&self, method: &str, path: &str) -> usize {
        let mut hits = self.0.lock().unwrap();
        hits.push(Hit {
            method: method.to_string(),
            path: path.to_string(),
            at: Instant::now(),
        });
        hits.iter()
            .filter(|h| h.method == method && h.path == path)
            .count()
    }

    /// Arrival times of the requests with `method` whose path ends with `suffix`.
    pub fn times(&self, method: &str, suffix: &str) -> Vec<Instant> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.method == method && h.path.ends_with(suffix))
            .map(|h| h.at)
            .collect()
    }

    /// How many requests with `method` had a path ending with `suffix`.
    pub fn count(&self, method: &str, suffix: &str) -> usize {
        self.times(method, suffix).len()
    }
}

/// Both servers, running on the current tokio runtime.
pub struct Hostile {
    /// `http://127.0.0.1:port` of the axum server.
    pub root: String,
    /// `http://127.0.0.1:port` of the raw TCP server.
    pub raw: String,
    pub log: Log,
}

impl Hostile {
    /// Binds both servers on `127.0.0.1:0` and serves them in the background.
    pub async fn start() -> Hostile {
        let log = Log::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let root = format!("http://{}", listener.local_addr().unwrap());
        let app = server::app(root.clone(), log.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let raw = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(raw::serve(listener, root.clone(), log.clone()));
        Hostile { root, raw, log }
    }

    /// The Patient Access base of `mode` on the axum server.
    pub fn base(&self, mode: &str) -> String {
        format!("{}/{mode}/fhir", self.root)
    }

    /// The Patient Access base of `mode` on the raw server.
    pub fn raw_base(&self, mode: &str) -> String {
        format!("{}/{mode}/fhir", self.raw)
    }
}

/// A valid SMART configuration whose endpoints are under `{oauth_root}/{mode}/oauth2`.
pub fn smart_configuration(oauth_root: &str, mode: &str) -> Value {
    let at = |p: &str| format!("{oauth_root}/{mode}/oauth2/{p}");
    json!({
        "issuer": at(""),
        "jwks_uri": at("jwks"),
        "authorization_endpoint": at("authorize"),
        "token_endpoint": at("token"),
        "registration_endpoint": at("register"),
        "introspection_endpoint": at("introspect"),
        "revocation_endpoint": at("revoke"),
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "scopes_supported": ["openid", "fhirUser", "launch/patient", "patient/*.rs"],
        "response_types_supported": ["code"],
        "capabilities": ["launch-standalone", "client-confidential-symmetric"],
        "code_challenge_methods_supported": ["S256"],
    })
}
