//! The two environments of seed 002 ("Sandbox vs production access"): the existing API and
//! the `/production` mirror, served always: `/production/oauth2/token`, `/production/fhir`,
//! `/production/provider-directory/fhir` are the sandbox routers nested again (in `lib.rs`),
//! each request marked [`Environment::Production`]. Tokens carry their environment in their
//! text. Which apps may use production is the portal's business (`crate::portal`).

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use crate::tokens::random_token;

/// Path prefix of the production mirror.
pub const PRODUCTION_PATH: &str = "/production";

/// Tokens issued by the production token endpoint start with this; base64url never holds a
/// `.`, so no sandbox token can.
pub const PRODUCTION_TOKEN_PREFIX: &str = "prod.";

/// Which environment a request or a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// The existing API (synthetic data, automatic access).
    Sandbox,
    /// The `/production` mirror (approved portal apps only).
    Production,
}

impl Environment {
    /// The environment a token was issued in.
    pub fn of_token(token: &str) -> Environment {
        if token.starts_with(PRODUCTION_TOKEN_PREFIX) {
            Environment::Production
        } else {
            Environment::Sandbox
        }
    }

    /// A new opaque token (access or refresh) of this environment.
    pub fn new_token(self) -> String {
        match self {
            Environment::Sandbox => random_token(),
            Environment::Production => format!("{PRODUCTION_TOKEN_PREFIX}{}", random_token()),
        }
    }

    /// The environment of a request: production when it came through the mirror.
    pub fn of_request(extensions: &axum::http::Extensions) -> Environment {
        extensions
            .get::<Environment>()
            .copied()
            .unwrap_or(Environment::Sandbox)
    }
}

/// Marks a request that came through the production mirror (`lib.rs` mounts it).
pub async fn mark_production(mut req: Request, next: Next) -> Response {
    req.extensions_mut().insert(Environment::Production);
    next.run(req).await
}
