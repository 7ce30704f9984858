//! The token pool: member tokens acquired through the real flows before the ramp (the
//! authorization code grant with the form login driver), a provider-directory token from
//! the client-credentials grant, and a refresher that renews each before it expires.
//! Tokens never leave this module except as bearer headers; errors never contain them.

use super::error::LoadError;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::recorder::{Answer, Recorder};
use super::target::{Client, LoadTarget, Member};
use crate::flow::login_form::Credentials;
use crate::http::Session;
use crate::transcript::redact::Redactor;

/// The scope a pool member's login asks for.
const MEMBER_SCOPE: &str = "openid fhirUser launch/patient patient/*.rs";

/// One member's tokens.
#[derive(Clone)]
pub struct MemberToken {
    pub access: String,
    pub refresh: Option<String>,
    pub patient_id: String,
    /// When the access token expires (from `expires_in`).
    pub expires_at: Instant,
    /// Its lifetime when issued (the refresher renews at 80% of it).
    pub lifetime: Duration,
}

impl std::fmt::Debug for MemberToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberToken")
            .field("patient_id", &self.patient_id)
            .finish_non_exhaustive()
    }
}

/// The pool shared by every user.
#[derive(Default)]
pub struct TokenPool {
    members: Vec<RwLock<MemberToken>>,
    directory: RwLock<Option<MemberToken>>,
    cursor: AtomicUsize,
    refreshed: AtomicU64,
}

impl TokenPool {
    /// How many member tokens the pool holds.
    pub fn members(&self) -> usize {
        self.members.len()
    }

    /// The member token for slot `i` (users and arrivals spread over the pool).
    pub fn member(&self, i: usize) -> Option<MemberToken> {
        if self.members.is_empty() {
            return None;
        }
        let slot = &self.members[i % self.members.len()];
        Some(slot.read().unwrap_or_else(|p| p.into_inner()).clone())
    }

    /// The next slot in turn (for transactions that renew a token).
    pub fn next_slot(&self) -> usize {
        self.cursor.fetch_add(1, Ordering::Relaxed)
    }

    /// Replaces slot `i`'s access token after a refresh.
    pub fn renewed(&self, i: usize, access: String, expires_in: Duration) {
        if self.members.is_empty() {
            return;
        }
        let mut slot = self.members[i % self.members.len()]
            .write()
            .unwrap_or_else(|p| p.into_inner());
        slot.access = access;
        slot.expires_at = Instant::now() + expires_in;
        slot.lifetime = expires_in;
    }

    /// The provider-directory access token.
    pub fn directory(&self) -> Option<String> {
        let d = self.directory.read().unwrap_or_else(|p| p.into_inner());
        d.as_ref().map(|t| t.access.clone())
    }

    /// Access tokens renewed by the refresher because they were close to expiry.
    pub fn refreshed_before_expiry(&self) -> u64 {
        self.refreshed.load(Ordering::Relaxed)
    }

    /// Fills the pool: `members` logins (at most `parallel` at once) and, when asked, the
    /// directory token. Any failure stops the run before the ramp (no half-filled pool).
    pub async fn fill(
        target: &Arc<LoadTarget>,
        members: &[Member],
        directory: bool,
        parallel: usize,
    ) -> Result<TokenPool, LoadError> {
        let mut pool = TokenPool::default();
        if directory {
            let client = target
                .directory_client
                .as_ref()
                .ok_or("the profile needs a provider-directory client for directory searches")?;
            let http = target
                .client_builder()
                .build()
                .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
            let token = client_credentials(&http, target, client)
                .await
                .map_err(|e| format!("provider-directory token: {e}"))?;
            pool.directory = RwLock::new(Some(token));
        }
        let gate = Arc::new(Semaphore::new(parallel.max(1)));
        let mut logins = JoinSet::new();
        for (i, member) in members.iter().cloned().enumerate() {
            let (target, gate) = (target.clone(), gate.clone());
            logins.spawn(async move {
                let _permit = gate.acquire_owned().await;
                let token = login(&target, &member, None).await;
                (
                    i,
                    token.map_err(|e| format!("member {}: {e}", member.username)),
                )
            });
        }
        let mut acquired: Vec<Option<MemberToken>> = vec![None; members.len()];
        while let Some(joined) = logins.join_next().await {
            let (i, token) = joined.map_err(|e| format!("a login task failed: {e}"))?;
            acquired[i] = Some(token?);
        }
        pool.members = acquired.into_iter().flatten().map(RwLock::new).collect();
        Ok(pool)
    }

    /// Renews every token close to expiry (called every 250 ms during the run). Member tokens by refresh token, the directory token by client credentials.
    pub async fn refresh_due(&self, target: &LoadTarget, client: &reqwest::Client, rec: &Recorder) {
        let due = |t: &MemberToken| {
            // 20% of the lifetime, at least 2 s (the server may count whole seconds), at
            // most half of it (a very short lifetime is not renewed all the time).
            let margin = (t.lifetime / 5)
                .max(Duration::from_secs(2))
                .min(t.lifetime / 2);
            t.expires_at.saturating_duration_since(Instant::now()) < margin
        };
        for i in 0..self.members.len() {
            let Some(token) = self.member(i).filter(due) else {
                continue;
            };
            if let Ok((access, expires_in)) = refresh(client, target, &token, rec).await {
                self.renewed(i, access, expires_in);
                self.refreshed.fetch_add(1, Ordering::Relaxed);
            }
        }
        let directory = self
            .directory
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let (Some(_), Some(pd)) = (directory.filter(due), &target.directory_client)
            && let Ok(new) = client_credentials(client, target, pd).await
        {
            *self.directory.write().unwrap_or_else(|p| p.into_inner()) = Some(new);
            self.refreshed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// One member login through the form driver and the code exchange. With a recorder (a
/// login during the run) both are recorded as endpoints.
pub async fn login(
    target: &LoadTarget,
    member: &Member,
    rec: Option<&Recorder>,
) -> Result<MemberToken, LoadError> {
    let pa = target
        .patient_access_client
        .as_ref()
        .ok_or("the profile needs a Patient Access client for member logins")?;
    let mut redactor = Redactor::default();
    redactor.add(&member.password);
    redactor.add(&pa.secret);
    let mut session = Session::with_policy(redactor, &target.access.http)?;
    let mut authorize =
        url::Url::parse(&target.authorize).map_err(|e| format!("authorize URL: {e}"))?;
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &pa.id)
        .append_pair("redirect_uri", &pa.redirect_uri)
        .append_pair("scope", MEMBER_SCOPE)
        .append_pair("state", "smartcheck-load")
        .append_pair("aud", &target.patient_access);
    let credentials = Credentials {
        username: &member.username,
        password: &member.password,
    };
    let started = Instant::now();
    let redirect = crate::flow::sign_in(
        &target.access.login,
        &mut session,
        authorize.as_str(),
        &pa.redirect_uri,
        &credentials,
    )
    .await;
    let note = |answer: Answer, since: Instant, name: &str| {
        if let Some(rec) = rec {
            rec.record(name, answer, Some(since.elapsed()), None);
        }
    };
    let redirect = match redirect {
        Ok(url) => {
            note(
                Answer::Status(302),
                started,
                "member login (authorize to code)",
            );
            url
        }
        Err(e) => {
            note(
                Answer::Transport,
                started,
                "member login (authorize to code)",
            );
            return Err(LoadError::Target(e.to_string()));
        }
    };
    let code = redirect
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| {
            let error = redirect.query_pairs().find(|(k, _)| k == "error");
            format!(
                "the redirect carries no code (error: {})",
                error.map_or("none".into(), |(_, v)| v.into_owned())
            )
        })?;
    let request = session
        .client()
        .post(&target.token)
        .basic_auth(&pa.id, Some(&pa.secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &pa.redirect_uri),
        ]);
    let exchanged = Instant::now();
    let res = session.fetch(request).await;
    let answer = res
        .as_ref()
        .map_or(Answer::Transport, |r| Answer::Status(r.status));
    note(answer, exchanged, "token (authorization_code)");
    let res = res?;
    let body = token_body(res.status, res.json())?;
    let patient_id = body["patient"]
        .as_str()
        .unwrap_or(&member.patient_id)
        .to_string();
    let (access, expires_in) = access_token(&body)?;
    Ok(MemberToken {
        access,
        refresh: body["refresh_token"].as_str().map(str::to_string),
        patient_id,
        expires_at: Instant::now() + expires_in,
        lifetime: expires_in,
    })
}

/// `grant_type=refresh_token` for `token`, recorded as "token refresh".
pub async fn refresh(
    client: &reqwest::Client,
    target: &LoadTarget,
    token: &MemberToken,
    rec: &Recorder,
) -> Result<(String, Duration), LoadError> {
    let pa = target
        .patient_access_client
        .as_ref()
        .ok_or("no Patient Access client")?;
    let refresh = token
        .refresh
        .as_deref()
        .ok_or(LoadError::Target("the member has no refresh token".into()))?;
    if !rec.start_request() {
        return Err(LoadError::Target("the request budget is spent".into()));
    }
    let started = Instant::now();
    let sent = client
        .post(&target.token)
        .basic_auth(&pa.id, Some(&pa.secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .send()
        .await;
    let (answer, body) = match sent {
        Ok(res) => {
            let status = res.status().as_u16();
            (
                Answer::Status(status),
                res.json::<Value>().await.ok().map(|b| (status, b)),
            )
        }
        Err(_) => (Answer::Transport, None),
    };
    rec.record("token refresh", answer, Some(started.elapsed()), None);
    let (status, body) = body.ok_or(LoadError::Target("no JSON answer".into()))?;
    access_token(&token_body(status, Some(body))?)
}

async fn client_credentials(
    client: &reqwest::Client,
    target: &LoadTarget,
    pd: &Client,
) -> Result<MemberToken, LoadError> {
    let res = client
        .post(&target.token)
        .basic_auth(&pd.id, Some(&pd.secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "system/*.rs"),
        ])
        .send()
        .await
        .map_err(|e| format!("token endpoint: {}", e.without_url()))?;
    let status = res.status().as_u16();
    let body = token_body(status, res.json::<Value>().await.ok())?;
    let (access, expires_in) = access_token(&body)?;
    Ok(MemberToken {
        access,
        refresh: None,
        patient_id: String::new(),
        expires_at: Instant::now() + expires_in,
        lifetime: expires_in,
    })
}

/// The token response's JSON, or why it is not one (the OAuth error code, never the body).
fn token_body(status: u16, body: Option<Value>) -> Result<Value, LoadError> {
    let body = body.ok_or_else(|| {
        LoadError::Target(format!("token endpoint answered {status} without JSON"))
    })?;
    if status != 200 {
        let error = body["error"].as_str().unwrap_or("no error code");
        let problem = format!("token endpoint answered {status} ({error})");
        return Err(LoadError::Target(problem));
    }
    Ok(body)
}

/// The access token and its lifetime from a token response.
pub fn access_token(body: &Value) -> Result<(String, Duration), LoadError> {
    let access = body["access_token"].as_str().ok_or(LoadError::Target(
        "the token response has no access_token".into(),
    ))?;
    // Without expires_in, assume an hour (RFC 6749 5.1 makes it RECOMMENDED only).
    let expires_in = body["expires_in"].as_u64().unwrap_or(3600).max(1);
    Ok((access.to_string(), Duration::from_secs(expires_in)))
}
