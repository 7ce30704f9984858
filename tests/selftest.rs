//! `smartcheck selftest` as CI runs it: the whole suite against the clean bundled server and
//! against one server per fault switch. Every fault must be caught by a check of the
//! requirements it violates and by no other, the clean server must pass everything, every
//! requirement must have a fault, and the matrix must be written as JSON and HTML.

use std::process::Command;
use std::time::Instant;

#[test]
fn every_fault_is_caught_and_the_clean_server_passes() {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("selftest");
    let _ = std::fs::remove_dir_all(&out);
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_smartcheck"))
        .args(["selftest", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("selftest.json")).unwrap()).unwrap();
    let faults = report["faults"].as_array().unwrap();
    let not_caught: Vec<&str> = faults
        .iter()
        .filter(|f| f["verdict"] != "caught")
        .map(|f| f["fault"].as_str().unwrap())
        .collect();
    assert!(
        not_caught.is_empty(),
        "not caught: {not_caught:?}\n{stdout}"
    );
    assert!(faults.len() >= 25, "{}", faults.len());
    assert_eq!(
        report["clean_failures"].as_array().unwrap().len(),
        0,
        "{stdout}"
    );
    assert_eq!(
        report["uncovered_requirements"].as_array().unwrap().len(),
        0
    );
    assert_eq!(report["passed"], true);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let html = std::fs::read_to_string(out.join("selftest.html")).unwrap();
    assert!(html.contains("PASS") && html.contains("code-reusable"));
    // Its speed is measured by scripts/bench-selftest.sh (BENCHMARKS.md), not here.
    eprintln!("selftest took {:?}", started.elapsed());
}
