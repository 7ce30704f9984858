//! SMART building blocks the scenarios are made of. So far: the form login driver.

pub mod login_form;
