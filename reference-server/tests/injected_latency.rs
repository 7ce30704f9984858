//! `/healthz` and the benchmark-only injected delay and stalls (off by default).

mod support;

use std::time::{Duration, Instant};

use reference_server::Config;
use support::*;

async fn timed_healthz(root: &str) -> Duration {
    let started = Instant::now();
    let res = http().get(format!("{root}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok\n");
    started.elapsed()
}

#[tokio::test]
async fn healthz_answers_at_once_by_default() {
    let s = server().await;
    assert!(timed_healthz(s.root()).await < Duration::from_secs(1));
    s.shutdown().await;
}

#[tokio::test]
async fn an_injected_delay_slows_every_request() {
    let mut config = Config::ephemeral();
    config.inject_delay_ms = 60;
    let s = server_with(config).await;
    assert!(timed_healthz(s.root()).await >= Duration::from_millis(60));
    s.shutdown().await;
}

#[tokio::test]
async fn a_request_during_a_stall_waits_for_its_end() {
    let mut config = Config::ephemeral();
    // Every 10 s a 1 s stall, the first at the start.
    config.inject_stall_every_ms = 10_000;
    config.inject_stall_ms = 1000;
    let s = server_with(config).await;
    assert!(timed_healthz(s.root()).await >= Duration::from_millis(500));
    s.shutdown().await;
}
