//! The FHIR APIs behind the gateway (DESIGN section 4 "FHIR APIs").
//!
//! Patient Access base `/fhir` ([`PatientCaller`]):
//! - `GET /fhir/{type}/{id}`: read; compartment types from the caller's own record (another
//!   patient's resource is a 403), directory and formulary types from the shared data.
//! - `GET /fhir/{type}` (also `/fhir/{type}/`, as seed 001's example writes it): search.
//! - `GET /fhir/Patient/{id}/$everything`: the compartment in phases ([`everything`]).
//!
//! Provider Directory base `/provider-directory/fhir` ([`DirectoryCaller`]): read and paged
//! search of the Plan-Net types ([`directory`]).
//!
//! Every other method on these paths is a 405 and every other path under a base a 404, both
//! with an OperationOutcome and both after the gateway. Discovery (`metadata`,
//! `.well-known/smart-configuration`) is routed elsewhere; those static routes win over the
//! `{type}` parameter and the catch-all here.

pub mod bundle;
pub mod directory;
pub mod everything;
pub mod everything_paging;
pub mod filter;
pub mod patient_access;
pub mod phases;
pub mod search;

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use bytes::Bytes;

use crate::faults::{Fault, FaultSwitches};
use crate::gateway::{DirectoryCaller, PatientCaller};
use crate::outcome::{FHIR_JSON, FhirError};
use crate::params::{ParamError, Params};
use crate::state::AppState;
use crate::store::{ResourceSet, StoredResource};
use crate::urls::{PATIENT_ACCESS_PATH, PROVIDER_DIRECTORY_PATH};
use bundle::{BundleHead, write_bundle_of_type};
use search::Search;

/// Resource types of the patient compartment served by the Patient Access API.
pub const COMPARTMENT_TYPES: [&str; 10] = [
    "Patient",
    "Coverage",
    "ExplanationOfBenefit",
    "Condition",
    "Observation",
    "Encounter",
    "MedicationRequest",
    "AllergyIntolerance",
    "Immunization",
    "Procedure",
];

/// Shared (directory and formulary) types any Patient Access caller may read, even when the
/// data holds none; types the shared data does hold are served too.
pub const SHARED_TYPES: [&str; 8] = [
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "Location",
    "HealthcareService",
    "InsurancePlan",
    "Endpoint",
    "MedicationKnowledge",
];

/// Types of the Provider Directory API (PDex Plan-Net).
pub const DIRECTORY_TYPES: [&str; 7] = [
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Location",
    "HealthcareService",
    "InsurancePlan",
    "Endpoint",
];

/// Routes of both FHIR bases. Each base is a nested router so its fallback (a 404
/// OperationOutcome behind the gateway) covers every other path under it; a catch-all route
/// beside the `{type}` parameter would conflict in the router.
pub fn router() -> Router<AppState> {
    let patient_access = Router::new()
        .route(
            "/{type}",
            get(patient_access::search).fallback(patient_not_allowed),
        )
        .route(
            "/{type}/",
            get(patient_access::search).fallback(patient_not_allowed),
        )
        .route(
            "/{type}/{id}",
            get(patient_access::read).fallback(patient_not_allowed),
        )
        .route(
            "/{type}/{id}/{op}",
            get(everything::everything).fallback(patient_not_allowed),
        )
        .fallback(patient_no_such_path);
    let directory = Router::new()
        .route(
            "/{type}",
            get(directory::search).fallback(directory_not_allowed),
        )
        .route(
            "/{type}/",
            get(directory::search).fallback(directory_not_allowed),
        )
        .route(
            "/{type}/{id}",
            get(directory::read).fallback(directory_not_allowed),
        )
        .fallback(directory_no_such_path);
    // A nested fallback's catch-all does not match the empty tail of `{base}/`.
    Router::new()
        .nest(PATIENT_ACCESS_PATH, patient_access)
        .nest(PROVIDER_DIRECTORY_PATH, directory)
        .route(
            &format!("{PATIENT_ACCESS_PATH}/"),
            any(patient_no_such_path),
        )
        .route(
            &format!("{PROVIDER_DIRECTORY_PATH}/"),
            any(directory_no_such_path),
        )
}

/// 405 with an OperationOutcome and `Allow` (RFC 9110 15.5.6).
pub(crate) fn not_allowed() -> Response {
    let err = FhirError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "not-supported",
        "this API is read-only: only GET (and HEAD) interactions are supported",
    );
    (
        [(header::ALLOW, HeaderValue::from_static("GET, HEAD"))],
        err,
    )
        .into_response()
}

async fn patient_not_allowed(_caller: PatientCaller) -> Response {
    not_allowed()
}

async fn directory_not_allowed(_caller: DirectoryCaller) -> Response {
    not_allowed()
}

fn no_such_path() -> FhirError {
    FhirError::not_found(
        "no such FHIR interaction: use [base]/[type], [base]/[type]/[id] or [base]/Patient/[id]/$everything",
    )
}

async fn patient_no_such_path(_caller: PatientCaller) -> FhirError {
    no_such_path()
}

async fn directory_no_such_path(_caller: DirectoryCaller) -> FhirError {
    no_such_path()
}

/// A 200 with a FHIR JSON body.
pub(crate) fn fhir_ok(body: Bytes) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON))],
        body,
    )
        .into_response()
}

/// A read: the stored serialisation as is (no re-serialisation on the hot path), with a weak
/// ETag from `meta.versionId` (`W/"1"` when the resource has none).
pub(crate) fn read_response(r: &StoredResource) -> Response {
    let version = r.value["meta"]["versionId"].as_str().unwrap_or("1");
    let etag = HeaderValue::from_str(&format!("W/\"{version}\""))
        .unwrap_or(HeaderValue::from_static("W/\"1\""));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON)),
            (header::ETAG, etag),
        ],
        r.json.clone(),
    )
        .into_response()
}

/// The query string as parameters; oversize input is a 400.
pub(crate) fn query_params(query: Option<&str>) -> Result<Params, FhirError> {
    Params::from_query(query).map_err(|e| match e {
        ParamError::TooLarge => FhirError::invalid("the query string is too large"),
        other => FhirError::invalid(other.to_string()),
    })
}

/// A malformed parameter's error as answered: the 400 it is (FHIR RESTful API: a client
/// error, never a server one). Fault `ServerErrorOnBadInput`: the 500 of a parse failure
/// nobody turned into a client error.
pub(crate) fn param_error_with(e: FhirError, faults: &FaultSwitches) -> FhirError {
    if faults.on(Fault::ServerErrorOnBadInput) && e.status == StatusCode::BAD_REQUEST {
        return FhirError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "exception",
            "internal server error",
        );
    }
    e
}

/// A search of either API parsed as served: a bad value as [`param_error_with`] answers it.
/// Fault `SearchIgnoresCount`: `_count` is read but every page has the default size.
/// Fault `SearchIdentifierIgnored`: `identifier` stays in the links but matches everything.
pub(crate) fn parse_search_with(
    params: &Params,
    spec: &search::SearchSpec<'_>,
    faults: &FaultSwitches,
) -> Result<search::Search, FhirError> {
    let mut search = search::parse_search(params, spec).map_err(|e| param_error_with(e, faults))?;
    if faults.on(Fault::SearchIgnoresCount) {
        search.count = spec.default_count;
    }
    if faults.on(Fault::SearchIdentifierIgnored) {
        for (name, _, filter) in &mut search.criteria {
            if *name == "identifier" {
                *filter = filter::Filter::Ignored;
            }
        }
    }
    Ok(search)
}

/// A path that could not be decoded (e.g. percent-encoded invalid UTF-8) is a 400.
pub(crate) fn path_error(e: PathRejection) -> FhirError {
    FhirError::invalid(format!("malformed request path: {}", e.body_text()))
}

/// 404 `not-supported` for a resource type this API does not serve.
pub(crate) fn unsupported_type(resource_type: &str) -> FhirError {
    let shown: String = resource_type.chars().take(64).collect();
    FhirError::new(
        StatusCode::NOT_FOUND,
        "not-supported",
        format!("resource type `{shown}` is not supported here"),
    )
}

/// 404 `not-found` for a missing resource.
pub(crate) fn not_found(resource_type: &str, id: &str) -> FhirError {
    FhirError::not_found(format!("{resource_type}/{id} is not known"))
}

/// Checks FHIR id syntax: `$op` on a type is an unsupported operation (404), anything else
/// malformed a 400.
pub(crate) fn check_id(id: &str) -> Result<(), FhirError> {
    if id.starts_with('$') {
        return Err(FhirError::new(
            StatusCode::NOT_FOUND,
            "not-supported",
            "type-level operations are not supported; use Patient/[id]/$everything",
        ));
    }
    if search::is_id(id) {
        Ok(())
    } else {
        Err(FhirError::invalid(
            "a resource id is 1-64 characters of A-Z, a-z, 0-9, '-' and '.'",
        ))
    }
}

/// The caller's compartment (empty when the token's patient is not a member).
pub(crate) fn caller_record(state: &AppState, patient_id: &str) -> Arc<ResourceSet> {
    match state.registry.member_by_patient(patient_id) {
        Some(member) => state.data.record(member),
        None => Arc::new(ResourceSet::default()),
    }
}

/// Whether `resource_type` belongs to the patient compartment: the listed types and any
/// other type the generator put in the record.
pub(crate) fn is_compartment_type(resource_type: &str, record: &ResourceSet) -> bool {
    COMPARTMENT_TYPES.contains(&resource_type) || record.of_type(resource_type).next().is_some()
}

/// A search result page: `matches` paged by `search`, with absolute links on `base`, as a
/// Bundle of `bundle_type` (`searchset`; only a fault asks for another).
pub(crate) fn search_page(
    bundle_type: &str,
    base: &str,
    resource_type: &str,
    search: &Search,
    matches: &[&StoredResource],
    faults: &FaultSwitches,
) -> Response {
    let url = format!("{base}/{resource_type}");
    let (range, next) = search::page(matches.len(), search.offset, search.count);
    // Fault `SearchPagesOverlap`: the next page starts one entry early.
    let next = next.map(|o| {
        if faults.on(Fault::SearchPagesOverlap) {
            o - 1
        } else {
            o
        }
    });
    let self_link = search.link(&url, search.offset_given.then_some(search.offset));
    let next_link = next.map(|o| search.link(&url, Some(o)));
    let head = BundleHead {
        self_link: &self_link,
        next_link: next_link.as_deref(),
        total: Some(matches.len()),
        now: i64::try_from(crate::tokens::now()).unwrap_or(0),
    };
    fhir_ok(write_bundle_of_type(
        &head,
        bundle_type,
        base,
        &matches[range],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_syntax() {
        assert!(check_id("ffaa7043-d695-4cf0-a541-945bca539041").is_ok());
        assert!(check_id("a.b-C9").is_ok());
        assert_eq!(
            check_id(&"x".repeat(65)).unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(check_id("a_b").unwrap_err().status, StatusCode::BAD_REQUEST);
        assert_eq!(check_id("").unwrap_err().status, StatusCode::BAD_REQUEST);
        assert_eq!(
            check_id("$everything").unwrap_err().status,
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn a_bad_parameter_stays_a_400_unless_the_fault_makes_it_a_500() {
        let clean = FaultSwitches::default();
        let faults = FaultSwitches::with(&[Fault::ServerErrorOnBadInput]);
        let bad = || FhirError::invalid("_count: not a number");
        let forbidden = || FhirError::forbidden("not yours");
        assert_eq!(
            param_error_with(bad(), &clean).status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            param_error_with(bad(), &faults).status,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            param_error_with(forbidden(), &faults).status,
            StatusCode::FORBIDDEN
        );
    }

    #[test]
    fn routes_coexist_with_discovery_routes() {
        // Building the merged router panics on a route conflict.
        let discovery: Router<AppState> = Router::new()
            .route("/fhir/metadata", get(|| async { "m" }))
            .route(
                "/fhir/.well-known/smart-configuration",
                get(|| async { "w" }),
            )
            .route("/provider-directory/fhir/metadata", get(|| async { "m" }))
            .route(
                "/provider-directory/fhir/.well-known/smart-configuration",
                get(|| async { "w" }),
            );
        let _ = router().merge(discovery);
    }
}
