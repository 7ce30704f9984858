//! SMART building blocks the scenarios are made of: the form login driver and the
//! `$everything` walk.

pub mod everything;
pub mod login_form;
