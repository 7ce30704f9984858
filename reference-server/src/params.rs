//! Request parameters (query strings and form bodies) as an ordered list, so duplicates
//! and oversize input are caught instead of silently collapsed.

use std::borrow::Cow;

/// Longest query string or form body accepted, in bytes.
pub const MAX_PARAMS_BYTES: usize = 16 * 1024;
/// Most parameters accepted in one request.
pub const MAX_PARAMS: usize = 64;

/// Decoded `name=value` pairs in request order.
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

/// Why a parameter list was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamError {
    /// The raw input is longer than [`MAX_PARAMS_BYTES`] or has more than [`MAX_PARAMS`] pairs.
    TooLarge,
    /// A parameter occurs more than once (RFC 6749 3.1: "MUST NOT be included more than once").
    Duplicate(String),
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamError::TooLarge => write!(f, "too many or too long parameters"),
            ParamError::Duplicate(name) => write!(f, "parameter `{name}` is repeated"),
        }
    }
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` text (a query string or a form body).
    pub fn parse(raw: &[u8]) -> Result<Params, ParamError> {
        if raw.len() > MAX_PARAMS_BYTES {
            return Err(ParamError::TooLarge);
        }
        let mut pairs = Vec::new();
        for (name, value) in url::form_urlencoded::parse(raw) {
            if pairs.len() == MAX_PARAMS {
                return Err(ParamError::TooLarge);
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Params(pairs))
    }

    /// Parses an optional query string.
    pub fn from_query(query: Option<&str>) -> Result<Params, ParamError> {
        Params::parse(query.unwrap_or("").as_bytes())
    }

    /// The value of a parameter that may occur at most once; empty values count as absent
    /// (RFC 6749 3.1: "Parameters sent without a value MUST be treated as if they were omitted").
    pub fn single(&self, name: &str) -> Result<Option<&str>, ParamError> {
        let mut found = None;
        for (n, v) in &self.0 {
            if n == name {
                if found.is_some() {
                    return Err(ParamError::Duplicate(name.to_string()));
                }
                found = Some(v.as_str());
            }
        }
        Ok(found.filter(|v| !v.is_empty()))
    }

    /// The first parameter name that occurs more than once, if any.
    pub fn first_duplicate(&self) -> Option<&str> {
        self.0.iter().enumerate().find_map(|(i, (n, _))| {
            self.0[..i]
                .iter()
                .any(|(m, _)| m == n)
                .then_some(n.as_str())
        })
    }

    /// All pairs, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Whether a parameter is present at all (even empty).
    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }
}

/// Whether a request's `Content-Type` is `application/x-www-form-urlencoded` (any charset).
pub fn is_form(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let media_type = v.split(';').next().unwrap_or_default().trim();
            media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Percent-encodes one query component.
pub fn encode(value: &str) -> Cow<'_, str> {
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_rejects_duplicates_and_treats_empty_as_absent() {
        let p = Params::parse(b"a=1&b=&a=2&c=x%20y").unwrap();
        assert_eq!(p.single("a"), Err(ParamError::Duplicate("a".into())));
        assert_eq!(p.single("b"), Ok(None));
        assert_eq!(p.single("c"), Ok(Some("x y")));
        assert_eq!(p.single("zz"), Ok(None));
        assert_eq!(p.first_duplicate(), Some("a"));
    }

    #[test]
    fn oversized_input_is_refused() {
        let long = vec![b'a'; MAX_PARAMS_BYTES + 1];
        assert_eq!(Params::parse(&long).unwrap_err(), ParamError::TooLarge);
        let many = (0..=MAX_PARAMS)
            .map(|i| format!("p{i}=1"))
            .collect::<Vec<_>>()
            .join("&");
        assert_eq!(
            Params::parse(many.as_bytes()).unwrap_err(),
            ParamError::TooLarge
        );
    }
}
