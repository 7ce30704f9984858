//! Redirect URI rules (seed 002 "Redirect URI rules"; RFC 6749 3.1.2.2 and 4.1.2.1).

use crate::faults::{Fault, FaultSwitches};

/// Whether `candidate` is one of the client's registered URIs, by simple string comparison
/// (RFC 3986 6.2.1): a trailing slash, case, port, scheme, query or fragment difference makes
/// a different URI. No normalisation on purpose: the seed says "URIs must match exactly".
pub fn is_registered(registered: &[String], candidate: &str) -> bool {
    registered.iter().any(|r| r == candidate)
}

/// [`is_registered`] as the authorization endpoint applies it, with the redirect URI faults
/// switched on in `faults` (each a normalisation vendors ship).
pub fn accepts(registered: &[String], candidate: &str, faults: &FaultSwitches) -> bool {
    is_registered(registered, candidate)
        || registered.iter().any(|r| {
            // Fault: "starts with" instead of "equals" (`/redirect/more`, `?extra=1`).
            (faults.on(Fault::RedirectPrefixMatch) && candidate.starts_with(r.as_str()))
            // Fault: case folded before comparing (URIs are case-sensitive but the host).
            || (faults.on(Fault::RedirectCaseInsensitive) && r.eq_ignore_ascii_case(candidate))
            // Fault: trailing slashes trimmed from both before comparing.
            || (faults.on(Fault::RedirectTrailingSlashIgnored)
                && r.trim_end_matches('/') == candidate.trim_end_matches('/'))
        })
}

/// RFC 6749 4.1.2.1: an error about a redirect_uri that was not accepted is shown to the
/// member and never sent to that URI: there is no redirect target for it.
pub fn bad_uri_target(_candidate: &str, _state: Option<&str>) -> Option<String> {
    None
}

/// [`bad_uri_target`] as the authorization endpoint applies it. Fault `RedirectOnBadUri`: the
/// error (with the `state`) is sent to the unverified redirect_uri, an open redirector.
pub fn bad_uri_target_with(
    candidate: &str,
    state: Option<&str>,
    faults: &FaultSwitches,
) -> Option<String> {
    if !faults.on(Fault::RedirectOnBadUri) {
        return bad_uri_target(candidate, state);
    }
    let mut pairs = vec![("error", "invalid_request")];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    Some(with_params(candidate, &pairs))
}

/// `redirect_uri` with response parameters added to its query (RFC 6749 4.1.2), keeping any
/// query the registered URI already has.
pub fn with_params(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = redirect_uri.to_string();
    let mut sep = if redirect_uri.contains('?') { '&' } else { '?' };
    for (name, value) in params {
        out.push(sep);
        out.push_str(name);
        out.push('=');
        out.extend(url::form_urlencoded::byte_serialize(value.as_bytes()));
        sep = '&';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn registered() -> Vec<String> {
        vec![
            "https://client-app.com/redirect".into(),
            "https://client-app.com/callback/".into(),
        ]
    }

    #[test]
    fn mutations_of_a_registered_uri_do_not_match() {
        let r = registered();
        assert!(is_registered(&r, "https://client-app.com/redirect"));
        assert!(is_registered(&r, "https://client-app.com/callback/"));
        for bad in [
            "https://client-app.com/redirect/",
            "https://client-app.com/callback",
            "HTTPS://client-app.com/redirect",
            "https://Client-App.com/redirect",
            "https://client-app.com/Redirect",
            "https://client-app.com:443/redirect",
            "http://client-app.com/redirect",
            "https://client-app.com/redirect?x=1",
            "https://client-app.com/redirect#f",
            "https://client-app.com/redirect/extra",
            "https://client-app.com/redir",
            "https://client-app.com/%72edirect",
            "https://evil.example/redirect",
            "",
        ] {
            assert!(!is_registered(&r, bad), "{bad} must not match");
        }
    }

    #[test]
    fn each_redirect_fault_lets_its_own_mutation_through() {
        let r = registered();
        let clean = FaultSwitches::default();
        for (fault, good, still_bad) in [
            (
                Fault::RedirectPrefixMatch,
                "https://client-app.com/redirect/extra",
                "https://CLIENT-APP.com/redirect",
            ),
            (
                Fault::RedirectCaseInsensitive,
                "https://CLIENT-APP.com/redirect",
                "https://client-app.com/redirect/",
            ),
            (
                Fault::RedirectTrailingSlashIgnored,
                "https://client-app.com/callback",
                "https://client-app.com/redirect?x=1",
            ),
        ] {
            assert!(!accepts(&r, good, &clean), "{good}");
            let faults = FaultSwitches::with(&[fault]);
            assert!(accepts(&r, good, &faults), "{fault:?}: {good}");
            assert!(!accepts(&r, still_bad, &faults), "{fault:?}: {still_bad}");
            assert!(accepts(&r, "https://client-app.com/redirect", &faults));
        }
    }

    #[test]
    fn an_unaccepted_uri_is_never_a_redirect_target_unless_the_fault_is_on() {
        let evil = "https://evil.example/cb";
        for fault in Fault::all() {
            let faults = FaultSwitches::with(&[fault]);
            let target = bad_uri_target_with(evil, Some("s 1"), &faults);
            if fault == Fault::RedirectOnBadUri {
                assert_eq!(
                    target.as_deref(),
                    Some("https://evil.example/cb?error=invalid_request&state=s+1")
                );
            } else {
                assert_eq!(target, bad_uri_target(evil, Some("s 1")), "{fault:?}");
                assert_eq!(target, None, "{fault:?}");
            }
        }
        let faults = FaultSwitches::with(&[Fault::RedirectOnBadUri]);
        assert_eq!(
            bad_uri_target_with(evil, None, &faults).as_deref(),
            Some("https://evil.example/cb?error=invalid_request")
        );
    }

    #[test]
    fn params_are_appended_and_encoded() {
        assert_eq!(
            with_params("https://a.b/cb", &[("code", "x y"), ("state", "s&t")]),
            "https://a.b/cb?code=x+y&state=s%26t"
        );
        assert_eq!(
            with_params("https://a.b/cb?k=v", &[("code", "1")]),
            "https://a.b/cb?k=v&code=1"
        );
    }

    proptest! {
        #[test]
        fn only_an_identical_string_matches(candidate in "\\PC{0,60}", pick in 0usize..2) {
            let r = registered();
            prop_assert_eq!(is_registered(&r, &candidate), r.contains(&candidate));
            // Any one-character change of a registered URI is refused.
            let base = r[pick].clone();
            let mutated = format!("{base}{}", candidate.chars().next().unwrap_or('/'));
            prop_assert!(!is_registered(&r, &mutated));
        }
    }
}
