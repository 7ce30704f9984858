//! The reports of a real run of the built-in suite against the bundled server, as insta
//! snapshots: a reduced `results.json` (every case, its checks and its requests, with
//! timings, ports and other run-varying values normalised; no bodies or headers) and an
//! outline of `report.html` (sections, family and requirement rows, every case's summary
//! and step count; not raw HTML). Then the HTML of a run that fails: failures first and open,
//! and target-controlled text escaped wherever it lands.
//!
//! Adding or changing cases changes both snapshots: review the `.snap.new` diff, then accept.

mod common;

use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use serde::Serialize;
use serde_json::Value;
use smartcheck::report::model::{
    CaseResult, CheckResult, Exchange, Outcome, RunResult, StepResult,
};
use smartcheck::report::{html::write_html, json::write_json};
use smartcheck::requirements::{Catalogue, Severity};

/// Run-varying values and what they become.
static NORMALISE: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // Also URL-encoded (`127.0.0.1%3A40123` in an `aud` parameter).
        (
            r"(127\.0\.0\.1|localhost|\[::1\])(:|%3[Aa])\d+",
            "${1}${2}PORT",
        ),
        (
            r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT",
            "[http-date]",
        ),
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?",
            "[datetime]",
        ),
        (r"\btx=[A-Za-z0-9_%.~-]+", "tx=[tx]"),
        // The run's PKCE challenge (fresh each run).
        (
            r"\bcode_challenge=[A-Za-z0-9_-]{43}\b",
            "code_challenge=[challenge]",
        ),
        // The nonce case's nonce carries it too.
        (r"\bnonce=n-[A-Za-z0-9_-]{43}\b", "nonce=n-[challenge]"),
        // A patient-generated pair's random id.
        (
            r"/patient-keys/credentials/[A-Za-z0-9_-]+",
            "/patient-keys/credentials/[id]",
        ),
        // A developer-portal client_id (random), and the portal's serial ids (so a case
        // added before another does not renumber it).
        (r"\bportal-[A-Za-z0-9_-]{16}", "portal-[client]"),
        (r"/portal/apps/app-\d+", "/portal/apps/app-N"),
        (r"/credentials/cred-\d+/", "/credentials/cred-N/"),
        (r#"("?jti"?\s*[:=]\s*"?)[A-Za-z0-9_.~-]+"#, "${1}[jti]"),
        (
            r#"("?(?:iat|exp|nbf|auth_time)"?\s*[:=]\s*)\d{9,}"#,
            "${1}[epoch]",
        ),
        (r"\b\d+(\.\d+)? ?ms\b", "[ms]"),
    ]
    .into_iter()
    .map(|(re, to)| (Regex::new(re).unwrap(), to))
    .collect()
});

fn norm(text: &str) -> String {
    let mut text = text.to_string();
    for (re, to) in NORMALISE.iter() {
        text = re.replace_all(&text, *to).into_owned();
    }
    text
}

async fn builtin_run() -> (RunResult, Catalogue) {
    let catalogue = Catalogue::builtin().unwrap();
    let run = common::run_on_bundled(
        &smartcheck::scenario::builtin().unwrap(),
        smartcheck::scenario::engine::CredentialAudit::Always,
    )
    .await;
    (run, catalogue)
}

fn text(v: &Value) -> String {
    norm(v.as_str().unwrap_or_default())
}

/// `results.json` reduced to what a reviewer reads, in its own field order: the header, then
/// every case with its checks (`outcome severity REQUIREMENT: description | seen: detail`) and
/// its steps with their requests (`METHOD url -> status`).
#[derive(Serialize)]
struct Reduced {
    schema_version: Value,
    target: Value,
    outcome: Value,
    tally: Value,
    check_tally: Value,
    duration_ms: Value,
    cases: Vec<ReducedCase>,
}

#[derive(Serialize)]
struct ReducedCase {
    family: Value,
    scenario: Value,
    name: Value,
    outcome: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    duration_ms: Value,
    checks: Vec<String>,
    steps: Vec<ReducedStep>,
}

#[derive(Serialize)]
struct ReducedStep {
    name: String,
    duration_ms: Value,
    exchanges: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exchanges_omitted: Option<Value>,
}

fn array(v: &Value) -> &Vec<Value> {
    v.as_array().expect("an array")
}

fn reduced(results: &Value) -> Reduced {
    let check = |k: &Value| {
        let mut line = format!(
            "{} {} {}: {}",
            text(&k["outcome"]),
            text(&k["severity"]),
            text(&k["requirement"]),
            text(&k["description"])
        );
        if let Some(detail) = k.get("detail") {
            line += &format!(" | seen: {}", text(detail));
        }
        line
    };
    let exchange = |x: &Value| {
        let status = match x["status"].as_u64() {
            Some(s) => s.to_string(),
            None => format!("no response ({})", text(&x["error"])),
        };
        format!("{} {} -> {status}", text(&x["method"]), text(&x["url"]))
    };
    let step = |s: &Value| ReducedStep {
        name: text(&s["name"]),
        duration_ms: s["duration_ms"].clone(),
        exchanges: array(&s["exchanges"]).iter().map(exchange).collect(),
        exchanges_omitted: s.get("exchanges_omitted").cloned(),
    };
    let case = |c: &Value| ReducedCase {
        family: c["family"].clone(),
        scenario: c["scenario"].clone(),
        name: c["name"].clone(),
        outcome: c["outcome"].clone(),
        reason: c.get("reason").map(text),
        duration_ms: c["duration_ms"].clone(),
        checks: array(&c["checks"]).iter().map(check).collect(),
        steps: array(&c["steps"]).iter().map(step).collect(),
    };
    Reduced {
        schema_version: results["schema_version"].clone(),
        target: results["target"].clone(),
        outcome: results["outcome"].clone(),
        tally: results["tally"].clone(),
        check_tally: results["check_tally"].clone(),
        duration_ms: results["duration_ms"].clone(),
        cases: array(&results["cases"]).iter().map(case).collect(),
    }
}

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

/// An element's text with runs of white space made one space.
fn squash(e: ElementRef) -> String {
    e.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The cells of a table row, ` | `-separated.
fn row(tr: ElementRef) -> String {
    let cells: Vec<String> = tr.select(&sel("td")).map(squash).collect();
    cells.join(" | ")
}

/// The page's structure, one line per thing a reader sees, run-varying values normalised.
fn outline(html: &Html) -> String {
    let mut out = Vec::new();
    let title = html.select(&sel("title")).next().unwrap();
    out.push(format!("title: {}", squash(title)));
    for section in html.select(&sel("main > section")) {
        let id = section.value().id().unwrap_or("?");
        out.push(format!("section #{id}"));
        for h in section.select(&sel("h1, h2")) {
            out.push(format!("  {}: {}", h.value().name(), squash(h)));
        }
        match id {
            "verdict" => {
                let outcome = section.select(&sel("#run-outcome")).next().unwrap();
                out.push(format!("  run-outcome: {}", squash(outcome)));
                for (dt, dd) in section.select(&sel("dt")).zip(section.select(&sel("dd"))) {
                    out.push(format!("  {}: {}", squash(dt), norm(&squash(dd))));
                }
            }
            "families" => {
                for tr in section.select(&sel("tr.family")) {
                    out.push(format!("  row: {}", row(tr)));
                }
            }
            "requirements" => {
                for p in section.select(&sel("p.uncovered")) {
                    out.push(format!("  {}", squash(p)));
                }
                for tr in section.select(&sel("tr[id]")) {
                    let cells: Vec<String> = tr.select(&sel("td")).map(squash).collect();
                    let (id, checks, verdict) = (&cells[0], &cells[3], &cells[5]);
                    out.push(format!("  requirement {id}: {checks} checks, {verdict}"));
                }
            }
            "clauses" => {
                for tr in section.select(&sel("tr[id]")) {
                    out.push(format!("  {}", row(tr)));
                }
            }
            "cases" => {
                let buttons: Vec<String> =
                    section.select(&sel("#filter button")).map(squash).collect();
                out.push(format!(
                    "  filter (shown by the script): {}",
                    buttons.join(" / ")
                ));
                let cases: Vec<ElementRef> = section.select(&sel("details.case")).collect();
                out.push(format!("  case details: {}", cases.len()));
                for case in cases {
                    let summary = case.select(&sel(":scope > summary")).next().unwrap();
                    let steps = case.select(&sel("div.step")).count();
                    let requests = case.select(&sel("details.x")).count();
                    let open = if case.value().attr("open").is_some() {
                        "open"
                    } else {
                        "closed"
                    };
                    out.push(format!(
                        "  - [{open}] {} | steps: {steps}, requests: {requests}",
                        norm(&squash(summary))
                    ));
                }
            }
            _ => {}
        }
    }
    out.join("\n")
}

/// Nothing on the page is fetched: no element names an external URL, no stylesheet imports.
fn assert_self_contained(raw: &str, html: &Html) {
    for e in html.select(&sel("[src], [href], link, iframe, object, embed, img")) {
        for attr in ["src", "href"] {
            if let Some(v) = e.value().attr(attr) {
                assert!(v.starts_with('#'), "{} {attr}={v}", e.value().name());
            }
        }
    }
    let scripts: Vec<ElementRef> = html.select(&sel("script")).collect();
    assert_eq!(scripts.len(), 1, "one inline script");
    assert!(scripts[0].value().attr("src").is_none());
    let style: String = html.select(&sel("style")).map(|s| s.inner_html()).collect();
    for external in ["@import", "url("] {
        assert!(!style.contains(external), "{external} in the style");
    }
    assert!(!raw.contains("<link"), "no link elements");
}

#[tokio::test]
async fn results_json_and_the_html_outline_of_the_builtin_suite() {
    let (run, catalogue) = builtin_run().await;
    let results: Value = serde_json::from_str(&write_json(&run).unwrap()).unwrap();
    insta::assert_json_snapshot!("results_json", reduced(&results), {
        ".duration_ms" => "[ms]",
        ".**.duration_ms" => "[ms]",
    });

    let raw = write_html(&run, &catalogue).unwrap();
    let html = Html::parse_document(&raw);
    assert_self_contained(&raw, &html);
    let ids: Vec<&str> = html
        .select(&sel("main > section"))
        .filter_map(|s| s.value().id())
        .collect();
    assert_eq!(
        ids,
        ["verdict", "families", "requirements", "clauses", "cases"]
    );
    assert_eq!(
        html.select(&sel("details.case")).count(),
        run.cases.len(),
        "one <details> per case"
    );
    insta::assert_snapshot!("html_outline", outline(&html));
}

const EVIL: &str = "<script>alert(1)</script>";

fn check(requirement: &str, outcome: Outcome, detail: Option<&str>) -> CheckResult {
    CheckResult {
        requirement: requirement.into(),
        severity: Severity::Required,
        description: format!("status is 200 {EVIL}"),
        outcome,
        detail: detail.map(str::to_string),
        step: 1,
        not_applicable: false,
        blocked: false,
    }
}

fn exchange(status: Option<u16>) -> Exchange {
    Exchange {
        method: "GET".into(),
        url: format!("http://127.0.0.1:1/fhir/Patient?name={EVIL}"),
        request_headers: vec![("x-test".into(), EVIL.into())],
        request_body: Some(format!("a={EVIL}")),
        status,
        response_headers: vec![("content-type".into(), format!("text/html; {EVIL}"))],
        response_body: status
            .map(|_| format!("<html><body>{EVIL}<img src=\"http://x/\"></body></html>")),
        error: status
            .is_none()
            .then(|| format!("connection refused {EVIL}")),
        duration_ms: 1.25,
        credential_leaks: Vec::new(),
    }
}

fn case(family: &str, name: &str, outcome: Outcome, checks: Vec<CheckResult>) -> CaseResult {
    CaseResult {
        family: family.into(),
        scenario: family.into(),
        name: name.into(),
        outcome,
        reason: (outcome == Outcome::Skip).then(|| "the target does not provide {x}".into()),
        duration_ms: 3,
        checks,
        steps: vec![StepResult {
            name: "GET {patient_access}/Patient".into(),
            duration_ms: 2,
            exchanges: vec![exchange(Some(200)), exchange(None)],
            exchanges_omitted: 3,
        }],
    }
}

#[test]
fn a_failing_case_comes_first_and_open_and_target_text_is_escaped() {
    let run = RunResult {
        target: "reference".into(),
        duration_ms: 10,
        cases: vec![
            case(
                "discovery",
                "fine",
                Outcome::Pass,
                vec![check("DISC-METADATA", Outcome::Pass, None)],
            ),
            case(
                "discovery",
                "not run",
                Outcome::Skip,
                vec![check("DISC-METADATA", Outcome::Skip, Some("needs x"))],
            ),
            case(
                "scopes",
                "broken",
                Outcome::Fail,
                vec![
                    check("AUTHZ-SCOPE-POLICY", Outcome::Pass, None),
                    check("AUTHZ-SCOPE-POLICY", Outcome::Fail, Some(EVIL)),
                ],
            ),
        ],
    };
    let raw = write_html(&run, &Catalogue::builtin().unwrap()).unwrap();
    let html = Html::parse_document(&raw);
    assert_self_contained(&raw, &html);
    assert!(!raw.contains("<script>alert"), "escaped everywhere");
    assert!(!raw.contains("<img"), "a response body's markup is text");

    let outcome = html.select(&sel("#run-outcome")).next().unwrap();
    assert_eq!(squash(outcome), "FAIL");
    let cases: Vec<ElementRef> = html.select(&sel("details.case")).collect();
    let summaries: Vec<String> = cases
        .iter()
        .map(|c| squash(c.select(&sel("summary")).next().unwrap()))
        .collect();
    assert!(
        summaries[0].starts_with("FAIL scopes / broken"),
        "{summaries:?}"
    );
    assert!(
        summaries[1].starts_with("SKIP discovery / not run"),
        "{summaries:?}"
    );
    assert!(
        summaries[2].starts_with("PASS discovery / fine"),
        "{summaries:?}"
    );
    let open: Vec<bool> = cases
        .iter()
        .map(|c| c.value().attr("open").is_some())
        .collect();
    assert_eq!(
        open,
        [true, true, false],
        "not-passed cases open, passed ones closed"
    );

    // The detail reads as the text it was, in its cell.
    let detail_cells: Vec<String> = cases[0]
        .select(&sel("table.checks td"))
        .map(squash)
        .collect();
    assert!(detail_cells.iter().any(|t| t == EVIL), "{detail_cells:?}");
    // Transcripts: collapsed, URL, headers, bodies and the error as text.
    let first = cases[0].select(&sel("details.x")).next().unwrap();
    assert!(
        first.value().attr("open").is_none(),
        "exchanges start collapsed"
    );
    let pres: Vec<String> = first
        .select(&sel("pre"))
        .map(|p| p.text().collect())
        .collect();
    assert_eq!(pres[0], format!("x-test: {EVIL}"));
    assert_eq!(pres[1], format!("a={EVIL}"));
    assert_eq!(pres[2], format!("content-type: text/html; {EVIL}"));
    assert!(
        pres[3].contains(&format!("<body>{EVIL}<img")),
        "{}",
        pres[3]
    );
    let step = cases[0].select(&sel("div.step")).next().unwrap();
    let step_text = squash(step);
    assert!(step_text.contains("no response"), "{step_text}");
    assert!(
        step_text.contains(&format!("connection refused {EVIL}")),
        "{step_text}"
    );
    assert!(
        step_text.contains("3 more requests not shown"),
        "{step_text}"
    );

    // The skipped requirement reads skip; requirements nothing checks read not covered.
    let verdict = |id: &str| {
        let tr = html.select(&sel(&format!("tr#req-{id}"))).next().unwrap();
        squash(tr.select(&sel("td")).last().unwrap())
    };
    assert_eq!(verdict("DISC-METADATA"), "skip");
    assert_eq!(verdict("AUTHZ-SCOPE-POLICY"), "fail");
    assert_eq!(verdict("DISC-PKCE-S256"), "not covered");
    // Readable without the script: the filter bar is hidden until the script shows it.
    let bar = html.select(&sel("#filter")).next().unwrap();
    assert!(bar.value().attr("hidden").is_some());
}
