//! The baseline of `scripts/bench-reference-server.sh`: a trivial axum handler on the same
//! runtime settings as the reference server, so the Patient read figure has a yardstick.

use axum::Router;
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    let app = Router::new().route("/", get(|| async { "ok" }));
    axum::serve(listener, app).await
}
