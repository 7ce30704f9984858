//! Client authentication by HTTP Basic (RFC 6749 2.3.1; seed 002 "Exchange the auth code for
//! tokens at the token endpoint using Basic authentication (client_id:client_secret)"), or by
//! a signed client assertion for clients registered with keys ([`super::client_assertion`]).

use std::borrow::Cow;

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::error::OAuthError;
use crate::environment::Environment;
use crate::faults::{Fault, FaultSwitches};
use crate::params::Params;
use crate::registry::Client;
use crate::state::AppState;

/// The authenticated client, or `invalid_client` (401). `client_secret_post` is not offered:
/// credentials in the body are refused, and sending two methods is `invalid_request` (RFC
/// 6749 2.3: "MUST NOT use more than one authentication method in each request").
pub fn authenticate<'s>(
    state: &'s AppState,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Cow<'s, Client>, OAuthError> {
    authenticate_in(state, headers, params, Environment::Sandbox)
}

/// [`authenticate`] at the token endpoint of `env`: fixture clients and developer-portal
/// apps in the sandbox; in production only portal apps whose production access the payer
/// approved (any other client is unknown there: `invalid_client`).
pub fn authenticate_in<'s>(
    state: &'s AppState,
    headers: &HeaderMap,
    params: &Params,
    env: Environment,
) -> Result<Cow<'s, Client>, OAuthError> {
    check_credentials(headers, params, state, env).map_err(|e| failure_with(e, &state.faults))
}

/// A failed client authentication as answered: `invalid_client` is a 401 with a
/// `WWW-Authenticate: Basic` challenge (RFC 6749 5.2; [`OAuthError::invalid_client`] makes
/// it so). Fault `InvalidClientAsBadRequest`: every failure is a plain 400, so no challenge.
pub fn failure_with(mut e: OAuthError, faults: &FaultSwitches) -> OAuthError {
    if faults.on(Fault::InvalidClientAsBadRequest) && e.error == "invalid_client" {
        e.status = axum::http::StatusCode::BAD_REQUEST;
    }
    e
}

/// Seed 000 "Upgrade to production": a portal app authenticates at the production token
/// endpoint, with the very credentials the portal showed, once the payer approved it.
pub fn production_access(approved: bool) -> Result<(), OAuthError> {
    if approved {
        Ok(())
    } else {
        Err(OAuthError::invalid_client(
            "production access for this application is not approved",
        ))
    }
}

/// [`production_access`] as the production token endpoint applies it. Fault
/// `PortalProductionSeparateSecret`: production holds its own copy of the credentials, made at
/// approval with a secret the portal never showed, so the sandbox secret is refused. Fault
/// `PortalProductionWithoutApproval`: the approval is not looked at.
pub fn production_access_with(approved: bool, faults: &FaultSwitches) -> Result<(), OAuthError> {
    if faults.on(Fault::PortalProductionSeparateSecret) {
        return Err(unknown_client());
    }
    if faults.on(Fault::PortalProductionWithoutApproval) {
        return Ok(());
    }
    production_access(approved)
}

/// The one answer for an unknown client_id and a wrong secret alike.
fn unknown_client() -> OAuthError {
    OAuthError::invalid_client("unknown client or wrong secret")
}

fn check_credentials<'r>(
    headers: &HeaderMap,
    params: &Params,
    state: &'r AppState,
    env: Environment,
) -> Result<Cow<'r, Client>, OAuthError> {
    let in_body = params.contains("client_secret");
    if super::client_assertion::is_assertion(params) {
        if in_body || headers.contains_key(header::AUTHORIZATION) {
            return Err(OAuthError::invalid_request(
                "use only one client authentication method",
            ));
        }
        // Keyed clients are fixture clients: sandbox demo registrations only.
        if env == Environment::Production {
            return Err(OAuthError::invalid_client(
                "private_key_jwt clients have no production access",
            ));
        }
        return super::client_assertion::authenticate(state, params).map(Cow::Borrowed);
    }
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(OAuthError::invalid_client(if in_body {
            "client_secret_post is not supported: use HTTP Basic (client_secret_basic)"
        } else {
            "client authentication with HTTP Basic is required"
        }));
    };
    if values.next().is_some() {
        return Err(OAuthError::invalid_request(
            "more than one Authorization header",
        ));
    }
    if in_body {
        return Err(OAuthError::invalid_request(
            "use only one client authentication method",
        ));
    }
    let (id, secret) = parse_basic_with(value.as_bytes(), &state.faults)
        .ok_or_else(|| OAuthError::invalid_client("malformed HTTP Basic credentials"))?;
    let client = match state.registry.client(&id) {
        // Fixture clients are sandbox demo registrations, unknown to production.
        // A keyed client has no secret: an empty one must not sign it in.
        Some(c) if c.secret.is_empty() => return Err(unknown_client()),
        Some(c) => {
            aws_lc_rs::constant_time::verify_slices_are_equal(
                c.secret.as_bytes(),
                secret.as_bytes(),
            )
            .map_err(|_| unknown_client())?;
            if env == Environment::Production {
                return Err(OAuthError::invalid_client(
                    "this client has no production access",
                ));
            }
            Cow::Borrowed(c)
        }
        None => {
            let lenience = crate::portal::store::Lenience::of(&state.faults);
            let (c, approved) = state
                .portal
                .authenticate(&id, &secret, lenience)
                .ok_or_else(unknown_client)?;
            if env == Environment::Production {
                production_access_with(approved, &state.faults)?;
            }
            Cow::Owned(c)
        }
    };
    // A client_id in the body must name the authenticated client (RFC 6749 3.2.1).
    match params.single("client_id")? {
        Some(body_id) if body_id != client.id => Err(OAuthError::invalid_request(
            "client_id does not match the authenticated client",
        )),
        _ => Ok(client),
    }
}

/// The registered client a request names (the Basic user name, else the body's client_id),
/// its credentials unchecked: only for fault `GrantTrustsNamedClient`.
pub fn claimed<'s>(
    state: &'s AppState,
    headers: &HeaderMap,
    params: &Params,
) -> Option<Cow<'s, Client>> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| parse_basic(v.as_bytes()))
        .map(|(id, _)| id);
    let id = basic.or_else(|| {
        params
            .single("client_id")
            .ok()
            .flatten()
            .map(str::to_string)
    })?;
    state.registry.client(&id).map(Cow::Borrowed)
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` -> (id, secret).
pub fn parse_basic(value: &[u8]) -> Option<(String, String)> {
    let (id, secret) = basic_pair(value)?;
    let id = form_unescape(&id)?;
    let secret = form_unescape(&secret)?;
    (!id.is_empty()).then_some((id, secret))
}

/// The id and secret of a Basic value as sent, still form-encoded.
fn basic_pair(value: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(value).ok()?;
    let (scheme, b64) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// [`parse_basic`] as the token endpoint applies it. Fault `BasicCredentialsNotFormDecoded`:
/// id and secret are taken as sent, so a client that form-encodes them (as RFC 6749 2.3.1
/// says) is refused when its secret holds a character the encoding escapes.
fn parse_basic_with(value: &[u8], faults: &FaultSwitches) -> Option<(String, String)> {
    if faults.on(Fault::BasicCredentialsNotFormDecoded) {
        return basic_pair(value).filter(|(id, _)| !id.is_empty());
    }
    parse_basic(value)
}

/// Undoes `application/x-www-form-urlencoded` escaping of one value (RFC 6749 2.3.1
/// form-encodes id and secret before Base64); None on a broken `%` escape or bad UTF-8.
fn form_unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_parsing() {
        let v = format!("Basic {}", STANDARD.encode("my%20app:s%3Acret"));
        assert_eq!(
            parse_basic(v.as_bytes()),
            Some(("my app".into(), "s:cret".into()))
        );
        assert_eq!(parse_basic(b"Bearer abc"), None);
        let raw = format!("Basic {}", STANDARD.encode("a&b:c=d"));
        assert_eq!(
            parse_basic(raw.as_bytes()),
            Some(("a&b".into(), "c=d".into()))
        );
        let broken = format!("Basic {}", STANDARD.encode("a%zz:b"));
        assert_eq!(parse_basic(broken.as_bytes()), None);
        assert_eq!(parse_basic(b"Basic !!!"), None);
        let no_colon = format!("Basic {}", STANDARD.encode("nocolon"));
        assert_eq!(parse_basic(no_colon.as_bytes()), None);
    }

    #[test]
    fn invalid_client_stays_401_unless_the_fault_makes_it_400() {
        let clean = FaultSwitches::default();
        let lax = FaultSwitches::with(&[Fault::InvalidClientAsBadRequest]);
        let client = OAuthError::invalid_client("x");
        let request = OAuthError::invalid_request("x");
        assert_eq!(failure_with(client.clone(), &clean), client);
        assert_eq!(failure_with(request.clone(), &lax), request);
        let bent = failure_with(client.clone(), &lax);
        assert_eq!((bent.status.as_u16(), bent.error), (400, "invalid_client"));
    }

    #[test]
    fn production_needs_the_approval_and_each_fault_bends_it_its_way() {
        let ok = |r: Result<(), OAuthError>| r.map_err(|e| e.description);
        let not_approved = Err("production access for this application is not approved".into());
        let unknown = Err("unknown client or wrong secret".into());
        let clean = FaultSwitches::default();
        let separate = FaultSwitches::with(&[Fault::PortalProductionSeparateSecret]);
        let unapproved = FaultSwitches::with(&[Fault::PortalProductionWithoutApproval]);
        // (approved, faults, answer)
        for (approved, faults, answer) in [
            (true, &clean, Ok(())),
            (false, &clean, not_approved.clone()),
            (true, &separate, unknown.clone()),
            (false, &separate, unknown),
            (true, &unapproved, Ok(())),
            (false, &unapproved, Ok(())),
        ] {
            assert_eq!(ok(production_access_with(approved, faults)), answer);
        }
        assert_eq!(ok(production_access(true)), Ok(()));
        assert_eq!(ok(production_access(false)), not_approved);
    }
}
