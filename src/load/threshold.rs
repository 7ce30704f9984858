//! `--threshold` rules of `smartcheck load`: parsed from the command line, judged against a
//! finished (or merged) [`LoadReport`] into the [`Verdict`]s written to `load.json`.
//!
//! Grammar (whitespace around tokens allowed):
//!
//! ```text
//! [ENDPOINT:]METRIC OP VALUE
//!
//! ENDPOINT  an endpoint name as in load.json (`Patient read`, `$everything next page`):
//!           spaces and `$` allowed, `:` not; exact match first, then case-insensitive.
//!           Without it the rule applies to all endpoints together (`total`).
//! METRIC    p50 p90 p95 p99 p99.9 (or p999) max mean   latency; VALUE in ms or s (300ms, 1.5s)
//!           error-rate                                 failures / requests; VALUE in % (1%, 0.5%)
//!           rps                                        requests per second; a plain number
//!           (case-insensitive)
//! OP        <  <=  >  >=
//! ```
//!
//! Examples: `p95<300ms`, `Patient read: error-rate < 1%`, `$everything next page:p99<=1.5s`,
//! `rps >= 50`.
//!
//! Judging: latency uses the corrected (open model: from the intended send time) figures
//! when the report has them, else the raw ones. A rule whose endpoint is not in the report,
//! or made no request, fails with no measured figure: no evidence is not a pass.

use super::error::LoadError;
use std::fmt;
use std::str::FromStr;

use super::model::{EndpointStats, LoadReport, Percentiles, Verdict};

/// The grammar, for the CLI's `--help`.
pub const HELP: &str = "\
Threshold rule: [ENDPOINT:]METRIC OP VALUE (quote it: < and > are shell redirections)
  ENDPOINT  an endpoint name as in load.json, e.g. `Patient read` (no `:`);
            without it, all endpoints together
  METRIC    p50 p90 p95 p99 p99.9 (p999) max mean: latency, VALUE in ms or s (300ms, 1.5s)
            error-rate: failed requests, VALUE in % (1%, 0.5%)
            rps: requests per second, a plain number
  OP        < <= > >=
Examples: 'p95<300ms'  'Patient read:error-rate<1%'  'rps>=50'
A rule on an endpoint that made no request fails.";

/// One parsed threshold rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The rule as written, trimmed.
    pub rule: String,
    /// The endpoint it applies to (trimmed); `None` for all endpoints together.
    pub endpoint: Option<String>,
    pub metric: Metric,
    pub op: Op,
    /// In the metric's unit: ms, % or req/s (a limit written in seconds is stored in ms).
    pub limit: f64,
}

/// What a rule measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A latency figure, in milliseconds.
    Latency(LatencyStat),
    /// Failed requests, in percent of all requests.
    ErrorRate,
    /// Requests per second over the measured phase.
    Rps,
}

/// Which latency figure of [`Percentiles`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyStat {
    P50,
    P90,
    P95,
    P99,
    P999,
    Max,
    Mean,
}

/// The comparison a measured figure must satisfy against the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

/// Every metric name, as listed in error messages.
const KNOWN_METRICS: &str = "p50, p90, p95, p99, p99.9 (or p999), max, mean, error-rate, rps";

/// Characters that start (or belong to) a comparison operator, recognized ones or not.
fn is_op_char(c: char) -> bool {
    matches!(c, '<' | '>' | '=' | '!' | '≤' | '≥')
}

impl LatencyStat {
    /// The figure in `p`, in milliseconds.
    pub fn of(self, p: &Percentiles) -> f64 {
        match self {
            LatencyStat::P50 => p.p50,
            LatencyStat::P90 => p.p90,
            LatencyStat::P95 => p.p95,
            LatencyStat::P99 => p.p99,
            LatencyStat::P999 => p.p999,
            LatencyStat::Max => p.max,
            LatencyStat::Mean => p.mean,
        }
    }
}

impl Metric {
    /// The canonical name (`p95`, `p99.9`, `error-rate`, `rps`).
    pub fn name(self) -> &'static str {
        match self {
            Metric::Latency(LatencyStat::P50) => "p50",
            Metric::Latency(LatencyStat::P90) => "p90",
            Metric::Latency(LatencyStat::P95) => "p95",
            Metric::Latency(LatencyStat::P99) => "p99",
            Metric::Latency(LatencyStat::P999) => "p99.9",
            Metric::Latency(LatencyStat::Max) => "max",
            Metric::Latency(LatencyStat::Mean) => "mean",
            Metric::ErrorRate => "error-rate",
            Metric::Rps => "rps",
        }
    }

    /// The unit of limits and measured figures: `ms`, `%` or `req/s`.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Latency(_) => "ms",
            Metric::ErrorRate => "%",
            Metric::Rps => "req/s",
        }
    }

    /// Parses a metric name, case-insensitively.
    fn parse(text: &str) -> Option<Metric> {
        let stat = match text.to_ascii_lowercase().as_str() {
            "p50" => LatencyStat::P50,
            "p90" => LatencyStat::P90,
            "p95" => LatencyStat::P95,
            "p99" => LatencyStat::P99,
            "p99.9" | "p999" => LatencyStat::P999,
            "max" => LatencyStat::Max,
            "mean" => LatencyStat::Mean,
            "error-rate" => return Some(Metric::ErrorRate),
            "rps" => return Some(Metric::Rps),
            _ => return None,
        };
        Some(Metric::Latency(stat))
    }

    /// The figure of `stats` in [`Metric::unit`]; corrected latency preferred over raw.
    fn measure(self, stats: &EndpointStats) -> f64 {
        match self {
            Metric::Latency(stat) => stat.of(stats.corrected.as_ref().unwrap_or(&stats.raw)),
            Metric::ErrorRate => stats.failures as f64 / stats.requests as f64 * 100.0,
            Metric::Rps => stats.rps,
        }
    }
}

impl Op {
    /// `<`, `<=`, `>` or `>=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    /// Whether `measured OP limit` holds (never for NaN).
    pub fn holds(self, measured: f64, limit: f64) -> bool {
        match self {
            Op::Lt => measured < limit,
            Op::Le => measured <= limit,
            Op::Gt => measured > limit,
            Op::Ge => measured >= limit,
        }
    }

    fn parse(text: &str) -> Option<Op> {
        match text {
            "<" => Some(Op::Lt),
            "<=" => Some(Op::Le),
            ">" => Some(Op::Gt),
            ">=" => Some(Op::Ge),
            _ => None,
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// The canonical form (`Patient read:p95<300ms`, `rps>=50`); parses back to the same fields.
impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(endpoint) = &self.endpoint {
            write!(f, "{endpoint}:")?;
        }
        let unit = match self.metric {
            Metric::Rps => "",
            m => m.unit(),
        };
        write!(f, "{}{}{}{unit}", self.metric, self.op, self.limit)
    }
}

impl FromStr for Threshold {
    type Err = LoadError;

    fn from_str(text: &str) -> Result<Threshold, LoadError> {
        let rule = text.trim();
        parse(rule).map_err(|problem| LoadError::Invalid(format!("threshold `{rule}`: {problem}")))
    }
}

/// Parses a trimmed rule; the error names the problem only (the caller adds the rule).
fn parse(rule: &str) -> Result<Threshold, LoadError> {
    if rule.is_empty() {
        return Err("empty rule; expected [ENDPOINT:]METRIC OP VALUE, e.g. `p95<300ms`".into());
    }
    let (endpoint, rest) = match rule.split_once(':') {
        Some((endpoint, rest)) => {
            let endpoint = endpoint.trim();
            if endpoint.is_empty() {
                return Err("empty endpoint before `:` (leave out `:` for all endpoints)".into());
            }
            if rest.contains(':') {
                return Err(
                    "more than one `:` (endpoint names contain none; write ENDPOINT:METRIC OP VALUE)"
                        .into(),
                );
            }
            (Some(endpoint.to_string()), rest)
        }
        None => (None, rule),
    };

    let Some(op_at) = rest.find(is_op_char) else {
        return Err("no comparison operator; use <, <=, > or >= (e.g. `p95<300ms`)".into());
    };
    let metric_text = rest[..op_at].trim();
    let after = &rest[op_at..];
    let op_len = after
        .find(|c: char| !is_op_char(c) && !c.is_whitespace())
        .unwrap_or(after.len());
    let op_text = after[..op_len].trim();
    let value = after[op_len..].trim();

    if metric_text.is_empty() {
        return Err(format!("no metric before `{op_text}`; known: {KNOWN_METRICS}").into());
    }
    let Some(metric) = Metric::parse(metric_text) else {
        let hint = if metric_text.contains(char::is_whitespace) && endpoint.is_none() {
            " (an endpoint is followed by `:`, e.g. `Patient read:p95<300ms`)"
        } else {
            ""
        };
        return Err(format!("unknown metric `{metric_text}`; known: {KNOWN_METRICS}{hint}").into());
    };
    let Some(op) = Op::parse(op_text) else {
        return Err(format!("unknown operator `{op_text}`; use <, <=, > or >=").into());
    };
    let limit = parse_value(metric, value)?;
    Ok(Threshold {
        rule: rule.to_string(),
        endpoint,
        metric,
        op,
        limit,
    })
}

/// The limit of `value` in the metric's unit, checking the unit fits the metric.
fn parse_value(metric: Metric, value: &str) -> Result<f64, LoadError> {
    if value.is_empty() {
        return Err(format!("no value after the operator; {}", expects(metric)).into());
    }
    // The number ends at its last digit (or point); what follows is the unit.
    let split = value
        .rfind(|c: char| c.is_ascii_digit() || c == '.')
        .map_or(0, |i| i + 1);
    let (number, unit) = (value[..split].trim(), value[split..].trim());
    if number.is_empty() {
        return Err(format!("`{value}` is not a number; {}", expects(metric)).into());
    }
    let n: f64 = number
        .parse()
        .map_err(|_| format!("`{number}` is not a number; {}", expects(metric)))?;
    if !n.is_finite() {
        return Err(format!("`{number}` is not a finite number").into());
    }
    if n < 0.0 {
        return Err(format!("negative limit `{number}`; limits are 0 or more").into());
    }
    // `+ 0.0` turns -0 into 0.
    let n = n + 0.0;
    let unit_lower = unit.to_ascii_lowercase();
    let limit = match (metric, unit_lower.as_str()) {
        (Metric::Latency(_), "ms") => n,
        (Metric::Latency(_), "s") => n * 1000.0,
        (Metric::ErrorRate, "%") => n,
        (Metric::Rps, "" | "req/s") => n,
        (Metric::Latency(_) | Metric::ErrorRate, "") => {
            return Err(format!("`{value}` has no unit; {}", expects(metric)).into());
        }
        (_, "ms" | "s" | "%" | "req/s") => {
            return Err(format!("unit `{unit}` does not fit {metric}; {}", expects(metric)).into());
        }
        _ => {
            return Err(format!("unknown unit `{unit}`; {}", expects(metric)).into());
        }
    };
    if metric == Metric::ErrorRate && limit > 100.0 {
        return Err(format!(
            "error-rate limit `{value}` is above 100% (it is a share of all requests)"
        )
        .into());
    }
    if !limit.is_finite() {
        return Err(format!("`{value}` is too large").into());
    }
    Ok(limit)
}

/// What a value of `metric` looks like, for error messages.
fn expects(metric: Metric) -> String {
    match metric {
        Metric::Latency(_) => format!("{metric} needs a number with ms or s, e.g. 300ms or 1.5s"),
        Metric::ErrorRate => "error-rate needs a number with %, e.g. 1% or 0.5%".to_string(),
        Metric::Rps => "rps needs a plain number (requests per second), e.g. 50".to_string(),
    }
}

impl Threshold {
    /// The run's figure for this rule and whether it satisfies the rule. An endpoint that is
    /// not in the report, or made no request, or a figure that is not a finite number,
    /// gives `measured: None` and fails.
    pub fn judge(&self, report: &LoadReport) -> Verdict {
        let stats = match &self.endpoint {
            None => Some(&report.total),
            Some(name) => find_endpoint(&report.endpoints, name),
        };
        let measured = stats
            .filter(|s| s.requests > 0)
            .map(|s| self.metric.measure(s))
            .filter(|m| m.is_finite());
        Verdict {
            rule: self.rule.clone(),
            // The report's spelling when the rule matched it case-insensitively.
            endpoint: match (stats, &self.endpoint) {
                (Some(s), Some(_)) => Some(s.name.clone()),
                (_, endpoint) => endpoint.clone(),
            },
            measured,
            unit: self.metric.unit().to_string(),
            passed: measured.is_some_and(|m| self.op.holds(m, self.limit)),
        }
    }
}

/// Judges every rule, in order.
pub fn judge_all(thresholds: &[Threshold], report: &LoadReport) -> Vec<Verdict> {
    thresholds.iter().map(|t| t.judge(report)).collect()
}

/// The endpoint named `name`: exact match first, then case-insensitive.
fn find_endpoint<'a>(endpoints: &'a [EndpointStats], name: &str) -> Option<&'a EndpointStats> {
    endpoints.iter().find(|e| e.name == name).or_else(|| {
        let lower = name.to_lowercase();
        endpoints.iter().find(|e| e.name.to_lowercase() == lower)
    })
}

#[cfg(test)]
#[path = "threshold_tests.rs"]
mod tests;
