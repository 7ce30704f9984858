//! The one place errors become exit codes and messages, for every command: a usage error (a
//! bad option, profile or selection: the user's to fix) is 2, a harness error (the bundled
//! server did not start, the target cannot be reached, a report cannot be written) is 3.
//! Each error type says here which it is.

use std::process::ExitCode;

/// Every required check that ran passed.
pub const EXIT_PASS: u8 = 0;
/// A required check failed (or a recommended one, with `--fail-on warn`).
pub const EXIT_FAILED: u8 = 1;
/// Bad usage: an unknown option, scenario, fault or profile field; a missing secret.
pub const EXIT_USAGE: u8 = 2;
/// The harness could not complete a step (target unreachable, driver failure...).
pub const EXIT_HARNESS_ERROR: u8 = 3;

/// Why a command stopped before its verdict.
#[derive(Debug, thiserror::Error)]
pub enum Stop {
    /// The user's to fix.
    #[error("{0}")]
    Usage(Box<dyn std::error::Error + Send + Sync>),
    /// The harness's (or the environment's).
    #[error("{0}")]
    Harness(Box<dyn std::error::Error + Send + Sync>),
}

impl Stop {
    /// A usage error from any error.
    pub fn usage(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Stop {
        Stop::Usage(e.into())
    }

    /// A harness error from any error.
    pub fn harness(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Stop {
        Stop::Harness(e.into())
    }

    /// The exit code.
    pub fn code(&self) -> u8 {
        match self {
            Stop::Usage(_) => EXIT_USAGE,
            Stop::Harness(_) => EXIT_HARNESS_ERROR,
        }
    }
}

/// The process's exit code for a command's result, saying why on stderr when it stopped
/// (`smartcheck run: ...`).
pub fn finish(command: &str, result: Result<u8, Stop>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(stop) => {
            eprintln!("smartcheck {command}: {stop}");
            ExitCode::from(stop.code())
        }
    }
}

/// An error in words with its whole chain of causes (`a: b: c`).
pub fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl From<crate::target::prepare::PrepareError> for Stop {
    /// A profile's fault is the user's; a server that did not start or a target that could
    /// not be discovered is the harness's.
    fn from(e: crate::target::prepare::PrepareError) -> Stop {
        use crate::target::prepare::PrepareError as E;
        match e {
            E::Profile(_) | E::Production(_) => Stop::usage(e),
            E::Start(_) | E::Discovery(_) => Stop::harness(e),
        }
    }
}

impl From<crate::scenario::parse::ParseError> for Stop {
    /// A scenario file that does not parse: the user's (the built-in ones are tested).
    fn from(e: crate::scenario::parse::ParseError) -> Stop {
        Stop::usage(e)
    }
}

impl From<crate::requirements::CatalogueError> for Stop {
    fn from(e: crate::requirements::CatalogueError) -> Stop {
        Stop::usage(e)
    }
}

impl From<crate::report::ReportError> for Stop {
    /// A report that cannot be written (a full disk, a folder not writable).
    fn from(e: crate::report::ReportError) -> Stop {
        Stop::harness(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_and_harness_errors_have_their_codes() {
        assert_eq!(Stop::usage("no such scenario").code(), EXIT_USAGE);
        let io = std::io::Error::other("disk full");
        assert_eq!(Stop::harness(io).code(), EXIT_HARNESS_ERROR);
        assert_eq!(Stop::usage("x").to_string(), "x");
    }
}
