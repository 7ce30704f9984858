//! Precise sleeps.

use std::time::{Duration, Instant};

/// Sleeps until `deadline` to within a few microseconds: tokio's timer has 1 ms resolution
/// and rounds up (a 20 ms sleep takes about 21 ms), which would make an injected delay, or
/// a load generator's send time, inexact. The last 2 ms yield in a loop (a little CPU).
pub async fn sleep_until_precisely(deadline: Instant) {
    if let Some(coarse) = deadline
        .checked_duration_since(Instant::now())
        .and_then(|d| d.checked_sub(Duration::from_millis(2)))
    {
        tokio::time::sleep(coarse).await;
    }
    while Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
}
