//! `smartcheck run`: select the scenarios, prepare the target (the bundled reference server
//! in-process, or a remote target from a profile file), run the cases with progress, write
//! `report.html`, `results.json` and `junit.xml`, print a summary, and map the outcome to an
//! exit code. Usage errors (a bad option, profile or selection, a missing environment
//! variable) stop before any request; harness errors (the target cannot be reached, the
//! reports cannot be written) are told apart from failed checks by the exit code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::console::{Progress, count_cases, print_summary};
use crate::exit::Stop;
use crate::report::model::{Outcome, RunResult};
use crate::report::{ReportError, html, json, junit};
use crate::requirements::Catalogue;
use crate::scenario::engine::{self, CredentialAudit};
use crate::scenario::model::Scenario;
use crate::scenario::vars::Vars;
use crate::target::access::Access;
use crate::target::needs;
use crate::target::prepare::{Choice, prepare};

pub use crate::exit::{EXIT_FAILED, EXIT_HARNESS_ERROR, EXIT_PASS, EXIT_USAGE};

/// What `smartcheck run` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Folder for the reports.
    pub out: PathBuf,
    /// A failed recommended rule fails the run too.
    pub fail_on_warn: bool,
    /// A target profile; `None` is the bundled reference server.
    pub target: Option<PathBuf>,
    /// Scenario names or families to run (all when empty).
    pub scenarios: Vec<String>,
    /// Case filters: a case runs when `family / case name` contains any (case-insensitive).
    pub filters: Vec<String>,
    /// Cases run at once (default: the number of cores).
    pub jobs: Option<usize>,
    /// How long the whole run may take; the cases not finished by then are `error`.
    pub deadline: Option<std::time::Duration>,
}

/// Why no scenario was selected: the user's to fix.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("unknown scenario {}; the scenarios are: {}", .unknown.join(", "), .valid.join(", "))]
    Unknown {
        unknown: Vec<String>,
        valid: Vec<String>,
    },
    #[error("no case matches --filter {}{}; `smartcheck list` shows the cases", .filters.join(", "), .within)]
    Nothing {
        filters: Vec<String>,
        within: String,
    },
}

/// Runs the suite as `options` say and returns the exit code.
pub async fn run(options: &Options) -> ExitCode {
    crate::exit::finish("run", execute(options).await)
}

async fn execute(options: &Options) -> Result<u8, Stop> {
    let started = std::time::Instant::now();
    let catalogue = Catalogue::builtin()?;
    let all = crate::scenario::builtin()?;
    let mut scenarios = select(all, &options.scenarios, &options.filters).map_err(Stop::usage)?;
    let choice = match &options.target {
        None => Choice::Bundled(crate::target::reference::bundled_config()),
        Some(path) => Choice::Profile {
            path,
            allow_production: true,
        },
    };
    let preparing = prepare(choice, &|name| std::env::var(name).ok());
    let prepared = match options.deadline {
        None => preparing.await?,
        Some(limit) => tokio::time::timeout(limit, preparing).await.map_err(|_| {
            Stop::harness(format!(
                "the target was not ready within the run's deadline ({limit:?}, --deadline)"
            ))
        })??,
    };
    let (target, vars) = (prepared.name.clone(), prepared.vars.clone());
    let access = prepared.access.clone();
    let access = Access {
        jobs: options.jobs.unwrap_or(access.jobs),
        // What discovery left of it.
        deadline: options
            .deadline
            .map(|d| d.saturating_sub(started.elapsed())),
        ..access
    };
    note_missing(&mut scenarios, &vars);
    let mut progress = Progress::new(count_cases(&scenarios));
    let result = engine::run(
        &access,
        &target,
        &scenarios,
        &catalogue,
        &vars,
        if options.scenarios.is_empty() && options.filters.is_empty() {
            CredentialAudit::Always
        } else {
            CredentialAudit::OnLeak
        },
        &mut |case| progress.case(case),
    )
    .await;
    progress.finish();
    prepared.shutdown().await;
    write_reports(&options.out, &result, &catalogue)?;
    print_summary(&result, &options.out);
    Ok(exit_code(&result, options.fail_on_warn))
}

/// Marks the cases that use a variable the target does not give as requiring it (they are
/// skipped with the reason) and says so once on stderr.
fn note_missing(scenarios: &mut [Scenario], vars: &Vars) {
    let missing = needs::require_missing(scenarios, vars);
    if !missing.is_empty() {
        let list: Vec<String> = missing
            .iter()
            .map(|(name, cases)| format!("{name} ({cases} cases)"))
            .collect();
        eprintln!(
            "smartcheck run: the target gives no {}; the cases that use them are skipped \
             (docs/target-profiles.md)",
            list.join(", ")
        );
    }
}

/// The exit code of a run: 1 when a required check failed (or a recommended one, with
/// `--fail-on warn`), even if other cases could not run; 3 when nothing failed but part of the
/// run could not be done (or nothing was checked); 0 otherwise.
pub fn exit_code(run: &RunResult, fail_on_warn: bool) -> u8 {
    let checks = || run.cases.iter().flat_map(|c| &c.checks);
    if checks().any(|c| c.outcome == Outcome::Fail)
        || (fail_on_warn && checks().any(|c| c.outcome == Outcome::Warn))
    {
        return EXIT_FAILED;
    }
    match run.outcome() {
        Outcome::Error => EXIT_HARNESS_ERROR,
        _ => EXIT_PASS,
    }
}

/// The scenarios and cases to run. `names` keeps the scenarios whose name or family is one
/// of them (case-insensitive, `-` and `_` alike; an unknown one is an error listing the
/// valid ones). `filters` keeps the cases, variant by variant, whose `family / case name`
/// contains any of them (case-insensitive). Nothing left is an error.
pub fn select(
    mut scenarios: Vec<Scenario>,
    names: &[String],
    filters: &[String],
) -> Result<Vec<Scenario>, SelectError> {
    let matches = |s: &Scenario, name: &str| {
        let name = normalise(name);
        normalise(&s.name) == name || normalise(&s.family) == name
    };
    let unknown: Vec<&str> = names
        .iter()
        .filter(|n| !scenarios.iter().any(|s| matches(s, n)))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let valid: Vec<String> = scenarios
            .iter()
            .map(|s| {
                if s.name == s.family {
                    s.name.clone()
                } else {
                    format!("{} (family {})", s.name, s.family)
                }
            })
            .collect();
        let unknown = unknown.into_iter().map(String::from).collect();
        return Err(SelectError::Unknown { unknown, valid });
    }
    if !names.is_empty() {
        scenarios.retain(|s| names.iter().any(|n| matches(s, n)));
    }
    if !filters.is_empty() {
        let filters: Vec<String> = filters.iter().map(|f| f.to_lowercase()).collect();
        let hit = |text: String| {
            let text = text.to_lowercase();
            filters.iter().any(|f| text.contains(f.as_str()))
        };
        for s in &mut scenarios {
            let family = s.family.clone();
            s.cases.retain_mut(|case| {
                if case.variants.is_empty() {
                    return hit(format!("{family} / {}", case.name));
                }
                case.variants.retain(|v| {
                    let label = v.get("name").map_or("?", String::as_str);
                    hit(format!("{family} / {}: {label}", case.name))
                });
                !case.variants.is_empty()
            });
        }
        scenarios.retain(|s| !s.cases.is_empty());
    }
    if scenarios.is_empty() {
        let within = if names.is_empty() {
            String::new()
        } else {
            format!(" in scenario {}", names.join(", "))
        };
        return Err(SelectError::Nothing {
            filters: filters.to_vec(),
            within,
        });
    }
    Ok(scenarios)
}

fn normalise(name: &str) -> String {
    name.to_lowercase().replace('-', "_")
}

fn write_reports(out: &Path, result: &RunResult, catalogue: &Catalogue) -> Result<(), ReportError> {
    let files = [
        ("results.json", json::write_json(result)?),
        ("junit.xml", junit::write_junit(result)?),
        ("report.html", html::write_html(result, catalogue)?),
    ];
    crate::report::write_files(out, &files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(checks: &[Outcome], outcome: Outcome) -> crate::report::model::CaseResult {
        let checks = checks
            .iter()
            .map(|o| crate::report::model::CheckResult {
                requirement: "R".into(),
                severity: crate::requirements::Severity::Required,
                description: "d".into(),
                outcome: *o,
                detail: None,
                step: 1,
                not_applicable: false,
                blocked: false,
            })
            .collect();
        crate::report::model::CaseResult {
            family: "f".into(),
            scenario: "s".into(),
            name: "c".into(),
            outcome,
            reason: None,
            duration_ms: 0,
            checks,
            steps: Vec::new(),
        }
    }

    #[test]
    fn a_failed_check_is_exit_1_even_beside_errors_and_errors_alone_are_3() {
        let run = |cases| RunResult {
            target: "t".into(),
            duration_ms: 0,
            cases,
        };
        let failed = case(&[Outcome::Fail], Outcome::Fail);
        let errored = case(&[Outcome::Error], Outcome::Error);
        let warned = case(&[Outcome::Warn], Outcome::Warn);
        let passed = case(&[Outcome::Pass], Outcome::Pass);
        assert_eq!(
            exit_code(&run(vec![failed, errored.clone()]), false),
            EXIT_FAILED
        );
        assert_eq!(
            exit_code(&run(vec![passed.clone(), errored]), false),
            EXIT_HARNESS_ERROR
        );
        assert_eq!(
            exit_code(&run(vec![passed.clone(), warned.clone()]), false),
            EXIT_PASS
        );
        assert_eq!(
            exit_code(&run(vec![passed.clone(), warned]), true),
            EXIT_FAILED
        );
        assert_eq!(exit_code(&run(vec![passed]), false), EXIT_PASS);
        let skipped = case(&[Outcome::Skip], Outcome::Skip);
        assert_eq!(
            exit_code(&run(vec![skipped]), false),
            EXIT_HARNESS_ERROR,
            "nothing checked"
        );
    }

    fn builtin() -> Vec<Scenario> {
        crate::scenario::builtin().unwrap()
    }

    #[test]
    fn scenario_names_and_families_select() {
        let by_family = select(builtin(), &["Redirect-URI".into()], &[]).unwrap();
        assert_eq!(by_family.len(), 1);
        assert_eq!(by_family[0].family, "redirect-uri");
        let by_name = select(builtin(), &["redirect_uri".into()], &[]).unwrap();
        assert_eq!(by_name[0].cases.len(), by_family[0].cases.len());
    }

    #[test]
    fn unknown_scenarios_are_refused_with_the_valid_names() {
        let err = select(builtin(), &["discovery".into(), "nope".into()], &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown scenario nope"), "{err}");
        assert!(
            err.contains("discovery") && err.contains("everything"),
            "{err}"
        );
    }

    #[test]
    fn filters_select_cases_and_variants() {
        let s = select(
            builtin(),
            &[],
            &["Refused Without Redirect: TRAILING SLASH ADDED".into()],
        )
        .unwrap();
        assert_eq!(count_cases(&s), 1);
        assert_eq!(s[0].cases[0].variants.len(), 1);
        let s = select(
            builtin(),
            &[],
            &["discovery / patient access".into(), "fragment".into()],
        )
        .unwrap();
        assert!(count_cases(&s) >= 3, "any filter matches");
        let err = select(builtin(), &["discovery".into()], &["fragment".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("no case matches"), "{err}");
    }
}
