//! Server configuration: command-line flags, each also settable from the environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// How the reference server runs. Every field has a default fit for a local try-out.
#[derive(Parser, Clone, Debug)]
#[command(
    name = "reference-server",
    version,
    about = "The documented SMART-on-FHIR payer API, implemented exactly (smartcheck's default target)",
    after_help = "Examples:\n  reference-server                         # 127.0.0.1:8080, three sandbox members\n  reference-server --bind 127.0.0.1:0 --members 10000\n  reference-server --public-url https://sandbox.example.org --bind 0.0.0.0:8080"
)]
pub struct Config {
    /// Address to listen on. Port 0 picks a free port (printed at start).
    #[arg(long, env = "REFSERVER_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Public base URL when behind a proxy; defaults to http://<bound address>.
    #[arg(long, env = "REFSERVER_PUBLIC_URL")]
    pub public_url: Option<url::Url>,

    /// Access token lifetime in seconds (seed 002 example: 3599).
    #[arg(long, env = "REFSERVER_ACCESS_TOKEN_TTL", default_value_t = 3599)]
    pub access_token_ttl: u64,

    /// Refresh token lifetime in seconds.
    #[arg(long, env = "REFSERVER_REFRESH_TOKEN_TTL", default_value_t = 30 * 24 * 3600)]
    pub refresh_token_ttl: u64,

    /// Authorization code lifetime in seconds (RFC 6749 4.1.2 recommends at most 10 minutes).
    #[arg(long, env = "REFSERVER_CODE_TTL", default_value_t = 60)]
    pub code_ttl: u64,

    /// How long a login (authorize -> login -> consent) may take, in seconds.
    #[arg(long, env = "REFSERVER_LOGIN_TTL", default_value_t = 600)]
    pub login_ttl: u64,

    /// Default page size of searches and `$everything` pages.
    #[arg(long, env = "REFSERVER_PAGE_SIZE", default_value_t = 50)]
    pub page_size: usize,

    /// Largest `_count` honoured; larger requests are capped to it.
    #[arg(long, env = "REFSERVER_MAX_PAGE_SIZE", default_value_t = 500)]
    pub max_page_size: usize,

    /// Generated members added after the three sandbox members (for load tests).
    #[arg(long, env = "REFSERVER_MEMBERS", default_value_t = 0)]
    pub members: u64,

    /// Seed of the synthetic data generator: same seed, same data.
    #[arg(long, env = "REFSERVER_SEED", default_value_t = 20_240_601)]
    pub seed: u64,

    /// PEM file with the RS256 signing key (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY");
    /// without it a 2048-bit key is generated at start.
    #[arg(long, env = "REFSERVER_SIGNING_KEY")]
    pub signing_key: Option<PathBuf>,

    /// Switch on a fault (a realistic defect, for proving the checks; see `--help` of
    /// `smartcheck selftest`); repeat or separate with commas. Off by default.
    #[arg(
        long = "fault",
        env = "REFSERVER_FAULTS",
        value_delimiter = ',',
        value_name = "FAULT"
    )]
    pub faults: Vec<crate::faults::Fault>,

    /// Serve `GET`/`PUT /admin/faults` to switch faults on a running server (loopback
    /// test setups only: it has no authentication).
    #[arg(long, env = "REFSERVER_ADMIN")]
    pub admin: bool,

    /// Benchmarks only: wait this many milliseconds before answering any request.
    #[arg(long, env = "REFSERVER_INJECT_DELAY_MS", default_value_t = 0)]
    pub inject_delay_ms: u64,

    /// Benchmarks only: stall every this many milliseconds (with --inject-stall-ms).
    #[arg(long, env = "REFSERVER_INJECT_STALL_EVERY_MS", default_value_t = 0)]
    pub inject_stall_every_ms: u64,

    /// Benchmarks only: length of each stall; a request arriving during one waits for its end.
    #[arg(long, env = "REFSERVER_INJECT_STALL_MS", default_value_t = 0)]
    pub inject_stall_ms: u64,
}

impl Config {
    /// Defaults for tests and the embedded target: loopback, ephemeral port.
    pub fn ephemeral() -> Self {
        Config::parse_from(["reference-server", "--bind", "127.0.0.1:0"])
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::parse_from(["reference-server"])
    }
}
