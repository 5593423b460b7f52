//! Making indexer bytes safe to hand to an XML parser, and undoing the HTML
//! escaping trackers leave in titles.
//!
//! Jackett and Prowlarr emit correct XML, but titles still carry literal HTML
//! entities copied from trackers (`&amp;amp;` in the XML is `&amp;` after
//! parsing), and third-party Torznab servers emit HTML named entities
//! (`&nbsp;`, `&eacute;`) or bare `&` that are not XML at all. A strict parser
//! would throw the whole feed away for one such title, so before parsing we
//! rewrite what XML does not know into what it does, and after parsing we
//! unescape titles exactly once.

use std::borrow::Cow;

/// HTML named entities worth knowing in release titles: all of Latin-1 plus
/// the typographic ones trackers use. A table rather than the full HTML5 list
/// (2 000+ names) because titles only ever show these, and an unknown name is
/// kept as literal text rather than lost.
const HTML_ENTITIES: &[(&str, u32)] = &[
    ("quot", 34),
    ("amp", 38),
    ("apos", 39),
    ("lt", 60),
    ("gt", 62),
    ("nbsp", 160),
    ("iexcl", 161),
    ("cent", 162),
    ("pound", 163),
    ("curren", 164),
    ("yen", 165),
    ("brvbar", 166),
    ("sect", 167),
    ("uml", 168),
    ("copy", 169),
    ("ordf", 170),
    ("laquo", 171),
    ("not", 172),
    ("shy", 173),
    ("reg", 174),
    ("macr", 175),
    ("deg", 176),
    ("plusmn", 177),
    ("sup2", 178),
    ("sup3", 179),
    ("acute", 180),
    ("micro", 181),
    ("para", 182),
    ("middot", 183),
    ("cedil", 184),
    ("sup1", 185),
    ("ordm", 186),
    ("raquo", 187),
    ("frac14", 188),
    ("frac12", 189),
    ("frac34", 190),
    ("iquest", 191),
    ("Agrave", 192),
    ("Aacute", 193),
    ("Acirc", 194),
    ("Atilde", 195),
    ("Auml", 196),
    ("Aring", 197),
    ("AElig", 198),
    ("Ccedil", 199),
    ("Egrave", 200),
    ("Eacute", 201),
    ("Ecirc", 202),
    ("Euml", 203),
    ("Igrave", 204),
    ("Iacute", 205),
    ("Icirc", 206),
    ("Iuml", 207),
    ("ETH", 208),
    ("Ntilde", 209),
    ("Ograve", 210),
    ("Oacute", 211),
    ("Ocirc", 212),
    ("Otilde", 213),
    ("Ouml", 214),
    ("times", 215),
    ("Oslash", 216),
    ("Ugrave", 217),
    ("Uacute", 218),
    ("Ucirc", 219),
    ("Uuml", 220),
    ("Yacute", 221),
    ("THORN", 222),
    ("szlig", 223),
    ("agrave", 224),
    ("aacute", 225),
    ("acirc", 226),
    ("atilde", 227),
    ("auml", 228),
    ("aring", 229),
    ("aelig", 230),
    ("ccedil", 231),
    ("egrave", 232),
    ("eacute", 233),
    ("ecirc", 234),
    ("euml", 235),
    ("igrave", 236),
    ("iacute", 237),
    ("icirc", 238),
    ("iuml", 239),
    ("eth", 240),
    ("ntilde", 241),
    ("ograve", 242),
    ("oacute", 243),
    ("ocirc", 244),
    ("otilde", 245),
    ("ouml", 246),
    ("divide", 247),
    ("oslash", 248),
    ("ugrave", 249),
    ("uacute", 250),
    ("ucirc", 251),
    ("uuml", 252),
    ("yacute", 253),
    ("thorn", 254),
    ("yuml", 255),
    ("OElig", 338),
    ("oelig", 339),
    ("Scaron", 352),
    ("scaron", 353),
    ("Yuml", 376),
    ("fnof", 402),
    ("circ", 710),
    ("tilde", 732),
    ("ensp", 8194),
    ("emsp", 8195),
    ("thinsp", 8201),
    ("zwnj", 8204),
    ("zwj", 8205),
    ("lrm", 8206),
    ("rlm", 8207),
    ("ndash", 8211),
    ("mdash", 8212),
    ("lsquo", 8216),
    ("rsquo", 8217),
    ("sbquo", 8218),
    ("ldquo", 8220),
    ("rdquo", 8221),
    ("bdquo", 8222),
    ("dagger", 8224),
    ("Dagger", 8225),
    ("bull", 8226),
    ("hellip", 8230),
    ("permil", 8240),
    ("prime", 8242),
    ("Prime", 8243),
    ("lsaquo", 8249),
    ("rsaquo", 8250),
    ("euro", 8364),
    ("trade", 8482),
    ("larr", 8592),
    ("rarr", 8594),
    ("hearts", 9829),
];

/// The five entities XML predefines: left alone by the pre-pass.
const XML_ENTITIES: &[&str] = &["amp", "lt", "gt", "quot", "apos"];

fn html_entity(name: &str) -> Option<u32> {
    HTML_ENTITIES
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, code)| *code)
}

/// What follows an `&`: a reference the parser will accept (and its length up
/// to and including the `;`), or nothing usable.
enum Reference<'a> {
    Named(&'a str, usize),
    Numeric(char, usize),
    Invalid,
}

/// Reads the reference starting just after an `&`. Names are limited to 32
/// ASCII alphanumerics: longer runs are not entities in any feed we know.
fn reference_at(rest: &str) -> Reference<'_> {
    let Some(end) = rest
        .char_indices()
        .take(34)
        .find(|(_, c)| *c == ';')
        .map(|(i, _)| i)
    else {
        return Reference::Invalid;
    };
    let body = &rest[..end];
    if let Some(number) = body.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) if !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()) => {
                u32::from_str_radix(hex, 16).ok()
            }
            None if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) => {
                number.parse::<u32>().ok()
            }
            _ => None,
        };
        return match code.and_then(char::from_u32).filter(|c| xml_char(*c)) {
            Some(c) => Reference::Numeric(c, end + 1),
            None => Reference::Invalid,
        };
    }
    let mut chars = body.chars();
    match chars.next() {
        Some(first) if first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric()) => {
            Reference::Named(body, end + 1)
        }
        _ => Reference::Invalid,
    }
}

/// Characters XML 1.0 allows in a document.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// Turns a response body into text an XML parser accepts whenever a lenient
/// reader would: byte-order marks dropped (UTF-8 and UTF-16), invalid UTF-8
/// replaced, control characters XML forbids removed, HTML named entities
/// rewritten as numeric references, and any `&` that starts no valid
/// reference escaped. CDATA sections are copied untouched: entities mean
/// nothing there.
pub(crate) fn prepare_document(body: &[u8]) -> Cow<'_, str> {
    let text: Cow<'_, str> = if let Some(rest) = body.strip_prefix(b"\xEF\xBB\xBF") {
        String::from_utf8_lossy(rest)
    } else if let Some(rest) = body.strip_prefix(b"\xFF\xFE") {
        Cow::Owned(decode_utf16(rest, u16::from_le_bytes))
    } else if let Some(rest) = body.strip_prefix(b"\xFE\xFF") {
        Cow::Owned(decode_utf16(rest, u16::from_be_bytes))
    } else {
        String::from_utf8_lossy(body)
    };
    let needs_work = text.contains('&') || text.chars().any(|c| !xml_char(c));
    if !needs_work {
        return text;
    }
    Cow::Owned(rewrite_references(&text))
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

fn rewrite_references(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let (inside, tail) = match after.find("]]>") {
                Some(end) => (&after[..end + 3], &after[end + 3..]),
                None => (after, ""),
            };
            out.push_str("<![CDATA[");
            out.extend(inside.chars().filter(|c| xml_char(*c)));
            rest = tail;
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        rest = &rest[c.len_utf8()..];
        if c != '&' {
            if xml_char(c) {
                out.push(c);
            }
            continue;
        }
        match reference_at(rest) {
            Reference::Named(name, len) if XML_ENTITIES.contains(&name) => {
                out.push('&');
                out.push_str(&rest[..len]);
                rest = &rest[len..];
            }
            Reference::Named(name, len) => {
                match html_entity(name) {
                    Some(code) => out.push_str(&format!("&#{code};")),
                    // Unknown: keep it as the literal text it was.
                    None => {
                        out.push_str("&amp;");
                        out.push_str(&rest[..len]);
                    }
                }
                rest = &rest[len..];
            }
            Reference::Numeric(ch, len) => {
                out.push_str(&format!("&#{};", u32::from(ch)));
                rest = &rest[len..];
            }
            Reference::Invalid => out.push_str("&amp;"),
        }
    }
    out
}

/// Decodes HTML references (named from the table, decimal, hex) once. Used on
/// titles after XML parsing, because trackers double-escape: the feed says
/// `&amp;amp;`, XML gives `&amp;`, the title means `&`. Anything that is not
/// a known reference stays as written.
pub(crate) fn html_unescape(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        match reference_at(rest) {
            Reference::Named(name, len) => match html_entity(name) {
                Some(code) => {
                    out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                    rest = &rest[len..];
                }
                None => out.push('&'),
            },
            Reference::Numeric(ch, len) => {
                out.push(ch);
                rest = &rest[len..];
            }
            Reference::Invalid => out.push('&'),
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Collapses runs of whitespace (including the non-breaking space trackers
/// like) into single spaces and trims: titles are compared and displayed, and
/// stray newlines from pretty-printed XML help neither.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{A0}')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A short, printable excerpt of a body for error messages: enough to
/// recognise a proxy page, never a wall of bytes.
pub(crate) fn excerpt(body: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let flat = collapse_whitespace(&text.replace(|c: char| c.is_control(), " "));
    let mut out: String = flat.chars().take(max_chars).collect();
    if flat.chars().count() > max_chars {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_named_entities_become_numeric_references() {
        let prepared = prepare_document(b"<t>Beyonc&eacute; &nbsp;&ndash; &amp; &lt;x&gt;</t>");
        assert_eq!(
            prepared,
            "<t>Beyonc&#233; &#160;&#8211; &amp; &lt;x&gt;</t>"
        );
    }

    #[test]
    fn bare_and_unknown_ampersands_are_escaped_not_fatal() {
        assert_eq!(
            prepare_document(b"<t>Tom & Jerry &bogus; &#xZZ; &#0;</t>"),
            "<t>Tom &amp; Jerry &amp;bogus; &amp;#xZZ; &amp;#0;</t>"
        );
    }

    #[test]
    fn boms_are_dropped() {
        assert_eq!(prepare_document(b"\xEF\xBB\xBF<rss/>"), "<rss/>");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<rss/>".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(prepare_document(&utf16), "<rss/>");
    }

    #[test]
    fn cdata_is_left_alone_and_control_characters_removed() {
        assert_eq!(
            prepare_document(b"<t><![CDATA[a &eacute; b]]>\x01 &eacute;</t>"),
            "<t><![CDATA[a &eacute; b]]> &#233;</t>"
        );
    }

    #[test]
    fn titles_are_unescaped_once() {
        assert_eq!(html_unescape("Simon &amp; Garfunkel"), "Simon & Garfunkel");
        assert_eq!(html_unescape("&amp;amp;"), "&amp;");
        assert_eq!(
            html_unescape("Sigur R&oacute;s &#8211; &#x41;"),
            "Sigur Rós – A"
        );
        assert_eq!(html_unescape("AT&T & co &nosuch;"), "AT&T & co &nosuch;");
    }

    #[test]
    fn whitespace_collapses_and_excerpts_are_short() {
        assert_eq!(collapse_whitespace("  a\n\t b\u{A0}c "), "a b c");
        assert_eq!(
            excerpt(b"<html>\n<title>Bad Gateway</title>", 12),
            "<html> <titl…"
        );
    }
}
