//! The walk of a paged answer (`$everything` or a search): follows every `next` link with a
//! page bound and loop detection, never sending the token to another origin, and summarises
//! what it saw as JSON so the ordinary checks can judge it (`/pages`, `/duplicates`,
//! `/foreign_next`, ...).
//!
//! A relative `next` is counted (seed 001 shows absolute links for `$everything`, and its
//! checks require them) and followed, resolved against the page's URL: FHIR search leaves the
//! form of paging links to the server, and servers in use answer relative ones.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::http::{HttpError, Session};

/// Why a walk stopped before its end (a page the target answered wrongly is counted in the
/// summary, not an error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalkError {
    #[error("page {page}: {source}")]
    Page { page: usize, source: HttpError },
    #[error("page {0} is not JSON")]
    NotJson(usize),
}

/// Walks from `start`; `patient_id` is the compartment every resource must belong to.
pub async fn walk(
    session: &mut Session,
    start: &url::Url,
    bearer: &str,
    patient_id: &str,
    max_pages: usize,
) -> Result<Value, WalkError> {
    let origin = start.origin();
    let mut next = Some(start.clone());
    let mut seen_links = HashSet::new();
    let mut resources = HashSet::new();
    let mut matched = HashSet::new();
    let mut total = None;
    let (mut pages, mut duplicates, mut outside, mut not_searchset, mut relative_next) =
        (0, 0, 0, 0, 0);
    let (mut foreign_next, mut looped, mut bad_status, mut largest_page) = (0, false, 0, 0);
    let (mut truncated, mut unfollowable) = (false, false);
    let mut first_status = None;
    let mut types = std::collections::BTreeSet::new();
    while let Some(url) = next.take() {
        if pages == max_pages {
            truncated = true;
            break;
        }
        if !seen_links.insert(url.to_string()) {
            looped = true;
            break;
        }
        let request = session.client().get(url.clone()).bearer_auth(bearer);
        let res = session
            .fetch(request)
            .await
            .map_err(|source| WalkError::Page {
                page: pages + 1,
                source,
            })?;
        pages += 1;
        first_status.get_or_insert(res.status);
        if !(200..300).contains(&res.status) {
            bad_status += 1;
            break;
        }
        let page = res.json().ok_or(WalkError::NotJson(pages))?;
        if page["resourceType"] != "Bundle" || page["type"] != "searchset" {
            not_searchset += 1;
        }
        if pages == 1 {
            total = page["total"].as_u64();
        }
        let entries = page["entry"].as_array().map_or(&[][..], Vec::as_slice);
        // `_count` bounds the matches of a page (and `Bundle.total` counts them); resources
        // `_include` adds are not matches.
        let is_match = |e: &Value| e["search"]["mode"] != "include";
        let matches = entries.iter().filter(|e| is_match(e)).count();
        largest_page = largest_page.max(matches);
        for e in entries {
            let r = &e["resource"];
            if let Some(t) = r["resourceType"].as_str() {
                types.insert(t.to_string());
            }
            let key = format!(
                "{}/{}",
                r["resourceType"].as_str().unwrap_or(""),
                r["id"].as_str().unwrap_or("")
            );
            if is_match(e) {
                matched.insert(key.clone());
            }
            if !resources.insert(key) {
                duplicates += 1;
            }
            if !in_compartment(r, patient_id) {
                outside += 1;
            }
        }
        let link = page["link"]
            .as_array()
            .and_then(|l| l.iter().find(|l| l["relation"] == "next"))
            .and_then(|l| l["url"].as_str());
        if let Some(link) = link {
            if url::Url::parse(link).is_err() {
                relative_next += 1;
            }
            match url.join(link) {
                Err(_) => {
                    unfollowable = true;
                    break;
                }
                Ok(n) if n.origin() != origin => foreign_next += 1,
                Ok(n) => next = Some(n),
            }
        }
    }
    // FHIR R4 Bundle.total: the matches across all pages (not `include` entries). Judged only
    // on a walk that reached its last page.
    let complete = !truncated && !looped && !unfollowable && bad_status == 0 && foreign_next == 0;
    let total_agrees = total
        .filter(|_| complete)
        .map(|t| usize::try_from(t).is_ok_and(|t| t == matched.len()));
    Ok(json!({
        "pages": pages,
        "total": total,
        "total_agrees": total_agrees,
        "resources": resources.len(),
        "duplicates": duplicates,
        "outside_compartment": outside,
        "not_searchset_pages": not_searchset,
        "relative_next": relative_next,
        "foreign_next": foreign_next,
        "loop": looped,
        "truncated": truncated,
        "failed_pages": bad_status,
        "largest_page": largest_page,
        "first_status": first_status,
        "types": types,
    }))
}

/// Whether a resource may be in this patient's answer: it is not another patient's. A
/// Patient must be this one; a resource that points at a patient (patient, subject,
/// beneficiary) must point at this one; a resource that points at no patient (the payer
/// Organization a Coverage names, which `$everything` and `_include` may add, as FHIR R4
/// Patient-everything allows) belongs to no compartment and is no other patient's data.
fn in_compartment(r: &Value, patient_id: &str) -> bool {
    if r["resourceType"] == "Patient" {
        return r["id"] == patient_id;
    }
    let target = format!("Patient/{patient_id}");
    let references: Vec<&str> = ["patient", "subject", "beneficiary"]
        .iter()
        .filter_map(|f| r[*f]["reference"].as_str())
        .collect();
    references
        .iter()
        .all(|s| *s == target || s.ends_with(&format!("/{target}")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn compartment_membership() {
        assert!(super::in_compartment(
            &json!({"resourceType": "Patient", "id": "p"}),
            "p"
        ));
        assert!(super::in_compartment(
            &json!({"resourceType": "Coverage", "beneficiary": {"reference": "Patient/p"}}),
            "p"
        ));
        assert!(!super::in_compartment(
            &json!({"resourceType": "Observation", "subject": {"reference": "Patient/q"}}),
            "p"
        ));
        // A resource of no patient (the payer) is no other patient's data.
        assert!(super::in_compartment(
            &json!({"resourceType": "Organization", "id": "o"}),
            "p"
        ));
        // One reference to another patient is enough to be outside.
        assert!(!super::in_compartment(
            &json!({"resourceType": "Coverage", "beneficiary": {"reference": "Patient/p"},
                    "subject": {"reference": "Patient/q"}}),
            "p"
        ));
    }
}
