//! Locations, endpoints and insurance plans of the provider directory (Plan-Net), and the
//! directory's organizations-and-places half in resource order.

use serde_json::Value;

use super::dates::any_last_updated;
use super::directory::{
    CLINICS, DENTAL_PAYER, ENDPOINTS, HOSPITALS, LOCATIONS, NETWORKS, ORGANIZATIONS, OrgKind,
    PAYER, PLAN_TIERS, PLANS, SERVICE_AREAS, endpoint_id, location_id, org_endpoint, org_id,
    org_info, org_kind, org_locations, organization, plan_id, slug,
};
use super::fhir::{coding, concept, jv, meta, plannet_cs, plannet_sd, reference, sys};
use super::names::Place;
use super::rng::{Rng, mix};

/// The location resource `n`: a service area or a provider site.
pub(crate) fn location(seed: u64, n: usize) -> Value {
    let mut rng = Rng::new(mix(seed, 0x4C_4F43 + n as u64));
    let last_updated = any_last_updated(&mut rng);
    let id = location_id(n);
    if SERVICE_AREAS.contains(n) {
        let (name, state) = if n == SERVICE_AREAS.first {
            ("Minnesota service area", "MN")
        } else {
            ("Western Wisconsin service area", "WI")
        };
        return jv!({
            "resourceType": "Location",
            "id": id,
            "meta": meta(last_updated, &[plannet_sd!("plannet-Location")]),
            "status": "active",
            "name": name,
            "address": { "state": state, "country": "US" },
        });
    }
    let org = (CLINICS.first..=ORGANIZATIONS)
        .chain(HOSPITALS.iter())
        .find(|o| org_locations(*o).contains(n))
        .unwrap_or(CLINICS.first);
    let info = org_info(seed, org);
    let second = org_locations(org).first != n;
    let (role, role_display, site) = match org_kind(org) {
        OrgKind::Hospital if second => ("ER", "Emergency room", "Emergency Department"),
        OrgKind::Hospital => ("HOSP", "Hospital", "Main Campus"),
        OrgKind::Pharmacy => ("OUTPHARM", "outpatient pharmacy", "Store"),
        _ => ("PROFF", "Provider's office", "Clinic"),
    };
    let place = Place::in_town(&mut rng, info.town);
    let (lat, lon) = info.town.position;
    let jitter = |r: &mut Rng| (r.range(0, 400) as f64 - 200.0) / 10_000.0;
    let all_day = org_kind(org) == OrgKind::Hospital;
    jv!({
        "resourceType": "Location",
        "id": id,
        "meta": meta(last_updated, &[plannet_sd!("plannet-Location")]),
        "extension": [{
            "url": plannet_sd!("accessibility"),
            "valueCodeableConcept": concept(plannet_cs!("AccessibilityCS"), "adacomp", "ADA compliant"),
        }],
        "status": "active",
        "name": format!("{} - {site}", info.name),
        "type": [concept("http://terminology.hl7.org/CodeSystem/v3-RoleCode", role, role_display)],
        "telecom": [{ "system": "phone", "value": place.phone(&mut rng), "use": "work" }],
        "address": place.address("work"),
        "position": { "latitude": lat + jitter(&mut rng), "longitude": lon + jitter(&mut rng) },
        "managingOrganization": reference("Organization", &org_id(org)),
        "hoursOfOperation": [if all_day {
            jv!({ "daysOfWeek": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "allDay": true })
        } else {
            jv!({ "daysOfWeek": ["mon", "tue", "wed", "thu", "fri"], "openingTime": "08:00:00", "closingTime": "17:00:00" })
        }],
    })
}

/// The endpoint resource of organization `org`.
pub(crate) fn endpoint(seed: u64, org: usize, n: usize) -> Value {
    let info = org_info(seed, org);
    let mut rng = Rng::new(mix(seed, 0x45_4E44 + n as u64));
    let base = if org == PAYER || org == DENTAL_PAYER {
        format!("{}/r4", sys::PAYER_BASE)
    } else {
        format!("https://fhir.{}.example/r4", slug(&info.name))
    };
    jv!({
        "resourceType": "Endpoint",
        "id": endpoint_id(n),
        "meta": meta(any_last_updated(&mut rng), &[plannet_sd!("plannet-Endpoint")]),
        "status": "active",
        "connectionType": coding("http://terminology.hl7.org/CodeSystem/endpoint-connection-type", "hl7-fhir-rest", "HL7 FHIR"),
        "name": format!("{} FHIR API", info.name),
        "managingOrganization": reference("Organization", &org_id(org)),
        "payloadType": [concept(plannet_cs!("EndpointPayloadTypeCS"), "NA", "Not Applicable")],
        "payloadMimeType": ["application/fhir+json"],
        "address": base,
    })
}

/// The insurance plan resource `n` (1-based).
pub(crate) fn insurance_plan(seed: u64, n: usize) -> Value {
    let mut rng = Rng::new(mix(seed, 0x50_4C41 + n as u64));
    let (name, code, display) = PLAN_TIERS[(n - 1) % PLANS];
    let mut networks = vec![reference("Organization", &org_id(NETWORKS.first))];
    if n > 2 {
        networks.push(reference("Organization", &org_id(NETWORKS.first + 1)));
    }
    jv!({
        "resourceType": "InsurancePlan",
        "id": plan_id(n),
        "meta": meta(any_last_updated(&mut rng), &[plannet_sd!("plannet-InsurancePlan")]),
        "identifier": [{ "system": format!("{}/plan-id", sys::PAYER_BASE), "value": format!("PLPPO{n:02}") }],
        "status": "active",
        "type": [concept(plannet_cs!("InsuranceProductTypeCS"), "qhp", "Qualified Health Plan")],
        "name": name,
        "ownedBy": reference("Organization", &org_id(PAYER)),
        "administeredBy": reference("Organization", &org_id(PAYER)),
        "coverageArea": SERVICE_AREAS.iter().map(|l| reference("Location", &location_id(l))).collect::<Vec<_>>(),
        "endpoint": [reference("Endpoint", &endpoint_id(1))],
        "network": networks,
        "plan": [{ "type": concept(plannet_cs!("InsurancePlanTypeCS"), code, display) }],
    })
}

/// Organizations, locations, endpoints and plans of the directory, in that order.
pub(crate) fn places_and_plans(seed: u64) -> Vec<Value> {
    let mut out = Vec::with_capacity(ORGANIZATIONS + LOCATIONS + ENDPOINTS + PLANS);
    out.extend((1..=ORGANIZATIONS).map(|n| organization(seed, n)));
    out.extend((1..=LOCATIONS).map(|n| location(seed, n)));
    for org in 1..=ORGANIZATIONS {
        if let Some(ep) = org_endpoint(org) {
            out.push(endpoint(seed, org, ep));
        }
    }
    out.extend((1..=PLANS).map(|n| insurance_plan(seed, n)));
    out
}
