//! The `manual` login driver, for login pages no driver can fill (CAPTCHAs, second factors):
//! the authorize URL is printed and a person signs in with a real browser. When the redirect
//! URI is on this machine (`http://127.0.0.1:PORT/...` or `localhost`) the driver listens on
//! it and takes the redirect itself; otherwise the person pastes the URL the browser was sent
//! to. Either way the wait is bounded, and the code is never printed.

use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use url::Url;

use super::login_form::LoginError;

/// Largest request head read from the browser on the loopback listener.
const MAX_HEAD: usize = 16 * 1024;
/// Pasted lines that are not the redirect before giving up.
const MAX_BAD_PASTES: usize = 3;

fn fail(message: String) -> LoginError {
    LoginError {
        step: 1,
        message,
        credentials_refused: false,
    }
}

/// Prints the authorize URL and waits (at most `wait`) for the redirect to `redirect_uri`.
pub async fn login(
    authorize_url: &str,
    redirect_uri: &str,
    wait: Duration,
) -> Result<Url, LoginError> {
    let redirect = Url::parse(redirect_uri).map_err(|e| fail(format!("bad redirect URI: {e}")))?;
    eprintln!("\nsmartcheck: sign the member in and approve, in a browser:\n  {authorize_url}\n");
    if let Some(port) = loopback_port(&redirect) {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
            fail(format!(
                "cannot listen on the redirect URI's port {port}: {e}"
            ))
        })?;
        eprintln!(
            "smartcheck: waiting up to {} s for the redirect to {redirect_uri}",
            wait.as_secs()
        );
        tokio::time::timeout(wait, accept_redirect(&listener, &redirect))
            .await
            .map_err(|_| {
                fail(format!(
                    "no redirect to {redirect_uri} within {} s",
                    wait.as_secs()
                ))
            })?
    } else {
        eprintln!(
            "smartcheck: then paste the address the browser was sent to (it starts with \
             {redirect_uri}) and press Enter; waiting up to {} s",
            wait.as_secs()
        );
        let mut stdin = BufReader::new(tokio::io::stdin());
        tokio::time::timeout(wait, read_pasted(&mut stdin, &redirect))
            .await
            .map_err(|_| fail(format!("nothing pasted within {} s", wait.as_secs())))?
    }
}

/// The port to listen on when the redirect URI is plain HTTP on this machine.
fn loopback_port(redirect: &Url) -> Option<u16> {
    let local = match redirect.host()? {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(_) => false,
    };
    (redirect.scheme() == "http" && local).then(|| redirect.port_or_known_default())?
}

/// Answers requests on the listener until one is for the redirect URI's path; returns the
/// full redirect URL. Other paths (a favicon) get 404 and the wait goes on.
async fn accept_redirect(listener: &TcpListener, redirect: &Url) -> Result<Url, LoginError> {
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|e| fail(format!("the redirect listener failed: {e}")))?;
        let mut head = Vec::new();
        let mut buf = [0u8; 2048];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let line = String::from_utf8_lossy(&head);
        let target = line
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("GET "))
            .and_then(|l| l.split(' ').next())
            .unwrap_or("");
        let got = redirect
            .join(target)
            .ok()
            .filter(|u| u.path() == redirect.path());
        let (status, text) = match got {
            Some(_) => (
                "200 OK",
                "smartcheck has the authorization response; this tab can be closed.\n",
            ),
            None => ("404 Not Found", "not the redirect URI\n"),
        };
        let answer = format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\n\
             cache-control: no-store\r\nconnection: close\r\n\r\n{text}",
            text.len()
        );
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
        if let Some(url) = got {
            return Ok(url);
        }
    }
}

/// Reads pasted lines until one is a URL on the redirect URI (at most [`MAX_BAD_PASTES`]
/// others).
async fn read_pasted(
    input: &mut (impl AsyncBufRead + Unpin),
    redirect: &Url,
) -> Result<Url, LoginError> {
    let mut bad = 0;
    loop {
        let mut line = String::new();
        let n = input
            .read_line(&mut line)
            .await
            .map_err(|e| fail(format!("cannot read the pasted address: {e}")))?;
        if n == 0 {
            return Err(fail("the input ended before an address was pasted".into()));
        }
        let pasted = line.trim();
        if pasted.is_empty() {
            continue;
        }
        match Url::parse(pasted) {
            Ok(u) if is_on(&u, redirect) => return Ok(u),
            _ => {
                bad += 1;
                // Never echo the line: it may hold a code meant for another client.
                eprintln!(
                    "smartcheck: that is not an address on {redirect}; paste the one the browser shows"
                );
                if bad == MAX_BAD_PASTES {
                    return Err(fail(format!(
                        "{MAX_BAD_PASTES} pasted lines were not the redirect"
                    )));
                }
            }
        }
    }
}

/// Same scheme, host, port and path as the redirect URI.
fn is_on(u: &Url, redirect: &Url) -> bool {
    u.scheme() == redirect.scheme()
        && u.host_str() == redirect.host_str()
        && u.port_or_known_default() == redirect.port_or_known_default()
        && u.path() == redirect.path()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_on_this_machine_is_listened_on() {
        let port = |u: &str| loopback_port(&Url::parse(u).unwrap());
        assert_eq!(port("http://127.0.0.1:8765/callback"), Some(8765));
        assert_eq!(port("http://localhost/cb"), Some(80));
        assert_eq!(port("https://127.0.0.1:8765/cb"), None);
        assert_eq!(port("https://client-app.com/redirect"), None);
    }

    #[tokio::test]
    async fn a_pasted_redirect_is_taken_and_other_lines_are_not() {
        let redirect = Url::parse("https://client-app.com/redirect").unwrap();
        let mut input: &[u8] = b"\nhello\nhttps://client-app.com/redirect?code=abc&state=s\n";
        let got = read_pasted(&mut input, &redirect).await.unwrap();
        assert_eq!(got.query(), Some("code=abc&state=s"));
        let mut junk: &[u8] =
            b"a\nb\nhttps://evil.example/redirect?code=x\nhttps://client-app.com/redirect?code=y\n";
        let e = read_pasted(&mut junk, &redirect).await.unwrap_err();
        assert!(!e.message.contains("code=x"), "{e}");
        let mut empty: &[u8] = b"";
        assert!(read_pasted(&mut empty, &redirect).await.is_err());
    }

    #[tokio::test]
    async fn the_loopback_listener_takes_the_redirect_after_other_requests() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let redirect = Url::parse(&format!("http://127.0.0.1:{port}/callback")).unwrap();
        let waiting = tokio::spawn(async move { accept_redirect(&listener, &redirect).await });
        let client = reqwest::Client::new();
        let favicon = client
            .get(format!("http://127.0.0.1:{port}/favicon.ico"))
            .send()
            .await
            .unwrap();
        assert_eq!(favicon.status(), 404);
        let done = client
            .get(format!(
                "http://127.0.0.1:{port}/callback?code=c0de&state=st"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 200);
        let url = waiting.await.unwrap().unwrap();
        assert_eq!(url.query(), Some("code=c0de&state=st"));
    }

    #[tokio::test]
    async fn the_wait_is_bounded() {
        let e = login(
            "http://127.0.0.1:9/authorize",
            "http://127.0.0.1:0/callback",
            Duration::from_millis(200),
        )
        .await
        .unwrap_err();
        assert!(
            e.message.contains("no redirect") || e.message.contains("cannot listen"),
            "{e}"
        );
    }
}
