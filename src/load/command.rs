//! `smartcheck load`: picks the profile and the target (the bundled server with generated
//! members, or a target profile), checks the safety rules, fills the token pool, runs the
//! closed or open model with the refresher, the login rate and the progress line beside it,
//! then writes `load.json` and `latency.html`, judges the thresholds and maps them to the
//! exit code.

use super::error::LoadError;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::model::{LoadReport, MixEntry, Model, PoolStats, RunParams, SCHEMA_VERSION};
use super::pool::{self, TokenPool};
use super::profile::{LoadProfile, parse_duration};
use super::recorder::Recorder;
use super::target::{LoadTarget, Member};
use super::threshold::{Threshold, judge_all};
use super::traffic::{self, Ctx};
use super::{closed, open, output};
use crate::exit::Stop;
use crate::run::{EXIT_FAILED, EXIT_PASS};
use crate::target::prepare::{Choice, prepare};

/// What `smartcheck load` was asked to do (command-line values override the profile's).
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub profile: Option<String>,
    pub target: Option<PathBuf>,
    pub users: Option<usize>,
    pub increase_rate: Option<f64>,
    pub test_plan: Option<String>,
    pub duration: Option<String>,
    pub max_requests: Option<u64>,
    pub rate: Option<f64>,
    pub max_in_flight: Option<usize>,
    pub members: Option<usize>,
    pub login_rate: Option<f64>,
    pub thresholds: Vec<String>,
    pub out: PathBuf,
    pub allow_production: bool,
}

/// Runs the load test as `options` say and returns the exit code.
pub async fn run(options: &Options) -> ExitCode {
    crate::exit::finish("load", execute(options).await)
}

/// The run's settings after the profile and the options are combined.
struct Plan {
    profile: LoadProfile,
    model: Model,
    duration: Duration,
    max_requests: u64,
    members: usize,
    login_rate: f64,
    closed: Option<closed::Shape>,
    /// Closed model without a test plan: users started per second.
    increase_rate: Option<f64>,
    open: Option<open::Shape>,
    thresholds: Vec<Threshold>,
}

fn plan(options: &Options) -> Result<Plan, LoadError> {
    let name = options
        .profile
        .as_deref()
        .unwrap_or(super::profile::DEFAULT_PROFILE);
    let profile = LoadProfile::load(name)?;
    let run = &profile.run;
    let duration = parse_duration(options.duration.as_deref().unwrap_or(&run.duration))?;
    let max_requests = options.max_requests.unwrap_or(run.max_requests);
    if max_requests == 0 {
        return Err("--max-requests must be at least 1".into());
    }
    let members = options.members.unwrap_or(run.members);
    let login_rate = options.login_rate.unwrap_or(run.login_rate);
    if !(0.0..=1000.0).contains(&login_rate) {
        return Err("--login-rate must be between 0 and 1000 per second".into());
    }
    let thresholds = options
        .thresholds
        .iter()
        .map(|t| t.parse::<Threshold>())
        .collect::<Result<Vec<_>, _>>()?;
    let mut increase_rate = None;
    let (model, closed, open) = match options.rate {
        Some(rate) => {
            if options.users.is_some() || options.test_plan.is_some() {
                return Err("--rate (open model) goes without --users and --test-plan".into());
            }
            if rate.is_nan() || rate <= 0.0 || rate > 1_000_000.0 {
                return Err("--rate must be above 0 and at most 1000000 per second".into());
            }
            let max_in_flight = options.max_in_flight.unwrap_or(run.max_in_flight).max(1);
            let shape = open::Shape {
                rate,
                duration,
                max_in_flight,
            };
            (Model::Open, None, Some(shape))
        }
        None => {
            let shape = match &options.test_plan {
                Some(p) => closed::Shape::plan(p)?,
                None => {
                    let users = options.users.unwrap_or(run.users);
                    let rate = options.increase_rate.unwrap_or(run.increase_rate);
                    if users == 0 || rate.is_nan() || rate <= 0.0 {
                        return Err("--users and --increase-rate must be above 0".into());
                    }
                    increase_rate = Some(rate);
                    closed::Shape::ramp_and_hold(users, rate, duration.as_secs().max(1))
                }
            };
            (Model::Closed, Some(shape), None)
        }
    };
    Ok(Plan {
        profile,
        model,
        duration,
        max_requests,
        members,
        login_rate,
        closed,
        increase_rate,
        open,
        thresholds,
    })
}

async fn execute(options: &Options) -> Result<u8, Stop> {
    let plan = plan(options)?;
    let needs_members = plan.profile.needs_members();
    let wanted_members = if needs_members {
        plan.members.max(1)
    } else {
        0
    };
    let (target, server) = prepare_target(options, wanted_members).await?;
    if needs_members && target.members.is_empty() {
        return Err(Stop::usage(format!(
            "the {} profile needs members who can sign in; the target profile gives none \
             (members with username and password_env)",
            plan.profile.name
        )));
    }
    say(&format!(
        "smartcheck load: profile {}, {} against {} ({})",
        plan.profile.name,
        describe(&plan),
        target.name,
        target.patient_access
    ));
    let target = Arc::new(target);
    let filled = Instant::now();
    let pool_members: Vec<Member> = target
        .members
        .iter()
        .take(wanted_members)
        .cloned()
        .collect();
    let pool = TokenPool::fill(&target, &pool_members, plan.profile.needs_directory(), 8)
        .await
        .map_err(|e| Stop::harness(format!("cannot fill the token pool: {e}")))?;
    let pool_stats = PoolStats {
        members: pool.members(),
        directory_token: pool.directory().is_some(),
        fill_secs: filled.elapsed().as_secs_f64(),
        refreshed_before_expiry: 0,
    };
    let recorder = Arc::new(Recorder::new(plan.max_requests, plan.model == Model::Open));
    let ctx = Arc::new(Ctx {
        target: target.clone(),
        pool: Arc::new(pool),
        recorder: recorder.clone(),
        max_pages: plan.profile.run.max_pages,
    });
    let transactions: Arc<Vec<traffic::Transaction>> = Arc::new(
        plan.profile
            .transactions
            .iter()
            .filter(|t| t.weight > 0)
            .cloned()
            .map(traffic::Transaction::new)
            .collect(),
    );
    let started_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let background = spawn_background(&ctx, &plan, pool_members);
    let bound = plan.duration + Duration::from_secs(30);
    let outcome = tokio::select! {
        r = tokio::time::timeout(bound, run_model(&plan, ctx.clone(), transactions)) => match r {
            Ok(r) => r,
            Err(_) => {
                // Stop goose's users too: they would go on after their attack was dropped.
                goose::trigger_killswitch("the run's time bound passed");
                Ok(("time-bound", 0))
            }
        },
        _ = tokio::signal::ctrl_c(), if plan.model == Model::Open => Ok(("interrupted", 0)),
    };
    let elapsed = recorder.elapsed();
    for task in background {
        task.abort();
    }
    finish_progress();
    if let Some(server) = server {
        server.shutdown().await;
    }
    let (stopped_by, dropped) = outcome.map_err(Stop::harness)?;
    let (total, endpoints, timeline) = recorder.finish(elapsed);
    let mut report = LoadReport {
        schema_version: SCHEMA_VERSION,
        tool: format!("smartcheck {}", env!("CARGO_PKG_VERSION")),
        params: params(&plan, &target),
        started_unix,
        elapsed_secs: elapsed.as_secs_f64(),
        stopped_by: stopped_by.to_string(),
        total,
        endpoints,
        timeline,
        dropped,
        pool: PoolStats {
            refreshed_before_expiry: ctx.pool.refreshed_before_expiry(),
            ..pool_stats
        },
        thresholds: Vec::new(),
    };
    report.thresholds = judge_all(&plan.thresholds, &report);
    output::write(&options.out, &report)?;
    output::print_summary(&report, &options.out);
    if report.total.successes == 0 {
        return Err(Stop::harness(
            "no request succeeded: the target did not answer as expected (see load.json)",
        ));
    }
    Ok(if report.thresholds.iter().all(|v| v.passed) {
        EXIT_PASS
    } else {
        EXIT_FAILED
    })
}

async fn run_model(
    plan: &Plan,
    ctx: Arc<Ctx>,
    transactions: Arc<Vec<traffic::Transaction>>,
) -> Result<(&'static str, u64), LoadError> {
    match (&plan.closed, plan.open) {
        (Some(shape), _) => closed::run(ctx, transactions, shape).await.map(|s| (s, 0)),
        (None, Some(shape)) => open::run(ctx, transactions, shape).await,
        (None, None) => Err("no load model".into()),
    }
}

/// The bundled server (started with enough generated members) or the profile's target,
/// with the safety rules: a production target needs `--allow-production`.
async fn prepare_target(
    options: &Options,
    members: usize,
) -> Result<(LoadTarget, Option<reference_server::RunningServer>), Stop> {
    let choice = match &options.target {
        None => {
            let mut config = reference_server::Config::ephemeral();
            config.members = members as u64;
            Choice::Bundled(config)
        }
        Some(path) => Choice::Profile {
            path,
            allow_production: options.allow_production,
        },
    };
    let prepared = prepare(choice, &|name| std::env::var(name).ok()).await?;
    let Some((profile, secrets)) = &prepared.remote else {
        let server = prepared
            .server
            .as_ref()
            .expect("the bundled target runs a server");
        let seed = server.state.config.seed;
        let generated = (1..=members as u64)
            .map(|n| {
                let (username, password) = reference_server::registry::generated_credentials(n);
                Member {
                    username,
                    password,
                    patient_id: reference_server::registry::generated_patient_id(seed, n),
                }
            })
            .collect();
        let target = LoadTarget::from_vars(&prepared.name, &prepared.vars, generated)
            .map_err(Stop::harness)?;
        return Ok((target, prepared.server));
    };
    let members = profile
        .signing_members(secrets)
        .into_iter()
        .map(|(username, password, patient_id)| Member {
            username,
            password,
            patient_id,
        })
        .collect();
    let (vars, access) = (&prepared.vars, prepared.access.clone());
    let mut target = LoadTarget::from_vars(&profile.name, vars, members)?;
    target.production = profile.production;
    target.access = access;
    if !target.is_loopback() {
        say(&format!(
            "smartcheck load: {} is not on this machine; the run is bounded by --duration and \
             --max-requests",
            target.root
        ));
    }
    Ok((target, None))
}

/// The refresher (every 250 ms), the login rate and the progress ticker.
fn spawn_background(
    ctx: &Arc<Ctx>,
    plan: &Plan,
    members: Vec<Member>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    let c = ctx.clone();
    tasks.push(tokio::spawn(async move {
        let client = c.target.client_builder().build().unwrap_or_default();
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tick.tick().await;
            c.pool.refresh_due(&c.target, &client, &c.recorder).await;
        }
    }));
    if plan.login_rate > 0.0 && !members.is_empty() {
        let c = ctx.clone();
        let every = Duration::from_secs_f64(1.0 / plan.login_rate);
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            for i in 0usize.. {
                tick.tick().await;
                // A login is recorded as two entries (login, code exchange).
                if !(c.recorder.start_request() && c.recorder.start_request()) {
                    break;
                }
                let member = &members[i % members.len()];
                let _ = pool::login(&c.target, member, Some(&c.recorder)).await;
            }
        }));
    }
    let c = ctx.clone();
    let total = plan.duration.as_secs();
    let live = std::io::stderr().is_terminal();
    tasks.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            c.recorder.sample();
            if live {
                let (requests, failures) = c.recorder.counts();
                eprint!(
                    "\r\x1b[2K  {:>3}s/{total}s  {requests} requests  {failures} failures  p95 {:.1} ms  {} active",
                    c.recorder.elapsed().as_secs(),
                    c.recorder.p95_so_far().as_secs_f64() * 1000.0,
                    c.recorder.active_now()
                );
            }
        }
    }));
    tasks
}

fn finish_progress() {
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
}

fn say(line: &str) {
    eprintln!("{line}");
}

fn describe(plan: &Plan) -> String {
    match (&plan.closed, plan.open) {
        (Some(c), _) => format!("closed model (goose test plan {})", c.test_plan),
        (None, Some(o)) => format!(
            "open model ({} transactions/s for {} s)",
            o.rate,
            o.duration.as_secs_f64()
        ),
        (None, None) => String::new(),
    }
}

fn params(plan: &Plan, target: &LoadTarget) -> RunParams {
    let users = plan.closed.as_ref().and_then(|c| {
        c.test_plan
            .split(';')
            .filter_map(|s| s.split(',').next()?.parse().ok())
            .max()
    });
    RunParams {
        target: target.name.clone(),
        base_url: target.patient_access.clone(),
        profile: plan.profile.name.clone(),
        model: plan.model,
        users,
        increase_rate: plan.increase_rate,
        test_plan: plan.closed.as_ref().map(|c| c.test_plan.clone()),
        rate: plan.open.map(|o| o.rate),
        duration_secs: plan
            .duration
            .as_secs()
            .max(plan.closed.as_ref().map_or(0, |c| c.secs)),
        max_requests: plan.max_requests,
        max_in_flight: plan.open.map(|o| o.max_in_flight),
        login_rate: plan.login_rate,
        mix: plan
            .profile
            .transactions
            .iter()
            .map(|t| MixEntry {
                transaction: t.kind.as_str().to_string(),
                weight: t.weight,
            })
            .collect(),
    }
}
