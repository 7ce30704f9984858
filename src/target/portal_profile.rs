//! The target profile's `[portal]` table (seed 000): what the developer portal's lifecycle
//! cases need when the harness cannot drive the portal itself. Against the bundled server the
//! harness creates and approves apps through the portal admin API; a remote target gives an
//! app the payer has already approved for production, subscribed to the Provider Directory
//! plan (client credentials), with two credential sets. Cases needing portal actions (create,
//! subscribe, reset, approve) are skipped against a remote target, naming the `portal`
//! variable. Secrets only as environment variable names.

use serde::Deserialize;

/// `[portal]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Portal {
    /// The production token endpoint and Provider Directory base.
    pub production_token_url: String,
    pub production_provider_directory_url: String,
    /// The approved app's first credential set.
    pub client_id: String,
    pub client_secret_env: String,
    /// `[portal.second_set]`: its second credential set (seed 000 "Add"), if it has one.
    #[serde(default)]
    pub second_set: Option<CredentialSet>,
}

/// A client_id and the variable holding its secret.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialSet {
    pub client_id: String,
    pub client_secret_env: String,
}

impl Portal {
    /// The `*_env` fields: (field path, variable name).
    pub fn env_names(&self) -> Vec<(String, &str)> {
        let mut out = vec![(
            "portal.client_secret_env".to_string(),
            self.client_secret_env.as_str(),
        )];
        if let Some(set) = &self.second_set {
            out.push((
                "portal.second_set.client_secret_env".to_string(),
                set.client_secret_env.as_str(),
            ));
        }
        out
    }

    /// The URLs, for checking: (field path, URL).
    pub fn urls(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("portal.production_token_url", &self.production_token_url),
            (
                "portal.production_provider_directory_url",
                &self.production_provider_directory_url,
            ),
        ]
    }

    /// The scenario variables; `secret` reads a variable's value.
    pub fn vars(
        &self,
        secret: &dyn Fn(&str) -> Option<String>,
    ) -> Vec<(&'static str, Option<String>)> {
        let trimmed = |u: &str| Some(u.trim_end_matches('/').to_string());
        let mut v = vec![
            ("production_token_url", trimmed(&self.production_token_url)),
            (
                "production_provider_directory",
                trimmed(&self.production_provider_directory_url),
            ),
            ("portal_client_id", Some(self.client_id.clone())),
            ("portal_client_secret", secret(&self.client_secret_env)),
        ];
        if let Some(set) = &self.second_set {
            v.push(("portal_client2_id", Some(set.client_id.clone())));
            v.push(("portal_client2_secret", secret(&set.client_secret_env)));
        }
        v
    }
}
