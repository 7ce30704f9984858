//! JUnit XML for CI: one test suite per flow family, one test case per case; `fail` is a
//! failure, `error` an error, `skip` skipped with its reason; `warn` passes with the warning
//! in system-out (CI gates on required rules; `--fail-on warn` is the exit code's business).
//! The message is one line (`REQ-ID: what was seen; ...`); the element's text has every check
//! that did not pass, what was seen, and the requests of the last step (redacted).
//!
//! ```xml
//! <testsuites name="smartcheck" tests="2" failures="1" ...>
//!   <testsuite name="redirect-uri" ...>
//!     <testcase name="trailing slash added" classname="redirect-uri.redirect_uri">
//!       <failure message="AUTHZ-NO-REDIRECT-ON-BAD-URI: redirected to ..."/>
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::model::{CaseResult, Outcome, RunResult};
use crate::requirements::Severity;

/// The JUnit XML of a run.
pub fn write_junit(run: &RunResult) -> Result<String, super::ReportError> {
    let mut report = Report::new("smartcheck");
    let mut families: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for case in &run.cases {
        families.entry(&case.family).or_default().push(case);
    }
    for (family, cases) in families {
        let mut suite = TestSuite::new(family);
        for case in cases {
            let mut tc = TestCase::new(case.name.as_str(), status(case));
            tc.set_classname(format!("{family}.{}", case.scenario));
            tc.set_time(Duration::from_millis(case.duration_ms));
            if case.outcome == Outcome::Warn {
                tc.set_system_out(details(case));
            }
            suite.add_test_case(tc);
        }
        report.add_test_suite(suite);
    }
    report.set_time(Duration::from_millis(run.duration_ms));
    Ok(report.to_string()?)
}

fn status(case: &CaseResult) -> TestCaseStatus {
    let mut status = match case.outcome {
        Outcome::Pass | Outcome::Warn => return TestCaseStatus::success(),
        Outcome::Skip => TestCaseStatus::skipped(),
        Outcome::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
        Outcome::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
    };
    status.set_message(summary(case, case.outcome));
    status.set_type(outcome_name(case.outcome));
    status.set_description(details(case));
    status
}

/// The element's text: the reason, every check that did not pass with what was seen, and the
/// requests of the case's last step (status or error), so CI logs show where it went wrong.
fn details(case: &CaseResult) -> String {
    let mut lines = Vec::new();
    if let Some(reason) = &case.reason {
        lines.push(format!("reason: {reason}"));
    }
    for c in case.checks.iter().filter(|c| c.outcome != Outcome::Pass) {
        lines.push(format!(
            "{} {} ({}): {}",
            outcome_name(c.outcome),
            c.requirement,
            severity_name(c.severity),
            c.description
        ));
        if let Some(detail) = c.detail.as_deref().filter(|d| !d.is_empty()) {
            lines.push(format!("    seen: {detail}"));
        }
    }
    if let Some(step) = case.steps.last() {
        lines.push(format!("last step: {}", step.name));
        for x in &step.exchanges {
            let result = match (x.status, &x.error) {
                (Some(status), _) => status.to_string(),
                (None, Some(error)) => format!("no response: {error}"),
                (None, None) => "no response".to_string(),
            };
            lines.push(format!("    {} {} -> {result}", x.method, x.url));
        }
        if step.exchanges_omitted > 0 {
            lines.push(format!(
                "    ({} more requests not shown)",
                step.exchanges_omitted
            ));
        }
    }
    lines.join("\n")
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Skip => "skip",
        Outcome::Warn => "warn",
        Outcome::Fail => "fail",
        Outcome::Error => "error",
    }
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Required => "required",
        Severity::Recommended => "recommended",
        Severity::Optional => "optional",
    }
}

/// `REQ-ID: detail` of each check with `outcome`, or the case's reason (a skip's reason first:
/// its checks all repeat it).
fn summary(case: &CaseResult, outcome: Outcome) -> String {
    if let (Outcome::Skip, Some(reason)) = (outcome, &case.reason) {
        return reason.clone();
    }
    let lines: Vec<String> = case
        .checks
        .iter()
        .filter(|c| c.outcome == outcome)
        .map(|c| {
            format!(
                "{}: {}",
                c.requirement,
                c.detail.as_deref().unwrap_or(&c.description)
            )
        })
        .collect();
    if lines.is_empty() {
        case.reason.clone().unwrap_or_default()
    } else {
        lines.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{CheckResult, Exchange, StepResult};

    fn case(name: &str, outcome: Outcome, detail: &str) -> CaseResult {
        CaseResult {
            family: "redirect-uri".into(),
            scenario: "redirect_uri".into(),
            name: name.into(),
            outcome,
            reason: (outcome == Outcome::Skip).then(|| "needs admin access".into()),
            duration_ms: 12,
            checks: vec![CheckResult {
                requirement: "AUTHZ-REDIRECT-EXACT".into(),
                severity: Severity::Required,
                description: "refused".into(),
                outcome,
                detail: Some(detail.into()),
                step: 1,
                not_applicable: false,
                blocked: false,
            }],
            steps: vec![StepResult {
                name: "GET {authorize}".into(),
                duration_ms: 3,
                exchanges: vec![Exchange {
                    method: "GET".into(),
                    url: "http://t/authorize".into(),
                    request_headers: vec![],
                    request_body: None,
                    status: (outcome != Outcome::Error).then_some(302),
                    response_headers: vec![],
                    response_body: None,
                    error: (outcome == Outcome::Error).then(|| "connection refused".into()),
                    duration_ms: 1.0,
                    credential_leaks: Vec::new(),
                }],
                exchanges_omitted: 0,
            }],
        }
    }

    #[test]
    fn outcomes_map_to_junit_elements() {
        let run = RunResult {
            target: "reference".into(),
            duration_ms: 40,
            cases: vec![
                case("ok", Outcome::Pass, ""),
                case(
                    "slash <added>",
                    Outcome::Fail,
                    "redirected to https://x/?a&b",
                ),
                case("admin", Outcome::Skip, ""),
                case("down", Outcome::Error, "connection refused"),
            ],
        };
        let xml = write_junit(&run).unwrap();
        assert!(xml.contains("tests=\"4\""), "{xml}");
        assert!(
            xml.contains("failures=\"1\"")
                && xml.contains("errors=\"1\"")
                && xml.contains("skipped=\"1\"")
        );
        assert!(xml.contains("slash &lt;added&gt;"));
        assert!(xml.contains("AUTHZ-REDIRECT-EXACT: redirected to https://x/?a&amp;b"));
        // The element's text: the check, what was seen and the last step's requests.
        assert!(
            xml.contains("fail AUTHZ-REDIRECT-EXACT (required): refused"),
            "{xml}"
        );
        assert!(
            xml.contains("    seen: redirected to https://x/?a&amp;b"),
            "{xml}"
        );
        assert!(xml.contains("GET http://t/authorize -&gt; 302"), "{xml}");
        assert!(xml.contains("GET http://t/authorize -&gt; no response: connection refused"));
        assert!(
            xml.contains("<skipped message=\"needs admin access\""),
            "{xml}"
        );
        assert!(xml.contains("reason: needs admin access"), "{xml}");
    }
}
