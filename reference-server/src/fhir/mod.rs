//! The FHIR APIs behind the gateway.

use axum::Router;

use crate::state::AppState;

/// Routes of both FHIR bases.
pub fn router() -> Router<AppState> {
    Router::new()
}
