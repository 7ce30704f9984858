//! Patient Access API read and search (seed 001 "Read a resource", "Search for a
//! resource"). Compartment types come from the caller's own record only: naming another
//! member's patient or resource is a 403 ("patient compartment"), an unknown one a 404 or an
//! empty search. Directory and formulary types come from the shared data.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;

use super::filter::Filter;
use super::search::{Search, SearchSpec};
use super::{
    SHARED_TYPES, caller_record, check_id, is_compartment_type, not_found, parse_search_with,
    path_error, query_params, read_response, search_page, unsupported_type,
};
use crate::faults::{Fault, FaultSwitches};
use crate::gateway::PatientCaller;
use crate::outcome::FhirError;
use crate::state::AppState;
use crate::store::{ResourceSet, StoredResource};

/// Where a resource type is served from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The caller's own record.
    Compartment,
    /// The shared directory and formulary data.
    Shared,
}

/// Which data serves `resource_type`, or None when the API does not serve it.
fn source_of(state: &AppState, resource_type: &str, record: &ResourceSet) -> Option<Source> {
    if is_compartment_type(resource_type, record) {
        Some(Source::Compartment)
    } else if SHARED_TYPES.contains(&resource_type)
        || state.data.shared.of_type(resource_type).next().is_some()
    {
        Some(Source::Shared)
    } else {
        None
    }
}

/// Search parameters of compartment types (besides `_count`/`_offset`).
fn compartment_params(resource_type: &str) -> &'static [&'static str] {
    if resource_type == "Patient" {
        &["_id", "identifier", "name", "gender", "_lastUpdated"]
    } else {
        &[
            "_id",
            "patient",
            "subject",
            "beneficiary",
            "identifier",
            "_lastUpdated",
        ]
    }
}

/// Search parameters of shared (directory and formulary) types.
pub(crate) fn shared_params(resource_type: &str) -> &'static [&'static str] {
    match resource_type {
        "PractitionerRole" => &[
            "_id",
            "identifier",
            "practitioner",
            "organization",
            "_lastUpdated",
        ],
        "Location" | "Organization" => {
            &["_id", "name", "identifier", "address-state", "_lastUpdated"]
        }
        _ => &["_id", "name", "identifier", "_lastUpdated"],
    }
}

fn compartment_denied(resource_type: &str, id: &str) -> FhirError {
    FhirError::insufficient_scope(
        None,
        format!("patient compartment: {resource_type}/{id} belongs to another patient"),
    )
}

/// Whether `Type/id` is in another patient's compartment.
fn belongs_to_other(state: &AppState, patient_id: &str, resource_type: &str, id: &str) -> bool {
    let other_patient = resource_type == "Patient"
        && id != patient_id
        && state.registry.member_by_patient(id).is_some();
    other_patient
        || state
            .data
            .owner_of(resource_type, id)
            .is_some_and(|owner| owner != patient_id)
}

/// The record holding `Type/id` (a Patient is its own record's owner), if generated.
fn other_record(state: &AppState, resource_type: &str, id: &str) -> Option<Arc<ResourceSet>> {
    let owner = match resource_type {
        "Patient" => id.to_string(),
        _ => state.data.owner_of(resource_type, id)?,
    };
    let member = state.registry.member_by_patient(&owner)?;
    Some(state.data.record(member))
}

/// `GET /fhir/{type}/{id}`.
pub async fn read(
    caller: PatientCaller,
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, FhirError> {
    let Path((resource_type, id)) = path.map_err(path_error)?;
    read_for(&state, &caller.patient_id, &resource_type, &id)
}

/// A read on behalf of `patient_id` (the Patient Access API and the patient-generated
/// credentials profile share it).
pub(crate) fn read_for(
    state: &AppState,
    patient_id: &str,
    resource_type: &str,
    id: &str,
) -> Result<Response, FhirError> {
    let record = caller_record(state, patient_id);
    let source =
        source_of(state, resource_type, &record).ok_or_else(|| unsupported_type(resource_type))?;
    check_id(id)?;
    match source {
        Source::Compartment => match compartment_read_with(state, &record, resource_type, id) {
            Some(r) => Ok(r),
            None if belongs_to_other(state, patient_id, resource_type, id) => {
                Err(compartment_denied(resource_type, id))
            }
            None => Err(not_found(resource_type, id)),
        },
        Source::Shared => state
            .data
            .shared
            .get(resource_type, id)
            .map(read_response)
            .ok_or_else(|| not_found(resource_type, id)),
    }
}

/// The compartment rule of a read by id: only the caller's own record is read.
fn compartment_read(record: &ResourceSet, resource_type: &str, id: &str) -> Option<Response> {
    record.get(resource_type, id).map(read_response)
}

/// [`compartment_read`] as served. Fault `OtherPatientDataReturned`: a read by id falls back
/// to the record that holds the resource, whoever it belongs to.
fn compartment_read_with(
    state: &AppState,
    record: &ResourceSet,
    resource_type: &str,
    id: &str,
) -> Option<Response> {
    compartment_read(record, resource_type, id).or_else(|| {
        if !state.faults.on(Fault::OtherPatientDataReturned) {
            return None;
        }
        other_record(state, resource_type, id)
            .and_then(|other| compartment_read(&other, resource_type, id))
    })
}

/// A search answers a `searchset` Bundle (FHIR RESTful API "search").
pub fn search_bundle_type() -> &'static str {
    "searchset"
}

/// [`search_bundle_type`] as answered. Fault `SearchNotSearchset`: searches are answered as a
/// `collection` Bundle, as if they were a document.
pub fn search_bundle_type_with(faults: &FaultSwitches) -> &'static str {
    if faults.on(Fault::SearchNotSearchset) {
        return "collection";
    }
    search_bundle_type()
}

/// `GET /fhir/{type}`.
pub async fn search(
    caller: PatientCaller,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, FhirError> {
    let Path(resource_type) = path.map_err(path_error)?;
    let base = &caller.base;
    search_for(
        &state,
        &caller.patient_id,
        base,
        &resource_type,
        query.as_deref(),
    )
}

/// A search on behalf of `patient_id`, its paging links on `base` (the Patient Access API
/// and the patient-generated credentials profile share it).
pub(crate) fn search_for(
    state: &AppState,
    patient_id: &str,
    base: &str,
    resource_type: &str,
    query: Option<&str>,
) -> Result<Response, FhirError> {
    let record = caller_record(state, patient_id);
    let source =
        source_of(state, resource_type, &record).ok_or_else(|| unsupported_type(resource_type))?;
    let params = query_params(query)?;
    let allowed = match source {
        Source::Compartment => compartment_params(resource_type),
        Source::Shared => shared_params(resource_type),
    };
    let spec = SearchSpec {
        allowed,
        base,
        default_count: state.config.page_size,
        max_count: state.config.max_page_size,
    };
    let search = parse_search_with(&params, &spec, &state.faults)?;
    let crossed = crossed_records(state, patient_id, resource_type, &search);
    let matches: Vec<&StoredResource> = match source {
        Source::Compartment
            if !crossed.is_empty()
                || names_only_caller(state, patient_id, resource_type, &search)? =>
        {
            std::iter::once(&record)
                .chain(&crossed)
                .flat_map(|r| r.of_type(resource_type))
                .filter(|r| search.matches(r))
                .collect()
        }
        Source::Compartment => Vec::new(),
        Source::Shared => state
            .data
            .shared
            .of_type(resource_type)
            .filter(|r| search.matches(r))
            .collect(),
    };
    Ok(search_page(
        search_bundle_type_with(&state.faults),
        base,
        resource_type,
        &search,
        &matches,
        &state.faults,
    ))
}

/// The other members' records a compartment search also reads: none. Faults
/// `IdSearchCrossesCompartment` (an `_id` naming another patient's resource reads its record)
/// and `ReferenceSearchCrossesCompartment` (a `subject` or `beneficiary` naming another
/// member's patient reads that patient's record).
fn crossed_records(
    state: &AppState,
    patient_id: &str,
    resource_type: &str,
    search: &Search,
) -> Vec<Arc<ResourceSet>> {
    let mut crossed = Vec::new();
    for (name, _, filter) in &search.criteria {
        match filter {
            Filter::Ids(ids) if state.faults.on(Fault::IdSearchCrossesCompartment) => {
                crossed.extend(
                    ids.iter()
                        .filter(|id| belongs_to_other(state, patient_id, resource_type, id))
                        .filter_map(|id| other_record(state, resource_type, id)),
                );
            }
            Filter::Patient(id)
                if matches!(*name, "subject" | "beneficiary")
                    && state.faults.on(Fault::ReferenceSearchCrossesCompartment)
                    && belongs_to_other(state, patient_id, "Patient", id) =>
            {
                crossed.extend(other_record(state, "Patient", id));
            }
            _ => {}
        }
    }
    crossed
}

/// Checks the patient a compartment search names: another member's patient (by `patient`,
/// `subject`, `beneficiary`, or `_id` on Patient) or another patient's resource id is a 403;
/// false when it names a patient that does not exist (an empty result).
fn names_only_caller(
    state: &AppState,
    patient_id: &str,
    resource_type: &str,
    search: &Search,
) -> Result<bool, FhirError> {
    let mut possible = true;
    for filter in search.filters() {
        match filter {
            Filter::Patient(id) if *id != patient_id => {
                if belongs_to_other(state, patient_id, "Patient", id) {
                    return Err(compartment_denied("Patient", id));
                }
                possible = false;
            }
            Filter::Ids(ids) => {
                if let Some(id) = ids
                    .iter()
                    .find(|id| belongs_to_other(state, patient_id, resource_type, id))
                {
                    return Err(compartment_denied(resource_type, id));
                }
            }
            _ => {}
        }
    }
    Ok(possible)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_a_searchset_unless_the_fault_makes_it_a_collection() {
        assert_eq!(search_bundle_type(), "searchset");
        let clean = FaultSwitches::default();
        assert_eq!(search_bundle_type_with(&clean), "searchset");
        let faults = FaultSwitches::with(&[Fault::SearchNotSearchset]);
        assert_eq!(search_bundle_type_with(&faults), "collection");
    }
}
