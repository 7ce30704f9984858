//! The requirements catalogue (`scenarios/requirements.toml`): one entry per documented rule,
//! each with a stable id that checks name and reports group by.

use serde::Deserialize;

/// The catalogue shipped with smartcheck.
pub const BUILTIN: &str = include_str!("../scenarios/requirements.toml");

/// How much a rule matters: a failed `required` check fails the run, a failed `recommended`
/// one is a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Required,
    Recommended,
    Optional,
}

/// One rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub id: String,
    pub family: String,
    pub severity: Severity,
    pub source: String,
    pub text: String,
    /// What was chosen where the sources are silent or disagree.
    #[serde(default)]
    pub choice: Option<String>,
    /// Why no fault switch of the reference server violates this rule (the self-test
    /// accepts an uncovered requirement only with a reason).
    #[serde(default)]
    pub no_fault: Option<String>,
}

/// All rules, in catalogue order.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub requirements: Vec<Requirement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    requirement: Vec<Requirement>,
}

/// Why the requirements catalogue cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("requirements catalogue: {0}")]
    Syntax(#[from] toml::de::Error),
    #[error("requirements catalogue: id `{0}` is empty or repeated")]
    BadId(String),
}

impl Catalogue {
    /// Parses a catalogue; ids must be unique and non-empty.
    pub fn parse(text: &str) -> Result<Catalogue, CatalogueError> {
        let file: File = toml::from_str(text)?;
        let mut seen = std::collections::HashSet::new();
        for r in &file.requirement {
            if r.id.trim().is_empty() || !seen.insert(r.id.as_str()) {
                return Err(CatalogueError::BadId(r.id.clone()));
            }
        }
        Ok(Catalogue {
            requirements: file.requirement,
        })
    }

    /// The built-in catalogue.
    pub fn builtin() -> Result<Catalogue, CatalogueError> {
        Catalogue::parse(BUILTIN)
    }

    /// A requirement by id.
    pub fn get(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_parses_with_unique_ids() {
        let c = Catalogue::builtin().unwrap();
        assert!(c.requirements.len() >= 30);
        assert_eq!(c.get("GW-PLAN").unwrap().severity, Severity::Required);
        assert!(
            c.requirements
                .iter()
                .all(|r| !r.source.is_empty() && !r.text.is_empty())
        );
    }

    #[test]
    fn repeated_ids_and_unknown_fields_are_refused() {
        let one = "[[requirement]]\nid = \"A\"\nfamily = \"f\"\nseverity = \"required\"\nsource = \"s\"\ntext = \"t\"\n";
        assert!(Catalogue::parse(&format!("{one}{one}")).is_err());
        assert!(Catalogue::parse(&one.replace("required", "mandatory")).is_err());
        assert!(Catalogue::parse(&format!("{one}extra = 1\n")).is_err());
    }

    /// The server's rule list (docs/reference-server.md) and the catalogue name the same ids.
    #[test]
    fn catalogue_and_reference_server_docs_agree() {
        let docs = include_str!("../docs/reference-server.md");
        let c = Catalogue::builtin().unwrap();
        for r in &c.requirements {
            assert!(
                docs.contains(&format!("**{}**", r.id)),
                "{} missing from docs",
                r.id
            );
        }
        for (i, _) in docs.match_indices("- **") {
            let id = docs[i + 4..].split("**").next().unwrap_or_default();
            if id != "Choice" {
                assert!(
                    c.get(id).is_some(),
                    "docs rule {id} missing from the catalogue"
                );
            }
        }
    }
}
