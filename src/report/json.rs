//! `results.json`: the whole results model (`report::model`), serialised as is, behind a
//! small header: the format's version, the run's outcome and its counts. Every field is
//! documented in `docs/results-json.md`; a change to the shape bumps [`SCHEMA_VERSION`].

use serde::Serialize;

use super::model::{Outcome, RunResult, Tally};

/// Version of the `results.json` format.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    /// The run's outcome: its worst case (`error` when no case ran).
    outcome: Outcome,
    /// Cases by outcome.
    tally: Tally,
    /// Checks by outcome, over every case.
    check_tally: Tally,
    #[serde(flatten)]
    run: &'a RunResult,
}

/// The JSON document of a run.
pub fn write_json(run: &RunResult) -> Result<String, super::ReportError> {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        outcome: run.outcome(),
        tally: run.tally(),
        check_tally: Tally::of(run.cases.iter().flat_map(|c| &c.checks).map(|k| k.outcome)),
        run,
    };
    Ok(serde_json::to_string_pretty(&doc)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{CaseResult, CheckResult};
    use crate::requirements::Severity;

    #[test]
    fn empty_run_is_an_error_with_a_zero_tally() {
        let run = RunResult {
            target: "reference".into(),
            duration_ms: 0,
            cases: vec![],
        };
        let v: serde_json::Value = serde_json::from_str(&write_json(&run).unwrap()).unwrap();
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["outcome"], "error");
        assert_eq!(v["tally"]["pass"], 0);
        assert_eq!(v["check_tally"]["fail"], 0);
        assert_eq!(v["target"], "reference");
        assert_eq!(v["cases"], serde_json::json!([]));
    }

    #[test]
    fn tallies_count_cases_and_checks() {
        let check = |outcome| CheckResult {
            requirement: "R".into(),
            severity: Severity::Required,
            description: "d".into(),
            outcome,
            detail: None,
            step: 1,
            not_applicable: false,
            blocked: false,
        };
        let run = RunResult {
            target: "reference".into(),
            duration_ms: 5,
            cases: vec![CaseResult {
                family: "f".into(),
                scenario: "s".into(),
                name: "n".into(),
                outcome: Outcome::Fail,
                reason: None,
                duration_ms: 5,
                checks: vec![check(Outcome::Pass), check(Outcome::Fail)],
                steps: vec![],
            }],
        };
        let v: serde_json::Value = serde_json::from_str(&write_json(&run).unwrap()).unwrap();
        assert_eq!(v["outcome"], "fail");
        assert_eq!(v["tally"]["fail"], 1);
        assert_eq!(v["check_tally"]["pass"], 1);
        assert_eq!(v["check_tally"]["fail"], 1);
        assert!(v["cases"][0]["checks"][0].get("detail").is_none());
    }
}
