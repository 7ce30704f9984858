//! The one path that readies a target for `run`, `load` and `selftest`: the bundled server
//! started in-process (with the caller's configuration: faults for the self-test, generated
//! members for load) or a remote target read from its profile, its secrets taken from the
//! environment and its endpoints discovered. Either way the caller gets the target's name,
//! variables (with the derived redirect-URI mutations) and access (HTTP policy, login driver).

use std::path::Path;

use crate::scenario::vars::Vars;
use crate::target::access::Access;
use crate::target::discovery::DiscoveryError;
use crate::target::profile::{Profile, ProfileError, Secrets};

/// Which target to prepare.
#[allow(clippy::large_enum_variant)] // made once per run
pub enum Choice<'a> {
    /// The bundled reference server, started with this configuration.
    Bundled(reference_server::Config),
    /// The remote target of this profile file; one marked `production = true` only when
    /// allowed (a load run needs `--allow-production`), refused before any request.
    Profile {
        path: &'a Path,
        allow_production: bool,
    },
}

/// Why a target could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The profile is unreadable or invalid, or a secret it names is not set: the user's to
    /// fix.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// A production target where the caller did not allow one.
    #[error(
        "{} is marked production = true: a load run against it needs --allow-production",
        .0.display()
    )]
    Production(std::path::PathBuf),
    /// The bundled server did not start.
    #[error("cannot start the bundled reference server: {0}")]
    Start(reference_server::StartError),
    /// The remote target could not be reached or discovered.
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
}

/// A target ready to run against.
pub struct Prepared {
    /// `reference` for the bundled server, else the profile's name.
    pub name: String,
    pub vars: Vars,
    pub access: Access,
    /// The remote target's profile and secrets (load needs its members and its
    /// `production` flag).
    pub remote: Option<(Profile, Secrets)>,
    /// The bundled server, running until [`Prepared::shutdown`].
    pub server: Option<reference_server::RunningServer>,
}

/// Prepares `choice`; `env` gives the environment variables a profile's secrets live in.
pub async fn prepare(
    choice: Choice<'_>,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Prepared, PrepareError> {
    match choice {
        Choice::Bundled(config) => {
            let server = reference_server::start(config)
                .await
                .map_err(PrepareError::Start)?;
            Ok(Prepared {
                name: "reference".into(),
                vars: crate::target::reference::vars(&server.state),
                access: crate::target::reference::access(),
                remote: None,
                server: Some(server),
            })
        }
        Choice::Profile {
            path,
            allow_production,
        } => {
            let profile = Profile::load(path)?;
            if profile.production && !allow_production {
                return Err(PrepareError::Production(path.to_path_buf()));
            }
            let secrets = profile
                .secrets(env)
                .map_err(|e| ProfileError::Invalid(format!("{}: {e}", path.display())))?;
            let access = profile.access(path)?;
            let vars = profile.vars(&secrets, &access.http).await?;
            Ok(Prepared {
                name: profile.name.clone(),
                vars: vars.with_derived(),
                access,
                remote: Some((profile, secrets)),
                server: None,
            })
        }
    }
}

impl Prepared {
    /// Stops the bundled server, if there is one.
    pub async fn shutdown(self) {
        if let Some(server) = self.server {
            server.shutdown().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_bundled_server_is_prepared_with_its_variables() {
        let config = crate::target::reference::bundled_config();
        let prepared = prepare(Choice::Bundled(config), &|_| None).await.unwrap();
        assert_eq!(prepared.name, "reference");
        let root = prepared.server.as_ref().unwrap().root();
        assert!(prepared.vars.text("token").unwrap().starts_with(root));
        assert!(prepared.vars.get("redirect_uri_upper_host").is_some());
        prepared.shutdown().await;
    }

    #[tokio::test]
    async fn a_missing_profile_or_secret_is_the_users_to_fix() {
        let missing = Path::new("/nonexistent/profile.toml");
        let choice = Choice::Profile {
            path: missing,
            allow_production: false,
        };
        let err = prepare(choice, &|_| None).await.err().unwrap();
        assert!(matches!(err, PrepareError::Profile(_)), "{err}");
    }
}
