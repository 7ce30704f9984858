//! The results model every reporter reads, and one module per format. (The HTML and console
//! writers come with the engine, issue 3.)

pub mod html;
pub mod json;
pub mod junit;
pub mod model;
