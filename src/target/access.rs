//! How the harness reaches a target: the HTTP policy (`[http]` of a target profile) and the
//! login driver that signs the member in (`[login]`). The bundled server gets the defaults:
//! the form driver with its field names, no rate limit.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::flow::client_assertion::ClientKey;
use crate::flow::login_form::FormLoginSettings;
use crate::flow::page_control::{Control, ControlSpec};
use crate::http_policy::{HttpPolicy, Pacer};
use crate::target::profile::ProfileError;

/// How the member signs in.
#[derive(Debug, Clone)]
pub enum LoginDriver {
    /// Parse the login and consent pages and submit them (the default).
    Form(FormLoginSettings),
    /// Headless Chromium through WebDriver (`--features browser`), same field names.
    Browser(FormLoginSettings, Duration),
    /// A person signs in: the authorize URL is printed; the redirect is taken on a loopback
    /// redirect URI or pasted on stdin. The duration bounds the wait.
    Manual(Duration),
}

/// The HTTP policy, the login driver and the case concurrency of a run.
#[derive(Debug, Clone)]
pub struct Access {
    pub http: HttpPolicy,
    pub login: LoginDriver,
    /// Cases run at once (`--jobs`; default: the machine's cores).
    pub jobs: usize,
    /// Added to every authorization request (`[login] authorize_params`).
    pub authorize_params: std::collections::BTreeMap<String, String>,
    /// How long the whole run may take (`--deadline`): a target that stops answering ends
    /// the run then, with its reports. `None`: no bound but each request's timeout.
    pub deadline: Option<Duration>,
    /// Each `private_key_jwt` client's signing keys (the first is the default).
    pub client_keys: std::collections::BTreeMap<String, Vec<ClientKey>>,
}

impl Default for Access {
    fn default() -> Self {
        Access {
            http: HttpPolicy::default(),
            login: LoginDriver::Form(FormLoginSettings::default()),
            jobs: default_jobs(),
            authorize_params: Default::default(),
            deadline: None,
            client_keys: Default::default(),
        }
    }
}

/// The machine's cores (1 when unknown).
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Access {
    /// Cases to run at once: a person signing in (the manual driver) does one at a time.
    pub fn concurrency(&self) -> usize {
        match self.login {
            LoginDriver::Manual(_) => 1,
            _ => self.jobs.max(1),
        }
    }
}

/// `[login]` of a target profile.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginSection {
    /// `form` (default), `browser` or `manual`.
    #[serde(default)]
    pub driver: DriverName,
    pub username_field: Option<String>,
    pub password_field: Option<String>,
    /// The consent page's approve control: `{ name = "decision", value = "approve" }`,
    /// `{ text = "Allow" }` or `{ selector = "#allow" }`.
    pub approve: Option<ControlSpec>,
    /// Its deny control (default: the approve control's `name` with `value = "deny"`).
    pub deny: Option<ControlSpec>,
    /// The login form's submit control (default: its first, as a browser submits).
    pub login_button: Option<ControlSpec>,
    /// Most pages and redirects of a form login.
    pub max_steps: Option<usize>,
    /// Browser and manual drivers: how long one login may take (default 60 s / 300 s).
    pub timeout_secs: Option<u64>,
    /// `false` for a skip-login sandbox (the authorize endpoint redirects with a code at
    /// once): the cases that need a login or consent page skip, naming `login_pages`.
    pub pages: Option<bool>,
    /// Parameters added to every authorization request (a scenario's own win), e.g.
    /// `{ prompt = "login" }` or a vendor's `audience`.
    #[serde(default)]
    pub authorize_params: std::collections::BTreeMap<String, String>,
}

/// A login driver's name.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriverName {
    #[default]
    Form,
    Browser,
    Manual,
}

/// `[http]` of a target profile.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSection {
    /// Most requests per second to the target, the whole run together.
    pub rate_limit: Option<f64>,
    /// Timeout of each request, in seconds (default 10).
    pub timeout_secs: Option<f64>,
    /// Retries of a GET or HEAD answered 429 or 503 or not answered (default 2).
    pub retries: Option<u32>,
    /// A PEM file of extra CA certificates (relative to the profile), trusted beside the
    /// platform's roots.
    pub ca_cert: Option<String>,
}

impl Access {
    /// From a profile's sections; `profile_dir` anchors a relative `ca_cert`.
    pub fn from_sections(
        login: &LoginSection,
        http: &HttpSection,
        profile_dir: &Path,
    ) -> Result<Access, ProfileError> {
        let mut policy = HttpPolicy::default();
        if let Some(rate) = http.rate_limit {
            // Bounded both ways: a pacer interval must fit a Duration.
            if !(0.001..=1_000_000.0).contains(&rate) {
                return Err(format!(
                    "[http] rate_limit must be between 0.001 and 1000000 requests per second, not {rate}"
                ).into());
            }
            policy.pacer = Some(std::sync::Arc::new(Pacer::new(rate)));
        }
        if let Some(t) = http.timeout_secs {
            if !(t > 0.0 && t <= 600.0) {
                return Err(format!(
                    "[http] timeout_secs must be above 0 and at most 600, not {t}"
                )
                .into());
            }
            policy.timeout = Duration::from_secs_f64(t);
        }
        if let Some(r) = http.retries {
            if r > 10 {
                return Err(format!("[http] retries must be at most 10, not {r}").into());
            }
            policy.retries = r;
        }
        if let Some(ca) = &http.ca_cert {
            policy.extra_roots = HttpPolicy::load_roots(&profile_dir.join(ca))
                .map_err(|e| ProfileError::Invalid(e.to_string()))?;
        }
        let mut form = FormLoginSettings::default();
        if let Some(f) = &login.username_field {
            form.username_field = f.clone();
        }
        if let Some(f) = &login.password_field {
            form.password_field = f.clone();
        }
        if let Some(a) = &login.approve {
            form.approve = a.control("approve")?;
            if let Control::Named(name, _) = &form.approve {
                form.deny = Control::Named(name.clone(), "deny".into());
            }
        }
        if let Some(d) = &login.deny {
            form.deny = d.control("deny")?;
        }
        if let Some(b) = &login.login_button {
            form.login_button = Some(b.control("login_button")?);
        }
        if let Some(n) = login.max_steps {
            form.max_steps = n.clamp(1, 50);
        }
        let wait = |default: u64| Duration::from_secs(login.timeout_secs.unwrap_or(default).max(1));
        let driver = match login.driver {
            DriverName::Form => LoginDriver::Form(form),
            DriverName::Browser => LoginDriver::Browser(form, wait(60)),
            DriverName::Manual => LoginDriver::Manual(wait(300)),
        };
        Ok(Access {
            http: policy,
            login: driver,
            jobs: default_jobs(),
            authorize_params: login.authorize_params.clone(),
            deadline: None,
            client_keys: Default::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Access, ProfileError> {
        #[derive(Deserialize)]
        struct T {
            #[serde(default)]
            login: LoginSection,
            #[serde(default)]
            http: HttpSection,
        }
        let t: T = toml::from_str(text).map_err(|e| ProfileError::Invalid(e.to_string()))?;
        Access::from_sections(&t.login, &t.http, Path::new("."))
    }

    #[test]
    fn sections_set_the_driver_and_the_policy() {
        let a = parse(
            "[login]\ndriver = \"form\"\nusername_field = \"user\"\napprove = { name = \"ok\", value = \"yes\" }\n\
             [http]\nrate_limit = 5\ntimeout_secs = 2.5\nretries = 0\n",
        )
        .unwrap();
        let LoginDriver::Form(form) = a.login else {
            panic!("form")
        };
        assert_eq!(form.username_field, "user");
        assert_eq!(form.password_field, "password");
        assert_eq!(form.approve, Control::Named("ok".into(), "yes".into()));
        assert_eq!(form.deny, Control::Named("ok".into(), "deny".into()));
        assert!(a.http.pacer.is_some());
        assert_eq!(a.http.timeout, Duration::from_millis(2500));
        assert_eq!(a.http.retries, 0);
        assert!(matches!(
            parse("[login]\ndriver = \"manual\"\n").unwrap().login,
            LoginDriver::Manual(_)
        ));
    }

    #[test]
    fn controls_by_text_or_selector_and_their_errors() {
        let a = parse(
            "[login]\napprove = { text = \"Allow access\" }\ndeny = { selector = \"#no\" }\n\
             login_button = { text = \"Sign in\" }\n",
        )
        .unwrap();
        let LoginDriver::Form(form) = a.login else {
            panic!("form")
        };
        assert_eq!(form.approve, Control::Text("Allow access".into()));
        assert_eq!(form.deny, Control::Css("#no".into()));
        assert_eq!(form.login_button, Some(Control::Text("Sign in".into())));
        let e = parse("[login]\napprove = { name = \"x\" }\n")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("give `name` and `value`"), "{e}");
        let e = parse("[login]\ndeny = { selector = \"a[\" }\n")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("bad CSS selector"), "{e}");
    }

    #[test]
    fn bad_values_are_refused_with_the_field() {
        for (text, field) in [
            ("[http]\nrate_limit = 0\n", "rate_limit"),
            ("[http]\nrate_limit = 1e-300\n", "rate_limit"),
            ("[http]\nrate_limit = nan\n", "rate_limit"),
            ("[http]\ntimeout_secs = -1\n", "timeout_secs"),
            ("[http]\nretries = 99\n", "retries"),
            ("[http]\nca_cert = \"no-such.pem\"\n", "no-such.pem"),
            ("[login]\ndriver = \"telepathy\"\n", "telepathy"),
            ("[http]\nproxy = \"x\"\n", "proxy"),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(field), "{text}: {e}");
        }
    }
}
