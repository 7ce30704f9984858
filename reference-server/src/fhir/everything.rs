//! `GET [base]/Patient/[id]/$everything` (seed 001 "Patient-everything request"): the
//! caller's whole compartment, "in phases. After all results from a phase are returned, the
//! next link in the response bundle will point to the call to initiate the next phase."
//!
//! Phases: 1 = Patient and Coverage, 2 = ExplanationOfBenefit, 3 = everything else in the
//! record (the US Core clinical resources). Each phase is paged by `_count`; a page never
//! mixes phases, and phases left empty by the filters (`_type`, `_since`, `start`, `end`) are
//! skipped. The `next` link is absolute and carries every filter plus the cursor
//! (`_phase`, 1-based, and `_offset` within the phase):
//!
//! ```text
//! http://h/fhir/Patient/p1/$everything?_type=Patient%2CObservation&_count=50&_phase=3&_offset=50
//! ```

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::bundle::{BundleHead, write_bundle};
use super::everything_paging::{
    compartment_with, filters_with, neighbour_with, next_cursor_with, next_link_with,
    page_size_with,
};
use super::phases::{Cursor, Filters, PHASES, select};
use super::search::{parse_count, parse_index, push_pair, single};
use super::{
    caller_record, check_id, fhir_ok, is_compartment_type, param_error_with, path_error,
    query_params,
};
use crate::fhirtime;
use crate::gateway::PatientCaller;
use crate::outcome::FhirError;
use crate::params::Params;
use crate::state::AppState;

/// A parsed `$everything` request.
#[derive(Debug, Clone)]
pub struct EverythingQuery {
    /// What to keep.
    pub filters: Filters,
    /// The filters as normalised text, echoed in links in this order.
    pub echo: Vec<(&'static str, String)>,
    /// Page size (`_count`, defaulted and capped).
    pub count: usize,
    /// The cursor the request carried (`_phase`/`_offset`), if any.
    pub cursor: Option<Cursor>,
}

impl EverythingQuery {
    /// `url` with the filters, `_count` and, when given, the cursor.
    pub fn link(&self, url: &str, cursor: Option<Cursor>) -> String {
        let mut s = url.to_string();
        for (name, value) in &self.echo {
            push_pair(&mut s, name, value);
        }
        push_pair(&mut s, "_count", &self.count.to_string());
        if let Some(c) = cursor {
            push_pair(&mut s, "_phase", &(c.phase + 1).to_string());
            push_pair(&mut s, "_offset", &c.offset.to_string());
        }
        s
    }
}

/// Parses and validates the parameters; `known_type` says which `_type` values are patient
/// compartment types.
pub fn parse_query(
    params: &Params,
    known_type: impl Fn(&str) -> bool,
    default_count: usize,
    max_count: usize,
) -> Result<EverythingQuery, FhirError> {
    let mut filters = Filters::default();
    let mut echo = Vec::new();
    if let Some(raw) = single(params, "_type")? {
        let mut types: Vec<String> = Vec::new();
        for t in raw.split(',').map(str::trim) {
            if !known_type(t) {
                return Err(FhirError::invalid(format!(
                    "_type: `{t}` is not a patient compartment resource type"
                )));
            }
            if !types.iter().any(|k| k == t) {
                types.push(t.to_string());
            }
        }
        echo.push(("_type", types.join(",")));
        filters.types = Some(types);
    }
    if let Some(raw) = single(params, "_since")? {
        // `_since` is an instant: a full date-time with seconds and a time zone.
        let t = fhirtime::period(raw).filter(|_| raw.contains('T'));
        let (first, _) = t.ok_or_else(|| {
            FhirError::invalid(format!("_since must be a FHIR instant, got `{raw}`"))
        })?;
        filters.since = Some(first);
        echo.push(("_since", raw.to_string()));
    }
    for (name, slot) in [("start", &mut filters.start), ("end", &mut filters.end)] {
        if let Some(raw) = single(params, name)? {
            let (first, last) = fhirtime::period(raw).ok_or_else(|| {
                FhirError::invalid(format!("{name} must be a FHIR date, got `{raw}`"))
            })?;
            *slot = Some(if name == "start" { first } else { last });
            echo.push((name, raw.to_string()));
        }
    }
    let count = parse_count(params, default_count, max_count)?;
    let phase = parse_index(params, "_phase")?;
    let offset = parse_index(params, "_offset")?;
    let cursor = match (phase, offset) {
        (None, None) => None,
        (Some(p), _) if !(1..=PHASES).contains(&p) => {
            return Err(FhirError::invalid(format!(
                "_phase must be 1, 2 or 3, got `{p}`"
            )));
        }
        // `_offset` alone counts within phase 1.
        (p, o) => Some(Cursor {
            phase: p.map_or(0, |p| p - 1),
            offset: o.unwrap_or(0),
        }),
    };
    Ok(EverythingQuery {
        filters,
        echo,
        count,
        cursor,
    })
}

/// The handler of `GET /fhir/{type}/{id}/{op}`: only `Patient/{id}/$everything` exists.
pub async fn everything(
    caller: PatientCaller,
    State(state): State<AppState>,
    path: Result<Path<(String, String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, FhirError> {
    let Path((resource_type, id, op)) = path.map_err(path_error)?;
    if resource_type != "Patient" || op != "$everything" {
        return Err(FhirError::new(
            StatusCode::NOT_FOUND,
            "not-supported",
            format!(
                "{resource_type}/{{id}}/{op} is not supported; the only operation is Patient/[id]/$everything"
            ),
        ));
    }
    check_id(&id)?;
    if id != caller.patient_id {
        return Err(FhirError::insufficient_scope(
            None,
            format!(
                "patient compartment: Patient/{id} is not the patient this token was issued for"
            ),
        ));
    }
    let params = query_params(query.as_deref())?;
    let record = caller_record(&state, &caller.patient_id);
    let q = parse_query(
        &params,
        |t| is_compartment_type(t, &record),
        state.config.page_size,
        state.config.max_page_size,
    )
    .map_err(|e| param_error_with(e, &state.faults))?;
    let neighbour = neighbour_with(&state, &caller.patient_id);
    let phases = compartment_with(
        &record,
        neighbour.as_deref(),
        &filters_with(&q.filters, &state.faults),
    );
    let lens = phases.each_ref().map(Vec::len);
    let base = &caller.base;
    let url = format!("{base}/Patient/{id}/$everything");
    let self_link = q.link(&url, q.cursor);
    let start = q.cursor.unwrap_or(Cursor {
        phase: 0,
        offset: 0,
    });
    let count = page_size_with(q.count, state.config.page_size, &state.faults);
    let (page, next_link) = match select(lens, start, count) {
        Some(sel) => (
            &phases[sel.phase][sel.range.clone()],
            next_cursor_with(&sel, &state.faults)
                .map(|c| next_link_with(q.link(&url, Some(c)), &state.urls.root, &state.faults)),
        ),
        None => (&[][..], None),
    };
    let head = BundleHead {
        self_link: &self_link,
        next_link: next_link.as_deref(),
        total: None,
        now: i64::try_from(crate::tokens::now()).unwrap_or(0),
    };
    Ok(fhir_ok(write_bundle(&head, base, page)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: &str) -> Result<EverythingQuery, FhirError> {
        let known =
            |t: &str| ["Patient", "Coverage", "ExplanationOfBenefit", "Observation"].contains(&t);
        parse_query(&Params::parse(q.as_bytes()).unwrap(), known, 50, 500)
    }

    #[test]
    fn parameters_become_filters() {
        let q =
            query("_type=Observation,%20Patient,Observation&_since=1970-01-01T00:00:30Z").unwrap();
        assert_eq!(
            q.filters.types,
            Some(vec!["Observation".to_string(), "Patient".to_string()])
        );
        assert_eq!(q.filters.since, Some(30));
        // `end` is inclusive to the date's last second.
        let q = query("start=1970-01-02&end=1970-01-02").unwrap();
        assert_eq!(
            (q.filters.start, q.filters.end),
            (Some(86_400), Some(2 * 86_400 - 1))
        );
        assert_eq!((q.count, q.cursor), (50, None));
        assert_eq!(query("_count=100000").unwrap().count, 500);
    }

    #[test]
    fn bad_parameters_are_refused() {
        for bad in [
            "_type=Organization",
            "_type=Observation,,Patient",
            "_type=Nope",
            "_type=Patient&_type=Coverage",
            "_since=2024-01-01",
            "_since=soon",
            "_since=1&_since=2",
            "start=2024-13",
            "end=x",
            "start=2020&start=2021",
            "_count=0",
            "_count=-2",
            "_count=ten",
            "_phase=0",
            "_phase=4",
            "_phase=one",
            "_phase=1&_phase=2",
            "_offset=-1",
            "_offset=1&_offset=1",
        ] {
            let status = query(bad).map(|_| ()).map_err(|e| e.status.as_u16());
            assert_eq!(status, Err(400), "{bad}");
        }
    }

    #[test]
    fn links_round_trip() {
        let q = query(
            "_type=Observation,Patient&_since=2024-01-01T00:00:00%2B01:00&start=2020&end=2021-06&_count=7&junk=1",
        )
        .unwrap();
        let url = "http://h/fhir/Patient/p/$everything";
        let link = q.link(
            url,
            Some(Cursor {
                phase: 2,
                offset: 14,
            }),
        );
        assert!(link.starts_with(url) && !link.contains("junk"), "{link}");
        let (_, query_string) = link.split_once('?').unwrap();
        let back = parse_query(
            &Params::parse(query_string.as_bytes()).unwrap(),
            |_| true,
            50,
            500,
        )
        .unwrap();
        assert_eq!(back.filters, q.filters);
        assert_eq!(back.count, 7);
        assert_eq!(
            back.cursor,
            Some(Cursor {
                phase: 2,
                offset: 14
            })
        );
        assert_eq!(
            query("_offset=3").unwrap().cursor,
            Some(Cursor {
                phase: 0,
                offset: 3
            })
        );
        assert_eq!(
            query("_phase=2").unwrap().cursor,
            Some(Cursor {
                phase: 1,
                offset: 0
            })
        );
    }

    proptest::proptest! {
        #[test]
        fn hostile_queries_never_panic(q in "([_a-z]{1,8}=[\\PC%,|:+-]{0,12}&?){0,6}") {
            let params = Params::parse(q.as_bytes()).unwrap_or_default();
            let _ = parse_query(&params, |_| true, 50, 500);
            let spec = super::super::search::SearchSpec {
                allowed: &["_id", "name", "identifier", "patient", "practitioner", "_lastUpdated"],
                base: "http://h/fhir",
                default_count: 50,
                max_count: 500,
            };
            let _ = super::super::search::parse_search(&params, &spec);
        }
    }
}
