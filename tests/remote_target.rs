//! A remote target described by a profile, as a user runs it: the reference server runs as
//! its own process on an ephemeral loopback port and is described by a profile like any
//! sandbox (endpoints left out, so they are discovered; secrets only in the child's
//! environment), and the `smartcheck` binary runs the suite against it. Its results must be the in-process default
//! run's, case by case, except the cases skipped because the profile cannot give a variable
//! only the bundled server can; and a skip never counts as a pass.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use smartcheck::target::profile::Profile;

mod common;
use common::{Demo, ServerProcess, demo_secrets, env_of, profile, scratch};

/// Runs `smartcheck run --target <profile> --out <out>` with the demo secrets and `more`.
fn run_binary(profile: &Path, out: &Path, demo: &Demo, more: &[(&str, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smartcheck"))
        .args(["run", "--target"])
        .arg(profile)
        .arg("--out")
        .arg(out)
        .envs(env_of(demo))
        .envs(more.iter().map(|(k, v)| (*k, v)))
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_of_the_bundled_server_gives_the_default_results_less_skips() {
    let demo = demo_secrets();
    // The reference server as its own process, known only by its URL; the payer has
    // approved a portal app of the certification team's (the profile's [portal] table). The
    // admin routes are on only to make that app: the profile does not name them.
    let remote = ServerProcess::start_with_admin();
    let urls = reference_server::urls::Urls::new(&remote.root);
    let portal_app = remote.approved_portal_app().await;
    let dir = scratch("equal");
    let text = profile(
        "bundled-as-remote",
        &urls.patient_access,
        &urls.provider_directory,
        &format!("member_grants = \"{}\"", urls.member_grants),
    ) + &portal_app.table(&remote.root);
    let path = dir.join("profile.toml");
    std::fs::write(&path, &text).unwrap();
    let out = dir.join("out");
    let portal_env = portal_app.env();
    let child = {
        let (path, out, demo, env) = (
            path.clone(),
            out.clone(),
            demo_secrets(),
            portal_env.clone(),
        );
        tokio::task::spawn_blocking(move || run_binary(&path, &out, &demo, &env))
    };

    // The in-process default run, against a server of its own.
    let local = reference_server::start(smartcheck::target::reference::bundled_config())
        .await
        .unwrap();
    let scenarios = smartcheck::scenario::builtin().unwrap();
    let catalogue = smartcheck::requirements::Catalogue::builtin().unwrap();
    let vars = smartcheck::target::reference::vars(&local.state);
    let expected = smartcheck::scenario::engine::run(
        &smartcheck::target::reference::access(),
        "reference",
        &scenarios,
        &catalogue,
        &vars,
        smartcheck::scenario::engine::CredentialAudit::Always,
        &mut |_| {},
    )
    .await;
    local.shutdown().await;

    // What the profile gives, as the binary builds it.
    let p = Profile::parse(&text, "profile.toml").unwrap();
    let env: Vec<_> = env_of(&demo)
        .into_iter()
        .chain(portal_env.clone())
        .collect();
    let secrets = p
        .secrets(&|n| env.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone()))
        .unwrap();
    let given = p
        .vars(&secrets, &smartcheck::http_policy::HttpPolicy::default())
        .await
        .unwrap();
    let absent: BTreeSet<&str> = vars
        .0
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| given.get(k).is_none())
        .collect();
    assert!(absent.contains("expired_access_token"), "{absent:?}");
    for (endpoint, url) in [
        ("authorize", &urls.authorize),
        ("token", &urls.token),
        ("jwks", &urls.jwks),
        ("issuer", &urls.issuer),
        ("introspect", &urls.introspect),
        ("revoke", &urls.revoke),
    ] {
        assert_eq!(
            given.text(endpoint).as_deref(),
            Some(url.as_str()),
            "discovered {endpoint}"
        );
    }

    let res = child.await.unwrap();
    drop(remote);
    let stdout = String::from_utf8_lossy(&res.stdout);
    let stderr = String::from_utf8_lossy(&res.stderr);
    let json = std::fs::read_to_string(out.join("results.json")).unwrap();
    let results: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(results["target"], "bundled-as-remote");
    let cases = results["cases"].as_array().unwrap();
    assert_eq!(cases.len(), expected.cases.len(), "{stdout}\n{stderr}");

    let mut skipped = 0;
    for (got, want) in cases.iter().zip(&expected.cases) {
        let label = format!("{} / {}", want.family, want.name);
        assert_eq!(got["family"], want.family.as_str(), "{label}");
        assert_eq!(got["name"], want.name.as_str(), "{label}");
        let outcome = got["outcome"].as_str().unwrap();
        let want_outcome = serde_json::to_value(want.outcome).unwrap();
        if outcome == "skip" && want_outcome != "skip" {
            let reason = got["reason"].as_str().unwrap_or("");
            assert!(
                absent.iter().any(|v| reason.contains(v)),
                "{label}: skipped for a reason naming no absent variable: {reason}"
            );
            skipped += 1;
        } else {
            assert_eq!(outcome, want_outcome, "{label}: {got:#}");
        }
    }
    assert!(skipped > 0, "the cases needing bundled-only variables skip");
    // The portal: the approved app's cases run from the profile's [portal] table; the cases
    // that take portal actions skip, naming the admin API's variable.
    for case in cases.iter().filter(|c| c["family"] == "portal") {
        let name = case["name"].as_str().unwrap();
        if name.starts_with("approved app") {
            assert_eq!(case["outcome"], "pass", "{name}: {case:#}");
        } else {
            assert_eq!(case["outcome"], "skip", "{name}");
            let reason = case["reason"].as_str().unwrap();
            assert!(reason.contains("portal"), "{name}: {reason}");
        }
    }

    // No skip counts as a pass; the exit code follows the failures only.
    let count = |o: &str| cases.iter().filter(|c| c["outcome"] == o).count() as u64;
    let tally = &results["tally"];
    for o in ["pass", "skip", "warn", "fail", "error"] {
        assert_eq!(tally[o].as_u64(), Some(count(o)), "tally of {o}");
    }
    let expected_pass = expected.tally().pass as u64 - skipped;
    assert_eq!(tally["pass"].as_u64(), Some(expected_pass));
    let code = if count("error") > 0 {
        3
    } else if count("fail") > 0 {
        1
    } else {
        0
    };
    assert_eq!(res.status.code(), Some(code), "{stdout}\n{stderr}");
    assert_ne!(
        results["outcome"], "pass",
        "a run with skips is not a plain pass"
    );

    // The secrets reach no output.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    for secret in [
        &demo.pa_secret,
        &demo.pa2_secret,
        &demo.pd_secret,
        &demo.password,
        &portal_app.client_secret,
        &portal_app.client2_secret,
    ] {
        for (what, text) in [
            ("results.json", &json),
            ("report.html", &html),
            ("junit.xml", &junit),
            ("stdout", &stdout.to_string()),
            ("stderr", &stderr.to_string()),
        ] {
            assert!(!text.contains(secret.as_str()), "a secret in {what}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unreachable_target_is_a_harness_error_at_once() {
    let demo = demo_secrets();
    let dir = scratch("unreachable");
    let endpoints = "authorize = \"http://127.0.0.1:9/oauth2/authorize\"\n\
        token = \"http://127.0.0.1:9/oauth2/token\"\n\
        issuer = \"http://127.0.0.1:9/oauth2\"\n\
        jwks = \"http://127.0.0.1:9/oauth2/jwks\"\n\
        introspect = \"http://127.0.0.1:9/oauth2/introspect\"\n\
        revoke = \"http://127.0.0.1:9/oauth2/revoke\"";
    for (name, extra) in [("discovered", ""), ("given", endpoints)] {
        let path = dir.join(format!("{name}.toml"));
        let text = profile(
            name,
            "http://127.0.0.1:9/fhir",
            "http://127.0.0.1:9/provider-directory/fhir",
            extra,
        );
        std::fs::write(&path, text).unwrap();
        let started = Instant::now();
        let res = run_binary(&path, &dir.join("out"), &demo, &[]);
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(3), "{name}: {stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{name}: took {:?}",
            started.elapsed()
        );
        assert!(
            stderr.contains("cannot be reached")
                && stderr.contains("127.0.0.1:9/fhir/.well-known/smart-configuration"),
            "{name}: {stderr}"
        );
        assert!(
            !dir.join("out").exists(),
            "{name}: no report of a run that did not start"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
