//! `smartcheck run`: start the bundled reference server, run the built-in scenarios, write
//! `report.html`, `results.json` and `junit.xml`, print a summary, and map the outcome to an exit code.

use std::path::Path;
use std::process::ExitCode;

use crate::report::model::{Outcome, RunResult};
use crate::report::{html, json, junit};
use crate::requirements::Catalogue;
use crate::scenario::engine;
use crate::scenario::model;

/// Every required check passed (warnings allowed unless `--fail-on warn`).
pub const EXIT_PASS: u8 = 0;
/// A check failed.
pub const EXIT_FAILED: u8 = 1;
/// Usage error (clap's own code too).
pub const EXIT_USAGE: u8 = 2;
/// The harness could not complete a step (target unreachable, driver failure...).
pub const EXIT_HARNESS_ERROR: u8 = 3;

/// Runs the suite against the bundled server and writes the reports to `out`.
pub async fn run(out: &Path, fail_on_warn: bool) -> ExitCode {
    let prepared = (Catalogue::builtin(), model::builtin());
    let (catalogue, scenarios) = match prepared {
        (Ok(c), Ok(s)) => (c, s),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("smartcheck run: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let server = match reference_server::start(reference_server::Config::ephemeral()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("smartcheck run: cannot start the bundled reference server: {e}");
            return ExitCode::from(EXIT_HARNESS_ERROR);
        }
    };
    let vars = crate::target::reference::vars(&server.state);
    let result = engine::run("reference", &scenarios, &catalogue, &vars, &mut |_| {}).await;
    server.shutdown().await;
    if let Err(e) = write_reports(out, &result, &catalogue) {
        eprintln!("smartcheck run: {e}");
        return ExitCode::from(EXIT_HARNESS_ERROR);
    }
    print_summary(&result, out);
    ExitCode::from(exit_code(result.outcome(), fail_on_warn))
}

/// The exit code of a run's outcome.
pub fn exit_code(outcome: Outcome, fail_on_warn: bool) -> u8 {
    match outcome {
        Outcome::Pass | Outcome::Skip => EXIT_PASS,
        Outcome::Warn if fail_on_warn => EXIT_FAILED,
        Outcome::Warn => EXIT_PASS,
        Outcome::Fail => EXIT_FAILED,
        Outcome::Error => EXIT_HARNESS_ERROR,
    }
}

fn write_reports(out: &Path, result: &RunResult, catalogue: &Catalogue) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let write = |name: &str, text: String| {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write("results.json", json::write_json(result)?)?;
    write("junit.xml", junit::write_junit(result)?)?;
    write("report.html", html::write_html(result, catalogue)?)
}

fn print_summary(result: &RunResult, out: &Path) {
    let t = result.tally();
    let checks = result.cases.iter().map(|c| c.checks.len()).sum::<usize>();
    for case in result.cases.iter().filter(|c| c.outcome != Outcome::Pass) {
        println!(
            "{:?} {} / {}: {}",
            case.outcome,
            case.family,
            case.name,
            case.reason.as_deref().unwrap_or("")
        );
        for c in case.checks.iter().filter(|c| c.outcome != Outcome::Pass) {
            println!(
                "    {} {}: {}",
                c.requirement,
                c.description,
                c.detail.as_deref().unwrap_or("")
            );
        }
    }
    println!(
        "{} cases ({checks} checks): {} pass, {} warn, {} fail, {} error, {} skip; reports in {}",
        t.total(),
        t.pass,
        t.warn,
        t.fail,
        t.error,
        t.skip,
        out.display()
    );
}
