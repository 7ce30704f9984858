//! What each hostile behaviour run through the binary must produce (the modes are in
//! `server.rs` and `raw.rs`): the exit code, how each case ends and what it says, and what
//! the server's log must show (attempts, waits, page bounds).

use std::time::Duration;

use serde_json::Value;

use super::judge::{Want, want};
use super::{Hostile, Log};

/// The cases a profile without a Provider Directory or the bundled server's state always
/// skips, and the SMART configuration every suite mode serves well.
pub fn common_wants() -> Vec<Want> {
    vec![
        want("Provider Directory", "skip", "provider_directory"),
        want(
            "union of the pages is the whole record",
            "skip",
            "record_size",
        ),
        want(
            "another patient's Coverage by id refused",
            "skip",
            "other_coverage_id",
        ),
        want("Patient Access SMART configuration", "pass", ""),
        want(
            "SMART configuration is JSON whatever the Accept header",
            "pass",
            "",
        ),
    ]
}

/// One behaviour run through the binary.
pub struct Plan {
    pub mode: &'static str,
    pub base: String,
    pub http: &'static str,
    pub scenarios: &'static [&'static str],
    pub exit: i32,
    pub wants: Vec<Want>,
    /// Further checks on the server's log and the results.
    pub extra: fn(&Log, &Value) -> Vec<String>,
}

pub const SUITE: &[&str] = &["discovery", "everything", "compartment"];

pub fn plans(h: &Hostile) -> Vec<Plan> {
    let none: fn(&Log, &Value) -> Vec<String> = |_, _| Vec::new();
    vec![
        Plan {
            mode: "non-json",
            base: h.base("non-json"),
            http: "timeout_secs = 5",
            scenarios: SUITE,
            // Checks fail (the answers are not JSON): 1, even though some walks could not run.
            exit: 1,
            wants: vec![
                // DISC-METADATA is a recommended rule: not met is a warning.
                want(
                    "Patient Access CapabilityStatement",
                    "warn",
                    "the body is not JSON",
                ),
                want("walk every page", "error", "page 1 is not JSON"),
                want("_count honoured", "error", "page 1 is not JSON"),
                want("filtered walks", "error", "page 1 is not JSON"),
                want("_type keeps to its types", "error", "page 1 is not JSON"),
                want("_since before every record", "error", "page 1 is not JSON"),
                want("own data", "error", "page 1 is not JSON"),
                want("own Patient", "fail", "the body is not JSON"),
                want(
                    "another patient's data refused",
                    "fail",
                    "status: 200 (wanted one of 403, 404)",
                ),
            ],
            extra: none,
        },
        Plan {
            mode: "huge",
            base: h.base("huge"),
            http: "timeout_secs = 5",
            scenarios: SUITE,
            exit: 3,
            wants: vec![
                want(
                    "Patient Access CapabilityStatement",
                    "error",
                    "body larger than 8388608 bytes",
                ),
                want(
                    "walk every page",
                    "error",
                    "page 1: body larger than 8388608",
                ),
                want(
                    "_count honoured",
                    "error",
                    "page 1: body larger than 8388608",
                ),
                want(
                    "filtered walks",
                    "error",
                    "page 1: body larger than 8388608",
                ),
                want(
                    "_type keeps to its types",
                    "error",
                    "page 1: body larger than 8388608",
                ),
                want(
                    "_since before every record",
                    "error",
                    "page 1: body larger than 8388608",
                ),
                want("own data", "error", "page 1: body larger than 8388608"),
                want("own Patient", "error", "body larger than 8388608 bytes"),
                want(
                    "another patient's data refused",
                    "error",
                    "body larger than 8388608 bytes",
                ),
            ],
            extra: none,
        },
        Plan {
            mode: "redirect-loop",
            base: h.base("redirect-loop"),
            http: "timeout_secs = 5",
            scenarios: &["discovery", "everything", "compartment", "redirect-uri"],
            // Checks fail where the loop answered; the logins could not run: 1.
            exit: 1,
            wants: vec![
                // The session never follows a redirect: the 302 is the answer.
                want(
                    "Patient Access CapabilityStatement",
                    "warn",
                    "status: 302 (wanted = 200)",
                ),
                // The login driver gives up after its step bound.
                want("walk every page", "error", "too many pages or redirects"),
                want("_count honoured", "error", "too many pages or redirects"),
                want("filtered walks", "error", "too many pages or redirects"),
                want(
                    "_type keeps to its types",
                    "error",
                    "too many pages or redirects",
                ),
                want(
                    "_since before every record",
                    "error",
                    "too many pages or redirects",
                ),
                want(
                    "login and consent pages refuse",
                    "error",
                    "too many pages or redirects",
                ),
                want("own", "error", "too many pages or redirects"),
                want("another patient", "error", "too many pages or redirects"),
                want(
                    "registered redirect URI",
                    "error",
                    "too many pages or redirects",
                ),
                want("mutated redirect URI", "fail", "location: present"),
                want("unknown client_id", "fail", "location: present"),
                want("missing client_id", "fail", "location: present"),
                // Error redirects go through the login driver (RFC 9700 4.11.2), which
                // gives up on the loop.
                want("response_type", "error", "too many pages or redirects"),
                want(
                    "state with reserved characters",
                    "error",
                    "too many pages or redirects",
                ),
                want("aud parameter", "error", "too many pages or redirects"),
                want("wrong password", "error", "too many pages or redirects"),
                want("consent denied", "error", "too many pages or redirects"),
                want(
                    "PKCE method plain refused",
                    "error",
                    "too many pages or redirects",
                ),
            ],
            extra: none,
        },
        Plan {
            mode: "next-loop",
            base: h.base("next-loop"),
            http: "timeout_secs = 5",
            scenarios: SUITE,
            exit: 1,
            wants: vec![
                want("Patient Access CapabilityStatement", "pass", ""),
                want(
                    "walk every page: default page size",
                    "fail",
                    "walk loop: true (wanted = false)",
                ),
                want(
                    "walk every page: _count=7",
                    "fail",
                    "walk truncated: true (wanted = false)",
                ),
                want(
                    "_count honoured",
                    "fail",
                    "walk truncated: true (wanted = false)",
                ),
                want(
                    "filtered walks",
                    "fail",
                    "walk truncated: true (wanted = false)",
                ),
                // The `_type` walk meets the cycle and judges only the types it saw.
                want("_type keeps to its types", "pass", ""),
                // Both `_since` walks meet the cycle: the same resources, nothing dropped.
                want("_since before every record", "pass", ""),
                // The compartment cases judge the compartment, not the paging (the pages
                // seen are all the member's): the walk must only end, at its page bound.
                want("own data", "pass|fail", ""),
                want("own Patient", "pass", ""),
                want(
                    "another patient's data refused",
                    "fail",
                    "status: 200 (wanted one of 403, 404)",
                ),
            ],
            extra: next_loop_is_bounded,
        },
        Plan {
            mode: "slow",
            base: h.base("slow"),
            http: "timeout_secs = 1",
            scenarios: SUITE,
            exit: 3,
            wants: vec![
                want("Patient Access CapabilityStatement", "error", "timed out"),
                want("walk every page", "error", "page 1: GET failed: timed out"),
                want("_count honoured", "error", "page 1: GET failed: timed out"),
                want("filtered walks", "error", "page 1: GET failed: timed out"),
                want(
                    "_type keeps to its types",
                    "error",
                    "page 1: GET failed: timed out",
                ),
                want(
                    "_since before every record",
                    "error",
                    "page 1: GET failed: timed out",
                ),
                want("own data", "error", "page 1: GET failed: timed out"),
                want("own Patient", "error", "GET failed: timed out"),
                want(
                    "another patient's data refused",
                    "error",
                    "GET failed: timed out",
                ),
            ],
            extra: slow_requests_time_out_once,
        },
        Plan {
            mode: "reset",
            base: h.raw_base("reset"),
            http: "timeout_secs = 5\nretries = 1",
            scenarios: SUITE,
            exit: 3,
            wants: vec![
                // Reset (RST) after the request.
                want("Patient Access CapabilityStatement", "error", "GET failed"),
                // Half an answer: the body ends early.
                want(
                    "walk every page",
                    "error",
                    "page 1: reading the body failed: error: request or response body error: \
                     error reading a body from connection: end of file before message length \
                     reached",
                ),
                want(
                    "_count honoured",
                    "error",
                    "end of file before message length reached",
                ),
                want(
                    "filtered walks",
                    "error",
                    "end of file before message length reached",
                ),
                want(
                    "_type keeps to its types",
                    "error",
                    "end of file before message length reached",
                ),
                want(
                    "_since before every record",
                    "error",
                    "end of file before message length reached",
                ),
                want(
                    "another patient's data refused: $everything",
                    "error",
                    "end of file before message length reached",
                ),
                // Closed without an answer.
                want(
                    "own data",
                    "error",
                    "page 1: GET failed: error: client error (SendRequest): connection closed \
                     before message completed",
                ),
                want(
                    "own Patient",
                    "error",
                    "connection closed before message completed",
                ),
                want(
                    "another patient's data refused",
                    "error",
                    "connection closed before message completed",
                ),
            ],
            extra: resets_are_retried_once,
        },
        Plan {
            mode: "busy",
            base: h.base("busy"),
            http: "timeout_secs = 5",
            scenarios: &["discovery", "everything"],
            exit: 3,
            wants: vec![
                // Retried after Retry-After, then answered.
                want("Patient Access CapabilityStatement", "pass", ""),
                // The token POST answered 503 is not retried.
                want(
                    "walk every page",
                    "error",
                    "capture `access_token`: nothing at json /access_token (status 503)",
                ),
                want(
                    "_count honoured",
                    "error",
                    "capture `access_token`: nothing at json /access_token (status 503)",
                ),
                want(
                    "filtered walks",
                    "error",
                    "capture `access_token`: nothing at json /access_token (status 503)",
                ),
                want(
                    "_type keeps to its types",
                    "error",
                    "capture `access_token`: nothing at json /access_token (status 503)",
                ),
                want(
                    "_since before every record",
                    "error",
                    "capture `access_token`: nothing at json /access_token (status 503)",
                ),
            ],
            extra: busy_gets_wait_and_posts_do_not_retry,
        },
    ]
}

/// Every walk stopped: the `$everything` cycle at its loop, the endless chains at each
/// step's page bound (200 and 400 for `$everything`, the default 100 for a search).
fn next_loop_is_bounded(log: &Log, _: &Value) -> Vec<String> {
    gets_counted(
        log,
        &[
            // 3 (the cycle) + 200 + 400 + 3 filtered walks of 400 + 3 (the `_type` walk's
            // cycle) + 2 `_since` walks of 3 (the cycle)
            ("/next-loop/fhir/Patient/p1/$everything", 1812),
            ("/next-loop/fhir/Patient/p2/$everything", 1),
            // own data walked (100 pages); another patient's searches are in data_paths.toml
            ("/next-loop/fhir/Coverage", 100),
            ("/next-loop/fhir/Observation", 100),
            ("/next-loop/fhir/ExplanationOfBenefit", 200),
        ],
    )
}

/// A problem for each path whose GETs the server counted differ from the expected number.
fn gets_counted(log: &Log, expected: &[(&str, usize)]) -> Vec<String> {
    expected
        .iter()
        .filter_map(|&(suffix, want)| {
            let got = log.count("GET", suffix);
            (got != want).then(|| format!("{got} GETs of {suffix} instead of {want}"))
        })
        .collect()
}

/// A request that times out is not retried: each slow case took about one timeout.
fn slow_requests_time_out_once(log: &Log, results: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let metadata = log.count("GET", "/slow/fhir/metadata");
    if metadata != 1 {
        problems.push(format!("{metadata} GETs of the slow metadata instead of 1"));
    }
    for case in results["cases"].as_array().into_iter().flatten() {
        let ms = case["duration_ms"].as_u64().unwrap_or(0);
        if case["outcome"] == "error" && !(900..4_000).contains(&ms) {
            problems.push(format!(
                "{}: took {ms} ms for one 1 s timeout",
                case["name"]
            ));
        }
    }
    problems
}

/// `retries = 1`: each reset GET was sent twice, never more.
fn resets_are_retried_once(log: &Log, _: &Value) -> Vec<String> {
    gets_counted(
        log,
        &[
            ("/reset/fhir/metadata", 2),
            // 8 walks (2 sends each: the `_since` case stops at its first) and another
            // patient's `$everything` (2)
            ("/reset/fhir/Patient/p1/$everything", 16),
            ("/reset/fhir/Patient/p2/$everything", 2),
            // own Patient: 2; another patient's Patient read: 2
            ("/reset/fhir/Patient/p1", 2),
            ("/reset/fhir/Patient/p2", 2),
        ],
    )
}

/// The SMART configuration (at run start and in its case) and the metadata were each
/// answered 503/429 `Retry-After: 1` once, retried after about a second, then answered; the
/// token POST answered 503 was sent once per case.
fn busy_gets_wait_and_posts_do_not_retry(log: &Log, results: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let pairs = |suffix: &str, want: usize, problems: &mut Vec<String>| {
        let times = log.times("GET", suffix);
        if times.len() != want {
            problems.push(format!(
                "{} GETs of {suffix} instead of {want}",
                times.len()
            ));
            return;
        }
        for pair in times.chunks(2) {
            let waited = pair[1] - pair[0];
            if !(Duration::from_millis(950)..Duration::from_millis(2_500)).contains(&waited) {
                problems.push(format!(
                    "{suffix}: retried after {waited:?}, not after Retry-After: 1"
                ));
            }
        }
    };
    pairs(
        "/busy/fhir/.well-known/smart-configuration",
        4,
        &mut problems,
    );
    pairs("/busy/fhir/metadata", 2, &mut problems);
    let posts = log.count("POST", "/busy/oauth2/token");
    let walks = results["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["family"] == "everything" && c["outcome"] != "skip")
        .count();
    if posts != walks {
        problems.push(format!(
            "{posts} token POSTs for {walks} cases: a POST was retried"
        ));
    }
    // The report shows both attempts.
    let config = results["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == "Patient Access SMART configuration");
    let statuses: Vec<&Value> = config
        .map(|c| c["steps"][0]["exchanges"].as_array().into_iter().flatten())
        .into_iter()
        .flatten()
        .map(|e| &e["status"])
        .collect();
    if statuses != [&Value::from(503), &Value::from(200)] {
        problems.push(format!("the configuration's exchanges: {statuses:?}"));
    }
    problems
}
