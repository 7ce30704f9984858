//! `smartcheck`: the command line. Parse, dispatch, map the outcome to an exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Conformance and load-testing harness for SMART-on-FHIR payer APIs.
#[derive(Parser, Debug)]
#[command(
    name = "smartcheck",
    version,
    about,
    after_help = "Examples:\n  smartcheck serve                      # the bundled reference server on 127.0.0.1:8080\n  smartcheck serve --bind 127.0.0.1:0 --members 10000"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the bundled reference server (the embedded default target) until Ctrl-C.
    Serve(reference_server::Config),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(config) => smartcheck::serve::run(config).await,
    }
}
