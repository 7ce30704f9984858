//! The run's own measurements: every request is recorded here, timed to the end of its body
//! (goose's figures stop at the headers and are reset after the ramp, so they are not used).
//! Also the run's request budget and the count of running users or in-flight transactions.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::histogram::Latency;
use super::model::{EndpointStats, Percentiles, Second};

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// An HTTP answer with this status (a failure from 400 up).
    Status(u16),
    /// No answer: connection error, timeout, unreadable body.
    Transport,
    /// Open model: never sent, because `max_in_flight` transactions were already running.
    Dropped,
}

impl Answer {
    fn is_failure(self) -> bool {
        match self {
            Answer::Status(s) => s >= 400,
            Answer::Transport | Answer::Dropped => true,
        }
    }

    fn key(self) -> String {
        match self {
            Answer::Status(s) => s.to_string(),
            Answer::Transport => "transport".into(),
            Answer::Dropped => "dropped".into(),
        }
    }
}

/// Shared by every user or transaction of a run.
#[derive(Debug)]
pub struct Recorder {
    start: Instant,
    /// Open model: corrected latencies are kept too.
    corrected: bool,
    max_requests: u64,
    started: AtomicU64,
    budget_spent: AtomicBool,
    active: AtomicI64,
    acc: Mutex<Acc>,
}

#[derive(Debug, Default)]
struct Acc {
    endpoints: BTreeMap<String, Tally>,
    total: Tally,
    seconds: Vec<(Tally, u64)>,
}

#[derive(Debug, Default, Clone)]
struct Tally {
    requests: u64,
    failures: u64,
    by_status: BTreeMap<String, u64>,
    raw: Latency,
    corrected: Latency,
}

impl Tally {
    fn add(&mut self, answer: Answer, raw: Option<Duration>, corrected: Option<Duration>) {
        self.requests += 1;
        if answer.is_failure() {
            self.failures += 1;
        }
        *self.by_status.entry(answer.key()).or_default() += 1;
        if let Some(raw) = raw {
            self.raw.record(raw);
            self.corrected.record(corrected.unwrap_or(raw));
        }
    }

    fn stats(&self, name: &str, elapsed: f64, corrected: bool) -> EndpointStats {
        EndpointStats {
            name: name.to_string(),
            requests: self.requests,
            successes: self.requests - self.failures,
            failures: self.failures,
            by_status: self.by_status.clone(),
            rps: if elapsed > 0.0 {
                self.requests as f64 / elapsed
            } else {
                0.0
            },
            raw: Percentiles::of(&self.raw),
            corrected: corrected.then(|| Percentiles::of(&self.corrected)),
            raw_histogram: self.raw.clone(),
            corrected_histogram: corrected.then(|| self.corrected.clone()),
        }
    }
}

impl Recorder {
    /// Starts the clock. `corrected`: the open model (latency from the intended send time).
    pub fn new(max_requests: u64, corrected: bool) -> Recorder {
        Recorder {
            start: Instant::now(),
            corrected,
            max_requests,
            started: AtomicU64::new(0),
            budget_spent: AtomicBool::new(false),
            active: AtomicI64::new(0),
            acc: Mutex::new(Acc::default()),
        }
    }

    /// Time since the measured phase began.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Takes one request from the budget; `false` once `max_requests` have started.
    pub fn start_request(&self) -> bool {
        let ok = self.started.fetch_add(1, Ordering::Relaxed) < self.max_requests;
        if !ok {
            self.budget_spent.store(true, Ordering::Relaxed);
        }
        ok
    }

    /// Whether the request budget ran out.
    pub fn budget_spent(&self) -> bool {
        self.budget_spent.load(Ordering::Relaxed)
    }

    /// A user (closed) or transaction (open) started (`+1`) or ended (`-1`).
    pub fn active(&self, delta: i64) {
        self.active.fetch_add(delta, Ordering::Relaxed);
    }

    /// Users or transactions running now.
    pub fn active_now(&self) -> u64 {
        self.active.load(Ordering::Relaxed).max(0) as u64
    }

    /// Records one request. `raw`: from the actual send to the end of the body;
    /// `corrected`: from the intended send time (open model), `None` = same as raw.
    pub fn record(
        &self,
        endpoint: &str,
        answer: Answer,
        raw: Option<Duration>,
        corrected: Option<Duration>,
    ) {
        let second = self.start.elapsed().as_secs() as usize;
        let active = self.active_now();
        let mut acc = self.acc.lock().unwrap_or_else(|p| p.into_inner());
        match acc.endpoints.get_mut(endpoint) {
            Some(t) => t.add(answer, raw, corrected),
            None => {
                let mut t = Tally::default();
                t.add(answer, raw, corrected);
                acc.endpoints.insert(endpoint.to_string(), t);
            }
        }
        acc.total.add(answer, raw, corrected);
        acc.touch(second, active).0.add(answer, raw, corrected);
    }

    /// Notes the users running now in the current second (called once a second, so that a
    /// second without a completed request still shows them).
    pub fn sample(&self) {
        let second = self.start.elapsed().as_secs() as usize;
        let active = self.active_now();
        let mut acc = self.acc.lock().unwrap_or_else(|p| p.into_inner());
        acc.touch(second, active);
    }

    /// Requests recorded so far and failures among them.
    pub fn counts(&self) -> (u64, u64) {
        let acc = self.acc.lock().unwrap_or_else(|p| p.into_inner());
        (acc.total.requests, acc.total.failures)
    }

    /// The p95 so far (corrected when kept), for the progress line.
    pub fn p95_so_far(&self) -> Duration {
        let acc = self.acc.lock().unwrap_or_else(|p| p.into_inner());
        if self.corrected {
            acc.total.corrected.quantile(0.95)
        } else {
            acc.total.raw.quantile(0.95)
        }
    }

    /// The figures: all endpoints together, each endpoint, and the timeline.
    pub fn finish(&self, elapsed: Duration) -> (EndpointStats, Vec<EndpointStats>, Vec<Second>) {
        let acc = self.acc.lock().unwrap_or_else(|p| p.into_inner());
        let secs = elapsed.as_secs_f64();
        let total = acc.total.stats("all", secs, self.corrected);
        let endpoints = acc
            .endpoints
            .iter()
            .map(|(name, t)| t.stats(name, secs, self.corrected))
            .collect();
        let timeline = acc
            .seconds
            .iter()
            .enumerate()
            .map(|(i, (t, users))| Second {
                second: i as u64,
                requests: t.requests,
                failures: t.failures,
                users: *users,
                raw: Percentiles::of(&t.raw),
                corrected: self.corrected.then(|| Percentiles::of(&t.corrected)),
                raw_histogram: t.raw.clone(),
                corrected_histogram: self.corrected.then(|| t.corrected.clone()),
            })
            .collect();
        (total, endpoints, timeline)
    }
}

impl Acc {
    /// The tally of `second` (created with the seconds before it), its users set to `active`.
    fn touch(&mut self, second: usize, active: u64) -> &mut (Tally, u64) {
        while self.seconds.len() <= second {
            self.seconds.push((Tally::default(), 0));
        }
        let entry = &mut self.seconds[second];
        entry.1 = active;
        entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_per_endpoint_and_per_second() {
        let r = Recorder::new(10, true);
        let ms = Duration::from_millis;
        r.record("A", Answer::Status(200), Some(ms(5)), Some(ms(9)));
        r.record("A", Answer::Status(401), Some(ms(7)), None);
        r.record("B", Answer::Transport, None, None);
        r.record("B", Answer::Dropped, None, None);
        let (total, endpoints, timeline) = r.finish(Duration::from_secs(1));
        assert_eq!(total.requests, 4);
        assert_eq!(total.failures, 3);
        assert_eq!(total.successes, 1);
        assert_eq!(endpoints.iter().map(|e| e.requests).sum::<u64>(), 4);
        assert_eq!(endpoints[0].by_status["401"], 1);
        assert_eq!(endpoints[1].by_status["dropped"], 1);
        assert_eq!(total.raw_histogram.count(), 2);
        let corrected = total.corrected.unwrap();
        assert!(corrected.max >= 8.9, "{corrected:?}");
        assert_eq!(timeline.iter().map(|s| s.requests).sum::<u64>(), 4);
    }

    #[test]
    fn the_budget_runs_out_after_max_requests() {
        let r = Recorder::new(2, false);
        assert!(r.start_request() && r.start_request());
        assert!(!r.budget_spent());
        assert!(!r.start_request());
        assert!(r.budget_spent());
    }

    #[test]
    fn a_closed_run_keeps_no_corrected_figures() {
        let r = Recorder::new(5, false);
        r.record(
            "A",
            Answer::Status(200),
            Some(Duration::from_millis(1)),
            None,
        );
        let (total, _, timeline) = r.finish(Duration::from_secs(1));
        assert!(total.corrected.is_none() && total.corrected_histogram.is_none());
        assert!(timeline[0].corrected.is_none());
    }
}
