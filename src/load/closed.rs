//! The closed model: goose 0.19 users, each running the profile's weighted transactions in
//! turn, started by a goose test plan (ramp, hold, stop). goose sends the requests; the
//! run's own recorder measures them (to the end of the body). goose's own metrics, telnet
//! and websocket controllers and its report are off.

use super::error::LoadError;
use std::sync::Arc;

use goose::client::GooseClientBuilder;
use goose::config::GooseConfiguration;
use goose::prelude::*;

use super::recorder::Recorder;
use super::traffic::{self, Ctx, Next, Sender};

/// The closed model's shape.
#[derive(Debug, Clone)]
pub struct Shape {
    /// goose test plan (`users,secs;...`): given, or made from users, rate and duration.
    pub test_plan: String,
    /// Seconds of the test plan, all steps together.
    pub secs: u64,
}

impl Shape {
    /// Ramp to `users` at `increase_rate` users/s, hold for the rest of `duration_secs`, stop.
    pub fn ramp_and_hold(users: usize, increase_rate: f64, duration_secs: u64) -> Shape {
        let ramp = ((users as f64 / increase_rate.max(0.001)).ceil() as u64).min(duration_secs);
        let hold = duration_secs - ramp;
        // goose never ends a plan with a zero-length hold step: leave it out.
        let test_plan = if hold == 0 {
            format!("{users},{ramp}s;0,0s")
        } else {
            format!("{users},{ramp}s;{users},{hold}s;0,0s")
        };
        Shape {
            test_plan,
            secs: duration_secs,
        }
    }

    /// A test plan as given (`users,time;...`, time as goose takes it: `30s`, `1m`, `90`).
    pub fn plan(plan: &str) -> Result<Shape, LoadError> {
        let mut secs = 0u64;
        for step in plan.split(';') {
            let (users, time) = step
                .split_once(',')
                .ok_or(format!("test plan step {step:?}: expected USERS,TIME"))?;
            users
                .trim()
                .parse::<usize>()
                .map_err(|_| format!("test plan step {step:?}: bad user count"))?;
            secs += timespan(time.trim()).ok_or(format!(
                "test plan step {step:?}: bad time (30s, 2m, 1h30m, 90)"
            ))?;
        }
        Ok(Shape {
            test_plan: plan.to_string(),
            secs,
        })
    }
}

/// goose's time span: `90`, `30s`, `2m`, `1h30m`.
fn timespan(t: &str) -> Option<u64> {
    if let Ok(n) = t.parse::<u64>() {
        return Some(n);
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number.parse().ok()?;
        number.clear();
        total += n * match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
    }
    number.is_empty().then_some(total)
}

/// Runs the attack until the test plan ends or the request budget is spent (which trips
/// goose's killswitch). Returns why it stopped.
pub async fn run(
    ctx: Arc<Ctx>,
    transactions: Arc<Vec<traffic::Transaction>>,
    shape: &Shape,
) -> Result<&'static str, LoadError> {
    let mut config = GooseConfiguration::default();
    config.host = Some(ctx.target.root.clone());
    config.quiet = 1;
    config.no_print_metrics = true;
    config.no_error_summary = true;
    config.no_telnet = true;
    config.no_metrics = true;
    // No gzip: the answers' bytes are what is measured, and decoding would cost the
    // generator CPU the server did not cause.
    config.no_gzip = true;
    let mut scenario = scenario!("smartcheck");
    scenario = scenario.register_transaction(user_counter(ctx.recorder.clone(), 1).set_on_start());
    for (i, t) in transactions.iter().enumerate() {
        let (ctx, transactions) = (ctx.clone(), transactions.clone());
        let f: TransactionFunction = Arc::new(move |user: &mut GooseUser| {
            let (ctx, transactions) = (ctx.clone(), transactions.clone());
            Box::pin(async move {
                let slot = user.weighted_users_index;
                let mut sender = Sender::Goose(user);
                if transactions[i].run(&ctx, &mut sender, slot, None).await == Next::Stop {
                    goose::trigger_killswitch("the request budget is spent");
                    // Yield while goose stops the users: a transaction that returns at once
                    // would spin its user and starve goose's own controller.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                // A transaction with nothing to send (no token for it) must not spin either.
                tokio::task::yield_now().await;
                Ok(())
            })
        });
        let tx = Transaction::new(f).set_name(&t.first_endpoint);
        scenario = scenario.register_transaction(
            tx.set_weight(t.spec.weight as usize)
                .map_err(|e| format!("transaction weight: {e}"))?,
        );
    }
    scenario = scenario.register_transaction(user_counter(ctx.recorder.clone(), -1).set_on_stop());
    // One client shared by every user (bearer tokens need no cookie jar): a client per
    // user costs about 140 KB each (its own TLS root store) and 2-3 s to build 1,000.
    let client = GooseClientBuilder::new()
        .without_cookies()
        .timeout(std::time::Duration::from_secs(10))
        .gzip(false)
        .user_agent(concat!("smartcheck/", env!("CARGO_PKG_VERSION")));
    let attack = GooseAttack::initialize_with_config(config)
        .map_err(|e| format!("goose: {e}"))?
        .set_client_builder_without_cookies(client)
        .map_err(|e| format!("goose client: {e}"))?
        .register_scenario(scenario)
        .set_default(GooseDefault::TestPlan, shape.test_plan.as_str())
        .map_err(|e| format!("goose test plan {:?}: {e}", shape.test_plan))?;
    attack.execute().await.map_err(|e| format!("goose: {e}"))?;
    Ok(if ctx.recorder.budget_spent() {
        "max-requests"
    } else if goose::is_killswitch_triggered() {
        // goose's own Ctrl-C handler stops the attack through the killswitch.
        "interrupted"
    } else {
        "duration"
    })
}

/// An on-start or on-stop transaction that counts running users.
fn user_counter(recorder: Arc<Recorder>, delta: i64) -> Transaction {
    let f: TransactionFunction = Arc::new(move |_user: &mut GooseUser| {
        recorder.active(delta);
        Box::pin(async { Ok(()) })
    });
    Transaction::new(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_and_hold_fills_the_duration() {
        let s = Shape::ramp_and_hold(20, 10.0, 15);
        assert_eq!(s.test_plan, "20,2s;20,13s;0,0s");
        assert_eq!(s.secs, 15);
        // A ramp longer than the run is cut to it, without a zero-length hold.
        assert_eq!(Shape::ramp_and_hold(100, 1.0, 5).test_plan, "100,5s;0,0s");
    }

    #[test]
    fn a_given_plan_is_timed() {
        assert_eq!(Shape::plan("10,5s;10,1m;0,2").unwrap().secs, 67);
        assert_eq!(Shape::plan("5,1h30m").unwrap().secs, 5400);
        for bad in ["", "10", "x,5s", "10,5x", "10,s5"] {
            assert!(Shape::plan(bad).is_err(), "{bad}");
        }
    }
}
