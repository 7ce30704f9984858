//! A load run's outputs: `load.json` and `latency.html` in the output folder, and the
//! summary printed at the end (per endpoint, then the threshold verdicts).

use std::path::Path;

use super::latency_html;
use super::model::LoadReport;
use crate::report::ReportError;

/// Writes `load.json` and `latency.html` into `out` (created if needed).
pub fn write(out: &Path, report: &LoadReport) -> Result<(), ReportError> {
    let json = serde_json::to_string_pretty(report)?;
    let html = latency_html::render(report)?;
    crate::report::write_files(out, &[("load.json", json), ("latency.html", html)])
}

/// The end-of-run summary on stdout.
pub fn print_summary(report: &LoadReport, out: &Path) {
    use std::io::Write;
    // A closed stdout (`| head`) must not panic the run after its reports are written.
    let _ = writeln!(
        std::io::stdout(),
        "{}reports: {} and {}",
        summary(report),
        out.join("latency.html").display(),
        out.join("load.json").display()
    );
}

/// The summary as text: one line per endpoint and the total, then the verdicts.
pub fn summary(report: &LoadReport) -> String {
    let corrected = report.total.corrected.is_some();
    let mut s = format!(
        "{} requests in {:.1} s ({:.1} req/s), {} failed, stopped by {}{}\n",
        report.total.requests,
        report.elapsed_secs,
        report.total.rps,
        report.total.failures,
        report.stopped_by,
        if report.dropped > 0 {
            format!(", {} arrivals dropped", report.dropped)
        } else {
            String::new()
        }
    );
    s.push_str(&format!(
        "{:<34} {:>8} {:>7} {:>9} {:>9} {:>9} {:>9}   ({})\n",
        "endpoint",
        "requests",
        "failed",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        if corrected {
            "corrected: from the intended send time"
        } else {
            "raw: from the send"
        }
    ));
    for e in report.endpoints.iter().chain([&report.total]) {
        let p = e.corrected.unwrap_or(e.raw);
        s.push_str(&format!(
            "{:<34} {:>8} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>9.2}\n",
            truncate(&e.name, 34),
            e.requests,
            e.failures,
            p.p50,
            p.p95,
            p.p99,
            p.max
        ));
    }
    for v in &report.thresholds {
        let measured = v
            .measured
            .map_or("no requests".to_string(), |m| format!("{m:.2} {}", v.unit));
        s.push_str(&format!(
            "threshold {}: {} (measured {measured})\n",
            v.rule,
            if v.passed { "pass" } else { "FAIL" }
        ));
    }
    s
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let cut: String = text.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}
