//! The report's clause coverage: per source document, its audited clauses (`crate::clauses`)
//! and, for the checked ones, whether this run's checks of their requirements held.

use serde::Serialize;

use super::model::Outcome;
use crate::clauses::{Audit, Status};

/// One source in the report.
#[derive(Serialize)]
pub struct ClauseRow {
    pub id: String,
    pub title: String,
    pub url: String,
    pub checked: usize,
    /// Checked clauses whose requirements all passed in this run.
    pub held: usize,
    /// Checked clauses with a requirement that failed, warned or errored.
    pub not_held: usize,
    /// Checked clauses this run did not judge (their checks skipped or not selected).
    pub not_judged: usize,
    pub not_applicable: usize,
    pub open: usize,
    pub total: usize,
}

/// The rows for `audits`, `verdict` giving each requirement's verdict in the run (`None`:
/// no check of it ran).
pub fn clause_rows(audits: &[Audit], verdict: impl Fn(&str) -> Option<Outcome>) -> Vec<ClauseRow> {
    audits
        .iter()
        .map(|a| {
            let counts = a.counts();
            let (mut held, mut not_held, mut not_judged) = (0, 0, 0);
            for c in a.clauses.iter().filter(|c| c.status == Status::Checked) {
                let verdicts: Vec<_> = c.requirements.iter().map(|r| verdict(r)).collect();
                if verdicts
                    .iter()
                    .any(|v| matches!(v, Some(Outcome::Fail | Outcome::Warn | Outcome::Error)))
                {
                    not_held += 1;
                } else if verdicts.iter().all(|v| *v == Some(Outcome::Pass)) {
                    held += 1;
                } else {
                    not_judged += 1;
                }
            }
            ClauseRow {
                id: a.source.id.clone(),
                title: a.source.title.clone(),
                url: a.source.url.clone(),
                checked: counts.checked,
                held,
                not_held,
                not_judged,
                not_applicable: counts.not_applicable,
                open: counts.open,
                total: counts.total(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirements::Catalogue;

    #[test]
    fn a_clause_holds_only_when_every_requirement_passed() {
        let text = "[source]\nid = \"X\"\ntitle = \"t\"\nurl = \"u\"\naudited = \"d\"\n\
            [[clause]]\nid = \"X-1\"\nsection = \"1\"\nkeyword = \"MUST\"\ntext = \"t\"\nstatus = \"checked\"\nrequirements = [\"GW-401\", \"GW-PLAN\"]\n\
            [[clause]]\nid = \"X-2\"\nsection = \"2\"\nkeyword = \"MUST\"\ntext = \"t\"\nstatus = \"checked\"\nrequirements = [\"GW-401\"]\n\
            [[clause]]\nid = \"X-3\"\nsection = \"3\"\nkeyword = \"MUST\"\ntext = \"t\"\nstatus = \"checked\"\nrequirements = [\"REVOKE\"]\n\
            [[clause]]\nid = \"X-4\"\nsection = \"4\"\nkeyword = \"MUST\"\ntext = \"t\"\nstatus = \"open\"\nnote = \"n\"\n";
        let audit = crate::clauses::parse("x.toml", text, &Catalogue::builtin().unwrap()).unwrap();
        let rows = clause_rows(&[audit], |r| match r {
            "GW-401" => Some(Outcome::Pass),
            "GW-PLAN" => Some(Outcome::Fail),
            _ => Some(Outcome::Skip),
        });
        let r = &rows[0];
        assert_eq!((r.checked, r.held, r.not_held, r.not_judged), (3, 1, 1, 1));
        assert_eq!((r.open, r.not_applicable, r.total), (1, 0, 4));
    }
}
