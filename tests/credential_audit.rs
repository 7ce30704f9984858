//! The run's closing credential audit (SECRET-NO-ECHO): a selection of the suite adds it only
//! when a response carried a credential, and then it fails where the leak was, without
//! printing the credential.

use reference_server::faults::Fault;
use smartcheck::report::model::{Outcome, RunResult};
use smartcheck::scenario::builtin;
use smartcheck::scenario::engine::{CredentialAudit, run};

/// The redirect-uri family alone (its cases sign the member in and answer the consent page).
async fn redirect_family(faults: Vec<Fault>) -> (RunResult, String) {
    let scenarios: Vec<_> = builtin()
        .unwrap()
        .into_iter()
        .filter(|s| s.family == "redirect-uri")
        .collect();
    let mut config = smartcheck::target::reference::bundled_config();
    config.faults = faults;
    let server = reference_server::start(config).await.unwrap();
    let vars = smartcheck::target::reference::vars(&server.state);
    let password = vars.text("password").unwrap();
    let result = run(
        &smartcheck::target::reference::access(),
        "reference",
        &scenarios,
        &smartcheck::requirements::Catalogue::builtin().unwrap(),
        &vars,
        CredentialAudit::OnLeak,
        &mut |_| {},
    )
    .await;
    server.shutdown().await;
    (result, password)
}

#[tokio::test]
async fn a_clean_selection_has_no_audit_case() {
    let (result, _) = redirect_family(Vec::new()).await;
    assert!(!result.cases.is_empty());
    assert!(
        result
            .cases
            .iter()
            .all(|c| c.family == "redirect-uri" && c.outcome != Outcome::Fail),
        "{:#?}",
        result
            .cases
            .iter()
            .map(|c| (&c.name, c.outcome))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_password_on_the_consent_page_fails_the_audit_where_it_was_seen() {
    let (result, password) = redirect_family(vec![Fault::ConsentPageCarriesPassword]).await;
    let audit = result
        .cases
        .last()
        .filter(|c| c.family == "credential-audit")
        .expect("the audit closes a run that met a leak");
    assert_eq!(audit.outcome, Outcome::Fail);
    let failed: Vec<_> = audit
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Fail)
        .collect();
    assert_eq!(failed.len(), 1, "{:#?}", audit.checks);
    assert!(failed[0].description.starts_with("{password} "));
    let detail = failed[0].detail.as_deref().unwrap();
    assert!(detail.contains("redirect-uri / "), "{detail}");
    // The finding names the credential, never shows it.
    let json = serde_json::to_string(&result).unwrap();
    assert!(!json.contains(&password), "the password is in the results");
    // The other credentials were not echoed: their checks pass.
    assert!(
        audit
            .checks
            .iter()
            .filter(|c| !c.description.starts_with("{password} "))
            .all(|c| c.outcome == Outcome::Pass)
    );
}
