#![cfg(feature = "browser")]
//! The `browser` login driver in real headless Chromium against the bundled reference server:
//! the code it brings back is redeemable, a wrong password is refused, an unreachable or silent
//! server is an error within the timeout, no message holds the password, and no browser or
//! chromedriver process outlives a login.
//!
//! Needs Debian's chromium and chromium-driver (`scripts/install-chromium.sh`); run with
//! `cargo test -p smartcheck --features browser --test login_browser`.

use std::io::{Read, Write};
use std::net::ToSocketAddrs;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use smartcheck::flow::login_browser::{BrowserSettings, login};
use smartcheck::flow::login_form::{Credentials, LoginError};

const REDIRECT: &str = "https://client-app.com/redirect";
const MEMBER: &str = "sbx-patientAccessMember-1";
const PASSWORD: &str = "hpTest11";
const WRONG: &str = "not-the-Pa55word";

/// One login at a time: each test checks that its browser is gone afterwards.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn settings(timeout: Duration) -> BrowserSettings {
    let s = BrowserSettings {
        timeout,
        ..BrowserSettings::default()
    };
    for bin in [&s.chromium, &s.chromedriver] {
        assert!(
            bin.is_file(),
            "{} not found: run scripts/install-chromium.sh",
            bin.display()
        );
    }
    s
}

fn authorize_url(authorize: &str) -> String {
    let mut u = url::Url::parse(authorize).unwrap();
    u.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", "patient-access-app"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid fhirUser launch/patient patient/*.rs"),
        ("state", "s-1"),
    ]);
    u.to_string()
}

/// Logs in with `password`, timing it and checking that nothing of the browser is left.
async fn timed_login(
    authorize: &str,
    password: &str,
    timeout: Duration,
) -> (Result<url::Url, LoginError>, Duration) {
    let _one = ONE_BROWSER.lock().await;
    let member = Credentials {
        username: MEMBER,
        password,
    };
    let started = Instant::now();
    let result = login(authorize, REDIRECT, &member, &settings(timeout)).await;
    let took = started.elapsed();
    assert_eq!(leftovers(), Vec::<String>::new(), "processes left behind");
    (result, took)
}

/// Live (non-zombie) chromedriver children of this process and browsers using one of its
/// profiles (`smartcheck-browser-<pid>-...`).
fn leftovers() -> Vec<String> {
    let me = std::process::id().to_string();
    let profile = format!("smartcheck-browser-{me}-");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let dir = entry.path();
        let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...
        let Some((comm, rest)) = stat.split_once(") ") else {
            continue;
        };
        let mut fields = rest.split(' ');
        let (state, ppid) = (fields.next(), fields.next());
        if state == Some("Z") {
            continue;
        }
        let cmdline = std::fs::read(dir.join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if (ppid == Some(me.as_str()) && comm.ends_with("chromedriver"))
            || cmdline.contains(&profile)
        {
            found.push(format!("{}: {}", dir.display(), &comm));
        }
    }
    found
}

#[tokio::test]
async fn logs_in_and_the_code_is_redeemable() {
    let s = reference_server::start(reference_server::Config::ephemeral())
        .await
        .unwrap();
    let urls = s.state.urls.clone();
    let (result, took) = timed_login(
        &authorize_url(&urls.authorize),
        PASSWORD,
        Duration::from_secs(60),
    )
    .await;
    let url = result.unwrap_or_else(|e| panic!("{e}"));
    println!("browser login took {took:?}");
    assert!(url.as_str().starts_with(REDIRECT), "{url}");
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert!(pairs.contains(&("state".into(), "s-1".into())), "{url}");
    let code = pairs
        .iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.clone())
        .expect("no code");

    let res = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(&urls.token)
        .basic_auth("patient-access-app", Some("pa-demo-secret-7f3c"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let token: serde_json::Value = res.json().await.unwrap();
    assert!(
        token["access_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{token}"
    );
    assert_eq!(token["patient"].as_str().map(str::is_empty), Some(false));
    s.shutdown().await;
}

#[tokio::test]
async fn a_wrong_password_is_refused_without_the_password_in_the_error() {
    let s = reference_server::start(reference_server::Config::ephemeral())
        .await
        .unwrap();
    let (result, took) = timed_login(
        &authorize_url(&s.state.urls.authorize),
        WRONG,
        Duration::from_secs(60),
    )
    .await;
    let err = result.unwrap_err();
    println!("refused in {took:?}: {err}");
    assert!(err.credentials_refused, "{err}");
    assert!(err.message.contains("login form was shown again"), "{err}");
    assert!(err.message.contains("Member sign in"), "{err}");
    assert!(!format!("{err} {err:?}").contains(WRONG), "{err:?}");
    s.shutdown().await;
}

#[tokio::test]
async fn a_closed_port_is_an_error_within_the_timeout() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let timeout = Duration::from_secs(20);
    let authorize = authorize_url(&format!("http://127.0.0.1:{port}/oauth2/authorize"));
    let (result, took) = timed_login(&authorize, PASSWORD, timeout).await;
    let err = result.unwrap_err();
    println!("closed port: error in {took:?}: {err}");
    assert!(took < timeout + Duration::from_secs(5), "{took:?}");
    assert!(!err.credentials_refused);
    assert!(err.message.contains("neither login nor consent"), "{err}");
    assert!(err.message.contains("ERR_CONNECTION_REFUSED"), "{err}");
    assert!(!format!("{err} {err:?}").contains(PASSWORD), "{err:?}");
}

#[tokio::test]
async fn a_silent_server_is_a_timeout_not_a_hang() {
    // Accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((conn, _)) = silent.accept().await {
            open.push(conn);
        }
    });
    let timeout = Duration::from_secs(8);
    let authorize = authorize_url(&format!("http://127.0.0.1:{port}/oauth2/authorize"));
    let (result, took) = timed_login(&authorize, PASSWORD, timeout).await;
    held.abort();
    let err = result.unwrap_err();
    println!("silent server: error in {took:?}: {err}");
    assert!(took < timeout + Duration::from_secs(5), "{took:?}");
    assert!(err.message.contains("within 8s"), "{err}");
    assert!(!format!("{err} {err:?}").contains(PASSWORD), "{err:?}");
}

#[tokio::test]
async fn a_missing_chromedriver_is_an_error() {
    let member = Credentials {
        username: MEMBER,
        password: PASSWORD,
    };
    let settings = BrowserSettings {
        chromedriver: "/nonexistent/chromedriver".into(),
        ..BrowserSettings::default()
    };
    let err = login(
        "http://127.0.0.1:9/oauth2/authorize",
        REDIRECT,
        &member,
        &settings,
    )
    .await
    .unwrap_err();
    assert_eq!(err.step, 0);
    assert!(err.message.contains("cannot start chromedriver"), "{err}");
}

#[tokio::test]
async fn a_login_dropped_midway_leaves_no_process() {
    let _one = ONE_BROWSER.lock().await;
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((conn, _)) = silent.accept().await {
            open.push(conn);
        }
    });
    let member = Credentials {
        username: MEMBER,
        password: PASSWORD,
    };
    let authorize = authorize_url(&format!("http://127.0.0.1:{port}/oauth2/authorize"));
    let settings = settings(Duration::from_secs(60));
    let caller_gave_up = tokio::time::timeout(
        Duration::from_secs(4),
        login(&authorize, REDIRECT, &member, &settings),
    )
    .await;
    held.abort();
    assert!(caller_gave_up.is_err(), "the login should still be waiting");
    // The guard killed the process group on drop; SIGKILL takes effect within moments.
    let deadline = Instant::now() + Duration::from_secs(2);
    while !leftovers().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(leftovers(), Vec::<String>::new(), "processes left behind");
}

/// Serves every connection on `listener` with `answer`, counting them.
fn serve(listener: std::net::TcpListener, answer: String) -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = conn.read(&mut [0u8; 4096]);
            let _ = conn.write_all(answer.as_bytes());
        }
    });
    count
}

/// The fence, not the name, keeps the code in: the redirect URI's host is one this machine
/// resolves (its hostname), its port is listening on every interface and reachable outside
/// the browser, yet the browser never connects to it.
#[tokio::test]
async fn the_redirect_uri_is_never_fetched() {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim().to_string();
    if host.is_empty() || (host.as_str(), 80).to_socket_addrs().is_err() {
        println!("skipped: the hostname {host:?} does not resolve here");
        return;
    }
    let client = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let redirect_uri = format!("http://{host}:{}/cb", client.local_addr().unwrap().port());
    let fetched = serve(
        client,
        "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nfetched".into(),
    );
    // Canary: outside the browser the name reaches the listener.
    let res = reqwest::Client::builder().no_proxy().build().unwrap();
    let canary = res.get(&redirect_uri).send().await.unwrap();
    assert_eq!(canary.text().await.unwrap(), "fetched");
    assert_eq!(fetched.swap(0, Ordering::SeqCst), 1);

    let auth = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let authorize = format!("http://{}/authorize", auth.local_addr().unwrap());
    serve(
        auth,
        format!(
            "HTTP/1.1 302 Found\r\nLocation: {redirect_uri}?code=c0de-{PASSWORD}&state=s-1\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    );
    let _one = ONE_BROWSER.lock().await;
    let member = Credentials {
        username: MEMBER,
        password: PASSWORD,
    };
    let url = login(
        &authorize,
        &redirect_uri,
        &member,
        &settings(Duration::from_secs(30)),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(url.as_str().starts_with(&redirect_uri), "{url}");
    assert!(url.query_pairs().any(|(k, _)| k == "code"), "{url}");
    assert_eq!(
        fetched.load(Ordering::SeqCst),
        0,
        "the browser fetched the redirect URI"
    );
}
