//! The `form` login driver: from the authorize URL to the redirect that carries the code,
//! the way a member's browser gets there. It parses each page with a real HTML parser, fills
//! the login form, approves the consent form, follows redirects on the authorization server,
//! and stops at the client's redirect URI without fetching it (the code must not be sent
//! anywhere else). Error messages never contain the password, cookies or the code.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::flow::html_page::parse_page;
use crate::flow::page_control::Control;
use crate::http::Session;

/// Field names and limits of a login page.
#[derive(Debug, Clone)]
pub struct FormLoginSettings {
    /// Name of the username input.
    pub username_field: String,
    /// Name of the password input.
    pub password_field: String,
    /// The consent form's approve control (default: `name=decision value=approve`).
    pub approve: Control,
    /// Its deny control (default: the approve control's name with `value=deny`).
    pub deny: Control,
    /// The login form's submit control; `None`: its first submit control, as a browser's
    /// implicit submission picks.
    pub login_button: Option<Control>,
    /// Deny consent instead of approving it (the consent-denied cases).
    pub deny_consent: bool,
    /// Most pages and redirects before giving up (no loop runs forever).
    pub max_steps: usize,
}

impl Default for FormLoginSettings {
    fn default() -> Self {
        FormLoginSettings {
            username_field: "username".into(),
            password_field: "password".into(),
            approve: Control::Named("decision".into(), "approve".into()),
            deny: Control::Named("decision".into(), "deny".into()),
            login_button: None,
            deny_consent: false,
            max_steps: 10,
        }
    }
}

/// Why the login did not reach the redirect URI: what the driver saw, without secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginError {
    /// 1-based step (request) at which it stopped.
    pub step: usize,
    pub message: String,
    /// The server refused the credentials: it showed the login form again (a rule, not a
    /// driver failure; the scenarios check it).
    pub credentials_refused: bool,
}

impl std::fmt::Display for LoginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "login step {}: {}", self.step, self.message)
    }
}

impl std::error::Error for LoginError {}

/// A member's credentials.
pub struct Credentials<'a> {
    pub username: &'a str,
    pub password: &'a str,
}

/// Where a login stopped.
#[derive(Debug)]
pub enum LoginEnd {
    /// At the client's redirect (with `code` or `error`), never fetched.
    Redirect(Url),
    /// At the consent page, for [`answer_consent`] to answer later.
    Consent(PendingConsent),
}

/// A consent page a login stopped at: the form to submit and where it was.
#[derive(Debug)]
pub struct PendingConsent {
    url: Url,
    form: Form,
    redirect_uri: String,
}

/// Runs the login and returns the final redirect URL (with `code` or `error`). The session
/// keeps the cookies and records every page (redacted).
pub async fn login(
    session: &mut Session,
    authorize_url: &str,
    redirect_uri: &str,
    member: &Credentials<'_>,
    settings: &FormLoginSettings,
) -> Result<Url, LoginError> {
    match login_until(
        session,
        authorize_url,
        redirect_uri,
        member,
        settings,
        false,
    )
    .await?
    {
        LoginEnd::Redirect(url) => Ok(url),
        LoginEnd::Consent(_) => unreachable!("the login answers consent itself"),
    }
}

/// Runs the login; with `stop_at_consent` it stops at the consent page instead of answering
/// it (the member's session keeps the cookies, so another member can sign in meanwhile).
pub async fn login_until(
    session: &mut Session,
    authorize_url: &str,
    redirect_uri: &str,
    member: &Credentials<'_>,
    settings: &FormLoginSettings,
    stop_at_consent: bool,
) -> Result<LoginEnd, LoginError> {
    let url = Url::parse(authorize_url).map_err(|e| fail(0, format!("bad authorize URL: {e}")))?;
    let request = session.client().get(url.clone());
    let drive = Drive {
        redirect_uri,
        member: Some(member),
        settings,
        stop_at_consent,
    };
    drive.run(session, request, url).await
}

/// Answers the consent page a login stopped at with the settings' approve control (the deny
/// control with `deny_consent`) and follows the redirects to the client's redirect.
pub async fn answer_consent(
    session: &mut Session,
    pending: PendingConsent,
    settings: &FormLoginSettings,
) -> Result<Url, LoginError> {
    let mut fields = pending.form.inputs.clone();
    let target = press(&mut fields, pending.form.decision(settings.deny_consent), 1)?;
    let (request, url) = submit(session, &pending.url, &pending.form, target, &fields, 1)?;
    let drive = Drive {
        redirect_uri: &pending.redirect_uri,
        member: None,
        settings,
        stop_at_consent: false,
    };
    match drive.run(session, request, url).await? {
        LoginEnd::Redirect(url) => Ok(url),
        LoginEnd::Consent(_) => Err(fail(1, "the consent page was shown again".into())),
    }
}

fn fail(step: usize, message: String) -> LoginError {
    LoginError {
        step,
        message,
        credentials_refused: false,
    }
}

/// The page-by-page walk of a login: what to fill in and where to stop.
struct Drive<'a> {
    redirect_uri: &'a str,
    /// `None` when answering consent: a login form then is an error.
    member: Option<&'a Credentials<'a>>,
    settings: &'a FormLoginSettings,
    stop_at_consent: bool,
}

impl Drive<'_> {
    async fn run(
        &self,
        session: &mut Session,
        mut request: reqwest::RequestBuilder,
        mut url: Url,
    ) -> Result<LoginEnd, LoginError> {
        let settings = self.settings;
        let mut submitted_password = false;
        for step in 1..=settings.max_steps {
            let res = session
                .fetch(request)
                .await
                .map_err(|e| fail(step, e.to_string()))?;
            let status = StatusCode::from_u16(res.status).unwrap_or(StatusCode::BAD_GATEWAY);
            if status.is_redirection() {
                let location = res
                    .headers
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| fail(step, format!("{status} without a Location header")))?;
                let next = url
                    .join(location)
                    .map_err(|_| fail(step, "unparsable Location header".into()))?;
                if is_redirect_target(next.as_str(), self.redirect_uri) {
                    return Ok(LoginEnd::Redirect(next));
                }
                url = next;
                request = session.client().get(url.clone());
                continue;
            }
            let is_html = res
                .headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html"));
            let body = String::from_utf8_lossy(&res.body);
            if !is_html {
                return Err(fail(step, format!("{status} with a non-HTML answer")));
            }
            let page = parse_page(&body);
            let Some(form) = find_form(&page, settings) else {
                return Err(fail(
                    step,
                    format!("{status} page without a form: {}", page_text(&page)),
                ));
            };
            let has_password = form.fillable.contains(&settings.password_field);
            if has_password && submitted_password {
                return Err(LoginError {
                    credentials_refused: true,
                    ..fail(
                        step,
                        format!("the login form was shown again: {}", page_text(&page)),
                    )
                });
            }
            // Hidden fields carry the login transaction: never reported.
            for (_, value) in &form.inputs {
                session.redactor.add(value);
            }
            let mut fields = form.inputs.clone();
            let mut target = None;
            let is_consent = form.buttons.iter().any(|b| b.approve || b.deny);
            match self.member {
                Some(member) if has_password => {
                    set(&mut fields, &settings.username_field, member.username);
                    set(&mut fields, &settings.password_field, member.password);
                    if let Some(b) = form.buttons.iter().find(|b| b.login) {
                        target = press(&mut fields, Some(b), step)?;
                    }
                    submitted_password = true;
                }
                None if has_password => {
                    return Err(fail(step, "a login form while answering consent".into()));
                }
                _ if is_consent && self.stop_at_consent => {
                    return Ok(LoginEnd::Consent(PendingConsent {
                        url,
                        form,
                        redirect_uri: self.redirect_uri.to_string(),
                    }));
                }
                _ if is_consent => {
                    target = press(&mut fields, form.decision(settings.deny_consent), step)?;
                }
                _ => {
                    return Err(fail(
                        step,
                        format!(
                            "a form that is neither login nor consent: {}",
                            page_text(&page)
                        ),
                    ));
                }
            }
            (request, url) = submit(session, &url, &form, target, &fields, step)?;
        }
        Err(fail(
            settings.max_steps,
            "too many pages or redirects".into(),
        ))
    }
}

/// The request that submits `form` (found at `url`) with `fields` to its action (or the
/// pressed control's `formaction`), and its target.
fn submit(
    session: &Session,
    url: &Url,
    form: &Form,
    formaction: Option<&str>,
    fields: &[(String, String)],
    step: usize,
) -> Result<(reqwest::RequestBuilder, Url), LoginError> {
    let action = url
        .join(formaction.unwrap_or(&form.action))
        .map_err(|_| fail(step, "unparsable form action".into()))?;
    let request = if form.method_get {
        let mut target = action.clone();
        target.query_pairs_mut().extend_pairs(fields);
        session.client().get(target)
    } else {
        session.client().post(action.clone()).form(fields)
    };
    Ok((request, action))
}

/// Whether `url` is the client's redirect URI (ignoring the response parameters added).
fn is_redirect_target(url: &str, redirect_uri: &str) -> bool {
    url.strip_prefix(redirect_uri)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['?', '&', '#']))
}

/// The parts of a form the driver uses.
#[derive(Debug)]
struct Form {
    action: String,
    method_get: bool,
    /// Named inputs (hidden, text, password) with their values.
    inputs: Vec<(String, String)>,
    /// The names of the inputs a person fills (not hidden): a hidden `password` carried
    /// along does not make a login form.
    fillable: Vec<String>,
    /// Its submit controls.
    buttons: Vec<Button>,
}

/// A submit control of a form, and which of the settings' controls it is.
#[derive(Debug)]
struct Button {
    /// Empty for an unnamed control (it submits no field).
    name: String,
    value: String,
    /// Where it submits the form instead of the form's action (`formaction`).
    formaction: Option<String>,
    approve: bool,
    deny: bool,
    login: bool,
}

impl Form {
    /// The consent control to press: approve, or deny.
    fn decision(&self, deny: bool) -> Option<&Button> {
        self.buttons
            .iter()
            .find(|b| if deny { b.deny } else { b.approve })
    }
}

/// Adds the pressed control's field (an unnamed one adds none) and gives where it submits
/// to (its `formaction`, if any); no control is an error.
fn press<'f>(
    fields: &mut Vec<(String, String)>,
    button: Option<&'f Button>,
    step: usize,
) -> Result<Option<&'f str>, LoginError> {
    let b = button.ok_or_else(|| fail(step, "the consent page has no such control".into()))?;
    if !b.name.is_empty() {
        fields.push((b.name.clone(), b.value.clone()));
    }
    Ok(b.formaction.as_deref())
}

/// The form the driver works on: the first with a password field or a consent control,
/// else the page's first form.
fn find_form(page: &Html, settings: &FormLoginSettings) -> Option<Form> {
    let form_sel = Selector::parse("form").ok()?;
    let forms: Vec<Form> = page
        .select(&form_sel)
        .map(|f| read_form(f, settings))
        .collect();
    let wanted = forms.iter().position(|f| {
        f.fillable.contains(&settings.password_field)
            || f.buttons.iter().any(|b| b.approve || b.deny)
    });
    forms.into_iter().nth(wanted.unwrap_or(0))
}

fn read_form(form: ElementRef, settings: &FormLoginSettings) -> Form {
    let input_sel = Selector::parse("input[name]").expect("a valid selector");
    let control_sel = Selector::parse("button, input").expect("a valid selector");
    let attr = |e: &ElementRef, a: &str| e.value().attr(a).unwrap_or_default().to_string();
    let named: Vec<ElementRef> = form
        .select(&input_sel)
        .filter(|e| !attr(e, "type").eq_ignore_ascii_case("submit"))
        .collect();
    let inputs = named
        .iter()
        .map(|e| (attr(e, "name"), attr(e, "value")))
        .collect();
    let fillable = named
        .iter()
        .filter(|e| !attr(e, "type").eq_ignore_ascii_case("hidden"))
        .map(|e| attr(e, "name"))
        .collect();
    let mut buttons: Vec<Button> = form
        .select(&control_sel)
        .filter(|e| {
            let kind = attr(e, "type");
            match e.value().name() {
                "button" => kind.is_empty() || kind.eq_ignore_ascii_case("submit"),
                _ => kind.eq_ignore_ascii_case("submit"),
            }
        })
        .map(|e| Button {
            name: attr(&e, "name"),
            value: attr(&e, "value"),
            formaction: e.value().attr("formaction").map(String::from),
            approve: settings.approve.matches(&e),
            deny: settings.deny.matches(&e),
            login: settings
                .login_button
                .as_ref()
                .is_some_and(|c| c.matches(&e)),
        })
        .collect();
    // A browser's implicit submission presses the first submit control.
    if settings.login_button.is_none()
        && let Some(first) = buttons.first_mut()
    {
        first.login = true;
    }
    Form {
        action: attr(&form, "action"),
        method_get: attr(&form, "method").eq_ignore_ascii_case("get"),
        inputs,
        fillable,
        buttons,
    }
}

fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(n, _)| n == name) {
        Some(f) => f.1 = value.to_string(),
        None => fields.push((name.to_string(), value.to_string())),
    }
}

/// A short, single-line summary of what a page says (title, errors), for error outcomes.
fn page_text(page: &Html) -> String {
    // The body's text only: the head holds styles and scripts, not what the page says.
    let body = Selector::parse("body")
        .ok()
        .and_then(|sel| page.select(&sel).next());
    let root = body.unwrap_or_else(|| page.root_element());
    let text: String = root.text().collect::<Vec<_>>().join(" ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_target_needs_the_whole_uri() {
        let r = "https://client-app.com/redirect";
        assert!(is_redirect_target(
            "https://client-app.com/redirect?code=x",
            r
        ));
        assert!(is_redirect_target(r, r));
        assert!(!is_redirect_target(
            "https://client-app.com/redirect2?code=x",
            r
        ));
        assert!(!is_redirect_target("https://client-app.com/", r));
    }

    #[test]
    fn forms_are_read_with_hidden_fields_and_buttons() {
        let page = parse_page(
            "<form method=post action=/c><input type=hidden name=tx value=\"a&amp;b\">\
             <button type=button name=menu value=m>menu</button>\
             <button name=decision value=approve>ok</button><input type=submit name=go value=x></form>",
        );
        let f = find_form(&page, &FormLoginSettings::default()).unwrap();
        assert_eq!(f.inputs, vec![("tx".to_string(), "a&b".to_string())]);
        let names: Vec<_> = f.buttons.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(
            names,
            ["decision", "go"],
            "type=button is no submit control"
        );
        assert!(f.decision(false).is_some_and(|b| b.value == "approve"));
        assert!(f.decision(true).is_none());
        assert!(f.buttons[0].login, "implicit submission presses the first");
        assert!(!f.method_get);
    }

    #[test]
    fn the_form_with_the_controls_is_chosen_and_controls_by_text_or_css() {
        let page = parse_page(
            "<form action=/search><input name=q></form>\
             <form action=/consent><input type=hidden name=tx value=1>\
             <button class=allow>Allow access</button><button class=no>Cancel</button></form>",
        );
        let settings = FormLoginSettings {
            approve: Control::Text("allow access".into()),
            deny: Control::Css("button.no".into()),
            ..FormLoginSettings::default()
        };
        let f = find_form(&page, &settings).unwrap();
        assert_eq!(f.action, "/consent");
        assert!(
            f.decision(false)
                .is_some_and(|b| b.approve && b.name.is_empty())
        );
        assert!(f.decision(true).is_some_and(|b| b.deny));
        let mut fields = Vec::new();
        press(&mut fields, f.decision(false), 1).unwrap();
        assert!(fields.is_empty(), "an unnamed control adds no field");
        assert!(press(&mut fields, None, 1).is_err());
    }

    #[test]
    fn a_hidden_password_carried_along_is_no_login_form() {
        let page = parse_page(
            "<form method=post action=/consent><input type=hidden name=password value=p>\
             <button name=decision value=approve>Allow</button></form>",
        );
        let f = find_form(&page, &FormLoginSettings::default()).unwrap();
        assert!(f.fillable.is_empty());
        assert!(f.decision(false).is_some());
    }
}
