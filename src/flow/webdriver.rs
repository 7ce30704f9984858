//! A minimal W3C WebDriver client for the `browser` login driver: starts chromedriver on a
//! loopback port, opens one session and speaks the few commands a login needs (navigate, find,
//! type, click, read). [`Chromedriver`] is a guard: dropping it kills chromedriver and every
//! browser process it started (they share its process group) and removes the browser profile.
//!
//! chromedriver runs with its output discarded and its default log level, which never records
//! command arguments: what is typed (a password) is not written anywhere.

use std::net::TcpListener;
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::time::{Instant, sleep};

/// The key of a web element reference in W3C WebDriver answers.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// Bound of chromedriver's start (until `/status` says ready), per attempt.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Ports tried before giving up (another process may take the one picked).
const START_ATTEMPTS: usize = 3;

/// Why a WebDriver call failed. `code` is the W3C error code (`no such element`, `stale element
/// reference`, `unknown error`...) or `transport` when chromedriver did not answer.
#[derive(Debug, Clone)]
pub struct WebDriverError {
    pub code: String,
    pub message: String,
}

impl WebDriverError {
    /// Whether the element the command used is gone because the page changed. Chromium
    /// answers this either as the W3C `stale element reference` or, when the command lands
    /// mid-navigation, as an `unknown error` from its inspector about the node's document.
    pub fn is_stale(&self) -> bool {
        match self.code.as_str() {
            "stale element reference" | "no such element" => true,
            "unknown error" => {
                self.message.contains("does not belong to the document")
                    || self.message.contains("No node with given id")
            }
            _ => false,
        }
    }

    fn transport(message: String) -> Self {
        WebDriverError {
            code: "transport".into(),
            message,
        }
    }
}

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

/// A running chromedriver and the scratch directory of its browser profile.
pub struct Chromedriver {
    child: Child,
    port: u16,
    scratch: PathBuf,
}

/// Why chromedriver did not start.
#[derive(Debug, thiserror::Error)]
pub enum DriverStartError {
    #[error("cannot create a browser profile directory: {0}")]
    Scratch(std::io::Error),
    #[error("no free loopback port: {0}")]
    Port(std::io::Error),
    #[error("cannot start chromedriver {}: {source}", .path.display())]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("chromedriver exited at start ({0})")]
    Exited(std::process::ExitStatus),
    #[error("not ready within {START_TIMEOUT:?}")]
    NotReady,
    #[error("cannot build the WebDriver client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("chromedriver did not start: {0}")]
    GaveUp(Box<DriverStartError>),
}

impl Chromedriver {
    /// Starts `path` on a free loopback port and waits until it is ready (bounded).
    pub async fn start(path: &Path) -> Result<Chromedriver, DriverStartError> {
        let mut last = DriverStartError::NotReady;
        for _ in 0..START_ATTEMPTS {
            let scratch = scratch_dir().map_err(DriverStartError::Scratch)?;
            let port = free_port().map_err(DriverStartError::Port)?;
            let spawned = Command::new(path)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn();
            let child = match spawned {
                Ok(c) => c,
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&scratch);
                    return Err(DriverStartError::Spawn {
                        path: path.to_path_buf(),
                        source: e,
                    });
                }
            };
            let mut driver = Chromedriver {
                child,
                port,
                scratch,
            };
            match driver.wait_ready().await {
                Ok(()) => return Ok(driver),
                // Dropping `driver` kills this attempt; the next one picks another port.
                Err(e) => last = e,
            }
        }
        Err(DriverStartError::GaveUp(Box::new(last)))
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A fresh directory for the browser profile, removed with the guard.
    pub fn profile_dir(&self) -> PathBuf {
        self.scratch.join("profile")
    }

    async fn wait_ready(&mut self) -> Result<(), DriverStartError> {
        let http = client()?;
        let status = format!("{}/status", self.base_url());
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(exit)) = self.child.try_wait() {
                return Err(DriverStartError::Exited(exit));
            }
            let ready = http
                .get(&status)
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .ok()
                .map(|r| r.json::<Value>());
            if let Some(body) = ready
                && body.await.is_ok_and(|v| v["value"]["ready"] == true)
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(DriverStartError::NotReady);
            }
            sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The group first, while chromedriver's pid (the group id) is not yet reaped and so
        // cannot have been reused: it takes the browser processes with it.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A browser process may still be writing for a moment after the kill.
        for _ in 0..5 {
            if std::fs::remove_dir_all(&self.scratch).is_ok() || !self.scratch.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// An HTTP client for chromedriver: loopback, so never through a proxy from the environment.
fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder().no_proxy().build()
}

/// A port that was free a moment ago (chromedriver needs an explicit one).
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `<tmp>/smartcheck-browser-<pid>-<n>-<nanos>`, private to the user.
fn scratch_dir() -> std::io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "smartcheck-browser-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::DirBuilder::new()
        .recursive(false)
        .mode(0o700)
        .create(&dir)?;
    Ok(dir)
}

/// A web element reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element(String);

/// One WebDriver session.
pub struct Session {
    http: reqwest::Client,
    /// `<base>/session/<id>`.
    url: String,
    /// Bound of each command (a page load included).
    command_timeout: Duration,
}

impl Session {
    /// Opens a session with the given `capabilities` (the `alwaysMatch` object).
    pub async fn new(
        base_url: &str,
        capabilities: Value,
        command_timeout: Duration,
    ) -> Result<Session, WebDriverError> {
        let http = client().map_err(|e| WebDriverError::transport(e.to_string()))?;
        let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
        let value = call(
            http.post(format!("{base_url}/session")).json(&body),
            command_timeout,
        )
        .await?;
        let id = value["sessionId"].as_str().ok_or_else(|| {
            WebDriverError::transport("new session answer without a sessionId".into())
        })?;
        Ok(Session {
            url: format!("{base_url}/session/{id}"),
            http,
            command_timeout,
        })
    }

    async fn get(&self, path: &str) -> Result<Value, WebDriverError> {
        let req = self.http.get(format!("{}{path}", self.url));
        call(req, self.command_timeout).await
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, WebDriverError> {
        let req = self.http.post(format!("{}{path}", self.url)).json(&body);
        call(req, self.command_timeout).await
    }

    /// Navigates and waits for the page load; a page that fails to load is an error whose
    /// code is `unknown error` (`net::ERR_...`), with the URL still readable.
    pub async fn navigate(&self, url: &str) -> Result<(), WebDriverError> {
        self.post("/url", json!({ "url": url })).await.map(drop)
    }

    pub async fn current_url(&self) -> Result<String, WebDriverError> {
        string(self.get("/url").await?)
    }

    pub async fn title(&self) -> Result<String, WebDriverError> {
        string(self.get("/title").await?)
    }

    /// The elements matching a CSS selector, in document order.
    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>, WebDriverError> {
        let body = json!({ "using": "css selector", "value": css });
        elements(self.post("/elements", body).await?)
    }

    /// The elements of the page matching an XPath expression, in document order.
    pub async fn find_all_xpath(&self, xpath: &str) -> Result<Vec<Element>, WebDriverError> {
        let body = json!({ "using": "xpath", "value": xpath });
        elements(self.post("/elements", body).await?)
    }

    /// The elements under `from` matching an XPath expression (relative to `from`).
    pub async fn find_all_from(
        &self,
        from: &Element,
        xpath: &str,
    ) -> Result<Vec<Element>, WebDriverError> {
        let body = json!({ "using": "xpath", "value": xpath });
        elements(
            self.post(&format!("/element/{}/elements", from.0), body)
                .await?,
        )
    }

    pub async fn clear(&self, el: &Element) -> Result<(), WebDriverError> {
        self.post(&format!("/element/{}/clear", el.0), json!({}))
            .await
            .map(drop)
    }

    /// Types `text` into the element (`\u{E007}` is Enter).
    pub async fn send_keys(&self, el: &Element, text: &str) -> Result<(), WebDriverError> {
        self.post(&format!("/element/{}/value", el.0), json!({ "text": text }))
            .await
            .map(drop)
    }

    /// Clicks and, as chromedriver does, waits for a navigation the click started.
    pub async fn click(&self, el: &Element) -> Result<(), WebDriverError> {
        self.post(&format!("/element/{}/click", el.0), json!({}))
            .await
            .map(drop)
    }

    /// The rendered text of the element.
    pub async fn text(&self, el: &Element) -> Result<String, WebDriverError> {
        string(self.get(&format!("/element/{}/text", el.0)).await?)
    }

    /// Whether the element's document is gone (the page navigated away).
    pub async fn is_stale(&self, el: &Element) -> Result<bool, WebDriverError> {
        match self.get(&format!("/element/{}/name", el.0)).await {
            Ok(_) => Ok(false),
            Err(e) if e.is_stale() => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// Ends the session (closes the browser), bounded by `timeout`.
    pub async fn delete(self, timeout: Duration) -> Result<(), WebDriverError> {
        call(self.http.delete(&self.url), timeout).await.map(drop)
    }
}

/// Sends a command and returns its `value`, or the W3C error (first line of the message, no
/// stack trace).
async fn call(req: reqwest::RequestBuilder, timeout: Duration) -> Result<Value, WebDriverError> {
    let res = req.timeout(timeout).send().await.map_err(|e| {
        let what = if e.is_timeout() {
            format!("no answer within {timeout:?}")
        } else {
            "cannot reach chromedriver".into()
        };
        WebDriverError::transport(what)
    })?;
    let ok = res.status().is_success();
    let mut body: Value = res
        .json()
        .await
        .map_err(|_| WebDriverError::transport("chromedriver answered without JSON".into()))?;
    let value = body["value"].take();
    if ok {
        return Ok(value);
    }
    let code = value["error"]
        .as_str()
        .unwrap_or("unknown error")
        .to_string();
    let message = value["message"].as_str().unwrap_or(&code);
    let message = message
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    Err(WebDriverError { code, message })
}

fn string(value: Value) -> Result<String, WebDriverError> {
    match value {
        Value::String(s) => Ok(s),
        _ => Err(WebDriverError::transport(
            "chromedriver answered a non-string".into(),
        )),
    }
}

fn elements(value: Value) -> Result<Vec<Element>, WebDriverError> {
    let list = value.as_array().ok_or_else(|| {
        WebDriverError::transport("chromedriver answered a non-list of elements".into())
    })?;
    list.iter()
        .map(|e| {
            e[ELEMENT_KEY]
                .as_str()
                .map(|id| Element(id.to_string()))
                .ok_or_else(|| WebDriverError::transport("an element without a reference".into()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: &str, message: &str) -> WebDriverError {
        WebDriverError {
            code: code.into(),
            message: message.into(),
        }
    }

    #[test]
    fn chromium_mid_navigation_errors_count_as_stale() {
        let inspector = "unknown error: unhandled inspector error: \
            {\"code\":-32000,\"message\":\"Node with given id does not belong to the document\"}";
        assert!(error("unknown error", inspector).is_stale());
        assert!(error("stale element reference", "gone").is_stale());
        assert!(!error("unknown error", "net::ERR_NAME_NOT_RESOLVED").is_stale());
        assert!(!error("transport", "does not belong to the document").is_stale());
    }
}
