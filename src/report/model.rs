//! Outcomes of checks and cases, and how they roll up. The rules that matter to a
//! certification team live here, in one place:
//!
//! - a failed check of a `recommended` requirement is a `warn`, of a `required` one a `fail`;
//! - a case that could not run (`error`) or was not run (`skip`, with its reason) is never
//!   counted as passed;
//! - a case is as bad as its worst check; a run as bad as its worst case, and a run in which
//!   every case was skipped is an `error` (nothing was checked).

use serde::Serialize;

use crate::requirements::Severity;
pub use crate::transcript::Exchange;

/// The outcome of a check, a case or a run, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every check held.
    Pass,
    /// Not run; the reason is recorded next to it.
    Skip,
    /// A recommended rule was not met.
    Warn,
    /// A required rule was not met.
    Fail,
    /// The harness could not complete the step (target unreachable, driver failure...).
    Error,
}

impl Outcome {
    /// The outcome of a check that did not hold, by the severity of its requirement.
    pub fn of_violation(severity: Severity) -> Outcome {
        match severity {
            Severity::Required => Outcome::Fail,
            Severity::Recommended | Severity::Optional => Outcome::Warn,
        }
    }

    /// The worst of several outcomes; `None` (nothing was checked) when empty, so an empty
    /// case can never pass by default.
    pub fn worst(outcomes: impl IntoIterator<Item = Outcome>) -> Option<Outcome> {
        outcomes.into_iter().max()
    }

    /// Whether this outcome counts as passed.
    pub fn passed(self) -> bool {
        self == Outcome::Pass
    }
}

/// Counts of outcomes, for a family, a requirement or the whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub pass: usize,
    pub skip: usize,
    pub warn: usize,
    pub fail: usize,
    pub error: usize,
}

impl Tally {
    /// Counts `outcomes`.
    pub fn of(outcomes: impl IntoIterator<Item = Outcome>) -> Tally {
        let mut t = Tally::default();
        for o in outcomes {
            t.add(o);
        }
        t
    }

    /// Adds one outcome.
    pub fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Pass => self.pass += 1,
            Outcome::Skip => self.skip += 1,
            Outcome::Warn => self.warn += 1,
            Outcome::Fail => self.fail += 1,
            Outcome::Error => self.error += 1,
        }
    }

    /// Everything counted.
    pub fn total(&self) -> usize {
        self.pass + self.skip + self.warn + self.fail + self.error
    }
}

/// One check: a claim about a response, tied to a requirement.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub requirement: String,
    pub severity: Severity,
    /// What was checked, in words.
    pub description: String,
    pub outcome: Outcome,
    /// What was seen when it did not hold (redacted), or why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The step of the case it belongs to (from 1), whose exchanges produced it.
    pub step: usize,
    /// A `skip` because its `when` condition did not hold: the rule does not apply to what
    /// the target answered. It does not make its case a skip.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub not_applicable: bool,
    /// A `skip` because an earlier step of its case did not give what this one needs (the
    /// target deviated there, and that step's checks say how): a consequence, not a finding.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub blocked: bool,
}

/// One case of a scenario, with its checks.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// The flow family (discovery, redirect-uri, scopes, ...).
    pub family: String,
    pub scenario: String,
    pub name: String,
    pub outcome: Outcome,
    /// Why the case was skipped or errored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub duration_ms: u64,
    pub checks: Vec<CheckResult>,
    /// What each step sent and received, redacted.
    pub steps: Vec<StepResult>,
}

/// One step of a case: its requests in order (a login or a walk makes several).
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// The step as written in the scenario (`GET {patient_access}/metadata`).
    pub name: String,
    pub duration_ms: u64,
    pub exchanges: Vec<Exchange>,
    /// Requests made but not kept (a long walk keeps its first pages).
    #[serde(skip_serializing_if = "is_zero")]
    pub exchanges_omitted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl CheckResult {
    /// The verdict of some checks (a case's, a requirement's): the worst of those that
    /// applied; `Skip` when every one was not applicable; `None` when there are none.
    pub fn verdict<'a>(checks: impl IntoIterator<Item = &'a CheckResult>) -> Option<Outcome> {
        let (mut any, mut worst) = (false, None);
        for c in checks {
            any = true;
            if !c.not_applicable {
                worst = worst.max(Some(c.outcome));
            }
        }
        worst.or(any.then_some(Outcome::Skip))
    }
}

impl CaseResult {
    /// The case outcome from its checks; `Error` with a reason when nothing was checked.
    /// Checks that did not apply (their `when` did not hold) count only when no other ran.
    pub fn settle(&mut self) {
        let applied = self.checks.iter().filter(|c| !c.not_applicable);
        match Outcome::worst(applied.map(|c| c.outcome)) {
            Some(o) => self.outcome = self.outcome.max(o),
            None if self.outcome == Outcome::Pass && !self.checks.is_empty() => {
                self.outcome = Outcome::Skip;
                self.reason.get_or_insert_with(|| "no check applied".into());
            }
            None if self.outcome == Outcome::Pass => {
                self.outcome = Outcome::Error;
                self.reason.get_or_insert_with(|| "no check ran".into());
            }
            None => {}
        }
    }
}

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    /// The target's name (`reference` for the bundled server).
    pub target: String,
    pub duration_ms: u64,
    pub cases: Vec<CaseResult>,
}

impl RunResult {
    /// Counts of case outcomes.
    pub fn tally(&self) -> Tally {
        Tally::of(self.cases.iter().map(|c| c.outcome))
    }

    /// The worst case outcome; a run that checked nothing (no case, or every case skipped)
    /// is an error, not a pass.
    pub fn outcome(&self) -> Outcome {
        if self.cases.iter().all(|c| c.outcome == Outcome::Skip) {
            return Outcome::Error;
        }
        Outcome::worst(self.cases.iter().map(|c| c.outcome)).unwrap_or(Outcome::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_case_without_checks_is_an_error() {
        let mut case = CaseResult {
            family: "f".into(),
            scenario: "s".into(),
            name: "n".into(),
            outcome: Outcome::Pass,
            reason: None,
            duration_ms: 0,
            checks: vec![],
            steps: vec![],
        };
        case.settle();
        assert_eq!(case.outcome, Outcome::Error);
        assert_eq!(case.reason.as_deref(), Some("no check ran"));
        let run = RunResult {
            target: "t".into(),
            duration_ms: 0,
            cases: vec![],
        };
        assert_eq!(run.outcome(), Outcome::Error);
        let skipped = CaseResult {
            outcome: Outcome::Skip,
            ..case.clone()
        };
        let all_skipped = RunResult {
            cases: vec![skipped.clone(), skipped],
            ..run
        };
        assert_eq!(all_skipped.outcome(), Outcome::Error);
    }

    #[test]
    fn checks_that_did_not_apply_do_not_decide_a_verdict() {
        let check = |outcome, not_applicable| CheckResult {
            requirement: "R".into(),
            severity: Severity::Required,
            description: "d".into(),
            outcome,
            detail: None,
            step: 1,
            not_applicable,
            blocked: false,
        };
        let pass = check(Outcome::Pass, false);
        let na = check(Outcome::Skip, true);
        let skipped = check(Outcome::Skip, false);
        assert_eq!(CheckResult::verdict([&pass, &na]), Some(Outcome::Pass));
        assert_eq!(CheckResult::verdict([&na]), Some(Outcome::Skip));
        assert_eq!(CheckResult::verdict([&pass, &skipped]), Some(Outcome::Skip));
        assert_eq!(CheckResult::verdict([]), None);
    }

    #[test]
    fn severity_decides_fail_or_warn() {
        assert_eq!(Outcome::of_violation(Severity::Required), Outcome::Fail);
        assert_eq!(Outcome::of_violation(Severity::Recommended), Outcome::Warn);
    }

    #[test]
    fn nothing_checked_is_not_a_pass() {
        assert_eq!(Outcome::worst([]), None);
        assert_eq!(
            Outcome::worst([Outcome::Pass, Outcome::Skip]),
            Some(Outcome::Skip)
        );
        assert!(!Outcome::Skip.passed());
        assert!(!Outcome::Error.passed());
    }

    fn outcome() -> impl Strategy<Value = Outcome> {
        prop_oneof![
            Just(Outcome::Pass),
            Just(Outcome::Skip),
            Just(Outcome::Warn),
            Just(Outcome::Fail),
            Just(Outcome::Error)
        ]
    }

    proptest! {
        #[test]
        fn a_case_passes_only_when_every_check_passed(checks in prop::collection::vec(outcome(), 0..20)) {
            let case = Outcome::worst(checks.iter().copied());
            prop_assert_eq!(
                case.is_some_and(Outcome::passed),
                !checks.is_empty() && checks.iter().all(|o| o.passed())
            );
            let t = Tally::of(checks.iter().copied());
            prop_assert_eq!(t.total(), checks.len());
        }
    }
}
