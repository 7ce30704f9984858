//! The pure part of `$everything`: which phase a resource belongs to, the filters, and the
//! paging over phases (a cursor is a phase and an offset inside it). No HTTP here, so the
//! rules are tested on plain slices.

use std::ops::Range;

use crate::store::StoredResource;

/// Number of phases.
pub const PHASES: usize = 3;

/// The 0-based phase a resource type is served in.
pub fn phase_of(resource_type: &str) -> usize {
    match resource_type {
        "Patient" | "Coverage" => 0,
        "ExplanationOfBenefit" => 1,
        _ => 2,
    }
}

/// The `$everything` filters, as instants in Unix seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// `_type`: only these resource types.
    pub types: Option<Vec<String>>,
    /// `_since`: only resources with `last_updated >= since`.
    pub since: Option<i64>,
    /// `start`: the first second of the start date; dated resources before it are dropped.
    pub start: Option<i64>,
    /// `end`: the last second of the end date; dated resources after it are dropped.
    pub end: Option<i64>,
}

impl Filters {
    /// Whether `r` passes every filter. Resources without a clinical date (Patient) pass
    /// `start`/`end`.
    pub fn keeps(&self, r: &StoredResource) -> bool {
        self.types
            .as_ref()
            .is_none_or(|t| t.contains(&r.resource_type))
            && self.since.is_none_or(|s| r.last_updated >= s)
            && r.date.is_none_or(|d| {
                self.start.is_none_or(|s| d >= s) && self.end.is_none_or(|e| d <= e)
            })
    }
}

/// The filtered record split into phases, in record order except that the Patient leads
/// phase 1.
pub fn plan<'a>(all: &'a [StoredResource], filters: &Filters) -> [Vec<&'a StoredResource>; PHASES] {
    let mut phases: [Vec<&StoredResource>; PHASES] = Default::default();
    for r in all.iter().filter(|r| filters.keeps(r)) {
        phases[phase_of(&r.resource_type)].push(r);
    }
    phases[0].sort_by_key(|r| r.resource_type != "Patient");
    phases
}

/// Where a page starts: a 0-based phase and an offset inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// 0-based phase (links carry it 1-based as `_phase`).
    pub phase: usize,
    /// Position inside the phase (`_offset`).
    pub offset: usize,
}

/// The page a cursor selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The phase served.
    pub phase: usize,
    /// The served items of that phase.
    pub range: Range<usize>,
    /// Where the following page starts, if anything is left.
    pub next: Option<Cursor>,
}

/// The page at `cursor` over phases of lengths `lens`: an exhausted or empty phase moves the
/// cursor to the start of the next non-empty one. None when nothing is left.
pub fn select(lens: [usize; PHASES], cursor: Cursor, count: usize) -> Option<Selection> {
    let (mut phase, mut offset) = (cursor.phase, cursor.offset);
    while phase < PHASES && offset >= lens[phase] {
        phase += 1;
        offset = 0;
    }
    let len = *lens.get(phase)?;
    let end = offset.saturating_add(count.max(1)).min(len);
    let next = if end < len {
        Some(Cursor { phase, offset: end })
    } else {
        (phase + 1..PHASES).find(|&p| lens[p] > 0).map(|p| Cursor {
            phase: p,
            offset: 0,
        })
    };
    Some(Selection {
        phase,
        range: offset..end,
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use proptest::prelude::*;
    use serde_json::Value;

    fn res(resource_type: &str, id: &str, last_updated: i64, date: Option<i64>) -> StoredResource {
        StoredResource {
            resource_type: resource_type.into(),
            id: id.into(),
            last_updated,
            date,
            value: Value::Null,
            json: Bytes::new(),
        }
    }

    fn record() -> Vec<StoredResource> {
        vec![
            res("Coverage", "c1", 10, Some(100)),
            res("Patient", "p", 5, None),
            res("ExplanationOfBenefit", "e1", 20, Some(200)),
            res("Observation", "o1", 30, Some(300)),
            res("Condition", "k1", 40, Some(400)),
            res("ExplanationOfBenefit", "e2", 50, Some(500)),
        ]
    }

    fn ids(all: &[StoredResource], filters: &Filters) -> Vec<Vec<String>> {
        plan(all, filters)
            .iter()
            .map(|p| p.iter().map(|r| r.id.clone()).collect())
            .collect()
    }

    #[test]
    fn phases_keep_record_order_with_patient_first() {
        let all = record();
        assert_eq!(
            ids(&all, &Filters::default()),
            [vec!["p", "c1"], vec!["e1", "e2"], vec!["o1", "k1"]]
        );
    }

    #[test]
    fn filters_apply_and_undated_resources_pass_date_bounds() {
        let all = record();
        let types = |t: &[&str]| Filters {
            types: Some(t.iter().map(|s| s.to_string()).collect()),
            ..Filters::default()
        };
        assert_eq!(
            ids(&all, &types(&["Observation"])),
            [vec![], vec![], vec!["o1"]]
        );
        assert_eq!(
            ids(&all, &types(&["Patient", "ExplanationOfBenefit"])),
            [vec!["p"], vec!["e1", "e2"], vec![]]
        );
        let since = Filters {
            since: Some(30),
            ..Filters::default()
        };
        assert_eq!(ids(&all, &since), [vec![], vec!["e2"], vec!["o1", "k1"]]);
        let windowed = Filters {
            start: Some(200),
            end: Some(400),
            ..Filters::default()
        };
        assert_eq!(
            ids(&all, &windowed),
            [vec!["p"], vec!["e1"], vec!["o1", "k1"]]
        );
        let nothing = Filters {
            since: Some(1000),
            ..Filters::default()
        };
        assert_eq!(ids(&all, &nothing), [Vec::<String>::new(), vec![], vec![]]);
    }

    #[test]
    fn select_skips_empty_and_exhausted_phases() {
        let c = |phase, offset| Cursor { phase, offset };
        let sel = |lens, cur, n| select(lens, cur, n).map(|s| (s.phase, s.range, s.next));
        assert_eq!(sel([0, 0, 0], c(0, 0), 5), None);
        assert_eq!(sel([2, 0, 3], c(0, 0), 5), Some((0, 0..2, Some(c(2, 0)))));
        assert_eq!(sel([2, 0, 3], c(1, 0), 5), Some((2, 0..3, None)));
        assert_eq!(sel([7, 1, 0], c(0, 3), 3), Some((0, 3..6, Some(c(0, 6)))));
        assert_eq!(sel([7, 1, 0], c(0, 6), 3), Some((0, 6..7, Some(c(1, 0)))));
        assert_eq!(sel([7, 1, 0], c(0, 99), 3), Some((1, 0..1, None)));
        assert_eq!(sel([7, 1, 0], c(1, 1), 3), None);
        assert_eq!(sel([1, 1, 1], c(7, 0), 3), None);
    }

    proptest! {
        #[test]
        fn walking_next_links_visits_everything_once(
            lens in prop::array::uniform3(0usize..12),
            count in 1usize..6,
        ) {
            let mut seen = Vec::new();
            let mut cursor = Some(Cursor { phase: 0, offset: 0 });
            while let Some(cur) = cursor {
                let Some(s) = select(lens, cur, count) else { break };
                prop_assert!(!s.range.is_empty() && s.range.len() <= count);
                seen.extend(s.range.clone().map(|i| (s.phase, i)));
                cursor = s.next;
            }
            let want: Vec<(usize, usize)> =
                (0..PHASES).flat_map(|p| (0..lens[p]).map(move |i| (p, i))).collect();
            prop_assert_eq!(seen, want);
        }
    }
}
