//! Discovery: `.well-known/smart-configuration` (SMART App Launch 2.0 "Conformance"), the
//! OpenID configuration of the issuer, and each FHIR base's CapabilityStatement, whose
//! security section agrees with the SMART configuration.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::faults::{Fault, FaultSwitches};
use crate::outcome::FHIR_JSON;
use crate::state::AppState;
use crate::urls::{OAUTH_PATH, PATIENT_ACCESS_PATH, PROVIDER_DIRECTORY_PATH, Urls};

/// Fixed publication date so the statement is reproducible.
const PUBLISHED: &str = "2026-01-15";

/// Discovery routes of both bases and the issuer.
pub fn router() -> Router<AppState> {
    let smart = "/.well-known/smart-configuration";
    Router::new()
        .route(
            &format!("{PATIENT_ACCESS_PATH}{smart}"),
            get(smart_configuration),
        )
        .route(
            &format!("{PROVIDER_DIRECTORY_PATH}{smart}"),
            get(smart_configuration),
        )
        .route(
            &format!("{PATIENT_ACCESS_PATH}/metadata"),
            get(patient_access_metadata),
        )
        .route(
            &format!("{PROVIDER_DIRECTORY_PATH}/metadata"),
            get(directory_metadata),
        )
        .route(
            &format!("{OAUTH_PATH}/.well-known/openid-configuration"),
            get(openid_configuration),
        )
}

/// The SMART configuration document (the same for both bases: one authorization server).
pub fn smart_document(urls: &Urls) -> Value {
    json!({
        "issuer": urls.issuer,
        "jwks_uri": urls.jwks,
        "authorization_endpoint": urls.authorize,
        "token_endpoint": urls.token,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        "registration_endpoint": urls.register,
        "introspection_endpoint": urls.introspect,
        "revocation_endpoint": urls.revoke,
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "response_types_supported": ["code"],
        "scopes_supported": ["openid", "fhirUser", "launch/patient", "patient/*.rs", "system/*.rs"],
        "code_challenge_methods_supported": ["S256"],
        "capabilities": [
            "launch-standalone",
            "client-confidential-symmetric",
            "client-confidential-asymmetric",
            "context-standalone-patient",
            "permission-patient",
            "permission-v2",
            "sso-openid-connect"
        ],
    })
}

/// [`smart_document`] as served. Fault `PkcePlainAdvertised`: `plain` listed "for older
/// clients" (RFC 7636 4.2 allows it; SMART forbids it). Fault
/// `SmartConfigWithoutTokenEndpoint`: the token endpoint left out (as if only the OpenID
/// configuration had it).
pub fn smart_document_with(urls: &Urls, faults: &FaultSwitches) -> Value {
    let mut doc = smart_document(urls);
    if faults.on(Fault::PkcePlainAdvertised) {
        doc["code_challenge_methods_supported"] = json!(["S256", "plain"]);
    }
    if faults.on(Fault::SmartConfigWithoutTokenEndpoint)
        && let Some(doc) = doc.as_object_mut()
    {
        doc.remove("token_endpoint");
    }
    doc
}

async fn smart_configuration(State(state): State<AppState>) -> Response {
    axum::Json(smart_document_with(&state.urls, &state.faults)).into_response()
}

async fn openid_configuration(State(state): State<AppState>) -> Response {
    // Fault `OpenidConfigurationMissing`: the issuer publishes no OpenID configuration.
    if state.faults.on(Fault::OpenidConfigurationMissing) {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    }
    axum::Json(openid_document_with(&state.urls, &state.faults)).into_response()
}

/// The OpenID Connect Discovery 1.0 document at `{issuer}/.well-known/openid-configuration`,
/// where SMART's "steps for using an ID token" send the app. Fault
/// `OpenidConfigurationOtherIssuer`: the issuer with a trailing slash, which Discovery 4.3
/// forbids (it MUST be identical to the id_token's `iss`).
pub fn openid_document_with(u: &Urls, faults: &FaultSwitches) -> Value {
    let issuer = if faults.on(Fault::OpenidConfigurationOtherIssuer) {
        format!("{}/", u.issuer)
    } else {
        u.issuer.clone()
    };
    json!({
        "issuer": issuer,
        "authorization_endpoint": u.authorize,
        "token_endpoint": u.token,
        "jwks_uri": u.jwks,
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "fhirUser"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "fhirUser", "nonce"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
    })
}

/// The CapabilityStatement security section (SMART App Launch 2.0 "Conformance"): the
/// SMART-on-FHIR service, with the same endpoints as discovery.
pub fn security(urls: &Urls) -> Value {
    json!({
        "cors": false,
        "service": [{
            "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                "code": "SMART-on-FHIR"
            }],
            "text": "OAuth2 using SMART-on-FHIR profile (see .well-known/smart-configuration)"
        }],
        "extension": [{
            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
            "extension": [
                { "url": "authorize", "valueUri": urls.authorize },
                { "url": "token", "valueUri": urls.token },
                { "url": "introspect", "valueUri": urls.introspect },
                { "url": "revoke", "valueUri": urls.revoke },
                { "url": "register", "valueUri": urls.register }
            ]
        }]
    })
}

/// [`security`] as served. Fault `MetadataWithoutSmartSecurity`: the OAuth URIs are there but
/// no security service declares SMART-on-FHIR.
pub fn security_with(urls: &Urls, faults: &FaultSwitches) -> Value {
    let mut security = security(urls);
    if faults.on(Fault::MetadataWithoutSmartSecurity)
        && let Some(security) = security.as_object_mut()
    {
        security.remove("service");
    }
    security
}

fn capability_statement(
    security: Value,
    base: &str,
    name: &str,
    resources: Value,
    implementation_guides: &[&str],
) -> Value {
    json!({
        "resourceType": "CapabilityStatement",
        "id": name.to_ascii_lowercase().replace(' ', "-"),
        "name": name.replace(' ', ""),
        "title": name,
        "status": "active",
        "date": PUBLISHED,
        "publisher": "smartcheck reference server",
        "kind": "instance",
        "implementation": { "description": name, "url": base },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "implementationGuide": implementation_guides,
        "rest": [{ "mode": "server", "security": security, "resource": resources }]
    })
}

fn resource_entry(kind: &str, profile: &str, everything: bool) -> Value {
    let mut r = json!({
        "type": kind,
        "supportedProfile": [profile],
        "interaction": [{ "code": "read" }, { "code": "search-type" }],
        "searchParam": [
            { "name": "_id", "type": "token" },
            { "name": "_count", "type": "number" }
        ]
    });
    if everything {
        r["operation"] = json!([{
            "name": "everything",
            "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"
        }]);
    }
    r
}

/// Resource types of the Patient Access API with the profile each conforms to.
pub const PATIENT_ACCESS_TYPES: &[(&str, &str)] = &[
    (
        "Patient",
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Patient",
    ),
    (
        "Coverage",
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Coverage",
    ),
    (
        "ExplanationOfBenefit",
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit",
    ),
    (
        "Condition",
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-condition-problems-health-concerns",
    ),
    (
        "Observation",
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab",
    ),
    (
        "Encounter",
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-encounter",
    ),
    (
        "MedicationRequest",
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-medicationrequest",
    ),
    (
        "AllergyIntolerance",
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-allergyintolerance",
    ),
    (
        "Immunization",
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-immunization",
    ),
    (
        "Procedure",
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-procedure",
    ),
    (
        "Organization",
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Organization",
    ),
    (
        "Practitioner",
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Practitioner",
    ),
    (
        "MedicationKnowledge",
        "http://hl7.org/fhir/us/davinci-drug-formulary/StructureDefinition/usdf-FormularyDrug",
    ),
];

/// Resource types of the Provider Directory API with their Plan-Net profiles.
pub const DIRECTORY_TYPES: &[(&str, &str)] = &[
    (
        "Practitioner",
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-Practitioner",
    ),
    (
        "PractitionerRole",
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-PractitionerRole",
    ),
    (
        "Organization",
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-Organization",
    ),
    (
        "Location",
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-Location",
    ),
    (
        "HealthcareService",
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-HealthcareService",
    ),
    (
        "InsurancePlan",
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-InsurancePlan",
    ),
    (
        "Endpoint",
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/plannet-Endpoint",
    ),
];

fn fhir_json(v: Value) -> Response {
    let mut res = axum::Json(v).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    res
}

async fn patient_access_metadata(State(state): State<AppState>) -> Response {
    let resources: Vec<Value> = PATIENT_ACCESS_TYPES
        .iter()
        .map(|(t, p)| resource_entry(t, p, *t == "Patient"))
        .collect();
    fhir_json(capability_statement(
        security_with(&state.urls, &state.faults),
        &state.urls.patient_access,
        "Patient Access API",
        json!(resources),
        &[
            "http://hl7.org/fhir/us/core/ImplementationGuide/hl7.fhir.us.core|6.1.0",
            "http://hl7.org/fhir/us/carin-bb/ImplementationGuide/hl7.fhir.us.carin-bb|2.1.0",
            "http://hl7.org/fhir/us/davinci-pdex/ImplementationGuide/hl7.fhir.us.davinci-pdex|2.0.0",
            "http://hl7.org/fhir/us/davinci-drug-formulary/ImplementationGuide/hl7.fhir.us.davinci-drug-formulary",
        ],
    ))
}

async fn directory_metadata(State(state): State<AppState>) -> Response {
    let resources: Vec<Value> = DIRECTORY_TYPES
        .iter()
        .map(|(t, p)| resource_entry(t, p, false))
        .collect();
    fhir_json(capability_statement(
        security_with(&state.urls, &state.faults),
        &state.urls.provider_directory,
        "Provider Directory API",
        json!(resources),
        &[
            "http://hl7.org/fhir/us/davinci-pdex-plan-net/ImplementationGuide/hl7.fhir.us.davinci-pdex-plan-net",
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_discovery_fault_bends_only_its_own_field() {
        let urls = Urls::new("http://h");
        let clean = FaultSwitches::default();
        assert_eq!(smart_document_with(&urls, &clean), smart_document(&urls));
        assert_eq!(security_with(&urls, &clean), security(&urls));
        let doc = smart_document(&urls);
        assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(doc["token_endpoint"], json!(urls.token));
        assert!(security(&urls)["service"].is_array());

        let plain = smart_document_with(&urls, &FaultSwitches::with(&[Fault::PkcePlainAdvertised]));
        assert_eq!(
            plain["code_challenge_methods_supported"],
            json!(["S256", "plain"])
        );
        assert_eq!(plain["token_endpoint"], doc["token_endpoint"]);

        let faults = FaultSwitches::with(&[Fault::SmartConfigWithoutTokenEndpoint]);
        let without = smart_document_with(&urls, &faults);
        assert!(without.get("token_endpoint").is_none());
        assert_eq!(
            without["authorization_endpoint"],
            doc["authorization_endpoint"]
        );

        let faults = FaultSwitches::with(&[Fault::MetadataWithoutSmartSecurity]);
        let bent = security_with(&urls, &faults);
        assert!(bent.get("service").is_none());
        assert_eq!(bent["extension"], security(&urls)["extension"]);
    }
}
