//! Small builders for recurring FHIR datatypes, and the canonical URLs the generator uses.

use serde_json::Value;

/// `json!` without the copies: builds a [`Value`] from JSON-like syntax, *moving*
/// interpolated expressions in with `Value::from` where `json!` serializes them (a deep copy
/// of every nested `Value`, once per nesting level). Keys are string literals; a value is
/// `null`, an array or object literal, or any expression whose type converts into `Value`.
macro_rules! jv {
    (null) => { ::serde_json::Value::Null };
    ([]) => { ::serde_json::Value::Array(::std::vec::Vec::new()) };
    ([ $($tt:tt)+ ]) => { ::serde_json::Value::Array(jv!(@array [] $($tt)+)) };
    ({}) => { ::serde_json::Value::Object(::serde_json::Map::new()) };
    ({ $($tt:tt)+ }) => {
        ::serde_json::Value::Object({
            let mut object = ::serde_json::Map::new();
            jv!(@object object $($tt)+);
            object
        })
    };
    ($other:expr) => { ::serde_json::Value::from($other) };

    (@array [$($elems:expr,)*]) => { ::std::vec![$($elems,)*] };
    (@array [$($elems:expr,)*] null $(, $($rest:tt)*)?) => {
        jv!(@array [$($elems,)* ::serde_json::Value::Null,] $($($rest)*)?)
    };
    (@array [$($elems:expr,)*] [$($array:tt)*] $(, $($rest:tt)*)?) => {
        jv!(@array [$($elems,)* jv!([$($array)*]),] $($($rest)*)?)
    };
    (@array [$($elems:expr,)*] {$($object:tt)*} $(, $($rest:tt)*)?) => {
        jv!(@array [$($elems,)* jv!({$($object)*}),] $($($rest)*)?)
    };
    (@array [$($elems:expr,)*] $next:expr $(, $($rest:tt)*)?) => {
        jv!(@array [$($elems,)* jv!($next),] $($($rest)*)?)
    };

    (@object $object:ident) => {};
    (@object $object:ident $key:literal : null $(, $($rest:tt)*)?) => {
        $object.insert($key.into(), ::serde_json::Value::Null);
        jv!(@object $object $($($rest)*)?);
    };
    (@object $object:ident $key:literal : [$($array:tt)*] $(, $($rest:tt)*)?) => {
        $object.insert($key.into(), jv!([$($array)*]));
        jv!(@object $object $($($rest)*)?);
    };
    (@object $object:ident $key:literal : {$($inner:tt)*} $(, $($rest:tt)*)?) => {
        $object.insert($key.into(), jv!({$($inner)*}));
        jv!(@object $object $($($rest)*)?);
    };
    (@object $object:ident $key:literal : $value:expr $(, $($rest:tt)*)?) => {
        $object.insert($key.into(), jv!($value));
        jv!(@object $object $($($rest)*)?);
    };
}
pub(crate) use jv;

/// Canonical URLs as `&'static str` literals, so no resource allocates them twice.
macro_rules! c4bb_cs {
    ($name:literal) => {
        concat!("http://hl7.org/fhir/us/carin-bb/CodeSystem/", $name)
    };
}
macro_rules! nubc {
    ($name:literal) => {
        concat!("https://www.nubc.org/CodeSystem/", $name)
    };
}
macro_rules! plannet_cs {
    ($name:literal) => {
        concat!(
            "http://hl7.org/fhir/us/davinci-pdex-plan-net/CodeSystem/",
            $name
        )
    };
}
macro_rules! plannet_sd {
    ($name:literal) => {
        concat!(
            "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/",
            $name
        )
    };
}
macro_rules! us_core {
    ($name:literal) => {
        concat!("http://hl7.org/fhir/us/core/StructureDefinition/", $name)
    };
}
macro_rules! usdf {
    ($name:literal) => {
        concat!(
            "http://hl7.org/fhir/us/davinci-drug-formulary/StructureDefinition/",
            $name
        )
    };
}
pub(crate) use {c4bb_cs, nubc, plannet_cs, plannet_sd, us_core, usdf};

/// Code systems and canonicals, named once so a typo cannot hide in one resource.
pub(crate) mod sys {
    pub(crate) const SNOMED: &str = "http://snomed.info/sct";
    pub(crate) const LOINC: &str = "http://loinc.org";
    pub(crate) const UCUM: &str = "http://unitsofmeasure.org";
    pub(crate) const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
    pub(crate) const NDC: &str = "http://hl7.org/fhir/sid/ndc";
    pub(crate) const CVX: &str = "http://hl7.org/fhir/sid/cvx";
    pub(crate) const CPT: &str = "http://www.ama-assn.org/go/cpt";
    pub(crate) const CDT: &str = "http://www.ada.org/cdt";
    pub(crate) const ICD10CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
    pub(crate) const NPI: &str = "http://hl7.org/fhir/sid/us-npi";
    pub(crate) const TIN: &str = "urn:oid:2.16.840.1.113883.4.4";
    pub(crate) const NUCC: &str = "http://nucc.org/provider-taxonomy";
    pub(crate) const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
    pub(crate) const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    pub(crate) const C4BB_IDENTIFIER: &str =
        "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType";
    /// Identifier systems of the synthetic payer.
    pub(crate) const PAYER_BASE: &str = "https://fhir.prairielakes.example";
}

/// Profile canonicals (CARIN BB ones carry the `|major.minor.patch` version CARIN requires).
pub(crate) mod profile {
    pub(crate) const C4BB_PATIENT: &str =
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Patient|2.1.0";
    pub(crate) const C4BB_COVERAGE: &str =
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Coverage|2.1.0";
    pub(crate) const C4BB_ORGANIZATION: &str =
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Organization|2.1.0";
    pub(crate) const C4BB_PRACTITIONER: &str =
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Practitioner|2.1.0";
    pub(crate) const EOB_INPATIENT: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Inpatient-Institutional|2.1.0";
    pub(crate) const EOB_OUTPATIENT: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Outpatient-Institutional|2.1.0";
    pub(crate) const EOB_PROFESSIONAL: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Professional-NonClinician|2.1.0";
    pub(crate) const EOB_PHARMACY: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Pharmacy|2.1.0";
    pub(crate) const EOB_ORAL: &str =
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Oral|2.1.0";
}

/// `meta` with `lastUpdated` and the given profiles.
pub(crate) fn meta(last_updated: String, profiles: &[&str]) -> Value {
    jv!({ "lastUpdated": last_updated, "profile": profiles })
}

/// A literal relative reference `Type/id`.
pub(crate) fn reference(resource_type: &str, id: &str) -> Value {
    jv!({ "reference": format!("{resource_type}/{id}") })
}

/// A literal relative reference with a display text.
pub(crate) fn reference_display(resource_type: &str, id: &str, display: &str) -> Value {
    jv!({ "reference": format!("{resource_type}/{id}"), "display": display })
}

/// A `Coding`; the display is left out when empty.
pub(crate) fn coding(system: &str, code: &str, display: &str) -> Value {
    if display.is_empty() {
        jv!({ "system": system, "code": code })
    } else {
        jv!({ "system": system, "code": code, "display": display })
    }
}

/// A `CodeableConcept` with one coding.
pub(crate) fn concept(system: &str, code: &str, display: &str) -> Value {
    jv!({ "coding": [coding(system, code, display)] })
}

/// A `CodeableConcept` with one coding and a text.
pub(crate) fn concept_text(system: &str, code: &str, display: &str, text: &str) -> Value {
    jv!({ "coding": [coding(system, code, display)], "text": text })
}

/// A US dollar `Money` from a whole number of cents.
pub(crate) fn usd(cents: i64) -> Value {
    jv!({ "value": cents_value(cents), "currency": "USD" })
}

/// A number of cents as a JSON number of dollars (two decimals at most).
pub(crate) fn cents_value(cents: i64) -> Value {
    if cents % 100 == 0 {
        jv!(cents / 100)
    } else {
        jv!(cents as f64 / 100.0)
    }
}

/// A ten-digit NPI (first digit 1 or 2) whose last digit is the Luhn check digit (with the `80840` prefix), as
/// real NPIs have.
pub(crate) fn npi(nine_digits: u64) -> String {
    let base = 100_000_000 + nine_digits % 200_000_000;
    let digits = format!("80840{base}");
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    let check = (10 - sum % 10) % 10;
    format!("{base}{check}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npi_has_valid_check_digit() {
        // 1234567893 is the check-digit example in the CMS NPI documentation.
        assert_eq!(npi(23_456_789), "1234567893");
        assert_eq!(npi(5).len(), 10);
    }

    #[test]
    fn money_renders_dollars() {
        assert_eq!(usd(12_345)["value"], jv!(123.45));
        assert_eq!(usd(2_000)["value"], jv!(20));
    }
}
