//! SMART building blocks the scenarios are made of: the form login driver, the
//! `$everything` walk and the id_token inspection.

pub mod everything;
pub mod id_token;
#[cfg(feature = "browser")]
pub mod login_browser;
pub mod login_form;
#[cfg(feature = "browser")]
pub mod webdriver;
