//! `serve` refuses to open a port other machines can reach without a key:
//! anyone reaching it could start grabs and cancel runs. Loopback addresses
//! are fine (only this machine), and `allow_unauthenticated = true` is the
//! explicit way to accept the risk (e.g. behind an authenticating proxy).

use std::net::SocketAddr;

use crate::config::Config;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "{key} {addr} can be reached from other machines and no api_key is set: set one with \
     `api_key = \"…\"` in the configuration or the MUSICAGG_API_KEY environment variable \
     (make one with `musicagg generate-api-key`), or set allow_unauthenticated = true to serve \
     without one"
)]
pub struct Exposed {
    key: &'static str,
    addr: SocketAddr,
}

/// Fails when a listener is on a non-loopback address with no key and no
/// explicit `allow_unauthenticated`.
pub fn check(config: &Config) -> Result<(), Exposed> {
    if config.api_key.is_some() || config.allow_unauthenticated {
        return Ok(());
    }
    let listeners = [
        ("listen", Some(config.listen)),
        ("http_listen", config.http_listen),
    ];
    for (key, addr) in listeners {
        if let Some(addr) = addr
            && !addr.ip().is_loopback()
        {
            return Err(Exposed { key, addr });
        }
    }
    Ok(())
}

/// A key sent in plaintext to another machine can be read on the way: said
/// at start-up (not refused: a TLS-terminating proxy may sit in front).
pub fn plaintext_warning(config: &Config) -> Option<String> {
    if config.api_key.is_none() || config.tls.is_some() {
        return None;
    }
    let public: Vec<String> = [
        ("listen", Some(config.listen)),
        ("http_listen", config.http_listen),
    ]
    .into_iter()
    .filter_map(|(key, addr)| {
        addr.filter(|a| !a.ip().is_loopback())
            .map(|a| format!("{key} {a}"))
    })
    .collect();
    (!public.is_empty()).then(|| {
        format!(
            "{} without [tls]: the API key crosses the network in plaintext (set [tls] cert and key)",
            public.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_listeners_may_go_without_a_key() {
        let mut config = Config::default();
        assert_eq!(check(&config), Ok(()), "the defaults are loopback");
        config.listen = "0.0.0.0:50051".parse().unwrap();
        let refused = check(&config).unwrap_err();
        let message = refused.to_string();
        assert!(message.contains("listen 0.0.0.0:50051"), "{message}");
        for how in ["api_key", "MUSICAGG_API_KEY", "generate-api-key"] {
            assert!(message.contains(how), "{message}");
        }
        config.allow_unauthenticated = true;
        assert_eq!(check(&config), Ok(()));

        let mut config = Config {
            http_listen: Some("[::]:8686".parse().unwrap()),
            ..Config::default()
        };
        assert!(
            check(&config)
                .unwrap_err()
                .to_string()
                .contains("http_listen")
        );
        config.http_listen = Some("[::1]:8686".parse().unwrap());
        assert_eq!(check(&config), Ok(()));
        config.listen = "192.168.1.2:50051".parse().unwrap();
        config.api_key = Some("0123456789abcdef".to_owned().into());
        assert_eq!(check(&config), Ok(()));
        let warning = plaintext_warning(&config).expect("a warning");
        assert!(warning.contains("listen 192.168.1.2:50051"), "{warning}");
        assert!(!warning.contains("0123456789abcdef"), "{warning}");
        config.tls = Some(crate::auth::TlsConfig {
            cert: "c.pem".into(),
            key: "k.pem".into(),
        });
        assert_eq!(plaintext_warning(&config), None);
    }
}
