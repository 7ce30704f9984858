//! `GET`/`PUT /admin/faults`: the fault switches of a running server, for self-tests against a
//! server in another process. Served only with `--admin` (it has no authentication: loopback
//! test setups only); otherwise these paths are 404 like any unknown path.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::faults::Fault;
use crate::state::AppState;

/// Routes: `/admin/faults`.
pub fn router() -> Router<AppState> {
    Router::new().route("/admin/faults", get(list).put(set))
}

/// Every fault, whether it is on, and the requirement ids it violates.
async fn list(State(state): State<AppState>) -> Json<serde_json::Value> {
    let faults: Vec<_> = Fault::all()
        .into_iter()
        .map(|f| {
            json!({
                "name": f.name(),
                "on": state.faults.on(f),
                "defect": f.defect(),
                "requirements": f.requirements(),
            })
        })
        .collect();
    Json(json!({ "faults": faults }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFaults {
    /// The faults to switch on; every other is switched off.
    on: Vec<String>,
}

/// Switches exactly the named faults on; an unknown name is a 400 naming it.
async fn set(
    State(state): State<AppState>,
    body: Result<Json<SetFaults>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(body)) = body else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "expected {\"on\": [fault names]}"})),
        )
            .into_response();
    };
    let mut faults = Vec::new();
    for name in &body.on {
        match Fault::parse(name) {
            Some(f) => faults.push(f),
            None => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": format!("unknown fault {name:?}")})),
                )
                    .into_response();
            }
        }
    }
    state.faults.set(&faults);
    let on: Vec<String> = state.faults.active().into_iter().map(Fault::name).collect();
    Json(json!({ "on": on })).into_response()
}
