//! What a load run measured: the contents of `load.json` (documented in `docs/load-json.md`)
//! and the input of `latency.html`. Every figure a reader needs is here as a number, and
//! every latency distribution is also kept as a mergeable histogram, so runs from several
//! machines can be merged (`smartcheck load-merge`) before thresholds are judged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::histogram::Latency;

/// Bumped on any change a reader of `load.json` must know about.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadReport {
    pub schema_version: u32,
    /// `smartcheck <version>`.
    pub tool: String,
    pub params: RunParams,
    /// Unix time (seconds) when the measured phase began.
    pub started_unix: u64,
    /// Length of the measured phase, in seconds.
    pub elapsed_secs: f64,
    /// Why the run ended: `duration`, `max-requests`, `interrupted`.
    pub stopped_by: String,
    /// Every request of the run, all endpoints together (`name` = "all").
    pub total: EndpointStats,
    /// One entry per endpoint (requests grouped by what they do, not by path), by name.
    pub endpoints: Vec<EndpointStats>,
    /// One entry per second of the measured phase, from 0.
    pub timeline: Vec<Second>,
    /// Open model: arrivals that could not start because `max_in_flight` requests were
    /// already waiting (never silently delayed; counted here and as failures).
    pub dropped: u64,
    /// The token pool acquired before the ramp and kept fresh during the run.
    pub pool: PoolStats,
    /// The threshold rules and how the run measured against each.
    pub thresholds: Vec<Verdict>,
}

/// What the run was asked to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunParams {
    /// The target's name (`reference` for the bundled server).
    pub target: String,
    /// The Patient Access base URL.
    pub base_url: String,
    /// The load profile's name (`scenarios/load/<name>.toml`).
    pub profile: String,
    /// `closed` (goose users) or `open` (fixed arrival rate).
    pub model: Model,
    /// Closed model: the users at full load.
    pub users: Option<usize>,
    /// Closed model: new users started per second during the ramp.
    pub increase_rate: Option<f64>,
    /// Closed model: goose test plan (`users,time;...`) when one was given.
    pub test_plan: Option<String>,
    /// Open model: arrivals (transactions) per second.
    pub rate: Option<f64>,
    /// The run's time bound, in seconds.
    pub duration_secs: u64,
    /// The run's request bound.
    pub max_requests: u64,
    /// Open model: most transactions in flight at once.
    pub max_in_flight: Option<usize>,
    /// New member logins per second during the run (0 = none).
    pub login_rate: f64,
    /// The traffic mix: each transaction kind and its weight.
    pub mix: Vec<MixEntry>,
}

/// Closed: a fixed number of users, each sending its next request when the previous one
/// answered. Open: transactions start at a fixed rate whatever the answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    Closed,
    Open,
}

/// One transaction kind of the mix.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MixEntry {
    pub transaction: String,
    pub weight: u32,
}

/// The figures of one endpoint (or of all together).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndpointStats {
    pub name: String,
    pub requests: u64,
    pub successes: u64,
    pub failures: u64,
    /// Answers by HTTP status (`"200"`, `"401"`), plus `"transport"` (no answer: connection
    /// error or timeout) and `"dropped"` (open model: never sent).
    pub by_status: BTreeMap<String, u64>,
    /// Requests per second over the measured phase.
    pub rps: f64,
    /// Latency from the actual send to the end of the body.
    pub raw: Percentiles,
    /// Open model: latency from the intended send time to the end of the body (includes
    /// the time a request waited because the generator or the server was saturated).
    pub corrected: Option<Percentiles>,
    pub raw_histogram: Latency,
    pub corrected_histogram: Option<Latency>,
}

/// Latency figures, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

impl Percentiles {
    /// The figures of a histogram (all zero when it is empty).
    pub fn of(h: &Latency) -> Percentiles {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        Percentiles {
            p50: ms(h.quantile(0.5)),
            p90: ms(h.quantile(0.9)),
            p95: ms(h.quantile(0.95)),
            p99: ms(h.quantile(0.99)),
            p999: ms(h.quantile(0.999)),
            max: ms(h.max()),
            mean: ms(h.mean()),
        }
    }
}

/// One second of the measured phase, all endpoints together. Requests are counted in the
/// second they completed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Second {
    /// Seconds since the measured phase began.
    pub second: u64,
    pub requests: u64,
    pub failures: u64,
    /// Closed model: goose users running at the end of this second; open model: transactions
    /// in flight at the end of this second.
    pub users: u64,
    pub raw: Percentiles,
    pub corrected: Option<Percentiles>,
    pub raw_histogram: Latency,
    pub corrected_histogram: Option<Latency>,
}

/// The token pool.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PoolStats {
    /// Members logged in (authorization code through the login driver) before the ramp.
    pub members: usize,
    /// Whether a provider-directory token (client credentials) was acquired.
    pub directory_token: bool,
    /// Seconds the pool took to fill (not part of the measured phase).
    pub fill_secs: f64,
    /// Access tokens refreshed during the run because they were close to expiry.
    pub refreshed_before_expiry: u64,
}

/// One threshold rule and the run's figure for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verdict {
    /// The rule as written (`p95<300ms`, `Patient read:error-rate<1%`).
    pub rule: String,
    /// The endpoint it applies to; `None` for all endpoints together.
    pub endpoint: Option<String>,
    /// The run's figure, in the rule's unit (ms, %, req/s); `None` when the endpoint
    /// made no request (which fails the rule: no evidence is not a pass).
    pub measured: Option<f64>,
    /// The figure's unit: `ms`, `%` or `req/s`.
    pub unit: String,
    pub passed: bool,
}
