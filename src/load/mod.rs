//! Load testing (issue 4, in progress): latency histograms in a mergeable form so far.

pub mod histogram;
