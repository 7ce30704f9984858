//! The self-test's verdicts: the suite against the clean bundled server (every check must
//! pass) and against the server with each fault switched on (a check of a requirement the
//! fault violates must fail, and no check of any other requirement may notice it).

use serde::Serialize;

use crate::report::model::{Outcome, RunResult};

/// One check, named for the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct CheckRef {
    /// `family / case name`.
    pub case: String,
    /// The check's description (`STEP → expect`).
    pub check: String,
    pub requirement: String,
    pub outcome: Outcome,
    /// What was seen, when it did not pass.
    pub detail: Option<String>,
}

/// How a fault fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// A check of its requirements failed, and nothing else did.
    Caught,
    /// No check of its requirements failed: the suite cannot see this defect.
    Missed,
    /// Caught, but checks of other requirements failed too (the fault's requirement list
    /// or the server's fault is wrong).
    Collateral,
}

/// One fault's row of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct FaultRow {
    pub fault: String,
    pub defect: String,
    pub requirements: Vec<String>,
    pub verdict: Verdict,
    /// The checks of its requirements that did not pass.
    pub caught_by: Vec<CheckRef>,
    /// The checks of other requirements that did not pass.
    pub collateral: Vec<CheckRef>,
    pub duration_ms: u64,
}

/// Every check of `run` that did not pass, with `keep` deciding by requirement.
pub fn not_passing(run: &RunResult, keep: &dyn Fn(&str) -> bool) -> Vec<CheckRef> {
    run.cases
        .iter()
        .flat_map(|case| case.checks.iter().map(move |c| (case, c)))
        // A check whose `when` did not hold, or that an earlier deviation blocked, judged
        // nothing: neither a catch nor a failure (the deviation's own check says it).
        .filter(|(_, c)| {
            c.outcome != Outcome::Pass && !c.not_applicable && !c.blocked && keep(&c.requirement)
        })
        .map(|(case, c)| CheckRef {
            case: format!("{} / {}", case.family, case.name),
            check: c.description.clone(),
            requirement: c.requirement.clone(),
            outcome: c.outcome,
            detail: c.detail.clone(),
        })
        .collect()
}

/// The row of a fault whose run is `run`.
pub fn judge(fault: &str, defect: &str, requirements: &[&str], run: &RunResult) -> FaultRow {
    let caught_by = not_passing(run, &|r| requirements.contains(&r));
    let collateral = not_passing(run, &|r| !requirements.contains(&r));
    let verdict = match (caught_by.is_empty(), collateral.is_empty()) {
        (true, _) => Verdict::Missed,
        (false, true) => Verdict::Caught,
        (false, false) => Verdict::Collateral,
    };
    FaultRow {
        fault: fault.to_string(),
        defect: defect.to_string(),
        requirements: requirements.iter().map(|r| r.to_string()).collect(),
        verdict,
        caught_by,
        collateral,
        duration_ms: run.duration_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{CaseResult, CheckResult};
    use crate::requirements::Severity;

    fn run(checks: &[(&str, Outcome)]) -> RunResult {
        let checks = checks
            .iter()
            .map(|(req, outcome)| CheckResult {
                description: format!("check of {req}"),
                requirement: req.to_string(),
                severity: Severity::Required,
                outcome: *outcome,
                detail: None,
                step: 1,
                not_applicable: false,
                blocked: false,
            })
            .collect();
        RunResult {
            target: "t".into(),
            duration_ms: 1,
            cases: vec![CaseResult {
                family: "f".into(),
                scenario: "s".into(),
                name: "c".into(),
                outcome: Outcome::Pass,
                reason: None,
                duration_ms: 1,
                checks,
                steps: Vec::new(),
            }],
        }
    }

    #[test]
    fn a_fault_is_caught_missed_or_collateral() {
        let caught = judge(
            "x",
            "d",
            &["A"],
            &run(&[("A", Outcome::Fail), ("B", Outcome::Pass)]),
        );
        assert_eq!(caught.verdict, Verdict::Caught);
        assert_eq!(caught.caught_by.len(), 1);
        let missed = judge(
            "x",
            "d",
            &["A"],
            &run(&[("A", Outcome::Pass), ("B", Outcome::Pass)]),
        );
        assert_eq!(missed.verdict, Verdict::Missed);
        let both = judge(
            "x",
            "d",
            &["A"],
            &run(&[("A", Outcome::Fail), ("B", Outcome::Error)]),
        );
        assert_eq!(both.verdict, Verdict::Collateral);
        assert_eq!(both.collateral[0].requirement, "B");
        // Only other requirements failing is a miss (the fault's own checks saw nothing).
        let other = judge("x", "d", &["A"], &run(&[("B", Outcome::Fail)]));
        assert_eq!(other.verdict, Verdict::Missed);
    }

    #[test]
    fn a_check_that_did_not_apply_is_neither_caught_nor_collateral() {
        let mut r = run(&[
            ("A", Outcome::Fail),
            ("B", Outcome::Skip),
            ("A", Outcome::Skip),
        ]);
        r.cases[0].checks[1].not_applicable = true;
        r.cases[0].checks[2].not_applicable = true;
        let row = judge("x", "d", &["A"], &r);
        assert_eq!(row.verdict, Verdict::Caught);
        r.cases[0].checks[1].not_applicable = false;
        r.cases[0].checks[1].blocked = true;
        assert_eq!(
            judge("x", "d", &["A"], &r).verdict,
            Verdict::Caught,
            "blocked: a consequence"
        );
        assert_eq!(row.caught_by.len(), 1);
        assert!(not_passing(&r, &|req| req == "B").is_empty());
    }
}
