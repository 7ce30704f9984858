//! The `manual` login driver end to end: `smartcheck run` against a profile with
//! `[login] driver = "manual"` and a loopback redirect URI prints each authorize URL and
//! listens on the redirect URI; this test plays the person at the browser (it signs the
//! member in with the form driver's parser and follows the final redirect to the listener).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use smartcheck::flow::login_form::{Credentials, FormLoginSettings, login};
use smartcheck::http::Session;
use smartcheck::transcript::redact::Redactor;

mod common;
use common::{demo_secrets, env_of, profile, scratch};

/// Registered for `patient-access-app` in the bundled server's fixtures.
const LOOPBACK_REDIRECT: &str = "http://127.0.0.1:8765/callback";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_and_the_loopback_listener_takes_the_redirect() {
    let server = reference_server::start(reference_server::Config::ephemeral())
        .await
        .unwrap();
    let urls = server.state.urls.clone();
    let dir = scratch("manual-login");
    let text = profile("manual", &urls.patient_access, &urls.provider_directory, "")
        .replace("https://client-app.com/redirect", LOOPBACK_REDIRECT)
        + "[login]\ndriver = \"manual\"\ntimeout_secs = 30\n";
    let path = dir.join("profile.toml");
    std::fs::write(&path, text).unwrap();
    let demo = demo_secrets();
    let mut child = Command::new(env!("CARGO_BIN_EXE_smartcheck"))
        .args(["run", "--scenario", "id-token", "--target"])
        .arg(&path)
        .arg("--out")
        .arg(dir.join("out"))
        .envs(env_of(&demo))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let started = Instant::now();
    let mut logins = 0;
    let mut printed = String::new();
    while let Some(line) = tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("the run went silent")
    {
        printed.push_str(&line);
        printed.push('\n');
        let Some(start) = line.find("http://") else {
            continue;
        };
        let url = line[start..].trim();
        if !url.contains("/oauth2/authorize?") {
            continue;
        }
        // The person at the browser: sign in, approve, follow the redirect to the listener.
        let mut browser = Session::new(Redactor::default()).unwrap();
        let member = Credentials {
            username: "sbx-patientAccessMember-1",
            password: &demo.password,
        };
        let redirect = login(
            &mut browser,
            url,
            LOOPBACK_REDIRECT,
            &member,
            &FormLoginSettings::default(),
        )
        .await
        .unwrap();
        // The listener may still be binding: try for a moment.
        let mut answered = false;
        for _ in 0..50 {
            if let Ok(res) = reqwest::get(redirect.as_str()).await {
                assert_eq!(res.status(), 200);
                answered = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(answered, "the driver listened on the redirect URI");
        logins += 1;
    }
    let status = child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(120));
    assert!(logins >= 1, "{printed}");
    assert!(!printed.contains(&demo.password));
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/results.json")).unwrap())
            .unwrap();
    let cases = results["cases"].as_array().unwrap();
    assert!(
        cases.iter().all(|c| c["outcome"] == "pass"),
        "{printed}\n{:#}",
        results["cases"]
    );
    assert_eq!(status.code(), Some(0));
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
