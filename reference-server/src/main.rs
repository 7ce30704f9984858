//! `reference-server`: parse flags, start, print where it listens, run until Ctrl-C.

use clap::Parser;
use reference_server::Config;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = Config::parse();
    let server = match reference_server::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("reference-server: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let urls = &server.state.urls;
    println!("reference-server listening on {}", server.addr);
    println!("  home page:          {}/", urls.root);
    println!("  Patient Access:     {}", urls.patient_access);
    println!("  Provider Directory: {}", urls.provider_directory);
    println!("  SMART discovery:    {}/.well-known/smart-configuration", urls.patient_access);
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    std::process::ExitCode::SUCCESS
}
