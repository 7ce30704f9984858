//! The `smartcheck` binary as a user runs it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn smartcheck() -> Command {
    Command::new(env!("CARGO_BIN_EXE_smartcheck"))
}

#[test]
fn help_shows_examples() {
    let out = smartcheck().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Examples:"), "{text}");
    assert!(text.contains("serve"));
}

#[test]
fn usage_errors_exit_2() {
    let out = smartcheck()
        .args(["serve", "--bind", "not-an-address"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = smartcheck().arg("no-such-command").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn serve_starts_the_reference_server_on_loopback() {
    let mut child = smartcheck()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{line}");
    let res = reqwest::get(format!(
        "http://{addr}/fhir/.well-known/smart-configuration"
    ))
    .await;
    let _ = child.kill();
    let _ = child.wait();
    let res = res.unwrap();
    assert_eq!(res.status(), 200);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert_eq!(doc["code_challenge_methods_supported"][0], "S256");
}

#[test]
fn run_writes_the_reports_and_exits_0() {
    let out = std::env::temp_dir().join(format!("smartcheck-run-{}", std::process::id()));
    let res = smartcheck()
        .args(["run", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        res.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&res.stdout)
    );
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["outcome"], "pass");
    assert!(results["tally"]["pass"].as_u64().unwrap() >= 4);
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains("<testsuite name=\"discovery\""));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"run-outcome\">PASS"));
    let _ = std::fs::remove_dir_all(&out);
}
