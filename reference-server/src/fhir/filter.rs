//! Search criteria and how they match a stored resource: `_id`, `name`, `identifier`,
//! `gender`, `_lastUpdated` (with prefixes), reference parameters and `address-state`.
//! Matching reads the resource's `serde_json::Value`; shapes the generator may vary (an
//! array or a single object, a string name or HumanNames) are all accepted.

use serde_json::Value;

use crate::fhirtime;
use crate::store::StoredResource;

/// A date comparison prefix (FHIR search 3.1.1.4.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
}

/// One search criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `_id`: any of these ids.
    Ids(Vec<String>),
    /// `name`: case-insensitive substring of a name string or HumanName part (lowercased).
    Name(String),
    /// `identifier`: `[system|]value`.
    Identifier {
        system: Option<String>,
        value: String,
    },
    /// `gender`: the administrative gender code.
    Gender(String),
    /// `_lastUpdated` with a prefix and the value's first and last second.
    LastUpdated {
        prefix: Prefix,
        first: i64,
        last: i64,
    },
    /// A reference element (`field`) pointing at `target` (`Type/id`).
    Reference { field: &'static str, target: String },
    /// `address-state`: any address in this state (case-insensitive).
    AddressState(String),
    /// `patient`/`subject`/`beneficiary`: the handler checks it names the caller, and every
    /// resource of the caller's record matches.
    Patient(String),
    /// Fault `SearchIdentifierIgnored`: a criterion kept in the links but not applied.
    Ignored,
}

impl Filter {
    /// Whether `r` satisfies this criterion.
    pub fn matches(&self, r: &StoredResource) -> bool {
        let v = &r.value;
        match self {
            Filter::Ids(ids) => ids.contains(&r.id),
            Filter::Name(needle) => name_matches(v, needle),
            Filter::Identifier { system, value } => items(&v["identifier"]).any(|i| {
                i["value"].as_str() == Some(value.as_str())
                    && system
                        .as_deref()
                        .is_none_or(|s| i["system"].as_str() == Some(s))
            }),
            Filter::Gender(g) => v["gender"].as_str() == Some(g.as_str()),
            Filter::LastUpdated {
                prefix,
                first,
                last,
            } => {
                let t = r.last_updated;
                match prefix {
                    Prefix::Eq => (*first..=*last).contains(&t),
                    Prefix::Ne => !(*first..=*last).contains(&t),
                    Prefix::Gt => t > *last,
                    Prefix::Lt => t < *first,
                    Prefix::Ge => t >= *first,
                    Prefix::Le => t <= *last,
                }
            }
            Filter::Reference { field, target } => items(&v[*field]).any(|x| {
                x["reference"].as_str().is_some_and(|s| {
                    s == target
                        || s.strip_suffix(target.as_str())
                            .is_some_and(|p| p.ends_with('/'))
                })
            }),
            Filter::AddressState(state) => items(&v["address"]).any(|a| {
                a["state"]
                    .as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(state))
            }),
            Filter::Patient(_) | Filter::Ignored => true,
        }
    }
}

/// The elements of an array, or a single object as a one-element list.
fn items(v: &Value) -> impl Iterator<Item = &Value> {
    let (list, one) = match v {
        Value::Array(a) => (a.as_slice(), None),
        Value::Null => (&[][..], None),
        other => (&[][..], Some(other)),
    };
    list.iter().chain(one)
}

/// `name` matching: a string name (Organization, Location, ...) or HumanName family, given,
/// text (Practitioner, Patient); Organization aliases too.
fn name_matches(v: &Value, needle: &str) -> bool {
    let hit = |s: &Value| {
        s.as_str()
            .is_some_and(|s| s.to_lowercase().contains(needle))
    };
    items(&v["name"])
        .chain(items(&v["alias"]))
        .any(|n| hit(n) || hit(&n["text"]) || hit(&n["family"]) || items(&n["given"]).any(hit))
}

/// `_lastUpdated` value: an optional prefix and a FHIR date, dateTime or instant.
pub(crate) fn parse_date_param(raw: &str) -> Option<(Prefix, i64, i64)> {
    let prefixes = [
        ("eq", Prefix::Eq),
        ("ne", Prefix::Ne),
        ("gt", Prefix::Gt),
        ("lt", Prefix::Lt),
        ("ge", Prefix::Ge),
        ("le", Prefix::Le),
        ("sa", Prefix::Gt),
        ("eb", Prefix::Lt),
    ];
    let (prefix, text) = prefixes
        .iter()
        .find_map(|(p, k)| raw.strip_prefix(p).map(|rest| (*k, rest)))
        .unwrap_or((Prefix::Eq, raw));
    fhirtime::period(text).map(|(first, last)| (prefix, first, last))
}
