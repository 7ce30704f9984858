//! The client tables of a target profile (`[clients.*]`): ids, where their secrets are,
//! redirect URIs, and how each authenticates at the token endpoint.

use serde::Deserialize;
use serde::de::IgnoredAny;
use toml::Spanned;

use crate::target::client_auth_profile::{ClientAuthFields, TokenAuth};

/// The registered client applications.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clients {
    #[serde(default)]
    pub patient_access: Option<PatientAccessClient>,
    /// A second Patient Access app (a refresh token must stay bound to its client).
    #[serde(default)]
    pub patient_access_2: Option<SecondClient>,
    #[serde(default)]
    pub provider_directory: Option<DirectoryClient>,
}

/// The Patient Access app (authorization code and refresh).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientAccessClient {
    pub client_id: String,
    /// Required unless `auth = "private_key_jwt"`.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// Token-endpoint authentication (default `client_secret_basic`).
    #[serde(default)]
    pub auth: TokenAuth,
    /// `private_key_jwt`: a PKCS#8 PEM (RSA signs RS384, P-384 ES384), relative to the
    /// profile, and the `kid` its public key is registered under.
    #[serde(default)]
    pub key_file: Option<String>,
    #[serde(default)]
    pub key_id: Option<String>,
    pub redirect_uri: String,
    /// A second registered redirect URI, one that ends in `/`.
    #[serde(default)]
    pub redirect_uri_slash: Option<String>,
    /// Refused: secrets come from the environment.
    #[serde(default)]
    pub(crate) client_secret: Option<Spanned<IgnoredAny>>,
}

/// A second Patient Access app: only its credentials are used.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecondClient {
    pub client_id: String,
    pub client_secret_env: String,
    /// Refused: secrets come from the environment.
    #[serde(default)]
    pub(crate) client_secret: Option<Spanned<IgnoredAny>>,
}

/// The Provider Directory app (client credentials).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryClient {
    pub client_id: String,
    /// Required unless `auth = "private_key_jwt"`.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// Token-endpoint authentication (default `client_secret_basic`).
    #[serde(default)]
    pub auth: TokenAuth,
    /// `private_key_jwt`: a PKCS#8 PEM (RSA signs RS384, P-384 ES384), relative to the
    /// profile, and the `kid` its public key is registered under.
    #[serde(default)]
    pub key_file: Option<String>,
    #[serde(default)]
    pub key_id: Option<String>,
    /// A redirect URI registered for it, if any: an authorization-code attempt with this
    /// client must be refused.
    #[serde(default)]
    pub redirect_uri: Option<String>,
    /// Refused: secrets come from the environment.
    #[serde(default)]
    pub(crate) client_secret: Option<Spanned<IgnoredAny>>,
}

impl PatientAccessClient {
    /// Its token-endpoint authentication fields.
    pub fn auth_fields(&self) -> ClientAuthFields<'_> {
        ClientAuthFields {
            table: "clients.patient_access",
            client_id: &self.client_id,
            auth: self.auth,
            client_secret_env: self.client_secret_env.as_deref(),
            key_file: self.key_file.as_deref(),
            key_id: self.key_id.as_deref(),
        }
    }
}

impl DirectoryClient {
    /// Its token-endpoint authentication fields.
    pub fn auth_fields(&self) -> ClientAuthFields<'_> {
        ClientAuthFields {
            table: "clients.provider_directory",
            client_id: &self.client_id,
            auth: self.auth,
            client_secret_env: self.client_secret_env.as_deref(),
            key_file: self.key_file.as_deref(),
            key_id: self.key_id.as_deref(),
        }
    }
}
