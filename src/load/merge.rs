//! `smartcheck load-merge`: combines the `load.json` of several runs (one per machine of a
//! scaled-out test) by adding their histograms, never by averaging percentiles, then judges
//! the thresholds on the merged figures and writes `latency.html` and `load.json`.
//!
//! The runs are taken as simultaneous: second `i` of each timeline is added to second `i`
//! of the merged one, and the merged rate is the requests over the longest elapsed time.

use super::error::LoadError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::histogram::Latency;
use super::model::{EndpointStats, LoadReport, Percentiles, SCHEMA_VERSION, Second};
use super::output;
use super::threshold::{Threshold, judge_all};
use crate::exit::{EXIT_FAILED, EXIT_PASS, Stop};

/// Reads, merges, judges and writes; returns the exit code (as `smartcheck load`'s).
pub fn run(inputs: &[PathBuf], rules: &[String], out: &Path) -> ExitCode {
    crate::exit::finish("load-merge", execute(inputs, rules, out))
}

fn execute(inputs: &[PathBuf], rules: &[String], out: &Path) -> Result<u8, Stop> {
    let thresholds: Vec<Threshold> = rules
        .iter()
        .map(|r| r.parse())
        .collect::<Result<_, LoadError>>()?;
    let reports = inputs
        .iter()
        .map(|path| read(path))
        .collect::<Result<Vec<_>, LoadError>>()?;
    let mut merged = merge(&reports)?;
    merged.thresholds = judge_all(&thresholds, &merged);
    output::write(out, &merged)?;
    output::print_summary(&merged, out);
    Ok(if merged.thresholds.iter().all(|v| v.passed) {
        EXIT_PASS
    } else {
        EXIT_FAILED
    })
}

fn read(path: &Path) -> Result<LoadReport, LoadError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let report: LoadReport =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if report.schema_version != SCHEMA_VERSION {
        return Err(format!(
            "{}: schema_version {} (this smartcheck reads {SCHEMA_VERSION})",
            path.display(),
            report.schema_version
        )
        .into());
    }
    Ok(report)
}

/// The merged report (thresholds not judged yet).
pub fn merge(reports: &[LoadReport]) -> Result<LoadReport, LoadError> {
    let first = reports.first().ok_or("nothing to merge")?;
    if let Some(other) = reports
        .iter()
        .find(|r| r.params.model != first.params.model)
    {
        return Err(format!(
            "cannot merge a {:?} run with a {:?} run: their latencies mean different things",
            first.params.model, other.params.model
        )
        .into());
    }
    let elapsed = reports.iter().map(|r| r.elapsed_secs).fold(0.0, f64::max);
    let mut total = first.total.clone();
    let mut endpoints: BTreeMap<String, EndpointStats> = BTreeMap::new();
    let mut timeline: Vec<Second> = Vec::new();
    for (i, r) in reports.iter().enumerate() {
        if i > 0 {
            add_stats(&mut total, &r.total)?;
        }
        for e in &r.endpoints {
            match endpoints.get_mut(&e.name) {
                Some(m) => add_stats(m, e)?,
                None => {
                    endpoints.insert(e.name.clone(), e.clone());
                }
            }
        }
        for s in &r.timeline {
            let at = s.second as usize;
            if timeline.len() <= at {
                timeline.extend((timeline.len()..=at).map(|n| empty_second(n as u64, s)));
            }
            add_second(&mut timeline[at], s)?;
        }
    }
    let mut params = first.params.clone();
    params.target = unique(reports.iter().map(|r| r.params.target.as_str()));
    params.profile = unique(reports.iter().map(|r| r.params.profile.as_str()));
    params.users = params
        .users
        .map(|_| reports.iter().filter_map(|r| r.params.users).sum());
    params.rate = params
        .rate
        .map(|_| reports.iter().filter_map(|r| r.params.rate).sum());
    let mut endpoints: Vec<EndpointStats> = endpoints.into_values().collect();
    for e in endpoints.iter_mut().chain([&mut total]) {
        finish_stats(e, elapsed);
    }
    let mut pool = first.pool.clone();
    pool.members = reports.iter().map(|r| r.pool.members).sum();
    pool.refreshed_before_expiry = reports.iter().map(|r| r.pool.refreshed_before_expiry).sum();
    Ok(LoadReport {
        schema_version: SCHEMA_VERSION,
        tool: first.tool.clone(),
        params,
        started_unix: reports.iter().map(|r| r.started_unix).min().unwrap_or(0),
        elapsed_secs: elapsed,
        stopped_by: unique(reports.iter().map(|r| r.stopped_by.as_str())),
        total,
        endpoints,
        timeline,
        dropped: reports.iter().map(|r| r.dropped).sum(),
        pool,
        thresholds: Vec::new(),
    })
}

/// The distinct values joined by `+` (`a+b`, or `a` when all agree).
fn unique<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for v in values {
        if !seen.contains(&v) {
            seen.push(v);
        }
    }
    seen.join("+")
}

fn add_hist(into: &mut Option<Latency>, from: &Option<Latency>) -> Result<(), LoadError> {
    match (into.as_mut(), from) {
        (Some(a), Some(b)) => a.merge(b),
        _ => Ok(()),
    }
}

fn add_stats(into: &mut EndpointStats, from: &EndpointStats) -> Result<(), LoadError> {
    into.requests += from.requests;
    into.successes += from.successes;
    into.failures += from.failures;
    for (k, v) in &from.by_status {
        *into.by_status.entry(k.clone()).or_default() += v;
    }
    into.raw_histogram.merge(&from.raw_histogram)?;
    add_hist(&mut into.corrected_histogram, &from.corrected_histogram)
}

/// Figures recomputed from the merged histograms.
fn finish_stats(e: &mut EndpointStats, elapsed: f64) {
    e.rps = if elapsed > 0.0 {
        e.requests as f64 / elapsed
    } else {
        0.0
    };
    e.raw = Percentiles::of(&e.raw_histogram);
    e.corrected = e.corrected_histogram.as_ref().map(Percentiles::of);
}

fn empty_second(n: u64, like: &Second) -> Second {
    Second {
        second: n,
        requests: 0,
        failures: 0,
        users: 0,
        raw: Percentiles::default(),
        corrected: like.corrected.map(|_| Percentiles::default()),
        raw_histogram: Latency::default(),
        corrected_histogram: like
            .corrected_histogram
            .as_ref()
            .map(|_| Latency::default()),
    }
}

fn add_second(into: &mut Second, from: &Second) -> Result<(), LoadError> {
    into.requests += from.requests;
    into.failures += from.failures;
    into.users += from.users;
    into.raw_histogram.merge(&from.raw_histogram)?;
    add_hist(&mut into.corrected_histogram, &from.corrected_histogram)?;
    into.raw = Percentiles::of(&into.raw_histogram);
    into.corrected = into.corrected_histogram.as_ref().map(Percentiles::of);
    Ok(())
}
