//! Benchmark driver for `scripts/bench-reference-server.sh`, run against a reference server
//! in another process. Reuses the integration tests' member flow (real login and consent).
//!
//! ```text
//! bench_client token <root>                      # prints a Patient Access token (member 1)
//! bench_client exchange <root> <codes> <conc>    # mints codes, then times their exchange
//! ```

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use reference_server::urls::Urls;
use serde_json::json;
use support::*;

#[tokio::main]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("token") if args.len() == 3 => {
            let urls = Urls::new(&args[2]);
            let t = member_tokens(&urls, MEMBER1).await;
            // Printed on purpose: the benchmark script hands this sandbox token to wrk.
            println!("{}", t["access_token"].as_str().ok_or("no access_token")?);
            Ok(())
        }
        Some("exchange") if args.len() == 5 => {
            let urls = Urls::new(&args[2]);
            let n: usize = args[3].parse().map_err(|_| "codes must be a number")?;
            let conc: usize = args[4]
                .parse()
                .map_err(|_| "concurrency must be a number")?;
            exchange(urls, n, conc).await
        }
        _ => Err("usage: bench_client token <root> | exchange <root> <codes> <concurrency>".into()),
    }
}

/// Mints `n` codes through the member flow, then exchanges them with `conc` workers and
/// prints the exchange rate (each exchange signs an RS256 id_token).
async fn exchange(urls: Urls, n: usize, conc: usize) -> Result<(), String> {
    let urls = std::sync::Arc::new(urls);
    let mut codes = Vec::with_capacity(n);
    let mut minting = tokio::task::JoinSet::new();
    for chunk in 0..conc {
        let urls = urls.clone();
        let share = n / conc + usize::from(chunk < n % conc);
        minting.spawn(async move {
            let mut out = Vec::with_capacity(share);
            for _ in 0..share {
                out.push(code_for(&*urls, &[], PA_CLIENT, REDIRECT).await);
            }
            out
        });
    }
    while let Some(r) = minting.join_next().await {
        codes.extend(r.map_err(|e| e.to_string())?);
    }
    let client = http();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(codes));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..conc {
        let (queue, client, token_url) = (queue.clone(), client.clone(), urls.token.clone());
        workers.spawn(async move {
            let mut ok = 0usize;
            while let Some(code) = queue.lock().ok().and_then(|mut q| q.pop()) {
                let res = client
                    .post(&token_url)
                    .basic_auth(PA_CLIENT, Some(PA_SECRET))
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", &code),
                        ("redirect_uri", REDIRECT),
                    ])
                    .send()
                    .await;
                if let Ok(r) = res
                    && r.status() == 200
                    && r.bytes().await.is_ok()
                {
                    ok += 1;
                }
            }
            ok
        });
    }
    let mut ok = 0;
    while let Some(r) = workers.join_next().await {
        ok += r.map_err(|e| e.to_string())?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({ "codes": n, "exchanged": ok, "seconds": secs, "per_second": ok as f64 / secs })
    );
    if ok != n {
        return Err(format!("only {ok} of {n} exchanges succeeded"));
    }
    Ok(())
}
