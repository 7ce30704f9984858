//! smartcheck: drives SMART-on-FHIR flows against a target, checks every documented rule
//! and load-tests the same flows. The bundled reference server is the default target.

pub mod serve;
