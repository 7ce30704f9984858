//! Member grant management.
use axum::Router;
use crate::state::AppState;
/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
}
