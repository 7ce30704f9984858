//! Tests of `latency.html`: a hand-built report, then the edge cases a chart must survive.

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::load::histogram::Latency;
use crate::load::model::{MixEntry, PoolStats, RunParams, SCHEMA_VERSION, Second, Verdict};

fn hist(ms: &[f64]) -> Latency {
    let mut h = Latency::default();
    for v in ms {
        h.record(Duration::from_secs_f64(v / 1000.0));
    }
    h
}

/// An endpoint whose corrected latencies are the raw ones plus `wait` ms.
fn endpoint(name: &str, ms: &[f64], statuses: &[(&str, u64)], wait: f64) -> EndpointStats {
    let raw_histogram = hist(ms);
    let corrected_histogram = hist(&ms.iter().map(|v| v + wait).collect::<Vec<_>>());
    let by_status: BTreeMap<String, u64> =
        statuses.iter().map(|(s, n)| (s.to_string(), *n)).collect();
    let failures: u64 = statuses
        .iter()
        .filter(|(s, _)| *s != "200")
        .map(|(_, n)| n)
        .sum();
    EndpointStats {
        name: name.into(),
        requests: ms.len() as u64,
        successes: ms.len() as u64 - failures,
        failures,
        by_status,
        rps: ms.len() as f64 / 3.0,
        raw: Percentiles::of(&raw_histogram),
        corrected: Some(Percentiles::of(&corrected_histogram)),
        raw_histogram,
        corrected_histogram: Some(corrected_histogram),
    }
}

fn second(n: u64, ms: &[f64], failures: u64, users: u64) -> Second {
    let raw_histogram = hist(ms);
    let corrected_histogram = hist(&ms.iter().map(|v| v * 1.5).collect::<Vec<_>>());
    Second {
        second: n,
        requests: ms.len() as u64,
        failures,
        users,
        raw: Percentiles::of(&raw_histogram),
        corrected: Some(Percentiles::of(&corrected_histogram)),
        raw_histogram,
        corrected_histogram: Some(corrected_histogram),
    }
}

/// Open model, 2 endpoints, 3 seconds, 2 thresholds (the second fails), corrected figures.
fn sample() -> LoadReport {
    let read: Vec<f64> = (1..=40).map(|i| 2.0 + f64::from(i) * 0.7).collect();
    let search: Vec<f64> = (1..=20).map(|i| 15.0 + f64::from(i * i) * 1.3).collect();
    let mut total = endpoint("all", &[read.clone(), search.clone()].concat(), &[], 4.0);
    total.by_status = [("200", 55), ("401", 3), ("transport", 2)]
        .iter()
        .map(|(s, n)| (s.to_string(), *n))
        .collect();
    (total.successes, total.failures) = (55, 5);
    LoadReport {
        schema_version: SCHEMA_VERSION,
        tool: "smartcheck 0.1.0".into(),
        params: RunParams {
            target: "reference".into(),
            base_url: "https://payer.example/fhir".into(),
            profile: "smoke".into(),
            model: Model::Open,
            users: None,
            increase_rate: None,
            test_plan: None,
            rate: Some(20.0),
            duration_secs: 3,
            max_requests: 1000,
            max_in_flight: Some(50),
            login_rate: 0.5,
            mix: vec![
                MixEntry {
                    transaction: "Patient read".into(),
                    weight: 3,
                },
                MixEntry {
                    transaction: "Coverage search".into(),
                    weight: 1,
                },
            ],
        },
        started_unix: 1_700_000_000,
        elapsed_secs: 3.02,
        stopped_by: "duration".into(),
        endpoints: vec![
            endpoint("Patient read", &read, &[("200", 38), ("401", 2)], 3.0),
            endpoint(
                "Coverage search",
                &search,
                &[("200", 17), ("transport", 2), ("401", 1)],
                6.0,
            ),
        ],
        total,
        timeline: vec![
            second(0, &read[..20], 1, 8),
            second(1, &[&read[20..], &search[..10]].concat(), 2, 12),
            second(2, &search[10..], 2, 9),
        ],
        dropped: 0,
        pool: PoolStats {
            members: 4,
            directory_token: true,
            fill_secs: 1.25,
            refreshed_before_expiry: 1,
        },
        thresholds: vec![
            Verdict {
                rule: "p95<300ms".into(),
                endpoint: None,
                measured: Some(187.4),
                unit: "ms".into(),
                passed: true,
            },
            Verdict {
                rule: "Coverage search:error-rate<1%".into(),
                endpoint: Some("Coverage search".into()),
                measured: Some(15.0),
                unit: "%".into(),
                passed: false,
            },
        ],
    }
}

/// Renders `r` and checks what every page must hold.
fn sound(r: &LoadReport) -> String {
    let html = render(r).unwrap();
    assert_eq!(html.matches("<svg").count(), 4, "four charts");
    for bad in ["NaN", "inf", "src=", "href=", "url(", "@import", "<script"] {
        assert!(!html.contains(bad), "{bad}");
    }
    // The only URL is the report's own base URL, as text.
    let without = html.replace(&r.params.base_url, "");
    assert!(!without.contains("http://") && !without.contains("https://"));
    html
}

#[test]
fn a_full_report_shows_verdict_thresholds_endpoints_and_charts() {
    let r = sample();
    let html = sound(&r);
    if let Ok(path) = std::env::var("SMARTCHECK_LATENCY_SAMPLE") {
        std::fs::write(path, &html).unwrap();
    }
    let verdict = html.find("id=\"run-verdict\">FAIL<").expect("verdict");
    assert!(
        verdict < html.find("id=\"thresholds\"").unwrap(),
        "verdict first"
    );
    for name in ["Patient read", "Coverage search", "all endpoints (total)"] {
        assert!(
            html.contains(&format!("<td rowspan=\"2\">{name}</td>")),
            "{name}"
        );
    }
    assert!(html.contains("p95&lt;300ms") && html.contains("Coverage search:error-rate&lt;1%"));
    assert!(html.contains("187.4 ms") && html.contains("15.00 %"));
    assert!(
        html.contains("401: 1, transport: 2"),
        "errors by status, 2xx left out"
    );
    assert!(html.contains("<td class=\"kind\">corrected</td>"));
    assert!(html.contains("p99 corrected") && html.contains("stroke-dasharray"));
    assert!(html.contains("transactions in flight"));
    assert!(html.contains("2023-11-14 22:13:20 UTC"));
    let order = [
        "id=\"thresholds\"",
        "id=\"charts\"",
        "id=\"endpoints\"",
        "id=\"parameters\"",
    ];
    let at: Vec<usize> = order.iter().map(|s| html.find(s).unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "sections in order");
}

#[test]
fn report_values_are_escaped() {
    let mut r = sample();
    r.endpoints[0].name = "<script>alert(1)</script>".into();
    r.params.profile = "\"><img src=x>".into();
    let html = render(&r).unwrap();
    assert!(!html.contains("<script>") && !html.contains("<img"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn the_verdict_passes_or_says_nothing_was_judged() {
    let mut r = sample();
    r.thresholds[1].passed = true;
    assert!(sound(&r).contains(">PASS<"));
    r.thresholds.clear();
    assert!(sound(&r).contains(">NO THRESHOLDS<"));
    r.thresholds = sample().thresholds;
    r.thresholds[0].measured = None;
    assert!(sound(&r).contains("no requests"));
}

#[test]
fn edge_cases_render_without_panic_or_nan() {
    let base = sample();
    let mut empty = base.clone();
    empty.timeline.clear();
    assert!(sound(&empty).matches("no data").count() >= 3);

    let mut single = base.clone();
    single.timeline.truncate(1);
    sound(&single);

    let mut zero = base.clone();
    for s in &mut zero.timeline {
        s.raw = Percentiles::default();
        s.corrected = Some(Percentiles::default());
    }
    zero.total.raw_histogram = Latency::default();
    zero.total.corrected_histogram = None;
    sound(&zero);

    let mut one = base.clone();
    one.endpoints.truncate(1);
    sound(&one);

    let mut none = base;
    none.endpoints.clear();
    none.total = endpoint("all", &[], &[], 0.0);
    none.total.rps = 0.0;
    none.elapsed_secs = 0.0;
    none.params.mix.clear();
    for s in &mut none.timeline {
        *s = second(s.second, &[], 0, 0);
    }
    let html = sound(&none);
    assert!(html.contains("0.00 %"), "no division by zero");
}

#[test]
fn a_closed_run_shows_raw_figures_only() {
    let mut r = sample();
    r.params.model = Model::Closed;
    r.params.users = Some(10);
    for e in r.endpoints.iter_mut().chain([&mut r.total]) {
        e.corrected = None;
        e.corrected_histogram = None;
    }
    for s in &mut r.timeline {
        s.corrected = None;
    }
    let html = sound(&r);
    assert!(html.contains("goose users") && html.contains("measured raw latency only"));
    assert!(!html.contains("class=\"kind\"") && !html.contains("p99 corrected"));
    assert!(html.contains("(raw)</title>"), "histogram of raw latencies");
}

#[test]
fn figures_are_formatted_for_reading() {
    assert_eq!(
        (ms(3.14659), ms(187.44), ms(f64::NAN)),
        ("3.15".into(), "187.4".into(), "-".into())
    );
    assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
    assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
}
