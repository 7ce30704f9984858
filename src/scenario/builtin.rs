//! The scenarios shipped with smartcheck, compiled in.

use super::model::Scenario;
use super::parse::{Flows, ParseError};

/// The built-in scenarios, in report order, with the built-in flows expanded.
pub fn builtin() -> Result<Vec<Scenario>, ParseError> {
    let flows = Flows::builtin()?;
    BUILTIN
        .iter()
        .map(|(origin, text)| Scenario::parse_with(text, origin, &flows))
        .collect()
}

/// The built-in scenario files, in report order.
const BUILTIN: [(&str, &str); 17] = [
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
        "scenarios/client_assertion.toml",
        include_str!("../../scenarios/client_assertion.toml"),
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
        "scenarios/data_paths.toml",
        include_str!("../../scenarios/data_paths.toml"),
    ),
    (
        "scenarios/search_filters.toml",
        include_str!("../../scenarios/search_filters.toml"),
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
    #[test]
    fn builtin_scenarios_parse_and_name_catalogue_requirements() {
        let catalogue = crate::requirements::Catalogue::builtin().unwrap();
        for s in super::builtin().unwrap() {
            let checks = s
                .cases
                .iter()
                .flat_map(|c| &c.steps)
                .flat_map(|s| &s.checks);
            for c in checks {
                assert!(
                    catalogue.get(&c.requirement).is_some(),
                    "{} unknown",
                    c.requirement
                );
            }
        }
    }
}
