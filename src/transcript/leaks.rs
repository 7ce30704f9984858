//! Credentials a target must never send back (RFC 6749 10.1 and 10.3, RFC 9700 4.x): the
//! client secrets and member passwords the run was given. Every raw response is scanned,
//! before redaction, in its headers (a `Location` included), its body and the decoded
//! payload of each JWT in them; what is found is named on the exchange, never shown.

use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Shorter values are too likely to occur by chance.
const MIN_CREDENTIAL_LEN: usize = 6;

/// Whether a variable holds a credential the target must never echo: a client secret or a
/// member password (not tokens or codes, which responses carry by design).
pub fn is_credential_name(name: &str) -> bool {
    name.ends_with("secret") || name.ends_with("password")
}

/// The credentials to look for, with one automaton over all their encoded forms.
#[derive(Clone, Default)]
pub struct CredentialScan {
    names: Vec<String>,
    /// Pattern index -> index in `names`.
    owner: Vec<usize>,
    matcher: Option<Arc<AhoCorasick>>,
}

impl std::fmt::Debug for CredentialScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CredentialScan({:?})", self.names)
    }
}

impl CredentialScan {
    /// From `(variable name, value)` pairs; only credentials count (see
    /// [`is_credential_name`]), and a value several names share is scanned for once.
    pub fn new<'a>(vars: impl IntoIterator<Item = (&'a str, String)>) -> CredentialScan {
        let mut scan = CredentialScan::default();
        let mut patterns: Vec<String> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (name, value) in vars {
            if !is_credential_name(name) || value.len() < MIN_CREDENTIAL_LEN {
                continue;
            }
            if !seen.insert(value.clone()) {
                continue;
            }
            let index = scan.names.len();
            scan.names.push(name.to_string());
            for form in forms(&value) {
                if !patterns.contains(&form) {
                    patterns.push(form);
                    scan.owner.push(index);
                }
            }
        }
        scan.matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok()
            .map(Arc::new);
        scan
    }

    /// The credentials `names` whose values this scan looks for.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// What a response carries: "`name` in `place`" for each credential found.
    pub fn scan(&self, headers: &reqwest::header::HeaderMap, body: &[u8]) -> Vec<String> {
        let Some(matcher) = &self.matcher else {
            return Vec::new();
        };
        let mut found = std::collections::BTreeSet::new();
        let mut look = |text: &[u8], place: &str| {
            for m in matcher.find_iter(text) {
                let name = &self.names[self.owner[m.pattern().as_usize()]];
                found.insert(format!("{name} in {place}"));
            }
        };
        for (header, value) in headers {
            look(value.as_bytes(), &format!("header {header}"));
            for payload in jwt_payloads(value.as_bytes()) {
                look(&payload, &format!("a JWT payload in header {header}"));
            }
        }
        look(body, "the body");
        for payload in jwt_payloads(body) {
            look(&payload, "a JWT payload in the body");
        }
        found.into_iter().collect()
    }
}

/// The forms a target may echo a value in: raw, form- and percent-encoded, JSON-escaped,
/// HTML-escaped.
fn forms(value: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let percent = form.replace('+', "%20");
    let json = serde_json::to_string(value).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    let html = value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    let mut all = vec![value.to_string(), form, percent, json, html];
    all.sort();
    all.dedup();
    all
}

/// The decoded payloads of the JWTs (`eyJ...` compact serialisations) in `text`.
fn jwt_payloads(text: &[u8]) -> Vec<Vec<u8>> {
    let is_b64 = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(start) = find(&text[i..], b"eyJ").map(|s| s + i) {
        let segment = |from: usize| from + text[from..].iter().take_while(|b| is_b64(b)).count();
        let header_end = segment(start);
        i = header_end.max(start + 3);
        if text.get(header_end) != Some(&b'.') {
            continue;
        }
        let payload_end = segment(header_end + 1);
        match URL_SAFE_NO_PAD.decode(&text[header_end + 1..payload_end]) {
            Ok(payload) if !payload.is_empty() => out.push(payload),
            _ => {}
        }
        i = payload_end;
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, LOCATION};

    fn scan() -> CredentialScan {
        CredentialScan::new([
            ("client_secret", "pa-demo-secret-7f3c".to_string()),
            ("password", "hp Test&11".to_string()),
            ("access_token", "tok-123456".to_string()),
            ("pd_client_secret", "short".to_string()),
        ])
    }

    #[test]
    fn only_credentials_long_enough_are_looked_for() {
        assert_eq!(scan().names(), ["client_secret", "password"]);
        let none = scan().scan(
            &HeaderMap::new(),
            b"{\"access_token\":\"tok-123456\",\"x\":\"short\"}",
        );
        assert!(none.is_empty(), "{none:?}");
    }

    #[test]
    fn echoes_are_found_in_body_headers_and_jwt_payloads_in_any_encoding() {
        let s = scan();
        let body = br#"<input type=hidden name=p value="hp Test&amp;11">"#;
        assert_eq!(s.scan(&HeaderMap::new(), body), ["password in the body"]);
        let mut headers = HeaderMap::new();
        let location = "https://app/cb?error=x&echo=hp+Test%2611";
        headers.insert(LOCATION, HeaderValue::from_static(location));
        assert_eq!(s.scan(&headers, b""), ["password in header location"]);
        let payload =
            URL_SAFE_NO_PAD.encode(br#"{"sub":"a","client_secret":"pa-demo-secret-7f3c"}"#);
        let jwt = format!("{{\"id_token\":\"eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln\"}}");
        assert_eq!(
            s.scan(&HeaderMap::new(), jwt.as_bytes()),
            ["client_secret in a JWT payload in the body"]
        );
        let percent = b"x=hp%20Test%2611";
        assert_eq!(s.scan(&HeaderMap::new(), percent), ["password in the body"]);
    }

    #[test]
    fn broken_jwts_and_empty_scans_are_harmless() {
        assert!(jwt_payloads(b"eyJ eyJ. eyJabc.!!! eyJ").is_empty());
        assert!(
            CredentialScan::default()
                .scan(&HeaderMap::new(), b"anything")
                .is_empty()
        );
    }
}
