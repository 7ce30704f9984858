//! Variables of a run: the target's (URLs, clients, members), a variant's, and values
//! captured from responses. Template expansion happens here and only here: every string of
//! a step or a check, map keys included, goes through [`Vars::expand_value`]. Secret
//! variables (secrets, passwords, tokens, codes) are handed to the redactor.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::transcript::leaks::CredentialScan;
use crate::transcript::redact::{Redactor, is_secret_name};

/// Named values, newest first. Most are texts; captures keep their JSON type, so
/// `equals = "{record_size}"` compares a number with a number.
#[derive(Debug, Clone, Default)]
pub struct Vars(pub Vec<(String, Value)>);

/// A step whose fields no longer fit their types once expanded.
#[derive(Debug, thiserror::Error)]
#[error("after expanding variables: {0}")]
pub struct ExpandError(serde_json::Error);

/// How an expanded string that is exactly one `{name}` is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expansion {
    /// By the variable's value with its type (a check's expected value).
    Typed,
    /// By its text (a request's fields are texts).
    Text,
}

impl From<Vec<(String, String)>> for Vars {
    fn from(pairs: Vec<(String, String)>) -> Vars {
        Vars(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    }
}

impl Vars {
    /// `template` with every known `{name}` replaced by its text.
    pub fn expand(&self, template: &str) -> String {
        if !template.contains('{') {
            return template.to_string();
        }
        self.0.iter().fold(template.to_string(), |t, (k, v)| {
            let placeholder = format!("{{{k}}}");
            if t.contains(&placeholder) {
                t.replace(&placeholder, &text_of(v))
            } else {
                t
            }
        })
    }

    /// `value` with every string in it (and every object key) expanded; a string that is
    /// exactly one known `{name}` becomes its value when `how` is [`Expansion::Typed`].
    pub fn expand_value(&self, value: &Value, how: Expansion) -> Value {
        match value {
            Value::String(s) => match (how, self.exact(s)) {
                (Expansion::Typed, Some(v)) => v.clone(),
                _ => Value::String(self.expand(s)),
            },
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.expand_value(v, how)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (self.expand(k), self.expand_value(v, how)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// A copy of `item` with every string field expanded (as text): the item goes through
    /// its serialized form, so no field can be missed.
    pub fn expand_into<T: Serialize + DeserializeOwned>(&self, item: &T) -> Result<T, ExpandError> {
        let value = serde_json::to_value(item).map_err(ExpandError)?;
        serde_json::from_value(self.expand_value(&value, Expansion::Text)).map_err(ExpandError)
    }

    /// The variable a string names when it is exactly `{name}`.
    fn exact(&self, s: &str) -> Option<&Value> {
        let name = s.strip_prefix('{')?.strip_suffix('}')?;
        self.get(name)
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The value of `name` as text.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(text_of)
    }

    /// Sets `name`, replacing an older value.
    pub fn set(&mut self, name: &str, value: Value) {
        self.0.retain(|(n, _)| n != name);
        self.0.insert(0, (name.to_string(), value));
    }

    /// These variables with a variant's on top (a variant's `{x}` may use the target's).
    pub fn with(&self, variant: &BTreeMap<String, String>) -> Vars {
        let mut all = self.clone();
        for (k, v) in variant {
            all.set(k, Value::String(self.expand(v)));
        }
        all
    }

    /// These variables plus those derived from them: the near misses of the registered
    /// redirect URIs (`{redirect_uri_upper_host}`, ... see `scenario::mutations`) and the
    /// run's PKCE pair (`{pkce_verifier}`, `{pkce_challenge}`: `scenario::pkce`).
    pub fn with_derived(&self) -> Vars {
        let mut all = self.clone();
        if all.get("pkce_verifier").is_none() {
            let (verifier, challenge) = super::pkce::pair();
            all.0
                .push(("pkce_verifier".into(), Value::String(verifier)));
            all.0
                .push(("pkce_challenge".into(), Value::String(challenge)));
        }
        if let Some(uri) = self.text("redirect_uri") {
            let slash = self.text("redirect_uri_slash");
            for (name, value) in super::mutations::redirect_mutations(&uri, slash.as_deref()) {
                if all.get(&name).is_none() {
                    all.0.push((name, Value::String(value)));
                }
            }
        }
        all
    }

    /// A redactor that knows every secret variable.
    /// The credentials (client secrets, passwords) no response may carry.
    pub fn credential_scan(&self) -> CredentialScan {
        CredentialScan::new(self.0.iter().map(|(k, v)| (k.as_str(), text_of(v))))
    }

    pub fn redactor(&self) -> Redactor {
        let mut r = Redactor::default();
        for (k, v) in &self.0 {
            if is_secret_name(k) {
                r.add(&text_of(v));
            }
        }
        r
    }
}

/// A value as text: a string as it is, anything else as JSON.
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::{Jwt, Login, Request, Walk};
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn variants_override_and_may_use_target_variables() {
        let target = Vars::from(vec![("host".into(), "h".into()), ("x".into(), "1".into())]);
        let variant = BTreeMap::from([("x".into(), "{host}/2".into())]);
        let v = target.with(&variant);
        assert_eq!(v.expand("{x}|{host}|{nope}"), "h/2|h|{nope}");
        assert_eq!(v.text("x").as_deref(), Some("h/2"));
    }

    #[test]
    fn exact_placeholders_keep_their_type_only_when_typed() {
        let mut v = Vars::default();
        v.set("n", json!(37));
        v.set("s", json!("a"));
        let value = json!({"{s}": ["{n}", "x{n}", "{s}", 1, "{missing}"]});
        assert_eq!(
            v.expand_value(&value, Expansion::Typed),
            json!({"a": [37, "x37", "a", 1, "{missing}"]})
        );
        assert_eq!(
            v.expand_value(&value, Expansion::Text),
            json!({"a": ["37", "x37", "a", 1, "{missing}"]})
        );
    }

    /// Every string leaf of `value`.
    fn strings(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            Value::Object(map) => map.iter().for_each(|(k, v)| {
                out.push(k.clone());
                strings(v, out)
            }),
            _ => {}
        }
    }

    /// A text holding the placeholder somewhere.
    fn templated() -> impl Strategy<Value = String> {
        ("[a-z/:._-]{0,6}", "[a-z/:._-]{0,6}").prop_map(|(a, b)| format!("{a}{{x}}{b}"))
    }

    fn map() -> impl Strategy<Value = BTreeMap<String, String>> {
        prop::collection::btree_map(templated(), templated(), 0..3)
    }

    /// Expands `item`, then checks no string field of the result still holds `{x}`.
    fn fully_expanded<T: Serialize + DeserializeOwned>(item: &T) -> bool {
        let vars = Vars::from(vec![("x".into(), "VALUE".into())]);
        let expanded = vars.expand_into(item).unwrap();
        let mut out = Vec::new();
        strings(&serde_json::to_value(&expanded).unwrap(), &mut out);
        out.iter().all(|s| !s.contains("{x}"))
    }

    proptest! {
        #[test]
        fn expansion_reaches_every_string_field_of_a_request(
            url in templated(), query in map(), form in map(), headers in map(),
            body in prop::option::of(templated()), content_type in prop::option::of(templated()),
            basic in prop::option::of((templated(), templated())), bearer in prop::option::of(templated()),
            json_key in templated(), json_value in templated(),
        ) {
            let request = Request {
                request: format!("GET {url}"),
                query, form, headers, body, content_type, bearer: bearer.clone(),
                json: Some(json!({ json_key: [json_value] })),
                client: basic.clone().map(|(u, p)| [u, p]),
                client_auth: bearer.clone(),
                assertion: None,
                basic: basic.map(|(u, p)| [u, p]),
            };
            prop_assert!(fully_expanded(&request));
        }

        #[test]
        fn expansion_reaches_every_string_field_of_flow_steps(
            a in templated(), b in templated(), c in templated(), query in map(),
        ) {
            let login = Login {
                login: a.clone(), query, username: b.clone(), password: c.clone(),
                decision: Default::default(),
            };
            prop_assert!(fully_expanded(&login));
            let walk = Walk { walk: a.clone(), query: BTreeMap::from([(a.clone(), b.clone())]), bearer: Some(b.clone()), patient: c.clone(), max_pages: 1 };
            prop_assert!(fully_expanded(&walk));
            let jwt = Jwt { jwt: a, jwks: b };
            prop_assert!(fully_expanded(&jwt));
        }
    }
}
