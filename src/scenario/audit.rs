//! The run's closing audit: no response of the target carried a credential the run holds
//! (a client secret, a member password; RFC 6749 10.1 and 10.3, RFC 9700 4.x). The leaks
//! are found as each response arrives, before redaction (`transcript::leaks`); this case
//! judges them over every exchange of every case, so a leak is a finding wherever it was.

use crate::report::model::{CaseResult, CheckResult, Outcome, StepResult};
use crate::requirements::{Catalogue, Severity};
use crate::transcript::leaks::CredentialScan;

/// The requirement the audit checks.
pub const REQUIREMENT: &str = "SECRET-NO-ECHO";
/// The audit case's name.
pub const CASE_NAME: &str = "no response carries a client secret or password";
/// Where each credential was seen, at most this many places listed.
const LISTED: usize = 5;

/// The audit case: one check per credential the run holds.
pub fn credential_audit(
    cases: &[CaseResult],
    scan: &CredentialScan,
    catalogue: &Catalogue,
) -> CaseResult {
    let severity = catalogue
        .get(REQUIREMENT)
        .map_or(Severity::Required, |r| r.severity);
    let mut result = CaseResult {
        family: "credential-audit".into(),
        scenario: "credential_audit".into(),
        name: CASE_NAME.into(),
        outcome: Outcome::Pass,
        reason: None,
        duration_ms: 0,
        checks: Vec::new(),
        steps: vec![StepResult {
            name: "every response of the run, before redaction".into(),
            duration_ms: 0,
            exchanges: Vec::new(),
            exchanges_omitted: 0,
        }],
    };
    if scan.names().is_empty() {
        result.outcome = Outcome::Skip;
        result.reason = Some("the run holds no client secret or password".into());
        return result;
    }
    for name in scan.names() {
        let prefix = format!("{name} in ");
        let mut seen = Vec::new();
        for c in cases {
            for (i, step) in c.steps.iter().enumerate() {
                for e in &step.exchanges {
                    for place in e
                        .credential_leaks
                        .iter()
                        .filter_map(|l| l.strip_prefix(&prefix))
                    {
                        seen.push(format!(
                            "{} / {}, step {} ({} {}): {place}",
                            c.family,
                            c.name,
                            i + 1,
                            e.method,
                            e.url
                        ));
                    }
                }
            }
        }
        let detail = (!seen.is_empty()).then(|| {
            let more = seen.len().saturating_sub(LISTED);
            let mut text = seen
                .iter()
                .take(LISTED)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ");
            if more > 0 {
                text.push_str(&format!("; and {more} more"));
            }
            format!("the target sent it back: {text}")
        });
        result.checks.push(CheckResult {
            requirement: REQUIREMENT.into(),
            severity,
            description: format!(
                "{{{name}}} is in no response (headers, Location, body, JWT payloads)"
            ),
            outcome: if seen.is_empty() {
                Outcome::Pass
            } else {
                Outcome::Fail
            },
            detail,
            step: 1,
            not_applicable: false,
            blocked: false,
        });
    }
    result.outcome = CheckResult::verdict(&result.checks).unwrap_or(Outcome::Pass);
    result
}
