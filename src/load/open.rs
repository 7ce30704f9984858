//! The open model: transactions arrive at a fixed rate whatever the answers, arrival `i` at
//! `start + i / rate`. Each runs on its own task; at most `max_in_flight` run at once and an
//! arrival beyond that is dropped and counted (never silently delayed). An arrival's first
//! request is timed from its intended send time too, so a stalled server shows in the
//! corrected figures instead of slowing the generator down (coordinated omission).

use super::error::LoadError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::recorder::Answer;
use super::traffic::{self, Ctx, Next, Sender};

/// The open model's shape.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Arrivals (transactions) per second.
    pub rate: f64,
    pub duration: Duration,
    pub max_in_flight: usize,
}

/// How long in-flight transactions may finish after the last arrival.
const DRAIN: Duration = Duration::from_secs(15);

/// Runs the arrivals; returns why the run stopped and how many arrivals were dropped.
pub async fn run(
    ctx: Arc<Ctx>,
    transactions: Arc<Vec<traffic::Transaction>>,
    shape: Shape,
) -> Result<(&'static str, u64), LoadError> {
    let client = ctx
        .target
        .client_builder()
        .no_gzip()
        .user_agent(concat!("smartcheck/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(shape.max_in_flight)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let order = Arc::new(traffic::weighted_order(&transactions));
    let gate = Arc::new(Semaphore::new(shape.max_in_flight.max(1)));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = JoinSet::new();
    let mut dropped = 0u64;
    let start = std::time::Instant::now();
    let interval = Duration::from_secs_f64(1.0 / shape.rate);
    let mut stopped_by = "duration";
    for i in 0u64.. {
        let offset = interval.mul_f64(i as f64);
        if offset >= shape.duration {
            break;
        }
        if stop.load(Ordering::Relaxed) {
            stopped_by = "max-requests";
            break;
        }
        let intended = start + offset;
        // To the microsecond: tokio's 1 ms timer alone would make every arrival up to 1 ms
        // late, and the corrected latency would count that against the server.
        smartcheck_common::timing::sleep_until_precisely(intended).await;
        // Reap finished tasks so the set does not grow with the run.
        while tasks.try_join_next().is_some() {}
        let tx_index = order[i as usize % order.len()];
        let Ok(permit) = gate.clone().try_acquire_owned() else {
            dropped += 1;
            let name = &transactions[tx_index].first_endpoint;
            ctx.recorder.record(name, Answer::Dropped, None, None);
            continue;
        };
        let (ctx, transactions, client, stop) = (
            ctx.clone(),
            transactions.clone(),
            client.clone(),
            stop.clone(),
        );
        tasks.spawn(async move {
            ctx.recorder.active(1);
            let mut sender = Sender::Plain(&client);
            let next = transactions[tx_index]
                .run(&ctx, &mut sender, i as usize, Some(intended))
                .await;
            ctx.recorder.active(-1);
            if next == Next::Stop {
                stop.store(true, Ordering::Relaxed);
            }
            drop(permit);
        });
    }
    let drained =
        tokio::time::timeout(DRAIN, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tasks.abort_all();
    }
    if ctx.recorder.budget_spent() {
        stopped_by = "max-requests";
    }
    Ok((stopped_by, dropped))
}
