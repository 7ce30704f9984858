//! Properties of the generated datasets as a whole: determinism, unique ids, resolvable
//! references, required metadata, clinical dates and sizes.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::{MemberProfile, directory, formulary, patient_record};

pub(super) const SEED: u64 = 20_240_305;

/// Compartment resource types, in the order a record lists them.
pub(super) use crate::fhir::COMPARTMENT_TYPES as ORDER;
pub(super) use crate::fhir::DIRECTORY_TYPES;

pub(super) fn patient_id(i: u64) -> String {
    // Like the sandbox members' ids: UUIDs.
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        0x1000_0000 + i * 7919,
        i,
        i % 4096,
        (i * 31) % 4096,
        i * 104_729
    )
}

pub(super) fn record(i: u64) -> (String, Vec<Value>) {
    let id = patient_id(i);
    let rec = patient_record(
        SEED,
        &MemberProfile {
            index: i,
            patient_id: &id,
        },
    );
    (id, rec)
}

pub(super) fn kind(r: &Value) -> &str {
    r["resourceType"].as_str().unwrap_or("")
}

pub(super) fn key(r: &Value) -> String {
    format!("{}/{}", kind(r), r["id"].as_str().unwrap_or(""))
}

/// Every `reference` string anywhere inside `v`.
fn references<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                match (k.as_str(), child) {
                    ("reference", Value::String(s)) => out.push(s),
                    _ => references(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|c| references(c, out)),
        _ => {}
    }
}

#[test]
fn same_inputs_give_identical_json() {
    for i in [0, 1, 17] {
        let a = serde_json::to_string(&record(i).1).unwrap();
        let b = serde_json::to_string(&record(i).1).unwrap();
        assert_eq!(a, b);
    }
    assert_eq!(
        serde_json::to_string(&directory(SEED)).unwrap(),
        serde_json::to_string(&directory(SEED)).unwrap()
    );
    assert_eq!(
        serde_json::to_string(&formulary(SEED)).unwrap(),
        serde_json::to_string(&formulary(SEED)).unwrap()
    );
    assert_ne!(
        serde_json::to_string(&directory(SEED)).unwrap(),
        serde_json::to_string(&directory(SEED + 1)).unwrap()
    );
}

#[test]
fn members_differ() {
    let mut names = HashSet::new();
    let mut births = HashSet::new();
    let mut genders = HashSet::new();
    let mut sizes = HashSet::new();
    for i in 0..20 {
        let (_, rec) = record(i);
        names.insert(rec[0]["name"][0]["text"].to_string());
        births.insert(rec[0]["birthDate"].to_string());
        genders.insert(rec[0]["gender"].to_string());
        sizes.insert(rec.len());
    }
    assert!(names.len() >= 18, "{names:?}");
    assert!(births.len() >= 18);
    assert_eq!(genders.len(), 2);
    assert!(sizes.len() >= 5, "{sizes:?}");
    // The same index with another patient id, or another seed, is another person.
    let other = patient_record(
        SEED,
        &MemberProfile {
            index: 0,
            patient_id: "someone-else",
        },
    );
    assert_ne!(other[0]["name"], record(0).1[0]["name"]);
}

#[test]
fn ids_are_unique_across_members_directory_and_formulary() {
    let mut seen = HashSet::new();
    let mut all = directory(SEED);
    all.extend(formulary(SEED));
    for i in 0..50 {
        all.extend(record(i).1);
    }
    for r in &all {
        let id = r["id"].as_str().unwrap();
        assert!(seen.insert(id.to_string()), "duplicate id {id}");
        assert!(
            id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
            "bad id {id}"
        );
    }
}

#[test]
fn every_resource_has_id_last_updated_and_profile() {
    let mut all = directory(SEED);
    all.extend(formulary(SEED));
    for i in 0..10 {
        all.extend(record(i).1);
    }
    for r in &all {
        assert!(r["id"].as_str().is_some_and(|s| !s.is_empty()), "{r}");
        let lu = r["meta"]["lastUpdated"]
            .as_str()
            .unwrap_or_else(|| panic!("no lastUpdated: {}", key(r)));
        assert_eq!(lu.len(), 20, "{lu}");
        assert!(lu.ends_with('Z') && &lu[10..11] == "T", "{lu}");
        let year: u32 = lu[..4].parse().unwrap();
        assert!((2019..=2025).contains(&year), "{lu}");
        let profiles = r["meta"]["profile"]
            .as_array()
            .unwrap_or_else(|| panic!("no profile: {}", key(r)));
        assert!(!profiles.is_empty());
        assert!(profiles.iter().all(|p| {
            p.as_str()
                .is_some_and(|p| p.starts_with("http://hl7.org/fhir/us/"))
        }));
    }
}

#[test]
fn last_updated_values_spread_over_the_years() {
    let mut years = BTreeMap::new();
    for i in 0..10 {
        for r in record(i).1 {
            *years
                .entry(r["meta"]["lastUpdated"].as_str().unwrap()[..4].to_string())
                .or_insert(0) += 1;
        }
    }
    assert_eq!(years.len(), 7, "{years:?}");
}

#[test]
fn every_reference_resolves() {
    let dir = directory(SEED);
    let form = formulary(SEED);
    let shared: HashSet<String> = dir.iter().chain(&form).map(key).collect();
    let mut checked = 0;
    for r in dir.iter().chain(&form) {
        let mut refs = Vec::new();
        references(r, &mut refs);
        for target in refs {
            assert!(shared.contains(target), "{} -> {target}", key(r));
            checked += 1;
        }
    }
    for i in 0..50 {
        let (_, rec) = record(i);
        let own: HashSet<String> = rec.iter().map(key).collect();
        for r in &rec {
            let mut refs = Vec::new();
            references(r, &mut refs);
            for target in refs {
                assert!(
                    own.contains(target) || shared.contains(target),
                    "{} -> {target}",
                    key(r)
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 10_000, "{checked}");
}

#[test]
fn record_starts_with_its_patient_and_stays_in_its_compartment() {
    for i in 0..50 {
        let (id, rec) = record(i);
        assert_eq!(kind(&rec[0]), "Patient");
        assert_eq!(rec[0]["id"], id.as_str());
        assert_eq!(rec.iter().filter(|r| kind(r) == "Patient").count(), 1);
        let me = format!("Patient/{id}");
        let mut last_rank = 0;
        for r in &rec[1..] {
            let rank = ORDER
                .iter()
                .position(|t| *t == kind(r))
                .unwrap_or_else(|| panic!("unexpected {}", key(r)));
            assert!(rank >= last_rank, "out of order: {}", key(r));
            last_rank = rank;
            let owner = ["subject", "patient", "beneficiary"]
                .iter()
                .find_map(|f| r[*f]["reference"].as_str());
            assert_eq!(owner, Some(me.as_str()), "{}", key(r));
        }
    }
}
