//! `smartcheck load` and `load-merge` as a user runs them, against the bundled server:
//! bounded runs of a few seconds whose figures must add up, thresholds that set the exit
//! code, the open model's corrected figures, the request bound, token refresh before
//! expiry, and no secret in any output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn smartcheck() -> Command {
    Command::new(env!("CARGO_BIN_EXE_smartcheck"))
}

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn load(args: &[&str], out: &Path) -> Output {
    smartcheck()
        .arg("load")
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn report(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("load.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// The percentiles of one figure set never go down.
fn assert_monotonic(p: &Value, what: &str) {
    let keys = ["p50", "p90", "p95", "p99", "p999", "max"];
    let values: Vec<f64> = keys.iter().map(|k| p[k].as_f64().unwrap()).collect();
    assert!(
        values.windows(2).all(|w| w[0] <= w[1]),
        "{what}: percentiles not monotonic: {values:?}"
    );
}

/// Everything that must add up in a load.json.
fn assert_consistent(r: &Value) {
    let total = &r["total"];
    assert_eq!(
        n(&total["requests"]),
        n(&total["successes"]) + n(&total["failures"])
    );
    let endpoints = r["endpoints"].as_array().unwrap();
    for field in ["requests", "successes", "failures"] {
        let sum: u64 = endpoints.iter().map(|e| n(&e[field])).sum();
        assert_eq!(
            sum,
            n(&total[field]),
            "endpoints' {field} add up to the total"
        );
    }
    for e in endpoints.iter().chain([total]) {
        let by_status: u64 = e["by_status"].as_object().unwrap().values().map(n).sum();
        assert_eq!(
            by_status,
            n(&e["requests"]),
            "{}: statuses add up",
            e["name"]
        );
        assert_monotonic(&e["raw"], e["name"].as_str().unwrap());
        if !e["corrected"].is_null() {
            assert_monotonic(&e["corrected"], e["name"].as_str().unwrap());
        }
    }
    let timeline = r["timeline"].as_array().unwrap();
    let per_second: u64 = timeline.iter().map(|s| n(&s["requests"])).sum();
    assert_eq!(per_second, n(&total["requests"]), "the timeline adds up");
    for s in timeline {
        assert_monotonic(&s["raw"], "a second");
    }
}

/// No output file and no output stream holds a secret of the bundled target.
fn assert_no_secret(out: &Path, output: &Output) {
    let secrets = [
        "pa-demo-secret-7f3c",
        "pd-demo-secret-4e2d",
        "member-00001-pw",
        "member-00002-pw",
    ];
    let mut texts = vec![
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ];
    for f in ["load.json", "latency.html"] {
        texts.push(std::fs::read_to_string(out.join(f)).unwrap());
    }
    for text in texts {
        for s in secrets {
            assert!(!text.contains(s), "a secret leaked into the output");
        }
        assert!(!text.to_ascii_lowercase().contains("bearer "));
    }
}

#[test]
fn a_bounded_closed_run_adds_up_and_a_passing_threshold_exits_0() {
    let out = out_dir("load-closed");
    let output = load(
        &[
            "--users",
            "6",
            "--duration",
            "3s",
            "--members",
            "4",
            "--login-rate",
            "2",
            "--threshold",
            "p95<5s",
            "--threshold",
            "Patient read:error-rate<1%",
        ],
        &out,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let r = report(&out);
    assert_consistent(&r);
    assert_eq!(r["params"]["model"], "closed");
    assert_eq!(r["stopped_by"], "duration");
    assert!(
        n(&r["total"]["requests"]) > 50,
        "{}",
        r["total"]["requests"]
    );
    assert_eq!(
        n(&r["total"]["failures"]),
        0,
        "the bundled server fails nothing"
    );
    assert!(
        r["total"]["corrected"].is_null(),
        "closed: raw figures only"
    );
    let names: Vec<&str> = r["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    for expected in [
        "Patient read",
        "Coverage search",
        "ExplanationOfBenefit search",
        "$everything first page",
        "$everything next page",
        "token refresh",
        "member login (authorize to code)",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(
        names.iter().any(|n| n.starts_with("directory ")),
        "{names:?}"
    );
    assert_eq!(n(&r["pool"]["members"]), 4);
    assert!(
        r["thresholds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["passed"] == true)
    );
    // Goose users show in the timeline.
    assert!(
        r["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| n(&s["users"]) == 6)
    );
    let html = std::fs::read_to_string(out.join("latency.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), 4);
    assert!(html.contains("Patient read") && html.contains("PASS"));
    assert_no_secret(&out, &output);
}

#[test]
fn a_failing_threshold_exits_1() {
    let out = out_dir("load-failing");
    let started = std::time::Instant::now();
    let output = load(
        &[
            "--profile",
            "healthz",
            "--users",
            "2",
            "--duration",
            "1s",
            "--threshold",
            "p50<0.001ms",
        ],
        &out,
    );
    assert_eq!(output.status.code(), Some(1));
    // A 1 s run ends on time (goose once never ended a plan with a zero-length step).
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    let r = report(&out);
    assert_consistent(&r);
    assert_eq!(r["thresholds"][0]["passed"], false);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("threshold p50<0.001ms: FAIL"), "{stdout}");
    assert!(
        std::fs::read_to_string(out.join("latency.html"))
            .unwrap()
            .contains("FAIL")
    );
}

#[test]
fn the_open_model_reports_corrected_beside_raw_figures() {
    let out = out_dir("load-open");
    let output = load(
        &[
            "--rate",
            "80",
            "--duration",
            "2s",
            "--members",
            "3",
            "--threshold",
            "p99<5s",
        ],
        &out,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let r = report(&out);
    assert_consistent(&r);
    assert_eq!(r["params"]["model"], "open");
    let total = &r["total"];
    assert!(!total["corrected"].is_null());
    // From the intended send time is never shorter than from the actual send.
    assert!(total["corrected"]["max"].as_f64() >= total["raw"]["max"].as_f64());
    // 80 arrivals a second for 2 s; $everything walks add requests.
    assert!(n(&total["requests"]) >= 150, "{}", total["requests"]);
    assert_no_secret(&out, &output);
}

#[test]
fn the_request_bound_stops_the_run() {
    let out = out_dir("load-bounded");
    let output = load(
        &[
            "--profile",
            "healthz",
            "--duration",
            "30s",
            "--max-requests",
            "300",
        ],
        &out,
    );
    assert_eq!(output.status.code(), Some(0));
    let r = report(&out);
    assert_consistent(&r);
    assert_eq!(r["stopped_by"], "max-requests");
    assert_eq!(n(&r["total"]["requests"]), 300);
    assert!(r["elapsed_secs"].as_f64().unwrap() < 20.0);
}

#[test]
fn tokens_close_to_expiry_are_refreshed_during_the_run() {
    let out = out_dir("load-refresh");
    let output = smartcheck()
        .args(["load", "--users", "3", "--duration", "5s", "--members", "2"])
        .arg("--out")
        .arg(&out)
        // The bundled server issues 4 s access tokens: the refresher must renew them.
        .env("REFSERVER_ACCESS_TOKEN_TTL", "4")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let r = report(&out);
    assert!(
        n(&r["pool"]["refreshed_before_expiry"]) >= 1,
        "{}",
        r["pool"]
    );
    assert_eq!(
        r["total"]["by_status"].get("401"),
        None,
        "no expired token was used"
    );
}

#[test]
fn usage_errors_exit_2_before_any_request() {
    let out = out_dir("load-usage");
    for args in [
        &["--threshold", "p95<<3"][..],
        &["--rate", "10", "--users", "3"],
        &["--profile", "no-such-profile"],
        &["--duration", "0s"],
    ] {
        let output = load(args, &out);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!out.join("load.json").exists());
    }
}

#[test]
fn a_production_target_needs_allow_production() {
    let dir = out_dir("load-production");
    std::fs::create_dir_all(&dir).unwrap();
    let profile = dir.join("prod.toml");
    std::fs::write(
        &profile,
        "name = \"prod\"\nproduction = true\n[patient_access]\nbase_url = \"https://payer.example/fhir\"\n",
    )
    .unwrap();
    let output = load(&["--target", profile.to_str().unwrap()], &dir.join("out"));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--allow-production"), "{stderr}");
}

#[test]
fn merged_runs_add_their_counts_and_histograms() {
    let (a, b) = (out_dir("load-merge-a"), out_dir("load-merge-b"));
    for dir in [&a, &b] {
        let output = load(
            &["--profile", "healthz", "--users", "2", "--duration", "1s"],
            dir,
        );
        assert_eq!(output.status.code(), Some(0));
    }
    let merged = out_dir("load-merge-out");
    let output = smartcheck()
        .arg("load-merge")
        .arg(a.join("load.json"))
        .arg(b.join("load.json"))
        .args(["--threshold", "p99<5s", "--out"])
        .arg(&merged)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let (ra, rb, rm) = (report(&a), report(&b), report(&merged));
    assert_consistent(&rm);
    let total = |r: &Value| n(&r["total"]["requests"]);
    assert_eq!(total(&rm), total(&ra) + total(&rb));
    assert_eq!(n(&rm["params"]["users"]), 4);
    assert!(merged.join("latency.html").exists());
}
