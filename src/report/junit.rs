//! JUnit XML for CI: one test suite per flow family, one test case per case; `fail` is a
//! failure, `error` an error, `skip` skipped with its reason; `warn` passes with the warning
//! in system-out (CI gates on required rules; `--fail-on warn` is the exit code's business).
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

/// The JUnit XML of a run.
pub fn write_junit(run: &RunResult) -> Result<String, String> {
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
                tc.set_system_out(summary(case, Outcome::Warn));
            }
            suite.add_test_case(tc);
        }
        report.add_test_suite(suite);
    }
    report.set_time(Duration::from_millis(run.duration_ms));
    report
        .to_string()
        .map_err(|e| format!("cannot write JUnit XML: {e}"))
}

fn status(case: &CaseResult) -> TestCaseStatus {
    let mut status = match case.outcome {
        Outcome::Pass | Outcome::Warn => return TestCaseStatus::success(),
        Outcome::Skip => TestCaseStatus::skipped(),
        Outcome::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
        Outcome::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
    };
    status.set_message(summary(case, case.outcome));
    status
}

/// `REQ-ID: detail` of each check with `outcome`, or the case's reason.
fn summary(case: &CaseResult, outcome: Outcome) -> String {
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
    use crate::report::model::CheckResult;
    use crate::requirements::Severity;

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
            }],
            steps: vec![],
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
    }
}
