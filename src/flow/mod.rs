//! SMART building blocks the scenarios are made of: the login drivers (form, browser,
//! manual), the `$everything` walk, the id_token inspection and client assertions.

pub mod client_assertion;
pub mod everything;
pub mod framing;
pub mod html_page;
pub mod id_token;
#[cfg(feature = "browser")]
pub mod login_browser;
pub mod login_form;
pub mod login_manual;
pub mod page_control;
#[cfg(feature = "browser")]
pub mod webdriver;

use crate::http::Session;
use crate::target::access::LoginDriver;
use login_form::{Credentials, LoginError};

/// Signs `member` in with `driver`, from the authorize URL to the redirect that carries the
/// code (never fetched). The form driver sends through `session` (recorded, redacted).
pub async fn sign_in(
    driver: &LoginDriver,
    session: &mut Session,
    authorize_url: &str,
    redirect_uri: &str,
    member: &Credentials<'_>,
) -> Result<url::Url, LoginError> {
    match driver {
        LoginDriver::Form(settings) => {
            login_form::login(session, authorize_url, redirect_uri, member, settings).await
        }
        LoginDriver::Manual(wait) => login_manual::login(authorize_url, redirect_uri, *wait).await,
        #[cfg(feature = "browser")]
        LoginDriver::Browser(form, wait) => {
            let mut settings = login_browser::BrowserSettings::from_form(form);
            settings.timeout = *wait;
            login_browser::login(authorize_url, redirect_uri, member, &settings).await
        }
        #[cfg(not(feature = "browser"))]
        LoginDriver::Browser(..) => Err(LoginError {
            step: 0,
            message: "the browser login driver needs smartcheck built with `--features browser`"
                .into(),
            credentials_refused: false,
        }),
    }
}
