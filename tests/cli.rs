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
