//! The drug formulary (Da Vinci PDex US Drug Formulary 2.0): formulary InsurancePlan
//! resources (`usdf-Formulary`) and the drugs they cover (`usdf-FormularyDrug`
//! MedicationKnowledge), one for every drug the member generator prescribes.

use serde_json::Value;

use super::codes::MEDS;
use super::dates::any_last_updated;
use super::fhir::{coding, concept, jv, meta, sys, usdf};
use super::rng::{Rng, mix};

/// Formularies: name suffix and plan year.
const FORMULARIES: &[(&str, i64)] = &[("Standard", 2024), ("Standard", 2025), ("Premier", 2025)];

/// `formulary-002`; distinct from the directory's `plan-002`.
pub(crate) fn formulary_id(n: usize) -> String {
    format!("formulary-{n:03}")
}

/// `drug-314076` (the RxNorm code).
pub(crate) fn drug_id(rxnorm: &str) -> String {
    format!("drug-{rxnorm}")
}

/// Renders the formulary plans followed by the formulary drugs.
pub(crate) fn resources(seed: u64) -> Vec<Value> {
    let mut rng = Rng::new(mix(seed, 0x4652_4D59));
    let mut out = Vec::with_capacity(FORMULARIES.len() + MEDS.len());
    for (i, (tier, year)) in FORMULARIES.iter().enumerate() {
        out.push(jv!({
            "resourceType": "InsurancePlan",
            "id": formulary_id(i + 1),
            "meta": meta(any_last_updated(&mut rng), &[usdf!("usdf-Formulary")]),
            "identifier": [{ "system": format!("{}/formulary-id", sys::PAYER_BASE), "value": format!("PLF{year}{:02}", i + 1) }],
            "status": "active",
            "type": [concept(sys::ACT_CODE, "DRUGPOL", "drug policy")],
            "name": format!("Prairie Lakes {tier} Formulary {year}"),
            "period": { "start": format!("{year}-01-01"), "end": format!("{year}-12-31") },
        }));
    }
    for med in MEDS {
        out.push(jv!({
            "resourceType": "MedicationKnowledge",
            "id": drug_id(med.rxnorm),
            "meta": meta(any_last_updated(&mut rng), &[usdf!("usdf-FormularyDrug")]),
            "code": { "coding": [coding(sys::RXNORM, med.rxnorm, med.display)], "text": med.display },
            "status": "active",
        }));
    }
    out
}
