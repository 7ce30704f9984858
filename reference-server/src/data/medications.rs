//! Medication requests (RxNorm), allergies and intolerances, and immunizations (CVX), all
//! US Core 6.1.

use serde_json::Value;

use super::codes::ALLERGENS;
use super::dates::{Day, EVENTS_END, SPAN_START, last_updated};
use super::fhir::{concept, concept_text, jv, meta, reference, sys, us_core};
use super::member::{Member, VisitKind};
use super::providers::practitioner_id;

/// The dispensing unit of a drug, from its RxNorm name.
pub(crate) fn dose_unit(display: &str) -> &'static str {
    if display.contains("Inhaler") {
        "inhaler"
    } else if display.contains("Capsule") {
        "capsule"
    } else {
        "tablet"
    }
}

/// The day of fill `k` (0-based) of prescription `p`.
pub(crate) fn fill_day(m: &Member<'_>, p: usize, k: u32) -> Day {
    let rx = &m.prescriptions[p];
    let written = m.visits[rx.visit].day;
    written.plus(i64::from(k * rx.med.days_supply))
}

/// Renders the member's prescriptions.
pub(crate) fn medication_requests(m: &Member<'_>) -> Vec<Value> {
    let mut rng = m.rng(0x4D45_4452);
    let mut out = Vec::with_capacity(m.prescriptions.len());
    for (n, rx) in m.prescriptions.iter().enumerate() {
        let v = &m.visits[rx.visit];
        let last_fill_end = fill_day(m, n, rx.fills).plus(-1);
        let active = rx.med.maintenance && last_fill_end >= EVENTS_END.plus(-120);
        let mut req = jv!({
            "resourceType": "MedicationRequest",
            "id": m.rid("medrx", n + 1),
            "meta": meta(last_updated(&mut rng, v.day), &[us_core!("us-core-medicationrequest")]),
            "status": if active { "active" } else { "completed" },
            "intent": "order",
            "category": [concept("http://terminology.hl7.org/CodeSystem/medicationrequest-category", "community", "Community")],
            "reportedBoolean": false,
            "medicationCodeableConcept": concept_text(sys::RXNORM, rx.med.rxnorm, rx.med.display, rx.med.display),
            "subject": reference("Patient", m.patient_id),
            "encounter": reference("Encounter", &m.rid("enc", rx.visit + 1)),
            "authoredOn": v.day.date_time(v.minute + 20),
            "requester": reference("Practitioner", &practitioner_id(v.practitioner)),
            "dosageInstruction": [{ "sequence": 1, "text": rx.med.sig }],
            "dispenseRequest": {
                "validityPeriod": { "start": v.day.date(), "end": v.day.plus(365).date() },
                "numberOfRepeatsAllowed": rx.fills - 1,
                "quantity": { "value": rx.med.quantity, "unit": dose_unit(rx.med.display) },
                "expectedSupplyDuration": { "value": rx.med.days_supply, "unit": "days", "system": sys::UCUM, "code": "d" },
            },
        });
        if let Some(c) = rx.condition {
            req["reasonReference"] = jv!([reference("Condition", &m.rid("cond", c + 1))]);
        }
        out.push(req);
    }
    out
}

/// Renders the member's allergies and intolerances.
pub(crate) fn allergies(m: &Member<'_>) -> Vec<Value> {
    let mut rng = m.rng(0x414C_4C47);
    let first_visit = m.visits.first().map_or(SPAN_START, |v| v.day);
    m.allergies
        .iter()
        .enumerate()
        .map(|(n, a)| {
            let a = &ALLERGENS[*a];
            let recorded = Day::between(&mut rng, SPAN_START, first_visit.max(SPAN_START.plus(30)));
            let onset_age = rng.range(1, 12.min(SPAN_START.years_since(m.birth).max(1) as u64));
            let severity = if a.criticality == "high" { "severe" } else { "mild" };
            jv!({
                "resourceType": "AllergyIntolerance",
                "id": m.rid("allergy", n + 1),
                "meta": meta(last_updated(&mut rng, recorded), &[us_core!("us-core-allergyintolerance")]),
                "clinicalStatus": concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "Active"),
                "verificationStatus": concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed", "Confirmed"),
                "type": "allergy",
                "category": [a.category],
                "criticality": a.criticality,
                "code": concept_text(sys::SNOMED, a.snomed, a.display, a.display.trim_end_matches(" (substance)")),
                "patient": reference("Patient", m.patient_id),
                "onsetAge": { "value": onset_age, "unit": "years", "system": sys::UCUM, "code": "a" },
                "recordedDate": recorded.date(),
                "recorder": reference("Practitioner", &practitioner_id(m.pcp)),
                "reaction": [{
                    "manifestation": [concept(sys::SNOMED, a.reaction, a.reaction_display)],
                    "severity": severity,
                }],
            })
        })
        .collect()
}

/// Renders the vaccines given at the member's wellness visits.
pub(crate) fn immunizations(m: &Member<'_>) -> Vec<Value> {
    let mut rng = m.rng(0x494D_4D55);
    let mut out = Vec::new();
    for (i, v) in m.visits.iter().enumerate() {
        if v.kind != VisitKind::Wellness {
            continue;
        }
        for (k, vaccine) in v.vaccines.iter().enumerate() {
            let site = if k % 2 == 0 {
                ("LA", "left arm")
            } else {
                ("RA", "right arm")
            };
            out.push(jv!({
                "resourceType": "Immunization",
                "id": m.rid("imm", out.len() + 1),
                "meta": meta(last_updated(&mut rng, v.day), &[us_core!("us-core-immunization")]),
                "status": "completed",
                "vaccineCode": concept_text(sys::CVX, vaccine.cvx, vaccine.display, vaccine.display),
                "patient": reference("Patient", m.patient_id),
                "encounter": reference("Encounter", &m.rid("enc", i + 1)),
                "occurrenceDateTime": v.day.date_time(v.minute + 25 + 5 * k as u32),
                "primarySource": true,
                "lotNumber": format!("{}{:05}", ["EK", "FL", "MX", "TD", "HB"][rng.index(5)], rng.below(100_000)),
                "site": concept("http://terminology.hl7.org/CodeSystem/v3-ActSite", site.0, site.1),
                "route": concept("http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration", "IM", "Injection, intramuscular"),
                "performer": [{
                    "function": concept("http://terminology.hl7.org/CodeSystem/v2-0443", "AP", "Administering Provider"),
                    "actor": reference("Practitioner", &practitioner_id(v.practitioner)),
                }],
            }));
        }
    }
    out
}
