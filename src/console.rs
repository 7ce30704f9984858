//! The console: progress while a run goes (stderr) and the summary after it (stdout).
//!
//! On a terminal the progress is one live line, rewritten in place, with every case that
//! did not pass kept above it:
//!
//! ```text
//! [12/63] discovery / Patient Access SMART configuration ... pass
//! ```
//!
//! Elsewhere (CI logs) only the cases that did not pass get a line. The summary lists the
//! cases that did not pass, worst first, each failed check with its requirement id and what
//! was seen, then the counts. Everything printed comes from the results, whose details the
//! engine has already redacted.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::Path;

use crate::report::model::{CaseResult, Outcome, RunResult};

/// Progress of a run, written to stderr.
pub struct Progress {
    total: usize,
    done: usize,
    live: bool,
    width: usize,
}

impl Progress {
    /// Progress over `total` cases: live when stderr is a terminal.
    pub fn new(total: usize) -> Progress {
        Progress::with_mode(total, std::io::stderr().is_terminal())
    }

    /// Progress over `total` cases, live (one line rewritten) or not (one line per case
    /// that did not pass).
    pub fn with_mode(total: usize, live: bool) -> Progress {
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse::<usize>().ok())
            .filter(|w| *w >= 20)
            .unwrap_or(100);
        Progress {
            total,
            done: 0,
            live,
            width,
        }
    }

    /// Records a finished case and writes what it calls for.
    pub fn case(&mut self, case: &CaseResult) {
        let text = self.render(case);
        if !text.is_empty() {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
            let _ = err.flush();
        }
    }

    /// Clears the live line.
    pub fn finish(&mut self) {
        if self.live && self.done > 0 {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
        }
    }

    /// What a finished case writes: on a terminal the counter (and a kept line when it did
    /// not pass), elsewhere a line only when it did not pass.
    pub fn render(&mut self, case: &CaseResult) -> String {
        self.done += 1;
        let line = format!(
            "[{}/{}] {} / {} ... {}",
            self.done,
            self.total,
            case.family,
            case.name,
            word(case.outcome)
        );
        let kept = (!case.outcome.passed()).then(|| format!("{line}{}", note(case)));
        match (self.live, kept) {
            (true, Some(kept)) => format!("\r\x1b[K{kept}\n"),
            (true, None) => format!("\r\x1b[K{}", clip(&line, self.width - 1)),
            (false, Some(kept)) => format!("{kept}\n"),
            (false, None) => String::new(),
        }
    }
}

/// The total for the counter: every case once per variant.
pub fn count_cases(scenarios: &[crate::scenario::model::Scenario]) -> usize {
    scenarios
        .iter()
        .flat_map(|s| &s.cases)
        .map(|c| c.variants.len().max(1))
        .sum()
}

/// Prints the summary to stdout.
pub fn print_summary(result: &RunResult, out: &Path) {
    print!("{}", summary(result, out));
}

/// The summary: cases that did not pass (worst first) with their failed checks, then the
/// counts and where the reports are.
pub fn summary(result: &RunResult, out: &Path) -> String {
    let mut text = String::new();
    let mut cases: Vec<&CaseResult> = result
        .cases
        .iter()
        .filter(|c| !c.outcome.passed())
        .collect();
    cases.sort_by_key(|c| std::cmp::Reverse(c.outcome));
    for case in cases {
        let _ = write!(
            text,
            "{:<5} {} / {}",
            word(case.outcome).to_uppercase(),
            case.family,
            case.name
        );
        match &case.reason {
            Some(r) => {
                let _ = writeln!(text, ": {r}");
            }
            None => text.push('\n'),
        }
        if case.outcome == Outcome::Skip {
            continue;
        }
        for c in case.checks.iter().filter(|c| !c.outcome.passed()) {
            if c.outcome == Outcome::Error && c.detail == case.reason {
                continue;
            }
            let _ = writeln!(
                text,
                "      {} {} ({}): {}",
                word(c.outcome),
                c.requirement,
                c.description,
                c.detail.as_deref().unwrap_or("")
            );
        }
    }
    let t = result.tally();
    let checks = result.cases.iter().map(|c| c.checks.len()).sum::<usize>();
    let _ = writeln!(
        text,
        "{}: {} cases ({checks} checks): {} pass, {} warn, {} fail, {} error, {} skip in {:.1} s; \
         outcome {}; reports in {}",
        result.target,
        t.total(),
        t.pass,
        t.warn,
        t.fail,
        t.error,
        t.skip,
        result.duration_ms as f64 / 1000.0,
        word(result.outcome()).to_uppercase(),
        out.display()
    );
    text
}

/// An outcome in words, as in the reports.
pub fn word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "pass",
        Outcome::Skip => "skip",
        Outcome::Warn => "warn",
        Outcome::Fail => "fail",
        Outcome::Error => "error",
    }
}

/// What follows a case's progress line: the reason, or the requirements not met.
fn note(case: &CaseResult) -> String {
    if let Some(reason) = &case.reason {
        return format!(": {reason}");
    }
    let mut ids: Vec<&str> = case
        .checks
        .iter()
        .filter(|c| !c.outcome.passed())
        .map(|c| c.requirement.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        String::new()
    } else {
        format!(" ({})", ids.join(", "))
    }
}

/// `line` cut to `width` characters, so `\r` can rewrite it.
fn clip(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_string();
    }
    let mut out: String = line.chars().take(width.saturating_sub(3)).collect();
    out.push_str("...");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::CheckResult;
    use crate::requirements::Severity;

    fn case(name: &str, outcome: Outcome, reason: Option<&str>) -> CaseResult {
        CaseResult {
            family: "discovery".into(),
            scenario: "discovery".into(),
            name: name.into(),
            outcome,
            reason: reason.map(str::to_string),
            duration_ms: 1,
            checks: vec![CheckResult {
                requirement: "DISC-SMART-CONFIG".into(),
                severity: Severity::Required,
                description: "GET {patient_access}/x: Status".into(),
                outcome,
                detail: (outcome != Outcome::Pass).then(|| "status 404".into()),
                step: 1,
                not_applicable: false,
                blocked: false,
            }],
            steps: vec![],
        }
    }

    #[test]
    fn ci_progress_writes_only_cases_that_did_not_pass() {
        let mut p = Progress::with_mode(3, false);
        assert_eq!(p.render(&case("a", Outcome::Pass, None)), "");
        assert_eq!(
            p.render(&case("b", Outcome::Fail, None)),
            "[2/3] discovery / b ... fail (DISC-SMART-CONFIG)\n"
        );
        assert_eq!(
            p.render(&case("c", Outcome::Skip, Some("no jwks"))),
            "[3/3] discovery / c ... skip: no jwks\n"
        );
    }

    #[test]
    fn live_progress_rewrites_one_line() {
        let mut p = Progress::with_mode(2, true);
        p.width = 30;
        let first = p.render(&case("a fairly long case name indeed", Outcome::Pass, None));
        assert!(first.starts_with("\r\x1b[K[1/2] discovery"), "{first:?}");
        assert!(!first.contains('\n') && first.ends_with("..."), "{first:?}");
        let second = p.render(&case("b", Outcome::Error, Some("cannot connect")));
        assert!(second.ends_with("error: cannot connect\n"), "{second:?}");
    }

    #[test]
    fn summary_lists_failures_first_with_requirement_and_detail() {
        let run = RunResult {
            target: "reference".into(),
            duration_ms: 1500,
            cases: vec![
                case(
                    "skipped",
                    Outcome::Skip,
                    Some("the target does not provide jwks"),
                ),
                case("ok", Outcome::Pass, None),
                case("broken", Outcome::Fail, None),
            ],
        };
        let text = summary(&run, Path::new("out"));
        let fail = text.find("FAIL  discovery / broken").unwrap();
        let skip = text.find("SKIP  discovery / skipped: the target").unwrap();
        assert!(fail < skip, "{text}");
        assert!(
            text.contains("fail DISC-SMART-CONFIG (GET {patient_access}/x: Status): status 404")
        );
        assert!(!text.contains("/ ok"));
        assert!(text.contains("reference: 3 cases (3 checks): 1 pass, 0 warn, 1 fail, 0 error, 1 skip in 1.5 s; outcome FAIL; reports in out"), "{text}");
    }
}
