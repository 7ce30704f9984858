//! The results model every reporter reads, and one module per format.

pub mod html;
pub mod json;
pub mod junit;
pub mod model;
