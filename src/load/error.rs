//! Why a load run (or a merge) could not go on, told apart by whose it is to fix.

use crate::http::HttpError;
use crate::report::ReportError;

/// A load run's error.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A load profile, test plan, threshold, option or input file that does not hold: the
    /// user's to fix.
    #[error("{0}")]
    Invalid(String),
    /// The target answered a pool request (a login, a token exchange) but not usably.
    #[error("{0}")]
    Target(String),
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error(transparent)]
    Report(#[from] ReportError),
    /// An HdrHistogram could not be built, merged or (de)serialized.
    #[error("histogram: {0}")]
    Histogram(String),
    #[error("goose: {0}")]
    Goose(String),
}

impl From<String> for LoadError {
    fn from(message: String) -> LoadError {
        LoadError::Invalid(message)
    }
}

impl From<&str> for LoadError {
    fn from(message: &str) -> LoadError {
        LoadError::Invalid(message.to_string())
    }
}

impl From<LoadError> for crate::exit::Stop {
    /// Bad input is the user's; everything else the harness's (or the target's).
    fn from(e: LoadError) -> crate::exit::Stop {
        match e {
            LoadError::Invalid(_) => crate::exit::Stop::usage(e),
            _ => crate::exit::Stop::harness(e),
        }
    }
}
