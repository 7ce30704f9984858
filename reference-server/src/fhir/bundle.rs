//! The searchset Bundle writer. Search and `$everything` pages are written as JSON text with
//! each resource's stored serialisation spliced in, so a page costs one buffer and a few
//! copies instead of cloning and re-serialising `serde_json::Value` trees (the hot path of
//! load tests).
//!
//! Shape:
//!
//! ```json
//! {"resourceType":"Bundle","id":"9f0c...","meta":{"lastUpdated":"2025-01-02T03:04:05Z"},
//!  "type":"searchset","total":12,
//!  "link":[{"relation":"self","url":"http://h/fhir/Observation?_count=50"},
//!          {"relation":"next","url":"http://h/fhir/Observation?_count=50&_offset=50"}],
//!  "entry":[{"fullUrl":"http://h/fhir/Observation/o1","resource":{...},
//!            "search":{"mode":"match"}}]}
//! ```

use bytes::Bytes;

use crate::store::StoredResource;

/// What a Bundle says about itself, apart from its entries.
#[derive(Debug, Clone, Copy)]
pub struct BundleHead<'a> {
    /// The absolute URL that produced this page (`link` relation `self`).
    pub self_link: &'a str,
    /// The absolute URL of the following page, if any (`link` relation `next`).
    pub next_link: Option<&'a str>,
    /// `Bundle.total`: searches report it, `$everything` pages leave it out.
    pub total: Option<usize>,
    /// `Bundle.meta.lastUpdated`, in Unix seconds.
    pub now: i64,
}

/// Writes a searchset Bundle whose entries are `resources`, with `fullUrl`s on `base`.
pub fn write_bundle(head: &BundleHead<'_>, base: &str, resources: &[&StoredResource]) -> Bytes {
    write_bundle_of_type(head, "searchset", base, resources)
}

/// Writes a Bundle of `bundle_type` (only a fault writes anything but `searchset`).
pub fn write_bundle_of_type(
    head: &BundleHead<'_>,
    bundle_type: &str,
    base: &str,
    resources: &[&StoredResource],
) -> Bytes {
    let payload: usize = resources.iter().map(|r| r.json.len()).sum();
    let per_entry = base.len() + 96;
    let mut out = Vec::with_capacity(payload + resources.len() * per_entry + 512);
    out.extend_from_slice(b"{\"resourceType\":\"Bundle\",\"id\":");
    push_str(&mut out, &bundle_id(head.self_link));
    out.extend_from_slice(b",\"meta\":{\"lastUpdated\":");
    push_str(&mut out, &instant(head.now));
    out.extend_from_slice(b"},\"type\":");
    push_str(&mut out, bundle_type);
    if let Some(total) = head.total {
        out.extend_from_slice(b",\"total\":");
        out.extend_from_slice(total.to_string().as_bytes());
    }
    out.extend_from_slice(b",\"link\":[");
    push_link(&mut out, "self", head.self_link);
    if let Some(next) = head.next_link {
        out.push(b',');
        push_link(&mut out, "next", next);
    }
    out.push(b']');
    // FHIR JSON forbids empty arrays, so an empty page has no `entry` at all.
    if !resources.is_empty() {
        out.extend_from_slice(b",\"entry\":[");
        for (i, r) in resources.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"fullUrl\":");
            push_str(&mut out, &format!("{base}/{}/{}", r.resource_type, r.id));
            out.extend_from_slice(b",\"resource\":");
            if r.json.is_empty() {
                // Only if serialisation failed at load; keeps the page valid JSON.
                out.extend_from_slice(b"null");
            } else {
                out.extend_from_slice(&r.json);
            }
            out.extend_from_slice(b",\"search\":{\"mode\":\"match\"}}");
        }
        out.push(b']');
    }
    out.push(b'}');
    Bytes::from(out)
}

fn push_link(out: &mut Vec<u8>, relation: &str, url: &str) {
    out.extend_from_slice(b"{\"relation\":");
    push_str(out, relation);
    out.extend_from_slice(b",\"url\":");
    push_str(out, url);
    out.push(b'}');
}

/// Appends `s` as a JSON string literal (RFC 8259 section 7 escaping).
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&s.as_bytes()[start..i]);
        if escape.is_empty() {
            out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&s.as_bytes()[start..]);
    out.push(b'"');
}

/// A Bundle id derived from its self link, so the same request gives the same id (stable
/// snapshots) while different pages get different ids. Two FNV-1a 64-bit hashes, hex.
pub fn bundle_id(self_link: &str) -> String {
    let fnv = |basis: u64| {
        self_link.bytes().fold(basis, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
        })
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xCBF2_9CE4_8422_2325),
        fnv(0x8422_2325_CBF2_9CE4)
    )
}

pub use crate::fhirtime::instant;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn stored(resource_type: &str, id: &str) -> StoredResource {
        let value =
            json!({"resourceType": resource_type, "id": id, "note": "a \"quoted\" \n line"});
        StoredResource {
            resource_type: resource_type.into(),
            id: id.into(),
            last_updated: 0,
            date: None,
            json: Bytes::from(serde_json::to_vec(&value).unwrap()),
            value,
        }
    }

    #[test]
    fn bundle_round_trips_through_serde_json() {
        let (a, b) = (stored("Patient", "p1"), stored("Observation", "o-1.2"));
        let head = BundleHead {
            self_link: "http://h/fhir/Patient/p1/$everything?_type=A%2CB&x=\"",
            next_link: Some("http://h/fhir/next"),
            total: Some(7),
            now: 0,
        };
        let body = write_bundle(&head, "http://h/fhir", &[&a, &b]);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["resourceType"], "Bundle");
        assert_eq!(v["type"], "searchset");
        assert_eq!(v["total"], 7);
        assert_eq!(v["meta"]["lastUpdated"], "1970-01-01T00:00:00Z");
        assert_eq!(
            v["link"][0],
            json!({"relation": "self", "url": head.self_link})
        );
        assert_eq!(v["link"][1]["relation"], "next");
        assert_eq!(v["entry"][1]["fullUrl"], "http://h/fhir/Observation/o-1.2");
        assert_eq!(v["entry"][1]["resource"], b.value);
        assert_eq!(v["entry"][0]["search"]["mode"], "match");
        assert_eq!(v["id"], bundle_id(head.self_link));
    }

    #[test]
    fn empty_page_has_no_entry_and_no_total_when_not_asked() {
        let head = BundleHead {
            self_link: "s",
            next_link: None,
            total: None,
            now: 1,
        };
        let v: Value = serde_json::from_slice(&write_bundle(&head, "b", &[])).unwrap();
        assert!(v.get("entry").is_none());
        assert!(v.get("total").is_none());
        assert_eq!(v["link"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn ids_are_valid_fhir_ids_and_differ_per_link() {
        let id = bundle_id("a");
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(id, bundle_id("b"));
        assert_eq!(id, bundle_id("a"));
    }

    #[test]
    fn instants() {
        assert_eq!(instant(0), "1970-01-01T00:00:00Z");
        assert_eq!(instant(951_782_400 + 3_661), "2000-02-29T01:01:01Z");
        assert_eq!(instant(1_735_689_599), "2024-12-31T23:59:59Z");
        for t in [0, 86_399, 951_782_400, 1_735_689_599, 4_102_444_800] {
            assert_eq!(crate::fhirtime::period(&instant(t)), Some((t, t)));
        }
    }

    proptest! {
        #[test]
        fn any_string_round_trips(s in "\\PC{0,30}|[\\x00-\\x1f\"\\\\]{0,10}") {
            let mut out = Vec::new();
            push_str(&mut out, &s);
            let back: String = serde_json::from_slice(&out).unwrap();
            prop_assert_eq!(back, s);
        }
    }
}
