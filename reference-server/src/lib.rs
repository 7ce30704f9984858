//! The reference server: the documented SMART-on-FHIR payer API (seeds 001 and 002),
//! implemented exactly, so smartcheck runs out of the box and every check can be proven.
//!
//! Areas, each with its own router: `auth` (authorize, login and consent pages, token,
//! introspection, revocation, JWKS), `gateway` (bearer, plan and claim rules), `fhir`
//! (Patient Access and Provider Directory APIs), `member` (grant revocation), `discovery`,
//! `home`, and `portal` (the developer portal admin API and the `/production` mirror).

pub mod admin;
pub mod app_id;
pub mod auth;
mod cache_control;
pub mod config;
pub mod data;
pub mod discovery;
pub mod environment;
pub mod error;
pub mod faults;
pub mod fhir;
pub mod gateway;
pub mod home;
mod html;
pub mod inject;
pub mod keys;
pub mod limits;
pub mod member;
pub mod outcome;
pub mod params;
pub mod patient_keys;
pub mod portal;
pub mod redirect;
pub mod registry;
pub mod scope;
pub mod state;
pub mod store;
pub mod tokens;
pub mod urls;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use smartcheck_common::fhirtime;

pub use config::Config;
pub use error::StartError;
pub use state::AppState;

/// Largest request body accepted anywhere (form posts are small).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The production mirror (seed 002 "Sandbox vs production access"): the token endpoint and
/// both FHIR bases again under `/production`, each request marked as production.
fn production_router() -> Router<AppState> {
    let mirror = fhir::router()
        .route(
            "/oauth2/token",
            axum::routing::post(auth::token::production_token),
        )
        .layer(axum::middleware::from_fn(environment::mark_production));
    Router::new().nest(environment::PRODUCTION_PATH, mirror)
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let injected = inject::Injected::from_config(&state.config);
    let admin = if state.config.admin {
        admin::router().merge(portal::router())
    } else {
        Router::new()
    };
    let router = Router::new()
        .merge(admin)
        .merge(home::router())
        .merge(discovery::router())
        .merge(auth::router())
        .merge(member::router())
        .merge(fhir::router())
        .merge(patient_keys::router())
        .merge(app_id::router())
        .merge(production_router())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(limits::bound_request))
        // Belt and braces: a bug must cost one 500, never a dropped connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .with_state(state);
    match injected {
        Some(injected) => router.layer(axum::middleware::from_fn_with_state(
            injected,
            inject::delay_request,
        )),
        None => router,
    }
}

/// Builds the state for a server whose public root URL is `root`.
pub fn build_state(config: Config, root: &str) -> Result<AppState, StartError> {
    let key = match &config.signing_key {
        Some(path) => {
            let pem = std::fs::read_to_string(path).map_err(|source| StartError::ReadKey {
                path: path.clone(),
                source,
            })?;
            keys::SigningKey::from_pem(&pem)?
        }
        None => keys::SigningKey::generate()?,
    };
    let registry = registry::Registry::load(config.seed, config.members)?;
    let config_faults = config.faults.clone();
    // Sandbox members' records up front; generated members' on first use.
    let fixture_members = registry.members().len() - config.members as usize;
    let data = store::DataStore::new(config.seed, &registry, fixture_members);
    Ok(AppState::new(state::Shared {
        urls: urls::Urls::new(root),
        config,
        registry,
        data,
        key,
        tokens: tokens::TokenStore::default(),
        patient_keys: patient_keys::store::PatientKeyStore::default(),
        portal: portal::store::PortalStore::default(),
        faults: faults::FaultSwitches::with(&config_faults),
    }))
}

/// A server running in the background of the current tokio runtime.
#[derive(Debug)]
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// The public root URL (e.g. `http://127.0.0.1:38291`).
    pub fn root(&self) -> &str {
        &self.state.urls.root
    }

    /// Stops accepting connections and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = self.task.await;
    }
}

/// Binds `config.bind`, builds the state and serves until [`RunningServer::shutdown`].
pub async fn start(config: Config) -> Result<RunningServer, StartError> {
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.bind,
            source,
        })?;
    let addr = listener.local_addr().map_err(StartError::Address)?;
    let root = match &config.public_url {
        Some(u) => u.as_str().trim_end_matches('/').to_string(),
        None => format!("http://{addr}"),
    };
    let state = build_state(config, &root)?;
    let sweeper_state = state.clone();
    let sweeper = tokio::spawn(async move {
        // The first sweep one period after the start, not at once: a harness that plants
        // an expired token right after start (the expired-token checks) must find it.
        let period = Duration::from_secs(30);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            tick.tick().await;
            sweeper_state
                .tokens
                .sweep(sweeper_state.config.refresh_token_ttl);
        }
    });
    let (tx, rx) = oneshot::channel::<()>();
    let router = app(state.clone());
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        sweeper.abort();
        served
    });
    Ok(RunningServer {
        addr,
        state,
        shutdown: Some(tx),
        task,
    })
}

/// Starts the server, prints where it listens, and serves until Ctrl-C.
pub async fn run_foreground(config: Config) -> Result<(), StartError> {
    let server = start(config).await?;
    let urls = &server.state.urls;
    println!("reference server listening on {}", server.addr);
    println!("  home page:          {}/", urls.root);
    println!("  Patient Access:     {}", urls.patient_access);
    println!("  Provider Directory: {}", urls.provider_directory);
    println!(
        "  SMART discovery:    {}/.well-known/smart-configuration",
        urls.patient_access
    );
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    Ok(())
}
