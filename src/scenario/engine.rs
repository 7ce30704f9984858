//! Runs scenario cases against a target and returns plain result data: a step that cannot
//! complete makes its checks `error`, never `pass`.

use std::time::{Duration, Instant};

use crate::check::{Observed, evaluate};
use crate::report::model::{CaseResult, CheckResult, Outcome, RunResult};
use crate::requirements::{Catalogue, Severity};
use crate::scenario::model::{Case, Expect, Scenario, Step};

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

    /// These variables with a variant's on top (a variant's `{x}` may use the target's).
    fn with(&self, variant: &std::collections::BTreeMap<String, String>) -> Vars {
        let mut all = self.0.clone();
        for (k, v) in variant {
            let v = self.expand(v);
            all.retain(|(name, _)| name != k);
            all.insert(0, (k.clone(), v));
        }
        Vars(all)
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
            if case.variants.is_empty() {
                cases.push(run_case(s, case, &case.name, catalogue, vars).await);
            }
            for variant in &case.variants {
                let label = variant.get("name").map_or("?", String::as_str);
                let name = format!("{}: {label}", case.name);
                cases.push(run_case(s, case, &name, catalogue, &vars.with(variant)).await);
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
    s: &Scenario,
    case: &Case,
    name: &str,
    catalogue: &Catalogue,
    vars: &Vars,
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
    };
    let client = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build();
    let mut vars = vars.clone();
    for step in &case.steps {
        let (method, template) = step.target().unwrap_or(("GET", ""));
        let url = step_url(template, step, &vars);
        let mut seen = match (&client, url) {
            (Err(e), _) => Err(format!("cannot build an HTTP client: {e}")),
            (_, Err(e)) => Err(e),
            (Ok(c), Ok(url)) if step.login => login(c, &url, &vars).await,
            (Ok(c), Ok(url)) if step.walk => walk(c, &url, step, &vars).await,
            (Ok(c), Ok(url)) => send(c, method, url, step, &vars).await,
        };
        if let Ok(observed) = &seen
            && let Err(e) = capture(step, observed, &mut vars)
        {
            seen = Err(e);
        }
        let vars = &vars;
        for check in &step.checks {
            let (severity, outcome, detail) = match (catalogue.get(&check.requirement), &seen) {
                (None, _) => (
                    Severity::Required,
                    Outcome::Error,
                    Some(format!("unknown requirement {}", check.requirement)),
                ),
                (Some(r), Err(e)) => (r.severity, Outcome::Error, Some(e.clone())),
                (Some(r), Ok(seen)) => match evaluate(&expand_expect(&check.expect, vars), seen) {
                    Ok(()) => (r.severity, Outcome::Pass, None),
                    Err(d) => (r.severity, Outcome::of_violation(r.severity), Some(d)),
                },
            };
            result.checks.push(CheckResult {
                requirement: check.requirement.clone(),
                severity,
                description: format!("{method} {template}: {:?}", check.expect),
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

/// An expectation with `{var}` expanded in its text values.
fn expand_expect(e: &Expect, vars: &Vars) -> Expect {
    match e.clone() {
        Expect::LocationStartsWith { prefix } => Expect::LocationStartsWith {
            prefix: vars.expand(&prefix),
        },
        Expect::LocationParam { name, value } => Expect::LocationParam {
            name,
            value: vars.expand(&value),
        },
        Expect::JsonEquals {
            pointer,
            value: serde_json::Value::String(text),
        } => Expect::JsonEquals {
            pointer,
            value: serde_json::Value::String(vars.expand(&text)),
        },
        Expect::HeaderStartsWith { name, prefix } => Expect::HeaderStartsWith {
            name,
            prefix: vars.expand(&prefix),
        },
        other => other,
    }
}

/// Stores the step's captures in `vars`; a missing value is an error (later steps need it).
fn capture(step: &Step, seen: &Observed, vars: &mut Vars) -> Result<(), String> {
    for (name, source) in &step.capture {
        let value = if let Some(pointer) = source.strip_prefix("json:") {
            seen.json
                .as_ref()
                .and_then(|j| j.pointer(pointer))
                .and_then(|v| match v {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Null => None,
                    other => Some(other.to_string()),
                })
        } else if let Some(param) = source.strip_prefix("location:") {
            seen.headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url::Url::parse(l).ok())
                .and_then(|u| {
                    u.query_pairs()
                        .find(|(n, _)| n == param)
                        .map(|(_, v)| v.into_owned())
                })
        } else {
            return Err(format!(
                "capture `{name}`: source must start with json: or location:"
            ));
        };
        let value = value.ok_or_else(|| {
            format!(
                "capture `{name}`: nothing at {source} (status {})",
                seen.status
            )
        })?;
        vars.0.retain(|(n, _)| n != name);
        vars.0.insert(0, (name.clone(), value));
    }
    Ok(())
}

/// The step's URL with its query parameters, variables expanded.
fn step_url(template: &str, step: &Step, vars: &Vars) -> Result<url::Url, String> {
    let raw = vars.expand(template);
    let mut url = url::Url::parse(&raw).map_err(|e| format!("bad step URL {raw}: {e}"))?;
    if !step.query.is_empty() {
        let pairs: Vec<(String, String)> = step
            .query
            .iter()
            .map(|(k, v)| (k.clone(), vars.expand(v)))
            .collect();
        url.query_pairs_mut().extend_pairs(pairs);
    }
    Ok(url)
}

/// Walks `$everything` from `url`; the summary is the JSON the checks see.
async fn walk(
    client: &reqwest::Client,
    url: &url::Url,
    step: &Step,
    vars: &Vars,
) -> Result<Observed, String> {
    let bearer = step
        .bearer
        .as_deref()
        .map(|b| vars.expand(b))
        .unwrap_or_default();
    let patient = vars.expand("{patient_id}");
    let summary =
        crate::flow::everything::walk(client, url, &bearer, &patient, step.max_pages).await?;
    Ok(Observed {
        status: 200,
        headers: Default::default(),
        json: Some(summary),
    })
}

/// Runs the form login driver from `url` to the client's redirect; checks see a 302 whose
/// `Location` is that redirect (it is never fetched).
async fn login(client: &reqwest::Client, url: &url::Url, vars: &Vars) -> Result<Observed, String> {
    use crate::flow::login_form::{Credentials, FormLoginSettings, login};
    let redirect_uri = url
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .ok_or("a login step needs a redirect_uri parameter")?;
    let (username, password) = (vars.expand("{username}"), vars.expand("{password}"));
    let member = Credentials {
        username: &username,
        password: &password,
    };
    let settings = FormLoginSettings::default();
    let end = login(client, url.as_str(), &redirect_uri, &member, &settings)
        .await
        .map_err(|e| e.to_string())?;
    let mut headers = reqwest::header::HeaderMap::new();
    let location = reqwest::header::HeaderValue::from_str(end.as_str())
        .map_err(|_| "unusable redirect URL")?;
    headers.insert(reqwest::header::LOCATION, location);
    Ok(Observed {
        status: 302,
        headers,
        json: None,
    })
}

/// Sends the step's request and keeps what checks need; the body is bounded.
async fn send(
    client: &reqwest::Client,
    method: &str,
    url: url::Url,
    step: &Step,
    vars: &Vars,
) -> Result<Observed, String> {
    let mut req = if method == "POST" {
        let form: Vec<(String, String)> = step
            .form
            .iter()
            .map(|(k, v)| (k.clone(), vars.expand(v)))
            .collect();
        client.post(url).form(&form)
    } else {
        client.get(url)
    };
    if let Some((user, password)) = &step.basic {
        req = req.basic_auth(vars.expand(user), Some(vars.expand(password)));
    }
    if let Some(token) = &step.bearer {
        // An empty token means "send no Authorization header" (the no-token variants).
        let token = vars.expand(token);
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
    }
    let mut res = req
        .send()
        .await
        .map_err(|e| format!("{method} failed: {}", e.without_url()))?;
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
