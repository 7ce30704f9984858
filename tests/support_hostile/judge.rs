//! Judging a bounded run of the binary: its exit code, stderr, outputs and time, and each
//! case of its `results.json` against what the hostile behaviour must produce.

use std::time::Duration;

use serde_json::Value;

use super::child::Finished;

/// A run longer than this is a hang: the child is killed and the test fails.
pub const BOUND: Duration = Duration::from_secs(90);
/// Every run must end well within this.
pub const EXPECTED_WITHIN: Duration = Duration::from_secs(60);

/// How a case must end: the first `Want` whose `case` starts the case's name applies.
/// `outcome` may list alternatives (`"pass|fail"`); `says` (when not empty) must be in the
/// case's reason or in the detail of a check that did not pass.
pub struct Want {
    pub case: &'static str,
    pub outcome: &'static str,
    pub says: &'static str,
}

pub const fn want(case: &'static str, outcome: &'static str, says: &'static str) -> Want {
    Want {
        case,
        outcome,
        says,
    }
}

/// Exit code, no panic, no secret, on time.
pub fn judge_process(f: &Finished, exit: i32) -> Vec<String> {
    let mut problems = Vec::new();
    match f.code {
        None => problems.push("ended by a signal".into()),
        Some(101) => problems.push(format!("panicked (exit 101): {}", f.stderr)),
        Some(c) if c != exit => problems.push(format!(
            "exit {c} instead of {exit}\nstdout: {}\nstderr: {}",
            f.stdout, f.stderr
        )),
        Some(_) => {}
    }
    if f.stderr.contains("panicked") {
        problems.push(format!("a panic on stderr: {}", f.stderr));
    }
    if f.elapsed >= EXPECTED_WITHIN {
        problems.push(format!("took {:?}", f.elapsed));
    }
    let output = f.all_output();
    for secret in super::server::secrets() {
        if output.contains(secret) {
            problems.push(format!("the secret {secret} is in an output"));
        }
    }
    problems
}

/// Every case of `results` as `wants` (then `common`) say.
pub fn judge_cases(results: &Value, wants: &[Want], common: &[Want]) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(cases) = results["cases"].as_array() else {
        return vec!["results.json has no cases".into()];
    };
    if cases.is_empty() {
        problems.push("no case ran".into());
    }
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let outcome = case["outcome"].as_str().unwrap_or("?");
        let Some(w) = common
            .iter()
            .chain(wants)
            .find(|w| name.starts_with(w.case))
        else {
            problems.push(format!("{name}: no expectation for it (outcome {outcome})"));
            continue;
        };
        let mut said: Vec<&str> = case["reason"].as_str().into_iter().collect();
        for check in case["checks"].as_array().into_iter().flatten() {
            if check["outcome"] != "pass" {
                said.extend(check["detail"].as_str());
            }
        }
        if !w.outcome.split('|').any(|o| o == outcome) {
            problems.push(format!(
                "{name}: {outcome} instead of {} ({said:?})",
                w.outcome
            ));
        } else if !w.says.is_empty() && !said.iter().any(|s| s.contains(w.says)) {
            problems.push(format!("{name}: does not say \"{}\": {said:?}", w.says));
        }
    }
    problems
}

/// Runs each of `jobs` on its own thread and gathers what they found wrong.
pub fn in_parallel<T: Sync>(jobs: &[T], judge: impl Fn(&T) -> Vec<String> + Sync) -> Vec<String> {
    std::thread::scope(|scope| {
        let runs: Vec<_> = jobs.iter().map(|j| scope.spawn(|| judge(j))).collect();
        runs.into_iter()
            .flat_map(|r| r.join().unwrap_or_else(|_| vec!["a judge panicked".into()]))
            .collect()
    })
}

/// A runtime for the hostile server of a test that runs the binary from plain threads.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}
