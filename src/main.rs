//! `smartcheck`: the command line. Parse, dispatch, map the outcome to an exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Conformance and load-testing harness for SMART-on-FHIR payer APIs.
#[derive(Parser, Debug)]
#[command(
    name = "smartcheck",
    version,
    about,
    after_help = "Examples:\n  smartcheck run                        # the suite against the bundled server; reports in out/\n  smartcheck run --out reports --fail-on warn\n  smartcheck list                       # scenarios, cases and requirement ids\n  smartcheck serve                      # the bundled reference server on 127.0.0.1:8080\n  smartcheck serve --bind 127.0.0.1:0 --members 10000\n\nExit codes: 0 all required checks passed, 1 a check failed, 2 usage error, 3 harness error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the scenarios, their cases and the requirement ids they check.
    List,
    /// Run the conformance suite against the bundled reference server (in-process, loopback).
    Run {
        /// Folder for report.html, results.json and junit.xml.
        #[arg(long, default_value = "out")]
        out: std::path::PathBuf,
        /// Also fail (exit 1) when a recommended rule is not met.
        #[arg(long, value_parser = ["warn"])]
        fail_on: Option<String>,
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
        Command::Run { out, fail_on } => smartcheck::run::run(&out, fail_on.is_some()).await,
        Command::Serve(config) => smartcheck::serve::run(config).await,
    }
}
