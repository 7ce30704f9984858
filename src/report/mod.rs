//! The results model every reporter reads (HTML, JSON, JUnit and console writers come with
//! the engine, issue 3).

pub mod model;
