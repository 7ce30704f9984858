//! `$everything`'s paging and compartment rules (seed 001 "Patient-everything request"),
//! each a pure function beside the variant the handler calls, bent by the fault that breaks
//! the rule. The paging arithmetic itself is in [`super::phases`].

use std::sync::Arc;

use super::phases::{Cursor, Filters, PHASES, Selection, phase_of, plan};
use crate::faults::{Fault, FaultSwitches};
use crate::state::AppState;
use crate::store::{ResourceSet, StoredResource};

/// The phases of resources `$everything` pages.
pub type Phases<'a> = [Vec<&'a StoredResource>; PHASES];

/// The compartment rule: `$everything` pages the caller's own record, filtered, by phase.
pub fn compartment<'a>(record: &'a ResourceSet, filters: &Filters) -> Phases<'a> {
    plan(record.all(), filters)
}

/// [`compartment`] as served: with the record [`neighbour_with`] gave (only under its fault),
/// that record's first Coverage the filters keep is paged as the caller's too.
pub fn compartment_with<'a>(
    record: &'a ResourceSet,
    neighbour: Option<&'a ResourceSet>,
    filters: &Filters,
) -> Phases<'a> {
    let mut phases = compartment(record, filters);
    if let Some(r) = neighbour.and_then(|n| n.of_type("Coverage").find(|r| filters.keeps(r))) {
        phases[phase_of("Coverage")].push(r);
    }
    phases
}

/// The filters as applied. Fault `EverythingTypeIgnored`: `_type` is parsed (and echoed in the
/// links) but not applied.
pub fn filters_with(filters: &Filters, faults: &FaultSwitches) -> Filters {
    let mut applied = filters.clone();
    if faults.on(Fault::EverythingTypeIgnored) {
        applied.types = None;
    }
    applied
}

/// The other member's record a compartment query also reads: none. Fault
/// `EverythingOutsideCompartment`: the query also matches another member's Coverage (as if
/// every Coverage of the subscriber's family were the patient's), so the first member who is
/// not `patient_id` is read too.
pub fn neighbour_with(state: &AppState, patient_id: &str) -> Option<Arc<ResourceSet>> {
    if !state.faults.on(Fault::EverythingOutsideCompartment) {
        return None;
    }
    let member = state
        .registry
        .members()
        .iter()
        .find(|m| m.patient_id != patient_id)?;
    Some(state.data.record(member))
}

/// A page holds `_count` resources (as [`super::everything::parse_query`] defaulted and
/// capped it).
pub fn page_size(count: usize) -> usize {
    count
}

/// [`page_size`] as served. Fault `EverythingIgnoresCount`: pages are cut at the server's
/// default size whatever `_count` says.
pub fn page_size_with(count: usize, default: usize, faults: &FaultSwitches) -> usize {
    if faults.on(Fault::EverythingIgnoresCount) {
        return default;
    }
    page_size(count)
}

/// The following page starts where this one ended; after the last page there is none.
pub fn next_cursor(sel: &Selection) -> Option<Cursor> {
    sel.next
}

/// [`next_cursor`] as linked. Fault `EverythingNextLoops`: the last page's `next` starts the
/// walk over. Fault `EverythingSkipsResources`: off by one, the following page starts one
/// past where this one ended. Fault `EverythingDuplicatesResources`: the following page
/// starts again at this page's last resource.
pub fn next_cursor_with(sel: &Selection, faults: &FaultSwitches) -> Option<Cursor> {
    let on = |f| faults.on(f);
    match next_cursor(sel) {
        None if on(Fault::EverythingNextLoops) => Some(Cursor {
            phase: 0,
            offset: 0,
        }),
        Some(c) if on(Fault::EverythingSkipsResources) => Some(Cursor {
            offset: c.offset + 1,
            ..c
        }),
        Some(c)
            if on(Fault::EverythingDuplicatesResources)
                && c.phase == sel.phase
                && sel.range.len() > 1 =>
        {
            Some(Cursor {
                offset: c.offset.saturating_sub(1),
                ..c
            })
        }
        other => other,
    }
}

/// The `next` link is on the public base the request came through: as built.
pub fn next_link(link: String) -> String {
    link
}

/// [`next_link`] as sent. Fault `EverythingNextForeignOrigin`: the link is on the upstream's
/// own address behind the proxy (`root` is the public base it replaces).
pub fn next_link_with(link: String, root: &str, faults: &FaultSwitches) -> String {
    match link.strip_prefix(root) {
        Some(path) if faults.on(Fault::EverythingNextForeignOrigin) => {
            format!("http://fhir-backend.internal:8080{path}")
        }
        _ => next_link(link),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(phase: usize, offset: usize) -> Cursor {
        Cursor { phase, offset }
    }

    fn sel(phase: usize, range: std::ops::Range<usize>, next: Option<Cursor>) -> Selection {
        Selection { phase, range, next }
    }

    #[test]
    fn the_page_size_is_count_unless_the_fault_uses_the_default() {
        let clean = FaultSwitches::default();
        let faults = FaultSwitches::with(&[Fault::EverythingIgnoresCount]);
        assert_eq!(page_size(7), 7);
        assert_eq!(page_size_with(7, 50, &clean), 7);
        assert_eq!(page_size_with(7, 50, &faults), 50);
    }

    #[test]
    fn each_paging_fault_bends_the_next_cursor_its_own_way() {
        let middle = sel(1, 0..3, Some(cursor(1, 3)));
        let phase_end = sel(0, 2..4, Some(cursor(1, 0)));
        let single = sel(2, 5..6, Some(cursor(2, 6)));
        let last = sel(2, 6..8, None);
        // (fault, middle page, end of a phase, one-resource page, last page)
        let none = FaultSwitches::default();
        assert_eq!(next_cursor_with(&middle, &none), Some(cursor(1, 3)));
        for s in [&middle, &phase_end, &single, &last] {
            assert_eq!(next_cursor_with(s, &none), next_cursor(s));
        }
        for (fault, m, e, one, l) in [
            (
                Fault::EverythingNextLoops,
                Some(cursor(1, 3)),
                Some(cursor(1, 0)),
                Some(cursor(2, 6)),
                Some(cursor(0, 0)),
            ),
            (
                Fault::EverythingSkipsResources,
                Some(cursor(1, 4)),
                Some(cursor(1, 1)),
                Some(cursor(2, 7)),
                None,
            ),
            (
                Fault::EverythingDuplicatesResources,
                Some(cursor(1, 2)),
                Some(cursor(1, 0)),
                Some(cursor(2, 6)),
                None,
            ),
        ] {
            let faults = FaultSwitches::with(&[fault]);
            assert_eq!(next_cursor_with(&middle, &faults), m, "{fault:?}");
            assert_eq!(next_cursor_with(&phase_end, &faults), e, "{fault:?}");
            assert_eq!(next_cursor_with(&single, &faults), one, "{fault:?}");
            assert_eq!(next_cursor_with(&last, &faults), l, "{fault:?}");
        }
    }

    #[test]
    fn the_next_link_stays_on_the_public_base_unless_the_fault_is_on() {
        let link = "https://pub.example/fhir/Patient/p/$everything?_count=2".to_string();
        let root = "https://pub.example";
        let clean = FaultSwitches::default();
        assert_eq!(next_link_with(link.clone(), root, &clean), link);
        let faults = FaultSwitches::with(&[Fault::EverythingNextForeignOrigin]);
        assert_eq!(
            next_link_with(link.clone(), root, &faults),
            "http://fhir-backend.internal:8080/fhir/Patient/p/$everything?_count=2"
        );
        assert_eq!(
            next_link_with(link.clone(), "https://other.example", &faults),
            link
        );
    }
}
