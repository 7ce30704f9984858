//! Member grant management (seed 002: "Members can revoke access grants at any time").
//! The member authenticates with HTTP Basic (username:password):
//!
//! - `GET /member/grants`: the member's active grants, one per client.
//! - `DELETE /member/grants/{client_id}`: revokes every grant the member gave that client;
//!   its access tokens get 401 at the gateway and its refresh tokens `invalid_grant`.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde_json::json;

use crate::auth::client_auth::parse_basic;
use crate::registry::Member;
use crate::state::AppState;

/// Routes under `/member`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/member/grants", get(list))
        .route("/member/grants/{client_id}", delete(revoke))
}

/// A JSON `{"error": text}` answer; a 401 also carries the Basic challenge.
pub(crate) fn error(status: StatusCode, text: &str) -> Response {
    let mut res = (status, axum::Json(json!({ "error": text }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"member\""),
        );
    }
    res
}

/// The member whose username and password the request carries (HTTP Basic), if any.
pub(crate) fn member<'s>(state: &'s AppState, headers: &HeaderMap) -> Option<&'s Member> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| parse_basic(v.as_bytes()))
        .and_then(|(user, password)| {
            state.registry.member_by_username(&user).filter(|m| {
                aws_lc_rs::constant_time::verify_slices_are_equal(
                    m.password.as_bytes(),
                    password.as_bytes(),
                )
                .is_ok()
            })
        })
}

/// The 401 of a request without valid member credentials.
pub(crate) fn unauthenticated() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "member username and password required (HTTP Basic)",
    )
}

async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(m) = member(&state, &headers) else {
        return unauthenticated();
    };
    let mut by_client: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    for g in state.tokens.grants.iter() {
        if g.patient_id == m.patient_id && !g.revoked {
            let e = by_client
                .entry(g.client_id.clone())
                .or_insert((0, g.created_at));
            e.0 += 1;
            e.1 = e.1.min(g.created_at);
        }
    }
    let grants: Vec<_> = by_client
        .into_iter()
        .map(|(client_id, (count, since))| {
            let name = state.client(&client_id).map(|c| c.name.clone());
            json!({ "client_id": client_id, "client_name": name, "authorizations": count, "since": since })
        })
        .collect();
    axum::Json(json!({ "patient": m.patient_id, "grants": grants })).into_response()
}

async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Response {
    let Some(m) = member(&state, &headers) else {
        return unauthenticated();
    };
    if state.client(&client_id).is_none() {
        return error(StatusCode::NOT_FOUND, "unknown client_id");
    }
    let revoked = state.tokens.revoke_member_grants(&m.patient_id, &client_id);
    axum::Json(json!({ "client_id": client_id, "revoked": revoked })).into_response()
}
