//! Scenario files and the engine that runs them.

pub mod engine;
pub mod model;
pub mod mutations;
mod steps;
pub mod vars;
