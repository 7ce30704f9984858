//! The syntax of an RFC 6750 section 3 `Bearer` challenge in `WWW-Authenticate`, as the
//! query `challenge_problems` reads it: what the answer breaks, one line each (empty when the
//! challenge is well formed).
//!
//! ```text
//! challenge   = "Bearer" [ 1*SP 1#auth-param ]       (RFC 6750 3 with RFC 7235 2.1)
//! auth-param  = token BWS "=" BWS ( token / quoted-string )
//! ```
//!
//! RFC 6750 3 adds: the scheme MUST be followed by one or more auth-params; `realm`, `scope`,
//! `error`, `error_description` and `error_uri` MUST NOT appear more than once; `scope` is
//! scope-tokens (`%x21 / %x23-5B / %x5D-7E`) separated by single spaces; `error` and
//! `error_description` use `%x20-21 / %x23-5B / %x5D-7E`; `error_uri` is a URI-reference of
//! `%x21 / %x23-5B / %x5D-7E`. Other challenges in the same header (another scheme) are
//! skipped; a header without a Bearer challenge is one problem.

/// The RFC 6750 problems of the Bearer challenge among `values` (every `WWW-Authenticate`
/// header of the answer).
pub fn problems(values: &[&str]) -> Vec<String> {
    let Some(params) = values.iter().find_map(|v| bearer_params(v)) else {
        return vec!["no Bearer challenge".into()];
    };
    let params = match params {
        Ok(p) => p,
        Err(e) => return vec![format!("malformed Bearer challenge: {e}")],
    };
    let mut out = Vec::new();
    if params.is_empty() {
        out.push("Bearer is followed by no auth-param".into());
    }
    for name in ["realm", "scope", "error", "error_description", "error_uri"] {
        let values: Vec<&str> = params
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        if values.len() > 1 {
            out.push(format!("{name} appears {} times", values.len()));
        }
        let allowed: fn(u8) -> bool = match name {
            "error" | "error_description" => |b| b == 0x20 || is_nqchar(b),
            "scope" => |b| b == b' ' || is_nqchar(b),
            "error_uri" => is_nqchar,
            _ => |_| true,
        };
        for v in values {
            if let Some(bad) = v.bytes().find(|b| !allowed(*b)) {
                let shown = match bad.is_ascii() {
                    true => format!("the character {:?}", bad as char),
                    false => "a non-ASCII character".into(),
                };
                out.push(format!("{name} holds {shown}"));
            } else if name == "scope" && (v.is_empty() || v.split(' ').any(str::is_empty)) {
                out.push("scope is not scope-tokens separated by single spaces".into());
            }
        }
    }
    out
}

/// `%x21 / %x23-5B / %x5D-7E`: a visible ASCII character but `"` and `\`.
fn is_nqchar(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The auth-params of the Bearer challenge in one header value, if it has one.
fn bearer_params(value: &str) -> Option<Result<Vec<(String, String)>, String>> {
    let bytes = value.as_bytes();
    let mut i = 0;
    loop {
        // A challenge starts with its scheme, a token.
        i = skip(bytes, i, |b| b == b' ' || b == b'\t' || b == b',');
        if i >= bytes.len() {
            return None;
        }
        let start = i;
        i = skip(bytes, i, is_tchar);
        if i == start {
            return Some(Err(format!("unexpected {:?}", bytes[i] as char)));
        }
        let scheme = &value[start..i];
        let (params, next) = match auth_params(value, i) {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        if scheme.eq_ignore_ascii_case("Bearer") {
            return Some(Ok(params));
        }
        i = next;
    }
}

/// The auth-params from `i` up to the next challenge's scheme (or the end), and where that is.
fn auth_params(value: &str, mut i: usize) -> Result<(Vec<(String, String)>, usize), String> {
    let bytes = value.as_bytes();
    let mut params = Vec::new();
    loop {
        let item = skip(bytes, i, |b| b == b' ' || b == b'\t' || b == b',');
        let name_end = skip(bytes, item, is_tchar);
        let after = skip(bytes, name_end, |b| b == b' ' || b == b'\t');
        if name_end == item || bytes.get(after) != Some(&b'=') {
            // The end, or the scheme of the next challenge.
            return Ok((params, item));
        }
        let name = value[item..name_end].to_string();
        let start = skip(bytes, after + 1, |b| b == b' ' || b == b'\t');
        let (v, end) = if bytes.get(start) == Some(&b'"') {
            quoted(value, start)?
        } else {
            let end = skip(bytes, start, is_tchar);
            if end == start {
                return Err(format!("{name} has no value"));
            }
            (value[start..end].to_string(), end)
        };
        params.push((name, v));
        i = skip(bytes, end, |b| b == b' ' || b == b'\t');
        match bytes.get(i) {
            None => return Ok((params, i)),
            Some(b',') => i += 1,
            Some(b) => {
                return Err(format!(
                    "unexpected {:?} after {}",
                    *b as char,
                    params.len()
                ));
            }
        }
    }
}

/// A quoted-string from the `"` at `start`: its unescaped text and where it ends.
fn quoted(value: &str, start: usize) -> Result<(String, usize), String> {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = start + 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => return Ok((String::from_utf8_lossy(&out).into_owned(), i + 1)),
            b'\\' => {
                let escaped = *bytes.get(i + 1).ok_or("a quoted-string ends in \\")?;
                out.push(escaped);
                i += 2;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    Err("a quoted-string is not closed".into())
}

fn skip(bytes: &[u8], mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    while bytes.get(i).is_some_and(|b| keep(*b)) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn well_formed_challenges_have_no_problems() {
        for ok in [
            r#"Bearer realm="fhir""#,
            r#"Bearer realm="https://h/fhir", error="invalid_token", error_description="the access token has expired""#,
            r#"bearer error=insufficient_scope, scope="patient/*.rs launch/patient""#,
            r#"Basic realm="token", Bearer realm="fhir""#,
            r#"Bearer realm="a, b", error_uri="https://h/e?x=1""#,
        ] {
            assert_eq!(problems(&[ok]), Vec::<String>::new(), "{ok}");
        }
        assert!(problems(&[r#"Basic realm="x""#, r#"Bearer realm="y""#]).is_empty());
    }

    #[test]
    fn each_rfc_6750_3_rule_is_a_problem() {
        let cases = [
            ("Bearer", "no auth-param"),
            (r#"Bearer realm="a", realm="b""#, "realm appears 2 times"),
            (r#"Bearer error="x", ERROR="y""#, "error appears 2 times"),
            (r#"Bearer scope="a  b""#, "single spaces"),
            (r#"Bearer scope="a\"b""#, "scope holds the character '\"'"),
            (
                "Bearer error_description=\"caf\u{e9}\"",
                "error_description holds a non-ASCII",
            ),
            (
                r#"Bearer error_uri="https://h/a b""#,
                "error_uri holds the character ' '",
            ),
            (r#"Bearer realm="open"#, "not closed"),
            (r#"Bearer realm=, error="x""#, "realm has no value"),
            (r#"Basic realm="x""#, "no Bearer challenge"),
        ];
        for (header, want) in cases {
            let got = problems(&[header]).join("; ");
            assert!(got.contains(want), "{header}: {got}");
        }
    }

    proptest! {
        /// Any header text gives problems or none, never a panic.
        #[test]
        fn any_text_is_judged(s in "\\PC{0,80}") {
            let _ = problems(&[&s]);
        }
    }
}
