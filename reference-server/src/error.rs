//! Why the server could not start, and why a key or a fixture is unusable. Request errors are
//! answers, not these: OAuth errors (`auth::error`) and OperationOutcomes (`outcome`).

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read the listening address: {0}")]
    Address(std::io::Error),
    #[error("cannot read signing key {path}: {source}")]
    ReadKey {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

/// Why a signing key cannot be made, read or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("RSA key generation failed")]
    Generate,
    #[error("unsupported PEM block `{0}`: expected an RSA private key")]
    UnsupportedPem(String),
    #[error("malformed PEM: {0}")]
    MalformedPem(&'static str),
    #[error("PEM body is not base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("signing key rejected: {0}")]
    Rejected(String),
    #[error("cannot encode key")]
    Encode,
    #[error("RS256 signing failed")]
    Sign,
}

/// Why an embedded fixture (plans, clients, members, application ids) is unusable.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("{file}: {source}")]
    Syntax {
        file: &'static str,
        source: toml::de::Error,
    },
    /// The fixture parses but contradicts itself (an unknown plan, an id used twice).
    #[error("{0}")]
    Inconsistent(String),
}
