//! Deterministic synthetic FHIR R4 data, written by our own seeded generator.
//!
//! Three datasets, each a pure function of a seed:
//!
//! - [`patient_record`]: one member's patient compartment. A member's story is planned first
//!   ([`member::Member::plan`]: conditions, visits, prescriptions, coverage, dental cleanings)
//!   and then rendered as CARIN Blue Button 2.1 Patient, Coverage and ExplanationOfBenefit
//!   (inpatient, outpatient, professional, pharmacy and oral claims) and US Core 6.1 clinical
//!   resources, so cross-references are consistent by construction.
//! - [`directory`]: the Plan-Net provider directory the records point into (payers, networks,
//!   hospitals, clinics, pharmacies, dental offices, their practitioners, roles, locations,
//!   services, endpoints and insurance plans).
//! - [`formulary`]: US Drug Formulary plans and drugs, covering every drug a member may be
//!   prescribed.
//!
//! The same inputs give byte-identical JSON on every machine: the random stream is our own
//! SplitMix64 ([`rng`]), and no clock or platform hash is read. Compartment resource ids embed
//! the patient id (`eob-<patient id>-3`), directory ids are numbered (`org-007`,
//! `practitioner-012`), so ids never collide across members and datasets.

mod claims;
mod claims_institutional;
mod claims_professional;
mod codes;
mod dates;
mod directory;
mod encounters;
mod fhir;
mod formulary;
mod medications;
mod member;
mod names;
mod observations;
mod patient;
mod providers;
mod rng;
mod sites;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_shapes;
mod visits;

use serde_json::Value;

/// A member whose record is generated. `index` seeds per-member variety.
#[derive(Debug, Clone, Copy)]
pub struct MemberProfile<'a> {
    /// Position of the member in the population; different indexes give different people.
    pub index: u64,
    /// The Patient resource id; compartment resource ids are derived from it.
    pub patient_id: &'a str,
}

/// The member's whole patient compartment: exactly one Patient (id = patient_id) first,
/// then Coverage, ExplanationOfBenefit, Condition, Observation, Encounter, MedicationRequest,
/// AllergyIntolerance, Immunization, Procedure resources.
pub fn patient_record(seed: u64, member: &MemberProfile<'_>) -> Vec<Value> {
    let m = member::Member::plan(seed, member.index, member.patient_id);
    let mut out = Vec::with_capacity(96);
    out.push(patient::patient(&m));
    out.extend(patient::coverages(&m));
    out.extend(claims::explanations_of_benefit(&m));
    out.extend(encounters::conditions(&m));
    out.extend(observations::observations(&m));
    out.extend(encounters::encounters(&m));
    out.extend(medications::medication_requests(&m));
    out.extend(medications::allergies(&m));
    out.extend(medications::immunizations(&m));
    out.extend(encounters::procedures(&m));
    out
}

/// Provider directory (PDex Plan-Net shapes): Practitioner, PractitionerRole, Organization,
/// Location, HealthcareService, InsurancePlan, Endpoint. Same for a given seed.
pub fn directory(seed: u64) -> Vec<Value> {
    let mut out = sites::places_and_plans(seed);
    out.extend(providers::people_and_services(seed));
    out
}

/// Drug formulary (PDex US Drug Formulary shapes): a few formulary InsurancePlan resources
/// (usdf-Formulary profile) and MedicationKnowledge (usdf-FormularyDrug) resources.
/// Their ids must not collide with directory() InsurancePlan ids.
pub fn formulary(seed: u64) -> Vec<Value> {
    formulary::resources(seed)
}

/// The clinically meaningful date of a compartment resource, used for `$everything`
/// `start`/`end` filtering: EOB billablePeriod.start (else created), Encounter period.start,
/// Observation effectiveDateTime, Condition onsetDateTime (else recordedDate),
/// Procedure performedDateTime, Immunization occurrenceDateTime, MedicationRequest authoredOn,
/// AllergyIntolerance recordedDate, Coverage period.start; None for Patient.
/// Always a `YYYY-MM-DD` prefix string (dateTime values may carry a time part).
pub fn clinical_date(resource: &Value) -> Option<&str> {
    let field = |path: &[&str]| -> Option<&str> {
        let mut v = resource;
        for key in path {
            v = v.get(*key)?;
        }
        v.as_str()
    };
    let date = match resource.get("resourceType")?.as_str()? {
        "ExplanationOfBenefit" => {
            field(&["billablePeriod", "start"]).or_else(|| field(&["created"]))
        }
        "Encounter" => field(&["period", "start"]),
        "Observation" => {
            field(&["effectiveDateTime"]).or_else(|| field(&["effectivePeriod", "start"]))
        }
        "Condition" => field(&["onsetDateTime"]).or_else(|| field(&["recordedDate"])),
        "Procedure" => {
            field(&["performedDateTime"]).or_else(|| field(&["performedPeriod", "start"]))
        }
        "Immunization" => field(&["occurrenceDateTime"]),
        "MedicationRequest" => field(&["authoredOn"]),
        "AllergyIntolerance" => field(&["recordedDate"]).or_else(|| field(&["onsetDateTime"])),
        "Coverage" => field(&["period", "start"]),
        _ => None,
    }?;
    let day = date.get(..10)?;
    let b = day.as_bytes();
    let shape = b.iter().enumerate().all(|(i, c)| {
        if i == 4 || i == 7 {
            *c == b'-'
        } else {
            c.is_ascii_digit()
        }
    });
    shape.then_some(day)
}
