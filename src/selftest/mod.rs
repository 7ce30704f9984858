//! `smartcheck selftest`: proves every check can fail. The whole suite runs against the
//! clean bundled server (everything must pass) and against one bundled server per fault
//! switch (`reference_server::faults`), several at once; the fault x requirement matrix is
//! printed and written as `selftest.json` and `selftest.html`. A fault no check catches, a
//! fault that also breaks checks of other requirements, a check that fails on the clean
//! server, or a requirement no fault violates (without a written reason) fails the command.

pub mod html;
pub mod matrix;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use reference_server::faults::Fault;
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::exit::{EXIT_FAILED, EXIT_PASS, Stop};
use crate::report::ReportError;
use crate::report::model::RunResult;
use crate::requirements::Catalogue;
use crate::scenario::engine::{self, CredentialAudit};
use crate::scenario::model::Scenario;
use crate::target::prepare::{Choice, PrepareError, prepare};
use matrix::{CheckRef, FaultRow, Verdict, judge, not_passing};

/// What `smartcheck selftest` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub out: PathBuf,
    /// Only these faults (all when empty).
    pub faults: Vec<String>,
    /// Suite runs at once.
    pub parallel: usize,
}

/// The self-test's result (`selftest.json`).
#[derive(Debug, Serialize)]
pub struct SelfTest {
    pub schema_version: u32,
    /// Checks that did not pass against the clean server (must be none).
    pub clean_failures: Vec<CheckRef>,
    pub clean_checks: usize,
    pub faults: Vec<FaultRow>,
    /// Requirements that no fault violates and the catalogue gives no reason for.
    pub uncovered_requirements: Vec<String>,
    /// Requirements no fault violates, with the catalogue's reason.
    pub excused_requirements: Vec<(String, String)>,
    pub duration_ms: u64,
    pub passed: bool,
}

/// Runs the self-test and returns the exit code.
pub async fn run(options: &Options) -> ExitCode {
    crate::exit::finish("selftest", execute(options).await)
}

async fn execute(options: &Options) -> Result<u8, Stop> {
    let started = std::time::Instant::now();
    let catalogue = Arc::new(Catalogue::builtin()?);
    let scenarios = Arc::new(crate::scenario::builtin()?);
    let faults = select(&options.faults).map_err(Stop::usage)?;
    let gate = Arc::new(Semaphore::new(options.parallel.max(1)));
    let mut runs = JoinSet::new();
    for fault in std::iter::once(None).chain(faults.iter().copied().map(Some)) {
        let (catalogue, scenarios, gate) = (catalogue.clone(), scenarios.clone(), gate.clone());
        runs.spawn(async move {
            let _permit = gate.acquire_owned().await;
            (fault, suite_with(fault, &scenarios, &catalogue).await)
        });
    }
    let mut clean = None;
    let mut rows = Vec::new();
    while let Some(joined) = runs.join_next().await {
        let (fault, result) = joined.map_err(Stop::harness)?;
        let result = result?;
        match fault {
            None => clean = Some(result),
            Some(f) => {
                let row = judge(&f.name(), &f.defect(), f.requirements(), &result);
                eprintln!("  {:<40} {:?}", row.fault, row.verdict);
                rows.push((f, row));
            }
        }
    }
    rows.sort_by_key(|(f, _)| *f);
    let clean = clean.ok_or_else(|| Stop::harness("the clean run did not finish"))?;
    let clean_failures = not_passing(&clean, &|_| true);
    // Coverage is judged on the whole set only (a selection leaves requirements out).
    let (uncovered, excused) = if options.faults.is_empty() {
        coverage(&catalogue, &faults)
    } else {
        (Vec::new(), Vec::new())
    };
    let faults: Vec<FaultRow> = rows.into_iter().map(|(_, r)| r).collect();
    let passed = clean_failures.is_empty()
        && faults.iter().all(|r| r.verdict == Verdict::Caught)
        && uncovered.is_empty();
    let report = SelfTest {
        schema_version: 1,
        clean_failures,
        clean_checks: clean.cases.iter().map(|c| c.checks.len()).sum(),
        faults,
        uncovered_requirements: uncovered,
        excused_requirements: excused,
        duration_ms: started.elapsed().as_millis() as u64,
        passed,
    };
    write(&options.out, &report, &catalogue)?;
    print!("{}", summary(&report));
    Ok(if passed { EXIT_PASS } else { EXIT_FAILED })
}

/// A `--fault` that names no fault.
#[derive(Debug, thiserror::Error)]
#[error("no fault {name:?}; the faults are: {}", .known.join(", "))]
pub struct UnknownFault {
    name: String,
    known: Vec<String>,
}

/// The faults named (all when none is).
fn select(names: &[String]) -> Result<Vec<Fault>, UnknownFault> {
    if names.is_empty() {
        return Ok(Fault::all());
    }
    names
        .iter()
        .map(|n| {
            Fault::parse(n).ok_or_else(|| UnknownFault {
                name: n.clone(),
                known: Fault::all().into_iter().map(Fault::name).collect(),
            })
        })
        .collect()
}

/// The whole suite against a fresh bundled server with `fault` on.
async fn suite_with(
    fault: Option<Fault>,
    scenarios: &[Scenario],
    catalogue: &Catalogue,
) -> Result<RunResult, PrepareError> {
    let mut config = crate::target::reference::bundled_config();
    config.faults = fault.into_iter().collect();
    let prepared = prepare(Choice::Bundled(config), &|_| None).await?;
    let name = fault.map_or("clean".to_string(), Fault::name);
    let result = engine::run(
        &prepared.access,
        &name,
        scenarios,
        catalogue,
        &prepared.vars,
        CredentialAudit::Always,
        &mut |_| {},
    )
    .await;
    prepared.shutdown().await;
    Ok(result)
}

/// Requirements no selected fault violates: (without a reason, with the catalogue's reason).
fn coverage(catalogue: &Catalogue, faults: &[Fault]) -> (Vec<String>, Vec<(String, String)>) {
    let mut uncovered = Vec::new();
    let mut excused = Vec::new();
    for r in &catalogue.requirements {
        if faults
            .iter()
            .any(|f| f.requirements().contains(&r.id.as_str()))
        {
            continue;
        }
        match &r.no_fault {
            Some(reason) => excused.push((r.id.clone(), reason.clone())),
            None => uncovered.push(r.id.clone()),
        }
    }
    (uncovered, excused)
}

/// Writes `selftest.json` and `selftest.html` into `out`.
fn write(out: &Path, report: &SelfTest, catalogue: &Catalogue) -> Result<(), ReportError> {
    let json = serde_json::to_string_pretty(report)?;
    let page = html::render(report, catalogue)?;
    crate::report::write_files(out, &[("selftest.json", json), ("selftest.html", page)])
}

/// The matrix in words: one line per fault, then what went wrong.
pub fn summary(report: &SelfTest) -> String {
    let mut s = String::new();
    for r in &report.faults {
        let first = r.caught_by.first().map_or(String::new(), |c| {
            format!("  {} [{}] {}", c.case, c.requirement, c.check)
        });
        s.push_str(&format!(
            "{:<40} {:<10} {:>3} checks{}\n",
            r.fault,
            format!("{:?}", r.verdict).to_lowercase(),
            r.caught_by.len(),
            first
        ));
        for c in r.collateral.iter().take(5) {
            s.push_str(&format!(
                "    also broke: {} [{}] {}\n",
                c.case, c.requirement, c.check
            ));
        }
    }
    for c in &report.clean_failures {
        s.push_str(&format!(
            "clean server: {} [{}] {}: {:?}\n",
            c.case, c.requirement, c.check, c.outcome
        ));
    }
    for r in &report.uncovered_requirements {
        s.push_str(&format!(
            "requirement {r}: no fault violates it and the catalogue gives no reason\n"
        ));
    }
    let caught = report
        .faults
        .iter()
        .filter(|r| r.verdict == Verdict::Caught)
        .count();
    s.push_str(&format!(
        "selftest: clean server {} ({} checks); {caught} of {} faults caught; {} in {:.1} s\n",
        if report.clean_failures.is_empty() {
            "passes"
        } else {
            "FAILS"
        },
        report.clean_checks,
        report.faults.len(),
        if report.passed { "PASS" } else { "FAIL" },
        report.duration_ms as f64 / 1000.0
    ));
    s
}
