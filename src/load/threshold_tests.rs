//! Tests of `threshold.rs`: parsing (valid rules, each error, round trip) and judging.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::load::error::LoadError;
use crate::load::histogram::Latency;
use crate::load::model::{Model, PoolStats, RunParams, SCHEMA_VERSION};

fn t(rule: &str) -> Threshold {
    rule.parse()
        .unwrap_or_else(|e| panic!("{rule:?} should parse: {e}"))
}

fn err(rule: &str) -> String {
    match rule.parse::<Threshold>() {
        Ok(t) => panic!("{rule:?} should not parse, got {t:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn valid_rules() {
    use LatencyStat::*;
    let cases: &[(&str, Option<&str>, Metric, Op, f64)] = &[
        ("p50<300ms", None, Metric::Latency(P50), Op::Lt, 300.0),
        ("p90<=1s", None, Metric::Latency(P90), Op::Le, 1000.0),
        ("p95>1.5s", None, Metric::Latency(P95), Op::Gt, 1500.0),
        ("p99>=0.5ms", None, Metric::Latency(P99), Op::Ge, 0.5),
        ("p99.9<2s", None, Metric::Latency(P999), Op::Lt, 2000.0),
        ("p999<2s", None, Metric::Latency(P999), Op::Lt, 2000.0),
        ("max<10s", None, Metric::Latency(Max), Op::Lt, 10_000.0),
        ("mean<120ms", None, Metric::Latency(Mean), Op::Lt, 120.0),
        ("error-rate<1%", None, Metric::ErrorRate, Op::Lt, 1.0),
        ("error-rate<=0.5%", None, Metric::ErrorRate, Op::Le, 0.5),
        ("error-rate<100%", None, Metric::ErrorRate, Op::Lt, 100.0),
        ("rps>=50", None, Metric::Rps, Op::Ge, 50.0),
        ("rps>12.5req/s", None, Metric::Rps, Op::Gt, 12.5),
        ("P95<300MS", None, Metric::Latency(P95), Op::Lt, 300.0),
        ("Error-Rate<1%", None, Metric::ErrorRate, Op::Lt, 1.0),
        ("RPS > 0", None, Metric::Rps, Op::Gt, 0.0),
        (
            "  p95  <  300 ms  ",
            None,
            Metric::Latency(P95),
            Op::Lt,
            300.0,
        ),
        ("p95<.5s", None, Metric::Latency(P95), Op::Lt, 500.0),
        ("p95<1e3ms", None, Metric::Latency(P95), Op::Lt, 1000.0),
        ("p95<-0ms", None, Metric::Latency(P95), Op::Lt, 0.0),
        (
            "Patient read:error-rate<1%",
            Some("Patient read"),
            Metric::ErrorRate,
            Op::Lt,
            1.0,
        ),
        (
            "$everything next page:p99<=1.5s",
            Some("$everything next page"),
            Metric::Latency(P99),
            Op::Le,
            1500.0,
        ),
        (
            " Patient read : p95 < 300ms ",
            Some("Patient read"),
            Metric::Latency(P95),
            Op::Lt,
            300.0,
        ),
        (
            "Coverage search (plan <gold>):rps>=5",
            Some("Coverage search (plan <gold>)"),
            Metric::Rps,
            Op::Ge,
            5.0,
        ),
    ];
    for (rule, endpoint, metric, op, limit) in cases {
        let th = t(rule);
        assert_eq!(th.rule, rule.trim(), "{rule}");
        assert_eq!(th.endpoint.as_deref(), *endpoint, "{rule}");
        assert_eq!(th.metric, *metric, "{rule}");
        assert_eq!(th.op, *op, "{rule}");
        assert_eq!(th.limit, *limit, "{rule}");
        assert!(th.limit.is_sign_positive(), "{rule}");
    }
}

#[test]
fn errors_name_the_rule_and_the_problem() {
    let cases: &[(&str, &[&str])] = &[
        ("", &["empty rule"]),
        ("   ", &["empty rule"]),
        (
            "p42<300ms",
            &["`p42<300ms`", "unknown metric `p42`", "p99.9", "error-rate"],
        ),
        ("latency<300ms", &["unknown metric `latency`", "rps"]),
        (
            "Patient read p95<300ms",
            &["unknown metric `Patient read p95`", "followed by `:`"],
        ),
        ("p95<300", &["`300` has no unit", "ms or s"]),
        ("error-rate<1", &["`1` has no unit", "%"]),
        ("p95<1%", &["unit `%` does not fit p95", "ms or s"]),
        (
            "error-rate<5ms",
            &["unit `ms` does not fit error-rate", "%"],
        ),
        ("rps>5s", &["unit `s` does not fit rps", "plain number"]),
        ("rps>5%", &["unit `%` does not fit rps"]),
        ("p95<300us", &["unknown unit `us`"]),
        ("p95<-5ms", &["negative limit `-5`"]),
        ("rps>-1", &["negative limit `-1`"]),
        ("p95<1e999ms", &["`1e999` is not a finite number"]),
        ("p95<infms", &["`infms` is not a number"]),
        ("rps>NaN", &["`NaN` is not a number"]),
        ("p95<1,5s", &["`1,5` is not a number"]),
        ("p95<", &["no value after the operator", "ms or s"]),
        ("p95 300ms", &["no comparison operator", "<="]),
        ("p95=300ms", &["unknown operator `=`", "<, <=, > or >="]),
        ("p95==300ms", &["unknown operator `==`"]),
        ("p95=<300ms", &["unknown operator `=<`"]),
        ("p95<>300ms", &["unknown operator `<>`"]),
        ("p95 < = 300ms", &["unknown operator `< =`"]),
        ("p95≤300ms", &["unknown operator `≤`"]),
        ("<300ms", &["no metric before `<`", "p50"]),
        (":p95<300ms", &["empty endpoint"]),
        ("  :p95<300ms", &["empty endpoint"]),
        ("a:b:p95<300ms", &["more than one `:`"]),
        ("error-rate<150%", &["above 100%"]),
    ];
    for (rule, wanted) in cases {
        let e = err(rule);
        assert!(e.starts_with("threshold `"), "{rule:?}: {e}");
        for w in *wanted {
            assert!(e.contains(w), "{rule:?}: {e:?} should contain {w:?}");
        }
    }
}

#[test]
fn display_is_canonical() {
    assert_eq!(
        t(" Patient read : P99.9 <= 1.5 s").to_string(),
        "Patient read:p99.9<=1500ms"
    );
    assert_eq!(t("error-rate<0.5%").to_string(), "error-rate<0.5%");
    assert_eq!(t("rps >= 50 req/s").to_string(), "rps>=50");
}

#[test]
fn help_documents_the_grammar() {
    for w in [
        "[ENDPOINT:]METRIC OP VALUE",
        "p99.9",
        "error-rate",
        "rps",
        "<=",
        "ms or s",
        "%",
    ] {
        assert!(HELP.contains(w), "{w}");
    }
}

/// Stats of an endpoint: latencies (ms) recorded raw, optionally corrected, and failures.
fn stats(name: &str, raw_ms: &[u64], corrected_ms: Option<&[u64]>, failures: u64) -> EndpointStats {
    let hist = |ms: &[u64]| {
        let mut l = Latency::default();
        for v in ms {
            l.record(Duration::from_millis(*v));
        }
        l
    };
    let raw_histogram = hist(raw_ms);
    let corrected_histogram = corrected_ms.map(hist);
    let requests = raw_ms.len() as u64;
    EndpointStats {
        name: name.to_string(),
        requests,
        successes: requests - failures,
        failures,
        by_status: BTreeMap::new(),
        rps: requests as f64 / 10.0,
        raw: Percentiles::of(&raw_histogram),
        corrected: corrected_histogram.as_ref().map(Percentiles::of),
        raw_histogram,
        corrected_histogram,
    }
}

/// A report over 10 s whose total is `total` and whose endpoints are `endpoints`.
fn report(total: EndpointStats, endpoints: Vec<EndpointStats>) -> LoadReport {
    LoadReport {
        schema_version: SCHEMA_VERSION,
        tool: "smartcheck test".into(),
        params: RunParams {
            target: "reference".into(),
            base_url: "http://127.0.0.1/fhir".into(),
            profile: "test".into(),
            model: Model::Closed,
            users: Some(1),
            increase_rate: Some(1.0),
            test_plan: None,
            rate: None,
            duration_secs: 10,
            max_requests: 0,
            max_in_flight: None,
            login_rate: 0.0,
            mix: vec![],
        },
        started_unix: 0,
        elapsed_secs: 10.0,
        stopped_by: "duration".into(),
        total,
        endpoints,
        timeline: vec![],
        dropped: 0,
        pool: PoolStats::default(),
        thresholds: vec![],
    }
}

/// Total: 100 requests of 1..=100 ms, 2 failed; `Patient read`: 10 of 10 ms, corrected 50 ms,
/// 1 failed; `$everything next page`: none.
fn sample() -> LoadReport {
    let all: Vec<u64> = (1..=100).collect();
    report(
        stats("all", &all, None, 2),
        vec![
            stats("Patient read", &[10; 10], Some(&[50; 10]), 1),
            stats("$everything next page", &[], None, 0),
        ],
    )
}

fn judged(rule: &str, r: &LoadReport) -> Verdict {
    t(rule).judge(r)
}

/// Whether `a` is within 0.1% (the histograms' precision) of `b`.
fn near(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() <= b * 0.001)
}

#[test]
fn judges_total_figures() {
    let r = sample();
    let v = judged("p50<=60ms", &r);
    assert_eq!((v.measured, v.passed), (Some(r.total.raw.p50), true));
    assert!(near(v.measured, 50.0), "{v:?}");
    assert_eq!((v.unit.as_str(), v.endpoint), ("ms", None));
    assert_eq!(v.rule, "p50<=60ms");
    for (rule, figure) in [
        ("p90<1s", r.total.raw.p90),
        ("p95<1s", r.total.raw.p95),
        ("p99<1s", r.total.raw.p99),
        ("p99.9<1s", r.total.raw.p999),
        ("max<1s", r.total.raw.max),
        ("mean<1s", r.total.raw.mean),
    ] {
        assert_eq!(judged(rule, &r).measured, Some(figure), "{rule}");
    }
    assert!(near(judged("max<1s", &r).measured, 100.0));
    assert!(!judged("max<99ms", &r).passed);
    assert!(near(judged("mean<1s", &r).measured, 50.5));
    let e = judged("error-rate<=2%", &r);
    assert_eq!(
        (e.measured, e.unit.as_str(), e.passed),
        (Some(2.0), "%", true)
    );
    let rps = judged("rps>=10", &r);
    assert_eq!(
        (rps.measured, rps.unit.as_str(), rps.passed),
        (Some(10.0), "req/s", true)
    );
}

#[test]
fn corrected_latency_is_preferred_over_raw() {
    let r = sample();
    let read = &r.endpoints[0];
    let corrected = read.corrected.expect("open-model figures").p95;
    assert!(near(Some(read.raw.p95), 10.0) && near(Some(corrected), 50.0));
    let v = judged("Patient read:p95<20ms", &r);
    assert_eq!((v.measured, v.passed), (Some(corrected), false));
    assert_eq!(v.endpoint.as_deref(), Some("Patient read"));
    assert_eq!(
        judged("Patient read:error-rate<=10%", &r).measured,
        Some(10.0)
    );
}

#[test]
fn endpoint_names_match_exactly_then_case_insensitively() {
    let mut r = sample();
    r.endpoints.push(stats("patient READ", &[1; 4], None, 0));
    assert_eq!(judged("patient READ:rps>0", &r).measured, Some(0.4));
    assert_eq!(judged("Patient read:rps>0", &r).measured, Some(1.0));
    let v = judged("PATIENT Read:rps>0", &r);
    assert_eq!(v.measured, Some(1.0));
    assert_eq!(
        v.endpoint.as_deref(),
        Some("Patient read"),
        "the report's spelling"
    );
}

#[test]
fn no_evidence_is_not_a_pass() {
    let r = sample();
    for rule in [
        "Coverage search:p95<1s",
        "$everything next page:p95<1s",
        "$everything next page:error-rate<=100%",
        "$everything next page:rps>=0",
    ] {
        let v = judged(rule, &r);
        assert_eq!((v.measured, v.passed), (None, false), "{rule}");
    }
    assert_eq!(
        judged("Coverage search:p95<1s", &r).endpoint.as_deref(),
        Some("Coverage search")
    );
    let empty = report(stats("all", &[], None, 0), vec![]);
    let v = judged("rps>=0", &empty);
    assert_eq!((v.measured, v.passed), (None, false));
    let mut nan = sample();
    nan.total.rps = f64::NAN;
    assert_eq!(judged("rps>=0", &nan).measured, None);
}

#[test]
fn boundary_equality_follows_the_operator() {
    let r = sample();
    let p50 = r.total.raw.p50;
    for (rule, passed) in [
        (format!("p50<{p50}ms"), false),
        (format!("p50<={p50}ms"), true),
        (format!("p50>{p50}ms"), false),
        (format!("p50>={p50}ms"), true),
        ("error-rate<2%".into(), false),
        ("error-rate<=2%".into(), true),
        ("error-rate>2%".into(), false),
        ("error-rate>=2%".into(), true),
        ("rps<10".into(), false),
        ("rps<=10".into(), true),
        ("rps>10".into(), false),
        ("rps>=10".into(), true),
    ] {
        let v = judged(&rule, &r);
        assert!(v.measured.is_some(), "{rule}");
        assert_eq!(v.passed, passed, "{rule}");
    }
}

#[test]
fn judge_all_keeps_the_order() {
    let r = sample();
    let rules = [t("rps>=10"), t("p50<1ms"), t("Nope:rps>0")];
    let v = judge_all(&rules, &r);
    let got: Vec<(&str, bool)> = v.iter().map(|v| (v.rule.as_str(), v.passed)).collect();
    assert_eq!(
        got,
        [("rps>=10", true), ("p50<1ms", false), ("Nope:rps>0", false)]
    );
}

fn metrics() -> impl Strategy<Value = Metric> {
    use LatencyStat::*;
    prop::sample::select(vec![
        Metric::Latency(P50),
        Metric::Latency(P90),
        Metric::Latency(P95),
        Metric::Latency(P99),
        Metric::Latency(P999),
        Metric::Latency(Max),
        Metric::Latency(Mean),
        Metric::ErrorRate,
        Metric::Rps,
    ])
}

fn ops() -> impl Strategy<Value = Op> {
    prop::sample::select(vec![Op::Lt, Op::Le, Op::Gt, Op::Ge])
}

/// Randomly upper-cases ASCII letters.
fn recase(text: &str, mask: u64) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

proptest! {
    #[test]
    fn parser_never_panics(text in any::<String>()) {
        let _ = text.parse::<Threshold>();
    }

    #[test]
    fn parser_never_panics_on_near_rules(text in "[ a-zA-Z0-9:<>=!%.$+eE≤-]{0,24}") {
        let _ = text.parse::<Threshold>();
    }

    #[test]
    fn formatted_rules_parse_back(
        endpoint in prop::option::of("[^:]{1,24}".prop_filter("non-blank", |e| !e.trim().is_empty())),
        metric in metrics(),
        op in ops(),
        limit in 0.0f64..1e9,
        seconds in any::<bool>(),
        mask in any::<u64>(),
        ws in prop::collection::vec(prop::sample::select(vec!["", " ", "  ", "\t"]), 7),
    ) {
        let limit = if metric == Metric::ErrorRate { limit % 100.0 } else { limit };
        // The canonical form parses back to the same fields.
        let canonical = Threshold {
            rule: String::new(),
            endpoint: endpoint.as_ref().map(|e| e.trim().to_string()),
            metric,
            op,
            limit,
        };
        let back: Threshold = canonical.to_string().parse().map_err(|e: LoadError| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back.endpoint, &canonical.endpoint);
        prop_assert_eq!(back.metric, metric);
        prop_assert_eq!(back.op, op);
        prop_assert_eq!(back.limit, limit);
        prop_assert_eq!(back.rule, canonical.to_string());

        // So does a hand-written form: spacing, case and seconds.
        let value = match metric {
            Metric::Latency(_) if seconds => format!("{}s", limit / 1000.0),
            Metric::Latency(_) => format!("{limit}ms"),
            Metric::ErrorRate => format!("{limit}%"),
            Metric::Rps => format!("{limit}"),
        };
        let prefix = endpoint.as_ref().map(|e| format!("{e}{}:", ws[0])).unwrap_or_default();
        let written = format!(
            "{}{prefix}{}{}{}{}{}{value}{}",
            ws[1], ws[2], recase(metric.name(), mask), ws[3], op, ws[4], ws[5],
        );
        let back: Threshold = written.parse().map_err(|e: LoadError| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back.endpoint, &canonical.endpoint);
        prop_assert_eq!(back.metric, metric);
        prop_assert_eq!(back.op, op);
        prop_assert!((back.limit - limit).abs() <= limit * 1e-12, "{} vs {}", back.limit, limit);
        prop_assert_eq!(back.rule, written.trim());
    }

    #[test]
    fn exactly_one_of_lt_and_ge_passes(measured in -1e12f64..1e12, limit in 0.0f64..1e12, same in any::<bool>()) {
        let measured = if same { limit } else { measured };
        let mut r = sample();
        r.total.rps = measured;
        let lt = judged(&format!("rps<{limit}"), &r);
        let ge = judged(&format!("rps>={limit}"), &r);
        prop_assert_eq!(lt.measured, Some(measured));
        prop_assert!(lt.passed != ge.passed, "{} vs {}: < {} >= {}", measured, limit, lt.passed, ge.passed);
        prop_assert!(Op::Lt.holds(measured, limit) != Op::Ge.holds(measured, limit));
    }
}
