//! `report.html` in real headless Chromium with the network fenced off: it renders (verdict,
//! sections, a case per family, the inline script ran), it makes no external request, and the
//! screenshot is kept at `target/report-screenshot.png`.
//!
//! Two fences: every proxy-able request goes to a recording listener on 127.0.0.1 (`<-loopback>`
//! sends loopback through it too) and the host resolver answers NOTFOUND for any name. Chromium
//! itself phones home at startup whatever the flags (update.googleapis.com, accounts.google.com);
//! its NetLog tells those requests (`"initiator": "not an origin"`) from the page's, so a proxy
//! connection passes only when the browser, not the page, asked for that host, and the NetLog
//! must show no request from the page at all. The canary test shows the fences catch a page
//! that does reach out.
//!
//! Needs Debian's chromium (`scripts/install-chromium.sh`), or `$CHROMIUM`; fails without it.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scraper::{ElementRef, Html, Selector};

/// The families every report must show a case of (more are being added).
const FAMILIES: &str = "discovery redirect-uri scopes plan-claims token-errors refresh everything";
/// Headless, no sandbox (CI containers), background services off (some still phone home).
const FLAGS: &str = "--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --disable-default-apps --disable-features=NetworkTimeServiceQuerying \
    --proxy-bypass-list=<-loopback> --virtual-time-budget=2000";
/// Attributes whose value the browser may fetch.
const URL_ATTRS: &str = "src href srcset action formaction poster data background ping manifest";
/// Any child (the suite, a browser) is killed past this.
const TIMEOUT: Duration = Duration::from_secs(60);
const SENTINEL: &str = "SMARTCHECK-SENTINEL";

fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM").map_or("/usr/bin/chromium".into(), PathBuf::from);
    assert!(
        path.is_file(),
        "headless Chromium not found at {}: run scripts/install-chromium.sh (or set CHROMIUM)",
        path.display()
    );
    path
}

/// A fresh directory under `target/tmp`.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `cmd` in its own process group with output to `<work>/<name>.{stdout,stderr}`, killing
/// the group past `TIMEOUT`.
fn run_bounded(mut cmd: Command, work: &Path, name: &str) -> ExitStatus {
    let log = work.join(format!("{name}.stderr"));
    cmd.stdin(Stdio::null())
        .stdout(File::create(work.join(format!("{name}.stdout"))).unwrap())
        .stderr(File::create(&log).unwrap())
        .process_group(0);
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{name} still running after {TIMEOUT:?}, killed; see {}",
                log.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The proxy Chromium is pointed at: records the request line of every connection, answers 502.
struct Listener {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Listener {
    fn start() -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let line = request_line(&mut stream);
                let _ = stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
                record.lock().unwrap().push(line);
            }
        });
        Listener { port, seen }
    }

    /// Every connection so far: they are handled in order, so once our own sentinel
    /// connection is recorded, every earlier one is too.
    fn connections(&self) -> Vec<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.write_all(format!("{SENTINEL}\r\n\r\n").as_bytes())
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let seen = self.seen.lock().unwrap().clone();
            if seen.iter().any(|l| l == SENTINEL) {
                return seen.into_iter().filter(|l| l != SENTINEL).collect();
            }
            assert!(
                Instant::now() < deadline,
                "the proxy listener stopped answering"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn request_line(stream: &mut TcpStream) -> String {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let (mut head, mut buf) = (Vec::new(), [0u8; 2048]);
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf) {
            Ok(n) if n > 0 => head.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if line.is_empty() {
        "(connection without a request)".into()
    } else {
        line
    }
}

/// The host a proxy request line asks for: `CONNECT host:443 ...` or `GET http://host/... ...`.
fn proxied_host(line: &str) -> Option<String> {
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?, parts.next()?);
    let url = match method {
        "CONNECT" => format!("https://{target}/"),
        _ => target.to_string(),
    };
    Some(url::Url::parse(&url).ok()?.host_str()?.to_ascii_lowercase())
}

/// What one browser run asked for.
struct Traffic {
    /// NetLog requests made for a page (any initiator but the browser itself), non-local.
    page: Vec<String>,
    /// Proxy connections no browser-internal request accounts for.
    unexplained: Vec<String>,
    /// Proxy connections the browser made for itself (ignored, printed).
    background: Vec<String>,
}

impl Traffic {
    fn assert_none(&self) {
        println!(
            "ignored connections Chromium made for itself: {:?}",
            self.background
        );
        assert!(
            self.page.is_empty(),
            "the page made requests: {:#?}",
            self.page
        );
        assert!(
            self.unexplained.is_empty(),
            "the proxy saw: {:#?}",
            self.unexplained
        );
    }
}

/// Runs headless Chromium on `page` with both fences and a NetLog; `extra` picks the outputs.
fn browse(page: &Path, work: &Path, name: &str, extra: &[String]) -> Traffic {
    let listener = Listener::start();
    let netlog = work.join(format!("{name}.netlog.json"));
    let mut cmd = Command::new(chromium());
    cmd.args(FLAGS.split_whitespace())
        // The proxy is 127.0.0.1: without the EXCLUDE the rule would fence off the listener too.
        .arg("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
        .arg(format!("--proxy-server=http://127.0.0.1:{}", listener.port))
        .arg(format!(
            "--user-data-dir={}",
            work.join(format!("{name}.profile")).display()
        ))
        .arg(format!("--log-net-log={}", netlog.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()));
    let status = run_bounded(cmd, work, name);
    assert!(
        status.success(),
        "chromium exited {status}; see {}/{name}.stderr",
        work.display()
    );

    let log: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&netlog).unwrap())
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", netlog.display()));
    let start_job = &log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"];
    assert!(
        start_job.is_u64(),
        "no URL_REQUEST_START_JOB in {}",
        netlog.display()
    );
    let (mut page_requests, mut own_hosts) = (Vec::new(), BTreeSet::new());
    for params in log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| &e["type"] == start_job)
    {
        let params = &params["params"];
        let Some(url) = params["url"].as_str().and_then(|u| url::Url::parse(u).ok()) else {
            continue;
        };
        let initiator = params["initiator"].as_str().unwrap_or("(none)");
        if initiator == "not an origin" {
            own_hosts.extend(url.host_str().map(str::to_ascii_lowercase));
        } else if !["file", "data", "blob", "about"].contains(&url.scheme()) {
            page_requests.push(format!("{url} (initiator {initiator})"));
        }
    }
    let (background, unexplained) = (listener.connections().into_iter())
        .partition(|line| proxied_host(line).is_some_and(|h| own_hosts.contains(&h)));
    Traffic {
        page: page_requests,
        unexplained,
        background,
    }
}

/// `http(s)://` and `//` URLs in the source's URL attributes, `style` attributes and `<style>`
/// (`url(...)`, `@import`). Text is left alone: transcripts legitimately show target URLs.
fn external_refs(html: &str) -> Vec<String> {
    let external = |v: &str| {
        let v = v
            .trim()
            .trim_start_matches(['"', '\''])
            .trim_start()
            .to_ascii_lowercase();
        v.starts_with("//") || v.contains("http://") || v.contains("https://")
    };
    let css = |text: &str, found: &mut Vec<String>| {
        let lower = text.to_ascii_lowercase();
        for needle in ["url(", "@import"] {
            for (i, _) in lower.match_indices(needle) {
                let rest = lower[i + needle.len()..].trim_start();
                let rest = rest.strip_prefix("url(").unwrap_or(rest);
                if external(rest.split([')', ';']).next().unwrap_or("")) {
                    found.push(text[i..].chars().take(80).collect());
                }
            }
        }
    };
    let mut found = Vec::new();
    for el in Html::parse_document(html).select(&Selector::parse("*").unwrap()) {
        for (name, value) in el.value().attrs() {
            if URL_ATTRS.split(' ').any(|a| a == name) && external(value) {
                found.push(format!("<{} {name}=\"{value}\">", el.value().name()));
            } else if name == "style" {
                css(value, &mut found);
            }
        }
        if el.value().name() == "style" {
            css(&el.text().collect::<String>(), &mut found);
        }
    }
    found
}

#[test]
fn report_renders_offline_in_headless_chromium() {
    let started = Instant::now();
    chromium(); // fail first, and clearly, when Chromium is missing
    let work = scratch("report-browser");
    let out = work.join("out");
    let mut run = Command::new(env!("CARGO_BIN_EXE_smartcheck"));
    run.args(["run", "--out"]).arg(&out);
    let status = run_bounded(run, &work, "run");
    let report = out.join("report.html");
    assert!(
        report.is_file(),
        "`run` exited {status}, no report.html; see {}",
        work.display()
    );

    let refs = external_refs(&std::fs::read_to_string(&report).unwrap());
    assert!(
        refs.is_empty(),
        "report.html references external URLs: {refs:#?}"
    );

    let shot = work.join("screenshot.png");
    let extra = [
        format!("--screenshot={}", shot.display()),
        "--window-size=1280,2400".into(),
        "--dump-dom".into(),
    ];
    browse(&report, &work, "chromium", &extra).assert_none();

    let png = std::fs::read(&shot).expect("chromium wrote no screenshot");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.get(12..16) == Some(b"IHDR"),
        "not a PNG"
    );
    let dim = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((dim(16), dim(20)), (1280, 2400), "screenshot dimensions");
    // A blank 1280x2400 page is ~14 KB; the report's text makes it many times that.
    assert!(
        png.len() > 50_000,
        "screenshot looks blank: {} bytes",
        png.len()
    );
    let kept = Path::new(env!("CARGO_TARGET_TMPDIR")).with_file_name("report-screenshot.png");
    std::fs::copy(&shot, &kept).unwrap();
    println!("screenshot: {}", kept.display());

    let dumped = work.join("chromium.stdout");
    let dom = Html::parse_document(&std::fs::read_to_string(&dumped).unwrap());
    let all = |css: &str| {
        dom.select(&Selector::parse(css).unwrap())
            .collect::<Vec<_>>()
    };
    for id in ["#run-outcome", "#families", "#requirements", "#cases"] {
        assert!(
            !all(id).is_empty(),
            "the rendered DOM has no {id}; see {}",
            dumped.display()
        );
    }
    let verdict = all("#run-outcome")[0].text().collect::<String>();
    assert!(!verdict.trim().is_empty(), "empty #run-outcome");
    let cases = all("#cases .case");
    for family in FAMILIES.split(' ') {
        let of_family = |c: &ElementRef| {
            c.value().attr("data-family") == Some(family) || c.text().any(|t| t.contains(family))
        };
        assert!(
            cases.iter().any(of_family),
            "no {family} case among {} in #cases",
            cases.len()
        );
    }
    let js = all("html")[0].value().attr("data-js");
    assert_eq!(
        js,
        Some("ready"),
        "the inline script did not run: no data-js=\"ready\" on <html>"
    );
    println!(
        "{}: {} cases rendered in {:?}",
        verdict.trim(),
        cases.len(),
        started.elapsed()
    );
}

/// The fences are not blind: a page that reaches out is caught by the source scan, the
/// NetLog and the proxy listener.
#[test]
fn fence_catches_a_page_that_reaches_out() {
    let work = scratch("report-browser-canary");
    let page = work.join("canary.html");
    let html = "<!doctype html><html><head>\
        <link rel=stylesheet href=\"https://canary.example/a.css\"><style>@font-face{font-family:C;\
        src:url(http://canary.example/c.woff2)}body{font-family:C}</style></head><body>canary\
        <img src=\"http://canary.example/b.png\"><img src=\"//canary.example/d.png\"></body></html>";
    std::fs::write(&page, html).unwrap();
    assert_eq!(external_refs(html).len(), 4, "{:#?}", external_refs(html));
    let t = browse(&page, &work, "canary", &["--dump-dom".into()]);
    let caught = t
        .page
        .iter()
        .filter(|r| r.contains("canary.example"))
        .count();
    assert!(
        caught >= 2,
        "the NetLog missed the page's requests: {:#?}",
        t.page
    );
    let proxied = t.unexplained.iter().filter_map(|l| proxied_host(l));
    assert!(
        proxied.filter(|h| h == "canary.example").count() >= 2,
        "{:#?}",
        t.unexplained
    );
}
