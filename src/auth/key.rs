//! The API key: validated once, then only kept as HMAC material so that a
//! check takes the same time whatever was sent (`ring::hmac::verify` compares
//! tags in constant time, and the tags have one length whatever the input's).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

/// The shortest key accepted: shorter ones are guessable.
const MIN_LEN: usize = 16;

/// What the web login cookie signs (with the key as the HMAC key).
const SESSION_CONTEXT: &[u8] = b"musicagg web session v1";

/// The configured key, ready to check what clients present.
pub struct ApiKey {
    /// A random per-process key: presented keys and cookies are compared by
    /// their HMAC tags under it, never byte by byte.
    verifier: hmac::Key,
    expected_key: hmac::Tag,
    expected_session: hmac::Tag,
    /// The login cookie's value: an HMAC of a fixed text under the API key,
    /// so the cookie is not the key, and changes when the key does.
    session: String,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(not shown)")
    }
}

/// A key that cannot be used; the message never carries it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error(
        "api_key must be at least {MIN_LEN} characters (make one with `musicagg generate-api-key`)"
    )]
    TooShort,
    #[error(
        "api_key may only hold visible ASCII characters, no spaces (it is sent in a header; \
         make one with `musicagg generate-api-key`)"
    )]
    NotHeaderText,
    #[error("the system's random number generator failed")]
    Random,
}

/// Checks that `key` can be a key: long enough and sendable in a header.
pub fn validate_key_text(key: &str) -> Result<(), KeyError> {
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(KeyError::NotHeaderText);
    }
    if key.len() < MIN_LEN {
        return Err(KeyError::TooShort);
    }
    Ok(())
}

/// A fresh key: 32 bytes from the operating system, as URL-safe base64
/// (43 characters).
pub fn generate_api_key() -> Result<String, KeyError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| KeyError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

impl ApiKey {
    pub fn new(key: &str) -> Result<Self, KeyError> {
        validate_key_text(key)?;
        let verifier = hmac::Key::generate(hmac::HMAC_SHA256, &SystemRandom::new())
            .map_err(|_| KeyError::Random)?;
        let session_tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes()),
            SESSION_CONTEXT,
        );
        let session = URL_SAFE_NO_PAD.encode(session_tag.as_ref());
        Ok(Self {
            expected_key: hmac::sign(&verifier, key.as_bytes()),
            expected_session: hmac::sign(&verifier, session.as_bytes()),
            verifier,
            session,
        })
    }

    /// Is `presented` the key? Constant time in the key and the input.
    pub fn matches(&self, presented: &[u8]) -> bool {
        hmac::verify(&self.verifier, presented, self.expected_key.as_ref()).is_ok()
    }

    /// Is `cookie` the login cookie's value? Constant time as well.
    pub fn session_matches(&self, cookie: &[u8]) -> bool {
        hmac::verify(&self.verifier, cookie, self.expected_session.as_ref()).is_ok()
    }

    /// The login cookie's value (not the key).
    pub fn session_value(&self) -> &str {
        &self.session
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef-key";

    #[test]
    fn only_the_key_matches() {
        let key = ApiKey::new(KEY).unwrap();
        assert!(key.matches(KEY.as_bytes()));
        assert!(!key.matches(b"0123456789abcdef-kez"));
        assert!(!key.matches(b""));
        assert!(!key.matches(format!("{KEY}x").as_bytes()));
        assert_eq!(format!("{key:?}"), "ApiKey(not shown)");
    }

    #[test]
    fn the_session_cookie_is_not_the_key_and_is_stable() {
        let key = ApiKey::new(KEY).unwrap();
        assert_ne!(key.session_value(), KEY);
        assert!(!key.session_value().contains(KEY));
        assert!(key.session_matches(key.session_value().as_bytes()));
        assert!(!key.session_matches(KEY.as_bytes()));
        // Same key, another process: the same cookie still works.
        let again = ApiKey::new(KEY).unwrap();
        assert_eq!(again.session_value(), key.session_value());
        let other = ApiKey::new("another-key-0123456789").unwrap();
        assert!(!other.session_matches(key.session_value().as_bytes()));
    }

    #[test]
    fn bad_keys_are_refused_without_showing_them() {
        assert_eq!(validate_key_text("short"), Err(KeyError::TooShort));
        assert_eq!(
            validate_key_text("has a space in it, long enough"),
            Err(KeyError::NotHeaderText)
        );
        assert_eq!(
            validate_key_text("ünïcode-key-long-enough"),
            Err(KeyError::NotHeaderText)
        );
        let message = KeyError::TooShort.to_string();
        assert!(!message.contains("short\""), "{message}");
    }

    #[test]
    fn generated_keys_are_long_random_and_url_safe() {
        let a = generate_api_key().unwrap();
        let b = generate_api_key().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert!(ApiKey::new(&a).is_ok());
    }
}
