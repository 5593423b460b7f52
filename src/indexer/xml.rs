//! What the feed and caps parsers share: recognising what kind of body a
//! server sent before trusting it as XML, a lenient XML reader, and the
//! Torznab `<error>` document.
//!
//! The order matters. Jackett reports a bad API key as HTTP 200 with an
//! `<error>` body, so a 200 is not a feed until the root element says so; and
//! proxies in front of indexers answer with HTML, which must read as "your
//! proxy answered", not as "invalid XML at line 1".

use std::fmt;

use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesStart, Event};

use super::text::excerpt;

/// The largest body we read or parse: a search page is at most a few hundred
/// kilobytes; anything near this is a misconfigured endpoint or hostile.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Elements nested deeper than this end parsing: no feed needs it, and it
/// bounds the work a hostile document can ask for.
pub(crate) const MAX_DEPTH: usize = 64;

/// A Torznab/Newznab `<error code="…" description="…"/>` document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TorznabError {
    /// `None` when the code attribute was missing or not a number.
    pub code: Option<u32>,
    pub description: String,
}

impl TorznabError {
    /// Codes 100–199 are credential problems (incorrect key, suspended
    /// account, insufficient privileges, registration).
    pub fn is_bad_api_key(&self) -> bool {
        matches!(self.code, Some(100..=199))
    }

    /// Code 429 (Prowlarr's back-off) or a Newznab "Request limit reached".
    pub fn is_rate_limit(&self) -> bool {
        self.code == Some(429)
            || self
                .description
                .to_ascii_lowercase()
                .contains("request limit reached")
    }

    /// Codes 200–203: the request is one this indexer does not support
    /// (missing/incorrect parameter, no such function, not available) — the
    /// cached caps may be stale.
    pub fn is_unsupported_request(&self) -> bool {
        matches!(self.code, Some(200..=203))
    }
}

impl fmt::Display for TorznabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(code) => write!(f, "Torznab error {code}")?,
            None => write!(f, "Torznab error")?,
        }
        if !self.description.is_empty() {
            write!(f, " \"{}\"", self.description)?;
        }
        Ok(())
    }
}

/// Why a body could not be read as the document we asked for.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DocumentError {
    /// The server answered with a Torznab error document.
    #[error("{0}")]
    Torznab(TorznabError),
    /// Not XML at all: empty, HTML, JSON, binary.
    #[error("not a Torznab response: {0}")]
    NotXml(String),
    /// XML, but broken.
    #[error("invalid XML: {0}")]
    Malformed(String),
    /// Well-formed XML of another kind (e.g. caps where a feed was expected).
    #[error("unexpected document: {0}")]
    Unexpected(String),
    #[error("response body larger than {limit} bytes")]
    TooLarge { limit: usize },
}

/// Checks a body looks like XML before parsing, naming what it is instead
/// when it does not.
pub(crate) fn sniff(body: &[u8]) -> Result<(), DocumentError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(DocumentError::TooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    let unmarked = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let Some(start) = unmarked.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Err(DocumentError::NotXml("an empty body".into()));
    };
    let trimmed = &unmarked[start..];
    if body.starts_with(b"\xFF\xFE") || body.starts_with(b"\xFE\xFF") {
        return Ok(()); // UTF-16 with a BOM: prepare_document decodes it.
    }
    let head: Vec<u8> = trimmed
        .iter()
        .take(512)
        .map(u8::to_ascii_lowercase)
        .collect();
    let contains = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if head.starts_with(b"<!doctype html")
        || head.starts_with(b"<html")
        || contains(b"<html") && !contains(b"<rss")
    {
        return Err(DocumentError::NotXml(format!(
            "an HTML page (a proxy, login or error page?): {}",
            html_title(trimmed).unwrap_or_else(|| excerpt(trimmed, 80))
        )));
    }
    if head.starts_with(b"{") || head.starts_with(b"[") {
        return Err(DocumentError::NotXml(format!(
            "JSON: {}",
            excerpt(trimmed, 120)
        )));
    }
    if !head.starts_with(b"<") {
        return Err(DocumentError::NotXml(format!(
            "{} bytes starting {:?}",
            body.len(),
            excerpt(trimmed, 40)
        )));
    }
    Ok(())
}

/// The `<title>` of an HTML page, which usually says what went wrong
/// ("502 Bad Gateway", "Just a moment...").
fn html_title(body: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&body[..body.len().min(8192)]);
    let lower = head.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let title = excerpt(head.get(start..end)?.as_bytes(), 80);
    (!title.is_empty()).then(|| format!("\"{title}\""))
}

/// A reader configured to forgive what real feeds get wrong: mismatched or
/// stray end tags, and `<a/>` read as `<a></a>` so empty elements need no
/// special case.
pub(crate) fn reader(text: &str) -> Reader<&[u8]> {
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    config.expand_empty_elements = true;
    config.check_comments = false;
    reader
}

/// An element's local name, lower-cased (`torznab:attr` and `newznab:attr`
/// are both `attr`; `pubDate` is `pubdate`).
pub(crate) fn local_name(element: &BytesStart<'_>) -> String {
    element.local_name().as_ref().to_ascii_lowercase()
}

/// Attributes as (lower-cased local name, value) pairs; an attribute that
/// cannot be read is skipped rather than failing the element.
pub(crate) fn attributes(element: &BytesStart<'_>) -> Vec<(String, String)> {
    let mut attributes = element.attributes();
    attributes.with_checks(false);
    attributes
        .filter_map(Result::ok)
        .map(|attribute| {
            let key = attribute.key.local_name().as_ref().to_ascii_lowercase();
            let value = attribute
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| attribute.value.to_string());
            (key, value)
        })
        .collect()
}

/// The value of the attribute `name` (lower case).
pub(crate) fn attribute<'a>(attributes: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// Appends the text a general reference stands for. After
/// `prepare_document` only the XML five and numeric references remain;
/// anything else is kept as written.
pub(crate) fn push_reference(out: &mut String, reference: &BytesRef<'_>) {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        out.push(c);
        return;
    }
    match quick_xml::escape::resolve_xml_entity(reference) {
        Some(text) => out.push_str(text),
        None => {
            out.push('&');
            out.push_str(reference);
            out.push(';');
        }
    }
}

/// The error document's fields, when the root element is `<error>`.
pub(crate) fn error_document(root: &BytesStart<'_>) -> TorznabError {
    let attributes = attributes(root);
    TorznabError {
        code: attribute(&attributes, "code").and_then(|c| c.trim().parse().ok()),
        description: attribute(&attributes, "description")
            .map(|d| excerpt(d.as_bytes(), 300))
            .unwrap_or_default(),
    }
}

/// Reads to the first element and returns its local name and attributes;
/// an `<error>` root becomes [`DocumentError::Torznab`].
pub(crate) fn root_element(
    reader: &mut Reader<&[u8]>,
) -> Result<(String, Vec<(String, String)>), DocumentError> {
    loop {
        match reader.read_event() {
            Ok(Event::Start(element)) => {
                let name = local_name(&element);
                if name == "error" {
                    return Err(DocumentError::Torznab(error_document(&element)));
                }
                if name == "html" {
                    return Err(DocumentError::NotXml("an HTML page".into()));
                }
                return Ok((name, attributes(&element)));
            }
            Ok(Event::Eof) => return Err(DocumentError::Malformed("no root element".into())),
            Ok(Event::Text(text)) if !text.xml10_content().trim().is_empty() => {
                return Err(DocumentError::Malformed(
                    "text before the root element".into(),
                ));
            }
            Ok(_) => {}
            Err(error) => return Err(malformed(reader, &error)),
        }
    }
}

/// The Torznab error a non-2xx body carries, if it is an `<error>` document
/// (Prowlarr sends them with 4xx/5xx statuses; Jackett with 400 and 429).
pub(crate) fn error_in(body: &[u8]) -> Option<TorznabError> {
    sniff(body).ok()?;
    let text = super::text::prepare_document(body);
    match root_element(&mut reader(&text)) {
        Err(DocumentError::Torznab(error)) => Some(error),
        _ => None,
    }
}

pub(crate) fn malformed(reader: &Reader<&[u8]>, error: &quick_xml::Error) -> DocumentError {
    DocumentError::Malformed(format!(
        "{} at byte {}",
        excerpt(error.to_string().as_bytes(), 160),
        reader.error_position()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_xml_bodies_say_what_they_are() {
        let cases: [(&[u8], &str); 5] = [
            (b"", "an empty body"),
            (b"  \n", "an empty body"),
            (
                b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title>",
                "HTML page (a proxy, login or error page?): \"502 Bad Gateway\"",
            ),
            (
                b"{\"type\":\"https://tools.ietf.org/html/rfc7231\"}",
                "JSON: {",
            ),
            (b"\x00\x9f garbage", "bytes starting"),
        ];
        for (body, expected) in cases {
            let error = sniff(body).unwrap_err().to_string();
            assert!(
                error.contains(expected),
                "{error:?} should contain {expected:?}"
            );
        }
        assert!(sniff(b"\xEF\xBB\xBF<?xml version=\"1.0\"?><rss/>").is_ok());
    }

    #[test]
    fn error_codes_are_classified() {
        let key = TorznabError {
            code: Some(100),
            description: "Invalid API Key".into(),
        };
        assert!(key.is_bad_api_key() && !key.is_rate_limit());
        assert_eq!(key.to_string(), "Torznab error 100 \"Invalid API Key\"");
        let limit = TorznabError {
            code: Some(500),
            description: "Request limit reached".into(),
        };
        assert!(limit.is_rate_limit() && !limit.is_bad_api_key());
        assert!(
            TorznabError {
                code: Some(201),
                description: String::new()
            }
            .is_unsupported_request()
        );
    }
}
