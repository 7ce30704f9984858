//! What a load run needs of its target: URLs, the two clients, the members that sign in,
//! and whether the target is production or off the machine. Built from the same variables
//! as the conformance run (the bundled server's or a target profile's).

use super::error::LoadError;
use crate::scenario::vars::Vars;
use crate::target::access::Access;

/// A client's credentials.
#[derive(Clone)]
pub struct Client {
    pub id: String,
    pub secret: String,
}

/// The Patient Access app: credentials and the redirect URI its logins end at.
#[derive(Clone)]
pub struct PatientAccessClient {
    pub id: String,
    pub secret: String,
    pub redirect_uri: String,
}

/// A member who can sign in.
#[derive(Clone)]
pub struct Member {
    pub username: String,
    pub password: String,
    pub patient_id: String,
}

/// The target of a load run.
#[derive(Clone)]
pub struct LoadTarget {
    /// `reference` or the profile's name.
    pub name: String,
    /// Scheme, host and port of the Patient Access base (for `get` paths).
    pub root: String,
    pub patient_access: String,
    pub provider_directory: Option<String>,
    pub authorize: String,
    pub token: String,
    pub patient_access_client: Option<PatientAccessClient>,
    pub directory_client: Option<Client>,
    pub members: Vec<Member>,
    /// Marked `production = true` in its profile.
    pub production: bool,
    /// The profile's HTTP policy and login driver (the defaults for the bundled server).
    pub access: Access,
}

// Never print a secret: only names and URLs.
impl std::fmt::Debug for LoadTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadTarget")
            .field("name", &self.name)
            .field("patient_access", &self.patient_access)
            .field("members", &self.members.len())
            .finish_non_exhaustive()
    }
}

impl LoadTarget {
    /// From a run's variables (`patient_access`, `token`, `client_id`, ...).
    pub fn from_vars(
        name: &str,
        vars: &Vars,
        members: Vec<Member>,
    ) -> Result<LoadTarget, LoadError> {
        let get = |k: &str| vars.text(k);
        let patient_access = get("patient_access").ok_or("the target has no Patient Access URL")?;
        let root = url::Url::parse(&patient_access)
            .map_err(|e| format!("bad Patient Access URL: {e}"))?
            .origin()
            .ascii_serialization();
        let patient_access_client =
            match (get("client_id"), get("client_secret"), get("redirect_uri")) {
                (Some(id), Some(secret), Some(redirect_uri)) => Some(PatientAccessClient {
                    id,
                    secret,
                    redirect_uri,
                }),
                _ => None,
            };
        let directory_client = match (get("pd_client_id"), get("pd_client_secret")) {
            (Some(id), Some(secret)) => Some(Client { id, secret }),
            _ => None,
        };
        Ok(LoadTarget {
            name: name.to_string(),
            root,
            patient_access,
            provider_directory: get("provider_directory"),
            authorize: get("authorize").unwrap_or_default(),
            token: get("token").unwrap_or_default(),
            patient_access_client,
            directory_client,
            members,
            production: false,
            access: Access::default(),
        })
    }

    /// A client builder with the profile's timeout and CA roots.
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        self.access.http.client_builder()
    }

    /// Whether every URL the run uses is on this machine.
    pub fn is_loopback(&self) -> bool {
        [
            Some(&self.patient_access),
            self.provider_directory.as_ref(),
            Some(&self.token),
        ]
        .into_iter()
        .flatten()
        .filter(|u| !u.is_empty())
        .all(|u| is_loopback_url(u))
    }

    /// Every secret the run holds (for scanning outputs in tests and for redaction).
    pub fn secrets(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.members.iter().map(|m| m.password.as_str()).collect();
        out.extend(self.patient_access_client.iter().map(|c| c.secret.as_str()));
        out.extend(self.directory_client.iter().map(|c| c.secret.as_str()));
        out
    }
}

/// `http(s)://127.x.x.x`, `[::1]` or `localhost`.
pub fn is_loopback_url(u: &str) -> bool {
    match url::Url::parse(u)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls_are_told_from_remote_ones() {
        assert!(is_loopback_url("http://127.0.0.1:8080/fhir"));
        assert!(is_loopback_url("http://[::1]:1/x"));
        assert!(is_loopback_url("http://LOCALHOST/x"));
        assert!(!is_loopback_url("https://sandbox.example/fhir"));
        assert!(!is_loopback_url("http://10.0.0.1/"));
        assert!(!is_loopback_url("not a url"));
    }

    #[test]
    fn debug_output_holds_no_secret() {
        let vars = Vars(vec![
            ("patient_access".into(), "http://127.0.0.1:1/fhir".into()),
            ("client_id".into(), "app".into()),
            ("client_secret".into(), "s3cr3t-value".into()),
            ("redirect_uri".into(), "https://app/cb".into()),
        ]);
        let member = Member {
            username: "m".into(),
            password: "pw-value".into(),
            patient_id: "p".into(),
        };
        let t = LoadTarget::from_vars("x", &vars, vec![member]).unwrap();
        let shown = format!("{t:?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("pw-value"),
            "{shown}"
        );
        assert_eq!(t.root, "http://127.0.0.1:1");
        assert!(t.is_loopback());
        assert_eq!(t.secrets().len(), 2);
    }
}
