//! Observations (US Core 6.1): vital signs with their specific profiles, and laboratory
//! results (`us-core-observation-lab`), all LOINC-coded with UCUM quantities.

use serde_json::Value;

use super::codes::chronic;
use super::dates::last_updated;
use super::fhir::{coding, concept, concept_text, jv, meta, reference, sys, us_core};
use super::member::{Member, Visit, VisitKind};
use super::rng::Rng;

/// A laboratory test: LOINC code and name, UCUM unit, normal range, decimals shown.
struct Lab {
    loinc: &'static str,
    display: &'static str,
    unit: &'static str,
    low: f64,
    high: f64,
    decimals: i32,
}

const fn lab_(
    loinc: &'static str,
    display: &'static str,
    unit: &'static str,
    low: f64,
    high: f64,
    decimals: i32,
) -> Lab {
    Lab {
        loinc,
        display,
        unit,
        low,
        high,
        decimals,
    }
}

#[rustfmt::skip]
const LABS: &[Lab] = &[
    lab_("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 70.0, 99.0, 0),
    lab_("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.6, 1.3, 2),
    lab_("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 4.0, 5.6, 1),
    lab_("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 125.0, 200.0, 0),
    lab_("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "mg/dL", 40.0, 150.0, 0),
    lab_("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "mg/dL", 40.0, 80.0, 0),
    lab_("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 12.0, 17.0, 1),
    lab_("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 4.0, 10.5, 1),
    lab_("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 136.0, 145.0, 0),
    lab_("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 3.5, 5.1, 1),
    lab_("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", "m[IU]/L", 0.4, 4.0, 2),
];

/// Indexes into the lab table, used when planning visits.
pub(crate) mod lab {
    pub(crate) const GLUCOSE: usize = 0;
    pub(crate) const CREATININE: usize = 1;
    pub(crate) const A1C: usize = 2;
    pub(crate) const CHOLESTEROL: usize = 3;
    pub(crate) const TRIGLYCERIDES: usize = 4;
    pub(crate) const HDL: usize = 5;
    pub(crate) const HEMOGLOBIN: usize = 6;
    pub(crate) const LEUKOCYTES: usize = 7;
    pub(crate) const SODIUM: usize = 8;
    pub(crate) const POTASSIUM: usize = 9;
    pub(crate) const TSH: usize = 10;
}

/// A number rounded to `decimals` places, as an integer when `decimals` is 0.
fn num(value: f64, decimals: i32) -> Value {
    if decimals <= 0 {
        jv!(value.round() as i64)
    } else {
        // Not `powi`: its precision may differ between platforms, and output must not.
        let f = if decimals == 1 { 10.0 } else { 100.0 };
        jv!((value * f).round() / f)
    }
}

/// A value drawn uniformly from `lo..=hi`, in tenths.
fn between(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    let (a, b) = ((lo * 100.0) as u64, (hi * 100.0) as u64);
    rng.range(a, b) as f64 / 100.0
}

/// Renders the observations of every visit.
pub(crate) fn observations(m: &Member<'_>) -> Vec<Value> {
    let mut rng = m.rng(0x4F_4253);
    let mut out = Vec::new();
    for (i, v) in m.visits.iter().enumerate() {
        vitals(m, &mut rng, i, v, &mut out);
        for l in &v.labs {
            let value = lab_value(m, &mut rng, *l, v);
            let obs = lab_observation(m, &mut rng, i, v, *l, value, out.len() + 1);
            out.push(obs);
        }
    }
    out
}

fn has(m: &Member<'_>, c: usize) -> bool {
    m.conditions.iter().any(|x| x.chronic == Some(c))
}

fn lab_value(m: &Member<'_>, rng: &mut Rng, l: usize, v: &Visit) -> f64 {
    let t = &LABS[l];
    let diabetic = has(m, chronic::DIABETES);
    let prediabetic = m.conditions.iter().any(|c| c.problem.icd10 == "R73.03");
    match l {
        lab::GLUCOSE if diabetic => between(rng, 125.0, 210.0),
        lab::GLUCOSE if prediabetic => between(rng, 100.0, 125.0),
        lab::A1C if diabetic => between(rng, 6.6, 9.2),
        lab::A1C if prediabetic => between(rng, 5.7, 6.4),
        lab::CHOLESTEROL if has(m, chronic::HYPERLIPIDEMIA) => between(rng, 215.0, 290.0),
        lab::TRIGLYCERIDES if has(m, chronic::HYPERLIPIDEMIA) => between(rng, 160.0, 320.0),
        lab::HDL if has(m, chronic::HYPERLIPIDEMIA) => between(rng, 30.0, 44.0),
        lab::TSH if has(m, chronic::HYPOTHYROIDISM) => between(rng, 4.6, 9.5),
        lab::HEMOGLOBIN if has(m, chronic::ANEMIA) => between(rng, 8.8, 11.4),
        lab::LEUKOCYTES if matches!(v.kind, VisitKind::Emergency | VisitKind::Inpatient) => {
            between(rng, 11.2, 18.5)
        }
        _ => {
            let margin = (t.high - t.low) * 0.1;
            between(rng, t.low + margin, t.high - margin)
        }
    }
}

fn base(m: &Member<'_>, rng: &mut Rng, visit: usize, v: &Visit, n: usize, profile: &str) -> Value {
    jv!({
        "resourceType": "Observation",
        "id": m.rid("obs", n),
        "meta": meta(last_updated(rng, v.day), &[profile]),
        "status": "final",
        "subject": reference("Patient", m.patient_id),
        "encounter": reference("Encounter", &m.rid("enc", visit + 1)),
        "effectiveDateTime": v.day.date_time(v.minute + 10),
    })
}

fn lab_observation(
    m: &Member<'_>,
    rng: &mut Rng,
    visit: usize,
    v: &Visit,
    l: usize,
    value: f64,
    n: usize,
) -> Value {
    let t = &LABS[l];
    let mut obs = base(m, rng, visit, v, n, us_core!("us-core-observation-lab"));
    let (code, display) = if value > t.high {
        ("H", "High")
    } else if value < t.low {
        ("L", "Low")
    } else {
        ("N", "Normal")
    };
    obs["category"] = jv!([concept_text(
        "http://terminology.hl7.org/CodeSystem/observation-category",
        "laboratory",
        "Laboratory",
        "Laboratory"
    )]);
    obs["code"] = concept_text(sys::LOINC, t.loinc, t.display, t.display);
    obs["valueQuantity"] = jv!({ "value": num(value, t.decimals), "unit": t.unit, "system": sys::UCUM, "code": t.unit });
    obs["interpretation"] = jv!([concept(
        "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
        code,
        display
    )]);
    obs["referenceRange"] = jv!([{
        "low": { "value": num(t.low, t.decimals), "unit": t.unit, "system": sys::UCUM, "code": t.unit },
        "high": { "value": num(t.high, t.decimals), "unit": t.unit, "system": sys::UCUM, "code": t.unit },
    }]);
    obs
}

/// A vital-sign observation with one LOINC code and a quantity.
struct Vital {
    profile: &'static str,
    loinc: &'static str,
    display: &'static str,
    unit: &'static str,
    ucum: &'static str,
    decimals: i32,
}

#[rustfmt::skip]
const WEIGHT: Vital = Vital { profile: us_core!("us-core-body-weight"), loinc: "29463-7", display: "Body weight", unit: "kg", ucum: "kg", decimals: 1 };
#[rustfmt::skip]
const HEIGHT: Vital = Vital { profile: us_core!("us-core-body-height"), loinc: "8302-2", display: "Body height", unit: "cm", ucum: "cm", decimals: 1 };
#[rustfmt::skip]
const BMI: Vital = Vital { profile: us_core!("us-core-bmi"), loinc: "39156-5", display: "Body mass index (BMI) [Ratio]", unit: "kg/m2", ucum: "kg/m2", decimals: 1 };
#[rustfmt::skip]
const HEART_RATE: Vital = Vital { profile: us_core!("us-core-heart-rate"), loinc: "8867-4", display: "Heart rate", unit: "beats/minute", ucum: "/min", decimals: 0 };
#[rustfmt::skip]
const RESPIRATORY_RATE: Vital = Vital { profile: us_core!("us-core-respiratory-rate"), loinc: "9279-1", display: "Respiratory rate", unit: "breaths/minute", ucum: "/min", decimals: 0 };
#[rustfmt::skip]
const TEMPERATURE: Vital = Vital { profile: us_core!("us-core-body-temperature"), loinc: "8310-5", display: "Body temperature", unit: "Cel", ucum: "Cel", decimals: 1 };

fn vital_sign(
    m: &Member<'_>,
    rng: &mut Rng,
    visit: usize,
    v: &Visit,
    n: usize,
    vital: &Vital,
    value: f64,
) -> Value {
    let mut obs = base(m, rng, visit, v, n, vital.profile);
    obs["category"] = vital_category();
    obs["code"] = concept_text(sys::LOINC, vital.loinc, vital.display, vital.display);
    obs["valueQuantity"] = jv!({ "value": num(value, vital.decimals), "unit": vital.unit, "system": sys::UCUM, "code": vital.ucum });
    obs
}

fn vital_category() -> Value {
    jv!([concept_text(
        "http://terminology.hl7.org/CodeSystem/observation-category",
        "vital-signs",
        "Vital Signs",
        "Vital Signs"
    )])
}

fn vitals(m: &Member<'_>, rng: &mut Rng, i: usize, v: &Visit, out: &mut Vec<Value>) {
    let age = m.age_on(v.day);
    let adult = age >= 18;
    let height = if adult {
        m.height_cm
    } else {
        (76.0 + 6.2 * age as f64).min(m.height_cm)
    };
    let weight = if adult {
        m.bmi * (height / 100.0) * (height / 100.0) * between(rng, 0.97, 1.03)
    } else {
        (9.5 + 2.8 * age as f64) * between(rng, 0.9, 1.15)
    };
    let hypertensive = has(m, chronic::HYPERTENSION);
    let sick = matches!(v.kind, VisitKind::Emergency | VisitKind::Inpatient);
    let mut plain: Vec<(&Vital, f64)> = Vec::new();
    let mut bp = false;
    let mut spo2 = false;
    match v.kind {
        VisitKind::Wellness => {
            plain.extend([(&WEIGHT, weight), (&HEIGHT, height)]);
            if adult {
                plain.push((&BMI, weight / ((height / 100.0) * (height / 100.0))));
            }
            bp = age >= 3;
            plain.push((
                &HEART_RATE,
                if adult {
                    between(rng, 58.0, 88.0)
                } else {
                    between(rng, 75.0, 110.0)
                },
            ));
        }
        VisitKind::FollowUp => {
            bp = true;
            plain.push((&WEIGHT, weight));
            if has(m, chronic::ATRIAL_FIBRILLATION) {
                plain.push((&HEART_RATE, between(rng, 70.0, 118.0)));
            }
        }
        VisitKind::Acute => {
            plain.push((&TEMPERATURE, between(rng, 37.1, 38.9)));
            plain.push((&HEART_RATE, between(rng, 68.0, 104.0)));
        }
        VisitKind::Emergency | VisitKind::Inpatient => {
            plain.push((&TEMPERATURE, between(rng, 36.8, 39.4)));
            plain.push((&HEART_RATE, between(rng, 82.0, 122.0)));
            plain.push((&RESPIRATORY_RATE, between(rng, 16.0, 26.0)));
            spo2 = true;
        }
        VisitKind::Screening => {}
    }
    for (vital, value) in plain {
        let obs = vital_sign(m, rng, i, v, out.len() + 1, vital, value);
        out.push(obs);
    }
    if bp {
        let (sys_lo, sys_hi, dia_lo, dia_hi) = match (age < 18, hypertensive || sick) {
            (true, _) => (96.0, 118.0, 55.0, 76.0),
            (false, true) => (134.0, 158.0, 84.0, 99.0),
            (false, false) => (106.0, 132.0, 64.0, 84.0),
        };
        let mut obs = base(
            m,
            rng,
            i,
            v,
            out.len() + 1,
            us_core!("us-core-blood-pressure"),
        );
        let component = |code: &str, display: &str, value: f64| {
            jv!({
                "code": concept_text(sys::LOINC, code, display, display),
                "valueQuantity": { "value": num(value, 0), "unit": "mmHg", "system": sys::UCUM, "code": "mm[Hg]" },
            })
        };
        obs["category"] = vital_category();
        obs["code"] = concept_text(
            sys::LOINC,
            "85354-9",
            "Blood pressure panel with all children optional",
            "Blood pressure",
        );
        obs["component"] = jv!([
            component(
                "8480-6",
                "Systolic blood pressure",
                between(rng, sys_lo, sys_hi)
            ),
            component(
                "8462-4",
                "Diastolic blood pressure",
                between(rng, dia_lo, dia_hi)
            ),
        ]);
        out.push(obs);
    }
    if spo2 {
        let mut obs = base(
            m,
            rng,
            i,
            v,
            out.len() + 1,
            us_core!("us-core-pulse-oximetry"),
        );
        obs["category"] = vital_category();
        obs["code"] = jv!({
            "coding": [
                coding(sys::LOINC, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
                coding(sys::LOINC, "2708-6", "Oxygen saturation in Arterial blood"),
            ],
            "text": "Oxygen saturation",
        });
        obs["valueQuantity"] = jv!({ "value": num(between(rng, 91.0, 99.0), 0), "unit": "%", "system": sys::UCUM, "code": "%" });
        out.push(obs);
    }
}
