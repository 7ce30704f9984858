//! The transactions of a load profile, shared by both models: goose users send through
//! goose (`Sender::Goose`), the open model's arrivals through one plain client
//! (`Sender::Plain`). Each request is timed from its send (or, for an arrival's first
//! request, from its intended send time) to the end of its body and recorded under an
//! endpoint name, so paths with ids are grouped per endpoint.

use super::error::LoadError;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use goose::prelude::{GooseMethod, GooseRequest, GooseUser};
use reqwest::{Method, RequestBuilder};
use serde_json::Value;

use super::pool::{self, MemberToken, TokenPool};
use super::profile::{Kind, TransactionSpec};
use super::recorder::{Answer, Recorder};
use super::target::LoadTarget;

/// Largest body read of one answer; the rest is drained and not kept.
const MAX_KEPT_BODY: usize = 8 * 1024 * 1024;

/// Everything a transaction needs.
pub struct Ctx {
    pub target: Arc<LoadTarget>,
    pub pool: Arc<TokenPool>,
    pub recorder: Arc<Recorder>,
    pub max_pages: usize,
}

/// Whether the run goes on after a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Continue,
    /// The request budget is spent.
    Stop,
}

/// Where requests go out: through a goose user, or through a plain client.
pub enum Sender<'a> {
    Goose(&'a mut GooseUser),
    Plain(&'a reqwest::Client),
}

impl Sender<'_> {
    fn builder(&self, method: Method, url: &str) -> Result<RequestBuilder, LoadError> {
        match self {
            Sender::Goose(user) => {
                let m = if method == Method::POST {
                    GooseMethod::Post
                } else {
                    GooseMethod::Get
                };
                user.get_request_builder(&m, url)
                    .map_err(|e| LoadError::Goose(format!("cannot build the request: {e}")))
            }
            Sender::Plain(client) => Ok(client.request(method, url)),
        }
    }

    async fn send(
        &mut self,
        name: &str,
        url: &str,
        rb: RequestBuilder,
    ) -> Result<reqwest::Response, ()> {
        match self {
            Sender::Goose(user) => {
                let request = GooseRequest::builder()
                    .path(url)
                    .name(name)
                    .set_request_builder(rb)
                    .build();
                match user.request(request).await {
                    Ok(goose) => goose.response.map_err(|_| ()),
                    Err(_) => Err(()),
                }
            }
            Sender::Plain(_) => rb.send().await.map_err(|_| ()),
        }
    }
}

/// A transaction of the mix, ready to run.
pub struct Transaction {
    pub spec: TransactionSpec,
    /// The endpoint of its first request (dropped arrivals are counted under it).
    pub first_endpoint: String,
    /// Runs so far (directory searches take the types in turn).
    runs: AtomicUsize,
}

impl Transaction {
    pub fn new(spec: TransactionSpec) -> Transaction {
        let first_endpoint = match spec.kind {
            Kind::PatientRead => "Patient read".to_string(),
            Kind::CoverageSearch => "Coverage search".into(),
            Kind::EobSearch => "ExplanationOfBenefit search".into(),
            Kind::Everything => "$everything first page".into(),
            Kind::DirectorySearch => format!("directory {} search", spec.types[0]),
            Kind::TokenRefresh => "token refresh".into(),
            Kind::Get => format!("GET {}", spec.path.as_deref().unwrap_or("/")),
        };
        Transaction {
            spec,
            first_endpoint,
            runs: AtomicUsize::new(0),
        }
    }

    /// Runs once for `slot` (the user or arrival number: picks the pool's token and the
    /// directory type). `intended`: the open model's scheduled send time of the first request.
    pub async fn run(
        &self,
        ctx: &Ctx,
        sender: &mut Sender<'_>,
        slot: usize,
        intended: Option<Instant>,
    ) -> Next {
        let mut call = Call {
            ctx,
            sender,
            intended,
        };
        let pa = ctx.target.patient_access.as_str();
        let member = || ctx.pool.member(slot);
        match self.spec.kind {
            Kind::PatientRead | Kind::CoverageSearch | Kind::EobSearch => {
                let Some(m) = member() else {
                    return Next::Continue;
                };
                let url = match self.spec.kind {
                    Kind::PatientRead => format!("{pa}/Patient/{}", m.patient_id),
                    Kind::CoverageSearch => format!("{pa}/Coverage?patient={}", m.patient_id),
                    _ => format!("{pa}/ExplanationOfBenefit?patient={}", m.patient_id),
                };
                call.get(&self.first_endpoint, &url, Some(&m.access))
                    .await
                    .next
            }
            Kind::Everything => {
                let Some(m) = member() else {
                    return Next::Continue;
                };
                let start = format!("{pa}/Patient/{}/$everything", m.patient_id);
                walk(&mut call, &start, &m.access, ctx.max_pages).await
            }
            Kind::DirectorySearch => {
                let (Some(base), Some(token)) = (
                    ctx.target.provider_directory.as_deref(),
                    ctx.pool.directory(),
                ) else {
                    return Next::Continue;
                };
                let turn = self.runs.fetch_add(1, Ordering::Relaxed);
                let kind = &self.spec.types[turn % self.spec.types.len()];
                let url = format!("{base}/{kind}?_count=20");
                let name = format!("directory {kind} search");
                call.get(&name, &url, Some(&token)).await.next
            }
            Kind::TokenRefresh => {
                let i = ctx.pool.next_slot();
                let Some(m) = ctx.pool.member(i) else {
                    return Next::Continue;
                };
                refresh(&mut call, &m, i).await
            }
            Kind::Get => {
                let path = self.spec.path.as_deref().unwrap_or("/");
                let url = if path.starts_with("http://") || path.starts_with("https://") {
                    path.to_string()
                } else {
                    format!("{}{path}", ctx.target.root)
                };
                call.get(&self.first_endpoint, &url, None).await.next
            }
        }
    }
}

/// A refresh of pool slot `i`, through the sender (part of the user's traffic).
async fn refresh(call: &mut Call<'_, '_, '_>, m: &MemberToken, i: usize) -> Next {
    let (Some(client), Some(refresh)) = (
        call.ctx.target.patient_access_client.clone(),
        m.refresh.clone(),
    ) else {
        return Next::Continue;
    };
    let token_url = call.ctx.target.token.clone();
    let rb = match call.sender.builder(Method::POST, &token_url) {
        Ok(rb) => rb.basic_auth(&client.id, Some(&client.secret)).form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ]),
        Err(_) => return Next::Continue,
    };
    let done = call.send("token refresh", &token_url, rb, true).await;
    if done.status == Some(200)
        && let Some(Ok((access, expires_in))) = done.body.as_ref().map(pool::access_token)
    {
        call.ctx.pool.renewed(i, access, expires_in);
    }
    done.next
}

/// Follows every `next` link of `$everything` (same origin only, bounded, no loops).
async fn walk(call: &mut Call<'_, '_, '_>, start: &str, token: &str, max_pages: usize) -> Next {
    let origin = url::Url::parse(start).map(|u| u.origin()).ok();
    let mut seen = HashSet::new();
    let mut url = start.to_string();
    for page in 0..max_pages {
        let name = if page == 0 {
            "$everything first page"
        } else {
            "$everything next page"
        };
        let done = call.send_get_json(name, &url, token).await;
        if done.next == Next::Stop {
            return Next::Stop;
        }
        let next = done.body.as_ref().and_then(next_link);
        match next {
            Some(n)
                if url::Url::parse(&n).ok().map(|u| u.origin()) == origin
                    && seen.insert(n.clone()) =>
            {
                url = n
            }
            _ => break,
        }
    }
    Next::Continue
}

fn next_link(bundle: &Value) -> Option<String> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|l| l["relation"] == "next")?["url"]
        .as_str()
        .map(str::to_string)
}

/// One transaction's requests: times, records and reads each answer.
struct Call<'c, 's, 'u> {
    ctx: &'c Ctx,
    sender: &'s mut Sender<'u>,
    /// The first request's scheduled send time; taken by the first request.
    intended: Option<Instant>,
}

/// What one request gave.
struct Done {
    next: Next,
    status: Option<u16>,
    body: Option<Value>,
}

impl Call<'_, '_, '_> {
    async fn get(&mut self, name: &str, url: &str, bearer: Option<&str>) -> Done {
        let rb = match self.sender.builder(Method::GET, url) {
            Ok(rb) => rb,
            Err(_) => return self.failed(name),
        };
        let rb = match bearer {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        };
        self.send(name, url, rb, false).await
    }

    async fn send_get_json(&mut self, name: &str, url: &str, bearer: &str) -> Done {
        let rb = match self.sender.builder(Method::GET, url) {
            Ok(rb) => rb.bearer_auth(bearer),
            Err(_) => return self.failed(name),
        };
        self.send(name, url, rb, true).await
    }

    fn failed(&self, name: &str) -> Done {
        self.ctx
            .recorder
            .record(name, Answer::Transport, None, None);
        Done {
            next: Next::Continue,
            status: None,
            body: None,
        }
    }

    /// Sends, reads the whole body (parsed as JSON when `json`), records.
    async fn send(&mut self, name: &str, url: &str, rb: RequestBuilder, json: bool) -> Done {
        if !self.ctx.recorder.start_request() {
            return Done {
                next: Next::Stop,
                status: None,
                body: None,
            };
        }
        let intended = self.intended.take();
        let started = Instant::now();
        let (answer, body) = match self.sender.send(name, url, rb).await {
            Ok(res) => {
                let status = res.status().as_u16();
                match read_body(res).await {
                    Some(bytes) => {
                        let body = if json {
                            serde_json::from_slice(&bytes).ok()
                        } else {
                            None
                        };
                        (Answer::Status(status), body)
                    }
                    None => (Answer::Transport, None),
                }
            }
            Err(()) => (Answer::Transport, None),
        };
        let raw = started.elapsed();
        let corrected = intended.map(|t| t.elapsed());
        let raw = (answer != Answer::Transport).then_some(raw);
        self.ctx.recorder.record(name, answer, raw, corrected);
        Done {
            next: Next::Continue,
            status: match answer {
                Answer::Status(s) => Some(s),
                _ => None,
            },
            body,
        }
    }
}

/// The whole body (the latency includes it); bytes beyond the cap are read and dropped.
async fn read_body(mut res: reqwest::Response) -> Option<Vec<u8>> {
    let mut kept = Vec::new();
    loop {
        match res.chunk().await {
            Ok(Some(chunk)) => {
                if kept.len() + chunk.len() <= MAX_KEPT_BODY {
                    kept.extend_from_slice(&chunk);
                }
            }
            Ok(None) => return Some(kept),
            Err(_) => return None,
        }
    }
}

/// The weighted order of transactions: transaction `i` appears `weight` times, interleaved
/// (as goose spreads a scenario's weighted transactions), so every prefix keeps the mix.
pub fn weighted_order(transactions: &[Transaction]) -> Vec<usize> {
    let total: u32 = transactions.iter().map(|t| t.spec.weight).sum();
    let mut credit = vec![0i64; transactions.len()];
    let mut order = Vec::with_capacity(total as usize);
    // Smooth weighted round robin: each turn, every entry gains its weight and the richest
    // is picked and pays the total.
    for _ in 0..total {
        for (c, t) in credit.iter_mut().zip(transactions) {
            *c += i64::from(t.spec.weight);
        }
        let (best, _) = credit
            .iter()
            .enumerate()
            .max_by_key(|(i, c)| (**c, std::cmp::Reverse(*i)))
            .expect("a profile has transactions");
        credit[best] -= i64::from(total);
        order.push(best);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(kind: Kind, weight: u32) -> Transaction {
        Transaction::new(TransactionSpec {
            kind,
            weight,
            path: Some("/healthz".into()),
            types: vec!["Practitioner".into()],
        })
    }

    #[test]
    fn the_weighted_order_keeps_the_mix_and_interleaves() {
        let order = weighted_order(&[
            tx(Kind::PatientRead, 3),
            tx(Kind::Get, 1),
            tx(Kind::EobSearch, 0),
        ]);
        assert_eq!(order.len(), 4);
        assert_eq!(order.iter().filter(|&&i| i == 0).count(), 3);
        assert_eq!(order.iter().filter(|&&i| i == 1).count(), 1);
        assert!(!order.contains(&2));
        assert_ne!(order, [0, 0, 0, 1], "interleaved");
    }

    #[test]
    fn the_next_link_is_found_only_in_link_next() {
        let b = serde_json::json!({"link": [{"relation": "self", "url": "a"}, {"relation": "next", "url": "b"}]});
        assert_eq!(next_link(&b).as_deref(), Some("b"));
        assert_eq!(next_link(&serde_json::json!({"link": []})), None);
        assert_eq!(next_link(&serde_json::json!("x")), None);
    }
}
