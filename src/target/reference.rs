//! The bundled reference server as a target: its URLs, demo clients and sandbox members
//! (fixtures/), plus what only the bundled server can provide because the harness holds its
//! state: an expired access token, an expired code, the size of a patient's record.

use crate::scenario::vars::Vars;

/// The bundled target's variables: its URLs, demo client and sandbox member (fixtures/;
/// the demo credentials are public, printed on the server's home page).
pub fn vars(state: &reference_server::AppState) -> Vars {
    let urls = &state.urls;
    Vars(vec![
        ("patient_access".into(), urls.patient_access.clone()),
        ("provider_directory".into(), urls.provider_directory.clone()),
        ("root".into(), urls.root.clone()),
        ("authorize".into(), urls.authorize.clone()),
        ("client_id".into(), "patient-access-app".into()),
        (
            "redirect_uri".into(),
            "https://client-app.com/redirect".into(),
        ),
        (
            "redirect_uri_slash".into(),
            "https://client-app.com/callback/".into(),
        ),
        ("username".into(), "sbx-patientAccessMember-1".into()),
        ("password".into(), "hpTest11".into()),
        ("token".into(), urls.token.clone()),
        ("client_secret".into(), "pa-demo-secret-7f3c".into()),
        ("pd_client_id".into(), "provider-directory-app".into()),
        ("pd_client_secret".into(), "pd-demo-secret-4e2d".into()),
        (
            "patient_id".into(),
            "ffaa7043-d695-4cf0-a541-945bca539041".into(),
        ),
        (
            "other_patient_id".into(),
            "b5631ecf-b58c-48f5-87f0-b9988f41969b".into(),
        ),
    ])
}

