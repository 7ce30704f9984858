//! What the selected cases need from a target. A case uses target variables (`{token}`,
//! `{redirect_uri_slash}`...) in its steps and variants; the ones it cannot run without and
//! that the target may lack are declared in `requires`. A profile may leave out more than
//! the bundled server does (no Provider Directory, no second member, an endpoint its SMART
//! configuration does not advertise), so before a run every variable a case uses that the
//! target does not give is added to the case's `requires`: the engine then skips the case
//! with the reason, instead of sending a request with `{name}` in it.

use std::collections::{BTreeMap, BTreeSet};

use crate::scenario::model::{Case, Scenario};
use crate::scenario::vars::Vars;

/// Adds to each case's `requires` the variables it uses that neither `vars`, its variants
/// nor its own captures give. Returns each such variable with the number of cases affected.
pub fn require_missing(scenarios: &mut [Scenario], vars: &Vars) -> BTreeMap<String, usize> {
    let mut missing = BTreeMap::new();
    for case in scenarios.iter_mut().flat_map(|s| s.cases.iter_mut()) {
        for name in target_vars_used(case) {
            if vars.get(&name).is_none() {
                *missing.entry(name.clone()).or_insert(0) += 1;
                if !case.requires.contains(&name) {
                    case.requires.push(name);
                }
            }
        }
    }
    missing
}

/// The variables a case takes from its target in its steps (checks included), less the
/// variants' own names and the steps' captures. A variable used only in a variant's values
/// is not counted: the engine skips just that variant when the target lacks it (the
/// "trailing slash removed" variant without `redirect_uri_slash`), not the whole case.
pub fn target_vars_used(case: &Case) -> BTreeSet<String> {
    // The Debug rendering holds every string of the model, so a field added to `Step` or
    // `Expect` later is covered without a list to keep in step.
    let text = format!("{:?}", case.steps);
    let own: BTreeSet<&str> = case
        .variants
        .iter()
        .flat_map(|v| v.keys())
        .chain(case.steps.iter().flat_map(|s| s.captures.keys()))
        .map(String::as_str)
        .collect();
    placeholders(&text)
        .into_iter()
        .filter(|n| !own.contains(n.as_str()))
        .collect()
}

/// Every `{name}` (a letter or `_`, then letters, digits and `_`) in `text`.
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find(['}', '{']) else {
            break;
        };
        let name = &rest[..close];
        let mut chars = name.chars();
        let ident = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ident && rest[close..].starts_with('}') {
            out.insert(name.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(text: &str) -> Scenario {
        Scenario::parse(text, "t.toml").unwrap()
    }

    #[test]
    fn finds_placeholders_only() {
        let found = placeholders(r#"a {x} {"k": 1} {} {y_2}{z} {no space} {{w}}"#);
        let found: Vec<&str> = found.iter().map(String::as_str).collect();
        assert_eq!(found, ["w", "x", "y_2", "z"]);
    }

    #[test]
    fn variables_a_target_lacks_become_requirements() {
        let mut s = vec![scenario(
            r#"family = "f"
name = "n"
[[case]]
name = "c"
variants = [{ name = "v", uri = "{redirect_uri_slash}" }]
[[case.step]]
request = "POST {token}"
form = { redirect_uri = "{uri}" }
capture = { access_token = "json /access_token" }
[[case.step]]
request = "GET {provider_directory}/Practitioner"
bearer = "{access_token}"
[[case.step.check]]
requirement = "R"
query = "json /id"
equals = "{other_patient_id}"
"#,
        )];
        let used = target_vars_used(&s[0].cases[0]);
        let used: Vec<&str> = used.iter().map(String::as_str).collect();
        // Only in a variant's value: that variant is skipped, not the case.
        assert_eq!(used, ["other_patient_id", "provider_directory", "token"]);
        let vars = Vars::from(vec![
            ("token".into(), "t".into()),
            ("provider_directory".into(), "p".into()),
        ]);
        let missing = require_missing(&mut s, &vars);
        assert_eq!(missing.len(), 1);
        assert_eq!(s[0].cases[0].requires, ["other_patient_id"]);
    }
}
