//! Whether the HTML pages a login showed forbid framing by other sites (RFC 9700 4.16 and
//! OpenID Connect Core 3.1.2.3: the authorization server prevents clickjacking of its login
//! and consent pages). Read from the response headers the login driver's session recorded.
//!
//! A page forbids framing when its `Content-Security-Policy` has a `frame-ancestors` directive
//! without a wildcard source, or, when no policy has one, its `X-Frame-Options` is `DENY` or
//! `SAMEORIGIN`. CSP level 2 says a `frame-ancestors` directive overrides `X-Frame-Options`,
//! so `frame-ancestors *` with `X-Frame-Options: DENY` still lets any site frame the page.
//! `ALLOW-FROM` is obsolete (browsers ignore it) and `Content-Security-Policy-Report-Only`
//! enforces nothing: neither counts. Framebusting JavaScript is not judged: RFC 6819
//! 5.2.2.6 describes it beside X-Frame-Options, and a script's effect cannot be read from
//! the page's headers.

use crate::transcript::Exchange;

/// `(html_pages, frameable_pages)`: the successful HTML answers among `exchanges`, and how
/// many of them any site may frame.
pub fn count_pages(exchanges: &[Exchange]) -> (usize, usize) {
    let pages: Vec<&Exchange> = exchanges.iter().filter(|e| is_html_page(e)).collect();
    let frameable = pages
        .iter()
        .filter(|e| !forbids_framing(&e.response_headers))
        .count();
    (pages.len(), frameable)
}

fn is_html_page(e: &Exchange) -> bool {
    e.status.is_some_and(|s| (200..300).contains(&s))
        && header_values(&e.response_headers, "content-type")
            .any(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

/// Whether these response headers keep other sites from framing the page.
pub fn forbids_framing(headers: &[(String, String)]) -> bool {
    let ancestors: Vec<Vec<String>> = header_values(headers, "content-security-policy")
        .flat_map(|policy| policy.split(','))
        .filter_map(frame_ancestors)
        .collect();
    if !ancestors.is_empty() {
        // Every policy is enforced: one without a wildcard is enough.
        return ancestors
            .iter()
            .any(|sources| !sources.iter().any(|s| is_wildcard(s)));
    }
    header_values(headers, "x-frame-options").any(|v| {
        let v = v.trim();
        v.eq_ignore_ascii_case("DENY") || v.eq_ignore_ascii_case("SAMEORIGIN")
    })
}

/// The source list of a policy's `frame-ancestors` directive, if it has one.
fn frame_ancestors(policy: &str) -> Option<Vec<String>> {
    policy.split(';').find_map(|directive| {
        let mut words = directive.split_ascii_whitespace();
        let name = words.next()?;
        name.eq_ignore_ascii_case("frame-ancestors")
            .then(|| words.map(str::to_ascii_lowercase).collect())
    })
}

/// A source that matches any site: `*`, or a bare scheme such as `https:`.
fn is_wildcard(source: &str) -> bool {
    source == "*" || source.ends_with(':')
}

fn header_values<'a>(
    headers: &'a [(String, String)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn either_header_forbids_framing() {
        for forbidding in [
            &[("X-Frame-Options", "DENY")][..],
            &[("x-frame-options", " sameorigin ")],
            &[("Content-Security-Policy", "frame-ancestors 'none'")],
            &[(
                "content-security-policy",
                "default-src 'self'; frame-ancestors 'self' https://app.example",
            )],
            &[(
                "Content-Security-Policy",
                "script-src 'self', frame-ancestors 'self'",
            )],
            // One enforced policy without a wildcard is enough.
            &[
                ("Content-Security-Policy", "frame-ancestors *"),
                ("Content-Security-Policy", "frame-ancestors 'none'"),
            ],
        ] {
            assert!(forbids_framing(&headers(forbidding)), "{forbidding:?}");
        }
    }

    #[test]
    fn wildcards_obsolete_values_and_report_only_allow_framing() {
        for allowing in [
            &[][..],
            &[("X-Frame-Options", "ALLOW-FROM https://evil.example")],
            &[("X-Frame-Options", "")],
            &[(
                "Content-Security-Policy-Report-Only",
                "frame-ancestors 'none'",
            )],
            &[("Content-Security-Policy", "default-src 'self'")],
            // frame-ancestors overrides X-Frame-Options (CSP level 2).
            &[
                ("Content-Security-Policy", "frame-ancestors *"),
                ("X-Frame-Options", "DENY"),
            ],
            &[("Content-Security-Policy", "frame-ancestors https:")],
        ] {
            assert!(!forbids_framing(&headers(allowing)), "{allowing:?}");
        }
    }
}
