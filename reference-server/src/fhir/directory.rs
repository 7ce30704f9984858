//! Provider Directory API (DESIGN section 4, PDex Plan-Net): read and paged search of
//! Practitioner, PractitionerRole, Organization, Location, HealthcareService, InsurancePlan
//! and Endpoint from the shared data, leaving out the drug formulary (its InsurancePlans and
//! Locations carry US Drug Formulary profiles and are Patient Access data).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde_json::Value;

use super::patient_access::shared_params;
use super::search::SearchSpec;
use super::{
    DIRECTORY_TYPES, check_id, not_found, parse_search_with, path_error, query_params,
    read_response, search_page, unsupported_type,
};
use crate::faults::{Fault, FaultSwitches};
use crate::gateway::DirectoryCaller;
use crate::outcome::FhirError;
use crate::state::AppState;
use crate::store::StoredResource;

/// Whether a resource carries a US Drug Formulary profile.
pub fn is_formulary(value: &Value) -> bool {
    let formulary = |p: &Value| {
        p.as_str()
            .is_some_and(|p| p.contains("usdf") || p.contains("davinci-drug-formulary"))
    };
    value["meta"]["profile"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(formulary))
}

/// Whether the directory serves `r` (its type is checked by the caller).
fn in_directory(r: &StoredResource) -> bool {
    !is_formulary(&r.value)
}

/// PDex Plan-Net (DESIGN section 4): the directory serves exactly [`DIRECTORY_TYPES`].
pub fn serves(resource_type: &str) -> bool {
    DIRECTORY_TYPES.contains(&resource_type)
}

/// [`serves`] as the directory applies it. Fault `DirectoryTypeMissing`: HealthcareService
/// was left out of the directory's type list.
pub fn serves_with(resource_type: &str, faults: &FaultSwitches) -> bool {
    serves(resource_type)
        && !(faults.on(Fault::DirectoryTypeMissing) && resource_type == "HealthcareService")
}

fn check_type(state: &AppState, resource_type: &str) -> Result<(), FhirError> {
    if serves_with(resource_type, &state.faults) {
        Ok(())
    } else {
        Err(unsupported_type(resource_type))
    }
}

/// `GET /provider-directory/fhir/{type}/{id}`.
pub async fn read(
    _caller: DirectoryCaller,
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, FhirError> {
    let Path((resource_type, id)) = path.map_err(path_error)?;
    check_type(&state, &resource_type)?;
    check_id(&id)?;
    state
        .data
        .shared
        .get(&resource_type, &id)
        .filter(|r| in_directory(r))
        .map(read_response)
        .ok_or_else(|| not_found(&resource_type, &id))
}

/// `GET /provider-directory/fhir/{type}`.
pub async fn search(
    caller: DirectoryCaller,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, FhirError> {
    let Path(resource_type) = path.map_err(path_error)?;
    check_type(&state, &resource_type)?;
    let params = query_params(query.as_deref())?;
    let base = &caller.base;
    let spec = SearchSpec {
        allowed: shared_params(&resource_type),
        base,
        default_count: state.config.page_size,
        max_count: state.config.max_page_size,
    };
    let search = parse_search_with(&params, &spec, &state.faults)?;
    let matches: Vec<&StoredResource> = state
        .data
        .shared
        .of_type(&resource_type)
        .filter(|r| in_directory(r) && search.matches(r))
        .collect();
    Ok(search_page(
        "searchset",
        base,
        &resource_type,
        &search,
        &matches,
        &state.faults,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formulary_profiles_are_recognised() {
        let usdf = json!({"meta": {"profile": ["http://hl7.org/fhir/us/davinci-drug-formulary/StructureDefinition/usdf-Formulary"]}});
        let plannet = json!({"meta": {"profile": ["http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-InsurancePlan"]}});
        assert!(is_formulary(&usdf));
        assert!(!is_formulary(&plannet));
        assert!(!is_formulary(&json!({})));
    }

    #[test]
    fn the_directory_serves_its_types_unless_the_fault_drops_healthcare_service() {
        let clean = FaultSwitches::default();
        let faults = FaultSwitches::with(&[Fault::DirectoryTypeMissing]);
        for t in DIRECTORY_TYPES {
            assert!(serves(t) && serves_with(t, &clean), "{t}");
            assert_eq!(serves_with(t, &faults), t != "HealthcareService", "{t}");
        }
        for t in ["Patient", "ExplanationOfBenefit", "MedicationKnowledge", ""] {
            assert!(!serves(t) && !serves_with(t, &clean) && !serves_with(t, &faults));
        }
    }
}
