//! Magnet URIs and info hashes: parsed with librqbit-core, written back in
//! one normal form (`xt` first, then `dn`, then each `tr`), so the same
//! release always yields the same magnet.

use librqbit_core::magnet::Magnet;

use super::ResolveError;

/// Lower-case hex of a v1 info hash given as 40 hex characters or as 32
/// base32 characters (both appear in Torznab feeds and magnets).
pub fn normalize_info_hash(text: &str) -> Option<String> {
    let t = text.trim();
    if t.len() == 40 && t.chars().all(|c| c.is_ascii_hexdigit()) {
        return Some(t.to_ascii_lowercase());
    }
    if t.len() == 32 {
        return base32_decode(t).map(|bytes| bytes.iter().map(|b| format!("{b:02x}")).collect());
    }
    None
}

/// RFC 4648 base32 (upper or lower case, no padding) of exactly 20 bytes.
fn base32_decode(text: &str) -> Option<[u8; 20]> {
    let mut out = [0u8; 20];
    let (mut buffer, mut bits, mut n) = (0u64, 0u32, 0usize);
    for c in text.chars() {
        let value = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u64 - 'A' as u64,
            c @ '2'..='7' => c as u64 - '2' as u64 + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            *out.get_mut(n)? = (buffer >> bits) as u8;
            n += 1;
        }
    }
    (n == 20).then_some(out)
}

/// A magnet in our normal form.
pub fn build_magnet(info_hash: &str, name: Option<&str>, trackers: &[String]) -> String {
    let mut magnet = format!("magnet:?xt=urn:btih:{info_hash}");
    if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
        magnet.push_str("&dn=");
        magnet.extend(url::form_urlencoded::byte_serialize(name.as_bytes()));
    }
    for tracker in trackers {
        magnet.push_str("&tr=");
        magnet.extend(url::form_urlencoded::byte_serialize(tracker.as_bytes()));
    }
    magnet
}

/// A parsed magnet: its v1 info hash and its trackers.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedMagnet {
    pub info_hash: String,
    pub name: Option<String>,
    pub trackers: Vec<String>,
    /// The normal form (`fallback_name` as `dn` when the magnet had none).
    pub uri: String,
}

/// Validates a magnet and returns its normal form. A v2-only magnet (btmh)
/// is identified by the first 20 bytes of its SHA-256, as qBittorrent does.
pub fn parse_magnet(uri: &str, fallback_name: &str) -> Result<ParsedMagnet, ResolveError> {
    let trimmed = uri.trim();
    if !trimmed.starts_with("magnet:") {
        return Err(ResolveError::Unavailable("not a magnet URI".into()));
    }
    let magnet = Magnet::parse(trimmed)
        .map_err(|e| ResolveError::Unavailable(format!("invalid magnet URI: {e:#}")))?;
    let info_hash = match (magnet.as_id20(), magnet.as_id32()) {
        (Some(id), _) => id.as_string(),
        (None, Some(id)) => id.as_string().chars().take(40).collect(),
        (None, None) => {
            return Err(ResolveError::Unavailable(
                "magnet URI without an info hash".into(),
            ));
        }
    };
    let name = magnet
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| Some(fallback_name.to_owned()).filter(|n| !n.trim().is_empty()));
    let trackers: Vec<String> = magnet
        .trackers
        .iter()
        .filter(|t| {
            t.starts_with("http://") || t.starts_with("https://") || t.starts_with("udp://")
        })
        .cloned()
        .collect();
    Ok(ParsedMagnet {
        uri: build_magnet(&info_hash, name.as_deref(), &trackers),
        info_hash,
        name,
        trackers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";

    #[test]
    fn info_hashes_in_hex_and_base32_normalise_to_lower_hex() {
        assert_eq!(
            normalize_info_hash(&HEX.to_uppercase()).as_deref(),
            Some(HEX)
        );
        // The same 20 bytes in base32.
        assert_eq!(
            normalize_info_hash("YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK").as_deref(),
            Some(HEX)
        );
        assert_eq!(
            normalize_info_hash("yex6dqdlxisuvhoj6um3gnnkpqjwpkek").as_deref(),
            Some(HEX)
        );
        for bad in ["", "xyz", &HEX[..39], "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKE1"] {
            assert_eq!(normalize_info_hash(bad), None, "{bad}");
        }
    }

    #[test]
    fn magnets_are_validated_and_normalised() {
        let raw = format!(
            "magnet:?dn=Artist%20-%20Album&xt=urn:btih:{}&tr=http%3A%2F%2Ft.example%2Fannounce&tr=wss%3A%2F%2Fx",
            HEX.to_uppercase()
        );
        let parsed = parse_magnet(&raw, "ignored").unwrap();
        assert_eq!(parsed.info_hash, HEX);
        assert_eq!(parsed.name.as_deref(), Some("Artist - Album"));
        assert_eq!(
            parsed.trackers,
            vec!["http://t.example/announce".to_owned()]
        );
        assert_eq!(
            parsed.uri,
            format!(
                "magnet:?xt=urn:btih:{HEX}&dn=Artist+-+Album&tr=http%3A%2F%2Ft.example%2Fannounce"
            )
        );
        let bare = parse_magnet(&format!("magnet:?xt=urn:btih:{HEX}"), "Fallback Name").unwrap();
        assert_eq!(
            bare.uri,
            format!("magnet:?xt=urn:btih:{HEX}&dn=Fallback+Name")
        );
        for bad in ["http://x", "magnet:?dn=x", "magnet:?xt=urn:btih:zz"] {
            assert!(parse_magnet(bad, "").is_err(), "{bad}");
        }
    }
}
