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
    /// Replaced by the steps of this named flow (`scenarios/flows.toml`), e.g.
    /// `member-token`: a step with `flow` has no other field.
    #[serde(default)]
    pub flow: Option<String>,
    /// GET this URL (exactly one of `get`, `post`, `put` and `delete`).
    #[serde(default)]
    pub get: Option<String>,
    /// POST `form` to this URL.
    #[serde(default)]
    pub post: Option<String>,
    /// PUT `form` or `body` to this URL (e.g. the portal's plan subscription).
    #[serde(default)]
    pub put: Option<String>,
    /// DELETE this URL (e.g. the member revoking a grant).
    #[serde(default)]
    pub delete: Option<String>,
    /// Form fields of a POST (`application/x-www-form-urlencoded`).
    #[serde(default)]
    pub form: BTreeMap<String, String>,
    /// A raw POST body instead of `form` (bad-input cases), sent as `content_type`
    /// (default `text/plain`).
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    /// HTTP Basic credentials `[user, password]` (e.g. `["{client_id}", "{client_secret}"]`).
    #[serde(default)]
    pub basic: Option<(String, String)>,
    /// A bearer token (e.g. `"{access_token}"` captured earlier).
    #[serde(default)]
    pub bearer: Option<String>,
    /// Extra request headers, variables expanded (the application-id profile's credentials).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
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
    /// With `login`: the member denies consent instead of approving (form driver: the
    /// approve button's name with the value `deny`).
    #[serde(default)]
    pub deny_consent: bool,
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
    /// The status code is one of `values`.
    StatusIn { values: Vec<u16> },
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
    /// The string at a pointer is space-separated words, each one of `allowed` (a granted
    /// scope never carries a forbidden one).
    JsonWordsWithin {
        pointer: String,
        allowed: Vec<String>,
    },
    /// The number at a pointer equals `value`: a number, or a `{var}` holding one (such as
    /// `{record_size}`).
    JsonNumber { pointer: String, value: String },
}

impl std::fmt::Display for Expect {
    /// The expectation in words, as the reports show it (`{var}` as written, not its value).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expect::Status { value } => write!(f, "status {value}"),
            Expect::StatusIn { values } => {
                let v: Vec<String> = values.iter().map(u16::to_string).collect();
                write!(f, "status one of {}", v.join(", "))
            }
            Expect::HeaderStartsWith { name, prefix } => {
                write!(f, "header {name} starts with \"{prefix}\"")
            }
            Expect::HeaderContains { name, text } => {
                write!(f, "header {name} contains \"{text}\"")
            }
            Expect::JsonEquals { pointer, value } => write!(f, "{pointer} = {value}"),
            Expect::JsonPresent { pointer } => write!(f, "{pointer} present"),
            Expect::JsonAbsent { pointer } => write!(f, "{pointer} absent"),
            Expect::JsonContains { pointer, value } => write!(f, "{pointer} contains {value}"),
            Expect::JsonLacks { pointer, value } => write!(f, "{pointer} lacks {value}"),
            Expect::JsonAbsoluteUrl { pointer } => write!(f, "{pointer} is an absolute URL"),
            Expect::NoLocation => write!(f, "no redirect (no Location)"),
            Expect::LocationStartsWith { prefix } => {
                write!(f, "redirect to {prefix}")
            }
            Expect::LocationParam { name, value } => write!(f, "redirect with {name}={value}"),
            Expect::LocationHasParam { name } => write!(f, "redirect with {name}"),
            Expect::JsonAtMost { pointer, value } => write!(f, "{pointer} <= {value}"),
            Expect::JsonNumber { pointer, value } => write!(f, "{pointer} = {value}"),
            Expect::JsonWordsWithin { pointer, allowed } => {
                write!(f, "{pointer} only from: {}", allowed.join(" "))
            }
        }
    }
}

fn default_max_pages() -> usize {
    100
}

impl Step {
    /// The method and URL template.
    pub fn target(&self) -> Result<(&'static str, &str), String> {
        match (&self.get, &self.post, &self.put, &self.delete) {
            (Some(u), None, None, None) => Ok(("GET", u)),
            (None, Some(u), None, None) => Ok(("POST", u)),
            (None, None, Some(u), None) => Ok(("PUT", u)),
            (None, None, None, Some(u)) => Ok(("DELETE", u)),
            _ => Err("a step needs exactly one of `get`, `post`, `put` and `delete`".into()),
        }
    }
}

/// Named step sequences shared by scenarios (`scenarios/flows.toml`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flows {
    #[serde(default, rename = "flow")]
    pub flows: Vec<Flow>,
}

/// A named step sequence, e.g. the member login and code exchange.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
}

impl Flows {
    /// Parses a flows file; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Flows, String> {
        let f: Flows = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        for flow in &f.flows {
            for step in &flow.steps {
                if step.flow.is_some() {
                    return Err(format!("{origin}: flow `{}` uses a flow", flow.name));
                }
                step.target()
                    .map_err(|e| format!("{origin}: flow `{}`: {e}", flow.name))?;
            }
        }
        Ok(f)
    }

    /// The flows shipped with smartcheck.
    pub fn builtin() -> Result<Flows, String> {
        Flows::parse(
            include_str!("../../scenarios/flows.toml"),
            "scenarios/flows.toml",
        )
    }
}

impl Scenario {
    /// Parses a scenario file that uses no flow; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Scenario, String> {
        Scenario::parse_with(text, origin, &Flows::default())
    }

    /// Parses a scenario file, replacing `flow` steps by the flows' steps.
    pub fn parse_with(text: &str, origin: &str, flows: &Flows) -> Result<Scenario, String> {
        let mut s: Scenario = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        if s.cases.is_empty() {
            return Err(format!("{origin}: a scenario needs at least one case"));
        }
        for case in &mut s.cases {
            let mut steps = Vec::new();
            for step in std::mem::take(&mut case.steps) {
                match &step.flow {
                    Some(name) => {
                        let flow =
                            flows
                                .flows
                                .iter()
                                .find(|f| &f.name == name)
                                .ok_or_else(|| {
                                    format!("{origin}: case `{}`: unknown flow `{name}`", case.name)
                                })?;
                        steps.extend(flow.steps.iter().cloned());
                    }
                    None => steps.push(step),
                }
            }
            for step in &steps {
                step.target()
                    .map_err(|e| format!("{origin}: case `{}`: {e}", case.name))?;
            }
            case.steps = steps;
        }
        Ok(s)
    }
}

/// The scenarios shipped with smartcheck.
pub fn builtin() -> Result<Vec<Scenario>, String> {
    let flows = Flows::builtin()?;
    BUILTIN
        .iter()
        .map(|(origin, text)| Scenario::parse_with(text, origin, &flows))
        .collect()
}

/// The built-in scenario files, in report order.
const BUILTIN: [(&str, &str); 14] = [
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
        "scenarios/id_token.toml",
        include_str!("../../scenarios/id_token.toml"),
    ),
    (
        "scenarios/refresh.toml",
        include_str!("../../scenarios/refresh.toml"),
    ),
    (
        "scenarios/revocation.toml",
        include_str!("../../scenarios/revocation.toml"),
    ),
    (
        "scenarios/compartment.toml",
        include_str!("../../scenarios/compartment.toml"),
    ),
    (
        "scenarios/everything.toml",
        include_str!("../../scenarios/everything.toml"),
    ),
    (
        "scenarios/input.toml",
        include_str!("../../scenarios/input.toml"),
    ),
    (
        "scenarios/app_id.toml",
        include_str!("../../scenarios/app_id.toml"),
    ),
    (
        "scenarios/patient_keys.toml",
        include_str!("../../scenarios/patient_keys.toml"),
    ),
    (
        "scenarios/portal.toml",
        include_str!("../../scenarios/portal.toml"),
    ),
];

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
