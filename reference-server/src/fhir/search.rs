//! Search parameters of both FHIR bases: parsing (bad input is a 400 OperationOutcome),
//! matching against stored resources, paging math, and the absolute links that continue a
//! search. Parameters a search does not know are ignored (FHIR's lenient default) and never
//! echoed in links.

use std::ops::Range;

use crate::outcome::FhirError;
use crate::params::{Params, encode};
use crate::store::StoredResource;

use super::filter::Filter;
use super::filter::parse_date_param;

/// Longest FHIR id (FHIR R4 `id` datatype).
pub const MAX_ID_LEN: usize = 64;

/// Whether `s` has FHIR id syntax `[A-Za-z0-9\-\.]{1,64}`.
pub fn is_id(s: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// A parameter that may occur at most once (a repeat is a 400).
pub fn single<'a>(params: &'a Params, name: &str) -> Result<Option<&'a str>, FhirError> {
    params
        .single(name)
        .map_err(|e| FhirError::invalid(e.to_string()))
}

/// `_count`: absent gives `default`; a positive integer is capped at `max`; anything else
/// (non-integer, 0, negative) is a 400.
pub fn parse_count(params: &Params, default: usize, max: usize) -> Result<usize, FhirError> {
    let max = max.max(1);
    let Some(raw) = single(params, "_count")? else {
        return Ok(default.clamp(1, max));
    };
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FhirError::invalid(format!(
            "_count must be a positive integer, got `{raw}`"
        )));
    }
    // All digits: the only parse failure left is overflow, which is "very large".
    let n = raw.parse::<usize>().unwrap_or(usize::MAX);
    if n == 0 {
        return Err(FhirError::invalid(
            "_count must be a positive integer, got `0`",
        ));
    }
    Ok(n.min(max))
}

/// A non-negative integer cursor such as `_offset`; malformed values are a 400.
pub fn parse_index(params: &Params, name: &str) -> Result<Option<usize>, FhirError> {
    let Some(raw) = single(params, name)? else {
        return Ok(None);
    };
    match raw.parse::<usize>() {
        Ok(n) if raw.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
        _ => Err(FhirError::invalid(format!(
            "{name} must be a non-negative integer, got `{raw}`"
        ))),
    }
}

/// The slice of `total` items a page at `offset` of size `count` shows, and the offset of the
/// following page when items remain.
pub fn page(total: usize, offset: usize, count: usize) -> (Range<usize>, Option<usize>) {
    let start = offset.min(total);
    let end = start.saturating_add(count).min(total);
    (start..end, (end < total).then_some(end))
}

/// The id a reference search value names: `<id>`, `<Type>/<id>` or `<base>/<Type>/<id>`.
pub fn reference_id<'a>(
    value: &'a str,
    target_type: &str,
    base: &str,
) -> Result<&'a str, FhirError> {
    let local = match value.strip_prefix(base).and_then(|r| r.strip_prefix('/')) {
        Some(rest) => rest,
        None if value.contains("://") => {
            return Err(FhirError::invalid(format!(
                "`{value}` is not a reference on {base}"
            )));
        }
        None => value,
    };
    let id = match local.split_once('/') {
        Some((t, id)) if t == target_type => id,
        Some(_) => {
            return Err(FhirError::invalid(format!(
                "`{value}` is not a {target_type} reference"
            )));
        }
        None => local,
    };
    if is_id(id) {
        Ok(id)
    } else {
        Err(FhirError::invalid(format!(
            "`{value}` is not a valid {target_type} reference"
        )))
    }
}

/// What a search accepts.
#[derive(Debug, Clone, Copy)]
pub struct SearchSpec<'a> {
    /// Parameter names this search honours (besides `_count` and `_offset`).
    pub allowed: &'a [&'static str],
    /// The absolute base URL, for absolute references and links.
    pub base: &'a str,
    /// Page size when `_count` is absent.
    pub default_count: usize,
    /// Largest page size.
    pub max_count: usize,
}

/// A parsed search: criteria (with their raw values, echoed in links) and paging.
#[derive(Debug, Clone)]
pub struct Search {
    /// Parameter name, raw value (echoed in links) and meaning, in the order parsed.
    pub criteria: Vec<(&'static str, String, Filter)>,
    /// Page size (`_count`, defaulted and capped).
    pub count: usize,
    /// First match served (`_offset`).
    pub offset: usize,
    /// Whether the request carried `_offset` (then the self link repeats it).
    pub offset_given: bool,
}

/// Parses the parameters `spec` allows; others are ignored.
pub fn parse_search(params: &Params, spec: &SearchSpec<'_>) -> Result<Search, FhirError> {
    let mut criteria = Vec::new();
    let bad = |name: &str, raw: &str| FhirError::invalid(format!("invalid {name} value `{raw}`"));
    for &name in spec.allowed {
        if name == "_lastUpdated" {
            // Repeats are meaningful here (a range is two bounds), so no duplicate check.
            for (_, raw) in params.pairs().filter(|(n, v)| *n == name && !v.is_empty()) {
                let (prefix, first, last) = parse_date_param(raw).ok_or_else(|| bad(name, raw))?;
                criteria.push((
                    name,
                    raw.to_string(),
                    Filter::LastUpdated {
                        prefix,
                        first,
                        last,
                    },
                ));
            }
            continue;
        }
        let Some(raw) = single(params, name)? else {
            continue;
        };
        let reference = |t: &str| reference_id(raw, t, spec.base).map(|id| format!("{t}/{id}"));
        let filter = match name {
            "_id" => {
                let ids: Vec<String> = raw.split(',').map(str::to_string).collect();
                if !ids.iter().all(|i| is_id(i)) {
                    return Err(bad(name, raw));
                }
                Filter::Ids(ids)
            }
            "name" => Filter::Name(raw.to_lowercase()),
            "identifier" => match raw.split_once('|') {
                Some((s, v)) => Filter::Identifier {
                    system: (!s.is_empty()).then(|| s.to_string()),
                    value: v.to_string(),
                },
                None => Filter::Identifier {
                    system: None,
                    value: raw.to_string(),
                },
            },
            "gender" => Filter::Gender(raw.to_string()),
            "patient" | "subject" | "beneficiary" => {
                Filter::Patient(reference_id(raw, "Patient", spec.base)?.to_string())
            }
            "practitioner" => Filter::Reference {
                field: "practitioner",
                target: reference("Practitioner")?,
            },
            "organization" => Filter::Reference {
                field: "organization",
                target: reference("Organization")?,
            },
            "address-state" => Filter::AddressState(raw.to_string()),
            _ => continue,
        };
        criteria.push((name, raw.to_string(), filter));
    }
    let count = parse_count(params, spec.default_count, spec.max_count)?;
    let offset = parse_index(params, "_offset")?;
    Ok(Search {
        criteria,
        count,
        offset: offset.unwrap_or(0),
        offset_given: offset.is_some(),
    })
}

impl Search {
    /// Whether `r` satisfies every criterion.
    pub fn matches(&self, r: &StoredResource) -> bool {
        self.criteria.iter().all(|(_, _, f)| f.matches(r))
    }

    /// The criteria of one kind.
    pub fn filters(&self) -> impl Iterator<Item = &Filter> {
        self.criteria.iter().map(|(_, _, f)| f)
    }

    /// `url` with the criteria, `_count` and (if given) `_offset` as its query.
    pub fn link(&self, url: &str, offset: Option<usize>) -> String {
        let mut s = String::with_capacity(url.len() + 64);
        s.push_str(url);
        for (name, raw, _) in &self.criteria {
            push_pair(&mut s, name, raw);
        }
        push_pair(&mut s, "_count", &self.count.to_string());
        if let Some(o) = offset {
            push_pair(&mut s, "_offset", &o.to_string());
        }
        s
    }
}

/// Appends `name=value` (value percent-encoded) with `?` or `&` as needed.
pub fn push_pair(url: &mut String, name: &str, value: &str) {
    url.push(if url.contains('?') { '&' } else { '?' });
    url.push_str(name);
    url.push('=');
    url.push_str(&encode(value));
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use serde_json::{Value, json};

    fn res(value: Value, last_updated: i64) -> StoredResource {
        StoredResource {
            resource_type: value["resourceType"].as_str().unwrap_or_default().into(),
            id: value["id"].as_str().unwrap_or_default().into(),
            last_updated,
            date: None,
            json: Bytes::new(),
            value,
        }
    }

    fn params(q: &str) -> Params {
        Params::parse(q.as_bytes()).unwrap()
    }

    #[test]
    fn count_validation() {
        let c = |q: &str| parse_count(&params(q), 50, 500).map_err(|e| e.status.as_u16());
        assert_eq!(c(""), Ok(50));
        assert_eq!(c("_count=3"), Ok(3));
        assert_eq!(c("_count=100000"), Ok(500));
        assert_eq!(c("_count=99999999999999999999999"), Ok(500));
        for bad in [
            "_count=0",
            "_count=-1",
            "_count=abc",
            "_count=1.5",
            "_count=+3",
            "_count=1&_count=2",
        ] {
            assert_eq!(c(bad), Err(400), "{bad}");
        }
    }

    #[test]
    fn paging_math() {
        assert_eq!(page(10, 0, 3), (0..3, Some(3)));
        assert_eq!(page(10, 9, 3), (9..10, None));
        assert_eq!(page(9, 6, 3), (6..9, None));
        assert_eq!(page(0, 0, 3), (0..0, None));
        assert_eq!(page(5, 99, 3), (5..5, None));
        assert_eq!(page(5, usize::MAX, usize::MAX), (5..5, None));
    }

    #[test]
    fn references() {
        let base = "http://h/fhir";
        assert_eq!(reference_id("p1", "Patient", base).ok(), Some("p1"));
        assert_eq!(reference_id("Patient/p1", "Patient", base).ok(), Some("p1"));
        assert_eq!(
            reference_id("http://h/fhir/Patient/p1", "Patient", base).ok(),
            Some("p1")
        );
        assert!(reference_id("http://other/fhir/Patient/p1", "Patient", base).is_err());
        assert!(reference_id("Observation/p1", "Patient", base).is_err());
        assert!(reference_id("Patient/a/b", "Patient", base).is_err());
        assert!(reference_id(&"x".repeat(65), "Patient", base).is_err());
    }

    #[test]
    fn filters_match() {
        let p = res(
            json!({"resourceType": "Practitioner", "id": "d1",
                   "name": [{"family": "Nguyen", "given": ["Ana"]}],
                   "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "123"}],
                   "address": [{"state": "MN"}]}),
            100,
        );
        let spec = SearchSpec {
            allowed: &["name", "identifier", "address-state"],
            base: "b",
            default_count: 5,
            max_count: 10,
        };
        for (q, want) in [
            ("name=guy", true),
            ("name=ANA", true),
            ("name=zed", false),
            ("identifier=123", true),
            ("identifier=http://hl7.org/fhir/sid/us-npi|123", true),
            ("identifier=x|123", false),
            ("address-state=mn", true),
            ("address-state=WI", false),
            ("unknown=1&name=an", true),
        ] {
            assert_eq!(
                parse_search(&params(q), &spec).unwrap().matches(&p),
                want,
                "{q}"
            );
        }
        let loc = res(
            json!({"resourceType": "Location", "id": "l", "name": "Lakeside Clinic", "address": {"state": "WI"}}),
            0,
        );
        assert!(Filter::Name("lakes".into()).matches(&loc));
        assert!(Filter::AddressState("wi".into()).matches(&loc));
        let role = res(
            json!({"resourceType": "PractitionerRole", "id": "r", "practitioner": {"reference": "Practitioner/d1"}}),
            0,
        );
        let target = "Practitioner/d1".to_string();
        assert!(
            Filter::Reference {
                field: "practitioner",
                target
            }
            .matches(&role)
        );
        let target = "Practitioner/1".to_string();
        assert!(
            !Filter::Reference {
                field: "practitioner",
                target
            }
            .matches(&role)
        );
    }

    #[test]
    fn last_updated_prefixes_and_links() {
        let spec = SearchSpec {
            allowed: &["_id", "_lastUpdated"],
            base: "b",
            default_count: 5,
            max_count: 10,
        };
        let s = parse_search(
            &params("_lastUpdated=ge1970-01-02&_lastUpdated=lt1970-01-03&_id=a,b&zz=1"),
            &spec,
        )
        .unwrap();
        let at = |t: i64, id: &str| s.matches(&res(json!({"resourceType": "X", "id": id}), t));
        assert!(at(86_400, "a") && at(2 * 86_400 - 1, "b"));
        assert!(!at(86_399, "a") && !at(2 * 86_400, "a") && !at(86_400, "c"));
        assert_eq!(
            s.link("http://h/fhir/X", Some(10)),
            "http://h/fhir/X?_id=a%2Cb&_lastUpdated=ge1970-01-02&_lastUpdated=lt1970-01-03&_count=5&_offset=10"
        );
        for bad in [
            "_lastUpdated=yesterday",
            "_id=a/b",
            "_id=a&_id=b",
            "_offset=-1",
            "_offset=x",
        ] {
            assert!(parse_search(&params(bad), &spec).is_err(), "{bad}");
        }
    }
}
