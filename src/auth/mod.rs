//! Who may talk to the service: the API key and TLS.
//!
//! With `api_key` set, every gRPC call but `grpc.health.v1` and reflection
//! carries the key ([`grpc`]), and the web listener asks for it in a header
//! or a login cookie ([`web`]). `[tls]` puts both listeners behind TLS
//! ([`tls`]). [`exposure`] keeps `serve` from opening a non-loopback port
//! without a key, [`origin`] keeps other sites' pages (DNS rebinding, forms
//! posted from elsewhere) away from the web page, and [`client`] is the
//! command line's side of all this.
//!
//! The key is compared in constant time and never logged: it lives in a
//! `SecretString` in the configuration and only as HMAC material here.

pub mod client;
pub mod exposure;
pub mod grpc;
mod key;
pub mod origin;
pub mod tls;
pub mod web;

pub use key::{ApiKey, KeyError, generate_api_key, validate_key_text};
pub use tls::TlsConfig;

/// How a client sends the key, for every refusal (gRPC and web alike).
pub const HOW_TO_SEND: &str = "send it as `authorization: Bearer <key>` or `x-api-key: <key>` \
     (the musicagg command line: --api-key or $MUSICAGG_API_KEY)";

/// The key a request presents: `x-api-key`, else an `authorization` header
/// with the `Bearer` scheme (any case). Works on raw header bytes so that
/// gRPC metadata and HTTP headers share it.
pub(crate) fn presented<'a>(
    x_api_key: Option<&'a [u8]>,
    authorization: Option<&'a [u8]>,
) -> Option<&'a [u8]> {
    if let Some(key) = x_api_key {
        return Some(trim(key));
    }
    let value = trim(authorization?);
    let scheme = value.get(..7)?;
    scheme
        .eq_ignore_ascii_case(b"bearer ")
        .then(|| trim(&value[7..]))
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::presented;

    #[test]
    fn both_header_forms_are_read() {
        assert_eq!(presented(Some(b"k1"), None), Some(&b"k1"[..]));
        assert_eq!(presented(None, Some(b"Bearer k2")), Some(&b"k2"[..]));
        assert_eq!(presented(None, Some(b"bearer  k3 ")), Some(&b"k3"[..]));
        assert_eq!(presented(None, Some(b"Basic a2V5")), None);
        assert_eq!(presented(None, Some(b"Bear")), None);
        assert_eq!(presented(None, None), None);
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail closures return figment::Error
    fn the_keys_are_read_from_the_file_and_the_environment() {
        use crate::config::Config;
        use secrecy::ExposeSecret;
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "musicagg.toml",
                "allow_unauthenticated = true\n[tls]\ncert = \"/etc/c.pem\"\nkey = \"/etc/k.pem\"\n",
            )?;
            jail.set_env("MUSICAGG_API_KEY", "from-the-environment-0123");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(
                config
                    .api_key
                    .as_ref()
                    .map(|k| k.expose_secret().to_owned()),
                Some("from-the-environment-0123".to_owned())
            );
            assert!(config.allow_unauthenticated);
            let tls = config.tls.as_ref().expect("[tls]");
            assert_eq!(tls.cert.to_str(), Some("/etc/c.pem"));
            assert!(
                !format!("{config:?}").contains("from-the-environment"),
                "the key is never printed"
            );

            // A key too short is refused, and the message does not show it.
            jail.set_env("MUSICAGG_API_KEY", "tiny-key");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("api_key"), "{error}");
            assert!(!error.contains("tiny-key"), "{error}");
            Ok(())
        });
    }
}
