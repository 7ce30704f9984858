//! How a profile's client authenticates at the token endpoint: `auth` (RFC 6749 2.3.1
//! `client_secret_basic`, the default, or `client_secret_post`; SMART's confidential
//! asymmetric `private_key_jwt`, RFC 7523 2.2, with `key_file` and `key_id`).

use std::path::Path;

use serde::Deserialize;

use crate::flow::client_assertion::ClientKey;
use crate::target::profile::ProfileError;

/// A token-endpoint client authentication method.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenAuth {
    #[default]
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
}

impl TokenAuth {
    /// The method's registered name (RFC 7591 2), the scenarios' `client_auth` value.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenAuth::ClientSecretBasic => "client_secret_basic",
            TokenAuth::ClientSecretPost => "client_secret_post",
            TokenAuth::PrivateKeyJwt => "private_key_jwt",
        }
    }
}

/// The authentication fields of one client table.
pub struct ClientAuthFields<'a> {
    /// `clients.patient_access` and so on, for messages.
    pub table: &'a str,
    pub client_id: &'a str,
    pub auth: TokenAuth,
    pub client_secret_env: Option<&'a str>,
    pub key_file: Option<&'a str>,
    pub key_id: Option<&'a str>,
}

impl ClientAuthFields<'_> {
    /// The fields agree: a secret for the secret methods, a key file and key id for
    /// `private_key_jwt`, and nothing that would go unused.
    pub fn validate(&self) -> Result<(), String> {
        let t = self.table;
        match self.auth {
            TokenAuth::PrivateKeyJwt if self.key_file.is_none() || self.key_id.is_none() => Err(
                format!("[{t}] auth = \"private_key_jwt\" needs key_file and key_id"),
            ),
            TokenAuth::PrivateKeyJwt => Ok(()),
            _ if self.key_file.is_some() || self.key_id.is_some() => Err(format!(
                "[{t}] key_file and key_id go with auth = \"private_key_jwt\""
            )),
            _ if self.client_secret_env.is_none() => Err(format!(
                "[{t}] needs client_secret_env (or auth = \"private_key_jwt\" with a key)"
            )),
            _ => Ok(()),
        }
    }

    /// The client's signing key, read from `key_file` (relative to `profile_dir`).
    pub fn key(&self, profile_dir: &Path) -> Result<Option<ClientKey>, ProfileError> {
        let (Some(file), Some(kid)) = (self.key_file, self.key_id) else {
            return Ok(None);
        };
        let path = profile_dir.join(file);
        let pem = std::fs::read_to_string(&path).map_err(|e| {
            ProfileError::Invalid(format!("[{}] key_file {}: {e}", self.table, path.display()))
        })?;
        ClientKey::from_pem(&pem, kid).map(Some).map_err(|e| {
            ProfileError::Invalid(format!("[{}] key_file {}: {e}", self.table, path.display()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(auth: TokenAuth, secret: bool, key: bool) -> ClientAuthFields<'static> {
        ClientAuthFields {
            table: "clients.patient_access",
            client_id: "app",
            auth,
            client_secret_env: secret.then_some("PA_SECRET"),
            key_file: key.then_some("k.pem"),
            key_id: key.then_some("k1"),
        }
    }

    #[test]
    fn each_method_needs_its_own_credentials() {
        use TokenAuth::*;
        assert!(fields(ClientSecretBasic, true, false).validate().is_ok());
        assert!(fields(ClientSecretPost, true, false).validate().is_ok());
        assert!(fields(PrivateKeyJwt, false, true).validate().is_ok());
        let e = fields(PrivateKeyJwt, true, false).validate().unwrap_err();
        assert!(e.contains("needs key_file and key_id"), "{e}");
        let e = fields(ClientSecretBasic, true, true)
            .validate()
            .unwrap_err();
        assert!(e.contains("go with auth"), "{e}");
        let e = fields(ClientSecretBasic, false, false)
            .validate()
            .unwrap_err();
        assert!(e.contains("needs client_secret_env"), "{e}");
    }

    #[test]
    fn the_key_file_is_read_relative_to_the_profile() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/client-keys");
        let mut f = fields(TokenAuth::PrivateKeyJwt, false, true);
        f.key_file = Some("demo-asymmetric-es384.pem");
        let key = f.key(&dir).unwrap().expect("a key");
        assert_eq!(key.alg(), "ES384");
        f.key_file = Some("missing.pem");
        let e = f.key(&dir).unwrap_err().to_string();
        assert!(e.contains("missing.pem"), "{e}");
        assert!(
            fields(TokenAuth::ClientSecretBasic, true, false)
                .key(&dir)
                .unwrap()
                .is_none()
        );
    }
}
