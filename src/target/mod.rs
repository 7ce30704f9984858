//! Targets: the bundled reference server, the default.

pub mod reference;
