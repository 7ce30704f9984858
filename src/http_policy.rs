//! How the harness treats a target's HTTP server: a timeout on every request, a request-rate
//! limit shared by the whole run, retries with backoff only where they are safe (a GET or
//! HEAD answered 429 or 503, or not answered at all), honouring `Retry-After`, and extra CA
//! certificates beside the platform's roots. The bundled server gets the defaults: no rate
//! limit, which it never needs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Default timeout of a request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default retries of a safe request.
pub const DEFAULT_RETRIES: u32 = 2;
/// Longest wait before a retry; a `Retry-After` beyond it is not waited for (the answer
/// stands).
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// First backoff when the server gives no `Retry-After` (doubled each retry).
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// The run's HTTP policy. Cheap to clone: the rate limiter is shared.
#[derive(Clone, Debug)]
pub struct HttpPolicy {
    pub timeout: Duration,
    pub retries: u32,
    /// Most requests per second, all sessions of the run together.
    pub pacer: Option<Arc<Pacer>>,
    /// Extra trusted roots (the profile's `ca_cert`), beside the platform's.
    pub extra_roots: Vec<reqwest::Certificate>,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        HttpPolicy {
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
            pacer: None,
            extra_roots: Vec::new(),
        }
    }
}

/// Why a CA certificate file (`[http] ca_cert`) cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("cannot read the CA certificate {}: {source}", .path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a PEM certificate bundle: {detail}", .path.display())]
    NotPem {
        path: std::path::PathBuf,
        detail: String,
    },
    #[error("{}: no certificate in the file", .0.display())]
    Empty(std::path::PathBuf),
}

impl HttpPolicy {
    /// A client builder with the timeouts and roots (the caller adds cookies, redirects).
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .tls_certs_merge(self.extra_roots.iter().cloned())
    }

    /// Waits for the rate limiter's next slot (at once without a limit).
    pub async fn pace(&self) {
        if let Some(p) = &self.pacer {
            p.wait().await;
        }
    }

    /// How long to wait before retry number `attempt` (1-based) of a safe request that got
    /// `status` (`None`: no answer), or `None` when it must not be retried.
    pub fn retry_wait(
        &self,
        attempt: u32,
        status: Option<u16>,
        headers: Option<&HeaderMap>,
    ) -> Option<Duration> {
        if attempt > self.retries {
            return None;
        }
        let backoff = FIRST_BACKOFF * 2u32.saturating_pow(attempt - 1);
        match status {
            None => Some(backoff),
            Some(429 | 503) => {
                let asked = headers.and_then(|h| retry_after(h, SystemTime::now()));
                match asked {
                    Some(wait) if wait > MAX_RETRY_WAIT => None,
                    Some(wait) => Some(wait),
                    None => Some(backoff),
                }
            }
            Some(_) => None,
        }
    }

    /// Reads a PEM file of one or more CA certificates.
    pub fn load_roots(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, CaError> {
        let pem = std::fs::read(path).map_err(|source| CaError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| CaError::NotPem {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        if certs.is_empty() {
            return Err(CaError::Empty(path.to_path_buf()));
        }
        Ok(certs)
    }
}

/// A request-rate limit: each request takes the next free slot, `1/rate` after the last.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pacer {
    /// `rate` requests per second (above 0).
    pub fn new(rate: f64) -> Pacer {
        Pacer {
            interval: Duration::from_secs_f64(1.0 / rate),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits until this request's slot.
    pub async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot.into()).await;
    }
}

/// `Retry-After` (RFC 9110 10.2.3): delay-seconds or an HTTP-date (IMF-fixdate).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`.
fn http_date(text: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    // Four digits (RFC 9110 5.6.7): a longer year from a hostile server would overflow the
    // arithmetic below.
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<u64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    if !(1..=31).contains(&day) || *h > 23 || *m > 59 || *s > 60 {
        return None;
    }
    let days = smartcheck_common::fhirtime::days_from_civil(year, month, day);
    let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + m * 60 + s;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn with_retry_after(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // 06 Nov 1994 08:49:37
        assert_eq!(
            retry_after(&with_retry_after("7"), now),
            Some(Duration::from_secs(7))
        );
        let date = with_retry_after("Sun, 06 Nov 1994 08:49:47 GMT");
        assert_eq!(retry_after(&date, now), Some(Duration::from_secs(10)));
        // A date in the past means now.
        let past = with_retry_after("Sun, 06 Nov 1994 08:49:00 GMT");
        assert_eq!(retry_after(&past, now), Some(Duration::ZERO));
        for bad in [
            "soon",
            "-3",
            "Sun, 06 Nov 1994 25:00:00 GMT",
            "06 Nov 1994",
            // Years no calendar reaches (they overflowed SystemTime: a panic).
            "Sun, 06 Nov 300000000000 08:49:37 GMT",
            "Sun, 06 Nov 9223372036854775807 08:49:37 GMT",
            "Sun, 06 Nov -1994 08:49:37 GMT",
        ] {
            assert_eq!(retry_after(&with_retry_after(bad), now), None, "{bad}");
        }
    }

    #[test]
    fn only_429_503_and_no_answer_are_retried_within_the_budget() {
        let p = HttpPolicy::default();
        assert_eq!(p.retry_wait(1, None, None), Some(FIRST_BACKOFF));
        assert_eq!(p.retry_wait(2, Some(503), None), Some(FIRST_BACKOFF * 2));
        assert_eq!(p.retry_wait(3, Some(503), None), None, "beyond the retries");
        assert_eq!(p.retry_wait(1, Some(500), None), None);
        assert_eq!(p.retry_wait(1, Some(404), None), None);
        let asked = with_retry_after("2");
        assert_eq!(
            p.retry_wait(1, Some(429), Some(&asked)),
            Some(Duration::from_secs(2))
        );
        let too_long = with_retry_after("3600");
        assert_eq!(p.retry_wait(1, Some(429), Some(&too_long)), None);
    }

    #[tokio::test]
    async fn the_pacer_spaces_requests() {
        let pacer = Pacer::new(20.0);
        let started = Instant::now();
        for _ in 0..5 {
            pacer.wait().await;
        }
        // Slots at 0, 50, 100, 150, 200 ms.
        assert!(
            started.elapsed() >= Duration::from_millis(195),
            "{:?}",
            started.elapsed()
        );
    }
}
