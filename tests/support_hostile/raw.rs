//! The raw TCP side of the hostile server, for what an HTTP framework will not do: reset a
//! connection, stop half-way through a response, send a body that never ends or trickles.
//! One request per connection. The SMART configuration of a mode is answered properly (its
//! endpoints on the axum server, under the same mode, where login and token work), except in
//! `config-reset`.
//!
//! | mode | behaviour of every other request |
//! |---|---|
//! | `reset` | `metadata`: reset (RST); `$everything`: half a response, then close; anything else: close without answering |
//! | `config-reset`, `rst` | reset, the SMART configuration too |
//! | `close` | close without answering |
//! | `half` | headers announcing 1000 bytes, 21 of them, then close |
//! | `endless` | 200 with a close-delimited body that never ends |
//! | `drip` | 200 announcing 1 000 000 bytes, then one byte every 50 ms |
//! | `slow-head` | nothing for 60 s |

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{Log, smart_configuration};

/// Accepts connections for ever, each on its own task.
pub async fn serve(listener: TcpListener, api_root: String, log: Log) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(connection(stream, api_root.clone(), log.clone()));
    }
}

/// What to do with a request.
enum Act {
    Configuration,
    Reset,
    Close,
    Half,
    Endless,
    Drip,
    SlowHead,
}

fn act(mode: &str, rest: &str) -> Act {
    let configuration = rest == "/fhir/.well-known/smart-configuration";
    match mode {
        "config-reset" | "rst" => Act::Reset,
        _ if configuration => Act::Configuration,
        "reset" if rest == "/fhir/metadata" => Act::Reset,
        "reset" if rest.contains("$everything") => Act::Half,
        "half" => Act::Half,
        "endless" => Act::Endless,
        "drip" => Act::Drip,
        "slow-head" => Act::SlowHead,
        _ => Act::Close,
    }
}

async fn connection(mut stream: TcpStream, api_root: String, log: Log) {
    let Some((method, path)) = read_head(&mut stream).await else {
        return;
    };
    log.record(&method, &path);
    let (mode, rest) = path
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .map(|(m, r)| (m.to_string(), format!("/{r}")))
        .unwrap_or_default();
    match act(&mode, &rest) {
        Act::Configuration => {
            let body = smart_configuration(&api_root, &mode).to_string();
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Act::Reset => {
            // SO_LINGER 0: closing sends RST instead of FIN.
            let _ = stream.set_zero_linger();
            drop(stream);
        }
        Act::Close => drop(stream),
        Act::Half => {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/fhir+json\r\n\
                      content-length: 1000\r\n\r\n{\"resourceType\":\"Bun",
                )
                .await;
            let _ = stream.flush().await;
            drop(stream);
        }
        Act::Endless => {
            let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/fhir+json\r\n\
                         connection: close\r\n\r\n";
            if stream.write_all(head).await.is_err() {
                return;
            }
            let chunk = vec![b' '; 64 * 1024];
            // Until the client hangs up (or 1 GiB, should it never).
            for _ in 0..16 * 1024 {
                if stream.write_all(&chunk).await.is_err() {
                    return;
                }
            }
        }
        Act::Drip => {
            let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/fhir+json\r\n\
                         content-length: 1000000\r\n\r\n";
            if stream.write_all(head).await.is_err() {
                return;
            }
            for _ in 0..1200 {
                if stream.write_all(b" ").await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Act::SlowHead => tokio::time::sleep(Duration::from_secs(60)).await,
    }
}

/// Reads the request head; returns the method and the path without its query.
async fn read_head(stream: &mut TcpStream) -> Option<(String, String)> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > 64 * 1024 {
            return None;
        }
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut first = text.lines().next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?;
    let path = target.split('?').next()?.to_string();
    Some((method, path))
}
