//! The engine against the bundled server: the built-in suite passes with its exact check
//! count, a violated rule fails (or warns), and an unreachable target is an error, never a pass.

mod common;

use smartcheck::report::model::Outcome;
use smartcheck::requirements::Catalogue;
use smartcheck::scenario::builtin;
use smartcheck::scenario::engine::{CredentialAudit, run};
use smartcheck::scenario::model::Scenario;
use smartcheck::scenario::vars::Vars;

fn vars(server: &reference_server::RunningServer) -> Vars {
    smartcheck::target::reference::vars(&server.state)
}

#[tokio::test]
async fn the_builtin_suite_passes_every_check_with_the_expected_counts() {
    let s = reference_server::start(smartcheck::target::reference::bundled_config())
        .await
        .unwrap();
    let vars = vars(&s);
    let result = run(
        &smartcheck::target::reference::access(),
        "reference",
        &builtin().unwrap(),
        &Catalogue::builtin().unwrap(),
        &vars,
        CredentialAudit::Always,
        &mut |_| {},
    )
    .await;
    let count = |family: &str| {
        let cases: Vec<_> = result.cases.iter().filter(|c| c.family == family).collect();
        (
            cases.len(),
            cases.iter().map(|c| c.checks.len()).sum::<usize>(),
        )
    };
    // (cases, checks) per family: a check that silently disappears fails here.
    assert_eq!(count("discovery"), (6, 56));
    assert_eq!(count("redirect-uri"), (29, 61));
    assert_eq!(count("scopes"), (15, 70));
    assert_eq!(count("plan-claims"), (16, 65));
    assert_eq!(count("token-errors"), (16, 41));
    assert_eq!(count("client-assertion"), (3, 20));
    assert_eq!(count("id-token"), (4, 34));
    assert_eq!(count("refresh"), (6, 24));
    assert_eq!(count("revocation"), (8, 33));
    assert_eq!(count("compartment"), (8, 34));
    assert_eq!(count("everything"), (9, 43));
    assert_eq!(count("data-paths"), (25, 131));
    assert_eq!(count("search-filters"), (12, 12));
    assert_eq!(count("input"), (11, 20));
    assert_eq!(count("app-id"), (11, 22));
    assert_eq!(count("patient-keys"), (3, 15));
    assert_eq!(count("portal"), (9, 42));
    assert_eq!(count("credential-audit"), (1, 10));
    assert_eq!(result.cases.len(), 192);
    // Every requirement in the catalogue is checked at least once.
    let catalogue = Catalogue::builtin().unwrap();
    for r in &catalogue.requirements {
        assert!(
            result
                .cases
                .iter()
                .flat_map(|c| &c.checks)
                .any(|k| k.requirement == r.id),
            "{} has no check",
            r.id
        );
    }
    // Secrets never reach the results: known ones by value, codes and tokens by name.
    let json = smartcheck::report::json::write_json(&result).unwrap();
    let portal_secrets =
        ["portal_client_secret", "portal_client2_secret"].map(|v| vars.text(v).unwrap());
    for secret in ["hpTest11", "pa-demo-secret-7f3c", "pd-demo-secret-4e2d"]
        .into_iter()
        .chain(portal_secrets.iter().map(String::as_str))
    {
        assert!(!json.contains(secret), "{secret} in results.json");
    }
    // Secrets the portal issued during the run (JSON members named client_secret; 9 today).
    let issued = json
        .match_indices(r#"\"client_secret\":"#)
        .collect::<Vec<_>>();
    assert!(
        issued.len() >= 5,
        "the portal cases' answers are in the transcripts"
    );
    for (at, _) in issued {
        let after = &json[at..];
        assert!(
            after.starts_with(r#"\"client_secret\":\"[redacted]"#),
            "{}",
            &after[..60.min(after.len())]
        );
    }
    let names = [
        "code=",
        r#"\"access_token\":"#,
        r#"\"refresh_token\":"#,
        r#"\"id_token\":"#,
    ];
    for name in names {
        for (at, _) in json.match_indices(name) {
            let after = &json[at + name.len()..];
            assert!(
                after.starts_with("%5Bredacted%5D") || after.starts_with(r#"\"[redacted]"#),
                "unredacted {name} in results.json: {}",
                &after[..after.len().min(40)]
            );
        }
    }
    assert_eq!(result.outcome(), Outcome::Pass, "{result:#?}");
    s.shutdown().await;
}

const BROKEN: &str = r#"
family = "discovery"
name = "broken"
[[case]]
name = "a required rule violated"
[[case.step]]
request = "GET {patient_access}/.well-known/smart-configuration"
[[case.step.check]]
requirement = "DISC-PKCE-S256"
query = "json /code_challenge_methods_supported"
contains = "plain"
[[case]]
name = "a recommended rule violated"
[[case.step]]
request = "GET {patient_access}/metadata"
[[case.step.check]]
requirement = "DISC-METADATA"
query = "status"
equals = 404
"#;

#[tokio::test]
async fn violations_fail_or_warn_by_severity() {
    let scenarios = [Scenario::parse(BROKEN, "broken.toml").unwrap()];
    let result = common::run_on_bundled(&scenarios, CredentialAudit::OnLeak).await;
    assert_eq!(result.cases[0].outcome, Outcome::Fail);
    assert!(
        result.cases[0].checks[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("[\"S256\"]")
    );
    assert_eq!(result.cases[1].outcome, Outcome::Warn);
    assert_eq!(result.outcome(), Outcome::Fail);
}

#[tokio::test]
async fn an_unreachable_target_is_an_error_never_a_pass() {
    let v = Vars::from(vec![(
        "patient_access".into(),
        "http://127.0.0.1:9/fhir".into(),
    )]);
    let result = run(
        &smartcheck::target::reference::access(),
        "down",
        &builtin().unwrap(),
        &Catalogue::builtin().unwrap(),
        &v,
        CredentialAudit::Always,
        &mut |_| {},
    )
    .await;
    let pa = &result.cases[0];
    assert_eq!(pa.outcome, Outcome::Error);
    assert!(pa.reason.as_deref().unwrap().starts_with("GET failed"));
    assert!(pa.checks.iter().all(|c| c.outcome == Outcome::Error));
    assert_eq!(result.outcome(), Outcome::Error);
}

#[tokio::test]
async fn cases_needing_what_the_target_lacks_are_skipped_not_passed() {
    let s = reference_server::start(smartcheck::target::reference::bundled_config())
        .await
        .unwrap();
    let only_bundled = [
        "expired_access_token",
        "expired_code",
        "record_size",
        "other_coverage_id",
    ];
    let mut v = vars(&s);
    v.0.retain(|(name, _)| !only_bundled.contains(&name.as_str()));
    let scenarios = builtin().unwrap();
    let result = run(
        &smartcheck::target::reference::access(),
        "reference",
        &scenarios,
        &Catalogue::builtin().unwrap(),
        &v,
        CredentialAudit::Always,
        &mut |_| {},
    )
    .await;
    let skipped: Vec<_> = result
        .cases
        .iter()
        .filter(|c| c.outcome == Outcome::Skip)
        .collect();
    assert_eq!(skipped.len(), 5, "{skipped:#?}");
    for c in &skipped {
        assert!(c.reason.as_deref().unwrap().contains("does not provide"));
        assert!(c.checks.iter().all(|k| k.outcome == Outcome::Skip));
        assert!(c.steps.is_empty(), "a skipped case sends nothing");
    }
    let tally = result.tally();
    assert_eq!((tally.skip, tally.pass), (5, result.cases.len() - 5));
    assert_eq!(result.outcome(), Outcome::Skip);
    s.shutdown().await;
}

/// Two members signed in interleaved, each in their own session: the first stops at consent
/// while the second signs in; each code reads its own member's Patient.
const INTERLEAVED: &str = r#"
family = "refresh"
name = "interleaved"
[[case]]
name = "two members interleaved"
[[case.step]]
login = "{authorize}"
session = "a"
decision = "later"
query = { response_type = "code", client_id = "{client_id}", redirect_uri = "{redirect_uri}", scope = "openid fhirUser launch/patient patient/*.rs", state = "a" }
[[case.step.check]]
requirement = "AUTHZ-CONSENT"
query = "login consent_pending"
equals = true
[[case.step]]
login = "{authorize}"
session = "b"
username = "{member2_username}"
password = "{member2_password}"
query = { response_type = "code", client_id = "{client_id}", redirect_uri = "{redirect_uri}", scope = "openid fhirUser launch/patient patient/*.rs", state = "b" }
capture = { code_b = "location_param code" }
[[case.step]]
consent = "approve"
session = "a"
capture = { code_a = "location_param code" }
[[case.step.check]]
requirement = "AUTHZ-PARAMS"
query = "location_param state"
equals = "a"
[[case.step]]
request = "POST {token}"
basic = ["{client_id}", "{client_secret}"]
form = { grant_type = "authorization_code", code = "{code_a}", redirect_uri = "{redirect_uri}" }
capture = { token_a = "json /access_token" }
[[case.step.check]]
requirement = "TOKEN-RESPONSE"
query = "json /patient"
equals = "{patient_id}"
[[case.step]]
request = "POST {token}"
basic = ["{client_id}", "{client_secret}"]
form = { grant_type = "authorization_code", code = "{code_b}", redirect_uri = "{redirect_uri}" }
[[case.step.check]]
requirement = "TOKEN-RESPONSE"
query = "json /patient"
equals = "{other_patient_id}"
[[case.step.check]]
requirement = "TOKEN-RESPONSE"
query = "json /patient"
not_equals = "{patient_id}"
"#;

/// A rule that binds only some answers, written as data: the old refresh token is refused
/// whenever the refresh issued a new one (`when` on an earlier step's answer).
const CONDITIONAL: &str = r#"
family = "refresh"
name = "conditional"
[[case]]
name = "old refresh token after rotation"
[[case.step]]
flow = "member-token"
[[case.step]]
request = "POST {token}"
id = "refreshed"
basic = ["{client_id}", "{client_secret}"]
form = { grant_type = "refresh_token", refresh_token = "{refresh_token}" }
[[case.step.check]]
requirement = "TOKEN-REFRESH"
query = "status"
equals = 200
[[case.step]]
request = "POST {token}"
basic = ["{client_id}", "{client_secret}"]
form = { grant_type = "refresh_token", refresh_token = "{refresh_token}" }
[[case.step.check]]
requirement = "TOKEN-REFRESH"
query = "json /error"
equals = "invalid_grant"
when = [
  { query = "step refreshed json /refresh_token", present = true },
  { query = "step refreshed json /refresh_token", not_equals = "{refresh_token}" },
]
[[case.step.check]]
requirement = "TOKEN-REFRESH"
query = "status"
equals = 200
when = { query = "step refreshed json /refresh_token", absent = true }
"#;

#[tokio::test]
async fn members_interleave_and_conditions_are_data() {
    let flows = smartcheck::scenario::parse::Flows::builtin().unwrap();
    let scenarios = [
        Scenario::parse(INTERLEAVED, "interleaved.toml").unwrap(),
        Scenario::parse_with(CONDITIONAL, "conditional.toml", &flows).unwrap(),
    ];
    let result = common::run_on_bundled(&scenarios, CredentialAudit::OnLeak).await;
    let interleaved = &result.cases[0];
    assert_eq!(interleaved.outcome, Outcome::Pass, "{interleaved:#?}");
    assert_eq!(interleaved.checks.len(), 5);
    // Each check names its step: the consent answer is step 3, the second exchange step 5.
    let steps: Vec<usize> = interleaved.checks.iter().map(|c| c.step).collect();
    assert_eq!(steps, [1, 3, 4, 5, 5]);
    let conditional = &result.cases[1];
    assert_eq!(conditional.outcome, Outcome::Pass, "{conditional:#?}");
    // At most one of the two conditional checks applies, whichever the server chose (it may
    // also issue the same refresh token again: then neither does).
    let applied: Vec<_> = conditional
        .checks
        .iter()
        .filter(|c| !c.not_applicable)
        .collect();
    assert!((1..=2).contains(&applied.len()), "{conditional:#?}");
    assert!(applied.iter().all(|c| c.outcome == Outcome::Pass));
    let skipped = conditional
        .checks
        .iter()
        .find(|c| c.not_applicable)
        .unwrap();
    assert_eq!(skipped.outcome, Outcome::Skip);
    assert!(
        skipped
            .detail
            .as_deref()
            .unwrap()
            .starts_with("not applicable: step refreshed")
    );
}

/// A target that answers without a value a later step needs: the rule's check fails with what
/// was seen, the later steps are `skip` ("blocked: ..."), nothing is an `error`.
const DEVIATION: &str = r#"
family = "token-errors"
name = "deviation"
[[case]]
name = "no token in the answer"
[[case.step]]
request = "POST {token}"
basic = ["{pd_client_id}", "not-the-secret"]
form = { grant_type = "client_credentials", scope = "system/*.rs" }
capture = { pd_token = "json /access_token" }
[[case.step.check]]
requirement = "TOKEN-RESPONSE"
query = "json /access_token"
present = true
[[case.step]]
request = "GET {provider_directory}/Practitioner"
bearer = "{pd_token}"
[[case.step.check]]
requirement = "FHIR-DIRECTORY"
query = "status"
equals = 200
[[case]]
name = "a flow without checks blocked"
[[case.step]]
request = "POST {token}"
basic = ["{pd_client_id}", "not-the-secret"]
form = { grant_type = "client_credentials", scope = "system/*.rs" }
capture = { pd_token = "json /access_token" }
[[case.step]]
request = "GET {provider_directory}/Practitioner"
bearer = "{pd_token}"
[[case.step.check]]
requirement = "FHIR-DIRECTORY"
query = "status"
equals = 200
"#;

#[tokio::test]
async fn deviations_are_failures_and_block_what_needed_them() {
    let scenarios = [Scenario::parse(DEVIATION, "deviation.toml").unwrap()];
    let result = common::run_on_bundled(&scenarios, CredentialAudit::OnLeak).await;
    let failed = &result.cases[0];
    assert_eq!(failed.outcome, Outcome::Fail, "{failed:#?}");
    assert_eq!(failed.checks[0].outcome, Outcome::Fail);
    assert!(
        failed.checks[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("nothing there (status 401)")
    );
    assert_eq!(failed.checks[1].outcome, Outcome::Skip);
    assert!(failed.checks[1].blocked && !failed.checks[1].not_applicable);
    let reason = failed.checks[1].detail.as_deref().unwrap();
    assert!(
        reason.starts_with("blocked: step 1 (POST {token}): capture `pd_token`"),
        "{reason}"
    );
    assert_eq!(failed.steps.len(), 1, "the blocked step is not sent");
    let blocked = &result.cases[1];
    assert_eq!(blocked.outcome, Outcome::Skip, "never counted as passed");
    assert!(blocked.reason.as_deref().unwrap().starts_with("blocked:"));
    assert!(
        result
            .cases
            .iter()
            .flat_map(|c| &c.checks)
            .all(|c| c.outcome != Outcome::Error)
    );
}

/// `client_auth = "client_secret_post"` sends the credentials in the form (the bundled server
/// offers only Basic, so it refuses them), the secret redacted in the transcript.
const CLIENT_POST: &str = r#"
family = "revocation"
name = "client auth"
[[case]]
name = "introspection with client_secret_post"
[[case.step]]
request = "POST {introspect}"
client = ["{client_id}", "{client_secret}"]
client_auth = "client_secret_post"
form = { token = "not-a-real-token" }
[[case.step.check]]
requirement = "TOKEN-CLIENT-AUTH"
query = "json /error"
equals = "invalid_client"
"#;

#[tokio::test]
async fn client_credentials_go_the_way_the_step_says() {
    let scenarios = [Scenario::parse(CLIENT_POST, "client.toml").unwrap()];
    let result = common::run_on_bundled(&scenarios, CredentialAudit::OnLeak).await;
    let case = &result.cases[0];
    assert_eq!(case.outcome, Outcome::Pass, "{case:#?}");
    let exchange = &case.steps[0].exchanges[0];
    let body = exchange.request_body.as_deref().unwrap();
    assert!(body.contains("client_id=patient-access-app"), "{body}");
    assert!(
        body.contains("client_secret=%5Bredacted%5D") || body.contains("client_secret=[redacted]"),
        "{body}"
    );
    assert!(
        exchange
            .request_headers
            .iter()
            .all(|(n, _)| n != "authorization")
    );
}

/// A step's `when` is judged on the last step sent: a step whose condition does not hold is
/// not sent and its checks do not apply; the case goes on with the next.
const STEP_WHEN: &str = r#"
family = "discovery"
name = "step when"
[[case]]
name = "either answer"
[[case.step]]
request = "GET {patient_access}/metadata"
[[case.step.check]]
requirement = "DISC-METADATA"
query = "status"
equals = 200
[[case.step]]
request = "GET {patient_access}/no-such-path"
when = { query = "status", equals = 404 }
[[case.step.check]]
requirement = "DISC-METADATA"
query = "status"
equals = 200
[[case.step]]
request = "GET {patient_access}/metadata"
when = [{ query = "status", equals = 200 }, { query = "var patient_id", present = true }]
[[case.step.check]]
requirement = "DISC-METADATA"
query = "json /resourceType"
equals = "CapabilityStatement"
"#;

#[tokio::test]
async fn a_step_runs_only_when_its_condition_holds() {
    let scenarios = [Scenario::parse(STEP_WHEN, "step_when.toml").unwrap()];
    let result = common::run_on_bundled(&scenarios, CredentialAudit::OnLeak).await;
    let case = &result.cases[0];
    assert_eq!(case.outcome, Outcome::Pass, "{case:#?}");
    let outcomes: Vec<_> = case
        .checks
        .iter()
        .map(|c| (c.outcome, c.not_applicable))
        .collect();
    assert_eq!(
        outcomes,
        [
            (Outcome::Pass, false),
            (Outcome::Skip, true),
            (Outcome::Pass, false)
        ]
    );
    let why = case.checks[1].detail.as_deref().unwrap();
    assert!(
        why.starts_with("not applicable: step status = 404"),
        "{why}"
    );
    assert!(
        case.steps[1].exchanges.is_empty(),
        "the skipped step is not sent"
    );
    assert_eq!(case.steps.len(), 3);
}

/// A step skipped by its `when` says why with the condition's variables expanded: a secret
/// among them is redacted there too.
#[tokio::test]
async fn a_skipped_step_never_quotes_a_secret() {
    // STEP_WHEN with its second step's condition on a secret.
    let text = STEP_WHEN.replace(
        r#"when = { query = "status", equals = 404 }"#,
        r#"when = { query = "json /resourceType", equals = "{client_secret}" }"#,
    );
    let scenarios = [Scenario::parse(&text, "when_secret.toml").unwrap()];
    let result = common::run_on_bundled(&scenarios, CredentialAudit::OnLeak).await;
    let case = &result.cases[0];
    let why = case.checks[1].detail.as_deref().unwrap();
    assert!(why.starts_with("not applicable: step"), "{why}");
    // The expanded `{client_secret}` is replaced where it would have been quoted.
    assert!(why.contains("= \"[redacted]\""), "{why}");
}
