//! `smartcheck load`: SMART traffic from a load profile against a target, with goose users
//! (closed model) or a fixed arrival rate (open model), measured into mergeable histograms
//! and written as `load.json` and `latency.html`.

pub mod closed;
pub mod command;
pub mod error;
pub mod histogram;
pub mod latency_html;
pub mod merge;
pub mod model;
pub mod open;
pub mod output;
pub mod pool;
pub mod profile;
pub mod recorder;
pub mod svg;
pub mod target;
pub mod threshold;
pub mod traffic;
