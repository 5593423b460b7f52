//! Cross-site request forgery: every state-changing request is a POST whose
//! form carries this process's random token in a hidden `csrf` field.
//!
//! Another site can make a browser send a form here, but cannot read our
//! pages, so it cannot know the token. A restart draws a new token: a form
//! from a page rendered before it is refused and the page says to reload.
//! GET never changes anything, so it needs no token.

use maud::{Markup, html};
use serde::Deserialize;

use super::error::WebError;

/// The per-process token.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// 122 random bits (a v4 UUID: the OS's random source).
    pub fn random() -> Self {
        Token(uuid::Uuid::new_v4().simple().to_string())
    }

    /// The hidden field every form includes.
    pub fn field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.0); }
    }

    /// [`WebError::Csrf`] unless `submitted` is this process's token: the
    /// first thing every POST handler does.
    pub fn check(&self, submitted: &str) -> Result<(), WebError> {
        if self.accepts(submitted) {
            Ok(())
        } else {
            Err(WebError::Csrf)
        }
    }

    /// Whether a submitted token is this process's (compared without an
    /// early exit, so timing tells nothing about how much matched).
    pub fn accepts(&self, submitted: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), submitted.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The form of a button that carries nothing but the token.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    pub csrf: String,
}

#[cfg(test)]
mod tests {
    use super::Token;

    #[test]
    fn only_the_same_token_is_accepted() {
        let token = Token::random();
        assert!(token.accepts(&token.0.clone()));
        assert!(!token.accepts(""));
        assert!(!token.accepts(&Token::random().0));
        assert!(!token.accepts(&token.0[1..]));
    }
}
