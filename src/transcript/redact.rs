//! Redaction: what may be written about a request or response. Secrets (client secrets,
//! passwords, codes, tokens, `Authorization` and cookie headers) are replaced by
//! [`REDACTED`] by name (a header, a form field, a query parameter or a JSON member whose
//! name says it is a secret) and by value (every secret the run knows, wherever it shows up).

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;

/// What a secret is replaced by.
pub const REDACTED: &str = "[redacted]";

/// Headers never written.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];
/// Query parameters and form fields never written.
/// (`tx` is the login transaction of the bundled server's pages: short-lived, but it stands for
/// a signed-in member.)
const SECRET_PARAMS: [&str; 11] = [
    "tx",
    "code",
    "password",
    "client_secret",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "code_verifier",
    "assertion",
    "client_assertion",
];
/// JSON members never written. (Not `code`: FHIR resources are full of codes.)
const SECRET_MEMBERS: [&str; 7] = [
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "password",
    "code_verifier",
    // A patient-generated pair's secret (seed 003), shown once at creation.
    "secret",
];
/// Shorter values are not treated as secrets by value (they would match ordinary text).
const MIN_SECRET_LEN: usize = 4;

/// Whether a variable named so holds a secret (`client_secret`, `password`, `code`,
/// `expired_access_token`...). `token` alone is the token endpoint's URL.
pub fn is_secret_name(name: &str) -> bool {
    name.ends_with("secret")
        || name.ends_with("password")
        || name.ends_with("_token")
        || name == "code"
        || name.ends_with("_code")
        || name.ends_with("verifier")
}

/// Whether a header carries credentials (never written).
pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// The secrets a run knows, and the rules above. Values are found by one automaton over
/// every form of every secret (built on first use after a change), so redacting costs one pass
/// over the text however many secrets a run has learnt.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: BTreeSet<String>,
    matcher: OnceLock<Option<Arc<AhoCorasick>>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    /// Remembers a secret value; it is redacted wherever it appears from now on, as sent and
    /// in the encodings a target may echo it in.
    pub fn add(&mut self, secret: &str) {
        if secret.len() >= MIN_SECRET_LEN && self.secrets.insert(secret.to_string()) {
            self.matcher = OnceLock::new();
        }
    }

    /// Remembers the credentials carried by a request's or response's headers: the value of
    /// an `Authorization` header (the encoded `Basic` pair, a bearer token), and of every
    /// cookie sent or set. A target that echoes the request then cannot leak them.
    pub fn learn_headers(&mut self, headers: &reqwest::header::HeaderMap) {
        for (name, value) in headers {
            let Ok(value) = value.to_str() else { continue };
            match name.as_str() {
                "authorization" | "proxy-authorization" => {
                    let credential = value.split_once(' ').map_or(value, |(_, c)| c);
                    self.add(credential.trim());
                }
                "cookie" => {
                    for pair in value.split(';') {
                        self.add(cookie_value(pair));
                    }
                }
                "set-cookie" => {
                    self.add(cookie_value(value.split(';').next().unwrap_or_default()));
                }
                _ => {}
            }
        }
    }

    /// `text` with every known secret value replaced.
    pub fn text(&self, text: &str) -> String {
        match self.matcher() {
            Some(m) => m.replace_all(text, &vec![REDACTED; m.patterns_len()]),
            None => text.to_string(),
        }
    }

    fn matcher(&self) -> Option<&AhoCorasick> {
        self.matcher
            .get_or_init(|| {
                let forms: BTreeSet<String> = self.secrets.iter().flat_map(|s| forms(s)).collect();
                if forms.is_empty() {
                    return None;
                }
                // Leftmost-longest: a secret containing another is replaced whole.
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&forms)
                    .ok()
                    .map(Arc::new)
            })
            .as_deref()
    }

    /// A URL with secret query parameters redacted.
    pub fn url(&self, url: &str) -> String {
        let Ok(mut parsed) = url::Url::parse(url) else {
            return self.text(url);
        };
        if parsed.query().is_some() {
            let pairs = self.pairs(parsed.query_pairs());
            parsed.query_pairs_mut().clear().extend_pairs(pairs);
        }
        self.text(parsed.as_str())
    }

    /// A header value, or [`REDACTED`] for a secret header. `Location` URLs lose their
    /// secret parameters.
    pub fn header(&self, name: &str, value: &str) -> String {
        let name = name.to_ascii_lowercase();
        if SECRET_HEADERS.contains(&name.as_str()) {
            REDACTED.to_string()
        } else if name == "location" {
            self.url(value)
        } else {
            self.text(value)
        }
    }

    /// A form-encoded body with secret fields redacted.
    pub fn form(&self, body: &str) -> String {
        let pairs = self.pairs(url::form_urlencoded::parse(body.as_bytes()));
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.text(&encoded)
    }

    /// A JSON value with secret members redacted, at any depth.
    pub fn json(&self, value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = if SECRET_MEMBERS.contains(&k.as_str()) && !v.is_null() {
                            Value::String(REDACTED.into())
                        } else {
                            self.json(v)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.json(v)).collect()),
            Value::String(s) => Value::String(self.text(s)),
            other => other.clone(),
        }
    }

    /// A body for a transcript: JSON and forms by their rules, other text by value, at most
    /// `limit` characters.
    pub fn body(&self, content_type: Option<&str>, bytes: &[u8], limit: usize) -> String {
        let media = content_type
            .and_then(|c| c.split(';').next())
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let text = if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
            serde_json::to_string(&self.json(&v)).unwrap_or_default()
        } else if media == "application/x-www-form-urlencoded" {
            self.form(&String::from_utf8_lossy(bytes))
        } else {
            self.text(&String::from_utf8_lossy(bytes))
        };
        truncate(text, limit)
    }

    fn pairs<'a>(
        &self,
        pairs: impl Iterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
    ) -> Vec<(String, String)> {
        pairs
            .map(|(k, v)| {
                let v = if SECRET_PARAMS.contains(&k.as_ref()) {
                    REDACTED.to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect()
    }
}

/// A secret as sent and in the encodings it travels or is echoed in: form-encoded (`+` for a
/// space), percent-encoded (upper- and lower-case hex), JSON-escaped and base64 (standard
/// and URL-safe).
fn forms(secret: &str) -> Vec<String> {
    let mut forms = vec![
        secret.to_string(),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        percent_encoded(secret, false),
        percent_encoded(secret, true),
        STANDARD.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
    ];
    if let Ok(json) = serde_json::to_string(secret) {
        forms.push(json[1..json.len() - 1].to_string());
    }
    forms.retain(|f| f.len() >= MIN_SECRET_LEN);
    forms
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
fn percent_encoded(text: &str, lower_hex: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else if lower_hex {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The value of a `name=value` cookie pair.
fn cookie_value(pair: &str) -> &str {
    pair.split_once('=')
        .map_or(pair, |(_, v)| v)
        .trim()
        .trim_matches('"')
}

/// At most `limit` characters, marked when cut. (Cut after redaction, so a cut never
/// leaves half a secret behind.)
fn truncate(text: String, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((at, _)) => format!("{}… [{} more bytes]", &text[..at], text.len() - at),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn redactor() -> Redactor {
        let mut r = Redactor::default();
        r.add("s3cr3t-value");
        r.add("pa ss/wd+1");
        r
    }

    #[test]
    fn secret_params_headers_and_members_are_redacted_by_name() {
        let r = Redactor::default();
        let url = r.url("https://app.example/cb?code=abc123&state=xyz");
        assert_eq!(url, "https://app.example/cb?code=%5Bredacted%5D&state=xyz");
        assert_eq!(r.header("Authorization", "Bearer abc"), REDACTED);
        assert_eq!(r.header("set-cookie", "sid=1"), REDACTED);
        assert_eq!(r.header("content-type", "text/html"), "text/html");
        assert!(
            !r.header("Location", "https://a/cb?code=zz9&state=s")
                .contains("zz9")
        );
        let form = r.form("grant_type=authorization_code&code=c0de99&client_secret=x1y2");
        assert!(!form.contains("c0de99") && !form.contains("x1y2"), "{form}");
        assert!(form.contains("grant_type=authorization_code"));
        let json = r.json(
            &serde_json::json!({"access_token": "t0k", "scope": "openid",
            "entry": [{"code": "kept"}]}),
        );
        assert_eq!(json["access_token"], REDACTED);
        assert_eq!(json["scope"], "openid");
        assert_eq!(json["entry"][0]["code"], "kept");
    }

    #[test]
    fn known_values_are_redacted_anywhere_and_encoded() {
        let r = redactor();
        assert_eq!(r.text("x s3cr3t-value y"), format!("x {REDACTED} y"));
        let encoded = r.form("a=pa+ss%2Fwd%2B1");
        assert!(!encoded.contains("wd"), "{encoded}");
        assert!(!r.body(None, b"<p>s3cr3t-value</p>", 100).contains("s3cr3t"));
    }

    #[test]
    fn bodies_are_cut_after_redaction() {
        let r = redactor();
        let body = r.body(Some("text/plain"), "é".repeat(50).as_bytes(), 10);
        assert!(body.starts_with(&"é".repeat(10)), "{body}");
        assert!(body.contains("more bytes"));
    }

    #[test]
    fn echoed_encodings_of_a_secret_are_redacted() {
        let mut r = Redactor::default();
        r.add("se cr/et\"+1");
        for echoed in [
            "se+cr%2Fet%22%2B1",
            "se%20cr%2Fet%22%2B1",
            "se%20cr%2fet%22%2b1",
            "se cr/et\\\"+1",
            &STANDARD.encode("se cr/et\"+1"),
            &URL_SAFE_NO_PAD.encode("se cr/et\"+1"),
        ] {
            assert_eq!(
                r.text(&format!("<{echoed}>")),
                format!("<{REDACTED}>"),
                "{echoed}"
            );
        }
    }

    #[test]
    fn credentials_in_headers_are_learnt() {
        use reqwest::header::{AUTHORIZATION, COOKIE, HeaderMap, HeaderValue, SET_COOKIE};
        let basic = STANDARD.encode("client-a:s3cr3t");
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {basic}")).unwrap(),
        );
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=cookie-one; b=cookie-two"),
        );
        headers.append(
            SET_COOKIE,
            HeaderValue::from_static("sid=\"session-9\"; HttpOnly"),
        );
        let mut r = Redactor::default();
        r.learn_headers(&headers);
        let echo = format!("auth: Basic {basic}\ncookies: cookie-one cookie-two session-9");
        let out = r.text(&echo);
        for leaked in [basic.as_str(), "cookie-one", "cookie-two", "session-9"] {
            assert!(!out.contains(leaked), "{leaked} in {out}");
        }
        assert!(out.contains("auth: Basic "), "{out}");
    }

    #[test]
    fn a_secret_inside_another_is_replaced_by_the_longer() {
        let mut r = Redactor::default();
        r.add("abcd");
        r.add("xxabcdyy");
        assert_eq!(
            r.text("1 xxabcdyy 2 abcd"),
            format!("1 {REDACTED} 2 {REDACTED}")
        );
    }

    /// Thousands of secrets (a long run's codes and tokens) over a large body, every one found.
    /// (Its speed is measured by scripts/bench-hostile.sh, not here.)
    #[test]
    fn thousands_of_secrets_are_all_found_in_a_large_body() {
        let mut r = Redactor::default();
        let secrets: Vec<String> = (0..3_000)
            .map(|i| format!("token-{i:05}-{}", i * 7919))
            .collect();
        for s in &secrets {
            r.add(s);
        }
        let body = secrets
            .iter()
            .rev()
            .map(|s| format!("{}{s}", "x".repeat(500)))
            .collect::<String>();
        let out = r.text(&body);
        assert_eq!(out.matches(REDACTED).count(), secrets.len());
        assert!(!out.contains("token-"));
    }

    proptest! {
        #[test]
        fn a_known_secret_never_survives(secret in "[A-Za-z0-9+/=_.~-]{4,40}", pre in ".{0,30}", post in ".{0,30}") {
            let mut r = Redactor::default();
            r.add(&secret);
            let text = format!("{pre}{secret}{post}");
            prop_assert!(!r.text(&text).contains(&secret));
            let body = format!("x={}", url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>());
            prop_assert!(!r.form(&body).contains(&secret));
        }
    }
}
