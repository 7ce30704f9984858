//! The scenario file model. A scenario is a family's cases; a case is steps; a step makes one
//! request (or a flow: a login, a `$everything` walk, an id_token inspection) and carries
//! checks, each naming its requirement.
//!
//! ```toml
//! family = "discovery"
//! name = "discovery"
//!
//! [[case]]
//! name = "SMART configuration"
//! [[case.step]]
//! get = "{patient_access}/.well-known/smart-configuration"
//! [[case.step.check]]
//! requirement = "DISC-SMART-CONFIG"
//! expect = "status"
//! value = 200
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// One scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub family: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "case")]
    pub cases: Vec<Case>,
}

/// A case: steps run in order with one HTTP session.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    /// One case is run per variant: each names itself (`name`) and sets variables used as
    /// `{var}` in the steps, so a list replaces copied cases.
    #[serde(default)]
    pub variants: Vec<BTreeMap<String, String>>,
    /// Variables the case needs from the target (e.g. `expired_access_token`, which only the
    /// bundled server can provide); when one is missing the case is skipped with the reason.
    #[serde(default)]
    pub requires: Vec<String>,
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
}

/// A raw HTTP GET with its checks. `{name}` in the URL and query values is replaced by the
/// target's variables and the variant's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// GET this URL (exactly one of `get`, `post` and `delete`).
    #[serde(default)]
    pub get: Option<String>,
    /// POST `form` to this URL.
    #[serde(default)]
    pub post: Option<String>,
    /// DELETE this URL (e.g. the member revoking a grant).
    #[serde(default)]
    pub delete: Option<String>,
    /// Form fields of a POST (`application/x-www-form-urlencoded`).
    #[serde(default)]
    pub form: BTreeMap<String, String>,
    /// HTTP Basic credentials `[user, password]` (e.g. `["{client_id}", "{client_secret}"]`).
    #[serde(default)]
    pub basic: Option<(String, String)>,
    /// A bearer token (e.g. `"{access_token}"` captured earlier).
    #[serde(default)]
    pub bearer: Option<String>,
    /// Variables taken from the response for later steps: `name = "json:/pointer"` or
    /// `name = "location:param"`. Captured values are secrets and never reported.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// Query parameters added to the URL (form-encoded).
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Log the member in through the form login driver (`{username}`, `{password}`) and
    /// approve consent; checks then see the final redirect (never fetched).
    #[serde(default)]
    pub login: bool,
    /// Walk `$everything` from this GET through every `next` link (with `bearer`, bounded
    /// by `max_pages`); checks then see a JSON summary (see scenarios/README.md).
    #[serde(default)]
    pub walk: bool,
    /// Inspect this id_token (e.g. `"{id_token}"`) against the JWKS the step GETs; checks
    /// then see a JSON summary (see scenarios/README.md).
    #[serde(default)]
    pub id_token: Option<String>,
    /// Page bound of a walk.
    #[serde(default = "default_max_pages")]
    pub max_pages: usize,
    #[serde(default, rename = "check")]
    pub checks: Vec<Check>,
}

/// A claim about the step's response. (Unknown fields are caught by [`Expect`]: serde's
/// `deny_unknown_fields` does not combine with `flatten`.)
#[derive(Debug, Clone, Deserialize)]
pub struct Check {
    pub requirement: String,
    #[serde(flatten)]
    pub expect: Expect,
}

/// What a check expects.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "expect", rename_all = "snake_case", deny_unknown_fields)]
pub enum Expect {
    /// The status code.
    Status { value: u16 },
    /// A header whose value starts with `prefix`.
    HeaderStartsWith { name: String, prefix: String },
    /// A JSON value at a JSON pointer equals `value`.
    JsonEquals { pointer: String, value: Value },
    /// A JSON value at a pointer exists and is not null.
    JsonPresent { pointer: String },
    /// Nothing (or null) at a pointer of a JSON body.
    JsonAbsent { pointer: String },
    /// A header whose value contains `text`.
    HeaderContains { name: String, text: String },
    /// The array at a pointer contains `value`.
    JsonContains { pointer: String, value: Value },
    /// The array at a pointer does not contain `value`.
    JsonLacks { pointer: String, value: Value },
    /// The string at a pointer is an absolute http(s) URL.
    JsonAbsoluteUrl { pointer: String },
    /// No `Location` header: the request was not redirected.
    NoLocation,
    /// The `Location` header starts with `prefix`.
    LocationStartsWith { prefix: String },
    /// The `Location` URL has query parameter `name` equal to `value`.
    LocationParam { name: String, value: String },
    /// The `Location` URL has query parameter `name` (any value).
    LocationHasParam { name: String },
    /// The number at a pointer is at most `value`.
    JsonAtMost { pointer: String, value: f64 },
}

fn default_max_pages() -> usize {
    100
}

impl Step {
    /// The method and URL template.
    pub fn target(&self) -> Result<(&'static str, &str), String> {
        match (&self.get, &self.post, &self.delete) {
            (Some(u), None, None) => Ok(("GET", u)),
            (None, Some(u), None) => Ok(("POST", u)),
            (None, None, Some(u)) => Ok(("DELETE", u)),
            _ => Err("a step needs exactly one of `get`, `post` and `delete`".into()),
        }
    }
}

impl Scenario {
    /// Parses a scenario file; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Scenario, String> {
        let s: Scenario = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        if s.cases.is_empty() {
            return Err(format!("{origin}: a scenario needs at least one case"));
        }
        for case in &s.cases {
            for step in &case.steps {
                step.target()
                    .map_err(|e| format!("{origin}: case `{}`: {e}", case.name))?;
            }
        }
        Ok(s)
    }
}

/// The scenarios shipped with smartcheck.
pub fn builtin() -> Result<Vec<Scenario>, String> {
    [
        (
            "scenarios/discovery.toml",
            include_str!("../../scenarios/discovery.toml"),
        ),
        (
            "scenarios/redirect_uri.toml",
            include_str!("../../scenarios/redirect_uri.toml"),
        ),
        (
            "scenarios/scopes.toml",
            include_str!("../../scenarios/scopes.toml"),
        ),
        (
            "scenarios/plan_claims.toml",
            include_str!("../../scenarios/plan_claims.toml"),
        ),
        (
            "scenarios/token_errors.toml",
            include_str!("../../scenarios/token_errors.toml"),
        ),
        (
            "scenarios/refresh.toml",
            include_str!("../../scenarios/refresh.toml"),
        ),
        (
            "scenarios/everything.toml",
            include_str!("../../scenarios/everything.toml"),
        ),
    ]
    .iter()
    .map(|(origin, text)| Scenario::parse(text, origin))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_scenarios_parse_and_name_catalogue_requirements() {
        let catalogue = crate::requirements::Catalogue::builtin().unwrap();
        for s in builtin().unwrap() {
            for c in s
                .cases
                .iter()
                .flat_map(|c| &c.steps)
                .flat_map(|s| &s.checks)
            {
                assert!(
                    catalogue.get(&c.requirement).is_some(),
                    "{} unknown",
                    c.requirement
                );
            }
        }
    }

    #[test]
    fn unknown_check_fields_are_refused() {
        let base = "family = \"f\"\nname = \"n\"\n[[case]]\nname = \"c\"\n[[case.step]]\nget = \"u\"\n[[case.step.check]]\nrequirement = \"R\"\nexpect = \"status\"\nvalue = 200\n";
        assert!(Scenario::parse(base, "x").is_ok());
        assert!(Scenario::parse(&format!("{base}typo = 1\n"), "x").is_err());
    }

    #[test]
    fn errors_name_the_file_and_the_line() {
        let err = Scenario::parse("family = \"x\"\nname = 3\n", "scenarios/x.toml").unwrap_err();
        assert!(err.starts_with("scenarios/x.toml"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }
}
