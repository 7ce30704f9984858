//! `smartcheck list`: the built-in scenarios, their cases (variants expanded) and the
//! requirement ids each checks, then the requirements no check covers.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::requirements::Catalogue;
use crate::scenario::model::Scenario;

/// The listing as text.
pub fn render(scenarios: &[Scenario], catalogue: &Catalogue) -> String {
    let mut out = String::new();
    let mut covered = BTreeSet::new();
    for s in scenarios {
        let _ = writeln!(out, "{} ({}): {}", s.name, s.family, s.description);
        for case in &s.cases {
            let ids: BTreeSet<&str> = case
                .steps
                .iter()
                .flat_map(|st| &st.checks)
                .map(|c| c.requirement.as_str())
                .collect();
            covered.extend(ids.iter().copied());
            let ids = ids.into_iter().collect::<Vec<_>>().join(", ");
            if case.variants.is_empty() {
                let _ = writeln!(out, "  {}  [{ids}]", case.name);
            }
            for v in &case.variants {
                let _ = writeln!(
                    out,
                    "  {}: {}  [{ids}]",
                    case.name,
                    v.get("name").map_or("?", String::as_str)
                );
            }
        }
    }
    // The run's closing audit is built in code, not from a scenario file.
    let _ = writeln!(
        out,
        "credential_audit (credential-audit): closes every full run\n  {}  [{}]",
        crate::scenario::audit::CASE_NAME,
        crate::scenario::audit::REQUIREMENT
    );
    covered.insert(crate::scenario::audit::REQUIREMENT);
    let uncovered: Vec<&str> = catalogue
        .requirements
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !covered.contains(id))
        .collect();
    let _ = writeln!(
        out,
        "\nrequirements without a check ({}): {}",
        uncovered.len(),
        uncovered.join(", ")
    );
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_variants_and_uncovered_requirements() {
        // The built-in catalogue plus one rule no scenario checks.
        let catalogue = format!(
            "{}\n[[requirement]]\nid = \"X-UNCOVERED\"\nfamily = \"x\"\nseverity = \"required\"\n\
             source = \"test\"\ntext = \"a rule without a check\"\n",
            crate::requirements::BUILTIN
        );
        let text = super::render(
            &crate::scenario::builtin().unwrap(),
            &crate::requirements::Catalogue::parse(&catalogue).unwrap(),
        );
        assert!(text.contains("mutated redirect URI refused without redirect: trailing slash added  [AUTHZ-NO-REDIRECT-ON-BAD-URI]"));
        assert!(
            text.contains("requirements without a check (1): X-UNCOVERED"),
            "{text}"
        );
    }
}
