//! Tests of target profiles: parsing, secrets from the environment, the variables.

use super::*;

const FULL: &str = r#"name = "sandbox"
[patient_access]
base_url = "https://sandbox.example/fhir/"
token = "https://sandbox.example/oauth2/token"
member_grants = "https://sandbox.example/member/grants"
[provider_directory]
base_url = "https://sandbox.example/provider-directory/fhir"
[clients.patient_access]
client_id = "pa-app"
client_secret_env = "PA_SECRET"
redirect_uri = "https://client-app.com/redirect"
[clients.patient_access_2]
client_id = "pa-app-2"
client_secret_env = "PA2_SECRET"
[clients.provider_directory]
client_id = "pd-app"
client_secret_env = "PD_SECRET"
redirect_uri = "https://directory-app.example.org/callback"
[[members]]
username = "member-1"
password_env = "M1_PASSWORD"
patient_id = "p1"
[[members]]
patient_id = "p2"
"#;

fn env(name: &str) -> Option<String> {
    match name {
        "PA_SECRET" => Some("pa-secret-value".into()),
        "PD_SECRET" => Some("pd-secret-value".into()),
        "PA2_SECRET" => Some("pa2-secret-value".into()),
        "M1_PASSWORD" => Some("m1-password".into()),
        _ => None,
    }
}

#[test]
fn maps_a_full_profile_onto_the_scenario_variables() {
    let p = Profile::parse(FULL, "t.toml").unwrap();
    let secrets = p.secrets(&env).unwrap();
    let doc = serde_json::json!({
        "issuer": "https://sandbox.example/oauth2",
        "authorization_endpoint": "https://sandbox.example/oauth2/authorize",
        "token_endpoint": "https://elsewhere.example/token",
        "jwks_uri": "https://sandbox.example/oauth2/jwks",
    });
    let e = discovery::merge_discovered(p.endpoints(), &doc, "u").unwrap();
    let v = p.to_vars(&e, &secrets);
    assert_eq!(
        v.text("patient_access").as_deref(),
        Some("https://sandbox.example/fhir")
    );
    assert_eq!(
        v.text("token").as_deref(),
        Some("https://sandbox.example/oauth2/token"),
        "the profile's endpoint wins"
    );
    assert_eq!(
        v.text("authorize").as_deref(),
        Some("https://sandbox.example/oauth2/authorize")
    );
    assert_eq!(
        v.text("jwks").as_deref(),
        Some("https://sandbox.example/oauth2/jwks")
    );
    assert_eq!(
        v.text("introspect").as_deref(),
        None,
        "not advertised: absent"
    );
    assert_eq!(v.text("client_secret").as_deref(), Some("pa-secret-value"));
    assert_eq!(
        v.text("pd_client_secret").as_deref(),
        Some("pd-secret-value")
    );
    assert_eq!(v.text("client2_id").as_deref(), Some("pa-app-2"));
    assert_eq!(
        v.text("client2_secret").as_deref(),
        Some("pa2-secret-value")
    );
    assert_eq!(
        v.text("pd_redirect_uri").as_deref(),
        Some("https://directory-app.example.org/callback")
    );
    assert_eq!(v.text("password").as_deref(), Some("m1-password"));
    assert_eq!(v.text("patient_id").as_deref(), Some("p1"));
    assert_eq!(v.text("other_patient_id").as_deref(), Some("p2"));
    assert_eq!(v.text("redirect_uri_slash").as_deref(), None);
    assert_eq!(v.text("expired_access_token").as_deref(), None);
    assert!(!format!("{secrets:?}").contains("secret-value"));
}

#[test]
fn every_missing_environment_variable_is_named() {
    let p = Profile::parse(FULL, "t.toml").unwrap();
    let err = p.secrets(&|_| None).unwrap_err().to_string();
    for name in ["PA_SECRET", "PA2_SECRET", "PD_SECRET", "M1_PASSWORD"] {
        assert!(err.contains(name), "{err}");
    }
    let err = p
        .secrets(&|n| (n != "PD_SECRET").then(String::new))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("PA_SECRET") && err.contains("PD_SECRET"),
        "{err}"
    );
}

#[test]
fn literal_secrets_are_refused_without_quoting_them() {
    let text = FULL.replace(
        "client_secret_env = \"PD_SECRET\"",
        "client_secret_env = \"PD_SECRET\"\nclient_secret = \"hunter2-literal\"",
    );
    let err = Profile::parse(&text, "t.toml").unwrap_err().to_string();
    assert!(err.starts_with("t.toml:18:"), "{err}");
    assert!(err.contains("client_secret_env"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    let text = FULL.replace(
        "patient_id = \"p2\"",
        "patient_id = \"p2\"\npassword = \"pw-literal\"",
    );
    let err = Profile::parse(&text, "t.toml").unwrap_err().to_string();
    assert!(
        err.contains("password_env") && !err.contains("pw-literal"),
        "{err}"
    );
}

#[test]
fn unknown_fields_name_the_file_and_line_without_the_value() {
    let text = FULL.replace(
        "client_id = \"pa-app\"",
        "client_id = \"pa-app\"\nclient_scret = \"s3cr3t-value\"",
    );
    let err = Profile::parse(&text, "t.toml").unwrap_err().to_string();
    assert!(err.starts_with("t.toml:10:"), "{err}");
    assert!(
        err.contains("client_scret") && !err.contains("s3cr3t"),
        "{err}"
    );
}

#[test]
fn env_names_and_urls_are_checked() {
    let text = FULL.replace("\"PA_SECRET\"", "\"pa-demo-secret-7f3c\"");
    let err = Profile::parse(&text, "t.toml").unwrap_err().to_string();
    assert!(
        err.contains("client_secret_env") && !err.contains("7f3c"),
        "{err}"
    );
    let text = FULL.replace(
        "https://sandbox.example/fhir/",
        "https://u:pw@sandbox.example/fhir",
    );
    let err = Profile::parse(&text, "t.toml").unwrap_err().to_string();
    assert!(
        err.contains("patient_access.base_url") && !err.contains("pw@"),
        "{err}"
    );
    let text = FULL.replace("username = \"member-1\"\n", "");
    assert!(
        Profile::parse(&text, "t.toml")
            .unwrap_err()
            .to_string()
            .contains("go together")
    );
}

#[test]
fn the_portal_table_gives_the_approved_app_and_names_its_secrets() {
    let table = r#"[portal]
production_token_url = "https://api.example/prod/oauth2/token/"
production_provider_directory_url = "https://api.example/prod/provider-directory/fhir"
client_id = "approved-app"
client_secret_env = "PORTAL_SECRET"
[portal.second_set]
client_id = "approved-app-2"
client_secret_env = "PORTAL2_SECRET"
"#;
    let p = Profile::parse(&format!("{FULL}{table}"), "t.toml").unwrap();
    let err = p.secrets(&env).unwrap_err().to_string();
    assert!(
        err.contains("PORTAL_SECRET") && err.contains("PORTAL2_SECRET"),
        "{err}"
    );
    let with_portal = |n: &str| match n {
        "PORTAL_SECRET" => Some("portal-secret-value".into()),
        "PORTAL2_SECRET" => Some("portal2-secret-value".into()),
        _ => env(n),
    };
    let secrets = p.secrets(&with_portal).unwrap();
    let v = p.to_vars(&p.endpoints(), &secrets);
    assert_eq!(
        v.text("production_token_url").as_deref(),
        Some("https://api.example/prod/oauth2/token")
    );
    assert_eq!(v.text("portal_client_id").as_deref(), Some("approved-app"));
    assert_eq!(
        v.text("portal_client_secret").as_deref(),
        Some("portal-secret-value")
    );
    assert_eq!(
        v.text("portal_client2_secret").as_deref(),
        Some("portal2-secret-value")
    );
    assert_eq!(
        v.text("portal").as_deref(),
        None,
        "the admin API is the bundled server's"
    );
    // A literal secret in the second set is refused without being quoted.
    let literal = table.replace("\"PORTAL2_SECRET\"", "\"s3cr3t-literal\"");
    let err = Profile::parse(&format!("{FULL}{literal}"), "t.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("portal.second_set.client_secret_env") && !err.contains("s3cr3t"),
        "{err}"
    );
}

#[test]
fn the_example_profile_parses() {
    let text = include_str!("../../targets/example.toml");
    let p = Profile::parse(text, "targets/example.toml").unwrap();
    assert_eq!(p.members.len(), 2);
    assert!(
        p.patient_access.authorize.is_none(),
        "discovered by default"
    );
}

#[test]
fn line_and_column() {
    assert_eq!(line_col("ab\ncd", 4), (2, 2));
    assert_eq!(line_col("ab", 0), (1, 1));
}

#[test]
fn env_placeholders_in_urls_come_from_the_environment_and_are_secrets() {
    let text = FULL.replace(
        "base_url = \"https://sandbox.example/fhir/\"",
        "base_url = \"https://sandbox.example/fhir/?subscription-key={env:SANDBOX_KEY}\"",
    );
    let p = Profile::parse(&text, "t.toml").unwrap();
    let err = p.secrets(&env).unwrap_err().to_string();
    assert!(
        err.contains("SANDBOX_KEY") && err.contains("patient_access.base_url"),
        "{err}"
    );
    let with_key = |n: &str| match n {
        "SANDBOX_KEY" => Some("k3y-from-env".into()),
        _ => env(n),
    };
    let secrets = p.secrets(&with_key).unwrap();
    let v = p.to_vars(&p.endpoints(), &secrets);
    assert_eq!(
        v.text("patient_access").as_deref(),
        Some("https://sandbox.example/fhir/?subscription-key=k3y-from-env")
    );
    assert!(!v.redactor().text("key=k3y-from-env").contains("k3y"));
    let bad = FULL.replace("/fhir/\"", "/fhir/{env:not-a-name}\"");
    assert!(Profile::parse(&bad, "t.toml").is_err());
}

#[test]
fn a_skip_login_target_lacks_login_pages_and_authorize_params_are_kept() {
    let p = Profile::parse(FULL, "t.toml").unwrap();
    let secrets = p.secrets(&env).unwrap();
    let v = p.to_vars(&p.endpoints(), &secrets);
    assert_eq!(v.text("login_pages").as_deref(), Some("yes"));
    let text =
        format!("{FULL}[login]\npages = false\nauthorize_params = {{ prompt = \"login\" }}\n");
    let p = Profile::parse(&text, "t.toml").unwrap();
    let v = p.to_vars(&p.endpoints(), &secrets);
    assert_eq!(v.text("login_pages"), None);
    let access = p.access(std::path::Path::new("t.toml")).unwrap();
    assert_eq!(
        access.authorize_params.get("prompt").map(String::as_str),
        Some("login")
    );
}
