//! The authorization server: authorize, the member's login and consent pages, token,
//! introspection, revocation, JWKS and the (portal-only) registration endpoint.

pub mod authorize;
pub mod client_assertion;
pub mod client_auth;
pub mod error;
pub mod grants;
pub mod id_token;
pub mod introspect;
pub mod login;
pub mod pages;
pub mod pkce;
pub mod token;
pub mod token_rules;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::json;

use crate::state::AppState;
use crate::urls::OAUTH_PATH;

/// Routes under `/oauth2`.
pub fn router() -> Router<AppState> {
    Router::new().nest(
        OAUTH_PATH,
        Router::new()
            .route("/authorize", get(authorize::authorize))
            .route("/login", post(login::login))
            .route("/consent", post(login::consent))
            .route("/token", post(token::token))
            .route("/introspect", post(introspect::introspect))
            .route("/revoke", post(introspect::revoke))
            .route("/jwks", get(jwks))
            .route("/register", any(register)),
    )
}

/// `GET /oauth2/jwks`: the public signing key(s).
async fn jwks(State(state): State<AppState>) -> Response {
    let mut res = axum::Json(state.key.jwks().clone()).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    res
}

/// `/oauth2/register`: listed in discovery because seed 002 lists a registration endpoint,
/// but clients are created in the developer portal (seed 000), so dynamic registration
/// (RFC 7591) is refused with a pointer to the portal.
async fn register() -> Response {
    let body = json!({
        "error": "access_denied",
        "error_description": "client applications are registered in the developer portal; dynamic registration is not offered",
    });
    (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
}
