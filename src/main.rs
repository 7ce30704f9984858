//! `smartcheck`: the command line. Parse, dispatch, map the outcome to an exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

const EXIT_CODES: &str = "Exit codes: 0 every required check that ran passed (skipped cases are reported, never counted as passed), \
1 a check failed (or a recommended one with --fail-on warn), 2 usage error (options, profile, \
selection, a missing environment variable), 3 harness error (target unreachable, a step could \
not run, reports not written).";

/// Conformance and load-testing harness for SMART-on-FHIR payer APIs.
#[derive(Parser, Debug)]
#[command(
    name = "smartcheck",
    version,
    about,
    after_help = format!("Examples:
  smartcheck run                          # the suite against the bundled server; reports in out/
  smartcheck run --target targets/example.toml --out sandbox-report
  smartcheck run --scenario discovery --filter 'trailing slash' --fail-on warn
  smartcheck list                         # scenarios, cases and requirement ids
  smartcheck serve                        # the bundled reference server on 127.0.0.1:8080
  smartcheck serve --bind 127.0.0.1:0 --members 10000

{EXIT_CODES}")
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the scenarios, their cases and the requirement ids they check.
    List,
    /// Run the conformance suite: against the bundled reference server (in-process,
    /// loopback) by default, or against a remote target described by a profile.
    #[command(after_help = format!("Examples:
  smartcheck run
      every scenario against the bundled server; out/report.html, results.json, junit.xml
  SANDBOX_PA_SECRET=... SANDBOX_PD_SECRET=... SANDBOX_MEMBER1_PASSWORD=... \\
  smartcheck run --target targets/my-sandbox.toml
      a remote target (format: docs/target-profiles.md; secrets only from the environment)
  smartcheck run --scenario discovery --scenario redirect-uri
      only these scenarios (a scenario's name or family; `smartcheck list` shows them)
  smartcheck run --filter 'trailing slash' --filter 'code used twice'
      only the cases whose \"family / case name\" contains one of these (case-insensitive)
  smartcheck run --out reports/today --fail-on warn
      reports elsewhere; a recommended rule not met fails the run too

{EXIT_CODES}"))]
    Run {
        /// Folder for report.html, results.json and junit.xml.
        #[arg(long, default_value = "out", value_name = "DIR")]
        out: PathBuf,
        /// Also fail (exit 1) when a recommended rule is not met.
        #[arg(long, value_parser = ["warn"])]
        fail_on: Option<String>,
        /// A remote target's profile (TOML: base URLs, clients, members; secrets as
        /// environment variable names). Default: the bundled reference server.
        #[arg(long, value_name = "PROFILE.toml")]
        target: Option<PathBuf>,
        /// Run only this scenario (its name or family); repeat for more.
        #[arg(long, value_name = "NAME")]
        scenario: Vec<String>,
        /// Run only the cases whose "family / case name" contains TEXT (case-insensitive);
        /// repeat to run the cases matching any.
        #[arg(long, value_name = "TEXT")]
        filter: Vec<String>,
    },
    /// Run the bundled reference server (the embedded default target) until Ctrl-C.
    Serve(reference_server::Config),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::List => match (
            smartcheck::scenario::model::builtin(),
            smartcheck::requirements::Catalogue::builtin(),
        ) {
            (Ok(s), Ok(c)) => {
                print!("{}", smartcheck::list::render(&s, &c));
                ExitCode::SUCCESS
            }
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("smartcheck list: {e}");
                ExitCode::from(smartcheck::run::EXIT_USAGE)
            }
        },
        Command::Run {
            out,
            fail_on,
            target,
            scenario,
            filter,
        } => {
            let options = smartcheck::run::Options {
                out,
                fail_on_warn: fail_on.is_some(),
                target,
                scenarios: scenario,
                filters: filter,
            };
            smartcheck::run::run(&options).await
        }
        Command::Serve(config) => smartcheck::serve::run(config).await,
    }
}
