//! `latency.html`: one self-contained page (inline CSS and SVG, no script, no external URL)
//! from the tera template `reports/latency.html.tera`: the threshold verdict first, the run's
//! totals, the threshold table, four charts (latency percentiles, throughput, latency
//! histogram, users over time), the per-endpoint table (corrected beside raw when the run
//! measured both), then the run's parameters.
//!
//! Everything the template shows is prepared here as plain views with numbers already
//! formatted; tera escapes every value (the template is registered as `.html`). The charts
//! are the one exception, inserted as they are: `svg.rs` escapes each text it writes.

use std::time::Duration;

use serde::Serialize;
use tera::{Context, Tera};

use crate::report::ReportError;

use super::model::{EndpointStats, LoadReport, Model, Percentiles};
use super::svg::{Bar, BarChart, LineChart, Series, bar_chart, line_chart, short};

const TEMPLATE: &str = include_str!("../../reports/latency.html.tera");

/// The histogram chart's first bucket bound, and a factor that puts a bound on every power
/// of ten (0.1, 0.16, 0.25, 0.4, 0.63, 1 ms, ...), so the labels stay readable.
const FIRST_BUCKET: Duration = Duration::from_micros(100);
const BUCKET_FACTOR: f64 = 1.584_893_192_461_113_5; // 10^(1/5)
const MAX_BUCKETS: usize = 64;

/// The verdict section.
#[derive(Serialize)]
struct Header<'a> {
    /// `PASS`, `FAIL` or `NO THRESHOLDS`, and its CSS class.
    verdict: &'static str,
    class: &'static str,
    verdict_text: String,
    target: &'a str,
    profile: &'a str,
    model: &'static str,
    started: String,
    elapsed: String,
    stopped_by: &'a str,
    requests: u64,
    failures: u64,
    error_rate: String,
    rps: String,
    dropped: u64,
}

#[derive(Serialize)]
struct ThresholdRow<'a> {
    rule: &'a str,
    endpoint: &'a str,
    measured: String,
    passed: bool,
}

/// One endpoint (or the total): counts, then one latency row per kind measured.
#[derive(Serialize)]
struct EndpointRow<'a> {
    name: &'a str,
    total: bool,
    requests: u64,
    successes: u64,
    failures: u64,
    errors: String,
    rps: String,
    latencies: Vec<LatencyRow>,
}

/// `kind` (`corrected` or `raw`), then p50, p90, p95, p99, p99.9 and max in ms.
#[derive(Serialize)]
struct LatencyRow {
    kind: &'static str,
    cells: [String; 6],
}

#[derive(Serialize)]
struct Pair {
    key: &'static str,
    value: String,
}

#[derive(Serialize)]
struct MixRow<'a> {
    transaction: &'a str,
    weight: u32,
    share: String,
}

#[derive(Serialize)]
struct Charts {
    latency: String,
    throughput: String,
    histogram: String,
    users: String,
}

/// The latency report of a load run. Template values are HTML-escaped by tera.
pub fn render(report: &LoadReport) -> Result<String, ReportError> {
    let mut tera = Tera::default();
    // Named `.html` so tera escapes every value.
    tera.add_raw_template("latency.html", TEMPLATE)
        .map_err(|e| ReportError::template("latency template", &e))?;
    // The same escaping as report.html (text and quoted attributes only).
    tera.set_escape_fn(smartcheck_common::html::escape);
    let corrected =
        report.total.corrected.is_some() || report.endpoints.iter().any(|e| e.corrected.is_some());
    let mut endpoints: Vec<EndpointRow> = report.endpoints.iter().map(|e| row(e, false)).collect();
    endpoints.push(row(&report.total, true));
    let mut ctx = Context::new();
    ctx.insert("h", &header(report));
    ctx.insert("thresholds", &thresholds(report));
    ctx.insert("charts", &charts(report));
    ctx.insert("corrected", &corrected);
    ctx.insert("open", &(report.params.model == Model::Open));
    ctx.insert("endpoints", &endpoints);
    ctx.insert("params", &params(report));
    ctx.insert("mix", &mix(report));
    ctx.insert("fill", &fixed(report.pool.fill_secs, 1));
    ctx.insert("report", report);
    tera.render("latency.html", &ctx)
        .map_err(|e| ReportError::template("cannot render latency.html", &e))
}

fn header(r: &LoadReport) -> Header<'_> {
    let passed = r.thresholds.iter().filter(|t| t.passed).count();
    let (verdict, class, verdict_text) = match (r.thresholds.len(), passed) {
        (0, _) => (
            "NO THRESHOLDS",
            "skip",
            "No threshold rule was given: nothing was judged.".to_string(),
        ),
        (n, p) if p == n => ("PASS", "pass", format!("All {n} threshold rules held.")),
        (n, p) => (
            "FAIL",
            "fail",
            format!("{} of {n} threshold rules failed.", n - p),
        ),
    };
    Header {
        verdict,
        class,
        verdict_text,
        target: &r.params.target,
        profile: &r.params.profile,
        model: model_name(r.params.model),
        started: utc(r.started_unix),
        elapsed: format!("{} s", fixed(r.elapsed_secs, 1)),
        stopped_by: &r.stopped_by,
        requests: r.total.requests,
        failures: r.total.failures,
        error_rate: format!(
            "{} %",
            fixed(percent(r.total.failures, r.total.requests), 2)
        ),
        rps: fixed(r.total.rps, 1),
        dropped: r.dropped,
    }
}

fn thresholds(r: &LoadReport) -> Vec<ThresholdRow<'_>> {
    let measured = |v: f64, unit: &str| match unit {
        "ms" => format!("{} ms", ms(v)),
        "req/s" => format!("{} req/s", fixed(v, 1)),
        unit => format!("{} {unit}", fixed(v, 2)),
    };
    r.thresholds
        .iter()
        .map(|t| ThresholdRow {
            rule: &t.rule,
            endpoint: t.endpoint.as_deref().unwrap_or("all"),
            measured: t
                .measured
                .map_or("no requests".into(), |v| measured(v, &t.unit)),
            passed: t.passed,
        })
        .collect()
}

fn row(e: &EndpointStats, total: bool) -> EndpointRow<'_> {
    let cells = |p: &Percentiles| [p.p50, p.p90, p.p95, p.p99, p.p999, p.max].map(ms);
    let mut latencies = Vec::new();
    if let Some(c) = &e.corrected {
        latencies.push(LatencyRow {
            kind: "corrected",
            cells: cells(c),
        });
    }
    latencies.push(LatencyRow {
        kind: "raw",
        cells: cells(&e.raw),
    });
    EndpointRow {
        name: &e.name,
        total,
        requests: e.requests,
        successes: e.successes,
        failures: e.failures,
        errors: errors(e),
        rps: fixed(e.rps, 1),
        latencies,
    }
}

/// Answers that are not 2xx/3xx, plus `transport` and `dropped`: `401: 3, transport: 1`.
fn errors(e: &EndpointStats) -> String {
    let bad: Vec<String> = e
        .by_status
        .iter()
        .filter(|(status, n)| {
            **n > 0 && !status.parse().is_ok_and(|s: u16| (200..400).contains(&s))
        })
        .map(|(status, n)| format!("{status}: {n}"))
        .collect();
    bad.join(", ")
}

fn params(r: &LoadReport) -> Vec<Pair> {
    let p = &r.params;
    let mut out = Vec::new();
    let mut some = |key: &'static str, value: Option<String>| {
        if let Some(value) = value {
            out.push(Pair { key, value });
        }
    };
    some("target", Some(p.target.clone()));
    some("base URL", Some(p.base_url.clone()));
    some("profile", Some(p.profile.clone()));
    some("model", Some(model_name(p.model).into()));
    some("users", p.users.map(|u| u.to_string()));
    some(
        "increase rate",
        p.increase_rate.map(|v| format!("{} users/s", fixed(v, 1))),
    );
    some("test plan", p.test_plan.clone());
    some(
        "arrival rate",
        p.rate.map(|v| format!("{} transactions/s", fixed(v, 1))),
    );
    some("max in flight", p.max_in_flight.map(|v| v.to_string()));
    some("duration bound", Some(format!("{} s", p.duration_secs)));
    some("request bound", Some(p.max_requests.to_string()));
    some("logins", Some(format!("{}/s", fixed(p.login_rate, 1))));
    out
}

fn mix(r: &LoadReport) -> Vec<MixRow<'_>> {
    let sum: u64 = r.params.mix.iter().map(|m| u64::from(m.weight)).sum();
    r.params
        .mix
        .iter()
        .map(|m| MixRow {
            transaction: &m.transaction,
            weight: m.weight,
            share: format!("{} %", fixed(percent(m.weight.into(), sum), 1)),
        })
        .collect()
}

fn charts(r: &LoadReport) -> Charts {
    let series = |name: &str, color, dashed, f: &dyn Fn(&super::model::Second) -> f64| Series {
        name: name.into(),
        color,
        dashed,
        points: r.timeline.iter().map(|s| (s.second as f64, f(s))).collect(),
    };
    // A second without requests has no latency: NaN breaks the line there.
    let lat = |s: &super::model::Second, p: &Percentiles, pick: fn(&Percentiles) -> f64| {
        if s.requests == 0 { f64::NAN } else { pick(p) }
    };
    let mut latency = vec![
        series("p50", "#2b6cb0", false, &|s| lat(s, &s.raw, |p| p.p50)),
        series("p90", "#d69e2e", false, &|s| lat(s, &s.raw, |p| p.p90)),
        series("p99", "#c53030", false, &|s| lat(s, &s.raw, |p| p.p99)),
    ];
    if r.timeline.iter().any(|s| s.corrected.is_some()) {
        latency.push(series("p99 corrected", "#6b1d8f", true, &|s| {
            s.corrected
                .as_ref()
                .map_or(f64::NAN, |c| lat(s, c, |p| p.p99))
        }));
    }
    let time = "second of the measured phase";
    let users = match r.params.model {
        Model::Closed => "goose users",
        Model::Open => "transactions in flight",
    };
    Charts {
        latency: line_chart(&LineChart {
            title: "Raw latency percentiles per second".into(),
            x_label: time.into(),
            y_label: "latency (ms)".into(),
            x_min_step: 1.0,
            y_min_step: 0.0,
            series: latency,
        }),
        throughput: line_chart(&LineChart {
            title: "Throughput per second".into(),
            x_label: time.into(),
            y_label: "per second".into(),
            x_min_step: 1.0,
            y_min_step: 1.0,
            series: vec![
                series("requests/s", "#2b6cb0", false, &|s| s.requests as f64),
                series("failures/s", "#c53030", false, &|s| s.failures as f64),
            ],
        }),
        histogram: histogram(&r.total),
        users: line_chart(&LineChart {
            title: format!("{} over time", capitalised(users)),
            x_label: time.into(),
            y_label: users.into(),
            x_min_step: 1.0,
            y_min_step: 1.0,
            series: vec![series(users, "#115e2b", false, &|s| s.users as f64)],
        }),
    }
}

/// The latency histogram of every request, corrected when measured; log-spaced buckets
/// from the first to the last non-empty one.
fn histogram(total: &EndpointStats) -> String {
    let (h, kind) = match &total.corrected_histogram {
        Some(h) => (h, "corrected"),
        None => (&total.raw_histogram, "raw"),
    };
    let ratio = h.max().as_secs_f64() / FIRST_BUCKET.as_secs_f64();
    // Enough bounds to pass the largest value, plus the open-ended last bucket.
    let n = if ratio > 1.0 {
        (ratio.ln() / BUCKET_FACTOR.ln()).ceil() as usize + 2
    } else {
        2
    };
    let buckets = h.buckets(FIRST_BUCKET, BUCKET_FACTOR, n.min(MAX_BUCKETS));
    let bound = |i: usize| FIRST_BUCKET.as_secs_f64() * 1000.0 * BUCKET_FACTOR.powi(i as i32);
    let bars: Vec<Bar> = buckets
        .iter()
        .enumerate()
        .map(|(i, (_, count))| {
            let low = if i == 0 {
                "0".into()
            } else {
                short(bound(i - 1))
            };
            let (label, range) = if i + 1 == buckets.len() {
                (format!(">{low}"), format!("over {low} ms"))
            } else {
                let high = short(bound(i));
                (high.clone(), format!("{low} to {high} ms"))
            };
            let tip = format!(
                "{range}: {count} request{}",
                if *count == 1 { "" } else { "s" }
            );
            Bar {
                label,
                value: *count as f64,
                tip,
            }
        })
        .collect();
    let first = bars
        .iter()
        .position(|b| b.value > 0.0)
        .unwrap_or(bars.len());
    let last = bars
        .iter()
        .rposition(|b| b.value > 0.0)
        .map_or(first, |l| l + 1);
    bar_chart(&BarChart {
        title: format!("Latency histogram, all requests ({kind})"),
        x_label: "latency (ms, bucket upper bound)".into(),
        y_label: "requests".into(),
        color: "#2b6cb0",
        y_min_step: 1.0,
        bars: bars.into_iter().skip(first).take(last - first).collect(),
    })
}

fn model_name(m: Model) -> &'static str {
    match m {
        Model::Closed => "closed (goose users)",
        Model::Open => "open (fixed arrival rate)",
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

/// `v` with `decimals` decimals; a dash for a figure that is not a number.
fn fixed(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "-".into()
    }
}

/// Milliseconds: two decimals below 10 ms, one above.
fn ms(v: f64) -> String {
    fixed(v, if v.abs() < 10.0 { 2 } else { 1 })
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
fn utc(unix: u64) -> String {
    let (days, secs) = ((unix / 86_400) as i64, unix % 86_400);
    let (year, month, day) = smartcheck_common::fhirtime::civil_from_days(days);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{s:02} UTC")
}

#[cfg(test)]
#[path = "latency_html_tests.rs"]
mod tests;
