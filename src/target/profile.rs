//! A target profile: a TOML file naming a remote target's base URLs, endpoints, clients and
//! test members, with secrets only as the names of environment variables
//! (docs/target-profiles.md). Three stages, each with its own kind of error:
//!
//! - [`Profile::load`] reads and checks the file (usage errors, naming the file and line);
//! - [`Profile::secrets`] reads the environment (a usage error naming every missing variable);
//! - [`Profile::vars`] discovers the endpoints the file leaves out from the SMART
//!   configuration (a harness error when the target cannot be reached) and maps everything
//!   onto the variables the scenarios use.
//!
//! ```toml
//! name = "my-sandbox"
//! [patient_access]
//! base_url = "https://sandbox.example/fhir"
//! [clients.patient_access]
//! client_id = "my-app"
//! client_secret_env = "SANDBOX_PA_SECRET"
//! redirect_uri = "https://client-app.com/redirect"
//! [[members]]
//! username = "member-1"
//! password_env = "SANDBOX_MEMBER1_PASSWORD"
//! patient_id = "123"
//! ```
//!
//! Error messages never quote a value from the file: a secret pasted into the wrong field
//! must not reach a terminal or a CI log.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde::de::IgnoredAny;
use toml::Spanned;

use crate::http_policy::HttpPolicy;
use crate::scenario::vars::Vars;
use crate::target::access::{Access, HttpSection, LoginSection};
use crate::target::client_auth_profile::{ClientAuthFields, TokenAuth};
use crate::target::discovery::{self, DiscoveryError, Endpoints};
pub use crate::target::profile_clients::{
    Clients, DirectoryClient, PatientAccessClient, SecondClient,
};
use crate::target::{auth_profiles, portal_profile};

/// A remote target.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The target's name in the reports.
    pub name: String,
    pub patient_access: PatientAccess,
    #[serde(default)]
    pub provider_directory: Option<ProviderDirectory>,
    #[serde(default)]
    pub clients: Clients,
    /// Test members: the first signs in; the second's patient is "another patient".
    #[serde(default)]
    pub members: Vec<Member>,
    /// A production system: `smartcheck load` refuses it without `--allow-production`.
    #[serde(default)]
    pub production: bool,
    /// The login driver and its settings.
    #[serde(default)]
    pub login: LoginSection,
    /// Rate limit, timeouts, retries, extra CA certificates.
    #[serde(default)]
    pub http: HttpSection,
    /// The application-id auth style (seed 004), when the target has it.
    #[serde(default)]
    pub app_id: Option<auth_profiles::AppId>,
    /// Patient-generated key/secret pairs (seed 003), when the target has them.
    #[serde(default)]
    pub patient_keys: Option<auth_profiles::PatientKeys>,
    /// An app already approved for production (seed 000), for the portal cases that need no
    /// portal action.
    #[serde(default)]
    pub portal: Option<portal_profile::Portal>,
}

/// The Patient Access API and its authorization server. Endpoints left out are read from
/// `{base_url}/.well-known/smart-configuration` at run start.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientAccess {
    pub base_url: String,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub authorize: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub jwks: Option<String>,
    #[serde(default)]
    pub introspect: Option<String>,
    #[serde(default)]
    pub revoke: Option<String>,
    /// Where a member lists and revokes the apps holding grants (not in the SMART
    /// configuration, so never discovered).
    #[serde(default)]
    pub member_grants: Option<String>,
}

/// The Provider Directory API.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderDirectory {
    pub base_url: String,
}

/// A test member. `username` and `password_env` go together; a member without them only
/// names a patient.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
    pub patient_id: String,
    /// Refused: secrets come from the environment.
    #[serde(default)]
    password: Option<Spanned<IgnoredAny>>,
}

/// The secrets of a profile, read from the environment: env var name to value.
#[derive(Default)]
pub struct Secrets(BTreeMap<String, String>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// Why a profile cannot be used: the user's to fix.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read the target profile {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// What is wrong, and where (`profile.toml:3:1: ...`).
    #[error("{0}")]
    Invalid(String),
    /// Environment variables the profile names for its secrets are not set.
    #[error("environment variables not set or empty: {}", .0.join(", "))]
    MissingSecrets(Vec<String>),
}

impl From<String> for ProfileError {
    fn from(message: String) -> ProfileError {
        ProfileError::Invalid(message)
    }
}

impl From<&str> for ProfileError {
    fn from(message: &str) -> ProfileError {
        ProfileError::Invalid(message.to_string())
    }
}

impl Profile {
    /// Reads and checks a profile file.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Profile::parse(&text, &path.display().to_string())
    }

    /// Parses and checks a profile; `origin` names it in errors (`origin:line:column`).
    pub fn parse(text: &str, origin: &str) -> Result<Profile, ProfileError> {
        let at = |span: Option<std::ops::Range<usize>>| match span {
            Some(s) => {
                let (line, col) = line_col(text, s.start);
                format!("{origin}:{line}:{col}")
            }
            None => origin.to_string(),
        };
        // Our own rendering: toml's quotes the offending line, which may hold a secret.
        let p: Profile =
            toml::from_str(text).map_err(|e| format!("{}: {}", at(e.span()), e.message()))?;
        if let Some((span, field)) = p.literal_secret() {
            return Err(format!(
                "{}: `{field}` holds a secret in the file, which is refused: put it in an \
                 environment variable and give that variable's name as `{field}_env`",
                at(Some(span))
            )
            .into());
        }
        p.check().map_err(|e| format!("{origin}: {e}"))?;
        Ok(p)
    }

    /// The first literal secret in the file: where its value is, and its field.
    fn literal_secret(&self) -> Option<(std::ops::Range<usize>, &'static str)> {
        let c = &self.clients;
        let clients = [
            c.patient_access
                .as_ref()
                .and_then(|c| c.client_secret.as_ref()),
            c.patient_access_2
                .as_ref()
                .and_then(|c| c.client_secret.as_ref()),
            c.provider_directory
                .as_ref()
                .and_then(|c| c.client_secret.as_ref()),
        ];
        let clients = clients
            .into_iter()
            .flatten()
            .map(|s| (s.span(), "client_secret"));
        let members = self.members.iter().filter_map(|m| m.password.as_ref());
        clients
            .chain(members.map(|s| (s.span(), "password")))
            .min_by_key(|(span, _)| span.start)
    }

    /// Checks what serde cannot: URLs, env var names, pairs of fields.
    fn check(&self) -> Result<(), ProfileError> {
        if self.name.trim().is_empty() {
            return Err("`name` is empty".into());
        }
        for client in self.client_auth_fields() {
            client.validate()?;
        }
        for (field, v) in self.urls() {
            check_url(field, v)?;
        }
        for (field, name) in self.env_names() {
            if !is_env_name(name) {
                return Err(format!(
                    "`{field}` must be the name of an environment variable (letters, digits \
                     and `_`); the value is not shown in case it is the secret itself"
                )
                .into());
            }
        }
        for (i, m) in self.members.iter().enumerate() {
            if m.username.is_some() != m.password_env.is_some() {
                return Err(
                    format!("members[{i}]: `username` and `password_env` go together").into(),
                );
            }
        }
        Ok(())
    }

    /// Every URL the profile gives, with its field.
    fn urls(&self) -> Vec<(&'static str, &str)> {
        let pa = &self.patient_access;
        let urls = [
            ("patient_access.base_url", Some(&pa.base_url)),
            ("patient_access.issuer", pa.issuer.as_ref()),
            ("patient_access.authorize", pa.authorize.as_ref()),
            ("patient_access.token", pa.token.as_ref()),
            ("patient_access.jwks", pa.jwks.as_ref()),
            ("patient_access.introspect", pa.introspect.as_ref()),
            ("patient_access.revoke", pa.revoke.as_ref()),
            ("patient_access.member_grants", pa.member_grants.as_ref()),
            (
                "provider_directory.base_url",
                self.provider_directory.as_ref().map(|p| &p.base_url),
            ),
        ];
        let portal_urls = self.portal.iter().flat_map(|p| p.urls());
        urls.into_iter()
            .filter_map(|(field, v)| Some((field, v?.as_str())))
            .chain(auth_profiles::urls(
                self.app_id.as_ref(),
                self.patient_keys.as_ref(),
            ))
            .chain(portal_urls)
            .collect()
    }

    /// Every `*_env` field and `{env:NAME}` placeholder in a URL: where it is and the
    /// variable it names.
    fn env_names(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        for (field, url) in self.urls() {
            for name in env_placeholders(url) {
                out.push((format!("{field} {{env:{name}}}"), name));
            }
        }
        if let Some(env) = self
            .clients
            .patient_access
            .as_ref()
            .and_then(|c| c.client_secret_env.as_deref())
        {
            out.push(("clients.patient_access.client_secret_env".to_string(), env));
        }
        if let Some(c) = &self.clients.patient_access_2 {
            out.push((
                "clients.patient_access_2.client_secret_env".to_string(),
                c.client_secret_env.as_str(),
            ));
        }
        if let Some(env) = self
            .clients
            .provider_directory
            .as_ref()
            .and_then(|c| c.client_secret_env.as_deref())
        {
            out.push((
                "clients.provider_directory.client_secret_env".to_string(),
                env,
            ));
        }
        for (i, m) in self.members.iter().enumerate() {
            if let Some(p) = &m.password_env {
                out.push((format!("members[{i}].password_env"), p.as_str()));
            }
        }
        out.extend(auth_profiles::env_names(self.app_id.as_ref()));
        out.extend(self.portal.iter().flat_map(|p| p.env_names()));
        out
    }

    /// Reads every secret the profile names through `env`; a missing or empty variable is
    /// an error, and the error names every one of them.
    pub fn secrets(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Secrets, ProfileError> {
        let mut secrets = Secrets::default();
        let mut missing = Vec::new();
        for (field, name) in self.env_names() {
            match env(name).filter(|v| !v.is_empty()) {
                Some(v) => {
                    secrets.0.insert(name.to_string(), v);
                }
                None => missing.push(format!("{name} (for {field})")),
            }
        }
        if missing.is_empty() {
            Ok(secrets)
        } else {
            Err(ProfileError::MissingSecrets(missing))
        }
    }

    /// The target's variables: endpoints discovered where the profile leaves them out,
    /// clients and members with their secrets. Fails when the target cannot be reached or
    /// its SMART configuration does not give an endpoint the profile leaves out.
    pub async fn vars(
        &self,
        secrets: &Secrets,
        policy: &HttpPolicy,
    ) -> Result<Vars, DiscoveryError> {
        let base_url = secrets.expand(&base(&self.patient_access.base_url));
        let endpoints = discovery::discover(&base_url, self.endpoints(), policy).await?;
        Ok(self.to_vars(&endpoints, secrets))
    }

    /// How to reach the target: its `[http]` policy and `[login]` driver (`path` is the
    /// profile file, which anchors a relative `ca_cert`).
    pub fn access(&self, path: &Path) -> Result<Access, ProfileError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let invalid =
            |e: &dyn std::fmt::Display| ProfileError::Invalid(format!("{}: {e}", path.display()));
        let mut access =
            Access::from_sections(&self.login, &self.http, dir).map_err(|e| invalid(&e))?;
        for client in self.client_auth_fields() {
            if let Some(key) = client.key(dir).map_err(|e| invalid(&e))? {
                access
                    .client_keys
                    .insert(client.client_id.to_string(), vec![key]);
            }
        }
        Ok(access)
    }

    /// The authentication fields of the clients that authenticate at the token endpoint.
    pub fn client_auth_fields(&self) -> Vec<ClientAuthFields<'_>> {
        let c = &self.clients;
        let pa = c.patient_access.iter().map(|c| c.auth_fields());
        pa.chain(c.provider_directory.iter().map(|c| c.auth_fields()))
            .collect()
    }

    /// The members that can sign in (username and password given): (username, password,
    /// patient id), for the load generator's token pool.
    pub fn signing_members(&self, secrets: &Secrets) -> Vec<(String, String, String)> {
        self.members
            .iter()
            .filter_map(|m| {
                let password = secrets.0.get(m.password_env.as_deref()?)?;
                Some((m.username.clone()?, password.clone(), m.patient_id.clone()))
            })
            .collect()
    }

    /// The endpoints the profile gives.
    pub fn endpoints(&self) -> Endpoints {
        let pa = &self.patient_access;
        Endpoints {
            issuer: pa.issuer.clone(),
            authorize: pa.authorize.clone(),
            token: pa.token.clone(),
            jwks: pa.jwks.clone(),
            introspect: pa.introspect.clone(),
            revoke: pa.revoke.clone(),
            // The client's own method, which discovery narrows to the endpoints'.
            introspect_auth: self
                .clients
                .patient_access
                .as_ref()
                .map(|c| c.auth.as_str().to_string()),
            revoke_auth: None,
        }
    }

    /// The variables the scenarios use, from the profile, its endpoints and secrets.
    /// Variables only the bundled server can give (`expired_access_token`...) are absent.
    pub fn to_vars(&self, endpoints: &Endpoints, secrets: &Secrets) -> Vars {
        let secret = |env: &str| secrets.0.get(env).cloned();
        let pa = &self.patient_access;
        let mut v: Vec<(&str, Option<String>)> = vec![
            ("patient_access", Some(base(&pa.base_url))),
            (
                "provider_directory",
                self.provider_directory.as_ref().map(|p| base(&p.base_url)),
            ),
            ("issuer", endpoints.issuer.clone()),
            ("authorize", endpoints.authorize.clone()),
            ("token", endpoints.token.clone()),
            ("jwks", endpoints.jwks.clone()),
            ("introspect", endpoints.introspect.clone()),
            ("revoke", endpoints.revoke.clone()),
            ("introspect_auth", endpoints.introspect_auth.clone()),
            ("revoke_auth", endpoints.revoke_auth.clone()),
            ("member_grants", pa.member_grants.clone()),
            (
                "login_pages",
                (self.login.pages != Some(false)).then(|| "yes".to_string()),
            ),
        ];
        // A private_key_jwt client has no secret: the empty one is never sent.
        let secret_of = |env: &Option<String>| env.as_deref().map_or(Some(String::new()), secret);
        if let Some(c) = &self.clients.patient_access {
            v.push(("client_id", Some(c.client_id.clone())));
            v.push(("client_secret", secret_of(&c.client_secret_env)));
            v.push(("token_auth", Some(c.auth.as_str().to_string())));
            if c.auth == TokenAuth::PrivateKeyJwt {
                v.push(("jwt_client_id", Some(c.client_id.clone())));
            }
            v.push(("redirect_uri", Some(c.redirect_uri.clone())));
            v.push(("redirect_uri_slash", c.redirect_uri_slash.clone()));
        }
        if let Some(c) = &self.clients.patient_access_2 {
            v.push(("client2_id", Some(c.client_id.clone())));
            v.push(("client2_secret", secret(&c.client_secret_env)));
        }
        if let Some(c) = &self.clients.provider_directory {
            v.push(("pd_client_id", Some(c.client_id.clone())));
            v.push(("pd_client_secret", secret_of(&c.client_secret_env)));
            v.push(("pd_token_auth", Some(c.auth.as_str().to_string())));
            v.push(("pd_redirect_uri", c.redirect_uri.clone()));
        }
        if let Some(m) = self.members.first() {
            v.push(("username", m.username.clone()));
            v.push(("password", m.password_env.as_deref().and_then(secret)));
            v.push(("patient_id", Some(m.patient_id.clone())));
        }
        if let Some(m) = self.members.get(1) {
            v.push(("other_patient_id", Some(m.patient_id.clone())));
            v.push(("member2_username", m.username.clone()));
            v.push((
                "member2_password",
                m.password_env.as_deref().and_then(secret),
            ));
        }
        v.extend(auth_profiles::vars(
            self.app_id.as_ref(),
            self.patient_keys.as_ref(),
            &secret,
        ));
        v.extend(self.portal.iter().flat_map(|p| p.vars(&secret)));
        let mut vars: Vec<(String, String)> = v
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), secrets.expand(&v))))
            .collect();
        // A value that came into a URL from the environment is a secret: redacted everywhere.
        for (field, name) in self.env_names() {
            if field.contains("{env:")
                && let Some(value) = secret(name)
            {
                vars.push((format!("env_{}_secret", name.to_ascii_lowercase()), value));
            }
        }
        Vars::from(vars)
    }
}

/// A base URL without its trailing slash (the scenarios append `/path`).
fn base(url: &str) -> String {
    url.trim_end_matches('/').to_string()
}

/// The names of the `{env:NAME}` placeholders in `text`.
fn env_placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split("{env:")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

impl Secrets {
    /// `text` with each `{env:NAME}` replaced by the variable's value.
    pub fn expand(&self, text: &str) -> String {
        replace_placeholders(text, |name| self.0.get(name).map(String::as_str))
    }
}

/// `text` with each `{env:NAME}` that `value` knows replaced.
fn replace_placeholders<'a>(text: &str, value: impl Fn(&str) -> Option<&'a str>) -> String {
    let mut out = text.to_string();
    for name in env_placeholders(text) {
        if let Some(v) = value(name) {
            out = out.replace(&format!("{{env:{name}}}"), v);
        }
    }
    out
}

/// An absolute http(s) URL without credentials in it (`{env:NAME}` placeholders allowed).
fn check_url(field: &str, value: &str) -> Result<(), ProfileError> {
    let value = replace_placeholders(value, |_| Some("placeholder"));
    let ok = url::Url::parse(&value).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.has_host()
            && u.username().is_empty()
            && u.password().is_none()
    });
    if ok {
        Ok(())
    } else {
        Err(format!("`{field}` must be an absolute http(s) URL without credentials").into())
    }
}

/// Whether `name` looks like an environment variable's name.
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let end = (0..=offset.min(text.len()))
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
