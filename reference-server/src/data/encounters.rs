//! Encounters, conditions and procedures (US Core 6.1) of a member's visits.

use serde_json::Value;

use super::codes::PROCS;
use super::dates::last_updated;
use super::directory::{location_id, org_id, org_locations};
use super::fhir::{coding, concept, jv, meta, reference, sys, us_core};
use super::member::{Member, Visit, VisitKind};
use super::providers::practitioner_id;

/// The CPT evaluation-and-management code billed for a visit, with a charge in cents
/// (`None` for a screening visit, billed only for its procedure).
pub(crate) fn visit_cpt(m: &Member<'_>, v: &Visit) -> Option<(&'static str, &'static str, i64)> {
    let age = m.age_on(v.day);
    Some(match v.kind {
        VisitKind::Wellness => match age {
            0 => (
                "99391",
                "Periodic preventive medicine visit, established patient, infant",
                21_000,
            ),
            1..=4 => (
                "99392",
                "Periodic preventive medicine visit, established patient, age 1-4",
                22_000,
            ),
            5..=11 => (
                "99393",
                "Periodic preventive medicine visit, established patient, age 5-11",
                22_500,
            ),
            12..=17 => (
                "99394",
                "Periodic preventive medicine visit, established patient, age 12-17",
                24_000,
            ),
            18..=39 => (
                "99395",
                "Periodic preventive medicine visit, established patient, age 18-39",
                26_000,
            ),
            40..=64 => (
                "99396",
                "Periodic preventive medicine visit, established patient, age 40-64",
                28_500,
            ),
            _ => (
                "99397",
                "Periodic preventive medicine visit, established patient, age 65 and over",
                30_000,
            ),
        },
        VisitKind::FollowUp => (
            "99214",
            "Office or other outpatient visit, established patient, moderate complexity",
            22_000,
        ),
        VisitKind::Acute => (
            "99213",
            "Office or other outpatient visit, established patient, low complexity",
            15_500,
        ),
        VisitKind::Emergency => (
            "99284",
            "Emergency department visit, moderate complexity",
            65_000,
        ),
        VisitKind::Inpatient => (
            "99222",
            "Initial hospital inpatient care, moderate complexity",
            28_000,
        ),
        VisitKind::Screening => return None,
    })
}

/// SNOMED CT encounter type of a visit.
fn visit_type(m: &Member<'_>, v: &Visit) -> (&'static str, &'static str) {
    match v.kind {
        VisitKind::Wellness if m.age_on(v.day) < 18 => {
            ("410620009", "Well child visit (procedure)")
        }
        VisitKind::Wellness => ("162673000", "General examination of patient (procedure)"),
        VisitKind::FollowUp => ("390906007", "Follow-up encounter (procedure)"),
        VisitKind::Acute => ("185345009", "Encounter for symptom (procedure)"),
        VisitKind::Emergency => ("50849002", "Emergency room admission (procedure)"),
        VisitKind::Inpatient => ("32485007", "Hospital admission (procedure)"),
        VisitKind::Screening => ("185349003", "Encounter for check up (procedure)"),
    }
}

/// Minutes after the start of the visit's first day at which it ends.
pub(crate) fn visit_end_minute(v: &Visit) -> u32 {
    let days = (v.end.0 - v.day.0).max(0) as u32;
    match v.kind {
        VisitKind::Inpatient => days * 1440 + 11 * 60,
        VisitKind::Emergency => v.minute + 240,
        VisitKind::Screening => v.minute + 90,
        _ => v.minute + 30,
    }
}

/// The location a visit happens at: a hospital's emergency department for emergencies,
/// otherwise the organization's main site.
pub(crate) fn visit_location(v: &Visit) -> usize {
    let l = org_locations(v.org);
    if matches!(v.kind, VisitKind::Emergency) && l.count > 1 {
        l.first + 1
    } else {
        l.first
    }
}

/// Renders one Encounter per visit.
pub(crate) fn encounters(m: &Member<'_>) -> Vec<Value> {
    let mut rng = m.rng(0x0045_4E43);
    let mut out = Vec::with_capacity(m.visits.len());
    for (i, v) in m.visits.iter().enumerate() {
        let (class, class_display) = match v.kind {
            VisitKind::Emergency => ("EMER", "emergency"),
            VisitKind::Inpatient => ("IMP", "inpatient encounter"),
            _ => ("AMB", "ambulatory"),
        };
        let (snomed, snomed_display) = visit_type(m, v);
        let mut type_codings = vec![coding(sys::SNOMED, snomed, snomed_display)];
        if let Some((cpt, cpt_display, _)) = visit_cpt(m, v) {
            type_codings.push(coding(sys::CPT, cpt, cpt_display));
        }
        let start = v.day.date_time(v.minute);
        let end = v.day.date_time(visit_end_minute(v));
        let participant_type = if v.kind == VisitKind::Inpatient {
            ("ATND", "attender")
        } else {
            ("PPRF", "primary performer")
        };
        let mut enc = jv!({
            "resourceType": "Encounter",
            "id": m.rid("enc", i + 1),
            "meta": meta(last_updated(&mut rng, v.end), &[us_core!("us-core-encounter")]),
            "identifier": [{ "system": format!("{}/encounter-id", sys::PAYER_BASE), "value": format!("E{:010}", rng.below(10_000_000_000)) }],
            "status": "finished",
            "class": coding(sys::ACT_CODE, class, class_display),
            "type": [{ "coding": type_codings, "text": snomed_display.trim_end_matches(" (procedure)") }],
            "subject": reference("Patient", m.patient_id),
            "participant": [{
                "type": [concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", participant_type.0, participant_type.1)],
                "period": { "start": start.as_str(), "end": end.as_str() },
                "individual": reference("Practitioner", &practitioner_id(v.practitioner)),
            }],
            "period": { "start": start, "end": end },
            "location": [{ "location": reference("Location", &location_id(visit_location(v))), "status": "completed" }],
            "serviceProvider": reference("Organization", &org_id(v.org)),
        });
        if let Some(c) = v.condition {
            enc["reasonReference"] = jv!([reference("Condition", &m.rid("cond", c + 1))]);
        }
        if matches!(v.kind, VisitKind::Emergency | VisitKind::Inpatient) {
            enc["hospitalization"] = jv!({
                "admitSource": concept("http://terminology.hl7.org/CodeSystem/admit-source", "emd", "From accident/emergency department"),
                "dischargeDisposition": concept("http://terminology.hl7.org/CodeSystem/discharge-disposition", "home", "Home"),
            });
        }
        out.push(enc);
    }
    out
}

/// Renders the member's conditions: problem-list items and encounter diagnoses.
pub(crate) fn conditions(m: &Member<'_>) -> Vec<Value> {
    let mut rng = m.rng(0x434F_4E44);
    let mut out = Vec::with_capacity(m.conditions.len());
    for (c, plan) in m.conditions.iter().enumerate() {
        let p = plan.problem;
        let problem_list = plan.chronic.is_some();
        let (profile, category_system, category, category_display) = if problem_list {
            (
                us_core!("us-core-condition-problems-health-concerns"),
                "http://terminology.hl7.org/CodeSystem/condition-category",
                "problem-list-item",
                "Problem List Item",
            )
        } else {
            (
                us_core!("us-core-condition-encounter-diagnosis"),
                "http://terminology.hl7.org/CodeSystem/condition-category",
                "encounter-diagnosis",
                "Encounter Diagnosis",
            )
        };
        let abatement = (!problem_list).then(|| plan.onset.plus(rng.range(7, 21) as i64));
        let resolved = abatement.is_some();
        let mut cond = jv!({
            "resourceType": "Condition",
            "id": m.rid("cond", c + 1),
            "meta": meta(last_updated(&mut rng, abatement.unwrap_or(plan.recorded)), &[profile]),
            "extension": [{ "url": "http://hl7.org/fhir/StructureDefinition/condition-assertedDate", "valueDateTime": plan.recorded.date() }],
            "clinicalStatus": concept("http://terminology.hl7.org/CodeSystem/condition-clinical", if resolved { "resolved" } else { "active" }, if resolved { "Resolved" } else { "Active" }),
            "verificationStatus": concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"),
            "category": [concept(category_system, category, category_display)],
            "code": {
                "coding": [coding(sys::SNOMED, p.snomed, p.display), coding(sys::ICD10CM, p.icd10, p.icd10_display)],
                "text": p.display.rsplit_once(" (").map_or(p.display, |(t, _)| t),
            },
            "subject": reference("Patient", m.patient_id),
            "onsetDateTime": plan.onset.date(),
            "recordedDate": plan.recorded.date(),
        });
        if let Some(a) = abatement {
            cond["abatementDateTime"] = jv!(a.date());
        }
        if let Some(visit) = plan.visit {
            cond["encounter"] = reference("Encounter", &m.rid("enc", visit + 1));
            cond["recorder"] = reference(
                "Practitioner",
                &practitioner_id(m.visits[visit].practitioner),
            );
        }
        out.push(cond);
    }
    out
}

/// Renders the procedures performed at the member's visits.
pub(crate) fn procedures(m: &Member<'_>) -> Vec<Value> {
    let mut rng = m.rng(0x5052_4F43);
    let mut out = Vec::new();
    for (i, v) in m.visits.iter().enumerate() {
        for (k, p) in v.procs.iter().enumerate() {
            let p = &PROCS[*p];
            let minute = v.minute + 10 + 15 * k as u32;
            let mut proc_ = jv!({
                "resourceType": "Procedure",
                "id": m.rid("proc", out.len() + 1),
                "meta": meta(last_updated(&mut rng, v.end), &[us_core!("us-core-procedure")]),
                "status": "completed",
                "code": {
                    "coding": [coding(sys::SNOMED, p.snomed, p.display), coding(sys::CPT, p.cpt, p.cpt_display)],
                    "text": p.display.trim_end_matches(" (procedure)"),
                },
                "subject": reference("Patient", m.patient_id),
                "encounter": reference("Encounter", &m.rid("enc", i + 1)),
                "performedDateTime": v.day.date_time(minute),
                "performer": [{
                    "actor": reference("Practitioner", &practitioner_id(v.practitioner)),
                    "onBehalfOf": reference("Organization", &org_id(v.org)),
                }],
                "location": reference("Location", &location_id(visit_location(v))),
            });
            if let Some(c) = v.condition {
                proc_["reasonReference"] = jv!([reference("Condition", &m.rid("cond", c + 1))]);
            }
            out.push(proc_);
        }
    }
    out
}
