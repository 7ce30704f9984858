//! `smartcheck serve`: the bundled reference server in the foreground.

use std::process::ExitCode;

/// Exit code for a usage or start-up error.
pub const EXIT_USAGE: u8 = 2;

/// Runs the reference server until Ctrl-C.
pub async fn run(config: reference_server::Config) -> ExitCode {
    match reference_server::run_foreground(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smartcheck serve: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
