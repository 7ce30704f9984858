//! `report.html`: one self-contained page (inline CSS, no external URL) from the tera
//! template `reports/report.html.tera`: the verdict first, counts per family and per
//! requirement (uncovered requirements marked), then every case, failures first.

use std::collections::BTreeMap;

use serde::Serialize;
use tera::{Context, Tera};

use super::model::{CaseResult, Outcome, RunResult, Tally};
use crate::requirements::Catalogue;

const TEMPLATE: &str = include_str!("../../reports/report.html.tera");

#[derive(Serialize)]
struct Family {
    name: String,
    tally: Tally,
}

#[derive(Serialize)]
struct RequirementRow<'a> {
    id: &'a str,
    severity: &'a crate::requirements::Severity,
    text: &'a str,
    source: &'a str,
    choice: Option<&'a str>,
    checks: usize,
    verdict: Outcome,
}

/// The HTML report of a run. Template values are HTML-escaped by tera.
pub fn write_html(run: &RunResult, catalogue: &Catalogue) -> Result<String, String> {
    let mut tera = Tera::default();
    // Named `.html` so tera escapes every value.
    tera.add_raw_template("report.html", TEMPLATE)
        .map_err(|e| format!("report template: {e}"))?;
    let mut families: BTreeMap<&str, Tally> = BTreeMap::new();
    for c in &run.cases {
        families.entry(&c.family).or_default().add(c.outcome);
    }
    let families: Vec<Family> = families
        .into_iter()
        .map(|(name, tally)| Family {
            name: name.to_string(),
            tally,
        })
        .collect();
    let requirements: Vec<RequirementRow> = catalogue
        .requirements
        .iter()
        .map(|r| {
            let outcomes: Vec<Outcome> = run
                .cases
                .iter()
                .flat_map(|c| &c.checks)
                .filter(|k| k.requirement == r.id)
                .map(|k| k.outcome)
                .collect();
            RequirementRow {
                id: &r.id,
                severity: &r.severity,
                text: &r.text,
                source: &r.source,
                choice: r.choice.as_deref(),
                checks: outcomes.len(),
                verdict: Outcome::worst(outcomes).unwrap_or(Outcome::Skip),
            }
        })
        .collect();
    let mut cases: Vec<&CaseResult> = run.cases.iter().collect();
    // Failures first: worst outcome first, file order within an outcome.
    cases.sort_by_key(|c| std::cmp::Reverse(c.outcome));
    let mut ctx = Context::new();
    ctx.insert("run", run);
    ctx.insert("outcome", &run.outcome());
    ctx.insert("tally", &run.tally());
    ctx.insert(
        "check_count",
        &run.cases.iter().map(|c| c.checks.len()).sum::<usize>(),
    );
    ctx.insert("families", &families);
    ctx.insert("requirements", &requirements);
    ctx.insert("cases", &cases);
    tera.render("report.html", &ctx)
        .map_err(|e| format!("cannot render report.html: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::CheckResult;
    use crate::requirements::Severity;

    #[test]
    fn failures_come_first_values_are_escaped_and_nothing_is_fetched() {
        let case = |name: &str, outcome| CaseResult {
            family: "scopes".into(),
            scenario: "scopes".into(),
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
            }],
            steps: vec![],
        };
        let run = RunResult {
            target: "reference".into(),
            duration_ms: 3,
            cases: vec![
                case("first-ok", Outcome::Pass),
                case("second-bad", Outcome::Fail),
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
        for external in ["src=\"http", "href=\"http", "@import", "url(http"] {
            assert!(!html.contains(external), "{external}");
        }
    }
}
