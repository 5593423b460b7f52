//! `[tls] cert, key`: both listeners over TLS (rustls with ring).
//!
//! gRPC gets tonic's `ServerTlsConfig`; the web listener gets a
//! [`TlsListener`] for `axum::serve`, which does its handshakes beside the
//! accept loop so that one slow or plaintext client holds up nobody.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tonic::transport::{Identity, ServerTlsConfig};

/// A client gets this long to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// `[tls]`: PEM files of the server's certificate chain and private key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("tls: cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("tls: {path} holds no PEM certificate")]
    NoCertificate { path: String },
    #[error("tls: {path} holds no PEM private key: {reason}")]
    NoKey { path: String, reason: String },
    #[error("tls: the certificate and key cannot be used: {0}")]
    Unusable(String),
}

/// The loaded certificate and key, for both listeners.
#[derive(Clone)]
pub struct ServerTls {
    /// For gRPC.
    pub grpc: ServerTlsConfig,
    /// For the web listener.
    pub web: TlsAcceptor,
}

impl TlsConfig {
    /// Reads and checks the files (a bad file is a startup error, not a
    /// failure at the first connection).
    pub fn load(&self) -> Result<ServerTls, TlsError> {
        let cert_pem = read(&self.cert)?;
        let key_pem = read(&self.key)?;
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
            .filter_map(Result::ok)
            .collect();
        if certs.is_empty() {
            return Err(TlsError::NoCertificate {
                path: self.cert.display().to_string(),
            });
        }
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::NoKey {
            path: self.key.display().to_string(),
            reason: e.to_string(),
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Unusable(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| TlsError::Unusable(e.to_string()))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(ServerTls {
            grpc: ServerTlsConfig::new().identity(Identity::from_pem(cert_pem, key_pem)),
            web: TlsAcceptor::from(Arc::new(config)),
        })
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// Handshakes in progress at most; each also has its own timeout.
const MAX_PENDING_HANDSHAKES: usize = 256;

/// A listener of finished TLS connections for `axum::serve`.
pub struct TlsListener {
    connections: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Accepts on `listener` and handshakes in the background until this
    /// listener is dropped (when the web server stops).
    pub fn new(listener: TcpListener, acceptor: TlsAcceptor) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let (sender, connections) = mpsc::channel(16);
        crate::tasks::spawn(
            "tls-accept",
            tracing::info_span!("tls-accept", %local),
            accept_loop(listener, acceptor, sender),
        );
        Ok(Self { connections, local })
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    sender: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) -> Result<(), std::convert::Infallible> {
    let mut handshakes = JoinSet::new();
    loop {
        tokio::select! {
            () = sender.closed() => return Ok(()),
            // Past the cap, new connections wait in the kernel's backlog:
            // a flood of slow handshakes cannot pile up tasks here.
            accepted = listener.accept(), if handshakes.len() < MAX_PENDING_HANDSHAKES => match accepted {
                Ok((stream, peer)) => {
                    let acceptor = acceptor.clone();
                    handshakes.spawn(async move {
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                            Ok(Ok(tls)) => Some((tls, peer)),
                            Ok(Err(e)) => {
                                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                None
                            }
                            Err(_) => {
                                tracing::debug!(%peer, "TLS handshake timed out");
                                None
                            }
                        }
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!(error = %e, "accepting a web connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(done) = handshakes.join_next() => {
                if let Ok(Some(connection)) = done
                    && sender.send(connection).await.is_err()
                {
                    return Ok(());
                }
            }
        }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.connections.recv().await {
            Some(connection) => connection,
            // The accept loop only ends once this listener is gone.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
