//! A hostile remote target (issue 5): non-JSON answers, huge bodies, redirect loops, `next`
//! loops, slow answers, connection resets and 429/503 with `Retry-After` end in a clear
//! `fail` or `error` (or a clear harness error before any case), never a panic or a hang;
//! retries happen only for GET and HEAD and honour `Retry-After`; every request has a
//! timeout.
//!
//! The server is `support_hostile` (one behaviour per base path, on loopback). The first two
//! tests run the real `smartcheck` binary against a profile of each behaviour, in parallel,
//! each under a wall-clock bound enforced here (what each suite run must produce, case by
//! case: `support_hostile/plans.rs`); the others drive `smartcheck::http::Session`, the
//! `$everything` walk and the login driver directly, where timing and request counts can be
//! measured precisely.

mod support_hostile;

use std::time::{Duration, Instant};

use smartcheck::flow::everything::walk;
use smartcheck::flow::login_form::{Credentials, FormLoginSettings, login};
use smartcheck::http::{MAX_BODY, Session};
use smartcheck::http_policy::HttpPolicy;
use smartcheck::transcript::redact::Redactor;
use support_hostile::child::{profile, run_bounded, scratch};
use support_hostile::judge::{BOUND, in_parallel, judge_cases, judge_process, runtime};
use support_hostile::plans::{Plan, common_wants, plans};
use support_hostile::{Hostile, Log};

#[test]
fn hostile_answers_end_in_fail_or_error_never_a_panic_or_a_hang() {
    let rt = runtime();
    let h = rt.block_on(Hostile::start());
    let plans = plans(&h);
    let started = Instant::now();
    let failures = in_parallel(&plans, |plan| judge_plan(&h, plan));
    eprintln!("all suite runs: {:?}", started.elapsed());
    rt.shutdown_background();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Runs `plan` and says what is wrong with the outcome (nothing: empty).
fn judge_plan(h: &Hostile, plan: &Plan) -> Vec<String> {
    let dir = scratch(plan.mode);
    let mut args = Vec::new();
    for s in plan.scenarios {
        args.extend(["--scenario", s]);
    }
    let text = profile(&format!("hostile-{}", plan.mode), &plan.base, plan.http);
    let finished = match run_bounded(&dir, &text, &args, BOUND) {
        Ok(f) => f,
        Err(e) => return vec![format!("{}: {e}", plan.mode)],
    };
    eprintln!(
        "{}: exit {:?} in {:?}",
        plan.mode, finished.code, finished.elapsed
    );
    let mut problems = judge_process(&finished, plan.exit);
    match finished.results() {
        Err(e) => problems.push(e),
        Ok(results) => {
            problems.extend(judge_cases(&results, &plan.wants, &common_wants()));
            problems.extend((plan.extra)(&h.log, &results));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    problems
        .into_iter()
        .map(|p| format!("{}: {p}", plan.mode))
        .collect()
}

/// A misbehaving SMART configuration, and how the run must stop.
struct Startup {
    mode: &'static str,
    /// On the raw server.
    raw: bool,
    http: &'static str,
    /// What stderr says.
    says: &'static str,
    /// Requests of the document (1 + retries).
    requests: usize,
    /// Least and most wall time, in seconds.
    secs: (u64, u64),
}

const fn startup(mode: &'static str, says: &'static str, requests: usize) -> Startup {
    Startup {
        mode,
        raw: false,
        http: "",
        says,
        requests,
        secs: (0, 10),
    }
}

/// A SMART configuration that misbehaves stops the run before any case: exit 3, the reason
/// on stderr, no report.
#[test]
fn a_hostile_smart_configuration_is_a_clear_harness_error() {
    let rt = runtime();
    let h = rt.block_on(Hostile::start());
    let plans = [
        startup("config-non-json", "did not answer a JSON object", 1),
        startup("config-huge", "body larger than 8388608 bytes", 1),
        Startup {
            http: "timeout_secs = 1",
            secs: (1, 10),
            ..startup("config-slow", "timed out", 1)
        },
        startup("config-redirect", "answered 302", 1),
        // Retry-After: 0, retried twice (the default).
        startup("config-busy", "answered 503", 3),
        // Retry-After: 3600 is beyond the longest wait: the answer stands at once.
        startup("config-busy-long", "answered 503", 1),
        // An unusable Retry-After date (it was a panic): the ordinary backoff, 0.5 s + 1 s.
        Startup {
            secs: (1, 10),
            ..startup("config-bad-date", "answered 503", 3)
        },
        // Resets are retried (0.5 s, 1 s), then the target cannot be reached.
        Startup {
            raw: true,
            secs: (1, 10),
            ..startup("config-reset", "the target cannot be reached", 3)
        },
    ];
    let failures = in_parallel(&plans, |p| {
        let base = if p.raw {
            h.raw_base(p.mode)
        } else {
            h.base(p.mode)
        };
        judge_startup(&h.log, p, &base)
            .into_iter()
            .map(|problem| format!("{}: {problem}", p.mode))
            .collect()
    });
    rt.shutdown_background();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn judge_startup(log: &Log, p: &Startup, base: &str) -> Vec<String> {
    let dir = scratch(p.mode);
    let text = profile(&format!("hostile-{}", p.mode), base, p.http);
    let f = match run_bounded(&dir, &text, &["--scenario", "discovery"], BOUND) {
        Ok(f) => f,
        Err(e) => return vec![e],
    };
    eprintln!("{}: exit {:?} in {:?}", p.mode, f.code, f.elapsed);
    let mut problems = judge_process(&f, 3);
    if !f.stderr.contains(p.says) || !f.stderr.contains("smart-configuration") {
        problems.push(format!("stderr does not say \"{}\": {}", p.says, f.stderr));
    }
    if f.out.exists() {
        problems.push("a report of a run that did not start".into());
    }
    let got = log.count(
        "GET",
        &format!("/{}/fhir/.well-known/smart-configuration", p.mode),
    );
    if got != p.requests {
        problems.push(format!(
            "{got} requests of the document, not {}",
            p.requests
        ));
    }
    let range = Duration::from_secs(p.secs.0)..Duration::from_secs(p.secs.1);
    if !range.contains(&f.elapsed) {
        problems.push(format!("took {:?}, not within {range:?}", f.elapsed));
    }
    let _ = std::fs::remove_dir_all(&dir);
    problems
}

// ---- The session, the walk and the login driver, directly ----

fn session(timeout_ms: u64, retries: u32) -> Session {
    let policy = HttpPolicy {
        timeout: Duration::from_millis(timeout_ms),
        retries,
        ..HttpPolicy::default()
    };
    Session::with_policy(Redactor::default(), &policy).unwrap()
}

/// GETs `url`; the outcome and how long it took.
async fn get(
    s: &mut Session,
    url: &str,
) -> (
    Result<smartcheck::http::Fetched, smartcheck::http::HttpError>,
    Duration,
) {
    let started = Instant::now();
    let r = s.fetch(s.client().get(url)).await;
    (r, started.elapsed())
}

#[tokio::test]
async fn slow_heads_and_trickling_bodies_time_out_once_never_retried() {
    let h = Hostile::start().await;
    let mut s = session(400, 2);
    for (url, path) in [
        (format!("{}/slow-head/x", h.raw), "/slow-head/x"),
        (format!("{}/drip/x", h.raw), "/drip/x"),
        (
            format!("{}/slow/fhir/metadata", h.root),
            "/slow/fhir/metadata",
        ),
    ] {
        let (r, took) = get(&mut s, &url).await;
        let e = r.expect_err(&url);
        assert!(e.to_string().contains("timed out"), "{url}: {e}");
        assert!(
            (Duration::from_millis(350)..Duration::from_millis(1_500)).contains(&took),
            "{url}: {took:?}"
        );
        assert_eq!(
            h.log.count("GET", path),
            1,
            "{url}: a timeout is not retried"
        );
    }
}

#[tokio::test]
async fn bodies_above_8_mib_are_refused_at_the_cap_and_not_retried() {
    let h = Hostile::start().await;
    let mut s = session(10_000, 2);
    for (url, path) in [
        (format!("{}/endless/x", h.raw), "/endless/x"),
        (
            format!("{}/huge/fhir/metadata", h.root),
            "/huge/fhir/metadata",
        ),
    ] {
        let (r, _) = get(&mut s, &url).await;
        let e = r.expect_err(&url);
        assert_eq!(
            e.to_string(),
            format!("body larger than {MAX_BODY} bytes"),
            "{url}"
        );
        assert_eq!(h.log.count("GET", path), 1, "{url}");
    }
    let (r, _) = get(&mut s, &format!("{}/exact/x", h.root)).await;
    assert_eq!(r.unwrap().body.len(), MAX_BODY, "the cap itself is allowed");
}

#[tokio::test]
async fn resets_and_half_answers_are_errors_retried_only_for_get_and_head() {
    let h = Hostile::start().await;
    let mut s = session(2_000, 1);
    for (method, mode) in [
        ("GET", "rst"),
        ("GET", "close"),
        ("GET", "half"),
        ("HEAD", "close"),
    ] {
        let url = format!("{}/{mode}/x", h.raw);
        let started = Instant::now();
        let req = s.client().request(method.parse().unwrap(), &url);
        let e = s.fetch(req).await.expect_err(&url).to_string();
        let took = started.elapsed();
        assert!(
            e.contains(&format!("{method} failed")) || e.contains("reading the body failed"),
            "{method} {url}: {e}"
        );
        assert_eq!(
            h.log.count(method, &format!("/{mode}/x")),
            2,
            "{method} {url}"
        );
        assert!(
            took >= Duration::from_millis(450),
            "{method} {url}: backoff {took:?}"
        );
        let (exchanges, _) = s.take_transcript();
        assert_eq!(exchanges.len(), 2, "each attempt is recorded");
        assert!(
            exchanges
                .iter()
                .all(|x| x.status.is_none() && x.error.is_some())
        );
    }
    for mode in ["rst", "half"] {
        let url = format!("{}/{mode}/post", h.raw);
        let e = s
            .fetch(s.client().post(&url).form(&[("a", "b")]))
            .await
            .expect_err(&url);
        assert!(!e.to_string().is_empty());
        assert_eq!(
            h.log.count("POST", &format!("/{mode}/post")),
            1,
            "a POST is never retried"
        );
    }
}

#[tokio::test]
async fn retry_after_is_waited_for_on_get_and_head_never_on_post() {
    let h = Hostile::start().await;
    let mut s = session(5_000, 2);
    for (method, mode) in [("GET", "alt-503"), ("GET", "alt-429"), ("HEAD", "alt-503")] {
        let url = format!("{}/{mode}/fhir/Patient/p1", h.root);
        let req = s.client().request(method.parse().unwrap(), &url);
        let res = s.fetch(req).await.unwrap();
        assert_eq!(res.status, 200, "{method} {url}");
        let times = h.log.times(method, &format!("/{mode}/fhir/Patient/p1"));
        assert_eq!(times.len(), 2, "{method} {url}");
        let waited = times[1] - times[0];
        assert!(
            (Duration::from_millis(950)..Duration::from_millis(1_500)).contains(&waited),
            "{method} {url}: waited {waited:?} for Retry-After: 1"
        );
        let (exchanges, _) = s.take_transcript();
        let statuses: Vec<Option<u16>> = exchanges.iter().map(|x| x.status).collect();
        assert_eq!(statuses[1], Some(200));
        assert!(matches!(statuses[0], Some(503 | 429)), "{statuses:?}");
    }
    let url = format!("{}/alt-503/fhir/Coverage", h.root);
    let started = Instant::now();
    let res = s
        .fetch(s.client().post(&url).form(&[("a", "b")]))
        .await
        .unwrap();
    assert_eq!(res.status, 503, "the POST's answer stands");
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(h.log.count("POST", "/alt-503/fhir/Coverage"), 1);
}

#[tokio::test]
async fn retries_are_bounded_and_unreasonable_retry_afters_are_not_waited_for() {
    let h = Hostile::start().await;
    let mut s = session(5_000, 2);
    // Retry-After: 0, always: the first send and two retries.
    let (r, _) = get(&mut s, &format!("{}/always-503/fhir/metadata", h.root)).await;
    assert_eq!(r.unwrap().status, 503);
    assert_eq!(h.log.count("GET", "/always-503/fhir/metadata"), 3);
    // Retry-After: 3600 is beyond the longest wait: answered at once.
    let doc = "/config-busy-long/fhir/.well-known/smart-configuration";
    let (r, took) = get(&mut s, &format!("{}{doc}", h.root)).await;
    assert_eq!(r.unwrap().status, 503);
    assert!(took < Duration::from_millis(500), "{took:?}");
    assert_eq!(h.log.count("GET", doc), 1);
    // A Retry-After date in year 300 000 000 000: not a crash; the ordinary backoff.
    let doc = "/config-bad-date/fhir/.well-known/smart-configuration";
    let (r, took) = get(&mut s, &format!("{}{doc}", h.root)).await;
    assert_eq!(r.unwrap().status, 503);
    assert_eq!(h.log.count("GET", doc), 3);
    assert!(
        took >= Duration::from_millis(1_450),
        "backoff 0.5 s + 1 s: {took:?}"
    );
    // No retries configured: one send.
    let mut once = session(5_000, 0);
    let (r, _) = get(&mut once, &format!("{}/always-503/fhir/Patient/p1", h.root)).await;
    assert_eq!(r.unwrap().status, 503);
    assert_eq!(h.log.count("GET", "/always-503/fhir/Patient/p1"), 1);
}

#[tokio::test]
async fn redirects_are_answers_never_followed() {
    let h = Hostile::start().await;
    let mut s = session(5_000, 2);
    let (r, _) = get(&mut s, &format!("{}/redirect-loop/fhir/metadata", h.root)).await;
    let res = r.unwrap();
    assert_eq!(res.status, 302);
    assert_eq!(h.log.count("GET", "/redirect-loop/fhir/metadata"), 1);
}

#[tokio::test]
async fn the_walk_ends_at_a_loop_at_its_page_bound_and_at_a_bad_page() {
    let h = Hostile::start().await;
    let mut s = session(400, 0);
    let url = |mode: &str, query: &str| -> url::Url {
        format!("{}/{mode}/fhir/Patient/p1/$everything{query}", h.root)
            .parse()
            .unwrap()
    };
    let everything = "/fhir/Patient/p1/$everything";
    let summary = walk(&mut s, &url("next-loop", "?_count=5"), "t", "p1", 25)
        .await
        .unwrap();
    assert_eq!(summary["truncated"], true, "{summary}");
    assert_eq!(summary["pages"], 25);
    assert_eq!(h.log.count("GET", &format!("/next-loop{everything}")), 25);
    let summary = walk(&mut s, &url("next-loop", ""), "t", "p1", 25)
        .await
        .unwrap();
    assert_eq!(summary["loop"], true, "{summary}");
    assert_eq!(
        summary["pages"], 3,
        "1 -> 2 -> 3 -> 2: stopped before page 2 again"
    );
    for (mode, says) in [
        ("non-json", "page 1 is not JSON"),
        ("huge", "page 1: body larger than 8388608 bytes"),
        ("slow", "page 1: GET failed: timed out"),
    ] {
        let e = walk(&mut s, &url(mode, ""), "t", "p1", 25)
            .await
            .expect_err(mode)
            .to_string();
        assert!(e.contains(says), "{mode}: {e}");
    }
    let summary = walk(&mut s, &url("redirect-loop", ""), "t", "p1", 25)
        .await
        .unwrap();
    assert_eq!(
        summary["failed_pages"], 1,
        "a redirect is a failed page: {summary}"
    );
}

/// The form driver's login of the hostile member on `mode`'s authorization server.
async fn sign_in(
    s: &mut Session,
    h: &Hostile,
    mode: &str,
    settings: &FormLoginSettings,
) -> Result<url::Url, smartcheck::flow::login_form::LoginError> {
    let mut authorize = url::Url::parse(&format!("{}/{mode}/oauth2/authorize", h.root)).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("client_id", support_hostile::CLIENT_ID)
        .append_pair("redirect_uri", support_hostile::REDIRECT_URI)
        .append_pair("state", "s");
    let member = Credentials {
        username: support_hostile::USERNAME,
        password: support_hostile::PASSWORD,
    };
    login(
        s,
        authorize.as_str(),
        support_hostile::REDIRECT_URI,
        &member,
        settings,
    )
    .await
}

#[tokio::test]
async fn the_login_driver_gives_up_on_a_redirect_loop() {
    let h = Hostile::start().await;
    let mut s = session(5_000, 2);
    let settings = FormLoginSettings::default();
    let e = sign_in(&mut s, &h, "redirect-loop", &settings)
        .await
        .unwrap_err();
    assert!(e.message.contains("too many pages or redirects"), "{e}");
    assert!(!e.credentials_refused);
    let sent = h.log.count("GET", "/redirect-loop/oauth2/authorize")
        + h.log.count("GET", "/redirect-loop/oauth2/again");
    assert_eq!(sent, settings.max_steps, "one request per step");
}

#[tokio::test]
async fn the_login_driver_reads_a_deeply_nested_page_in_time_linear_in_its_size() {
    let h = Hostile::start().await;
    let mut s = session(30_000, 0);
    let started = Instant::now();
    let end = sign_in(&mut s, &h, "deep-login", &FormLoginSettings::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // html5ever's tree builder needed minutes for this page (quadratic in the depth).
    let took = started.elapsed();
    assert!(end.as_str().contains("code="), "{end}");
    assert!(
        took < Duration::from_secs(20),
        "a {} div deep page took {took:?}",
        support_hostile::server::DEEP_NESTING
    );
}

#[tokio::test]
async fn an_echoing_target_cannot_leak_the_basic_pair_or_a_cookie_it_set() {
    use base64::Engine;
    let h = Hostile::start().await;
    // A session that knows no secret yet: what it sends and is sent must be learnt.
    let mut s = session(5_000, 0);
    let url = format!("{}/echo/anything", h.root);
    let req = s
        .client()
        .get(&url)
        .basic_auth(support_hostile::CLIENT_ID, Some(support_hostile::SECRET));
    let first = s.fetch(req).await.unwrap();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        support_hostile::CLIENT_ID,
        support_hostile::SECRET
    ));
    assert!(String::from_utf8_lossy(&first.body).contains(&basic));
    let second = s.fetch(s.client().get(&url)).await.unwrap();
    let cookie = support_hostile::server::ECHO_COOKIE;
    assert!(String::from_utf8_lossy(&second.body).contains(cookie));
    let (exchanges, _) = s.take_transcript();
    let written = serde_json::to_string(&exchanges).unwrap();
    assert!(
        written.contains("authorization"),
        "the echo is kept: {written}"
    );
    for leaked in [basic.as_str(), cookie, support_hostile::SECRET] {
        assert!(!written.contains(leaked), "{leaked} in {written}");
    }
}

#[test]
fn a_target_that_stops_answering_ends_the_run_at_its_deadline_with_reports() {
    let rt = runtime();
    let h = rt.block_on(Hostile::start());
    let dir = scratch("stall");
    // Each request may wait ten minutes; the run as a whole only four seconds.
    let text = profile("hostile-stall", &h.base("stall"), "timeout_secs = 600");
    let args = ["--scenario", "discovery", "--deadline", "4s"];
    let finished = run_bounded(&dir, &text, &args, BOUND).unwrap_or_else(|e| panic!("{e}"));
    rt.shutdown_background();
    let mut problems = judge_process(&finished, 3);
    assert!(
        finished.elapsed < Duration::from_secs(20),
        "ended after {:?}",
        finished.elapsed
    );
    let results = finished.results().unwrap_or_else(|e| panic!("{e}"));
    for case in results["cases"].as_array().unwrap() {
        let reason = case["reason"].as_str().unwrap_or_default();
        let ended = match case["outcome"].as_str() {
            Some("error") => reason.contains("deadline"),
            // Cases that send nothing to the stalled endpoints may finish.
            Some("pass" | "warn" | "skip") => true,
            _ => false,
        };
        if !ended {
            problems.push(format!("{}: {} ({reason})", case["name"], case["outcome"]));
        }
    }
    assert!(finished.out.join("report.html").exists() && finished.out.join("junit.xml").exists());
    let _ = std::fs::remove_dir_all(&dir);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
