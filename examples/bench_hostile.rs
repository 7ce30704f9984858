//! What a hostile target costs the harness (scripts/bench-hostile.sh runs this, release):
//! parsing a deeply nested login page (ours against html5ever's own tree builder, which
//! scraper uses), and redacting a large body with thousands of known secrets (the automaton
//! against replacing one secret at a time, the redactor before issue 13).
//! Prints one line per measurement: name, median seconds over ROUNDS rounds.

use std::time::Instant;

use smartcheck::flow::html_page::parse_page;
use smartcheck::transcript::redact::Redactor;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn time(rounds: usize, mut f: impl FnMut()) -> f64 {
    median(
        (0..rounds)
            .map(|_| {
                let started = Instant::now();
                f();
                started.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn main() {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    for depth in [20_000, 80_000] {
        let page = format!(
            "<html><body><form action=/login>{}<input name=username><input name=password></form>",
            "<div>".repeat(depth)
        );
        let ours = time(rounds, || {
            std::hint::black_box(parse_page(&page));
        });
        let html5ever = time(rounds, || {
            std::hint::black_box(scraper::Html::parse_document(&page));
        });
        println!(
            "login page, {depth} nested divs ({} KB): parse_page {ours:.4} s, html5ever tree builder {html5ever:.4} s ({:.0}x)",
            page.len() / 1024,
            html5ever / ours
        );
    }
    let secrets: Vec<String> = (0..3_000)
        .map(|i| format!("token-{i:05}-{}", i * 7919))
        .collect();
    let mut redactor = Redactor::default();
    for s in &secrets {
        redactor.add(s);
    }
    // FHIR-like text full of near misses ("token-" starts every secret).
    let filler = r#"{"resourceType":"Observation","status":"final","code":{"text":"token-00001-7 near token-0"}},"#;
    let body = format!(
        "{}{}",
        filler.repeat(2 * 1024 * 1024 / filler.len()),
        secrets[2_999]
    );
    redactor.text("warm the automaton");
    let ours = time(rounds, || {
        std::hint::black_box(redactor.text(&body));
    });
    // The redactor before: a scan (and a form-encoding) per secret.
    let one_at_a_time = time(rounds, || {
        let mut out = body.clone();
        for s in &secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "[redacted]");
            }
            let encoded: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            if encoded != *s && out.contains(encoded.as_str()) {
                out = out.replace(encoded.as_str(), "[redacted]");
            }
        }
        std::hint::black_box(out);
    });
    println!(
        "redact 2 MiB with 3,000 secrets: automaton {ours:.4} s, one secret at a time {one_at_a_time:.4} s ({:.0}x)",
        one_at_a_time / ours
    );
}
