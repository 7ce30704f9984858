//! Scenario files and the engine that runs them.

pub mod audit;
mod builtin;
pub mod engine;
pub mod model;
pub mod mutations;
pub mod parse;
pub mod pkce;
mod steps;
pub mod vars;

pub use builtin::builtin;
