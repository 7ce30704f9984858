//! The results model every reporter reads, one module per format, and the redaction every
//! transcript goes through.

pub mod html;
pub mod json;
pub mod junit;
pub mod model;
pub mod redact;
