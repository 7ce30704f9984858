//! Runs the real `smartcheck` binary against a profile of the hostile server, under a
//! wall-clock bound enforced here (the child is killed when it outlives it: a hang).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{
    CLIENT_ID, OTHER_PATIENT, PASSWORD, PATIENT, REDIRECT_URI, REDIRECT_URI_SLASH, SECRET, USERNAME,
};

/// The environment variables the profiles name (set on the child only).
const SECRET_ENV: &str = "HOSTILE_PA_SECRET";
const PASSWORD_ENV: &str = "HOSTILE_MEMBER_PASSWORD";

/// A profile of the Patient Access base `base_url`, endpoints left out (discovered), with
/// `http` as its `[http]` table (e.g. `timeout_secs = 1`).
pub fn profile(name: &str, base_url: &str, http: &str) -> String {
    format!(
        r#"name = "{name}"
[patient_access]
base_url = "{base_url}"
[http]
{http}
[clients.patient_access]
client_id = "{CLIENT_ID}"
client_secret_env = "{SECRET_ENV}"
redirect_uri = "{REDIRECT_URI}"
redirect_uri_slash = "{REDIRECT_URI_SLASH}"
[[members]]
username = "{USERNAME}"
password_env = "{PASSWORD_ENV}"
patient_id = "{PATIENT}"
[[members]]
patient_id = "{OTHER_PATIENT}"
"#
    )
}

/// What a bounded run of the binary left behind.
#[derive(Debug)]
pub struct Finished {
    /// The exit code (`None`: ended by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// `--out`.
    pub out: PathBuf,
}

impl Finished {
    /// `results.json`, parsed.
    pub fn results(&self) -> Result<Value, String> {
        let path = self.out.join("results.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("results.json does not parse: {e}"))
    }

    /// Everything the run wrote, for secret checks.
    pub fn all_output(&self) -> String {
        let mut text = format!("{}\n{}", self.stdout, self.stderr);
        for f in ["results.json", "report.html", "junit.xml"] {
            text.push_str(&std::fs::read_to_string(self.out.join(f)).unwrap_or_default());
        }
        text
    }
}

/// A fresh scratch folder under the cargo target's temporary folder.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `profile` into `dir` and runs `smartcheck run --target <it> --out <dir>/out
/// <args>`; kills the child and returns `Err` when it runs longer than `bound`.
pub fn run_bounded(
    dir: &Path,
    profile: &str,
    args: &[&str],
    bound: Duration,
) -> Result<Finished, String> {
    let path = dir.join("profile.toml");
    std::fs::write(&path, profile).unwrap();
    let out = dir.join("out");
    let (stdout_path, stderr_path) = (dir.join("stdout"), dir.join("stderr"));
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_smartcheck"))
        .args(["run", "--target"])
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .args(args)
        .env(SECRET_ENV, SECRET)
        .env(PASSWORD_ENV, PASSWORD)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .map_err(|e| format!("cannot start smartcheck: {e}"))?;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > bound {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "hang: smartcheck still running after {bound:?}, killed; stderr so far:\n{}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(Finished {
        code: status.code(),
        stdout: std::fs::read_to_string(&stdout_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&stderr_path).unwrap_or_default(),
        elapsed: started.elapsed(),
        out,
    })
}
