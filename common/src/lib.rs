//! Small pieces both the harness and the reference server use, owned by neither: HTML
//! escaping (the server's pages, the harness's reports), a sleep precise to microseconds (the
//! server's injected delays, the load generator's send times) and FHIR date and time
//! arithmetic (the server's searches, the reports' clocks).

pub mod fhirtime;
pub mod html;
pub mod timing;
