//! A target behind TLS with a private CA: refused with the platform's roots alone, reached
//! once the profile's `ca_cert` is trusted too. The CA and the server certificate are made
//! here with the `openssl` command (Debian's, present wherever `ca-certificates` is).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use smartcheck::http::Session;
use smartcheck::http_policy::HttpPolicy;
use smartcheck::transcript::redact::Redactor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("the openssl command (Debian package openssl)");
    assert!(status.success(), "openssl {args:?}");
}

/// A CA, and a certificate for 127.0.0.1 signed by it.
fn make_certificates(dir: &Path) {
    std::fs::write(dir.join("san.ext"), "subjectAltName = IP:127.0.0.1\n").unwrap();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=smartcheck test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ],
    );
}

/// A TLS server answering every request `200 ok`.
async fn serve_tls(dir: &Path) -> u16 {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn a_private_ca_is_trusted_only_when_the_profile_gives_it() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tls-ca-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    make_certificates(&dir);
    let port = serve_tls(&dir).await;
    let url = format!("https://127.0.0.1:{port}/fhir/metadata");

    let mut platform_only = Session::new(Redactor::default()).unwrap();
    let refused = platform_only
        .fetch(platform_only.client().get(&url))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().to_lowercase().contains("certificate"),
        "{refused}"
    );

    let policy = HttpPolicy {
        extra_roots: HttpPolicy::load_roots(&dir.join("ca.pem")).unwrap(),
        ..HttpPolicy::default()
    };
    let mut with_ca = Session::with_policy(Redactor::default(), &policy).unwrap();
    let fetched = with_ca.fetch(with_ca.client().get(&url)).await.unwrap();
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body, b"ok\n");

    // Not a certificate: a clear error naming the file.
    std::fs::write(dir.join("junk.pem"), "not a certificate").unwrap();
    let e = HttpPolicy::load_roots(&dir.join("junk.pem")).unwrap_err();
    assert!(e.to_string().contains("junk.pem"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
