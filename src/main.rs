//! `smartcheck`: the command line. Parse, dispatch, map the outcome to an exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

const EXIT_CODES: &str = "Exit codes: 0 every required check that ran passed (skipped cases are reported, never counted as passed), \
1 a required check failed, even when other cases could not run (or a recommended one with \
--fail-on warn), 2 usage error (options, profile, selection, a missing environment variable), \
3 harness error when no check failed (target unreachable, a step could not run, reports not \
written).";

/// Conformance and load-testing harness for SMART-on-FHIR payer APIs.
#[derive(Parser, Debug)]
#[command(
    name = "smartcheck",
    version,
    about,
    after_help = format!("Examples:
  smartcheck run                          # the suite against the bundled server; reports in out/
  smartcheck run --target targets/example.toml --out sandbox-report
  smartcheck run --scenario discovery --filter 'trailing slash' --fail-on warn
  smartcheck list                         # scenarios, cases and requirement ids
  smartcheck list --clauses               # the clause audit per source document
  smartcheck load --threshold 'p95<300ms' # load test; out/latency.html, out/load.json
  smartcheck serve                        # the bundled reference server on 127.0.0.1:8080
  smartcheck serve --bind 127.0.0.1:0 --members 10000

{EXIT_CODES}")
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the scenarios, their cases and the requirement ids they check.
    List {
        /// Instead, the clause audit: per source document (RFCs, OpenID Connect, SMART, the
        /// seeds) how many normative clauses are checked, not applicable or open, and the
        /// open ones.
        #[arg(long)]
        clauses: bool,
    },
    /// Run the conformance suite: against the bundled reference server (in-process,
    /// loopback) by default, or against a remote target described by a profile.
    #[command(after_help = format!("Examples:
  smartcheck run
      every scenario against the bundled server; out/report.html, results.json, junit.xml
  SANDBOX_PA_SECRET=... SANDBOX_PD_SECRET=... SANDBOX_MEMBER1_PASSWORD=... \\
  smartcheck run --target targets/my-sandbox.toml
      a remote target (format: docs/target-profiles.md; secrets only from the environment)
  smartcheck run --scenario discovery --scenario redirect-uri
      only these scenarios (a scenario's name or family; `smartcheck list` shows them)
  smartcheck run --filter 'trailing slash' --filter 'code used twice'
      only the cases whose \"family / case name\" contains one of these (case-insensitive)
  smartcheck run --out reports/today --fail-on warn
      reports elsewhere; a recommended rule not met fails the run too
  smartcheck run --target targets/my-sandbox.toml --jobs 1
      one case at a time (a sandbox that dislikes parallel logins)
  smartcheck run --target targets/my-sandbox.toml --deadline 45m
      a slow, rate-limited sandbox: the whole run may take 45 minutes (default 10m)

{EXIT_CODES}"))]
    Run {
        /// Folder for report.html, results.json and junit.xml.
        #[arg(long, default_value = "out", value_name = "DIR")]
        out: PathBuf,
        /// Also fail (exit 1) when a recommended rule is not met.
        #[arg(long, value_parser = ["warn"])]
        fail_on: Option<String>,
        /// A remote target's profile (TOML: base URLs, clients, members; secrets as
        /// environment variable names). Default: the bundled reference server.
        #[arg(long, value_name = "PROFILE.toml")]
        target: Option<PathBuf>,
        /// Run only this scenario (its name or family); repeat for more.
        #[arg(long, value_name = "NAME")]
        scenario: Vec<String>,
        /// Run only the cases whose "family / case name" contains TEXT (case-insensitive);
        /// repeat to run the cases matching any.
        #[arg(long, value_name = "TEXT")]
        filter: Vec<String>,
        /// Cases run at once, each in its own sessions; reports keep the suite's order.
        /// Default: the number of cores (the manual login driver runs one at a time).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
        jobs: Option<u16>,
        /// The longest the whole run may take (30s, 10m, 1h): a target that stops answering
        /// ends the run then, with its reports; the unfinished cases are errors (exit 3).
        #[arg(long, value_name = "TIME", default_value = "10m", value_parser = parse_deadline)]
        deadline: std::time::Duration,
    },
    /// Load-test the same flows: goose users (closed model) or a fixed arrival rate (open
    /// model, --rate) against the bundled server (default) or a target profile; writes
    /// latency.html and load.json; thresholds set the exit code.
    #[command(after_help = format!("Examples:
  smartcheck load
      the member-mix profile against the bundled server (15 s, 20 goose users); out/latency.html
  smartcheck load --users 50 --duration 30s --threshold 'p95<300ms' --threshold 'error-rate<1%'
  smartcheck load --rate 200 --duration 20s --threshold 'Patient read:p99<100ms'
      open model: 200 transactions/s, latency measured from the intended send time
  smartcheck load --profile directory --test-plan '10,5s;10,20s;0,0s'
  smartcheck load --target targets/my-sandbox.toml --users 5 --duration 30s
  smartcheck load-merge a/load.json b/load.json --threshold 'p99<500ms' --out merged

Built-in profiles: member-mix (default), directory, healthz; or a path to a .toml
(format: scenarios/load/README.md).

{}
{LOAD_EXIT_CODES}", smartcheck::load::threshold::HELP))]
    Load(LoadArgs),
    /// Merge the load.json of several runs (e.g. from several machines), judge thresholds on
    /// the merged histograms, and write latency.html and load.json.
    #[command(after_help = format!("{}\n{LOAD_EXIT_CODES}", smartcheck::load::threshold::HELP))]
    LoadMerge {
        /// The load.json files to merge.
        #[arg(required = true, value_name = "LOAD.json")]
        inputs: Vec<PathBuf>,
        /// Threshold rule; repeat for more.
        #[arg(long, value_name = "RULE")]
        threshold: Vec<String>,
        /// Folder for the merged latency.html and load.json.
        #[arg(long, default_value = "out-merged", value_name = "DIR")]
        out: PathBuf,
    },
    /// Prove every check can fail: the suite against the clean bundled server (all must
    /// pass) and against one bundled server per fault switch (a check of the requirements
    /// the fault violates must fail, no other may); prints the matrix, writes selftest.json.
    #[command(after_help = "Examples:
  smartcheck selftest                       # every fault; out-selftest/selftest.json
  smartcheck selftest --fault code-reusable --fault pkce-not-verified

Exit codes: 0 the clean server passes, every fault is caught by a check of its own
requirements and by no other, and every requirement has a fault (or a written reason);
1 otherwise; 2 usage error; 3 harness error.")]
    Selftest {
        /// Only this fault (its kebab-case name); repeat for more. Default: every fault.
        #[arg(long = "fault", value_name = "NAME")]
        faults: Vec<String>,
        /// Folder for selftest.json.
        #[arg(long, default_value = "out-selftest", value_name = "DIR")]
        out: PathBuf,
        /// Suite runs at once (each against its own in-process server).
        #[arg(long, default_value_t = 4)]
        parallel: usize,
    },
    /// Run the bundled reference server (the embedded default target) until Ctrl-C.
    Serve(reference_server::Config),
}

const LOAD_EXIT_CODES: &str = "Exit codes: 0 every threshold passed (or none given), 1 a threshold \
failed, 2 usage error (options, profiles, a production target without --allow-production), 3 \
harness error (the token pool could not be filled, no request succeeded, reports not written).";

/// `smartcheck load` options; each overrides the load profile's value.
#[derive(clap::Args, Debug)]
struct LoadArgs {
    /// Load profile: a built-in name or a path to a .toml file.
    #[arg(long, value_name = "NAME|PATH")]
    profile: Option<String>,
    /// A remote target's profile (as for `run`). Default: the bundled server, started with
    /// the generated members the token pool needs.
    #[arg(long, value_name = "PROFILE.toml")]
    target: Option<PathBuf>,
    /// Closed model: goose users at full load.
    #[arg(long)]
    users: Option<usize>,
    /// Closed model: users started per second during the ramp.
    #[arg(long, value_name = "USERS/S")]
    increase_rate: Option<f64>,
    /// Closed model: a goose test plan instead of users and ramp, e.g. "10,5s;10,30s;0,0s".
    #[arg(long, value_name = "PLAN")]
    test_plan: Option<String>,
    /// How long the run lasts, ramp included (e.g. 30s, 2m).
    #[arg(long, value_name = "TIME")]
    duration: Option<String>,
    /// The run stops after this many requests.
    #[arg(long, value_name = "N")]
    max_requests: Option<u64>,
    /// Open model: transactions started per second, whatever the answers.
    #[arg(long, value_name = "PER_SECOND")]
    rate: Option<f64>,
    /// Open model: most transactions in flight; arrivals beyond are dropped and counted.
    #[arg(long, value_name = "N")]
    max_in_flight: Option<usize>,
    /// Members logged in for the token pool before the ramp.
    #[arg(long, value_name = "N")]
    members: Option<usize>,
    /// New member logins per second during the run.
    #[arg(long, value_name = "PER_SECOND")]
    login_rate: Option<f64>,
    /// Threshold rule, e.g. 'p95<300ms', 'error-rate<1%', 'Patient read:p99<500ms'; repeat.
    #[arg(long, value_name = "RULE")]
    threshold: Vec<String>,
    /// Folder for latency.html and load.json.
    #[arg(long, default_value = "out", value_name = "DIR")]
    out: PathBuf,
    /// Allow a run against a target profile marked production = true.
    #[arg(long)]
    allow_production: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::List { clauses } => match (
            smartcheck::scenario::builtin().map_err(|e| e.to_string()),
            smartcheck::requirements::Catalogue::builtin().map_err(|e| e.to_string()),
        ) {
            (Ok(_), Ok(c)) if clauses => match smartcheck::clauses::builtin(&c) {
                Ok(audits) => {
                    print!("{}", smartcheck::clauses::render(&audits));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("smartcheck list: {e}");
                    ExitCode::from(smartcheck::run::EXIT_USAGE)
                }
            },
            (Ok(s), Ok(c)) => {
                print!("{}", smartcheck::list::render(&s, &c));
                ExitCode::SUCCESS
            }
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("smartcheck list: {e}");
                ExitCode::from(smartcheck::run::EXIT_USAGE)
            }
        },
        Command::Run {
            out,
            fail_on,
            target,
            scenario,
            filter,
            jobs,
            deadline,
        } => {
            let options = smartcheck::run::Options {
                out,
                fail_on_warn: fail_on.is_some(),
                target,
                scenarios: scenario,
                filters: filter,
                jobs: jobs.map(usize::from),
                deadline: Some(deadline),
            };
            smartcheck::run::run(&options).await
        }
        Command::Load(a) => {
            let options = smartcheck::load::command::Options {
                profile: a.profile,
                target: a.target,
                users: a.users,
                increase_rate: a.increase_rate,
                test_plan: a.test_plan,
                duration: a.duration,
                max_requests: a.max_requests,
                rate: a.rate,
                max_in_flight: a.max_in_flight,
                members: a.members,
                login_rate: a.login_rate,
                thresholds: a.threshold,
                out: a.out,
                allow_production: a.allow_production,
            };
            smartcheck::load::command::run(&options).await
        }
        Command::LoadMerge {
            inputs,
            threshold,
            out,
        } => smartcheck::load::merge::run(&inputs, &threshold, &out),
        Command::Selftest {
            faults,
            out,
            parallel,
        } => {
            let options = smartcheck::selftest::Options {
                out,
                faults,
                parallel,
            };
            smartcheck::selftest::run(&options).await
        }
        Command::Serve(config) => smartcheck::serve::run(config).await,
    }
}

/// `--deadline`: a duration as the load options take it.
fn parse_deadline(text: &str) -> Result<std::time::Duration, String> {
    smartcheck::load::profile::parse_duration(text).map_err(|e| e.to_string())
}
