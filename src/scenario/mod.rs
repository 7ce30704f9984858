//! Scenario files (`scenarios/*.toml`): the model and the loader, and the engine that runs
//! their cases against a target.

pub mod engine;
pub mod model;
