//! `selftest.html`: the fault x requirement matrix on one self-contained page (inline CSS, no
//! script, no external URL) from `reports/selftest.html.tera`. A cell counts the checks of
//! that requirement that did not pass with that fault on: expected in the fault's own
//! requirements (caught), a defect of the matrix anywhere else (collateral).

use serde::Serialize;
use tera::{Context, Tera};

use crate::report::ReportError;

use super::SelfTest;
use super::matrix::Verdict;
use crate::requirements::Catalogue;

const TEMPLATE: &str = include_str!("../../reports/selftest.html.tera");

#[derive(Serialize)]
struct Row<'a> {
    fault: &'a str,
    defect: &'a str,
    verdict: Verdict,
    /// One cell per requirement column: (count, own requirement of the fault).
    cells: Vec<(usize, bool)>,
}

/// The page for `report`, with one column per requirement of `catalogue`.
pub fn render(report: &SelfTest, catalogue: &Catalogue) -> Result<String, ReportError> {
    let columns: Vec<&str> = catalogue
        .requirements
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    let rows: Vec<Row> = report
        .faults
        .iter()
        .map(|f| Row {
            fault: &f.fault,
            defect: &f.defect,
            verdict: f.verdict,
            cells: columns
                .iter()
                .map(|id| {
                    let count = f
                        .caught_by
                        .iter()
                        .chain(&f.collateral)
                        .filter(|c| c.requirement == *id)
                        .count();
                    (count, f.requirements.iter().any(|r| r == id))
                })
                .collect(),
        })
        .collect();
    let mut tera = Tera::default();
    tera.add_raw_template("selftest.html", TEMPLATE)
        .map_err(|e| ReportError::template("selftest template", &e))?;
    tera.set_escape_fn(smartcheck_common::html::escape);
    let mut ctx = Context::new();
    ctx.insert("report", report);
    ctx.insert("columns", &columns);
    ctx.insert("rows", &rows);
    let caught = report
        .faults
        .iter()
        .filter(|f| f.verdict == Verdict::Caught)
        .count();
    ctx.insert("caught", &caught);
    tera.render("selftest.html", &ctx)
        .map_err(|e| ReportError::template("cannot render selftest.html", &e))
}
