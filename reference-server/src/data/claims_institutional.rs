//! Institutional (inpatient and outpatient hospital) and pharmacy claims (CARIN BB 2.1).

use serde_json::Value;

use super::claims::{
    Amounts, Billing, ClaimType, DIAGNOSIS_TYPE, care_team, diagnosis, finish, header, info, line,
};
use super::claims_professional::visit_diagnoses;
use super::codes::{PROCS, procs};
use super::directory::{org_id, org_info};
use super::fhir::{c4bb_cs, coding, concept, jv, nubc, reference_display, sys};
use super::medications::{dose_unit, fill_day};
use super::member::{Member, VisitKind};
use super::rng::{Rng, hash_str};

const MS_DRG: &str = "https://www.cms.gov/Medicare/Medicare-Fee-for-Service-Payment/AcuteInpatientPPS/MS-DRG-Classifications-and-Software";
const ICD10_PCS: &str = "http://www.cms.gov/Medicare/Coding/ICD10";

/// An NDC-shaped (5-4-2) package code derived from an RxNorm code. The generator does not
/// ship the FDA NDC directory, so these are synthetic, stable per drug, and never real
/// package codes.
pub(crate) fn synthetic_ndc(rxnorm: &str) -> String {
    let h = hash_str(rxnorm);
    format!(
        "{:05}-{:04}-{:02}",
        70_000 + h % 10_000,
        (h >> 20) % 10_000,
        1 + (h >> 40) % 90
    )
}

fn coded_info(sequence: usize, category: &str, system: &str, code: &str, display: &str) -> Value {
    info(sequence, category, "code", concept(system, code, display))
}

/// A hospital claim (facility charges) for visit `visit`.
pub(crate) fn institutional(
    m: &Member<'_>,
    rng: &mut Rng,
    n: usize,
    visit: usize,
    kind: ClaimType,
) -> Value {
    let v = &m.visits[visit];
    let provider = reference_display(
        "Organization",
        &org_id(v.org),
        &org_info(m.seed, v.org).name,
    );
    let coverage = m.coverage_on(v.day, false);
    let (mut eob, created) = header(
        m,
        rng,
        n,
        Billing {
            kind,
            start: v.day,
            end: v.end,
            provider,
            coverage,
        },
    );
    let inpatient = kind == ClaimType::Inpatient;
    let appendectomy = v.procs.contains(&procs::APPENDECTOMY);
    let mut team = vec![care_team(1, v.practitioner, "attending", "Attending")];
    if appendectomy {
        team.push(care_team(2, v.practitioner, "operating", "Operating"));
    }
    eob["careTeam"] = jv!(team);
    let emergency = matches!(v.kind, VisitKind::Emergency | VisitKind::Inpatient);
    let mut supporting = vec![
        info(
            1,
            "clmrecvddate",
            "timingDate",
            jv!(created.plus(-2).date()),
        ),
        coded_info(
            2,
            "typeofbill",
            nubc!("TypeOfBill"),
            if inpatient { "0111" } else { "0131" },
            "",
        ),
        coded_info(
            3,
            "pointoforigin",
            nubc!("PointOfOrigin"),
            "1",
            "Non-health care facility point of origin",
        ),
        coded_info(
            4,
            "admtype",
            nubc!("PriorityTypeOfAdmitOrVisit"),
            if emergency { "1" } else { "3" },
            if emergency { "Emergency" } else { "Elective" },
        ),
        coded_info(
            5,
            "discharge-status",
            nubc!("PatDischargeStatus"),
            "01",
            "Discharged to home or self care",
        ),
        info(
            6,
            "medicalrecordnumber",
            "valueString",
            jv!(format!("MRN{:09}", m.salt % 1_000_000_000)),
        ),
        info(
            7,
            "patientaccountnumber",
            "valueString",
            jv!(format!("HA{:08}", (m.salt >> 8) % 100_000_000)),
        ),
    ];
    if inpatient {
        supporting.push(info(
            8,
            "admissionperiod",
            "timingPeriod",
            jv!({ "start": v.day.date(), "end": v.end.date() }),
        ));
        let drg = if appendectomy {
            (
                "343",
                "Appendectomy without complicated principal diagnosis without CC/MCC",
            )
        } else {
            ("195", "Simple pneumonia and pleurisy without CC/MCC")
        };
        supporting.push(coded_info(9, "drg", MS_DRG, drg.0, drg.1));
    }
    eob["supportingInfo"] = jv!(supporting);
    let diagnoses = visit_diagnoses(m, v);
    let c4bb_type = c4bb_cs!("C4BBClaimDiagnosisType");
    let mut dx = Vec::new();
    for (k, (code, display)) in diagnoses.iter().enumerate() {
        let mut d = if k == 0 {
            diagnosis(1, code, display, DIAGNOSIS_TYPE, "principal")
        } else {
            diagnosis(k + 1, code, display, c4bb_type, "other")
        };
        if inpatient {
            d["onAdmission"] = concept(
                nubc!("PresentOnAdmission"),
                "Y",
                "Diagnosis was present at time of inpatient admission",
            );
            if k == 0 {
                d["type"] = jv!([
                    concept(DIAGNOSIS_TYPE, "principal", ""),
                    concept(DIAGNOSIS_TYPE, "admitting", "")
                ]);
            }
        } else if k == 0 {
            d["type"] = jv!([
                concept(DIAGNOSIS_TYPE, "principal", ""),
                concept(c4bb_type, "patientreasonforvisit", "")
            ]);
        }
        dx.push(d);
    }
    eob["diagnosis"] = jv!(dx);
    if appendectomy {
        eob["procedure"] = jv!([{
            "sequence": 1,
            "type": [concept(c4bb_cs!("C4BBClaimProcedureType"), "principal", "")],
            "date": v.day.date_time(v.minute + 180),
            "procedureCodeableConcept": concept(ICD10_PCS, "0DTJ4ZZ", "Resection of Appendix, Percutaneous Endoscopic Approach"),
        }]);
    }
    // Facility lines: revenue code, service code (or "not applicable"), charge, quantity.
    let not_applicable = || {
        concept(
            "http://terminology.hl7.org/CodeSystem/data-absent-reason",
            "not-applicable",
            "Not Applicable",
        )
    };
    let cpt = |p: usize| concept(sys::CPT, PROCS[p].cpt, PROCS[p].cpt_display);
    let mut lines: Vec<(&str, &str, Value, i64, u32)> = Vec::new();
    if emergency {
        lines.push((
            "0450",
            "Emergency room - general",
            concept(
                sys::CPT,
                "99284",
                "Emergency department visit, moderate complexity",
            ),
            120_000,
            1,
        ));
    }
    if inpatient {
        let nights = (v.end.0 - v.day.0).max(1) as u32;
        lines.push((
            "0120",
            "Room and board semi-private (two beds) - general",
            not_applicable(),
            220_000 * i64::from(nights),
            nights,
        ));
        lines.push(("0250", "Pharmacy - general", not_applicable(), 45_000, 1));
    }
    if !v.labs.is_empty() {
        lines.push((
            "0300",
            "Laboratory - general",
            not_applicable(),
            6_500 * v.labs.len() as i64,
            v.labs.len() as u32,
        ));
    }
    for p in &v.procs {
        let (rev, rev_display, factor) = match *p {
            procs::ECG => ("0730", "EKG/ECG - general", 1),
            procs::CHEST_XRAY => ("0320", "Radiology diagnostic - general", 1),
            procs::COLONOSCOPY => ("0750", "Gastrointestinal services - general", 1),
            procs::MAMMOGRAPHY => ("0403", "Other imaging services - screening mammography", 1),
            procs::APPENDECTOMY => ("0360", "Operating room services - general", 2),
            _ => continue,
        };
        lines.push((rev, rev_display, cpt(*p), PROCS[*p].charge * factor, 1));
    }
    let mut total = Amounts::default();
    let mut deductible = if rng.chance(60) {
        rng.range(100, 800) as i64 * 100
    } else {
        0
    };
    let mut items = Vec::with_capacity(lines.len());
    for (k, (rev, rev_display, product, charge, quantity)) in lines.into_iter().enumerate() {
        let amounts = Amounts::adjudicate(charge, rng.range(45, 70), deductible, 0, 20);
        deductible -= amounts.deductible;
        total += amounts;
        let mut item = line(k + 1, v.day, product, quantity, &amounts);
        item["revenue"] = concept(nubc!("RevenueCodes"), rev, rev_display);
        item["encounter"] = jv!([super::fhir::reference(
            "Encounter",
            &m.rid("enc", visit + 1)
        )]);
        items.push(item);
    }
    eob["item"] = jv!(items);
    finish(&mut eob, rng, kind, created, &total);
    eob
}

/// A pharmacy claim for fill `k` (0-based) of prescription `p`.
pub(crate) fn pharmacy(m: &Member<'_>, rng: &mut Rng, n: usize, p: usize, k: u32) -> Value {
    let rx = &m.prescriptions[p];
    let prescriber = m.visits[rx.visit].practitioner;
    let day = fill_day(m, p, k);
    let provider = reference_display(
        "Organization",
        &org_id(m.pharmacy),
        &org_info(m.seed, m.pharmacy).name,
    );
    let coverage = m.coverage_on(day, false);
    let (mut eob, created) = header(
        m,
        rng,
        n,
        Billing {
            kind: ClaimType::Pharmacy,
            start: day,
            end: day,
            provider,
            coverage,
        },
    );
    eob["careTeam"] = jv!([care_team(
        1,
        prescriber,
        "prescribing",
        "Prescribing provider"
    )]);
    eob["supportingInfo"] = jv!([
        info(
            1,
            "clmrecvddate",
            "timingDate",
            jv!(created.plus(-1).date())
        ),
        info(
            2,
            "dayssupply",
            "valueQuantity",
            jv!({ "value": rx.med.days_supply })
        ),
        coded_info(
            3,
            "dawcode",
            "http://terminology.hl7.org/CodeSystem/NCPDPDispensedAsWrittenOrProductSelectionCode",
            "0",
            "No product selection indicated"
        ),
        info(4, "refillnum", "valueQuantity", jv!({ "value": k })),
        info(
            5,
            "refillsauthorized",
            "valueQuantity",
            jv!({ "value": rx.fills - 1 })
        ),
        coded_info(
            6,
            "brandgenericindicator",
            "http://terminology.hl7.org/CodeSystem/NCPDPBrandGenericIndicator",
            "2",
            ""
        ),
        coded_info(
            7,
            "rxorigincode",
            "http://terminology.hl7.org/CodeSystem/NCPDPPrescriptionOriginCode",
            "3",
            "Electronic"
        ),
        coded_info(
            8,
            "compoundcode",
            "http://terminology.hl7.org/CodeSystem/NCPDPCompoundCode",
            "1",
            ""
        ),
    ]);
    let copay = if rx.med.maintenance { 1_000 } else { 500 };
    let amounts = Amounts::adjudicate(rx.med.cost, rng.range(80, 100), 0, copay, 0);
    let product = jv!({
        "coding": [
            coding(sys::NDC, &synthetic_ndc(rx.med.rxnorm), rx.med.display),
            coding(sys::RXNORM, rx.med.rxnorm, rx.med.display),
        ],
        "text": rx.med.display,
    });
    let mut item = line(1, day, product, rx.med.quantity, &amounts);
    item["quantity"] = jv!({ "value": rx.med.quantity, "unit": dose_unit(rx.med.display) });
    eob["item"] = jv!([item]);
    finish(&mut eob, rng, ClaimType::Pharmacy, created, &amounts);
    eob
}
