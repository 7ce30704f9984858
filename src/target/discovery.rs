//! Endpoint discovery for a remote target: the authorization server's endpoints a profile
//! leaves out are read from the SMART configuration of the Patient Access base at run start
//! (SMART App Launch 2.x, `.well-known/smart-configuration`).

use crate::http::{HttpError, Session};
use crate::http_policy::HttpPolicy;
use crate::transcript::redact::Redactor;

/// The authorization server's endpoints, from the profile or discovered.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Endpoints {
    pub issuer: Option<String>,
    pub authorize: Option<String>,
    pub token: Option<String>,
    pub jwks: Option<String>,
    pub introspect: Option<String>,
    pub revoke: Option<String>,
    /// How callers authenticate to the introspection endpoint (`introspect_auth`); given:
    /// the client's own method (the profile's `auth`).
    pub introspect_auth: Option<String>,
    /// The same at the revocation endpoint (`revoke_auth`).
    pub revoke_auth: Option<String>,
}

/// The client authentication the harness uses at the introspection endpoint, from the SMART
/// configuration's `introspection_endpoint_auth_methods_supported` (RFC 8414 2, RFC 7662
/// 2.1): `client_secret_basic` when listed or when the list is absent (choice: RFC 8414
/// leaves an absent list to "other means"; Basic is what RFC 6749 2.3.1 requires servers to
/// support), else `client_secret_post` when listed; `None` when the server supports neither
/// (the cases that introspect are then skipped). A `private_key_jwt` client (`client`) has
/// no secret: it signs an assertion when that is listed or the list is absent. `member` is
/// `introspection_endpoint_auth_methods_supported` or the revocation endpoint's.
pub fn endpoint_auth(
    doc: Option<&serde_json::Value>,
    member: &str,
    client: Option<&str>,
) -> Option<String> {
    let listed = doc
        .and_then(|d| d.get(member))
        .and_then(serde_json::Value::as_array);
    let has = |m: &str| listed.is_none_or(|all| all.iter().any(|v| v == m));
    let wanted: &[&str] = match client {
        Some("private_key_jwt") => &["private_key_jwt"],
        _ => &["client_secret_basic", "client_secret_post"],
    };
    wanted.iter().find(|m| has(m)).map(|m| m.to_string())
}

/// [`endpoint_auth`] at the introspection endpoint.
pub fn introspection_auth(doc: Option<&serde_json::Value>, client: Option<&str>) -> Option<String> {
    endpoint_auth(doc, "introspection_endpoint_auth_methods_supported", client)
}

/// Each endpoint variable and its SMART configuration member.
const DISCOVERED: [(&str, &str); 6] = [
    ("issuer", "issuer"),
    ("authorize", "authorization_endpoint"),
    ("token", "token_endpoint"),
    ("jwks", "jwks_uri"),
    ("introspect", "introspection_endpoint"),
    ("revoke", "revocation_endpoint"),
];

/// Why a target's endpoints are not known: it cannot be reached, or its SMART
/// configuration does not give what the profile leaves out.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error(transparent)]
    Session(#[from] HttpError),
    #[error("the target cannot be reached: GET {url}: {source}")]
    Unreachable { url: String, source: HttpError },
    /// The SMART configuration is missing or unusable: what and how to fix it.
    #[error("{0}")]
    Unusable(String),
}

impl From<String> for DiscoveryError {
    fn from(message: String) -> DiscoveryError {
        DiscoveryError::Unusable(message)
    }
}

/// The endpoints: `given`, the rest from `{base_url}/.well-known/smart-configuration`.
/// The document is fetched even when nothing is missing, so an unreachable target stops
/// the run here, before any case, with a clear message.
pub async fn discover(
    base_url: &str,
    given: Endpoints,
    policy: &HttpPolicy,
) -> Result<Endpoints, DiscoveryError> {
    let url = format!("{base_url}/.well-known/smart-configuration");
    let mut session = Session::with_policy(Redactor::default(), policy)?;
    let fetched = session
        .fetch(session.client().get(&url))
        .await
        .map_err(|source| DiscoveryError::Unreachable {
            url: url.clone(),
            source,
        })?;
    let doc = (fetched.status == 200)
        .then(|| fetched.json())
        .flatten()
        .filter(serde_json::Value::is_object);
    let client = given.introspect_auth.as_deref();
    let given = Endpoints {
        introspect_auth: introspection_auth(doc.as_ref(), client),
        revoke_auth: endpoint_auth(
            doc.as_ref(),
            "revocation_endpoint_auth_methods_supported",
            client,
        ),
        ..given
    };
    if given.is_complete() {
        return Ok(given);
    }
    if fetched.status != 200 {
        return Err(format!(
            "GET {url} answered {}: the endpoints the profile leaves out cannot be \
             discovered; give them in [patient_access] (authorize, token, ...)",
            fetched.status
        )
        .into());
    }
    let doc = fetched
        .json()
        .filter(serde_json::Value::is_object)
        .ok_or_else(|| {
            DiscoveryError::Unusable(format!(
                "GET {url} did not answer a JSON object: the endpoints cannot be discovered"
            ))
        })?;
    merge_discovered(given, &doc, &url)
}

impl Endpoints {
    /// Whether every endpoint is known (nothing to discover).
    pub fn is_complete(&self) -> bool {
        [
            &self.issuer,
            &self.authorize,
            &self.token,
            &self.jwks,
            &self.introspect,
            &self.revoke,
        ]
        .iter()
        .all(|e| e.is_some())
    }
}

/// `given` with the endpoints it lacks taken from the SMART configuration `doc` (read from
/// `url`). The authorize and token endpoints must be found; the others may be absent (the
/// cases that need them are then skipped).
pub fn merge_discovered(
    given: Endpoints,
    doc: &serde_json::Value,
    url: &str,
) -> Result<Endpoints, DiscoveryError> {
    let mut out = given;
    for (var, member) in DISCOVERED {
        let slot = match var {
            "issuer" => &mut out.issuer,
            "authorize" => &mut out.authorize,
            "token" => &mut out.token,
            "jwks" => &mut out.jwks,
            "introspect" => &mut out.introspect,
            _ => &mut out.revoke,
        };
        if slot.is_some() {
            continue;
        }
        match doc.get(member) {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::String(s)) if is_http_url(s) => *slot = Some(s.clone()),
            Some(_) => {
                return Err(format!(
                    "`{member}` in {url} is not an absolute http(s) URL; give `{var}` in \
                     [patient_access]"
                )
                .into());
            }
        }
        if slot.is_none() && (var == "authorize" || var == "token") {
            return Err(
                format!("{url} has no `{member}`; give `{var}` in [patient_access]").into(),
            );
        }
    }
    Ok(out)
}

fn is_http_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn introspection_auth_follows_what_the_server_advertises() {
        use serde_json::json;
        let doc = |methods: serde_json::Value| json!({ "introspection_endpoint_auth_methods_supported": methods });
        let basic = Some("client_secret_basic".to_string());
        let post = Some("client_secret_post".to_string());
        let secret = Some("client_secret_basic");
        assert_eq!(
            introspection_auth(None, secret),
            basic,
            "no document: Basic"
        );
        assert_eq!(
            introspection_auth(Some(&json!({})), None),
            basic,
            "not listed: Basic"
        );
        assert_eq!(
            introspection_auth(Some(&doc(json!(["client_secret_post"]))), secret),
            post
        );
        let all = doc(json!([
            "private_key_jwt",
            "client_secret_post",
            "client_secret_basic"
        ]));
        assert_eq!(introspection_auth(Some(&all), secret), basic);
        let keys_only = doc(json!(["private_key_jwt"]));
        assert_eq!(introspection_auth(Some(&keys_only), secret), None);
        // A client with a key and no secret signs an assertion where that is allowed.
        let jwt = Some("private_key_jwt");
        let signed = Some("private_key_jwt".to_string());
        assert_eq!(introspection_auth(Some(&keys_only), jwt), signed);
        assert_eq!(introspection_auth(Some(&all), jwt), signed);
        assert_eq!(introspection_auth(None, jwt), signed, "no list: allowed");
        assert_eq!(
            introspection_auth(Some(&doc(json!(["client_secret_basic"]))), jwt),
            None
        );
        let revoke =
            json!({ "revocation_endpoint_auth_methods_supported": ["client_secret_post"] });
        assert_eq!(
            endpoint_auth(
                Some(&revoke),
                "revocation_endpoint_auth_methods_supported",
                secret
            ),
            post
        );
    }

    #[test]
    fn discovery_needs_authorize_and_token() {
        let doc = serde_json::json!({ "token_endpoint": "https://x.example/token" });
        let err = merge_discovered(Endpoints::default(), &doc, "u")
            .unwrap_err()
            .to_string();
        assert!(err.contains("authorization_endpoint"), "{err}");
        let doc = serde_json::json!({ "authorization_endpoint": "/relative", "token_endpoint": "https://x.example/t" });
        assert!(merge_discovered(Endpoints::default(), &doc, "u").is_err());
    }
}
