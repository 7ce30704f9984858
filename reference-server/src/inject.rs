//! Injected latency, for measuring the load generator: a fixed delay before every request
//! and periodic stalls during which no request is answered. Off unless configured; never a
//! conformance behaviour (the fault switches of the self-test are separate).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use smartcheck_common::timing::sleep_until_precisely;

/// What to inject, from the `--inject-*` options.
#[derive(Debug, Clone)]
pub struct Injected {
    /// Added before every request is handled.
    pub delay: Duration,
    /// Every `every`, the server stalls for `length`: a request that arrives during a stall
    /// waits until it ends.
    pub stall: Option<(Duration, Duration)>,
    /// When the server started (stalls are counted from here).
    pub start: Instant,
}

impl Injected {
    /// `None` when nothing is injected (the middleware is then not installed at all).
    pub fn from_config(config: &crate::Config) -> Option<Arc<Injected>> {
        let delay = Duration::from_millis(config.inject_delay_ms);
        let stall = match (config.inject_stall_every_ms, config.inject_stall_ms) {
            (every, length) if every > 0 && length > 0 => Some((
                Duration::from_millis(every),
                Duration::from_millis(length.min(every)),
            )),
            _ => None,
        };
        (delay > Duration::ZERO || stall.is_some()).then(|| {
            Arc::new(Injected {
                delay,
                stall,
                start: Instant::now(),
            })
        })
    }

    /// How long a request arriving `since_start` after the start waits.
    pub fn wait(&self, since_start: Duration) -> Duration {
        let stalled = match self.stall {
            Some((every, length)) => {
                let phase =
                    Duration::from_nanos((since_start.as_nanos() % every.as_nanos().max(1)) as u64);
                length.saturating_sub(phase)
            }
            None => Duration::ZERO,
        };
        stalled + self.delay
    }
}

/// Waits as configured, then runs the handler.
pub async fn delay_request(
    State(injected): State<Arc<Injected>>,
    req: Request,
    next: Next,
) -> Response {
    let wait = injected.wait(injected.start.elapsed());
    if !wait.is_zero() {
        sleep_until_precisely(Instant::now() + wait).await;
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn injected(delay: u64, stall: Option<(u64, u64)>) -> Injected {
        Injected {
            delay: Duration::from_millis(delay),
            stall: stall.map(|(e, l)| (Duration::from_millis(e), Duration::from_millis(l))),
            start: Instant::now(),
        }
    }

    #[test]
    fn a_fixed_delay_applies_to_every_request() {
        let i = injected(20, None);
        assert_eq!(i.wait(Duration::from_secs(7)), Duration::from_millis(20));
    }

    #[test]
    fn a_request_during_a_stall_waits_for_its_end() {
        let i = injected(0, Some((5000, 1000)));
        assert_eq!(
            i.wait(Duration::from_millis(5200)),
            Duration::from_millis(800)
        );
        assert_eq!(
            i.wait(Duration::from_millis(10_000)),
            Duration::from_millis(1000)
        );
        assert_eq!(i.wait(Duration::from_millis(6000)), Duration::ZERO);
        assert_eq!(i.wait(Duration::from_millis(9999)), Duration::ZERO);
    }
}
