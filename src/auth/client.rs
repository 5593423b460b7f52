//! The command line's side: the key in every call's metadata, and the
//! channel to an `http://` or `https://` server (`--ca-cert` for a private
//! certificate authority, the public roots otherwise).

use std::path::Path;

use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::service::Interceptor;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};
use tonic::{Request, Status};

/// Adds `authorization: Bearer <key>` to every call when a key is given.
#[derive(Clone, Debug, Default)]
pub struct SendKey {
    header: Option<AsciiMetadataValue>,
}

/// Why a client could not be set up; the message never carries the key.
#[derive(Debug, thiserror::Error)]
pub enum ClientSetupError {
    #[error("--api-key may only hold visible ASCII characters (its value is not shown)")]
    BadKey,
    #[error("--server {0:?} is not a URL: {1}")]
    BadUrl(String, String),
    #[error("--ca-cert is for https:// servers; {0:?} is not one")]
    CaCertWithoutHttps(String),
    #[error("cannot read the CA certificate {path}: {reason}")]
    CaCert { path: String, reason: String },
    #[error("TLS set-up for {0}: {1}")]
    Tls(String, String),
}

impl SendKey {
    pub fn new(key: Option<&str>) -> Result<Self, ClientSetupError> {
        let header = match key.map(str::trim).filter(|k| !k.is_empty()) {
            None => None,
            Some(key) => {
                let mut value: AsciiMetadataValue =
                    MetadataValue::try_from(format!("Bearer {key}"))
                        .map_err(|_| ClientSetupError::BadKey)?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        Ok(Self { header })
    }
}

impl Interceptor for SendKey {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(header) = &self.header {
            request
                .metadata_mut()
                .insert("authorization", header.clone());
        }
        Ok(request)
    }
}

/// The endpoint for `server`: TLS when it is `https://`, trusting only
/// `ca_cert` when given, the public roots otherwise.
pub fn endpoint(server: &str, ca_cert: Option<&Path>) -> Result<Endpoint, ClientSetupError> {
    let endpoint = Endpoint::from_shared(server.to_owned())
        .map_err(|e| ClientSetupError::BadUrl(server.to_owned(), e.to_string()))?;
    let https = server
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
    if !https {
        return match ca_cert {
            Some(_) => Err(ClientSetupError::CaCertWithoutHttps(server.to_owned())),
            None => Ok(endpoint),
        };
    }
    let tls = match ca_cert {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| ClientSetupError::CaCert {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem))
        }
        None => ClientTlsConfig::new().with_webpki_roots(),
    };
    endpoint
        .tls_config(tls)
        .map_err(|e| ClientSetupError::Tls(server.to_owned(), crate::cli::error_chain(&e)))
}
