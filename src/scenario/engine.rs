//! Runs scenario cases against a target and returns plain result data: a step that cannot
//! complete makes its checks `error`, never `pass`.

use std::time::{Duration, Instant};

use crate::check::{Observed, evaluate};
use crate::report::model::{CaseResult, CheckResult, Outcome, RunResult};
use crate::requirements::{Catalogue, Severity};
use crate::scenario::model::{Case, Scenario};

/// Timeout of every request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest body read from a target.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// The target's URLs, substituted for `{name}` in step URLs.
#[derive(Debug, Clone, Default)]
pub struct Vars(pub Vec<(String, String)>);

impl Vars {
    fn expand(&self, template: &str) -> String {
        self.0.iter().fold(template.to_string(), |t, (k, v)| {
            t.replace(&format!("{{{k}}}"), v)
        })
    }
}

/// Runs every case of `scenarios`.
pub async fn run(
    target: &str,
    scenarios: &[Scenario],
    catalogue: &Catalogue,
    vars: &Vars,
) -> RunResult {
    let started = Instant::now();
    let mut cases = Vec::new();
    for s in scenarios {
        for case in &s.cases {
            cases.push(run_case(s, case, catalogue, vars).await);
        }
    }
    RunResult {
        target: target.to_string(),
        duration_ms: started.elapsed().as_millis() as u64,
        cases,
    }
}

async fn run_case(s: &Scenario, case: &Case, catalogue: &Catalogue, vars: &Vars) -> CaseResult {
    let started = Instant::now();
    let mut result = CaseResult {
        family: s.family.clone(),
        scenario: s.name.clone(),
        name: case.name.clone(),
        outcome: Outcome::Pass,
        reason: None,
        duration_ms: 0,
        checks: Vec::new(),
    };
    let client = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build();
    for step in &case.steps {
        let url = vars.expand(&step.get);
        let seen = match &client {
            Ok(c) => fetch(c, &url).await,
            Err(e) => Err(format!("cannot build an HTTP client: {e}")),
        };
        for check in &step.checks {
            let (severity, outcome, detail) = match (catalogue.get(&check.requirement), &seen) {
                (None, _) => (
                    Severity::Required,
                    Outcome::Error,
                    Some(format!("unknown requirement {}", check.requirement)),
                ),
                (Some(r), Err(e)) => (r.severity, Outcome::Error, Some(e.clone())),
                (Some(r), Ok(seen)) => match evaluate(&check.expect, seen) {
                    Ok(()) => (r.severity, Outcome::Pass, None),
                    Err(d) => (r.severity, Outcome::of_violation(r.severity), Some(d)),
                },
            };
            result.checks.push(CheckResult {
                requirement: check.requirement.clone(),
                severity,
                description: format!("GET {}: {:?}", step.get, check.expect),
                outcome,
                detail,
            });
        }
        if let Err(e) = seen {
            result.reason = Some(e);
            break;
        }
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    result.settle();
    result
}

/// GETs `url` and keeps what checks need; the body is bounded.
async fn fetch(client: &reqwest::Client, url: &str) -> Result<Observed, String> {
    let mut res = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("GET failed: {}", e.without_url()))?;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| format!("reading the body failed: {}", e.without_url()))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!("body larger than {MAX_BODY} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Observed {
        status,
        headers,
        json: serde_json::from_slice(&body).ok(),
    })
}
