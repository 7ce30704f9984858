//! The target profile's tables for the other auth styles: `[app_id]` (seed 004: application
//! id and secret headers, per-account and per-endpoint grants, two environments) and
//! `[patient_keys]` (seed 003: patient-generated key/secret pairs). Secrets, as everywhere in
//! a profile, only as environment variable names. Without a table its cases are skipped.

use serde::Deserialize;

/// `[app_id]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppId {
    pub sandbox_base_url: String,
    pub production_base_url: String,
    /// An account the application is granted, and a patient of it.
    pub account: String,
    pub patient_id: String,
    /// An account the application is not granted.
    pub other_account: String,
    /// The application's credentials in each environment.
    pub sandbox: AppCredentials,
    pub production: AppCredentials,
    /// Optional: an application (sandbox credentials) granted `account` but not authorized
    /// for the path `unauthorized_path` under it (e.g. `Appointment`).
    #[serde(default)]
    pub narrow: Option<NarrowApp>,
}

/// An application id and the variable holding its secret.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppCredentials {
    pub id: String,
    pub secret_env: String,
}

/// An application with an endpoint it may not call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NarrowApp {
    pub id: String,
    pub secret_env: String,
    pub account: String,
    pub unauthorized_path: String,
}

/// `[patient_keys]`: where members manage their pairs (`{base_url}/credentials`) and read
/// data with one (`{base_url}/fhir`). The first member signs in to manage them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientKeys {
    pub base_url: String,
}

/// The `*_env` fields of the tables: (field path, variable name).
pub fn env_names(app_id: Option<&AppId>) -> Vec<(String, &str)> {
    let Some(a) = app_id else {
        return Vec::new();
    };
    let mut out = vec![
        (
            "app_id.sandbox.secret_env".to_string(),
            a.sandbox.secret_env.as_str(),
        ),
        (
            "app_id.production.secret_env".to_string(),
            a.production.secret_env.as_str(),
        ),
    ];
    if let Some(n) = &a.narrow {
        out.push((
            "app_id.narrow.secret_env".to_string(),
            n.secret_env.as_str(),
        ));
    }
    out
}

/// The URLs the tables give, for checking: (field path, URL).
pub fn urls<'a>(
    app_id: Option<&'a AppId>,
    keys: Option<&'a PatientKeys>,
) -> Vec<(&'static str, &'a str)> {
    let mut out = Vec::new();
    if let Some(a) = app_id {
        out.push(("app_id.sandbox_base_url", a.sandbox_base_url.as_str()));
        out.push(("app_id.production_base_url", a.production_base_url.as_str()));
    }
    if let Some(k) = keys {
        out.push(("patient_keys.base_url", k.base_url.as_str()));
    }
    out
}

/// The scenario variables of the tables; `secret` reads a variable's value.
pub fn vars(
    app_id: Option<&AppId>,
    keys: Option<&PatientKeys>,
    secret: &dyn Fn(&str) -> Option<String>,
) -> Vec<(&'static str, Option<String>)> {
    let base = |u: &str| Some(u.trim_end_matches('/').to_string());
    let mut v = Vec::new();
    if let Some(a) = app_id {
        v.extend([
            ("appid_sandbox", base(&a.sandbox_base_url)),
            ("appid_production", base(&a.production_base_url)),
            ("appid_account", Some(a.account.clone())),
            ("appid_patient", Some(a.patient_id.clone())),
            ("appid_other_account", Some(a.other_account.clone())),
            ("appid_id", Some(a.sandbox.id.clone())),
            ("appid_secret", secret(&a.sandbox.secret_env)),
            ("appid_production_id", Some(a.production.id.clone())),
            ("appid_production_secret", secret(&a.production.secret_env)),
        ]);
        if let Some(n) = &a.narrow {
            v.extend([
                ("appid2_id", Some(n.id.clone())),
                ("appid2_secret", secret(&n.secret_env)),
                ("appid2_account", Some(n.account.clone())),
                (
                    "appid2_unauthorized_path",
                    Some(n.unauthorized_path.clone()),
                ),
            ]);
        }
    }
    if let Some(k) = keys {
        v.push(("patient_keys", base(&k.base_url)));
    }
    v
}
