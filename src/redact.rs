//! Secrets out of text meant for people (errors, events, logs), one way
//! everywhere: what is hidden becomes [`MASK`].
//!
//! A known secret is hidden only where it stands as a whole token: a short
//! key (`k`) must not turn "bad API key" into "bad API ***ey", which hides
//! nothing and garbles the message. The value of a key-like query parameter
//! (`apikey=`, `passkey=`, `password=`, …) is hidden whatever it is, so a
//! key we were not told about is still blanked in a URL.

/// What a hidden secret reads as.
pub const MASK: &str = "***";

/// Query parameters whose values are secrets (matched case-insensitively,
/// also as the end of a longer name: `jackett_apikey=`).
const KEY_PARAMS: [&str; 5] = ["apikey=", "api_key=", "api-key=", "passkey=", "password="];

/// `text` with `secret` (when there is one) hidden where it is a whole
/// token, and every key-like parameter's value hidden.
pub fn text(text: &str, secret: Option<&str>) -> String {
    let mut out = text.to_owned();
    if let Some(secret) = secret.filter(|s| !s.trim().is_empty()) {
        out = whole_tokens(&out, secret);
        // As a URL query carries it (`a b` → `a+b`, `/` → `%2F`).
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        if encoded != secret {
            out = whole_tokens(&out, &encoded);
        }
    }
    key_params(&out)
}

/// Letters, digits and `_` make up a token (as `\w` in a regex): a secret
/// found next to one of them is part of a longer word, not the secret.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Replaces each occurrence of `secret` that is not glued to a word
/// character on a side where the secret itself starts or ends with one.
fn whole_tokens(text: &str, secret: &str) -> String {
    let starts_word = secret.chars().next().is_some_and(is_word);
    let ends_word = secret.chars().next_back().is_some_and(is_word);
    let mut out = String::with_capacity(text.len());
    // `copied`: how much of `text` is in `out`; `from`: where to look next.
    let (mut copied, mut from) = (0, 0);
    while let Some(found) = text[from..].find(secret) {
        let at = from + found;
        let end = at + secret.len();
        let glued_before = starts_word && text[..at].chars().next_back().is_some_and(is_word);
        let glued_after = ends_word && text[end..].chars().next().is_some_and(is_word);
        if glued_before || glued_after {
            // Not this one: look again from its second character.
            from = at + text[at..].chars().next().map_or(1, char::len_utf8);
        } else {
            out.push_str(&text[copied..at]);
            out.push_str(MASK);
            (copied, from) = (end, end);
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Hides the value of every key-like parameter (up to `&`, `#`, a quote,
/// a bracket or white space).
pub fn key_params(text: &str) -> String {
    let mut out = text.to_owned();
    for marker in KEY_PARAMS {
        let mut from = 0;
        while let Some(found) = out[from..].to_ascii_lowercase().find(marker) {
            let start = from + found + marker.len();
            let end = out[start..]
                .find(|c: char| {
                    matches!(c, '&' | '#' | '"' | '\'' | '<' | '>' | ')') || c.is_whitespace()
                })
                .map_or(out.len(), |i| start + i);
            if out[start..end] != *MASK {
                out.replace_range(start..end, MASK);
            }
            from = start + MASK.len().min(out.len() - start);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_key_is_hidden_only_as_a_whole_token() {
        // The near-misses: inside ordinary words.
        assert_eq!(text("bad API key", Some("k")), "bad API key");
        assert_eq!(
            text("rate limited: key k2 refused", Some("k")),
            "rate limited: key k2 refused"
        );
        assert_eq!(text("kk", Some("k")), "kk");
        // The key itself, as a word or a value.
        assert_eq!(text("bad key k", Some("k")), "bad key ***");
        assert_eq!(text("key (k) refused", Some("k")), "key (***) refused");
        assert_eq!(
            text("http://j/api?t=caps&apikey=k&q=x", Some("k")),
            "http://j/api?t=caps&apikey=***&q=x"
        );
        assert_eq!(text("http://j/k/api", Some("k")), "http://j/***/api");
    }

    #[test]
    fn longer_keys_and_their_url_form() {
        let key = "abc123";
        assert_eq!(
            text("abc123abc123 abc1234 xabc123", Some(key)),
            "abc123abc123 abc1234 xabc123"
        );
        assert_eq!(
            text("got abc123, expected another", Some(key)),
            "got ***, expected another"
        );
        // A key with characters a query escapes is found in that form too.
        assert_eq!(
            text("/dl?t=a%2Fb+c&x=1 and a/b c", Some("a/b c")),
            "/dl?t=***&x=1 and ***"
        );
        // A key that ends in punctuation is found before a word character.
        assert_eq!(text("key=ab-cd", Some("ab-")), "key=***cd");
    }

    #[test]
    fn key_like_parameters_are_hidden_whatever_their_value() {
        let url = "http://j:9117/api?t=search&apikey=abc123&q=x and /dl/x?jackett_apikey=zz&path=y";
        assert_eq!(
            text(url, None),
            "http://j:9117/api?t=search&apikey=***&q=x and /dl/x?jackett_apikey=***&path=y"
        );
        assert_eq!(
            text("http://p/1/api?APIKEY=zzz", None),
            "http://p/1/api?APIKEY=***"
        );
        assert_eq!(text("apikey=", None), "apikey=***");
        assert_eq!(
            text("db?user=me&password=secret", None),
            "db?user=me&password=***"
        );
        assert_eq!(text("no secrets", Some("")), "no secrets");
        assert_eq!(text("no secrets", Some("  ")), "no secrets");
        // Near-misses: a parameter that only looks like one.
        assert_eq!(text("?key=v&api=v&pass=v", None), "?key=v&api=v&pass=v");
    }
}
