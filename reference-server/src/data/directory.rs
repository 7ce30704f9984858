//! The provider directory's layout (Da Vinci PDex Plan-Net) and its organizations: payers,
//! networks, hospitals, clinics, pharmacies and dental offices.
//!
//! The directory's *structure* is fixed: how many organizations of each kind there are, and
//! which id belongs to which, never depend on the seed. Member records can therefore point at
//! `Organization/org-007` or `Practitioner/practitioner-012` without generating the directory.
//! The seed only changes names, places, identifiers and timestamps.

use serde_json::Value;

use super::dates::any_last_updated;
use super::fhir::{concept, jv, meta, npi, plannet_cs, plannet_sd, profile, reference, sys};
use super::names::{MN_TOWNS, Place, TOWNS, Town};
use super::rng::{Rng, mix};

/// Consecutive numbers of one kind of directory resource.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Block {
    pub(crate) first: usize,
    pub(crate) count: usize,
}

impl Block {
    /// The `i`-th number of the block (wrapping around).
    pub(crate) const fn nth(self, i: usize) -> usize {
        self.first + i % self.count
    }

    /// Whether `n` belongs to the block.
    pub(crate) const fn contains(self, n: usize) -> bool {
        n >= self.first && n < self.first + self.count
    }

    /// All numbers of the block.
    pub(crate) fn iter(self) -> std::ops::Range<usize> {
        self.first..self.first + self.count
    }
}

/// The medical payer: insurer of every medical claim, payor of medical coverage.
pub(crate) const PAYER: usize = 1;
/// The dental payer: insurer of oral claims, payor of dental coverage.
pub(crate) const DENTAL_PAYER: usize = 2;
/// Payer networks (Plan-Net Network organizations): standard, premier, dental.
pub(crate) const NETWORKS: Block = Block { first: 3, count: 3 };
/// Hospitals.
pub(crate) const HOSPITALS: Block = Block { first: 6, count: 4 };
/// Primary care clinics.
pub(crate) const CLINICS: Block = Block {
    first: 10,
    count: 12,
};
/// Retail pharmacies.
pub(crate) const PHARMACIES: Block = Block {
    first: 22,
    count: 4,
};
/// Dental offices.
pub(crate) const DENTAL_OFFICES: Block = Block {
    first: 26,
    count: 3,
};
/// Number of organizations.
pub(crate) const ORGANIZATIONS: usize = 28;
/// Service-area locations (coverage areas of the insurance plans).
pub(crate) const SERVICE_AREAS: Block = Block { first: 1, count: 2 };
/// Number of insurance plans (bronze, silver, gold, platinum).
pub(crate) const PLANS: usize = 4;

/// Display name of the medical payer.
pub(crate) const PAYER_NAME: &str = "Prairie Lakes Health Plan";
/// Display name of the dental payer.
pub(crate) const DENTAL_PAYER_NAME: &str = "Prairie Lakes Dental";
/// Name of each insurance plan, with its Plan-Net plan type code.
pub(crate) const PLAN_TIERS: [(&str, &str, &str); PLANS] = [
    ("Prairie Lakes Bronze PPO", "bronze", "Bronze-QHP"),
    ("Prairie Lakes Silver PPO", "silver", "Silver-QHP"),
    ("Prairie Lakes Gold PPO", "gold", "Gold-QHP"),
    ("Prairie Lakes Platinum PPO", "platinum", "Platinum-QHP"),
];

/// `org-007`.
pub(crate) fn org_id(n: usize) -> String {
    format!("org-{n:03}")
}
/// `location-007`.
pub(crate) fn location_id(n: usize) -> String {
    format!("location-{n:03}")
}
/// `endpoint-007`.
pub(crate) fn endpoint_id(n: usize) -> String {
    format!("endpoint-{n:03}")
}
/// `plan-002`.
pub(crate) fn plan_id(n: usize) -> String {
    format!("plan-{n:03}")
}

/// The endpoint of an organization (networks have none).
pub(crate) fn org_endpoint(org: usize) -> Option<usize> {
    match org {
        PAYER | DENTAL_PAYER => Some(org),
        n if NETWORKS.contains(n) => None,
        n => Some(n - NETWORKS.count),
    }
}

/// Number of endpoints.
pub(crate) const ENDPOINTS: usize = ORGANIZATIONS - 3;

/// The locations of a provider organization: two per hospital, one for the others.
pub(crate) fn org_locations(org: usize) -> Block {
    let after_areas = SERVICE_AREAS.first + SERVICE_AREAS.count;
    if HOSPITALS.contains(org) {
        Block {
            first: after_areas + 2 * (org - HOSPITALS.first),
            count: 2,
        }
    } else if org >= CLINICS.first {
        Block {
            first: after_areas + 2 * HOSPITALS.count + (org - CLINICS.first),
            count: 1,
        }
    } else {
        Block { first: 0, count: 0 }
    }
}

/// Number of locations.
pub(crate) const LOCATIONS: usize = 2 + 2 * 4 + 12 + 4 + 3;

/// What an organization is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrgKind {
    Payer,
    Network,
    Hospital,
    Clinic,
    Pharmacy,
    Dental,
}

/// The kind of organization `n`.
pub(crate) fn org_kind(n: usize) -> OrgKind {
    match n {
        PAYER | DENTAL_PAYER => OrgKind::Payer,
        n if NETWORKS.contains(n) => OrgKind::Network,
        n if HOSPITALS.contains(n) => OrgKind::Hospital,
        n if CLINICS.contains(n) => OrgKind::Clinic,
        n if PHARMACIES.contains(n) => OrgKind::Pharmacy,
        _ => OrgKind::Dental,
    }
}

const HOSPITAL_KINDS: &[&str] = &[
    "Regional Medical Center",
    "Memorial Hospital",
    "Community Hospital",
    "General Hospital",
];
#[rustfmt::skip]
const CLINIC_PREFIXES: &[&str] = &[
    "Lakeside", "Riverbend", "Northwoods", "Prairie View", "Maplewood", "Cedar Ridge", "Bluewater",
    "Pinecrest", "Stonebridge", "Birchwood", "Oak Hollow", "Twin Rivers", "Sunrise", "Highland",
    "Evergreen", "Willow Creek",
];
const CLINIC_SUFFIXES: &[&str] = &[
    "Family Clinic",
    "Primary Care",
    "Family Medicine",
    "Medical Clinic",
];
#[rustfmt::skip]
const PHARMACY_NAMES: &[&str] = &[
    "Main Street Pharmacy", "Corner Drug", "North Shore Pharmacy", "Riverside Apothecary",
    "Town & Country Pharmacy", "Prairie Drug", "Lakeshore Pharmacy",
];

/// Name and town of an organization: cheap, so claims can display provider names.
pub(crate) struct OrgInfo {
    pub(crate) name: String,
    pub(crate) town: &'static Town,
}

/// The name and town of organization `n` under `seed`.
pub(crate) fn org_info(seed: u64, n: usize) -> OrgInfo {
    let mut rng = Rng::new(mix(seed, 0x0_4247 + n as u64));
    let town = &TOWNS[rng.index(MN_TOWNS)];
    let offset = (mix(seed, 0x0_4C53) % 16) as usize;
    let name = match org_kind(n) {
        OrgKind::Payer if n == PAYER => PAYER_NAME.to_string(),
        OrgKind::Payer => DENTAL_PAYER_NAME.to_string(),
        OrgKind::Network => [
            "Prairie Lakes Standard Network",
            "Prairie Lakes Premier Network",
        ]
        .get(n - NETWORKS.first)
        .map_or("Prairie Lakes Dental Network".to_string(), |s| {
            (*s).to_string()
        }),
        OrgKind::Hospital => format!("{} {}", town.name, HOSPITAL_KINDS[n - HOSPITALS.first]),
        OrgKind::Clinic => format!(
            "{} {}",
            CLINIC_PREFIXES[(offset + n - CLINICS.first) % CLINIC_PREFIXES.len()],
            rng.pick(CLINIC_SUFFIXES)
        ),
        OrgKind::Pharmacy => PHARMACY_NAMES[(offset + n) % PHARMACY_NAMES.len()].to_string(),
        OrgKind::Dental => format!("{} Family Dentistry", town.name),
    };
    OrgInfo { name, town }
}

/// A web-friendly slug of a name, for example URLs.
pub(crate) fn slug(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The organization resource `n`.
pub(crate) fn organization(seed: u64, n: usize) -> Value {
    let info = org_info(seed, n);
    let mut rng = Rng::new(mix(seed, 0x0_4F52 + n as u64));
    let kind = org_kind(n);
    let place = Place::in_town(&mut rng, info.town);
    let last_updated = any_last_updated(&mut rng);
    let org_type = match kind {
        OrgKind::Payer => ("payer", "Payer"),
        OrgKind::Network => ("ntwk", "Network"),
        OrgKind::Hospital | OrgKind::Pharmacy => ("fac", "Facility"),
        OrgKind::Clinic | OrgKind::Dental => ("prvgrp", "Provider Group"),
    };
    let type_ = jv!([concept(plannet_cs!("OrgTypeCS"), org_type.0, org_type.1)]);
    let id = org_id(n);
    if kind == OrgKind::Network {
        let partof = if n == NETWORKS.first + 2 {
            DENTAL_PAYER
        } else {
            PAYER
        };
        return jv!({
            "resourceType": "Organization",
            "id": id,
            "meta": meta(last_updated, &[plannet_sd!("plannet-Network")]),
            "active": true,
            "type": type_,
            "name": info.name,
            "partOf": reference("Organization", &org_id(partof)),
            "contact": [{
                "purpose": concept("http://terminology.hl7.org/CodeSystem/contactentity-type", "ADMIN", "Administrative"),
                "telecom": [{ "system": "phone", "value": place.phone(&mut rng), "use": "work" }],
            }],
        });
    }
    let tin = format!("{:02}-{:07}", 41, rng.below(10_000_000));
    let mut identifier = vec![jv!({
        "type": concept(sys::V2_0203, "TAX", "Tax ID number"),
        "system": sys::TIN,
        "value": tin,
    })];
    if kind == OrgKind::Payer {
        identifier.push(jv!({ "system": "urn:oid:2.16.840.1.113883.6.300", "value": format!("{}", 60_000 + rng.below(9_000)) }));
    } else {
        identifier.insert(
            0,
            jv!({
                "type": concept(sys::V2_0203, "NPI", "National provider identifier"),
                "system": sys::NPI,
                "value": npi(rng.next_u64()),
            }),
        );
    }
    let url = format!("https://www.{}.example", slug(&info.name));
    let mut org = jv!({
        "resourceType": "Organization",
        "id": id,
        "meta": meta(last_updated, &[plannet_sd!("plannet-Organization"), profile::C4BB_ORGANIZATION]),
        "identifier": identifier,
        "active": true,
        "type": type_,
        "name": info.name,
        "telecom": [
            { "system": "phone", "value": place.phone(&mut rng), "use": "work", "rank": 1 },
            { "system": "url", "value": url, "rank": 2 },
        ],
        "address": [place.address("work")],
    });
    if let Some(ep) = org_endpoint(n) {
        org["endpoint"] = jv!([reference("Endpoint", &endpoint_id(ep))]);
    }
    org
}
