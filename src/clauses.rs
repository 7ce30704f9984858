//! The clause audit (`scenarios/clauses/*.toml`): every normative clause of each source the
//! suite follows (the RFCs, OpenID Connect, SMART App Launch, the seeds) that could bind this
//! kind of server, each `checked` (by named requirements), `not-applicable` or `open`, with
//! the reason. Read-only data: the suite runs the same with or without it; `smartcheck list
//! --clauses`, the report and docs/clauses.md publish the counts.

use std::collections::HashSet;

use serde::Deserialize;

use crate::requirements::Catalogue;

/// The audit files shipped with smartcheck, one per source.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "rfc6749.toml",
        include_str!("../scenarios/clauses/rfc6749.toml"),
    ),
    (
        "rfc6750.toml",
        include_str!("../scenarios/clauses/rfc6750.toml"),
    ),
    (
        "rfc7636.toml",
        include_str!("../scenarios/clauses/rfc7636.toml"),
    ),
    (
        "rfc7009.toml",
        include_str!("../scenarios/clauses/rfc7009.toml"),
    ),
    (
        "rfc7662.toml",
        include_str!("../scenarios/clauses/rfc7662.toml"),
    ),
    (
        "rfc7523.toml",
        include_str!("../scenarios/clauses/rfc7523.toml"),
    ),
    (
        "oidc-core.toml",
        include_str!("../scenarios/clauses/oidc-core.toml"),
    ),
    (
        "smart-app-launch.toml",
        include_str!("../scenarios/clauses/smart-app-launch.toml"),
    ),
    (
        "rfc9700.toml",
        include_str!("../scenarios/clauses/rfc9700.toml"),
    ),
    (
        "seed-000.toml",
        include_str!("../scenarios/clauses/seed-000.toml"),
    ),
    (
        "seed-001.toml",
        include_str!("../scenarios/clauses/seed-001.toml"),
    ),
    (
        "seed-002.toml",
        include_str!("../scenarios/clauses/seed-002.toml"),
    ),
    (
        "seed-003.toml",
        include_str!("../scenarios/clauses/seed-003.toml"),
    ),
    (
        "seed-004.toml",
        include_str!("../scenarios/clauses/seed-004.toml"),
    ),
];

/// One source document.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub url: String,
    /// When the clauses were last read against the source (YYYY-MM-DD).
    pub audited: String,
}

/// What the suite does with a clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// A check of the named requirements fails when a target breaks the clause.
    Checked,
    /// It binds someone else (the client, the operator) or a feature the seeds do not use.
    NotApplicable,
    /// It binds the server, is observable, and no check covers it yet.
    Open,
}

/// The normative keywords a clause can carry (RFC 2119), and STATED: a rule a source states
/// without those words (the seeds' vendor pages mostly; RFC 6749 3.3's case-sensitive
/// scopes), audited as a MUST.
const KEYWORDS: &[&str] = &[
    "MUST",
    "MUST NOT",
    "SHALL",
    "SHALL NOT",
    "REQUIRED",
    "STATED",
];

/// One clause.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    pub id: String,
    pub section: String,
    pub keyword: String,
    /// The rule in our own words.
    pub text: String,
    pub status: Status,
    #[serde(default)]
    pub requirements: Vec<String>,
    /// Why not applicable or open (required there), or how it is checked.
    #[serde(default)]
    pub note: Option<String>,
}

/// One source's audit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audit {
    pub source: Source,
    #[serde(rename = "clause")]
    pub clauses: Vec<Clause>,
}

/// Clauses per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub checked: usize,
    pub not_applicable: usize,
    pub open: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.checked + self.not_applicable + self.open
    }
}

impl Audit {
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for clause in &self.clauses {
            match clause.status {
                Status::Checked => c.checked += 1,
                Status::NotApplicable => c.not_applicable += 1,
                Status::Open => c.open += 1,
            }
        }
        c
    }
}

/// Why an audit file is refused.
#[derive(Debug, thiserror::Error)]
#[error("clause audit {file}: {why}")]
pub struct AuditError {
    pub file: String,
    pub why: String,
}

/// Parses one audit file and checks it against the catalogue: ids unique and prefixed by
/// the source's id, a normative keyword, checked clauses naming known requirements, and a
/// reason for every clause that is not checked.
pub fn parse(file: &str, text: &str, catalogue: &Catalogue) -> Result<Audit, AuditError> {
    let err = |why: String| AuditError {
        file: file.to_string(),
        why,
    };
    let audit: Audit = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    let prefix = format!("{}-", audit.source.id);
    let mut seen = HashSet::new();
    for c in &audit.clauses {
        if !c.id.starts_with(&prefix) || !seen.insert(c.id.as_str()) {
            return Err(err(format!(
                "clause id `{}` is repeated or does not start with `{prefix}`",
                c.id
            )));
        }
        if !KEYWORDS.contains(&c.keyword.as_str()) {
            return Err(err(format!("{}: keyword `{}`", c.id, c.keyword)));
        }
        if let Some(r) = c.requirements.iter().find(|r| catalogue.get(r).is_none()) {
            return Err(err(format!("{}: unknown requirement `{r}`", c.id)));
        }
        let noted = c.note.as_deref().is_some_and(|n| !n.trim().is_empty());
        match c.status {
            Status::Checked if c.requirements.is_empty() => {
                return Err(err(format!("{}: checked but names no requirement", c.id)));
            }
            Status::NotApplicable | Status::Open if !noted => {
                return Err(err(format!("{}: not checked and no note says why", c.id)));
            }
            Status::NotApplicable | Status::Open if !c.requirements.is_empty() => {
                return Err(err(format!("{}: not checked but names requirements", c.id)));
            }
            _ => {}
        }
    }
    Ok(audit)
}

/// Every built-in audit, in source order.
pub fn builtin(catalogue: &Catalogue) -> Result<Vec<Audit>, AuditError> {
    BUILTIN
        .iter()
        .map(|(file, text)| parse(file, text, catalogue))
        .collect()
}

/// The per-source table and the open clauses, as `smartcheck list --clauses` prints them.
pub fn render(audits: &[Audit]) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("source              checked  n/a  open  total  title\n");
    let mut all = Counts::default();
    for a in audits {
        let c = a.counts();
        all.checked += c.checked;
        all.not_applicable += c.not_applicable;
        all.open += c.open;
        let _ = writeln!(
            out,
            "{:<18} {:>8} {:>4} {:>5} {:>6}  {}",
            a.source.id,
            c.checked,
            c.not_applicable,
            c.open,
            c.total(),
            a.source.title
        );
    }
    let _ = writeln!(
        out,
        "{:<18} {:>8} {:>4} {:>5} {:>6}",
        "all",
        all.checked,
        all.not_applicable,
        all.open,
        all.total()
    );
    let _ = writeln!(out, "\nopen clauses ({}):", all.open);
    for a in audits {
        for c in a.clauses.iter().filter(|c| c.status == Status::Open) {
            let _ = writeln!(out, "  {} ({} {}): {}", c.id, c.keyword, c.section, c.text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        Catalogue::builtin().unwrap()
    }

    const HEAD: &str =
        "[source]\nid = \"X\"\ntitle = \"t\"\nurl = \"u\"\naudited = \"2026-12-07\"\n";

    fn one(clause: &str) -> Result<Audit, AuditError> {
        let text = format!(
            "{HEAD}[[clause]]\nid = \"X-1-a\"\nsection = \"1\"\nkeyword = \"MUST\"\ntext = \"t\"\n{clause}"
        );
        parse("x.toml", &text, &catalogue())
    }

    #[test]
    fn every_builtin_audit_parses_against_the_catalogue() {
        let audits = builtin(&catalogue()).unwrap();
        assert_eq!(audits.len(), BUILTIN.len());
        for a in &audits {
            assert!(a.counts().total() > 0, "{} has no clauses", a.source.id);
        }
    }

    #[test]
    fn a_clause_needs_its_reason_or_its_requirements() {
        assert!(one("status = \"checked\"\nrequirements = [\"GW-401\"]\n").is_ok());
        assert!(one("status = \"checked\"\n").is_err());
        assert!(one("status = \"checked\"\nrequirements = [\"NO-SUCH\"]\n").is_err());
        assert!(one("status = \"open\"\n").is_err());
        assert!(one("status = \"open\"\nnote = \" \"\n").is_err());
        assert!(one("status = \"open\"\nnote = \"why\"\n").is_ok());
        assert!(
            one("status = \"not-applicable\"\nnote = \"why\"\nrequirements = [\"GW-401\"]\n")
                .is_err()
        );
        assert!(one("status = \"maybe\"\nnote = \"why\"\n").is_err());
        assert!(one("status = \"open\"\nnote = \"why\"\nextra = 1\n").is_err());
        let unprefixed = format!(
            "{HEAD}[[clause]]\nid = \"Y-1\"\nsection = \"1\"\nkeyword = \"MUST\"\ntext = \"t\"\nstatus = \"open\"\nnote = \"n\"\n"
        );
        assert!(parse("x.toml", &unprefixed, &catalogue()).is_err());
        let should = unprefixed
            .replace("Y-1", "X-1")
            .replace("\"MUST\"", "\"SHOULD\"");
        assert!(parse("x.toml", &should, &catalogue()).is_err());
        assert!(
            parse(
                "x.toml",
                &should.replace("SHOULD", "MUST NOT"),
                &catalogue()
            )
            .is_ok()
        );
    }

    #[test]
    fn the_docs_publish_the_counts_of_each_source() {
        let docs = include_str!("../docs/clauses.md");
        for a in builtin(&catalogue()).unwrap() {
            let c = a.counts();
            let row = format!(
                "| {} | {} | {} | {} | {} |",
                a.source.id,
                c.checked,
                c.not_applicable,
                c.open,
                c.total()
            );
            assert!(docs.contains(&row), "docs/clauses.md lacks `{row}`");
        }
        let all = builtin(&catalogue())
            .unwrap()
            .iter()
            .fold((0, 0, 0), |t, a| {
                let c = a.counts();
                (t.0 + c.checked, t.1 + c.not_applicable, t.2 + c.open)
            });
        let summary = format!(
            "({} clauses: {} checked, {} not applicable, {} open)",
            all.0 + all.1 + all.2,
            all.0,
            all.1,
            all.2
        );
        let readme = include_str!("../README.md").replace('\n', " ");
        assert!(readme.contains(&summary), "README.md lacks `{summary}`");
    }
}
