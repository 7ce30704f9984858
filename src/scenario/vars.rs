//! Variables of a run: the target's (URLs, clients, members), a variant's, and values
//! captured from responses. `{name}` in a step is replaced by its value. Secret variables
//! (secrets, passwords, tokens, captures) are handed to the redactor.

use std::collections::BTreeMap;

use crate::check::Observed;
use crate::transcript::redact::{Redactor, is_secret_name};
use crate::scenario::model::{Expect, Step};

/// Named values, newest first.
#[derive(Debug, Clone, Default)]
pub struct Vars(pub Vec<(String, String)>);

impl Vars {
    /// `template` with every known `{name}` replaced.
    pub fn expand(&self, template: &str) -> String {
        self.0.iter().fold(template.to_string(), |t, (k, v)| {
            t.replace(&format!("{{{k}}}"), v)
        })
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `name`, replacing an older value.
    pub fn set(&mut self, name: &str, value: String) {
        self.0.retain(|(n, _)| n != name);
        self.0.insert(0, (name.to_string(), value));
    }

    /// These variables with a variant's on top (a variant's `{x}` may use the target's).
    pub fn with(&self, variant: &BTreeMap<String, String>) -> Vars {
        let mut all = self.clone();
        for (k, v) in variant {
            all.set(k, self.expand(v));
        }
        all
    }

    /// These variables plus those derived from them: the near misses of the registered
    /// redirect URIs (`{redirect_uri_upper_host}`, ... see `scenario::mutations`).
    pub fn with_derived(&self) -> Vars {
        let mut all = self.clone();
        if let Some(uri) = self.get("redirect_uri") {
            let derived = super::mutations::redirect_mutations(uri, self.get("redirect_uri_slash"));
            for (name, value) in derived {
                if all.get(&name).is_none() {
                    all.0.push((name, value));
                }
            }
        }
        all
    }

    /// A redactor that knows every secret variable.
    pub fn redactor(&self) -> Redactor {
        let mut r = Redactor::default();
        for (k, v) in &self.0 {
            if is_secret_name(k) {
                r.add(v);
            }
        }
        r
    }
}

/// An expectation with `{var}` expanded in its text values.
pub fn expand_expect(e: &Expect, vars: &Vars) -> Expect {
    let text = |v: serde_json::Value| match v {
        serde_json::Value::String(s) => serde_json::Value::String(vars.expand(&s)),
        other => other,
    };
    match e.clone() {
        Expect::LocationStartsWith { prefix } => Expect::LocationStartsWith {
            prefix: vars.expand(&prefix),
        },
        Expect::LocationParam { name, value } => Expect::LocationParam {
            name,
            value: vars.expand(&value),
        },
        Expect::JsonEquals { pointer, value } => Expect::JsonEquals {
            pointer,
            value: text(value),
        },
        Expect::JsonContains { pointer, value } => Expect::JsonContains {
            pointer,
            value: text(value),
        },
        Expect::JsonLacks { pointer, value } => Expect::JsonLacks {
            pointer,
            value: text(value),
        },
        Expect::LocationHasParam { name } => Expect::LocationHasParam {
            name: vars.expand(&name),
        },
        Expect::JsonNumber { pointer, value } => Expect::JsonNumber {
            pointer,
            value: vars.expand(&value),
        },
        Expect::HeaderStartsWith { name, prefix } => Expect::HeaderStartsWith {
            name,
            prefix: vars.expand(&prefix),
        },
        other => other,
    }
}

/// Stores the step's captures in `vars` and tells the redactor about secret ones (by name:
/// codes, tokens); a missing value is an error (later steps need it) unless the source ends
/// in `?`.
pub fn capture(
    step: &Step,
    seen: &Observed,
    vars: &mut Vars,
    redactor: &mut Redactor,
) -> Result<(), String> {
    for (name, source) in &step.capture {
        // A trailing `?` makes the capture optional: nothing there leaves the variable unset.
        let (source, optional) = match source.strip_suffix('?') {
            Some(s) => (s, true),
            None => (source.as_str(), false),
        };
        let value = if let Some(pointer) = source.strip_prefix("json:") {
            seen.json
                .as_ref()
                .and_then(|j| j.pointer(pointer))
                .and_then(|v| match v {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Null => None,
                    other => Some(other.to_string()),
                })
        } else if let Some(param) = source.strip_prefix("location:") {
            seen.headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url::Url::parse(l).ok())
                .and_then(|u| {
                    u.query_pairs()
                        .find(|(n, _)| n == param)
                        .map(|(_, v)| v.into_owned())
                })
        } else {
            return Err(format!(
                "capture `{name}`: source must start with json: or location:"
            ));
        };
        if value.is_none() && optional {
            continue;
        }
        let value = value.ok_or_else(|| {
            format!(
                "capture `{name}`: nothing at {source} (status {})",
                seen.status
            )
        })?;
        if is_secret_name(name) {
            redactor.add(&value);
        }
        vars.set(name, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_override_and_may_use_target_variables() {
        let target = Vars(vec![("host".into(), "h".into()), ("x".into(), "1".into())]);
        let variant = BTreeMap::from([("x".into(), "{host}/2".into())]);
        let v = target.with(&variant);
        assert_eq!(v.expand("{x}|{host}|{nope}"), "h/2|h|{nope}");
        assert_eq!(v.get("x"), Some("h/2"));
    }

    #[test]
    fn secret_names() {
        assert!(is_secret_name("client_secret") && is_secret_name("pd_client_secret"));
        assert!(is_secret_name("password") && is_secret_name("expired_access_token"));
        assert!(is_secret_name("code") && is_secret_name("expired_code"));
        assert!(!is_secret_name("token") && !is_secret_name("client_id"));
        assert!(!is_secret_name("fhir_user") && !is_secret_name("encounter"));
    }
}
