//! One HTTP session against a target: a cookie jar, no redirect following, the run's HTTP
//! policy (timeouts, rate limit, safe retries, extra CA roots: `crate::http_policy`), bounded
//! bodies, and a redacted transcript of every exchange (each attempt) for the report.
//! Every flow (raw steps, the login driver, the `$everything` walk) sends through here, so
//! each request is bounded and recorded the same way.

use std::time::Instant;

use reqwest::header::{CONTENT_TYPE, HeaderMap};

use crate::http_policy::HttpPolicy;
use crate::transcript::Exchange;
use crate::transcript::leaks::CredentialScan;
use crate::transcript::redact::Redactor;

/// Largest body read from a target.
pub const MAX_BODY: usize = 8 * 1024 * 1024;
/// Characters of a body kept in a transcript.
const BODY_EXCERPT: usize = 2_000;
/// Exchanges kept per step (a long walk keeps its first pages and counts the rest).
const MAX_EXCHANGES: usize = 12;

/// Why a request got no (usable) answer. Messages never hold the URL (it may carry a code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("cannot build an HTTP client: {0}")]
    Client(String),
    #[error("cannot build the request: {0}")]
    Request(String),
    /// Sending or reading failed: `what` is the method or "reading the body".
    #[error("{what} failed: {cause}")]
    Failed {
        what: String,
        cause: String,
        /// Whether trying again may help (not a timeout).
        retryable: bool,
    },
    #[error("body larger than {MAX_BODY} bytes")]
    TooLarge,
}

impl HttpError {
    fn retryable(&self) -> bool {
        matches!(
            self,
            HttpError::Failed {
                retryable: true,
                ..
            }
        )
    }
}

/// A response, read whole (up to [`MAX_BODY`]).
#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Fetched {
    /// The body as JSON, when it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// A client plus what it has recorded.
#[derive(Debug)]
pub struct Session {
    client: reqwest::Client,
    policy: HttpPolicy,
    /// The secrets this session knows; add captured values as they arrive.
    pub redactor: Redactor,
    /// The credentials no response may carry (looked for before redaction).
    pub credentials: CredentialScan,
    transcript: Vec<Exchange>,
    omitted: usize,
}

impl Session {
    /// A session with a fresh cookie jar and the default policy (the bundled server's).
    pub fn new(redactor: Redactor) -> Result<Session, HttpError> {
        Session::with_policy(redactor, &HttpPolicy::default())
    }

    /// A session with a fresh cookie jar under `policy`.
    pub fn with_policy(redactor: Redactor, policy: &HttpPolicy) -> Result<Session, HttpError> {
        let client = policy
            .client_builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| HttpError::Client(e.to_string()))?;
        Ok(Session {
            client,
            policy: policy.clone(),
            redactor,
            credentials: CredentialScan::default(),
            transcript: Vec::new(),
            omitted: 0,
        })
    }

    /// The client, to build requests with.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends `request` (paced; a GET or HEAD retried as the policy allows), reads the body
    /// (at most [`MAX_BODY`]) and records each attempt's exchange.
    pub async fn fetch(&mut self, request: reqwest::RequestBuilder) -> Result<Fetched, HttpError> {
        let mut request = request
            .build()
            .map_err(|e| HttpError::Request(e.without_url().to_string()))?;
        let safe = matches!(
            *request.method(),
            reqwest::Method::GET | reqwest::Method::HEAD
        );
        for attempt in 1.. {
            let again = if safe { request.try_clone() } else { None };
            self.policy.pace().await;
            let outcome = self.fetch_once(request).await;
            let wait = match (&outcome, again.is_some()) {
                (_, false) => None,
                (Ok(f), true) => self
                    .policy
                    .retry_wait(attempt, Some(f.status), Some(&f.headers)),
                (Err(e), true) if e.retryable() => self.policy.retry_wait(attempt, None, None),
                (Err(_), true) => None,
            };
            match (wait, again) {
                (Some(wait), Some(next)) => {
                    tokio::time::sleep(wait).await;
                    request = next;
                }
                _ => return outcome,
            }
        }
        unreachable!("the loop returns")
    }

    /// One attempt, recorded.
    async fn fetch_once(&mut self, request: reqwest::Request) -> Result<Fetched, HttpError> {
        let started = Instant::now();
        // An echoing target must not leak what was sent: the encoded Basic pair, a token.
        self.redactor.learn_headers(request.headers());
        let mut exchange = self.describe(&request);
        let outcome = self.execute(request).await;
        exchange.duration_ms = (started.elapsed().as_secs_f64() * 100_000.0).round() / 100.0;
        match &outcome {
            Ok(f) => {
                // Cookies the target set are credentials wherever they show up later.
                self.redactor.learn_headers(&f.headers);
                exchange.status = Some(f.status);
                exchange.credential_leaks = self.credentials.scan(&f.headers, &f.body);
                exchange.response_headers = self.headers(&f.headers);
                let content_type = f.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
                if !f.body.is_empty() {
                    let body = self.redactor.body(content_type, &f.body, BODY_EXCERPT);
                    exchange.response_body = Some(body);
                }
            }
            Err(e) => exchange.error = Some(self.redactor.text(&e.to_string())),
        }
        if self.transcript.len() < MAX_EXCHANGES {
            self.transcript.push(exchange);
        } else {
            self.omitted += 1;
        }
        outcome
    }

    /// The exchanges recorded since the last [`Session::take_transcript`], as recorded.
    pub fn transcript(&self) -> &[Exchange] {
        &self.transcript
    }

    /// The exchanges recorded since the last call, and how many were not kept. They are
    /// redacted again with every secret learnt since they were recorded (a code captured from
    /// the last response, a login transaction read from a page).
    pub fn take_transcript(&mut self) -> (Vec<Exchange>, usize) {
        let r = &self.redactor;
        let mut exchanges = std::mem::take(&mut self.transcript);
        for e in &mut exchanges {
            e.url = r.text(&e.url);
            for (_, v) in e.request_headers.iter_mut().chain(&mut e.response_headers) {
                *v = r.text(v);
            }
            for b in [&mut e.request_body, &mut e.response_body, &mut e.error]
                .into_iter()
                .flatten()
            {
                *b = r.text(b);
            }
        }
        (exchanges, std::mem::take(&mut self.omitted))
    }

    /// The answer, or why there is none (and whether trying again may help).
    async fn execute(&self, request: reqwest::Request) -> Result<Fetched, HttpError> {
        let method = request.method().clone();
        let failed = |what: &str, e: reqwest::Error| HttpError::Failed {
            what: what.to_string(),
            cause: describe_error(&e),
            retryable: !e.is_timeout(),
        };
        let mut res = self
            .client
            .execute(request)
            .await
            .map_err(|e| failed(method.as_str(), e))?;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = res
            .chunk()
            .await
            .map_err(|e| failed("reading the body", e))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(HttpError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            status,
            headers,
            body,
        })
    }

    fn describe(&self, request: &reqwest::Request) -> Exchange {
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let request_body = request
            .body()
            .and_then(|b| b.as_bytes())
            .map(|b| self.redactor.body(content_type, b, BODY_EXCERPT));
        Exchange {
            method: request.method().to_string(),
            url: self.redactor.url(request.url().as_str()),
            request_headers: self.headers(request.headers()),
            request_body,
            status: None,
            response_headers: Vec::new(),
            response_body: None,
            error: None,
            duration_ms: 0.0,
            credential_leaks: Vec::new(),
        }
    }

    fn headers(&self, headers: &HeaderMap) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(k, v)| {
                let value = String::from_utf8_lossy(v.as_bytes());
                (k.to_string(), self.redactor.header(k.as_str(), &value))
            })
            .collect()
    }
}

/// A reqwest error in words, without its URL (which may carry a code) and with its cause
/// (timeouts and refused connections say so).
fn describe_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "error"
    };
    match std::error::Error::source(e) {
        Some(cause) => format!("{kind}: {}", crate::exit::with_causes(cause)),
        None => kind.to_string(),
    }
}
