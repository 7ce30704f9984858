//! The developer portal (seed 000 FAQ, seed 002 "Getting access", "Sandbox vs production
//! access") as a JSON admin API under `/portal`, and the production environment mirror.
//!
//! Portal routes (served only with `--admin`; no authentication: loopback test setups only):
//! - `POST /portal/apps` {name, redirect_uris?} -> 201 {app_id, client_id, client_secret,
//!   credential_id}: the secret is shown once.
//! - `GET /portal/apps/{app}`: the app without secrets. `{app}` is the app id or any live
//!   client_id of the app.
//! - `PUT /portal/apps/{app}/plan` {plan}: subscribe (one plan per app).
//! - `POST /portal/apps/{app}/credentials` -> 201: another credential set (its own client_id).
//! - `POST /portal/apps/{app}/credentials/{credential_id}/reset-secret`: "Reset API Secret".
//! - `POST /portal/apps/{app}/credentials/{credential_id}/reset`: "Reset Credentials".
//! - `POST /portal/apps/{app}/production-request`, `.../production-approval` (the payer's).
//!
//! The production environment itself (`crate::environment`) is mounted by `lib.rs`; the
//! portal decides only which apps may use it.

pub mod store;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::cache_control::no_store;
use crate::state::AppState;
use store::{Issued, Lenience, PortalError, Production};

/// The portal routes (mounted only with `--admin`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/apps", post(create))
        .route("/portal/apps/{app}", get(show))
        .route("/portal/apps/{app}/plan", put(subscribe))
        .route("/portal/apps/{app}/credentials", post(add_credential))
        .route(
            "/portal/apps/{app}/credentials/{credential}/reset-secret",
            post(reset_secret),
        )
        .route(
            "/portal/apps/{app}/credentials/{credential}/reset",
            post(reset_credentials),
        )
        .route(
            "/portal/apps/{app}/production-request",
            post(request_production),
        )
        .route(
            "/portal/apps/{app}/production-approval",
            post(approve_production),
        )
}

type JsonBody<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

fn error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

fn refused(e: PortalError) -> Response {
    match e {
        PortalError::NoSuchApp => error(StatusCode::NOT_FOUND, "not_found", "no such app"),
        PortalError::NoSuchCredential => {
            error(StatusCode::NOT_FOUND, "not_found", "no such credential set")
        }
        PortalError::UnknownPlan => error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "unknown plan: patient-access or provider-directory",
        ),
        PortalError::NotRequested => error(
            StatusCode::CONFLICT,
            "conflict",
            "production access was not requested for this app",
        ),
    }
}

/// A response carrying a secret: never cached.
fn issued(status: StatusCode, i: Issued) -> Response {
    let mut res = (
        status,
        Json(json!({
            "app_id": i.app_id,
            "credential_id": i.credential_id,
            "client_id": i.client_id,
            "client_secret": i.client_secret,
        })),
    )
        .into_response();
    no_store(&mut res);
    res
}

/// The app id named by `key` (an app id or a live client_id of the app).
fn resolve(state: &AppState, key: &str) -> Result<String, PortalError> {
    state.portal.resolve(key).ok_or(PortalError::NoSuchApp)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewApp {
    name: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
}

async fn create(State(state): State<AppState>, body: JsonBody<NewApp>) -> Response {
    let Ok(Json(body)) = body else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "expected {\"name\": ..., \"redirect_uris\": [...]}",
        );
    };
    if body.name.trim().is_empty() {
        return error(StatusCode::BAD_REQUEST, "invalid_request", "name is empty");
    }
    issued(
        StatusCode::CREATED,
        state
            .portal
            .create(body.name, body.redirect_uris, Lenience::of(&state.faults)),
    )
}

async fn show(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let Some(app) = resolve(&state, &key)
        .ok()
        .and_then(|id| state.portal.app(&id))
    else {
        return refused(PortalError::NoSuchApp);
    };
    let credentials: Vec<Value> = app
        .credentials
        .iter()
        .map(|(c, id)| {
            let mut set = json!({"credential_id": c, "client_id": id});
            // Fault (PortalSecretShownAgain): the secret kept in clear is shown again.
            if let Some(secret) = state.portal.kept_secret(id) {
                set["client_secret"] = Value::String(secret);
            }
            set
        })
        .collect();
    Json(json!({
        "app_id": app.id,
        "name": app.name,
        "redirect_uris": app.redirect_uris,
        "plan": app.plan,
        "production": app.production.as_str(),
        "credentials": credentials,
    }))
    .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Subscribe {
    plan: String,
}

async fn subscribe(
    State(state): State<AppState>,
    Path(key): Path<String>,
    body: JsonBody<Subscribe>,
) -> Response {
    let app_id = match resolve(&state, &key) {
        Ok(id) => id,
        Err(e) => return refused(e),
    };
    let Ok(Json(body)) = body else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "expected {\"plan\": \"patient-access\" | \"provider-directory\"}",
        );
    };
    match state.portal.subscribe(&state.registry, &app_id, &body.plan) {
        Ok(()) => Json(json!({"app_id": app_id, "plan": body.plan})).into_response(),
        Err(e) => refused(e),
    }
}

async fn add_credential(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    match resolve(&state, &key).and_then(|id| {
        state
            .portal
            .add_credential(&id, Lenience::of(&state.faults))
    }) {
        Ok(i) => issued(StatusCode::CREATED, i),
        Err(e) => refused(e),
    }
}

async fn reset_secret(
    State(state): State<AppState>,
    Path((key, credential)): Path<(String, String)>,
) -> Response {
    let lenience = Lenience::of(&state.faults);
    match resolve(&state, &key).and_then(|id| state.portal.reset_secret(&id, &credential, lenience))
    {
        Ok(i) => issued(StatusCode::OK, i),
        Err(e) => refused(e),
    }
}

async fn reset_credentials(
    State(state): State<AppState>,
    Path((key, credential)): Path<(String, String)>,
) -> Response {
    let lenience = Lenience::of(&state.faults);
    let reset = |id: String| state.portal.reset_credentials(&id, &credential, lenience);
    match resolve(&state, &key).and_then(reset) {
        Ok(i) => issued(StatusCode::OK, i),
        Err(e) => refused(e),
    }
}

fn production_status(
    app_id: Result<String, PortalError>,
    step: impl Fn(&str) -> Result<Production, PortalError>,
) -> Response {
    match app_id.and_then(|id| step(&id).map(|p| (id, p))) {
        Ok((id, p)) => Json(json!({"app_id": id, "production": p.as_str()})).into_response(),
        Err(e) => refused(e),
    }
}

async fn request_production(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    production_status(resolve(&state, &key), |id| {
        state.portal.request_production(id)
    })
}

async fn approve_production(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    production_status(resolve(&state, &key), |id| {
        state.portal.approve_production(id)
    })
}
