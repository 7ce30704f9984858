//! No secret reaches any output: the suite (`run`) and a load run (`load`) against a remote
//! target whose secrets are given only through the environment. Every output file
//! (report.html, results.json, junit.xml, load.json, latency.html) and the captured stdout
//! and stderr are scanned for every secret the server knows at the end: the client secrets
//! and the member's password (planted through the environment), and every access and refresh
//! token the server issued to the runs. Codes are single-use and gone from the server by
//! then, so every `code=` in the outputs must be followed by the redaction mark.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{demo_secrets, env_of, profile, scratch};

fn smartcheck(args: &[&str], profile: &Path, out: &Path) -> Output {
    let demo = demo_secrets();
    Command::new(env!("CARGO_BIN_EXE_smartcheck"))
        .args(args)
        .arg("--target")
        .arg(profile)
        .arg("--out")
        .arg(out)
        .envs(env_of(&demo))
        .output()
        .unwrap()
}

/// Every file under `dir`, as text.
fn files(dir: &Path) -> Vec<(String, String)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            (p.display().to_string(), text)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_reports_logs_or_streams() {
    let server = reference_server::start(reference_server::Config::ephemeral())
        .await
        .unwrap();
    let urls = server.state.urls.clone();
    let dir = scratch("secrets");
    let path = dir.join("profile.toml");
    let text = profile(
        "secrets",
        &urls.patient_access,
        &urls.provider_directory,
        &format!("member_grants = \"{}\"", urls.member_grants),
    );
    std::fs::write(&path, text).unwrap();
    let (run_out, load_out) = (dir.join("run"), dir.join("load"));
    let runs = {
        let (path, run_out, load_out) = (path.clone(), run_out.clone(), load_out.clone());
        tokio::task::spawn_blocking(move || {
            let run = smartcheck(&["run"], &path, &run_out);
            let load = smartcheck(
                &[
                    "load",
                    "--users",
                    "3",
                    "--duration",
                    "2s",
                    "--login-rate",
                    "2",
                ],
                &path,
                &load_out,
            );
            (run, load)
        })
    };
    let (run, load) = runs.await.unwrap();
    assert!(
        run.status.code().is_some_and(|c| c <= 3),
        "run ended normally"
    );
    assert_eq!(
        load.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&load.stderr)
    );

    let demo = demo_secrets();
    let mut secrets = vec![
        demo.pa_secret,
        demo.pa2_secret,
        demo.pd_secret,
        demo.password,
    ];
    secrets.extend(demo.appid_secrets);
    let tokens = &server.state.tokens;
    secrets.extend(tokens.access.iter().map(|e| e.key().clone()));
    secrets.extend(tokens.refresh.iter().map(|e| e.key().clone()));
    secrets.extend(tokens.pending.iter().map(|e| e.key().clone()));
    assert!(
        secrets.len() > 50,
        "the runs were issued tokens: {}",
        secrets.len()
    );
    server.shutdown().await;

    let mut outputs = files(&run_out);
    outputs.extend(files(&load_out));
    assert!(
        outputs.len() >= 5,
        "{:?}",
        outputs.iter().map(|o| &o.0).collect::<Vec<_>>()
    );
    for (name, o) in [("run", &run), ("load", &load)] {
        outputs.push((
            format!("{name} stdout"),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        ));
        outputs.push((
            format!("{name} stderr"),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        ));
    }
    let code = regex::Regex::new(r"[?&]code=([^&\s\x22'<\\]*)").unwrap();
    let mut codes_seen = 0;
    for (what, text) in &outputs {
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "a secret ({} chars) in {what}",
                s.len()
            );
        }
        for c in code.captures_iter(text) {
            codes_seen += 1;
            let value = &c[1];
            assert!(
                value.is_empty() || value.contains("redacted"),
                "an unredacted code in {what}"
            );
        }
    }
    assert!(
        codes_seen > 0,
        "the report shows the redirects, with their codes redacted"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
