//! What several integration tests share: the bundled server's demo secrets (read from the
//! fixtures it loads), a target profile describing a running bundled server, the environment
//! that gives the profile its secrets, a scratch folder, and the server as a separate process.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The demo secrets, read from the fixtures the server loads.
pub struct Demo {
    pub pa_secret: String,
    pub pa2_secret: String,
    pub pd_secret: String,
    pub password: String,
    /// The application-id profile's secrets: roster-sync sandbox and production, and
    /// intake-kiosk sandbox (fixtures/app_id.toml).
    pub appid_secrets: [String; 3],
}

pub fn demo_secrets() -> Demo {
    let read = |file: &str| -> toml::Table {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(file);
        toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let clients = read("clients.toml");
    let secret = |id: &str| {
        clients["client"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"].as_str() == Some(id))
            .and_then(|c| c["secret"].as_str())
            .unwrap()
            .to_string()
    };
    let members = read("members.toml");
    let password = members["member"][0]["password"]
        .as_str()
        .unwrap()
        .to_string();
    let apps = &reference_server::app_id::Directory::embedded().applications;
    let app = |name: &str| apps.iter().find(|a| a.name == name).unwrap();
    Demo {
        appid_secrets: [
            app("roster-sync").sandbox.secret.clone(),
            app("roster-sync").production.secret.clone(),
            app("intake-kiosk").sandbox.secret.clone(),
        ],
        pa_secret: secret("patient-access-app"),
        pa2_secret: secret("patient-access-app-2"),
        pd_secret: secret("provider-directory-app"),
        password,
    }
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A profile of the bundled server at `urls`, endpoints left out.
pub fn profile(name: &str, patient_access: &str, provider_directory: &str, extra: &str) -> String {
    format!(
        r#"name = "{name}"
[patient_access]
base_url = "{patient_access}"
{extra}
[provider_directory]
base_url = "{provider_directory}"
[clients.patient_access]
client_id = "patient-access-app"
client_secret_env = "RT_PA_SECRET"
redirect_uri = "https://client-app.com/redirect"
redirect_uri_slash = "https://client-app.com/callback/"
[clients.patient_access_2]
client_id = "patient-access-app-2"
client_secret_env = "RT_PA2_SECRET"
[clients.provider_directory]
client_id = "provider-directory-app"
client_secret_env = "RT_PD_SECRET"
redirect_uri = "https://directory-app.example.org/callback"
[[members]]
username = "sbx-patientAccessMember-1"
password_env = "RT_MEMBER1_PASSWORD"
patient_id = "ffaa7043-d695-4cf0-a541-945bca539041"
[[members]]
patient_id = "b5631ecf-b58c-48f5-87f0-b9988f41969b"
[app_id]
sandbox_base_url = "{root}/app-id/sandbox"
production_base_url = "{root}/app-id/production"
account = "acme-clinic"
patient_id = "ffaa7043-d695-4cf0-a541-945bca539041"
other_account = "cedar-care"
sandbox = {{ id = "sbx-roster-sync-5d1e", secret_env = "RT_APPID_SECRET" }}
production = {{ id = "prd-roster-sync-a93c", secret_env = "RT_APPID_PROD_SECRET" }}
narrow = {{ id = "sbx-intake-kiosk-27b4", secret_env = "RT_APPID2_SECRET", account = "cedar-care", unauthorized_path = "Appointment" }}
[patient_keys]
base_url = "{root}/patient-keys"
"#,
        root = patient_access.trim_end_matches("/fhir")
    )
}

pub fn env_of(demo: &Demo) -> [(&'static str, String); 7] {
    [
        ("RT_PA_SECRET", demo.pa_secret.clone()),
        ("RT_PA2_SECRET", demo.pa2_secret.clone()),
        ("RT_PD_SECRET", demo.pd_secret.clone()),
        ("RT_MEMBER1_PASSWORD", demo.password.clone()),
        ("RT_APPID_SECRET", demo.appid_secrets[0].clone()),
        ("RT_APPID_PROD_SECRET", demo.appid_secrets[1].clone()),
        ("RT_APPID2_SECRET", demo.appid_secrets[2].clone()),
    ]
}

/// The reference server as its own process (`reference-server`, built beside `smartcheck`
/// by `cargo test --workspace`; `smartcheck serve`, the same server, when it is not there),
/// on an ephemeral loopback port. Killed on drop.
pub struct ServerProcess {
    child: Child,
    /// The root URL it printed (`http://127.0.0.1:PORT`).
    pub root: String,
}

impl ServerProcess {
    pub fn start() -> ServerProcess {
        ServerProcess::start_with(&[])
    }

    /// With the admin routes (`--admin`): fault switches and the developer portal's API.
    pub fn start_with_admin() -> ServerProcess {
        ServerProcess::start_with(&["--admin"])
    }

    fn start_with(args: &[&str]) -> ServerProcess {
        let smartcheck = Path::new(env!("CARGO_BIN_EXE_smartcheck"));
        let own =
            smartcheck.with_file_name(format!("reference-server{}", std::env::consts::EXE_SUFFIX));
        let mut command = if own.exists() {
            Command::new(own)
        } else {
            let mut c = Command::new(smartcheck);
            c.arg("serve");
            c
        };
        let mut child = command
            .args(["--bind", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the reference server starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().unwrap().unwrap();
        let addr = first
            .strip_prefix("reference server listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {first}"))
            .to_string();
        // Keep reading its output so a full pipe never blocks it.
        std::thread::spawn(move || for _ in lines {});
        ServerProcess {
            child,
            root: format!("http://{addr}"),
        }
    }

    pub fn patient_access(&self) -> String {
        format!("{}/fhir", self.root)
    }

    pub fn provider_directory(&self) -> String {
        format!("{}/provider-directory/fhir", self.root)
    }

    /// An app made through the portal admin API (needs `--admin`) as a payer would hand it
    /// to a certification team: on the Provider Directory plan, approved for production,
    /// with two credential sets.
    pub async fn approved_portal_app(&self) -> PortalApp {
        let http = reqwest::Client::new();
        let portal = format!("{}/portal/apps", self.root);
        let send = |req: reqwest::RequestBuilder| async move {
            let res = req.send().await.unwrap();
            assert!(res.status().is_success(), "{}", res.status());
            res.json::<serde_json::Value>().await.unwrap()
        };
        let text = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap().to_string();
        let first = send(
            http.post(&portal)
                .json(&serde_json::json!({"name": "certified"})),
        )
        .await;
        let app = format!("{portal}/{}", text(&first, "app_id"));
        let plan = serde_json::json!({"plan": "provider-directory"});
        send(http.put(format!("{app}/plan")).json(&plan)).await;
        send(http.post(format!("{app}/production-request"))).await;
        send(http.post(format!("{app}/production-approval"))).await;
        let second = send(http.post(format!("{app}/credentials"))).await;
        PortalApp {
            client_id: text(&first, "client_id"),
            client_secret: text(&first, "client_secret"),
            client2_id: text(&second, "client_id"),
            client2_secret: text(&second, "client_secret"),
        }
    }
}

/// A portal app's two credential sets.
pub struct PortalApp {
    pub client_id: String,
    pub client_secret: String,
    pub client2_id: String,
    pub client2_secret: String,
}

impl PortalApp {
    /// The profile's `[portal]` table for the server at `root` (secrets in `RT_PORTAL_*`).
    pub fn table(&self, root: &str) -> String {
        format!(
            r#"[portal]
production_token_url = "{root}/production/oauth2/token"
production_provider_directory_url = "{root}/production/provider-directory/fhir"
client_id = "{}"
client_secret_env = "RT_PORTAL_SECRET"
[portal.second_set]
client_id = "{}"
client_secret_env = "RT_PORTAL2_SECRET"
"#,
            self.client_id, self.client2_id
        )
    }

    /// The environment giving the table its secrets.
    pub fn env(&self) -> [(&'static str, String); 2] {
        [
            ("RT_PORTAL_SECRET", self.client_secret.clone()),
            ("RT_PORTAL2_SECRET", self.client2_secret.clone()),
        ]
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `scenarios` against a fresh in-process bundled server, with its own variables and the
/// default access.
pub async fn run_on_bundled(
    scenarios: &[smartcheck::scenario::model::Scenario],
    audit: smartcheck::scenario::engine::CredentialAudit,
) -> smartcheck::report::model::RunResult {
    let server = reference_server::start(smartcheck::target::reference::bundled_config())
        .await
        .unwrap();
    let result = smartcheck::scenario::engine::run(
        &smartcheck::target::reference::access(),
        "reference",
        scenarios,
        &smartcheck::requirements::Catalogue::builtin().unwrap(),
        &smartcheck::target::reference::vars(&server.state),
        audit,
        &mut |_| {},
    )
    .await;
    server.shutdown().await;
    result
}
