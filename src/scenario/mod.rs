//! Scenario files and the engine that runs them.

pub mod engine;
pub mod model;
mod steps;
pub mod vars;
