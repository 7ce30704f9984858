//! The suite against servers this project did not write (tests/foreign/README.md): each
//! target under `tests/foreign/<name>/` is started by its own program on loopback, run with
//! its `profile.toml`, and must fail exactly the checks its `expected.toml` lists, each with
//! the clause the server violates. A failure not listed is a false positive or a regression;
//! a listed failure that passes is a stale entry; an `error` is the harness not coping. The
//! targets' dependencies are installed by `scripts/install-foreign.sh` (the test command
//! runs it); without them this test fails and says so.

use std::collections::BTreeSet;
use std::hash::{BuildHasher, RandomState};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

mod common;
use common::scratch;

/// A foreign target as a running process, killed on drop.
struct Running {
    child: Child,
    patient_access: String,
    provider_directory: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn foreign_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/foreign")
        .join(name)
}

/// A fresh secret per run (the targets and smartcheck read the same variables).
fn secret() -> String {
    let state = RandomState::new();
    format!("{:016x}{:016x}", state.hash_one(1u8), state.hash_one(2u8))
}

const SECRET_VARS: [&str; 5] = [
    "FOREIGN_PA_SECRET",
    "FOREIGN_PA2_SECRET",
    "FOREIGN_PD_SECRET",
    "FOREIGN_GATEWAY_SECRET",
    "FOREIGN_MEMBER_PASSWORD",
];

/// The program that starts target `name`, which must be installed.
fn command(name: &str) -> Command {
    let dir = foreign_dir(name);
    let (program, script, installed) = match name {
        "oidc-provider" => (
            "node".into(),
            "server.mjs",
            dir.join("node_modules/oidc-provider"),
        ),
        "authlib" => (
            dir.join(".venv/bin/python"),
            "server.py",
            dir.join(".venv/bin/python"),
        ),
        other => panic!("no foreign target {other}"),
    };
    assert!(
        installed.exists(),
        "{name} is not installed ({} missing): run scripts/install-foreign.sh",
        installed.display()
    );
    let mut cmd = Command::new(program);
    cmd.arg(script).current_dir(dir);
    cmd
}

/// Starts `name` with `env` and waits (bounded) for its `READY {json}` line.
fn start(name: &str, env: &[(&str, String)], log: &Path) -> Running {
    let mut child = command(name)
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{name} did not start: {e}"));
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| {
            let _ = child.kill();
            panic!(
                "{name} printed no READY line in 60 s; its log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            )
        });
    let urls: serde_json::Value = serde_json::from_str(
        line.strip_prefix("READY ")
            .unwrap_or_else(|| panic!("{name}: {line}")),
    )
    .unwrap();
    Running {
        patient_access: urls["patient_access"].as_str().unwrap().into(),
        provider_directory: urls["provider_directory"].as_str().unwrap().into(),
        child,
    }
}

/// A check that did not hold: `family / case`, the check's description, its outcome and its
/// step (an entry of `expected.toml` may leave the step out when the case has one check of
/// that description).
type Deviation = (String, String, String, Option<u64>);

/// Whether the listed entry `want` names the check `seen`.
fn names(want: &Deviation, seen: &Deviation) -> bool {
    (&want.0, &want.1, &want.2) == (&seen.0, &seen.1, &seen.2)
        && want.3.is_none_or(|step| seen.3 == Some(step))
}

/// What `file` (`expected.toml`, or `expected-keyed.toml` for the keyed run) lists, each
/// entry with its clause.
fn expected(name: &str, file: &str) -> BTreeSet<Deviation> {
    let path = foreign_dir(name).join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let entries = table.get("failure").and_then(|f| f.as_array());
    let mut out = BTreeSet::new();
    for e in entries.into_iter().flatten() {
        let field = |k: &str| e.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let clause = field("clause").unwrap_or_default();
        assert!(
            clause.len() > 10,
            "{}: every entry cites the clause the server violates: {e:?}",
            path.display()
        );
        out.insert((
            field("case").expect("case"),
            field("check").expect("check"),
            field("outcome").unwrap_or_else(|| "fail".into()),
            e.get("step").and_then(|v| v.as_integer()).map(|n| n as u64),
        ));
    }
    out
}

/// One run of the suite against a foreign target: the whole suite with `profile.toml`, or
/// the keyed run (the client-assertion family with `profile-keyed.toml`, whose Patient
/// Access app authenticates with `private_key_jwt`).
#[derive(Clone, Copy, PartialEq)]
enum Run {
    Suite,
    Keyed,
}

fn run_against(name: &str, run: Run) {
    let (profile_file, expected_file, tag) = match run {
        Run::Suite => ("profile.toml", "expected.toml", ""),
        Run::Keyed => ("profile-keyed.toml", "expected-keyed.toml", "-keyed"),
    };
    let dir = scratch(&format!("foreign-{name}{tag}"));
    let env: Vec<(&str, String)> = SECRET_VARS.iter().map(|k| (*k, secret())).collect();
    let target = start(name, &env, &dir.join("server.log"));
    let client_keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/client-keys");
    let profile = std::fs::read_to_string(foreign_dir(name).join(profile_file))
        .unwrap()
        .replace("{patient_access}", &target.patient_access)
        .replace("{provider_directory}", &target.provider_directory)
        .replace("{client_keys}", &client_keys.display().to_string());
    let profile_path = dir.join("profile.toml");
    std::fs::write(&profile_path, profile).unwrap();
    let out = dir.join("out");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_smartcheck"));
    cmd.args(["run", "--target"]).arg(&profile_path);
    if run == Run::Keyed {
        cmd.args(["--scenario", "client_assertion"]);
    }
    let res = cmd
        .arg("--out")
        .arg(&out)
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .output()
        .unwrap();
    drop(target);
    let stdout = String::from_utf8_lossy(&res.stdout);
    let stderr = String::from_utf8_lossy(&res.stderr);
    let json = std::fs::read_to_string(out.join("results.json"))
        .unwrap_or_else(|e| panic!("no results.json ({e}):\n{stdout}\n{stderr}"));
    let results: serde_json::Value = serde_json::from_str(&json).unwrap();

    let mut seen = BTreeSet::new();
    let mut errors = Vec::new();
    // How many checks each (case, description) has: an entry must give the step of one
    // that is not alone, or it would also excuse its namesakes.
    let mut namesakes = std::collections::BTreeMap::<(String, String), usize>::new();
    for case in results["cases"].as_array().unwrap() {
        let id = format!(
            "{} / {}",
            case["family"].as_str().unwrap(),
            case["name"].as_str().unwrap()
        );
        if case["outcome"] == "error" {
            errors.push(format!("{id}: {}", case["reason"]));
        }
        for check in case["checks"].as_array().unwrap() {
            let outcome = check["outcome"].as_str().unwrap();
            let description = check["description"].as_str().unwrap().to_string();
            *namesakes
                .entry((id.clone(), description.clone()))
                .or_default() += 1;
            if outcome == "fail" || outcome == "warn" {
                let step = check["step"].as_u64();
                seen.insert((id.clone(), description, outcome.to_string(), step));
            }
        }
    }
    let want = expected(name, expected_file);
    for w in want.iter().filter(|w| w.3.is_none()) {
        let n = namesakes
            .get(&(w.0.clone(), w.1.clone()))
            .copied()
            .unwrap_or(0);
        assert!(
            n <= 1,
            "{name}: {w:?} names {n} checks of {expected_file}: give its step"
        );
    }
    if run == Run::Keyed {
        // The keyed run exists to judge the assertions: they must have been judged.
        let judged = results["cases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["family"] == "client-assertion" && c["outcome"] != "skip");
        assert!(judged, "{name}: no client-assertion case ran\n{stdout}");
    }
    let unexpected: Vec<_> = seen
        .iter()
        .filter(|s| !want.iter().any(|w| names(w, s)))
        .collect();
    let stale: Vec<_> = want
        .iter()
        .filter(|w| !seen.iter().any(|s| names(w, s)))
        .collect();
    assert!(
        errors.is_empty() && unexpected.is_empty() && stale.is_empty(),
        "{name}: errors {errors:#?}\nnot in expected.toml (false positive or regression): \
         {unexpected:#?}\nlisted but no longer failing: {stale:#?}\n{stdout}"
    );
    // A run with listed failures exits 1 (a required check failed), never 3.
    let code = res.status.code();
    let failed = want.iter().any(|w| w.2 == "fail");
    assert_eq!(code, Some(if failed { 1 } else { 0 }), "{stdout}\n{stderr}");
}

#[test]
fn oidc_provider_fails_only_what_it_violates() {
    run_against("oidc-provider", Run::Suite);
}

#[test]
fn oidc_provider_with_a_keyed_client_fails_only_what_it_violates() {
    run_against("oidc-provider", Run::Keyed);
}

#[test]
fn authlib_fails_only_what_it_violates() {
    run_against("authlib", Run::Suite);
}

#[test]
fn authlib_with_a_keyed_client_fails_only_what_it_violates() {
    run_against("authlib", Run::Keyed);
}
