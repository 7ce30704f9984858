//! Runs scenario cases against a target and returns plain result data: a step that cannot
//! complete makes its checks `error`, never `pass`; a case whose target lacks a variable it
//! requires is `skip` with the reason; a check whose `when` does not hold is `skip` as not
//! applicable. Every check result names the step it belongs to.

use std::collections::BTreeMap;
use std::time::Instant;

use futures_util::StreamExt;
use serde_json::Value;

use crate::check::{
    Assertion, Check, Lookup, Mismatch, Observed, Verdict, eval_assertion, eval_check, eval_query,
};
use crate::report::model::{CaseResult, CheckResult, Outcome, RunResult, StepResult};
use crate::requirements::{Catalogue, Severity};
use crate::scenario::model::{Case, Scenario, Step};
use crate::scenario::steps::{Sessions, StepError, execute};
use crate::scenario::vars::{Expansion, Vars, text_of};
use crate::target::access::Access;
use crate::transcript::leaks::CredentialScan;
use crate::transcript::redact::is_secret_name;

/// One case to run: a case, or one of its variants, with its variables.
struct Planned<'a> {
    scenario: &'a Scenario,
    case: &'a Case,
    name: String,
    vars: Vars,
    /// Placeholders a variant left unexpanded: the variant is skipped, never sent.
    unresolved: Vec<String>,
}

/// Every case of `scenarios`, variants expanded, in suite order.
fn plan<'a>(scenarios: &'a [Scenario], vars: &Vars) -> Vec<Planned<'a>> {
    let mut runs = Vec::new();
    for scenario in scenarios {
        for case in &scenario.cases {
            let planned = |name: String, vars: Vars, unresolved: Vec<String>| Planned {
                scenario,
                case,
                name,
                vars,
                unresolved,
            };
            if case.variants.is_empty() {
                runs.push(planned(case.name.clone(), vars.clone(), Vec::new()));
            }
            for variant in &case.variants {
                let label = variant.get("name").map_or("?", String::as_str);
                // A variant built from a variable the target lacks (a default-port mutation
                // of a URI that has a port) is skipped, never sent with `{name}` in it.
                let with = vars.with(variant);
                let unresolved = variant.values().flat_map(|v| unresolved(&with.expand(v)));
                let unresolved = unresolved.collect();
                runs.push(planned(format!("{}: {label}", case.name), with, unresolved));
            }
        }
    }
    runs
}

/// The planned cases in runs that may go at once: an exclusive case is a batch of its own.
fn batches<'p, 'a>(planned: &'p [Planned<'a>]) -> Vec<&'p [Planned<'a>]> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, p) in planned.iter().enumerate() {
        if p.case.exclusive {
            out.push(&planned[start..i]);
            out.push(&planned[i..=i]);
            start = i + 1;
        }
    }
    out.push(&planned[start..]);
    out.retain(|b| !b.is_empty());
    out
}

/// When a run closes with the credential audit (`scenario::audit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialAudit {
    /// Always: the whole suite ran, so a pass says something about the whole target.
    Always,
    /// Only when a response carried a credential: a filtered run keeps its selected cases,
    /// but a leak it met is never dropped.
    OnLeak,
}

/// Runs every case of `scenarios` under `access` (HTTP policy, login driver, concurrency):
/// each case in its own sessions, the results in suite order whatever the finishing order,
/// closed by the credential audit as `audit` says.
pub async fn run(
    access: &Access,
    target: &str,
    scenarios: &[Scenario],
    catalogue: &Catalogue,
    vars: &Vars,
    audit: CredentialAudit,
    progress: &mut (dyn FnMut(&CaseResult) + Send),
) -> RunResult {
    let started = Instant::now();
    let deadline = access.deadline.map(|d| tokio::time::Instant::now() + d);
    let planned = plan(scenarios, vars);
    let scan = vars.credential_scan();
    let mut cases = Vec::with_capacity(planned.len() + 1);
    for batch in batches(&planned) {
        // `buffered` runs up to `jobs` cases at once and yields them in suite order. (The
        // futures are collected first: a closure in the stream's type trips the `Send`
        // proof of callers that spawn this.)
        let futures: Vec<_> = batch
            .iter()
            .map(|p| within_deadline(deadline, access, p, catalogue, &scan))
            .collect();
        let mut results = futures_util::stream::iter(futures).buffered(access.concurrency());
        while let Some(result) = results.next().await {
            progress(&result);
            cases.push(result);
        }
    }
    let closing = crate::scenario::audit::credential_audit(&cases, &scan, catalogue);
    if audit == CredentialAudit::Always || closing.outcome == Outcome::Fail {
        progress(&closing);
        cases.push(closing);
    }
    RunResult {
        target: target.to_string(),
        duration_ms: started.elapsed().as_millis() as u64,
        cases,
    }
}

/// What queries of a case can look up: its variables and the steps with an `id` so far.
struct CaseLookup<'a> {
    vars: &'a Vars,
    steps: &'a BTreeMap<String, Observed>,
}

impl Lookup for CaseLookup<'_> {
    fn var(&self, name: &str) -> Option<Value> {
        self.vars.get(name).cloned()
    }
    fn step(&self, id: &str) -> Option<&Observed> {
        self.steps.get(id)
    }
}

/// Runs the case unless the run's deadline has passed, and stops it when the deadline
/// passes: its checks are then `error` (the harness could not do them), never judged.
async fn within_deadline(
    deadline: Option<tokio::time::Instant>,
    access: &Access,
    planned: &Planned<'_>,
    catalogue: &Catalogue,
    scan: &CredentialScan,
) -> CaseResult {
    let Some(deadline) = deadline else {
        return run_case(access, planned, catalogue, scan).await;
    };
    let why = |what: &str| format!("{what}: the run's deadline passed (--deadline)");
    if tokio::time::Instant::now() >= deadline {
        return unjudged(planned, catalogue, Outcome::Error, why("not run"));
    }
    match tokio::time::timeout_at(deadline, run_case(access, planned, catalogue, scan)).await {
        Ok(result) => result,
        Err(_) => unjudged(
            planned,
            catalogue,
            Outcome::Error,
            why("stopped unfinished"),
        ),
    }
}

/// A case none of whose checks was judged, each `outcome` with `reason`.
fn unjudged(
    planned: &Planned<'_>,
    catalogue: &Catalogue,
    outcome: Outcome,
    reason: String,
) -> CaseResult {
    let mut result = new_result(planned);
    for (i, step) in planned.case.steps.iter().enumerate() {
        for check in &step.checks {
            let judged = Judged::new(outcome, Some(reason.clone()));
            result
                .checks
                .push(check_result(i, step, check, catalogue, judged));
        }
    }
    result.outcome = outcome;
    result.reason = Some(reason);
    result
}

fn new_result(planned: &Planned<'_>) -> CaseResult {
    CaseResult {
        family: planned.scenario.family.clone(),
        scenario: planned.scenario.name.clone(),
        name: planned.name.clone(),
        outcome: Outcome::Pass,
        reason: None,
        duration_ms: 0,
        checks: Vec::new(),
        steps: Vec::new(),
    }
}

async fn run_case(
    access: &Access,
    planned: &Planned<'_>,
    catalogue: &Catalogue,
    scan: &CredentialScan,
) -> CaseResult {
    let started = Instant::now();
    let case = planned.case;
    let mut result = new_result(planned);
    let mut vars = planned.vars.clone();
    let missing: Vec<&str> = case
        .requires
        .iter()
        .map(String::as_str)
        .filter(|v| vars.get(v).is_none())
        .chain(planned.unresolved.iter().map(String::as_str))
        .collect();
    if !missing.is_empty() {
        let reason = format!("the target does not provide {}", missing.join(", "));
        return unjudged(planned, catalogue, Outcome::Skip, reason);
    }
    let mut redactor = vars.redactor();
    let mut sessions = Sessions::default();
    let mut history: BTreeMap<String, Observed> = BTreeMap::new();
    let mut last_seen: Option<Observed> = None;
    for (i, step) in case.steps.iter().enumerate() {
        let step_started = Instant::now();
        let lookup = CaseLookup {
            vars: &vars,
            steps: &history,
        };
        if let Err(why) = step_applies(step, last_seen.as_ref(), &lookup) {
            // The reason quotes the condition with its variables expanded: never a secret.
            let why = redactor.text(&why);
            // Not sent: an empty entry keeps the report's step numbers aligned.
            result.steps.push(StepResult {
                name: step.to_string(),
                duration_ms: 0,
                exchanges: Vec::new(),
                exchanges_omitted: 0,
            });
            let judged = Judged {
                not_applicable: true,
                ..Judged::new(Outcome::Skip, Some(why))
            };
            skip_checks(&mut result, i, step, catalogue, &judged);
            continue;
        }
        let session = match sessions.get(step.session.as_deref().unwrap_or(""), access, &redactor) {
            Ok(s) => s,
            Err(e) => {
                result.outcome = Outcome::Error;
                result.reason = Some(e.to_string());
                break;
            }
        };
        // The session learns the case's secrets so far, and the case those it met.
        session.http.redactor = redactor.clone();
        session.http.credentials = scan.clone();
        let mut seen = execute(session, &step.action, &vars, access).await;
        // A value the target did not give: its own checks are judged (they say what was
        // seen), and the steps that needed it are blocked, not errors.
        let mut blocked = None;
        if let Ok(observed) = &seen {
            let lookup = CaseLookup {
                vars: &vars,
                steps: &history,
            };
            match captures(step, observed, &lookup) {
                Ok(values) => {
                    for (name, value) in values {
                        if is_secret_name(&name) {
                            session.http.redactor.add(&text_of(&value));
                        }
                        vars.set(&name, value);
                    }
                }
                // A 5xx answer is the target failing to serve, not a deviation (the busy
                // sandbox): the harness could not do the step.
                Err(e) if observed.status >= 500 => seen = Err(e),
                Err(e) => blocked = Some(format!("blocked: step {} ({step}): {e}", i + 1)),
            }
        }
        redactor = session.http.redactor.clone();
        let (exchanges, exchanges_omitted) = session.http.take_transcript();
        result.steps.push(StepResult {
            name: step.to_string(),
            duration_ms: step_started.elapsed().as_millis() as u64,
            exchanges,
            exchanges_omitted,
        });
        let lookup = CaseLookup {
            vars: &vars,
            steps: &history,
        };
        for check in &step.checks {
            let mut judged = match &seen {
                Err(e) => Judged::new(Outcome::Error, Some(e.to_string())),
                Ok(seen) => judge(check, seen, &lookup, catalogue),
            };
            judged.detail = judged.detail.map(|d| redactor.text(&d));
            result
                .checks
                .push(check_result(i, step, check, catalogue, judged));
        }
        match seen {
            Err(e) => {
                result.reason = Some(redactor.text(&e.to_string()));
                break;
            }
            Ok(seen) => {
                if let Some(id) = &step.id {
                    history.insert(id.clone(), seen.clone());
                }
                last_seen = Some(seen);
            }
        }
        if let Some(reason) = blocked {
            let reason = redactor.text(&reason);
            let judged = Judged {
                blocked: true,
                ..Judged::new(Outcome::Skip, Some(reason.clone()))
            };
            for (j, later) in case.steps.iter().enumerate().skip(i + 1) {
                skip_checks(&mut result, j, later, catalogue, &judged);
            }
            result.reason = Some(reason);
            break;
        }
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    result.settle();
    result
}

/// The values of a step's captures; a missing one stops the case (later steps need it)
/// unless the capture is optional.
fn captures(
    step: &Step,
    seen: &Observed,
    lookup: &CaseLookup,
) -> Result<Vec<(String, Value)>, StepError> {
    let mut out = Vec::new();
    for (name, capture) in &step.captures {
        let failed = |detail: String| StepError::Capture {
            name: name.clone(),
            detail,
        };
        match eval_query(&capture.query, seen, lookup) {
            Ok(Some(v)) if !v.is_null() => out.push((name.clone(), v)),
            _ if capture.optional => {}
            Ok(_) => {
                let detail = format!("nothing at {} (status {})", capture.query, seen.status);
                return Err(failed(detail));
            }
            Err(e) => return Err(failed(e.to_string())),
        }
    }
    Ok(out)
}

/// Records every check of step `i` as `judged` (a skip: not applicable, or blocked).
fn skip_checks(
    result: &mut CaseResult,
    i: usize,
    step: &Step,
    catalogue: &Catalogue,
    judged: &Judged,
) {
    for check in &step.checks {
        let judged = judged.clone();
        result
            .checks
            .push(check_result(i, step, check, catalogue, judged));
    }
}

/// Whether a step's `when` holds on what the step before it saw (variables expanded); the
/// reason it does not, to record on its checks.
fn step_applies(step: &Step, last: Option<&Observed>, lookup: &CaseLookup) -> Result<(), String> {
    if step.when.is_empty() {
        return Ok(());
    }
    let Some(last) = last else {
        return Err("not applicable: a step `when` needs a step before it".into());
    };
    for condition in &step.when {
        let table = Value::Object(condition.to_table());
        let expanded = lookup.vars.expand_value(&table, Expansion::Typed);
        let condition = match expanded {
            Value::Object(mut t) => Assertion::from_table(&mut t, &[]),
            _ => Err("a condition is a table".into()),
        }
        .map_err(|e| format!("not applicable: step condition: {e}"))?;
        if let Err(Mismatch(detail)) = eval_assertion(&condition, last, lookup) {
            return Err(format!("not applicable: step {condition} ({detail})"));
        }
    }
    Ok(())
}

/// A check's outcome before it is tied to its step.
#[derive(Clone)]
struct Judged {
    outcome: Outcome,
    detail: Option<String>,
    not_applicable: bool,
    blocked: bool,
}

impl Judged {
    fn new(outcome: Outcome, detail: Option<String>) -> Judged {
        Judged {
            outcome,
            detail,
            not_applicable: false,
            blocked: false,
        }
    }
}

/// A check judged on what its step saw, variables expanded in its values.
fn judge(check: &Check, seen: &Observed, lookup: &CaseLookup, catalogue: &Catalogue) -> Judged {
    let expanded = Check::from_json(lookup.vars.expand_value(&check.to_json(), Expansion::Typed));
    let check = match expanded {
        Ok(c) => c,
        Err(e) => {
            let detail = format!("after expanding variables: {e}");
            return Judged::new(Outcome::Error, Some(detail));
        }
    };
    match eval_check(&check, seen, lookup) {
        Verdict::Holds => Judged::new(Outcome::Pass, None),
        Verdict::NotApplicable(why) => Judged {
            not_applicable: true,
            ..Judged::new(Outcome::Skip, Some(why))
        },
        Verdict::Fails(detail) => {
            let severity = catalogue
                .get(&check.requirement)
                .map_or(Severity::Required, |r| r.severity);
            Judged::new(Outcome::of_violation(severity), Some(detail))
        }
    }
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

/// A check's result, tied to its step (`index` from 0); an unknown requirement is an error
/// whatever was seen.
fn check_result(
    index: usize,
    step: &Step,
    check: &Check,
    catalogue: &Catalogue,
    Judged {
        outcome,
        detail,
        not_applicable,
        blocked,
    }: Judged,
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
        description: format!("{step} → {check}"),
        outcome,
        detail,
        step: index + 1,
        not_applicable,
        blocked,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exclusive_case_runs_in_a_batch_of_its_own() {
        let text = |exclusive: &str| {
            format!("[[case]]\nname = \"x\"\n{exclusive}[[case.step]]\nrequest = \"GET u\"\n")
        };
        let file = format!(
            "family = \"f\"\nname = \"n\"\n{}{}{}{}",
            text(""),
            text(""),
            text("exclusive = true\n"),
            text("")
        );
        let scenarios = [Scenario::parse(&file, "t.toml").unwrap()];
        let planned = plan(&scenarios, &Vars::default());
        let sizes: Vec<usize> = batches(&planned).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [2, 1, 1]);
    }

    #[test]
    fn unresolved_placeholders() {
        assert_eq!(super::unresolved("https://a/{x_1}?{y}&{x_1}"), ["x_1", "y"]);
        assert!(super::unresolved("{\"grant_type\":\"x\"} {} {Upper}").is_empty());
    }
}
