//! smartcheck: drives SMART-on-FHIR flows against a target, checks every documented rule
//! and load-tests the same flows. The bundled reference server is the default target; it
//! runs in-process on an ephemeral loopback port:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let server = reference_server::start(reference_server::Config::ephemeral()).await.unwrap();
//! assert!(server.root().starts_with("http://127.0.0.1:"));
//! assert!(server.state.urls.patient_access.ends_with("/fhir"));
//! server.shutdown().await;
//! # }
//! ```

pub mod check;
pub mod clauses;
pub mod console;
pub mod exit;
pub mod flow;
pub mod http;
pub mod http_policy;
pub mod list;
pub mod load;
pub mod report;
pub mod requirements;
pub mod run;
pub mod scenario;
pub mod selftest;
pub mod serve;
pub mod target;
pub mod transcript;
