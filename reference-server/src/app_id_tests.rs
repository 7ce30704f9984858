//! Tests of the application-id profile (`app_id.rs`).
use super::*;

fn dir() -> &'static Directory {
    Directory::embedded()
}

fn app(name: &str) -> &'static Application {
    dir().applications.iter().find(|a| a.name == name).unwrap()
}

#[test]
fn the_fixture_parses_and_names_sandbox_members() {
    let members = crate::registry::Registry::load(1, 0).unwrap();
    assert!(dir().accounts.len() >= 3 && dir().applications.len() >= 3);
    for a in &dir().accounts {
        for u in &a.members {
            assert!(members.member_by_username(u).is_some(), "{u}");
        }
    }
}

#[test]
fn a_fixture_with_shared_credentials_is_refused() {
    let text = APP_ID_TOML.replace("prd-rs-secret-1c7b", "sbx-rs-secret-83f0");
    assert!(
        Directory::parse(&text)
            .unwrap_err()
            .to_string()
            .contains("must differ")
    );
}

#[test]
fn credentials_belong_to_one_environment() {
    let rs = app("roster-sync");
    let strict = Lenience::default();
    let (s, p) = (&rs.sandbox, &rs.production);
    assert!(authenticate(dir(), Env::Sandbox, &s.id, &s.secret, strict).is_ok());
    assert!(authenticate(dir(), Env::Production, &p.id, &p.secret, strict).is_ok());
    assert!(authenticate(dir(), Env::Production, &s.id, &s.secret, strict).is_err());
    assert!(authenticate(dir(), Env::Sandbox, &p.id, &p.secret, strict).is_err());
    assert!(authenticate(dir(), Env::Sandbox, &s.id, "wrong", strict).is_err());
    assert!(authenticate(dir(), Env::Sandbox, &s.id, "", strict).is_err());
}

#[test]
fn the_environment_fault_accepts_sandbox_credentials_on_production_only() {
    let rs = app("roster-sync");
    let lax = Lenience {
        sandbox_credentials_on_production: true,
        ..Lenience::default()
    };
    let (s, p) = (&rs.sandbox, &rs.production);
    assert!(authenticate(dir(), Env::Production, &s.id, &s.secret, lax).is_ok());
    assert!(authenticate(dir(), Env::Sandbox, &p.id, &p.secret, lax).is_err());
    assert!(authenticate(dir(), Env::Production, &s.id, "wrong", lax).is_err());
}

#[test]
fn grants_and_endpoints_are_checked_and_the_faults_skip_them() {
    let kiosk = app("intake-kiosk");
    let strict = Lenience::default();
    let ok = authorize(dir(), kiosk, "cedar-care", Endpoint::PatientRead, strict);
    assert_eq!(ok.unwrap().id, "cedar-care");
    assert_eq!(
        authorize(dir(), kiosk, "acme-clinic", Endpoint::PatientRead, strict).unwrap_err(),
        Denial::AccountNotGranted
    );
    assert_eq!(
        authorize(dir(), kiosk, "no-such", Endpoint::PatientRead, strict).unwrap_err(),
        Denial::AccountNotGranted
    );
    assert_eq!(
        authorize(dir(), kiosk, "cedar-care", Endpoint::PatientSearch, strict).unwrap_err(),
        Denial::EndpointNotAuthorized(Endpoint::PatientSearch)
    );
    let accounts = Lenience {
        ungranted_account_readable: true,
        ..Lenience::default()
    };
    assert!(authorize(dir(), kiosk, "acme-clinic", Endpoint::PatientRead, accounts).is_ok());
    // An unknown account stays refused: there is nothing to read.
    assert!(authorize(dir(), kiosk, "no-such", Endpoint::PatientRead, accounts).is_err());
    let endpoints = Lenience {
        unauthorized_endpoint_allowed: true,
        ..Lenience::default()
    };
    assert!(
        authorize(
            dir(),
            kiosk,
            "cedar-care",
            Endpoint::PatientSearch,
            endpoints
        )
        .is_ok()
    );
    assert!(
        authorize(
            dir(),
            kiosk,
            "acme-clinic",
            Endpoint::PatientRead,
            endpoints
        )
        .is_err()
    );
}

#[test]
fn denials_are_401_with_a_challenge_or_403() {
    let e = Denial::NoCredentials.into_error(Env::Sandbox);
    assert_eq!(e.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        e.challenge.as_deref(),
        Some("ApplicationId realm=\"app-id/sandbox\"")
    );
    let e = Denial::BadCredentials("x").into_error(Env::Production);
    assert_eq!(
        e.challenge.as_deref(),
        Some("ApplicationId realm=\"app-id/production\", error=\"invalid_credentials\"")
    );
    let e = Denial::AccountNotGranted.into_error(Env::Sandbox);
    assert_eq!((e.status, e.challenge), (StatusCode::FORBIDDEN, None));
}
