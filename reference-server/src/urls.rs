//! Every public URL the server hands out, built once from the public base URL so links,
//! discovery and tokens agree (and work behind a proxy with `--public-url`).

/// Path of the Patient Access FHIR base.
pub const PATIENT_ACCESS_PATH: &str = "/fhir";
/// Path of the Provider Directory FHIR base.
pub const PROVIDER_DIRECTORY_PATH: &str = "/provider-directory/fhir";
/// Path prefix of the authorization server.
pub const OAUTH_PATH: &str = "/oauth2";

/// Absolute URLs of the server's endpoints.
#[derive(Debug, Clone)]
pub struct Urls {
    pub root: String,
    pub patient_access: String,
    pub provider_directory: String,
    pub issuer: String,
    pub authorize: String,
    pub token: String,
    pub introspect: String,
    pub revoke: String,
    pub register: String,
    pub jwks: String,
    pub member_grants: String,
}

impl Urls {
    /// URLs under `root` (scheme, host, optional path prefix; a trailing slash is dropped).
    pub fn new(root: &str) -> Urls {
        let root = root.trim_end_matches('/').to_string();
        let oauth = format!("{root}{OAUTH_PATH}");
        Urls {
            patient_access: format!("{root}{PATIENT_ACCESS_PATH}"),
            provider_directory: format!("{root}{PROVIDER_DIRECTORY_PATH}"),
            issuer: oauth.clone(),
            authorize: format!("{oauth}/authorize"),
            token: format!("{oauth}/token"),
            introspect: format!("{oauth}/introspect"),
            revoke: format!("{oauth}/revoke"),
            register: format!("{oauth}/register"),
            jwks: format!("{oauth}/jwks"),
            member_grants: format!("{root}/member/grants"),
            root,
        }
    }
}
