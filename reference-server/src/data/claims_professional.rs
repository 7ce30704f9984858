//! Professional (CMS-1500 style) and oral (dental) claims (CARIN BB 2.1).

use serde_json::Value;

use super::claims::{
    Amounts, Billing, ClaimType, DIAGNOSIS_TYPE, care_team, diagnosis, finish, header, info, line,
    place_of_service,
};
use super::codes::{PROCS, procs};
use super::dates::Day;
use super::directory::{org_id, org_info};
use super::encounters::visit_cpt;
use super::fhir::{c4bb_cs, concept, jv, reference, reference_display, sys};
use super::member::{Member, Visit, VisitKind};
use super::providers::{practitioner_id, practitioner_org};
use super::rng::Rng;

/// Diagnosis code of a visit without a recorded problem.
fn routine_diagnosis(m: &Member<'_>, v: &Visit) -> (&'static str, &'static str) {
    match v.procs.first().copied() {
        Some(procs::COLONOSCOPY) => (
            "Z12.11",
            "Encounter for screening for malignant neoplasm of colon",
        ),
        Some(procs::MAMMOGRAPHY) => (
            "Z12.31",
            "Encounter for screening mammogram for malignant neoplasm of breast",
        ),
        _ if m.age_on(v.day) < 18 => (
            "Z00.129",
            "Encounter for routine child health examination without abnormal findings",
        ),
        _ => (
            "Z00.00",
            "Encounter for general adult medical examination without abnormal findings",
        ),
    }
}

/// The principal and secondary diagnoses of a visit.
pub(crate) fn visit_diagnoses(m: &Member<'_>, v: &Visit) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![match v.condition {
        Some(c) => (
            m.conditions[c].problem.icd10,
            m.conditions[c].problem.icd10_display,
        ),
        None => routine_diagnosis(m, v),
    }];
    for c in &m.conditions {
        if c.chronic.is_some()
            && c.onset <= v.day
            && out.len() < 3
            && !out.contains(&(c.problem.icd10, c.problem.icd10_display))
        {
            out.push((c.problem.icd10, c.problem.icd10_display));
        }
    }
    out
}

/// A professional claim for a visit, billed by the clinic (or by the physician for hospital
/// visits).
pub(crate) fn professional(m: &Member<'_>, rng: &mut Rng, n: usize, visit: usize) -> Value {
    let v = &m.visits[visit];
    let hospital = matches!(
        v.kind,
        VisitKind::Emergency | VisitKind::Inpatient | VisitKind::Screening
    );
    let provider = if hospital {
        reference("Practitioner", &practitioner_id(v.practitioner))
    } else {
        reference_display(
            "Organization",
            &org_id(v.org),
            &org_info(m.seed, v.org).name,
        )
    };
    let coverage = m.coverage_on(v.day, false);
    let (mut eob, created) = header(
        m,
        rng,
        n,
        Billing {
            kind: ClaimType::Professional,
            start: v.day,
            end: v.end,
            provider,
            coverage,
        },
    );
    let pos = match v.kind {
        VisitKind::Emergency => place_of_service("23", "Emergency Room - Hospital"),
        VisitKind::Inpatient => place_of_service("21", "Inpatient Hospital"),
        VisitKind::Screening => place_of_service("22", "On Campus-Outpatient Hospital"),
        _ => place_of_service("11", "Office"),
    };
    let role = if hospital && v.kind == VisitKind::Inpatient {
        ("attending", "Attending")
    } else {
        ("rendering", "Rendering provider")
    };
    eob["careTeam"] = jv!([care_team(1, v.practitioner, role.0, role.1)]);
    eob["supportingInfo"] = jv!([
        info(
            1,
            "clmrecvddate",
            "timingDate",
            jv!(created.plus(-2).date())
        ),
        info(
            2,
            "patientaccountnumber",
            "valueString",
            jv!(format!("PA{:08}", m.salt % 100_000_000))
        ),
        info(
            3,
            "servicefacility",
            "valueReference",
            reference("Organization", &org_id(v.org))
        ),
    ]);
    let diagnoses = visit_diagnoses(m, v);
    let secondary = c4bb_cs!("C4BBClaimDiagnosisType");
    eob["diagnosis"] = jv!(diagnoses
        .iter()
        .enumerate()
        .map(|(k, (code, display))| {
            if k == 0 {
                diagnosis(1, code, display, DIAGNOSIS_TYPE, "principal")
            } else {
                diagnosis(k + 1, code, display, secondary, "secondary")
            }
        })
        .collect::<Vec<_>>());
    let mut services: Vec<(&str, &str, i64)> = Vec::new();
    if let Some(cpt) = visit_cpt(m, v) {
        services.push(cpt);
    }
    services.extend(v.procs.iter().map(|p| {
        (
            PROCS[*p].cpt,
            PROCS[*p].cpt_display,
            PROCS[*p].charge / if hospital { 3 } else { 1 },
        )
    }));
    let mut total = Amounts::default();
    let mut items = Vec::with_capacity(services.len());
    for (k, (cpt, display, charge)) in services.iter().enumerate() {
        let copay = if k == 0 && !hospital && v.kind != VisitKind::Wellness {
            2_500
        } else {
            0
        };
        let amounts = Amounts::adjudicate(
            *charge,
            rng.range(55, 80),
            0,
            copay,
            if hospital { 20 } else { 0 },
        );
        total += amounts;
        let mut item = line(k + 1, v.day, concept(sys::CPT, cpt, display), 1, &amounts);
        item["diagnosisSequence"] = jv!([1]);
        item["locationCodeableConcept"] = pos.clone();
        item["encounter"] = jv!([reference("Encounter", &m.rid("enc", visit + 1))]);
        items.push(item);
    }
    eob["item"] = jv!(items);
    finish(&mut eob, rng, ClaimType::Professional, created, &total);
    eob
}

/// An oral (dental) claim for a cleaning visit on `day`.
pub(crate) fn oral(m: &Member<'_>, rng: &mut Rng, n: usize, day: Day) -> Value {
    let office = practitioner_org(m.dentist);
    let provider = reference_display(
        "Organization",
        &org_id(office),
        &org_info(m.seed, office).name,
    );
    let coverage = m.coverage_on(day, true);
    let (mut eob, created) = header(
        m,
        rng,
        n,
        Billing {
            kind: ClaimType::Oral,
            start: day,
            end: day,
            provider,
            coverage,
        },
    );
    eob["careTeam"] = jv!([care_team(1, m.dentist, "rendering", "Rendering provider")]);
    eob["supportingInfo"] = jv!([
        info(
            1,
            "clmrecvddate",
            "timingDate",
            jv!(created.plus(-2).date())
        ),
        info(
            2,
            "servicefacility",
            "valueReference",
            reference("Organization", &org_id(office))
        ),
        info(
            3,
            "patientaccountnumber",
            "valueString",
            jv!(format!("DA{:08}", m.salt % 100_000_000))
        ),
    ]);
    eob["diagnosis"] = jv!([diagnosis(
        1,
        "Z01.20",
        "Encounter for dental examination and cleaning without abnormal findings",
        DIAGNOSIS_TYPE,
        "principal"
    )]);
    let child = m.age_on(day) < 14;
    let mut services = vec![(
        "D0120",
        "Periodic oral evaluation - established patient",
        6_500,
        0,
    )];
    services.push(if child {
        ("D1120", "Prophylaxis - child", 8_000, 0)
    } else {
        ("D1110", "Prophylaxis - adult", 11_000, 0)
    });
    if child {
        services.push(("D1206", "Topical application of fluoride varnish", 4_000, 0));
    }
    if rng.chance(50) {
        services.push(("D0274", "Bitewings - four radiographic images", 7_500, 0));
    }
    if rng.chance(20) {
        services.push((
            "D2391",
            "Resin-based composite - one surface, posterior",
            19_000,
            20,
        ));
    }
    let mut total = Amounts::default();
    let mut items = Vec::with_capacity(services.len());
    for (k, (cdt, display, charge, coinsurance)) in services.iter().enumerate() {
        let amounts = Amounts::adjudicate(*charge, rng.range(70, 85), 0, 0, *coinsurance);
        total += amounts;
        let mut item = line(k + 1, day, concept(sys::CDT, cdt, display), 1, &amounts);
        item["locationCodeableConcept"] = place_of_service("11", "Office");
        items.push(item);
    }
    eob["item"] = jv!(items);
    finish(&mut eob, rng, ClaimType::Oral, created, &total);
    eob
}
