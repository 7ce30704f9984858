//! Near misses of a registered redirect URI, derived from the target's own URIs so the
//! redirect-URI family tests the target's registration wherever it runs: each is the URI
//! changed in one way an exact comparison must notice (case, port, scheme, path, encoding).

use url::Url;

/// `(variable, value)` for each mutation of `redirect_uri` (`redirect_uri_upper_host`, ...)
/// and of `redirect_uri_slash` (`redirect_uri_slash_removed`). Nothing for an unparsable URI
/// or one without a host.
pub fn redirect_mutations(redirect_uri: &str, slash_uri: Option<&str>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(u) = Url::parse(redirect_uri)
        && let Some(host) = u.host_str()
    {
        let scheme = u.scheme();
        let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
        let path = u.path();
        let rest = &redirect_uri[redirect_uri.find(host).map_or(0, |i| i + host.len())..];
        let rest_after_port = rest.strip_prefix(&port).unwrap_or(rest);
        let with = |scheme: &str, host: &str, port: &str, tail: &str| {
            format!("{scheme}://{host}{port}{tail}")
        };
        let default_port = match scheme {
            "https" => 443,
            _ => 80,
        };
        let other_scheme = if scheme == "https" { "http" } else { "https" };
        let other_port = u
            .port()
            .map_or(8443, |p| if p == 8443 { 8444 } else { 8443 });
        let mut add = |name: &str, value: String| {
            if value != redirect_uri {
                out.push((format!("redirect_uri_{name}"), value));
            }
        };
        add(
            "upper_scheme",
            with(&scheme.to_uppercase(), host, &port, rest_after_port),
        );
        add(
            "upper_host",
            with(scheme, &host.to_uppercase(), &port, rest_after_port),
        );
        add(
            "upper_path",
            with(scheme, host, &port, &rest_after_port.to_uppercase()),
        );
        if u.port().is_none() {
            add(
                "default_port",
                with(scheme, host, &format!(":{default_port}"), rest_after_port),
            );
        }
        add(
            "other_port",
            with(scheme, host, &format!(":{other_port}"), rest_after_port),
        );
        add(
            "other_scheme",
            with(other_scheme, host, &port, rest_after_port),
        );
        if path.len() > 1 {
            // One character short of the registered path: a prefix.
            let short = &path[..path.len() - 1];
            add("path_prefix", with(scheme, host, &port, short));
            // The path's last character percent-encoded: the same path to a lax decoder.
            let (head, last) = path.split_at(path.len() - 1);
            let encoded = format!("{head}%{:02X}", last.as_bytes()[0]);
            add("percent_encoded", with(scheme, host, &port, &encoded));
        }
    }
    if let Some(slash) = slash_uri
        && let Some(removed) = slash.strip_suffix('/')
    {
        out.push(("redirect_uri_slash_removed".into(), removed.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(m: &'a [(String, String)], name: &str) -> &'a str {
        &m.iter().find(|(n, _)| n == name).unwrap().1
    }

    #[test]
    fn mutations_of_a_typical_uri() {
        let m = redirect_mutations(
            "https://client-app.com/redirect",
            Some("https://client-app.com/callback/"),
        );
        assert_eq!(
            get(&m, "redirect_uri_upper_scheme"),
            "HTTPS://client-app.com/redirect"
        );
        assert_eq!(
            get(&m, "redirect_uri_upper_host"),
            "https://CLIENT-APP.COM/redirect"
        );
        assert_eq!(
            get(&m, "redirect_uri_upper_path"),
            "https://client-app.com/REDIRECT"
        );
        assert_eq!(
            get(&m, "redirect_uri_default_port"),
            "https://client-app.com:443/redirect"
        );
        assert_eq!(
            get(&m, "redirect_uri_other_port"),
            "https://client-app.com:8443/redirect"
        );
        assert_eq!(
            get(&m, "redirect_uri_other_scheme"),
            "http://client-app.com/redirect"
        );
        assert_eq!(
            get(&m, "redirect_uri_path_prefix"),
            "https://client-app.com/redirec"
        );
        assert_eq!(
            get(&m, "redirect_uri_percent_encoded"),
            "https://client-app.com/redirec%74"
        );
        assert_eq!(
            get(&m, "redirect_uri_slash_removed"),
            "https://client-app.com/callback"
        );
    }

    #[test]
    fn a_loopback_uri_with_a_port_and_query() {
        let m = redirect_mutations("http://127.0.0.1:8765/callback?x=1", None);
        assert_eq!(
            get(&m, "redirect_uri_other_port"),
            "http://127.0.0.1:8443/callback?x=1"
        );
        assert_eq!(
            get(&m, "redirect_uri_other_scheme"),
            "https://127.0.0.1:8765/callback?x=1"
        );
        assert!(m.iter().all(|(n, _)| n != "redirect_uri_default_port"));
        assert!(redirect_mutations("not a url", None).is_empty());
    }
}
