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
    // Kept open until the child is killed: the server prints more lines, and a closed pipe
    // would make it exit on the next one.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let addr = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{line}");
    let res = reqwest::get(format!(
        "http://{addr}/fhir/.well-known/smart-configuration"
    ))
    .await;
    let _ = child.kill();
    let _ = child.wait();
    drop(stdout);
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

/// A fresh folder under target/tmp for one test.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn results(out: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap()
}

#[test]
fn run_help_shows_every_option_with_examples_and_exit_codes() {
    let out = smartcheck().args(["run", "--help"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let examples = text.split("Examples:").nth(1).expect("examples");
    for option in [
        "--target ",
        "--scenario ",
        "--filter ",
        "--out ",
        "--fail-on ",
    ] {
        assert!(examples.contains(option), "no example for {option}: {text}");
    }
    // clap wraps the help to the terminal's width: compare the words.
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("Exit codes: 0"), "{text}");
    assert!(words.contains("3 harness error"), "{text}");
}

#[test]
fn scenario_option_runs_only_that_family() {
    let out = scratch("scenario");
    let res = smartcheck()
        .args(["run", "--scenario", "discovery", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(0), "{res:?}");
    let results = results(&out);
    let cases = results["cases"].as_array().unwrap();
    assert!(cases.len() >= 4, "{}", cases.len());
    assert!(cases.iter().all(|c| c["family"] == "discovery"));
    assert_eq!(results["tally"]["pass"].as_u64(), Some(cases.len() as u64));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn unknown_scenario_is_a_usage_error_listing_the_scenarios() {
    let res = smartcheck()
        .args(["run", "--scenario", "no-such-scenario", "--out"])
        .arg(scratch("unknown"))
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("unknown scenario no-such-scenario"), "{err}");
    for name in ["discovery", "redirect_uri", "everything"] {
        assert!(err.contains(name), "{name} not listed: {err}");
    }
}

#[test]
fn filter_selects_cases_and_variants_and_an_empty_selection_is_a_usage_error() {
    let out = scratch("filter");
    let res = smartcheck()
        .args([
            "run",
            "--filter",
            "Refused Without Redirect: Trailing Slash Added",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(0), "{res:?}");
    let results = results(&out);
    let cases = results["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert_eq!(
        cases[0]["name"],
        "mutated redirect URI refused without redirect: trailing slash added"
    );
    let res = smartcheck()
        .args(["run", "--filter", "matches nothing at all", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&res.stderr).contains("no case matches"));
    let _ = std::fs::remove_dir_all(&out);
}

const PROFILE: &str = r#"name = "cli-test"
[patient_access]
base_url = "http://127.0.0.1:9/fhir"
[clients.patient_access]
client_id = "patient-access-app"
client_secret_env = "SMARTCHECK_CLI_TEST_PA_SECRET"
redirect_uri = "https://client-app.com/redirect"
[clients.provider_directory]
client_id = "provider-directory-app"
client_secret_env = "SMARTCHECK_CLI_TEST_PD_SECRET"
[[members]]
username = "sbx-patientAccessMember-1"
password_env = "SMARTCHECK_CLI_TEST_PASSWORD"
patient_id = "ffaa7043-d695-4cf0-a541-945bca539041"
"#;

#[test]
fn missing_environment_variables_are_a_usage_error_naming_each() {
    let dir = scratch("missing-env");
    let profile = dir.join("profile.toml");
    std::fs::write(&profile, PROFILE).unwrap();
    let res = smartcheck()
        .args(["run", "--target"])
        .arg(&profile)
        .env_remove("SMARTCHECK_CLI_TEST_PA_SECRET")
        .env_remove("SMARTCHECK_CLI_TEST_PD_SECRET")
        .env("SMARTCHECK_CLI_TEST_PASSWORD", "")
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2), "{res:?}");
    let err = String::from_utf8_lossy(&res.stderr);
    for name in [
        "SMARTCHECK_CLI_TEST_PA_SECRET",
        "SMARTCHECK_CLI_TEST_PD_SECRET",
        "SMARTCHECK_CLI_TEST_PASSWORD",
    ] {
        assert!(err.contains(name), "{name} not named: {err}");
    }
}

#[test]
fn a_literal_secret_in_a_profile_is_refused() {
    let dir = scratch("literal-secret");
    let profile = dir.join("profile.toml");
    let text = PROFILE.replace(
        "client_id = \"provider-directory-app\"",
        "client_id = \"provider-directory-app\"\nclient_secret = \"pd-demo-secret-4e2d\"",
    );
    std::fs::write(&profile, text).unwrap();
    let res = smartcheck()
        .args(["run", "--target"])
        .arg(&profile)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2), "{res:?}");
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("profile.toml:10:"), "file and line: {err}");
    assert!(err.contains("client_secret_env"), "{err}");
    assert!(
        !err.contains("pd-demo-secret"),
        "the secret is quoted: {err}"
    );
}

#[test]
fn every_shipped_target_profile_parses() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("targets");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let profile = smartcheck::target::profile::Profile::load(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        profile.access(&path).unwrap();
    }
}

#[test]
fn the_healthpartners_profile_names_every_missing_variable_before_any_request() {
    let profile = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/targets/healthpartners-sandbox.toml"
    );
    for command in ["run", "load"] {
        let out = smartcheck()
            .args([command, "--target", profile, "--out"])
            .arg(concat!(env!("CARGO_TARGET_TMPDIR"), "/hp-out"))
            .env_remove("HP_CLIENT_SECRET")
            .env_remove("HP_MEMBER1_PASSWORD")
            .env_remove("HP_MEMBER2_PASSWORD")
            .env_remove("HP_MEMBER3_PASSWORD")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for var in [
            "HP_CLIENT_SECRET",
            "HP_MEMBER1_PASSWORD",
            "HP_MEMBER2_PASSWORD",
            "HP_MEMBER3_PASSWORD",
        ] {
            assert!(stderr.contains(var), "{command}: {stderr}");
        }
    }
}
