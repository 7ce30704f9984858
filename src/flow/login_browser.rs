//! The `browser` login driver: the same journey as the `form` driver (authorize URL, login
//! form, consent, redirect carrying the code) in a real headless Chromium driven through
//! WebDriver, so pages that need JavaScript, cookies set by scripts or a real form submission
//! work too.
//!
//! The browser is fenced: no proxy, and its host resolver answers NOTFOUND for every name but
//! loopback and the authorization server's host. The final redirect to the client's redirect
//! URI (`https://client-app.com/redirect?code=...`) therefore fails to resolve and is never
//! fetched, while its URL is still readable: the code is sent nowhere. Every login starts its
//! own chromedriver and browser with a fresh profile, and both are gone when [`login`]
//! returns, whatever the outcome. Error messages never contain the password or the code.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;
use url::Url;

use super::login_form::{Credentials, FormLoginSettings, LoginError};
use super::page_control::Control;
use super::webdriver::{Chromedriver, Element, Session, WebDriverError};

/// Most pages before giving up (no loop runs forever).
const MAX_PAGES: usize = 10;
/// Looks again at a page whose elements went stale under a command, at most this often.
const STALE_RETRIES: usize = 5;
/// How long a submitted page may take to give way to the next one.
const SETTLE: Duration = Duration::from_secs(10);
/// Bound of closing the browser once the login is over (then it is killed).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);
/// Characters of page text quoted in an error.
const EXCERPT: usize = 200;
/// The WebDriver key for Enter.
const ENTER: &str = "\u{E007}";

/// Where the browser is and what the login pages look like.
#[derive(Debug, Clone)]
pub struct BrowserSettings {
    /// The Chromium binary.
    pub chromium: PathBuf,
    /// The chromedriver binary (same version as Chromium).
    pub chromedriver: PathBuf,
    /// Name of the username input.
    pub username_field: String,
    /// Name of the password input.
    pub password_field: String,
    /// The consent form's approve control.
    pub approve: Control,
    /// Bound of the whole login, browser start included (closing it adds at most 3 s).
    pub timeout: Duration,
}

impl Default for BrowserSettings {
    fn default() -> Self {
        BrowserSettings::from_form(&FormLoginSettings::default())
    }
}

impl BrowserSettings {
    /// The form driver's field names, with the default browser paths and timeout.
    pub fn from_form(form: &FormLoginSettings) -> Self {
        BrowserSettings {
            chromium: "/usr/bin/chromium".into(),
            chromedriver: "/usr/bin/chromedriver".into(),
            username_field: form.username_field.clone(),
            password_field: form.password_field.clone(),
            approve: form.approve.clone(),
            timeout: Duration::from_secs(60),
        }
    }
}

/// Runs the login in a headless browser and returns the final redirect URL (with `code` or
/// `error`). A driver failure or the timeout is an `Err`, never a hang.
pub async fn login(
    authorize_url: &str,
    redirect_uri: &str,
    member: &Credentials<'_>,
    settings: &BrowserSettings,
) -> Result<Url, LoginError> {
    let deadline = Instant::now() + settings.timeout;
    let authorize =
        Url::parse(authorize_url).map_err(|e| fail(0, format!("bad authorize URL: {e}")))?;
    if !matches!(authorize.scheme(), "http" | "https") {
        return Err(fail(0, "bad authorize URL: not http(s)".into()));
    }
    let mut step = 0;
    let mut browser = None;
    let journey = Journey {
        authorize: &authorize,
        redirect_uri,
        member,
        settings,
    };
    let outcome = tokio::time::timeout_at(deadline, journey.run(&mut browser, &mut step)).await;
    let outcome = outcome.unwrap_or_else(|_| {
        Err(fail(
            step,
            format!("no redirect to the client within {:?}", settings.timeout),
        ))
    });
    if let Some((driver, session)) = browser {
        if let Some(session) = session {
            let _ = session.delete(CLOSE_TIMEOUT).await;
        }
        drop::<Chromedriver>(driver);
    }
    outcome.map_err(|e| LoginError {
        message: redact(&e.message, member.password),
        ..e
    })
}

/// A running browser: the chromedriver guard and, once created, the session.
type Browser = (Chromedriver, Option<Session>);

/// What one login needs to know.
struct Journey<'a> {
    authorize: &'a Url,
    redirect_uri: &'a str,
    member: &'a Credentials<'a>,
    settings: &'a BrowserSettings,
}

impl Journey<'_> {
    /// Starts the browser into `browser` (so the caller closes it whatever happens) and walks
    /// the pages, keeping `step` current for a timeout message.
    async fn run(
        &self,
        browser: &mut Option<Browser>,
        step: &mut usize,
    ) -> Result<Url, LoginError> {
        let driver = Chromedriver::start(&self.settings.chromedriver)
            .await
            .map_err(|e| fail(0, e.to_string()))?;
        let capabilities = self.capabilities(&driver);
        let base = driver.base_url();
        let (_, session) = browser.insert((driver, None));
        let created = Session::new(&base, capabilities, self.settings.timeout).await;
        let session = &*session
            .insert(created.map_err(|e| fail(0, format!("cannot start the browser: {e}")))?);
        self.walk(session, step).await
    }

    /// Chromium headless, with a fresh profile, no proxy and the resolver fence.
    fn capabilities(&self, driver: &Chromedriver) -> serde_json::Value {
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--no-first-run".into(),
            "--no-default-browser-check".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-default-apps".into(),
            "--password-store=basic".into(),
            "--no-proxy-server".into(),
            format!("--user-data-dir={}", driver.profile_dir().display()),
        ];
        args.push(format!(
            "--host-resolver-rules={}",
            resolver_rules(self.authorize, self.redirect_uri)
        ));
        let page_load = self.settings.timeout.as_millis().min(u128::from(u32::MAX)) as u64;
        json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": { "pageLoad": page_load, "script": 5000, "implicit": 0 },
            "goog:chromeOptions": {
                "binary": self.settings.chromium.display().to_string(),
                "args": args,
            },
        })
    }

    /// Page after page until the redirect URI: login form, consent, or an error.
    async fn walk(&self, s: &Session, step: &mut usize) -> Result<Url, LoginError> {
        *step = 1;
        let mut progress = Progress {
            load_error: loaded(s.navigate(self.authorize.as_str()).await)
                .map_err(|e| fail(1, format!("browser: {e}")))?,
            ..Progress::default()
        };
        let mut stale_retries = STALE_RETRIES;
        let mut page = 1;
        while page <= MAX_PAGES {
            *step = page;
            match self.page(s, page, &mut progress).await {
                Ok(Some(url)) => return Ok(url),
                Ok(None) => page += 1,
                // The page changed under the command (a navigation still under way): look again.
                Err(PageError::Driver(e)) if e.is_stale() && stale_retries > 0 => {
                    stale_retries -= 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(PageError::Driver(e)) => return Err(fail(page, format!("browser: {e}"))),
                Err(PageError::Login(e)) => return Err(e),
            }
        }
        Err(fail(MAX_PAGES, "too many pages".into()))
    }

    /// One page: the redirect URL when the browser has reached it, or `None` once the page's
    /// form is filled and submitted (or its consent given).
    async fn page(
        &self,
        s: &Session,
        page: usize,
        p: &mut Progress,
    ) -> Result<Option<Url>, PageError> {
        if let Some(el) = p.last_acted.take() {
            settle(s, &el).await?;
        }
        let url = s.current_url().await?;
        if is_redirect_target(&url, self.redirect_uri) {
            let url = Url::parse(&url).map_err(|_| fail(page, "unparsable redirect URL".into()))?;
            return Ok(Some(url));
        }
        let settings = self.settings;
        let password = first(s, &input_named(&settings.password_field)).await?;
        let username = first(s, &input_named(&settings.username_field)).await?;
        if let Some(field) = password {
            if p.sent_password {
                let seen = describe(s).await;
                return Err(refused(
                    page,
                    format!("the login form was shown again: {seen}"),
                ));
            }
            if let Some(user) = username {
                type_into(s, &user, self.member.username).await?;
            }
            type_into(s, &field, self.member.password).await?;
            p.load_error = loaded(submit(s, &field).await)?;
            p.sent_password = true;
            p.last_acted = Some(field);
        } else if let Some(user) = username {
            // Identifier first: the password comes on the next page.
            if p.sent_username {
                let seen = describe(s).await;
                return Err(refused(
                    page,
                    format!("the username form was shown again: {seen}"),
                ));
            }
            type_into(s, &user, self.member.username).await?;
            p.load_error = loaded(submit(s, &user).await)?;
            p.sent_username = true;
            p.last_acted = Some(user);
        } else if let Some(button) = find_control(s, &settings.approve).await? {
            p.load_error = loaded(s.click(&button).await)?;
            p.last_acted = Some(button);
        } else {
            let why = p
                .load_error
                .take()
                .map(|e| format!(" (load failed: {e})"))
                .unwrap_or_default();
            let seen = describe(s).await;
            return Err(fail(
                page,
                format!("a page that is neither login nor consent{why}: {seen}"),
            )
            .into());
        }
        Ok(None)
    }
}

/// What the walk has done so far.
#[derive(Default)]
struct Progress {
    sent_password: bool,
    sent_username: bool,
    /// The element last clicked or submitted: its page must give way before the next look.
    last_acted: Option<Element>,
    /// Why the last submitted page failed to load, quoted if the walk ends there.
    load_error: Option<String>,
}

/// How one page went wrong: the login's own verdict, or the driver (retried when stale).
enum PageError {
    Login(LoginError),
    Driver(WebDriverError),
}

impl From<LoginError> for PageError {
    fn from(e: LoginError) -> Self {
        PageError::Login(e)
    }
}

impl From<WebDriverError> for PageError {
    fn from(e: WebDriverError) -> Self {
        PageError::Driver(e)
    }
}

/// The form came back after the credentials were sent: they were refused.
fn refused(step: usize, message: String) -> PageError {
    PageError::Login(LoginError {
        credentials_refused: true,
        ..fail(step, message)
    })
}

fn fail(step: usize, message: String) -> LoginError {
    LoginError {
        step,
        message,
        credentials_refused: false,
    }
}

/// Chromium's `--host-resolver-rules`: every name NOTFOUND but loopback and the authorization
/// server's host, unless that is also the redirect URI's host (the code must not be sent).
fn resolver_rules(authorize: &Url, redirect_uri: &str) -> String {
    let mut rules = "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost".to_string();
    let redirect_host = Url::parse(redirect_uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    if let Some(host) = authorize.host_str().map(str::to_ascii_lowercase)
        && Some(&host) != redirect_host.as_ref()
        && host != "127.0.0.1"
        && host != "localhost"
        && !host.contains([',', ' '])
    {
        rules.push_str(&format!(" , EXCLUDE {host}"));
    }
    rules
}

/// Whether `url` is the client's redirect URI (ignoring the response parameters added); the
/// same rule as the form driver's.
fn is_redirect_target(url: &str, redirect_uri: &str) -> bool {
    url.strip_prefix(redirect_uri)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['?', '&', '#']))
}

/// The outcome of a command that loads a page: a page that failed to load (the redirect URI
/// does not resolve, the server refused the connection) is not a driver failure but what the
/// browser now shows, looked at on the next step; its error is kept for the message.
fn loaded(result: Result<(), WebDriverError>) -> Result<Option<String>, WebDriverError> {
    match result {
        Ok(()) => Ok(None),
        Err(e) if e.code == "unknown error" && e.message.contains("net::ERR_") => {
            Ok(Some(e.message))
        }
        Err(e) => Err(e),
    }
}

/// A CSS string literal.
fn css_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\a "),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn input_named(name: &str) -> String {
    format!("input[name={}]", css_string(name))
}

/// The first element that is `control`: by its CSS selector, else by XPath.
async fn find_control(s: &Session, control: &Control) -> Result<Option<Element>, WebDriverError> {
    let found = match control.css() {
        Some(css) => s.find_all(css).await?,
        None => s.find_all_xpath(&control.xpath()).await?,
    };
    Ok(found.into_iter().next())
}

/// The first element matching `css`.
async fn first(s: &Session, css: &str) -> Result<Option<Element>, WebDriverError> {
    Ok(s.find_all(css).await?.into_iter().next())
}

/// Replaces the field's content with `text`.
async fn type_into(s: &Session, field: &Element, text: &str) -> Result<(), WebDriverError> {
    s.clear(field).await?;
    s.send_keys(field, text).await
}

/// Submits the form of `field` with its first submit button, or Enter when it has none.
async fn submit(s: &Session, field: &Element) -> Result<(), WebDriverError> {
    let button = ".//button[@type='submit' or not(@type)] | .//input[@type='submit']";
    let form = s.find_all_from(field, "./ancestor::form[1]").await?;
    let buttons = match form.first() {
        Some(form) => s.find_all_from(form, button).await?,
        None => Vec::new(),
    };
    match buttons.first() {
        Some(b) => s.click(b).await,
        None => s.send_keys(field, ENTER).await,
    }
}

/// Waits (bounded) until the page `el` was on has given way to the next one. A page that
/// stays (a script showing an error in place) is simply looked at again.
async fn settle(s: &Session, el: &Element) -> Result<(), WebDriverError> {
    let until = Instant::now() + SETTLE;
    while !s.is_stale(el).await? && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// What the page shows: URL without query (it may carry a code), title and a text excerpt.
async fn describe(s: &Session) -> String {
    let url = s.current_url().await.ok().and_then(|u| Url::parse(&u).ok());
    let place = url.map_or_else(String::new, |mut u| {
        u.set_query(None);
        u.set_fragment(None);
        format!("{u} ")
    });
    let title = s.title().await.unwrap_or_default();
    let mut text = String::new();
    if let Ok(Some(body)) = s.find_all("body").await.map(|b| b.into_iter().next())
        && let Ok(t) = s.text(&body).await
    {
        text = t.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    let text: String = text.chars().take(EXCERPT).collect();
    format!("{place}\"{title}\": {text}")
}

/// `message` without the password.
fn redact(message: &str, password: &str) -> String {
    if password.is_empty() {
        message.to_string()
    } else {
        message.replace(password, "[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_quote_names() {
        assert_eq!(input_named("pass\"w"), "input[name=\"pass\\\"w\"]");
    }

    #[test]
    fn the_fence_lets_the_authorization_server_through_but_not_the_client() {
        let r = "https://client-app.com/redirect";
        let local = Url::parse("http://127.0.0.1:8080/oauth2/authorize").unwrap();
        assert_eq!(
            resolver_rules(&local, r),
            "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost"
        );
        let remote = Url::parse("https://auth.payer.example/authorize").unwrap();
        assert!(resolver_rules(&remote, r).ends_with(" , EXCLUDE auth.payer.example"));
        let same = Url::parse("https://client-app.com/authorize").unwrap();
        assert!(!resolver_rules(&same, r).contains("client-app.com"));
    }

    #[test]
    fn redirect_target_and_redaction() {
        let r = "https://client-app.com/redirect";
        assert!(is_redirect_target(
            "https://client-app.com/redirect?code=x",
            r
        ));
        assert!(!is_redirect_target("https://client-app.com/redirect2", r));
        assert_eq!(redact("a hpTest11 b", "hpTest11"), "a [redacted] b");
    }
}
