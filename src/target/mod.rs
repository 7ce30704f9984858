//! Targets: the bundled reference server (the default) and remote targets described by a
//! profile file; both end up as the variables the scenarios use.

pub mod access;
pub mod auth_profiles;
pub mod client_auth_profile;
pub mod discovery;
pub mod needs;
pub mod portal_profile;
pub mod prepare;
pub mod profile;
pub mod profile_clients;
pub mod reference;
