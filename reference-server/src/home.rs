//! `GET /`: a page for newcomers: base URLs, demo clients, members, endpoints and a curl
//! walk-through of the whole flow.

use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::html::{escape, page};
use crate::state::AppState;

/// Routes: `/` and `/healthz` (a trivial answer, for health checks and for measuring the
/// load generator against an endpoint that costs the server almost nothing).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok\n" }))
}

/// How many members the page lists before summarising the rest.
const LISTED_MEMBERS: usize = 10;

async fn home(State(state): State<AppState>) -> Response {
    let u = &state.urls;
    let row = |k: &str, v: &str| {
        format!(
            "<tr><th>{}</th><td><code>{}</code></td></tr>",
            escape(k),
            escape(v)
        )
    };
    let mut body = String::from(
        "<p>The documented SMART-on-FHIR payer API, implemented exactly. Sandbox data only.</p>",
    );
    body.push_str("<h2>Base URLs and endpoints</h2><table>");
    for (k, v) in [
        ("Patient Access FHIR base", u.patient_access.as_str()),
        (
            "Provider Directory FHIR base",
            u.provider_directory.as_str(),
        ),
        (
            "SMART configuration",
            &format!("{}/.well-known/smart-configuration", u.patient_access),
        ),
        (
            "CapabilityStatement",
            &format!("{}/metadata", u.patient_access),
        ),
        ("authorize", u.authorize.as_str()),
        ("token", u.token.as_str()),
        ("introspect (RFC 7662)", u.introspect.as_str()),
        ("revoke (RFC 7009)", u.revoke.as_str()),
        ("JWKS", u.jwks.as_str()),
        (
            "member grants (GET, DELETE /{client_id}; member Basic auth)",
            u.member_grants.as_str(),
        ),
    ] {
        body.push_str(&row(k, v));
    }
    body.push_str("</table><h2>Demo clients</h2><table><tr><th>client_id</th><th>secret</th><th>plan</th><th>grants</th><th>redirect URIs</th></tr>");
    for c in state.registry.clients() {
        let grants: Vec<_> = c.grant_types.iter().map(|g| g.as_str()).collect();
        body.push_str(&format!(
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&c.id),
            escape(if c.jwks.is_some() { "(private_key_jwt: fixtures/client-keys/)" } else { &c.secret }),
            escape(c.plan.as_deref().unwrap_or("(none)")),
            escape(&grants.join(", ")),
            c.redirect_uris.iter().map(|r| format!("<code>{}</code>", escape(r))).collect::<Vec<_>>().join("<br>"),
        ));
    }
    body.push_str("</table><h2>Members</h2><table><tr><th>username</th><th>password</th><th>patient id</th></tr>");
    let members = state.registry.members();
    for m in members.iter().take(LISTED_MEMBERS) {
        body.push_str(&format!(
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td></tr>",
            escape(&m.username),
            escape(&m.password),
            escape(&m.patient_id)
        ));
    }
    body.push_str("</table>");
    if members.len() > LISTED_MEMBERS {
        body.push_str(&format!(
            "<p>and {} generated members <code>member-NNNNN</code> with password <code>member-NNNNN-pw</code>.</p>",
            members.len() - LISTED_MEMBERS
        ));
    }
    let curl = format!(
        "# 1. discovery\ncurl {pa}/.well-known/smart-configuration\n\
         # 2. open in a browser, sign in as sbx-patientAccessMember-1 / hpTest11, allow;\n\
         #    copy `code` from the address bar of the (unreachable) redirect\n\
         {authz}?response_type=code&client_id=patient-access-app&redirect_uri=https%3A%2F%2Fclient-app.com%2Fredirect&scope=openid+fhirUser+launch%2Fpatient+patient%2F*.rs&state=xyz\n\
         # 3. exchange the code\n\
         curl -u patient-access-app:pa-demo-secret-7f3c -d grant_type=authorization_code -d code=$CODE \\\n  --data-urlencode redirect_uri=https://client-app.com/redirect {token}\n\
         # 4. read the member's record\n\
         curl -H \"Authorization: Bearer $TOKEN\" {pa}/Patient/ffaa7043-d695-4cf0-a541-945bca539041\n\
         curl -H \"Authorization: Bearer $TOKEN\" '{pa}/Patient/ffaa7043-d695-4cf0-a541-945bca539041/$everything'\n\
         # 5. provider directory with client credentials\n\
         curl -u provider-directory-app:pd-demo-secret-4e2d -d grant_type=client_credentials --data-urlencode 'scope=system/*.rs' {token}\n",
        pa = u.patient_access,
        authz = u.authorize,
        token = u.token,
    );
    body.push_str(&format!(
        "<h2>Try it with curl</h2><pre>{}</pre>",
        escape(&curl)
    ));
    Html(page("smartcheck reference server", &body)).into_response()
}
