//! Hostile input: random, malformed, duplicated and oversized parameters on every endpoint
//! get a 4xx (or a normal answer), never a 5xx and never a dropped connection.

mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, TestCaseError, TestRunner};
use support::*;

/// A parameter name likely to matter, or noise.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("response_type".to_string()),
        Just("client_id".to_string()),
        Just("redirect_uri".to_string()),
        Just("scope".to_string()),
        Just("state".to_string()),
        Just("code_challenge".to_string()),
        Just("code_challenge_method".to_string()),
        Just("grant_type".to_string()),
        Just("code".to_string()),
        Just("code_verifier".to_string()),
        Just("refresh_token".to_string()),
        Just("token".to_string()),
        Just("tx".to_string()),
        Just("_count".to_string()),
        Just("_type".to_string()),
        Just("_since".to_string()),
        Just("_offset".to_string()),
        Just("_lastUpdated".to_string()),
        Just("start".to_string()),
        Just("end".to_string()),
        "\\PC{0,12}",
    ]
}

/// A value likely to matter, or noise (including huge ones).
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("code".to_string()),
        Just(PA_CLIENT.to_string()),
        Just(PD_CLIENT.to_string()),
        Just(REDIRECT.to_string()),
        Just(SCOPE.to_string()),
        Just("authorization_code".to_string()),
        Just("client_credentials".to_string()),
        Just("refresh_token".to_string()),
        Just("S256".to_string()),
        Just("-1".to_string()),
        Just("99999999999999999999".to_string()),
        "(ge|lt)?[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\PC{0,7}",
        "\\PC{0,40}",
        "[a-z%&=+]{0,3000}",
    ]
}

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((name(), value()), 0..12)
}

fn encode(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn check(res: reqwest::Result<reqwest::Response>, what: &str) -> Result<(), TestCaseError> {
    let res = res.map_err(|e| TestCaseError::fail(format!("{what}: no answer: {e}")))?;
    prop_assert!(res.status().as_u16() < 500, "{}: {}", what, res.status());
    Ok(())
}

#[test]
fn no_endpoint_answers_5xx_to_random_parameters() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(server());
    let token = rt.block_on(member_tokens(&s, MEMBER1))["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = rt.block_on(directory_token(&s))["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let http = http();
    let urls = s.state.urls.clone();
    let mut runner = TestRunner::new(PropConfig {
        cases: 48,
        ..PropConfig::default()
    });
    let strategy = (
        params(),
        params(),
        prop::option::of("[ -~]{0,80}"),
        "[A-Za-z0-9$._/-]{0,40}",
    );
    runner
        .run(&strategy, |(query, form, auth, path)| {
            rt.block_on(async {
                let q = encode(&query);
                let body = encode(&form);
                check(
                    http.get(format!("{}?{q}", urls.authorize)).send().await,
                    "authorize",
                )?;
                for endpoint in [&urls.token, &urls.introspect, &urls.revoke] {
                    let mut req = http
                        .post(endpoint.as_str())
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(body.clone());
                    if let Some(a) = &auth {
                        req = req.header("authorization", a.as_str());
                    } else {
                        req = req.basic_auth(PA_CLIENT, Some(PA_SECRET));
                    }
                    check(req.send().await, endpoint)?;
                }
                for endpoint in ["login", "consent"] {
                    let req = http
                        .post(format!("{}/{endpoint}", urls.issuer))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(body.clone());
                    check(req.send().await, endpoint)?;
                }
                for (base, t) in [
                    (&urls.patient_access, &token),
                    (&urls.provider_directory, &dir),
                ] {
                    let url = format!("{base}/{path}?{q}");
                    check(http.get(&url).bearer_auth(t).send().await, &url)?;
                    let url = format!("{base}/Patient/{}/$everything?{q}", MEMBER1.2);
                    check(http.get(&url).bearer_auth(t).send().await, &url)?;
                }
                let url = format!("{}/Observation?{q}", urls.patient_access);
                if let Some(a) = &auth {
                    check(
                        http.get(&url)
                            .header("authorization", a.as_str())
                            .send()
                            .await,
                        "gateway",
                    )?;
                }
                Ok(())
            })
        })
        .unwrap();
    rt.block_on(s.shutdown());
}

#[tokio::test]
async fn oversized_bodies_queries_and_headers_get_4xx() {
    let s = server().await;
    let huge = "a".repeat(200 * 1024);
    let res = http()
        .post(&s.state.urls.token)
        .basic_auth(PA_CLIENT, Some(PA_SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=client_credentials&scope={huge}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    // Still the token endpoint's own error format.
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["error"], "invalid_request");
    let res = http()
        .get(format!(
            "{}?state={}",
            s.state.urls.authorize,
            &huge[..20_000]
        ))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = http()
        .get(format!("{}/Patient", s.state.urls.patient_access))
        .bearer_auth(&huge[..8000])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = http()
        .get(&s.state.urls.root)
        .header("x-big", huge.as_str())
        .send()
        .await;
    if let Ok(r) = res {
        assert!(r.status().is_client_error(), "{}", r.status());
    }
    s.shutdown().await;
}
