//! The member's Patient resource (CARIN BB 2.1 C4BB-Patient and US Core 6.1 Patient) and
//! Coverage resources (C4BB-Coverage).

use serde_json::Value;

use super::dates::{any_last_updated, last_updated};
use super::directory::{
    DENTAL_PAYER, DENTAL_PAYER_NAME, NETWORKS, PAYER, PAYER_NAME, PLAN_TIERS, org_id,
};
use super::fhir::{
    concept, concept_text, jv, meta, profile, reference, reference_display, sys, us_core,
};
use super::member::Member;

const RACE_SYSTEM: &str = "urn:oid:2.16.840.1.113883.6.238";

/// Family names whose bearers are, in this synthetic population, mostly of one group.
const ASIAN: &[&str] = &[
    "Nguyen", "Vang", "Xiong", "Lor", "Thao", "Moua", "Kim", "Patel",
];
const EAST_AFRICAN: &[&str] = &["Hassan", "Ali", "Mohamed"];
const HISPANIC: &[&str] = &["Garcia", "Martinez", "Hernandez", "Lopez"];

const EMPLOYERS: &[&str] = &[
    "Mill City Manufacturing",
    "North Country Cooperative",
    "Lakes Area Public Schools",
    "Twin Ports Logistics",
    "Prairie Lakes Individual Market",
    "Iron Range Health System",
];

fn us_core_category(url: &str, code: &str, display: &str) -> Value {
    jv!({
        "url": format!("http://hl7.org/fhir/us/core/StructureDefinition/{url}"),
        "extension": [
            { "url": "ombCategory", "valueCoding": { "system": RACE_SYSTEM, "code": code, "display": display } },
            { "url": "text", "valueString": display },
        ],
    })
}

/// Renders the Patient resource; its id is the member's patient id.
pub(crate) fn patient(m: &Member<'_>) -> Value {
    let mut rng = m.rng(0x5041_5449);
    let family = m.name.family;
    let (race, race_display) = if ASIAN.contains(&family) {
        ("2028-9", "Asian")
    } else if EAST_AFRICAN.contains(&family) {
        ("2054-5", "Black or African American")
    } else {
        *rng.pick(&[
            ("2106-3", "White"),
            ("2106-3", "White"),
            ("2106-3", "White"),
            ("2106-3", "White"),
            ("2106-3", "White"),
            ("2106-3", "White"),
            ("2054-5", "Black or African American"),
            ("2028-9", "Asian"),
            ("1002-5", "American Indian or Alaska Native"),
        ])
    };
    let hispanic = HISPANIC.contains(&family) || rng.chance(4);
    let ethnicity = if hispanic {
        ("2135-2", "Hispanic or Latino")
    } else {
        ("2186-5", "Not Hispanic or Latino")
    };
    let language = match race {
        "2028-9" if rng.chance(30) => ("hmn", "Hmong"),
        "2054-5" if EAST_AFRICAN.contains(&family) && rng.chance(40) => ("so", "Somali"),
        _ if hispanic && rng.chance(40) => ("es", "Spanish"),
        _ => ("en-US", "English (United States)"),
    };
    let adult = m.age_on(super::dates::EVENTS_END) >= 18;
    let marital = if adult {
        *rng.pick(&[
            ("M", "Married"),
            ("S", "Never Married"),
            ("D", "Divorced"),
            ("W", "Widowed"),
            ("M", "Married"),
        ])
    } else {
        ("S", "Never Married")
    };
    let mut telecom = vec![
        jv!({ "system": "phone", "value": m.place.phone(&mut rng), "use": "home", "rank": 1 }),
    ];
    if adult {
        let email = format!("{}.{}{}@example.com", m.name.given, family, rng.below(100))
            .to_lowercase()
            .replace(' ', "");
        telecom.push(jv!({ "system": "email", "value": email, "use": "home", "rank": 2 }));
    }
    jv!({
        "resourceType": "Patient",
        "id": m.patient_id,
        "meta": meta(any_last_updated(&mut rng), &[profile::C4BB_PATIENT, us_core!("us-core-patient")]),
        "extension": [
            us_core_category("us-core-race", race, race_display),
            us_core_category("us-core-ethnicity", ethnicity.0, ethnicity.1),
            { "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex", "valueCode": if m.name.female { "F" } else { "M" } },
        ],
        "identifier": [
            {
                "type": concept(sys::V2_0203, "MB", "Member Number"),
                "system": format!("{}/member-id", sys::PAYER_BASE),
                "value": m.member_number.as_str(),
                "assigner": reference_display("Organization", &org_id(PAYER), PAYER_NAME),
            },
            {
                "type": concept(sys::C4BB_IDENTIFIER, "um", "Unique Member ID"),
                "system": format!("{}/unique-member-id", sys::PAYER_BASE),
                "value": format!("U{:016x}", m.salt >> 1),
            },
        ],
        "active": true,
        "name": [m.name.human_name()],
        "telecom": telecom,
        "gender": if m.name.female { "female" } else { "male" },
        "birthDate": m.birth.date(),
        "address": [m.place.address("home")],
        "maritalStatus": concept("http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", marital.0, marital.1),
        "communication": [{
            "language": concept("urn:ietf:bcp:47", language.0, language.1),
            "preferred": true,
        }],
    })
}

/// Renders the member's Coverage resources: one or two medical periods and a dental one.
pub(crate) fn coverages(m: &Member<'_>) -> Vec<Value> {
    let mut rng = m.rng(0x434F_5645);
    let child = m.age_on(super::dates::SPAN_START) < 18;
    let employer = *rng.pick(EMPLOYERS);
    let group = format!("GRP{:05}", rng.below(100_000));
    let subscriber_id = if child {
        format!("PL{:09}", rng.below(1_000_000_000))
    } else {
        m.member_number.clone()
    };
    let patient = reference("Patient", m.patient_id);
    m.coverages
        .iter()
        .enumerate()
        .map(|(n, span)| {
            let (payer, payer_name, type_code, type_display, plan_value, plan_name, network) = if span.dental {
                (DENTAL_PAYER, DENTAL_PAYER_NAME, "DENTPRG", "dental program", "PLDEN01".to_string(), "Prairie Lakes Dental PPO", NETWORKS.first + 2)
            } else {
                let tier = PLAN_TIERS[(span.plan - 1) % PLAN_TIERS.len()];
                let network = if span.plan > 2 { NETWORKS.first + 1 } else { NETWORKS.first };
                (PAYER, PAYER_NAME, "HIP", "health insurance plan policy", format!("PLPPO{:02}", span.plan), tier.0, network)
            };
            let mut cov = jv!({
                "resourceType": "Coverage",
                "id": m.rid("cov", n + 1),
                "meta": meta(last_updated(&mut rng, span.start), &[profile::C4BB_COVERAGE]),
                "identifier": [{
                    "type": concept(sys::V2_0203, "MB", "Member Number"),
                    "system": format!("{}/member-id", sys::PAYER_BASE),
                    "value": m.member_number.as_str(),
                    "assigner": reference_display("Organization", &org_id(PAYER), PAYER_NAME),
                }],
                "status": "active",
                "type": concept(sys::ACT_CODE, type_code, type_display),
                "subscriberId": subscriber_id.as_str(),
                "beneficiary": patient.clone(),
                "dependent": if child { "02" } else { "01" },
                "relationship": concept_text("http://terminology.hl7.org/CodeSystem/subscriber-relationship", if child { "child" } else { "self" }, if child { "Child" } else { "Self" }, if child { "Child" } else { "Self" }),
                "period": { "start": span.start.date() },
                "payor": [reference_display("Organization", &org_id(payer), payer_name)],
                "class": [
                    {
                        "type": concept("http://terminology.hl7.org/CodeSystem/coverage-class", "group", "Group"),
                        "value": group.as_str(),
                        "name": employer,
                    },
                    {
                        "type": concept("http://terminology.hl7.org/CodeSystem/coverage-class", "plan", "Plan"),
                        "value": plan_value,
                        "name": plan_name,
                    },
                ],
                "network": super::directory::org_info(m.seed, network).name,
            });
            if !child {
                cov["policyHolder"] = patient.clone();
                cov["subscriber"] = patient.clone();
            }
            if let Some(end) = span.end {
                cov["period"]["end"] = jv!(end.date());
            }
            cov
        })
        .collect()
}
