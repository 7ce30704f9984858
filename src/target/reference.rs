//! The bundled reference server as a target: its URLs, demo clients and sandbox members
//! (fixtures/), plus what only the bundled server can provide because the harness holds its
//! state: an expired access token, an expired code, the size of a patient's record and an id
//! from another patient's record. Cases that need those declare `requires` and are skipped
//! against any other target.

use std::collections::BTreeMap;

use reference_server::tokens::{AccessToken, AuthorizationCode, now, random_token};

use crate::flow::client_assertion::ClientKey;
use crate::scenario::vars::Vars;

const CLIENT_ID: &str = "patient-access-app";
const REDIRECT_URI: &str = "https://client-app.com/redirect";
const PATIENT_ID: &str = "ffaa7043-d695-4cf0-a541-945bca539041";
const OTHER_PATIENT_ID: &str = "b5631ecf-b58c-48f5-87f0-b9988f41969b";
/// The scope the scenarios' member logins ask for.
const MEMBER_SCOPE: [&str; 4] = ["openid", "fhirUser", "launch/patient", "patient/*.rs"];

/// How the harness starts the bundled server: ephemeral, with the admin routes (the
/// developer portal's admin API the portal cases drive; loopback only).
pub fn bundled_config() -> reference_server::Config {
    let mut config = reference_server::Config::ephemeral();
    config.admin = true;
    config
}

/// The bundled target's variables (the demo credentials are public: fixtures/ and the
/// server's home page).
pub fn vars(state: &reference_server::AppState) -> Vars {
    let urls = &state.urls;
    let mut vars: Vec<(String, String)> = [
        ("patient_access", urls.patient_access.as_str()),
        ("provider_directory", &urls.provider_directory),
        ("root", &urls.root),
        ("issuer", &urls.issuer),
        ("authorize", &urls.authorize),
        ("token", &urls.token),
        ("jwks", &urls.jwks),
        ("introspect", &urls.introspect),
        ("revoke", &urls.revoke),
        ("member_grants", &urls.member_grants),
        ("client_id", CLIENT_ID),
        ("client_secret", "pa-demo-secret-7f3c"),
        ("redirect_uri", REDIRECT_URI),
        ("redirect_uri_slash", "https://client-app.com/callback/"),
        ("client2_id", "patient-access-app-2"),
        ("client2_secret", "pa2-demo-secret-91ab"),
        ("pd_client_id", "provider-directory-app"),
        ("pd_client_secret", "pd-demo-secret-4e2d"),
        (
            "pd_redirect_uri",
            "https://directory-app.example.org/callback",
        ),
        ("username", "sbx-patientAccessMember-1"),
        ("password", "hpTest11"),
        // The bundled server advertises no introspection methods: Basic (see discovery).
        ("introspect_auth", "client_secret_basic"),
        ("revoke_auth", "client_secret_basic"),
        ("token_auth", "client_secret_basic"),
        ("pd_token_auth", "client_secret_basic"),
        // The demo confidential asymmetric client (keys: [`client_keys`]).
        ("jwt_client_id", JWT_CLIENT_ID),
        ("jwt_es384", "yes"),
        // Its login and consent are real pages (a skip-login sandbox has none).
        ("login_pages", "yes"),
        ("member2_username", "sbx-patientAccessMember-2"),
        ("member2_password", "hpTest22"),
        ("patient_id", PATIENT_ID),
        ("other_patient_id", OTHER_PATIENT_ID),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    vars.extend(from_state(state));
    vars.extend(auth_profile_vars(&urls.root));
    vars.extend(portal_vars(state));
    let mut vars = Vars::from(vars).with_derived();
    // The record size is a number: `equals = "{record_size}"` compares it with a count.
    if let Some(size) = vars.text("record_size").and_then(|s| s.parse::<u64>().ok()) {
        vars.set("record_size", size.into());
    }
    vars
}

/// The demo `private_key_jwt` client of fixtures/clients.toml.
const JWT_CLIENT_ID: &str = "patient-access-app-jwt";

/// How the harness reaches the bundled server: the defaults, with the demo asymmetric
/// client's keys.
pub fn access() -> crate::target::access::Access {
    crate::target::access::Access {
        client_keys: client_keys(),
        ..Default::default()
    }
}

/// The demo asymmetric client's private keys (fixtures/client-keys; demo credentials like
/// the fixture secrets): RS384 first, the default, then ES384.
pub fn client_keys() -> BTreeMap<String, Vec<ClientKey>> {
    let keys = [
        (
            include_str!("../../fixtures/client-keys/demo-asymmetric-rs384.pem"),
            "demo-rs384",
        ),
        (
            include_str!("../../fixtures/client-keys/demo-asymmetric-es384.pem"),
            "demo-es384",
        ),
    ]
    .into_iter()
    .map(|(pem, kid)| ClientKey::from_pem(pem, kid).expect("the embedded demo keys are valid"))
    .collect();
    BTreeMap::from([(JWT_CLIENT_ID.to_string(), keys)])
}

/// What the harness can make only because it holds the server's state.
fn from_state(state: &reference_server::AppState) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let scope: Vec<String> = MEMBER_SCOPE.iter().map(|s| s.to_string()).collect();
    let grant_id = state.tokens.new_grant(CLIENT_ID, PATIENT_ID);
    let expired_token = random_token();
    state.tokens.access.insert(
        expired_token.clone(),
        AccessToken {
            client_id: CLIENT_ID.into(),
            scope: scope.clone(),
            patient_id: Some(PATIENT_ID.into()),
            grant_id: Some(grant_id),
            issued_at: now().saturating_sub(7200),
            expires_at: now().saturating_sub(3600),
        },
    );
    out.push(("expired_access_token".into(), expired_token));
    let expired_code = random_token();
    state.tokens.codes.insert(
        expired_code.clone(),
        AuthorizationCode {
            client_id: CLIENT_ID.into(),
            redirect_uri: REDIRECT_URI.into(),
            scope,
            nonce: None,
            code_challenge: None,
            patient_id: PATIENT_ID.into(),
            grant_id,
            expires_at: now().saturating_sub(60),
            redeemed: false,
        },
    );
    out.push(("expired_code".into(), expired_code));
    let registry = &state.registry;
    if let Some(member) = registry.member_by_patient(PATIENT_ID) {
        let size = state.data.record(member).all().len();
        out.push(("record_size".into(), size.to_string()));
    }
    if let Some(other) = registry.member_by_patient(OTHER_PATIENT_ID)
        && let Some(coverage) = state.data.record(other).of_type("Coverage").next()
    {
        out.push(("other_coverage_id".into(), coverage.id.clone()));
    }
    out
}

/// The bundled server's other auth profiles: the patient-generated credentials (seed 003,
/// `patient_keys`), and the application-id profile (seed 004): its two environments and demo
/// applications (fixtures/app_id.toml): `roster-sync` is granted `acme-clinic` and every
/// endpoint, `intake-kiosk` only `cedar-care` and `patient-read`.
fn auth_profile_vars(root: &str) -> Vec<(String, String)> {
    use reference_server::app_id::{Directory, Env};
    let dir = Directory::embedded();
    let app = |name: &str| dir.applications.iter().find(|a| a.name == name);
    let mut out = vec![
        (
            "appid_sandbox".to_string(),
            format!("{root}/app-id/sandbox"),
        ),
        (
            "appid_production".to_string(),
            format!("{root}/app-id/production"),
        ),
        ("appid_account".to_string(), "acme-clinic".to_string()),
        ("appid_other_account".to_string(), "cedar-care".to_string()),
        ("appid_patient".to_string(), PATIENT_ID.to_string()),
        ("appid2_account".to_string(), "cedar-care".to_string()),
        (
            "appid2_unauthorized_path".to_string(),
            "Appointment".to_string(),
        ),
        ("patient_keys".to_string(), format!("{root}/patient-keys")),
    ];
    if let (Some(full), Some(narrow)) = (app("roster-sync"), app("intake-kiosk")) {
        let sandbox = full.credentials(Env::Sandbox);
        let production = full.credentials(Env::Production);
        let narrow = narrow.credentials(Env::Sandbox);
        for (k, v) in [
            ("appid_id", &sandbox.id),
            ("appid_secret", &sandbox.secret),
            ("appid_production_id", &production.id),
            ("appid_production_secret", &production.secret),
            ("appid2_id", &narrow.id),
            ("appid2_secret", &narrow.secret),
        ] {
            out.push((k.to_string(), v.clone()));
        }
    }
    out
}

/// The developer portal (seed 000): the production mirror's URLs; the admin API (`portal`)
/// when the server serves it; and an app prepared through the server's own store as a payer
/// would have it for a remote target's `[portal]` table: subscribed to the Provider Directory
/// plan, approved for production, with two credential sets. It is prepared as a sound portal
/// would leave it (whatever faults are on): the cases judge the server's answers to it, and
/// the portal's own defects are caught by the cases that drive the admin API.
fn portal_vars(state: &reference_server::AppState) -> Vec<(String, String)> {
    use reference_server::portal::store::Lenience;
    let root = &state.urls.root;
    let mut out = vec![
        (
            "production_token_url".to_string(),
            format!("{root}/production/oauth2/token"),
        ),
        (
            "production_provider_directory".to_string(),
            format!("{root}/production/provider-directory/fhir"),
        ),
    ];
    if state.config.admin {
        out.push(("portal".to_string(), format!("{root}/portal")));
    }
    let portal = &state.portal;
    let lenience = Lenience::default();
    let first = portal.create("smartcheck approved app".into(), Vec::new(), lenience);
    let app = first.app_id.clone();
    let prepared = portal
        .subscribe(&state.registry, &app, "provider-directory")
        .and_then(|()| portal.request_production(&app))
        .and_then(|_| portal.approve_production(&app))
        .and_then(|_| portal.add_credential(&app, lenience));
    if let Ok(second) = prepared {
        for (k, v) in [
            ("portal_client_id", first.client_id),
            ("portal_client_secret", first.client_secret),
            ("portal_client2_id", second.client_id),
            ("portal_client2_secret", second.client_secret),
        ] {
            out.push((k.to_string(), v));
        }
    }
    out
}
