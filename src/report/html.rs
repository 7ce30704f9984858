//! `report.html`: one self-contained page (inline CSS and JS, no external URL) from the tera
//! template `reports/report.html.tera`: the verdict first, the run's parameters, counts per
//! family and per requirement (uncovered requirements marked), the clause audit of each
//! source (checked clauses held or not in this run, not applicable, open), then every case, failures
//! first, with its checks and its steps' redacted transcripts.
//!
//! Everything the template shows is prepared here as plain views; tera escapes every value
//! (the template is registered as `.html`), and the template never marks target data `safe`.

use std::cmp::Reverse;

use serde::Serialize;
use tera::{Context, Tera};

use super::ReportError;
use super::clause_rows::clause_rows;

use super::model::{CaseResult, CheckResult, Exchange, Outcome, RunResult, StepResult, Tally};
use crate::requirements::{Catalogue, Severity};

const TEMPLATE: &str = include_str!("../../reports/report.html.tera");

/// One flow family: its cases and checks by outcome.
#[derive(Serialize)]
struct FamilyRow<'a> {
    name: &'a str,
    /// The worst case outcome of the family.
    outcome: Outcome,
    cases: Tally,
    case_total: usize,
    checks: Tally,
    check_total: usize,
}

/// One requirement: its checks by outcome and its verdict (`None`: no check covers it).
#[derive(Serialize)]
struct RequirementRow<'a> {
    id: &'a str,
    severity: Option<Severity>,
    text: &'a str,
    source: &'a str,
    choice: Option<&'a str>,
    /// False for a requirement a check names that the catalogue lacks.
    in_catalogue: bool,
    checks: usize,
    tally: Tally,
    verdict: Option<Outcome>,
}

#[derive(Serialize)]
struct CaseView<'a> {
    anchor: String,
    family: &'a str,
    scenario: &'a str,
    name: &'a str,
    outcome: Outcome,
    reason: Option<&'a str>,
    duration_ms: u64,
    checks: &'a [CheckResult],
    steps: Vec<StepView<'a>>,
}

#[derive(Serialize)]
struct StepView<'a> {
    name: &'a str,
    duration_ms: u64,
    exchanges: Vec<ExchangeView<'a>>,
    omitted: usize,
}

#[derive(Serialize)]
struct ExchangeView<'a> {
    method: &'a str,
    url: &'a str,
    status: Option<u16>,
    duration: String,
    request_headers: String,
    request_body: Option<&'a str>,
    response_headers: String,
    response_body: Option<&'a str>,
    error: Option<&'a str>,
}

/// The run's parameters and the counts the verdict section shows.
#[derive(Serialize)]
struct Summary {
    outcome: Outcome,
    verdict: String,
    cases: Tally,
    case_total: usize,
    checks: Tally,
    check_total: usize,
    requirements: usize,
    covered: usize,
    uncovered: Vec<String>,
}

/// The HTML report of a run. Template values are HTML-escaped by tera.
pub fn write_html(run: &RunResult, catalogue: &Catalogue) -> Result<String, ReportError> {
    let mut tera = Tera::default();
    // Named `.html` so tera escapes every value.
    tera.add_raw_template("report.html", TEMPLATE)
        .map_err(|e| ReportError::template("report template", &e))?;
    // The reference server's escaping: text and quoted attributes. (Tera's default also
    // escapes `/`, which only matters in unquoted attributes, and the template has none; it
    // would make the transcripts' URLs and JSON bodies a third longer.)
    tera.set_escape_fn(smartcheck_common::html::escape);
    let families = families(run);
    let requirements = requirements(run, catalogue);
    let order: Vec<&str> = families.iter().map(|f| f.name).collect();
    let mut ctx = Context::new();
    ctx.insert("run", run);
    ctx.insert("summary", &summary(run, &requirements));
    ctx.insert("families", &families);
    // The clause audit is built in and tested; a catalogue it does not fit (a user's own)
    // leaves the section out rather than the report.
    let audits = crate::clauses::builtin(catalogue).unwrap_or_default();
    let verdict = |id: &str| {
        requirements
            .iter()
            .find(|r| r.id == id)
            .and_then(|r| r.verdict)
    };
    ctx.insert("clauses", &clause_rows(&audits, verdict));
    ctx.insert("requirements", &requirements);
    ctx.insert("cases", &cases(run, &order));
    tera.render("report.html", &ctx)
        .map_err(|e| ReportError::template("cannot render report.html", &e))
}

fn checks(run: &RunResult) -> impl Iterator<Item = &CheckResult> {
    run.cases.iter().flat_map(|c| &c.checks)
}

/// Families in the order the suite runs them.
fn families(run: &RunResult) -> Vec<FamilyRow<'_>> {
    let mut rows: Vec<FamilyRow> = Vec::new();
    for case in &run.cases {
        let at = match rows.iter().position(|f| f.name == case.family) {
            Some(at) => at,
            None => {
                rows.push(FamilyRow {
                    name: &case.family,
                    outcome: case.outcome,
                    cases: Tally::default(),
                    case_total: 0,
                    checks: Tally::default(),
                    check_total: 0,
                });
                rows.len() - 1
            }
        };
        let row = &mut rows[at];
        row.outcome = row.outcome.max(case.outcome);
        row.cases.add(case.outcome);
        row.case_total += 1;
        for check in &case.checks {
            row.checks.add(check.outcome);
            row.check_total += 1;
        }
    }
    rows
}

/// The catalogue's requirements in order, then any a check names that the catalogue lacks.
fn requirements<'a>(run: &'a RunResult, catalogue: &'a Catalogue) -> Vec<RequirementRow<'a>> {
    let row = |id: &'a str| {
        let tally = Tally::of(
            checks(run)
                .filter(|k| k.requirement == id)
                .map(|k| k.outcome),
        );
        let verdict = CheckResult::verdict(checks(run).filter(|k| k.requirement == id));
        RequirementRow {
            id,
            severity: None,
            text: "",
            source: "",
            choice: None,
            in_catalogue: false,
            checks: tally.total(),
            tally,
            verdict,
        }
    };
    let mut rows: Vec<RequirementRow> = catalogue
        .requirements
        .iter()
        .map(|r| RequirementRow {
            severity: Some(r.severity),
            text: &r.text,
            source: &r.source,
            choice: r.choice.as_deref(),
            in_catalogue: true,
            ..row(&r.id)
        })
        .collect();
    for check in checks(run) {
        if !rows.iter().any(|r| r.id == check.requirement) {
            rows.push(RequirementRow {
                severity: Some(check.severity),
                ..row(&check.requirement)
            });
        }
    }
    rows
}

fn summary(run: &RunResult, requirements: &[RequirementRow]) -> Summary {
    let cases = run.tally();
    let checks = Tally::of(checks(run).map(|k| k.outcome));
    let outcome = run.outcome();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let verdict = match outcome {
        Outcome::Pass => "Every check of every case passed.".to_string(),
        Outcome::Skip => format!(
            "Nothing failed, but {} not run: a skip is not a pass.",
            plural(cases.skip, "case was", "cases were")
        ),
        Outcome::Warn => format!(
            "No required rule was violated; {} of recommended rules did not hold.",
            plural(checks.warn, "check", "checks")
        ),
        Outcome::Fail => format!(
            "{} of required rules failed, in {}.",
            plural(checks.fail, "check", "checks"),
            plural(cases.fail, "case", "cases")
        ),
        Outcome::Error if run.cases.is_empty() => "No case ran.".to_string(),
        Outcome::Error => format!(
            "The harness could not complete {}: their checks are unknown, not passed.",
            plural(cases.error, "case", "cases")
        ),
    };
    let uncovered: Vec<String> = requirements
        .iter()
        .filter(|r| r.verdict.is_none())
        .map(|r| r.id.to_string())
        .collect();
    Summary {
        outcome,
        verdict,
        cases,
        case_total: cases.total(),
        checks,
        check_total: checks.total(),
        requirements: requirements.len(),
        covered: requirements.len() - uncovered.len(),
        uncovered,
    }
}

/// Cases worst outcome first, then in family order, then in run order.
fn cases<'a>(run: &'a RunResult, family_order: &[&str]) -> Vec<CaseView<'a>> {
    let mut order: Vec<(usize, &CaseResult)> = run.cases.iter().enumerate().collect();
    order.sort_by_key(|(i, c)| {
        let family = family_order.iter().position(|f| *f == c.family);
        (Reverse(c.outcome), family, *i)
    });
    order
        .into_iter()
        .map(|(i, c)| CaseView {
            anchor: format!("case-{}", i + 1),
            family: &c.family,
            scenario: &c.scenario,
            name: &c.name,
            outcome: c.outcome,
            reason: c.reason.as_deref(),
            duration_ms: c.duration_ms,
            checks: &c.checks,
            steps: c.steps.iter().map(step).collect(),
        })
        .collect()
}

fn step(s: &StepResult) -> StepView<'_> {
    StepView {
        name: &s.name,
        duration_ms: s.duration_ms,
        exchanges: s.exchanges.iter().map(exchange).collect(),
        omitted: s.exchanges_omitted,
    }
}

fn exchange(x: &Exchange) -> ExchangeView<'_> {
    ExchangeView {
        method: &x.method,
        url: &x.url,
        status: x.status,
        duration: format!("{:.1} ms", x.duration_ms),
        request_headers: headers(&x.request_headers),
        request_body: x.request_body.as_deref(),
        response_headers: headers(&x.response_headers),
        response_body: x.response_body.as_deref(),
        error: x.error.as_deref(),
    }
}

/// `name: value` lines.
fn headers(headers: &[(String, String)]) -> String {
    let lines: Vec<String> = headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &str, family: &str, outcome: Outcome) -> CaseResult {
        CaseResult {
            family: family.into(),
            scenario: family.into(),
            name: name.into(),
            outcome,
            reason: None,
            duration_ms: 1,
            checks: vec![CheckResult {
                requirement: "AUTHZ-SCOPE-POLICY".into(),
                severity: Severity::Required,
                description: "d".into(),
                outcome,
                detail: Some("<script>alert(1)</script>".into()),
                step: 1,
                not_applicable: false,
                blocked: false,
            }],
            steps: vec![],
        }
    }

    #[test]
    fn failures_come_first_values_are_escaped_and_nothing_is_fetched() {
        let run = RunResult {
            target: "reference".into(),
            duration_ms: 3,
            cases: vec![
                case("first-ok", "scopes", Outcome::Pass),
                case("second-bad", "scopes", Outcome::Fail),
            ],
        };
        let html = write_html(&run, &Catalogue::builtin().unwrap()).unwrap();
        assert!(html.find("second-bad").unwrap() < html.find("first-ok").unwrap());
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(
            html.contains("not covered"),
            "uncovered requirements are listed"
        );
        for external in ["src=\"http", "href=\"http", "@import", "url(http", "url(//"] {
            assert!(!html.contains(external), "{external}");
        }
        assert!(html.contains("dataset.js = \"ready\""));
    }

    #[test]
    fn families_keep_run_order_and_a_skip_never_reads_as_a_pass() {
        let mut skipped = case("later", "discovery", Outcome::Skip);
        skipped.checks[0].requirement = "DISC-METADATA".into();
        let run = RunResult {
            target: "reference".into(),
            duration_ms: 3,
            cases: vec![
                case("a", "scopes", Outcome::Pass),
                skipped,
                case("b", "scopes", Outcome::Warn),
            ],
        };
        let fams = families(&run);
        let names: Vec<&str> = fams.iter().map(|f| f.name).collect();
        assert_eq!(names, ["scopes", "discovery"]);
        assert_eq!(fams[0].outcome, Outcome::Warn);
        assert_eq!((fams[0].cases.pass, fams[0].cases.warn), (1, 1));
        let catalogue = Catalogue::builtin().unwrap();
        let reqs = requirements(&run, &catalogue);
        let metadata = reqs.iter().find(|r| r.id == "DISC-METADATA").unwrap();
        assert_eq!(metadata.verdict, Some(Outcome::Skip));
        let order: Vec<&str> = cases(&run, &names).iter().map(|c| c.name).collect();
        assert_eq!(order, ["b", "later", "a"]);
        assert_eq!(summary(&run, &reqs).outcome, Outcome::Warn);
    }
}
