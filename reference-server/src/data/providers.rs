//! The people and services of the provider directory (Plan-Net): Practitioner,
//! PractitionerRole and HealthcareService.
//!
//! As in [`super::directory`], which practitioner works where and in which specialty is fixed
//! by the practitioner's number; the seed only changes names, identifiers and timestamps.

use serde_json::Value;

use super::dates::any_last_updated;
use super::directory::Block;
use super::directory::{
    CLINICS, DENTAL_OFFICES, HOSPITALS, NETWORKS, OrgKind, PHARMACIES, endpoint_id, location_id,
    org_endpoint, org_id, org_info, org_kind, org_locations,
};
use super::fhir::{
    concept, concept_text, jv, meta, npi, plannet_cs, plannet_sd, profile, reference, sys,
};
use super::names::PersonName;
use super::rng::{Rng, mix};

/// Primary care practitioners: three per clinic.
pub(crate) const PRIMARY_CARE: Block = Block {
    first: 1,
    count: 36,
};
/// Hospital physicians.
pub(crate) const HOSPITAL_STAFF: Block = Block {
    first: 37,
    count: 14,
};
/// Dentists: two per dental office.
pub(crate) const DENTISTS: Block = Block {
    first: 51,
    count: 6,
};
/// Pharmacists: one per pharmacy.
pub(crate) const PHARMACISTS: Block = Block {
    first: 57,
    count: 4,
};
/// Number of practitioners.
pub(crate) const PRACTITIONERS: usize = 60;
/// Number of practitioner roles: one per practitioner, plus admitting privileges at a
/// hospital for every fourth primary care practitioner.
pub(crate) const ROLES: usize = PRACTITIONERS + PRIMARY_CARE.count / 4;
/// Number of healthcare services: two per hospital, one per other provider organization.
pub(crate) const SERVICES: usize = 2 * HOSPITALS.count + 19;

/// `practitioner-007`.
pub(crate) fn practitioner_id(n: usize) -> String {
    format!("practitioner-{n:03}")
}
/// `role-007`.
pub(crate) fn role_id(n: usize) -> String {
    format!("role-{n:03}")
}
/// `service-007`.
pub(crate) fn service_id(n: usize) -> String {
    format!("service-{n:03}")
}

/// A clinical specialty: NUCC taxonomy, degree (v2-0360) and Plan-Net provider role.
#[derive(Debug)]
pub(crate) struct Specialty {
    pub(crate) nucc: &'static str,
    pub(crate) display: &'static str,
    pub(crate) degree: &'static str,
    pub(crate) role: &'static str,
    pub(crate) role_display: &'static str,
}

const fn specialty(nucc: &'static str, display: &'static str, degree: &'static str) -> Specialty {
    let (role, role_display) = match degree.as_bytes() {
        b"NP" => ("apn", "Advanced Practice Nursing Providers"),
        b"DDS" => ("de", "Dentist"),
        b"PharmD" => ("rx", "Pharmacy Service Providers"),
        _ => ("ph", "Physician"),
    };
    Specialty {
        nucc,
        display,
        degree,
        role,
        role_display,
    }
}

/// Family medicine physician.
pub(crate) const FAMILY_MEDICINE: Specialty =
    specialty("207Q00000X", "Family Medicine Physician", "MD");
const INTERNAL_MEDICINE: Specialty = specialty("207R00000X", "Internal Medicine Physician", "MD");
/// Pediatrician.
pub(crate) const PEDIATRICS: Specialty = specialty("208000000X", "Pediatrics Physician", "MD");
const FAMILY_NP: Specialty = specialty("363LF0000X", "Family Nurse Practitioner", "NP");
const DENTIST: Specialty = specialty("1223G0001X", "General Practice Dentist", "DDS");
const PHARMACIST: Specialty = specialty("183500000X", "Pharmacist", "PharmD");
/// Specialties of the hospital staff, in the order practitioners cycle through them.
pub(crate) const HOSPITAL_SPECIALTIES: [Specialty; 7] = [
    specialty("207P00000X", "Emergency Medicine Physician", "MD"),
    specialty("208M00000X", "Hospitalist", "MD"),
    specialty("208600000X", "Surgery Physician", "MD"),
    specialty("207RC0000X", "Cardiovascular Disease Physician", "MD"),
    specialty("2085R0202X", "Diagnostic Radiology Physician", "MD"),
    specialty("207X00000X", "Orthopaedic Surgery Physician", "MD"),
    specialty("207RG0100X", "Gastroenterology Physician", "MD"),
];

/// The organization practitioner `p` works for.
pub(crate) fn practitioner_org(p: usize) -> usize {
    if PRIMARY_CARE.contains(p) {
        CLINICS.first + (p - PRIMARY_CARE.first) / 3
    } else if HOSPITAL_STAFF.contains(p) {
        HOSPITALS.nth(p - HOSPITAL_STAFF.first)
    } else if DENTISTS.contains(p) {
        DENTAL_OFFICES.first + (p - DENTISTS.first) / 2
    } else {
        PHARMACIES.nth(p.saturating_sub(PHARMACISTS.first))
    }
}

/// The specialty of practitioner `p`.
pub(crate) fn practitioner_specialty(p: usize) -> &'static Specialty {
    if PRIMARY_CARE.contains(p) {
        let i = p - PRIMARY_CARE.first;
        match i % 3 {
            0 => &FAMILY_MEDICINE,
            1 if (i / 3).is_multiple_of(2) => &INTERNAL_MEDICINE,
            1 => &PEDIATRICS,
            _ => &FAMILY_NP,
        }
    } else if HOSPITAL_STAFF.contains(p) {
        &HOSPITAL_SPECIALTIES[(p - HOSPITAL_STAFF.first) % HOSPITAL_SPECIALTIES.len()]
    } else if DENTISTS.contains(p) {
        &DENTIST
    } else {
        &PHARMACIST
    }
}

/// The healthcare services of an organization: emergency and inpatient for a hospital, one
/// for every other provider organization, none for payers and networks.
pub(crate) fn org_services(org: usize) -> Block {
    if HOSPITALS.contains(org) {
        Block {
            first: 1 + 2 * (org - HOSPITALS.first),
            count: 2,
        }
    } else if org >= CLINICS.first {
        Block {
            first: 1 + 2 * HOSPITALS.count + (org - CLINICS.first),
            count: 1,
        }
    } else {
        Block { first: 0, count: 0 }
    }
}

/// The name of practitioner `p` under `seed`.
pub(crate) fn practitioner_name(seed: u64, p: usize) -> PersonName {
    PersonName::random(&mut Rng::new(mix(seed, 0x50_5200 + p as u64)))
}

fn degree_display(degree: &str) -> (&'static str, &'static str) {
    match degree {
        "NP" => ("Nurse Practitioner", "Minnesota Board of Nursing"),
        "DDS" => ("Doctor of Dental Surgery", "Minnesota Board of Dentistry"),
        "PharmD" => ("Doctor of Pharmacy", "Minnesota Board of Pharmacy"),
        _ => ("Doctor of Medicine", "Minnesota Board of Medical Practice"),
    }
}

/// The practitioner resource `p`.
pub(crate) fn practitioner(seed: u64, p: usize) -> Value {
    let name = practitioner_name(seed, p);
    let spec = practitioner_specialty(p);
    let mut rng = Rng::new(mix(seed, 0x50_5241 + p as u64));
    let state = org_info(seed, practitioner_org(p)).town.state;
    let (degree_name, board) = degree_display(spec.degree);
    let valid_in = |status: &str| {
        jv!([{
            "url": plannet_sd!("practitioner-qualification"),
            "extension": [
                { "url": "status", "valueCode": status },
                { "url": "whereValid", "valueCodeableConcept": concept("https://www.usps.com/", state, "") },
            ],
        }])
    };
    let prefix: &[&str] = if spec.degree == "MD" || spec.degree == "DDS" {
        &["Dr."]
    } else {
        &[]
    };
    jv!({
        "resourceType": "Practitioner",
        "id": practitioner_id(p),
        "meta": meta(any_last_updated(&mut rng), &[plannet_sd!("plannet-Practitioner"), profile::C4BB_PRACTITIONER]),
        "identifier": [{
            "type": concept(sys::V2_0203, "NPI", "National provider identifier"),
            "system": sys::NPI,
            "value": npi(rng.next_u64()),
        }],
        "active": true,
        "name": [{
            "text": format!("{} {}, {}", name.given, name.family, spec.degree),
            "family": name.family,
            "given": [name.given],
            "prefix": prefix,
            "suffix": [spec.degree],
        }],
        "gender": if name.female { "female" } else { "male" },
        "qualification": [
            {
                "extension": valid_in("active"),
                "identifier": [{ "system": "https://mn.gov/boards/license", "value": format!("{}{:06}", &spec.degree[..1], rng.below(1_000_000)) }],
                "code": concept_text("http://terminology.hl7.org/CodeSystem/v2-0360", spec.degree, degree_name, spec.degree),
                "issuer": { "display": board },
            },
            {
                "extension": valid_in("active"),
                "code": concept_text(sys::NUCC, spec.nucc, spec.display, spec.display),
                "issuer": { "display": "National Uniform Claim Committee taxonomy" },
            },
        ],
    })
}

/// The practitioner role resource `n`: roles `1..=60` are each practitioner's main role,
/// the rest are admitting privileges of primary care practitioners at a hospital.
pub(crate) fn practitioner_role(seed: u64, n: usize) -> Value {
    let mut rng = Rng::new(mix(seed, 0x524F_4C45 + n as u64));
    let (p, org, code, code_display) = if n <= PRACTITIONERS {
        let s = practitioner_specialty(n);
        (n, practitioner_org(n), s.role, s.role_display)
    } else {
        let k = n - PRACTITIONERS;
        (4 * k, HOSPITALS.nth(k), "ap", "Admitting Privileges")
    };
    let spec = practitioner_specialty(p);
    let dental = org_kind(org) == OrgKind::Dental;
    let networks: Vec<usize> = if dental {
        vec![NETWORKS.first + 2]
    } else if p % 2 == 0 {
        vec![NETWORKS.first, NETWORKS.first + 1]
    } else {
        vec![NETWORKS.first]
    };
    let extension: Vec<Value> = networks
        .iter()
        .map(|net| {
            jv!({
                "url": plannet_sd!("network-reference"),
                "valueReference": reference("Organization", &org_id(*net)),
            })
        })
        .collect();
    let locations = org_locations(org);
    let services = org_services(org);
    let mut role = jv!({
        "resourceType": "PractitionerRole",
        "id": role_id(n),
        "meta": meta(any_last_updated(&mut rng), &[plannet_sd!("plannet-PractitionerRole")]),
        "extension": extension,
        "active": true,
        "practitioner": reference("Practitioner", &practitioner_id(p)),
        "organization": reference("Organization", &org_id(org)),
        "code": [concept(plannet_cs!("ProviderRoleCS"), code, code_display)],
        "specialty": [concept(sys::NUCC, spec.nucc, spec.display)],
        "location": locations.iter().map(|l| reference("Location", &location_id(l))).collect::<Vec<_>>(),
        "healthcareService": services.iter().map(|s| reference("HealthcareService", &service_id(s))).collect::<Vec<_>>(),
    });
    if let Some(ep) = org_endpoint(org) {
        role["endpoint"] = jv!([reference("Endpoint", &endpoint_id(ep))]);
    }
    role
}

/// The healthcare service resource `n`.
pub(crate) fn healthcare_service(seed: u64, n: usize) -> Value {
    let mut rng = Rng::new(mix(seed, 0x4843_5300 + n as u64));
    let org = (HOSPITALS.first..=DENTAL_OFFICES.first + DENTAL_OFFICES.count)
        .find(|o| org_services(*o).contains(n))
        .unwrap_or(CLINICS.first);
    let info = org_info(seed, org);
    let second = org_services(org).first != n;
    let (category, category_display, nucc, nucc_display, what) = match org_kind(org) {
        OrgKind::Hospital if second => (
            "hosp",
            "Hospital",
            "282N00000X",
            "General Acute Care Hospital",
            "Inpatient Care",
        ),
        OrgKind::Hospital => (
            "emerg",
            "Emergency care",
            "207P00000X",
            "Emergency Medicine Physician",
            "Emergency Care",
        ),
        OrgKind::Pharmacy => (
            "pharm",
            "Pharmacy",
            "3336C0003X",
            "Community/Retail Pharmacy",
            "Retail Pharmacy",
        ),
        OrgKind::Dental => (
            "dent",
            "Dental",
            "1223G0001X",
            "General Practice Dentist",
            "General Dentistry",
        ),
        _ => (
            "outpat",
            "Clinic or Outpatient Facility",
            "207Q00000X",
            "Family Medicine Physician",
            "Primary Care",
        ),
    };
    let locations = org_locations(org);
    let location = if org_kind(org) == OrgKind::Hospital && !second {
        locations.first + 1
    } else {
        locations.first
    };
    jv!({
        "resourceType": "HealthcareService",
        "id": service_id(n),
        "meta": meta(any_last_updated(&mut rng), &[plannet_sd!("plannet-HealthcareService")]),
        "extension": [{
            "url": plannet_sd!("delivery-method"),
            "extension": [{
                "url": "type",
                "valueCodeableConcept": concept(plannet_cs!("DeliveryMethodCS"), "physical", "Physical"),
            }],
        }],
        "active": true,
        "providedBy": reference("Organization", &org_id(org)),
        "category": [concept(plannet_cs!("HealthcareServiceCategoryCS"), category, category_display)],
        "specialty": [concept(sys::NUCC, nucc, nucc_display)],
        "location": [reference("Location", &location_id(location))],
        "name": format!("{} - {what}", info.name),
    })
}

/// Practitioners, roles and services of the directory, in that order.
pub(crate) fn people_and_services(seed: u64) -> Vec<Value> {
    let mut out = Vec::with_capacity(PRACTITIONERS + ROLES + SERVICES);
    out.extend((1..=PRACTITIONERS).map(|p| practitioner(seed, p)));
    out.extend((1..=ROLES).map(|n| practitioner_role(seed, n)));
    out.extend((1..=SERVICES).map(|n| healthcare_service(seed, n)));
    out
}
