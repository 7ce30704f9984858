//! Runs scenario cases against a target and returns plain result data: a step that cannot
//! complete makes its checks `error`, never `pass`; a case whose target lacks a variable it
//! requires is `skip` with the reason.

use std::time::Instant;

use crate::check::evaluate;
use crate::http::Session;
use crate::report::model::{CaseResult, CheckResult, Outcome, RunResult, StepResult};
use crate::requirements::{Catalogue, Severity};
use crate::scenario::model::{Case, Scenario, Step};
use crate::scenario::steps::execute;
use crate::scenario::vars::{Vars, capture, expand_expect};
use crate::target::access::Access;

/// Runs every case of `scenarios` the bundled server's way (default HTTP policy, form
/// login), calling `progress` after each.
pub async fn run(
    target: &str,
    scenarios: &[Scenario],
    catalogue: &Catalogue,
    vars: &Vars,
    progress: &mut (dyn FnMut(&CaseResult) + Send),
) -> RunResult {
    run_with(
        &Access::default(),
        target,
        scenarios,
        catalogue,
        vars,
        progress,
    )
    .await
}

/// Runs every case of `scenarios` under `access` (HTTP policy, login driver).
pub async fn run_with(
    access: &Access,
    target: &str,
    scenarios: &[Scenario],
    catalogue: &Catalogue,
    vars: &Vars,
    progress: &mut (dyn FnMut(&CaseResult) + Send),
) -> RunResult {
    let started = Instant::now();
    let mut cases = Vec::new();
    for s in scenarios {
        for case in &s.cases {
            let mut runs = Vec::new();
            if case.variants.is_empty() {
                runs.push((case.name.clone(), vars.clone(), Vec::new()));
            }
            for variant in &case.variants {
                let label = variant.get("name").map_or("?", String::as_str);
                // A variant built from a variable the target lacks (a default-port mutation
                // of a URI that has a port) is skipped, never sent with `{name}` in it.
                let with = vars.with(variant);
                let unresolved = variant.values().flat_map(|v| unresolved(&with.expand(v)));
                runs.push((
                    format!("{}: {label}", case.name),
                    with.clone(),
                    unresolved.collect(),
                ));
            }
            for (name, vars, unresolved) in runs {
                let result = run_case(access, s, case, &name, catalogue, vars, &unresolved).await;
                progress(&result);
                cases.push(result);
            }
        }
    }
    RunResult {
        target: target.to_string(),
        duration_ms: started.elapsed().as_millis() as u64,
        cases,
    }
}

async fn run_case(
    access: &Access,
    s: &Scenario,
    case: &Case,
    name: &str,
    catalogue: &Catalogue,
    mut vars: Vars,
    unresolved: &[String],
) -> CaseResult {
    let started = Instant::now();
    let mut result = CaseResult {
        family: s.family.clone(),
        scenario: s.name.clone(),
        name: name.to_string(),
        outcome: Outcome::Pass,
        reason: None,
        duration_ms: 0,
        checks: Vec::new(),
        steps: Vec::new(),
    };
    let missing: Vec<&str> = case
        .requires
        .iter()
        .map(String::as_str)
        .filter(|v| vars.get(v).is_none())
        .chain(unresolved.iter().map(String::as_str))
        .collect();
    if !missing.is_empty() {
        let reason = format!("the target does not provide {}", missing.join(", "));
        for step in &case.steps {
            for check in &step.checks {
                let outcome = (Outcome::Skip, Some(reason.clone()));
                result
                    .checks
                    .push(check_result(step, check, catalogue, outcome));
            }
        }
        result.outcome = Outcome::Skip;
        result.reason = Some(reason);
        return result;
    }
    let mut session = match Session::with_policy(vars.redactor(), &access.http) {
        Ok(s) => s,
        Err(e) => {
            result.outcome = Outcome::Error;
            result.reason = Some(e);
            return result;
        }
    };
    for step in &case.steps {
        let step_started = Instant::now();
        let mut seen = execute(&mut session, step, &vars, &access.login).await;
        if let Ok(observed) = &seen
            && let Err(e) = capture(step, observed, &mut vars, &mut session.redactor)
        {
            seen = Err(e);
        }
        let (exchanges, exchanges_omitted) = session.take_transcript();
        result.steps.push(StepResult {
            name: step_label(step),
            duration_ms: step_started.elapsed().as_millis() as u64,
            exchanges,
            exchanges_omitted,
        });
        for check in &step.checks {
            let outcome = match &seen {
                Err(e) => (Outcome::Error, Some(e.clone())),
                Ok(seen) => match evaluate(&expand_expect(&check.expect, &vars), seen) {
                    Ok(()) => (Outcome::Pass, None),
                    Err(detail) => {
                        let severity = catalogue
                            .get(&check.requirement)
                            .map_or(Severity::Required, |r| r.severity);
                        (Outcome::of_violation(severity), Some(detail))
                    }
                },
            };
            let outcome = (outcome.0, outcome.1.map(|d| session.redactor.text(&d)));
            result
                .checks
                .push(check_result(step, check, catalogue, outcome));
        }
        if let Err(e) = seen {
            result.reason = Some(session.redactor.text(&e));
            break;
        }
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    result.settle();
    result
}

/// The `{name}` placeholders left in `text` (names are lower-case words with `_`).
fn unresolved(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('}') else { break };
        let name = &rest[..close];
        let is_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if is_name && !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    out
}

/// A check's result; an unknown requirement is an error whatever was seen.
fn check_result(
    step: &Step,
    check: &crate::scenario::model::Check,
    catalogue: &Catalogue,
    (outcome, detail): (Outcome, Option<String>),
) -> CheckResult {
    let (severity, outcome, detail) = match catalogue.get(&check.requirement) {
        None => (
            Severity::Required,
            Outcome::Error,
            Some(format!("unknown requirement {}", check.requirement)),
        ),
        Some(r) => (r.severity, outcome, detail),
    };
    CheckResult {
        requirement: check.requirement.clone(),
        severity,
        description: format!("{} → {}", step_label(step), check.expect),
        outcome,
        detail,
    }
}

/// The step as written: `GET {patient_access}/metadata`, with its flow named.
fn step_label(step: &Step) -> String {
    let (method, template) = step.target().unwrap_or(("?", ""));
    let flow = if step.login {
        " (login)"
    } else if step.walk {
        " (walk)"
    } else if step.id_token.is_some() {
        " (id_token)"
    } else {
        ""
    };
    format!("{method} {template}{flow}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn unresolved_placeholders() {
        assert_eq!(super::unresolved("https://a/{x_1}?{y}&{x_1}"), ["x_1", "y"]);
        assert!(super::unresolved("{\"grant_type\":\"x\"} {} {Upper}").is_empty());
    }
}
