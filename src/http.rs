//! The HTTP client set-up every outbound adapter shares (MusicBrainz,
//! Torznab, download links, qBittorrent).
//!
//! reqwest is built without a bundled TLS crypto provider; this module
//! installs rustls' ring provider (the one sqlx already builds) once per
//! process before any client is made, so HTTPS works without the slow
//! aws-lc-rs C build.

use std::sync::Once;
use std::time::Duration;

static PROVIDER: Once = Once::new();

/// A client builder with our defaults: a User-Agent, timeouts, and no
/// automatic redirects when `follow_redirects` is false (download links are
/// followed by hand, because a `Location: magnet:` must end the chain, not
/// fail it).
pub fn client_builder(
    user_agent: &str,
    timeout: Duration,
    follow_redirects: bool,
) -> reqwest::ClientBuilder {
    PROVIDER.call_once(|| {
        // An error only means another provider was installed first: fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    let redirects = if follow_redirects {
        reqwest::redirect::Policy::limited(5)
    } else {
        reqwest::redirect::Policy::none()
    };
    reqwest::Client::builder()
        .user_agent(user_agent)
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(redirects)
}

/// Our User-Agent, e.g. `musicagg/0.1.0 ( https://github.com/musicagg )`.
pub fn default_user_agent(contact: Option<&str>) -> String {
    format!(
        "musicagg/{} ( {} )",
        env!("CARGO_PKG_VERSION"),
        contact.unwrap_or("musicagg@users.noreply.example")
    )
}

/// Reads a response body, refusing more than `limit` bytes (a hostile or
/// broken server cannot exhaust our memory).
pub async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(BodyError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("response body larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("reading the response body: {0}")]
    Transport(reqwest::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_agent_names_us_and_a_contact() {
        let ua = default_user_agent(Some("ops@example.org"));
        assert!(ua.starts_with("musicagg/"));
        assert!(ua.ends_with("( ops@example.org )"));
    }

    #[tokio::test]
    async fn bodies_over_the_cap_are_refused() {
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 2048]))
            .mount(&server)
            .await;
        let client = client_builder("test", Duration::from_secs(5), false)
            .build()
            .unwrap();
        let response = client.get(server.uri()).send().await.unwrap();
        assert!(matches!(
            read_capped(response, 1024).await,
            Err(BodyError::TooLarge { .. })
        ));
        let response = client.get(server.uri()).send().await.unwrap();
        assert_eq!(read_capped(response, 4096).await.unwrap().len(), 2048);
    }
}
