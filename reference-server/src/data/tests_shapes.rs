//! Shapes of the generated data: clinical dates, record sizes and resource mix, claim types
//! against their CARIN profiles, the directory's size, odd patient ids, and a speed probe.

use std::collections::HashSet;
use std::time::Instant;

use serde_json::Value;

use super::tests::{DIRECTORY_TYPES, ORDER, SEED, key, kind, patient_id, record};
use super::{MemberProfile, clinical_date, directory, formulary, patient_record};

#[test]
fn clinical_dates_are_present_and_well_formed() {
    for i in 0..50 {
        let (_, rec) = record(i);
        assert_eq!(clinical_date(&rec[0]), None);
        for r in &rec[1..] {
            let d = clinical_date(r).unwrap_or_else(|| panic!("no clinical date: {}", key(r)));
            assert_eq!(d.len(), 10);
            assert!(
                d.as_bytes()
                    .iter()
                    .enumerate()
                    .all(|(i, c)| if i == 4 || i == 7 {
                        *c == b'-'
                    } else {
                        c.is_ascii_digit()
                    }),
                "{d}"
            );
            assert!(("2008-01-01"..="2025-12-31").contains(&d), "{} {d}", key(r));
        }
    }
    assert_eq!(
        clinical_date(
            &serde_json::json!({ "resourceType": "Encounter", "period": { "start": "2024-3" } })
        ),
        None
    );
}

#[test]
fn record_sizes_and_mix() {
    let mut totals = Vec::new();
    for i in 0..300 {
        let (_, rec) = record(i);
        assert!(
            (40..=120).contains(&rec.len()),
            "member {i}: {} resources",
            rec.len()
        );
        for t in &ORDER[1..] {
            let n = rec.iter().filter(|r| kind(r) == *t).count();
            assert!(n >= 2, "member {i}: only {n} {t}");
        }
        let eob_types: HashSet<&str> = rec
            .iter()
            .filter(|r| kind(r) == "ExplanationOfBenefit")
            .map(|r| r["meta"]["profile"][0].as_str().unwrap())
            .collect();
        assert!(eob_types.len() >= 3, "member {i}: {eob_types:?}");
        totals.push(rec.len());
    }
    totals.sort_unstable();
    assert!(totals[0] < totals[totals.len() - 1]);
}

#[test]
fn claim_types_match_their_profiles() {
    for i in 0..30 {
        for r in record(i)
            .1
            .iter()
            .filter(|r| kind(r) == "ExplanationOfBenefit")
        {
            let profile = r["meta"]["profile"][0].as_str().unwrap();
            let code = r["type"]["coding"][0]["code"].as_str().unwrap();
            assert_eq!(
                r["type"]["coding"][0]["system"],
                "http://terminology.hl7.org/CodeSystem/claim-type"
            );
            let expected = match code {
                "institutional" if r["subType"]["coding"][0]["code"] == "inpatient" => {
                    "Inpatient-Institutional"
                }
                "institutional" => "Outpatient-Institutional",
                "professional" => "Professional-NonClinician",
                "pharmacy" => "Pharmacy",
                "oral" => "Oral",
                other => panic!("claim type {other}"),
            };
            assert!(
                profile.contains(&format!("ExplanationOfBenefit-{expected}|2.1.0")),
                "{profile}"
            );
            for field in [
                "status",
                "use",
                "patient",
                "billablePeriod",
                "created",
                "insurer",
                "provider",
                "outcome",
                "insurance",
                "item",
                "total",
                "payment",
            ] {
                assert!(!r[field].is_null(), "{} lacks {field}", key(r));
            }
            for item in r["item"].as_array().unwrap() {
                assert!(
                    item["sequence"].is_u64()
                        && item["productOrService"].is_object()
                        && item["adjudication"].is_array()
                );
            }
        }
    }
}

#[test]
fn directory_size_and_types() {
    let dir = directory(SEED);
    assert!((150..=300).contains(&dir.len()), "{}", dir.len());
    for t in DIRECTORY_TYPES {
        assert!(dir.iter().any(|r| kind(r) == t), "no {t}");
    }
    assert!(dir.iter().all(|r| DIRECTORY_TYPES.contains(&kind(r))));
    let form = formulary(SEED);
    assert!(
        form.iter().any(|r| kind(r) == "InsurancePlan")
            && form.iter().any(|r| kind(r) == "MedicationKnowledge")
    );
    let plans: HashSet<String> = dir
        .iter()
        .filter(|r| kind(r) == "InsurancePlan")
        .map(key)
        .collect();
    assert!(form.iter().all(|r| !plans.contains(&key(r))));
}

#[test]
fn long_or_odd_patient_ids_still_give_valid_unique_ids() {
    let long = "x".repeat(60);
    let a = patient_record(
        SEED,
        &MemberProfile {
            index: 1,
            patient_id: &long,
        },
    );
    let b = patient_record(
        SEED,
        &MemberProfile {
            index: 1,
            patient_id: &format!("{long}y"),
        },
    );
    let ids_a: HashSet<String> = a[1..].iter().map(key).collect();
    assert!(b[1..].iter().all(|r| !ids_a.contains(&key(r))));
    for r in &a[1..] {
        let id = r["id"].as_str().unwrap();
        assert!(id.len() <= 64, "{id}");
    }
}

/// Not a timed assertion: prints how long generation takes
/// (`cargo test --release -p reference-server --lib speed -- --ignored --nocapture`).
#[test]
#[ignore]
fn generation_speed() {
    let ids: Vec<String> = (0..2000).map(patient_id).collect();
    let profiles: Vec<MemberProfile<'_>> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| MemberProfile {
            index: i as u64,
            patient_id: id,
        })
        .collect();
    let t = Instant::now();
    let mut resources = 0;
    for p in &profiles {
        resources += patient_record(SEED, p).len();
    }
    let per_member = t.elapsed() / profiles.len() as u32;
    let t = Instant::now();
    let kept: Vec<Vec<Value>> = profiles.iter().map(|p| patient_record(SEED, p)).collect();
    let kept_per_member = t.elapsed() / profiles.len() as u32;
    let bytes: usize = kept
        .iter()
        .flatten()
        .map(|r| serde_json::to_vec(r).map_or(0, |v| v.len()))
        .sum();
    let t = Instant::now();
    let directory_len = directory(SEED).len();
    println!(
        "{} members, {resources} resources: {per_member:?}/member (memory reused), \
         {kept_per_member:?}/member (all kept), {} JSON bytes/member; directory ({directory_len}) in {:?}",
        profiles.len(),
        bytes / profiles.len(),
        t.elapsed()
    );
}
