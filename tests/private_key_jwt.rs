//! A profile whose Patient Access app is a confidential asymmetric client (SMART
//! `private_key_jwt`): the reference server as its own process, the harness signing every
//! token request with the profile's key file. The whole suite must run on that client (no
//! failure, no error), the assertion never reaches a report, and a key the server does not
//! know under that `kid` makes the assertion checks fail.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{ServerProcess, demo_secrets, env_of, profile, scratch};

/// The common profile with the Patient Access app swapped for the demo asymmetric client.
fn jwt_profile(server: &ServerProcess, key_file: &Path, key_id: &str) -> String {
    let text = profile(
        "jwt-client",
        &server.patient_access(),
        &server.provider_directory(),
        "",
    );
    let secret_client = "client_id = \"patient-access-app\"\nclient_secret_env = \"RT_PA_SECRET\"\n\
                         redirect_uri = \"https://client-app.com/redirect\"\n\
                         redirect_uri_slash = \"https://client-app.com/callback/\"\n";
    assert!(text.contains(secret_client));
    let key_client = format!(
        "client_id = \"patient-access-app-jwt\"\nauth = \"private_key_jwt\"\n\
         key_file = \"{}\"\nkey_id = \"{key_id}\"\nredirect_uri = \"https://client-app.com/redirect\"\n",
        key_file.display()
    );
    text.replace(secret_client, &key_client)
}

fn run(dir: &Path, text: &str) -> (serde_json::Value, String) {
    let path = dir.join("profile.toml");
    std::fs::write(&path, text).unwrap();
    let out = dir.join("out");
    let res = Command::new(env!("CARGO_BIN_EXE_smartcheck"))
        .args(["run", "--target"])
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .envs(env_of(&demo_secrets()))
        .output()
        .unwrap();
    let json = std::fs::read_to_string(out.join("results.json"))
        .unwrap_or_else(|_| panic!("no results.json: {}", String::from_utf8_lossy(&res.stderr)));
    (serde_json::from_str(&json).unwrap(), json)
}

fn demo_key(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/client-keys")
        .join(name)
}

fn outcome<'a>(results: &'a serde_json::Value, family: &str, name: &str) -> &'a str {
    results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["family"] == family && c["name"] == name)
        .and_then(|c| c["outcome"].as_str())
        .unwrap_or_else(|| panic!("no case {family} / {name}"))
}

#[test]
fn the_suite_runs_on_a_private_key_jwt_client() {
    let server = ServerProcess::start();
    let dir = scratch("pkjwt");
    let key = demo_key("demo-asymmetric-es384.pem");
    let (results, json) = run(&dir, &jwt_profile(&server, &key, "demo-es384"));
    for case in results["cases"].as_array().unwrap() {
        let outcome = case["outcome"].as_str().unwrap();
        assert!(
            outcome == "pass" || outcome == "skip",
            "{} / {}: {outcome}: {case:#}",
            case["family"],
            case["name"]
        );
    }
    let signed = "assertion accepted, then forged, misdirected, expired, replayed and incomplete ones refused";
    assert_eq!(outcome(&results, "client-assertion", signed), "pass");
    // Token calls of the other families went through the assertion too.
    assert_eq!(
        outcome(&results, "refresh", "refresh and use the new token"),
        "pass"
    );
    assert_eq!(
        outcome(&results, "revocation", "revoked access token"),
        "pass"
    );
    // Every assertion was sent, and none is in the report (a JWS starts `eyJ`).
    assert!(
        json.contains("client_assertion_type=urn"),
        "assertions were sent"
    );
    assert!(
        !json.contains("client_assertion=eyJ"),
        "an assertion leaked"
    );
}

#[test]
fn a_key_the_server_does_not_hold_fails_the_assertion_checks() {
    let server = ServerProcess::start();
    let dir = scratch("pkjwt-wrong");
    // The RSA demo key under the EC key's kid: the server finds no RSA key with that kid.
    let key = demo_key("demo-asymmetric-rs384.pem");
    let (results, _) = run(&dir, &jwt_profile(&server, &key, "demo-es384"));
    let signed = "assertion accepted, then forged, misdirected, expired, replayed and incomplete ones refused";
    assert_eq!(outcome(&results, "client-assertion", signed), "fail");
    assert_eq!(
        outcome(&results, "refresh", "refresh and use the new token"),
        "fail"
    );
}
