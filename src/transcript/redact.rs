//! Redaction: what may be written about a request or response. Secrets (client secrets,
//! passwords, codes, tokens, `Authorization` and cookie headers) are replaced by
//! [`REDACTED`] by name (a header, a form field, a query parameter or a JSON member whose
//! name says it is a secret) and by value (every secret the run knows, wherever it shows up).

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
}

/// Whether a header carries credentials (never written).
pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// The secrets a run knows, and the rules above.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    /// Remembers a secret value; it is redacted wherever it appears from now on.
    pub fn add(&mut self, secret: &str) {
        if secret.len() >= MIN_SECRET_LEN && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_string());
            // Longest first, so a secret containing another is replaced whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// `text` with every known secret value replaced.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
            // Secrets also travel percent-encoded (form bodies, query strings).
            let encoded: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            if encoded != *s && out.contains(encoded.as_str()) {
                out = out.replace(encoded.as_str(), REDACTED);
            }
        }
        out
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
