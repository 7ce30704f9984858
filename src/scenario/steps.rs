//! Runs one step: builds its request from the variables, sends it through the session (or
//! runs its flow: login, walk, id_token inspection) and returns what the checks see.

use crate::check::Observed;
use crate::http::{Fetched, Session};
use crate::scenario::model::Step;
use crate::scenario::vars::Vars;
use crate::target::access::LoginDriver;

/// Runs `step`, signing members in with `driver`; `Err` when it could not complete (its
/// checks are then `error`).
pub async fn execute(
    session: &mut Session,
    step: &Step,
    vars: &Vars,
    driver: &LoginDriver,
) -> Result<Observed, String> {
    let (method, template) = step.target()?;
    let url = step_url(template, step, vars)?;
    if step.login {
        login(session, &url, step, vars, driver).await
    } else if step.walk {
        walk(session, &url, step, vars).await
    } else if let Some(token) = &step.id_token {
        id_token(session, url, &vars.expand(token)).await
    } else {
        send(session, method, url, step, vars).await.map(observed)
    }
}

fn observed(f: Fetched) -> Observed {
    Observed {
        status: f.status,
        json: f.json(),
        headers: f.headers,
    }
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
    session: &mut Session,
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
        crate::flow::everything::walk(session, url, &bearer, &patient, step.max_pages).await?;
    Ok(summary_observed(summary))
}

/// GETs the JWKS at `url` and inspects `token` against it.
async fn id_token(session: &mut Session, url: url::Url, token: &str) -> Result<Observed, String> {
    let jwks = session.fetch(session.client().get(url)).await?;
    let keys = jwks
        .json()
        .ok_or_else(|| format!("the JWKS is not JSON (status {})", jwks.status))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(summary_observed(crate::flow::id_token::inspect(
        token, &keys, now,
    )))
}

fn summary_observed(summary: serde_json::Value) -> Observed {
    Observed {
        status: 200,
        headers: Default::default(),
        json: Some(summary),
    }
}

/// Runs the login driver from `url` to the client's redirect; checks see a 302 whose
/// `Location` is that redirect (it is never fetched). When the server refuses the
/// credentials (shows the form again) checks see a 200 with
/// `{"credentials_refused": true, "page": "..."}` and no `Location`.
async fn login(
    session: &mut Session,
    url: &url::Url,
    step: &Step,
    vars: &Vars,
    driver: &LoginDriver,
) -> Result<Observed, String> {
    use crate::flow::login_form::Credentials;
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
    let denying;
    let driver = match (step.deny_consent, driver) {
        (false, d) => d,
        (true, LoginDriver::Form(form)) => {
            let mut form = form.clone();
            form.approve.1 = "deny".into();
            denying = LoginDriver::Form(form);
            &denying
        }
        (true, _) => return Err("denying consent needs the form login driver".into()),
    };
    let end =
        match crate::flow::sign_in(driver, session, url.as_str(), &redirect_uri, &member).await {
            Ok(end) => end,
            Err(e) if e.credentials_refused => {
                return Ok(summary_observed(serde_json::json!({
                    "credentials_refused": true,
                    "page": e.message,
                })));
            }
            Err(e) => return Err(e.to_string()),
        };
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

/// Sends the step's request.
async fn send(
    session: &mut Session,
    method: &str,
    url: url::Url,
    step: &Step,
    vars: &Vars,
) -> Result<Fetched, String> {
    let client = session.client();
    let mut req = match method {
        "POST" | "PUT" => {
            let req = if method == "PUT" {
                client.put(url)
            } else {
                client.post(url)
            };
            match &step.body {
                Some(body) => {
                    let content_type = step.content_type.as_deref().unwrap_or("text/plain");
                    req.header(reqwest::header::CONTENT_TYPE, vars.expand(content_type))
                        .body(vars.expand(body))
                }
                None => {
                    let form: Vec<(String, String)> = step
                        .form
                        .iter()
                        .map(|(k, v)| (k.clone(), vars.expand(v)))
                        .collect();
                    req.form(&form)
                }
            }
        }
        "DELETE" => client.delete(url),
        _ => client.get(url),
    };
    if let Some((user, password)) = &step.basic {
        req = req.basic_auth(vars.expand(user), Some(vars.expand(password)));
    }
    for (name, value) in &step.headers {
        req = req.header(name.as_str(), vars.expand(value));
    }
    if let Some(token) = &step.bearer {
        // An empty token means "send no Authorization header" (the no-token variants).
        let token = vars.expand(token);
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
    }
    session.fetch(req).await
}
