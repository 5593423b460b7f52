//! Normalising single values from feeds: info hashes, dates and numbers.
//!
//! Each function takes whatever text a server sent and returns `None` rather
//! than guessing when the text is not what it should be: an unknown value is
//! honest, a wrong one misleads the ranking.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// A v1 info hash as lower-case hex. Jackett copies hashes from trackers or
/// from magnet links, so they arrive as 40 hex digits in either case or as
/// 32 base32 characters (when the magnet used base32).
pub fn normalize_info_hash(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let raw = strip_prefix_ignore_case(raw, "urn:btih:").unwrap_or(raw);
    if raw.len() == 40 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(raw.to_ascii_lowercase());
    }
    if raw.len() == 32 {
        let bytes = base32_decode(raw)?;
        return Some(bytes.iter().map(|b| format!("{b:02x}")).collect());
    }
    None
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// RFC 4648 base32 (no padding), case-insensitive: 32 characters → 20 bytes.
fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buffer: u64 = 0;
    let mut bits = 0u32;
    for byte in text.bytes() {
        let value = match byte.to_ascii_uppercase() {
            c @ b'A'..=b'Z' => c - b'A',
            c @ b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | u64::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xFF) as u8);
        }
    }
    Some(out)
}

/// The info hash in a magnet URI's `xt=urn:btih:…`, normalised.
pub fn info_hash_from_magnet(uri: &str) -> Option<String> {
    let query = strip_prefix_ignore_case(uri.trim(), "magnet:?")?;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, _)| {
            key.eq_ignore_ascii_case("xt") || key.to_ascii_lowercase().starts_with("xt.")
        })
        .find_map(|(_, value)| normalize_info_hash(value))
}

/// True when a URL is a magnet link (decided by scheme, never by MIME type:
/// Jackett labels magnets `application/x-bittorrent`).
pub fn is_magnet(url: &str) -> bool {
    strip_prefix_ignore_case(url.trim(), "magnet:").is_some()
}

/// True for an `http`/`https` URL.
pub fn is_http(url: &str) -> bool {
    let url = url.trim();
    strip_prefix_ignore_case(url, "http://").is_some()
        || strip_prefix_ignore_case(url, "https://").is_some()
}

/// A non-negative integer, also when written as a decimal or in exponent
/// notation (some Newznab servers do); empty means unknown.
pub fn parse_u64(raw: &str) -> Option<u64> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if let Ok(value) = raw.parse::<u64>() {
        return Some(value);
    }
    let value = raw.parse::<f64>().ok()?;
    // Saturating float-to-int casts: a silly value stays large, not wrong.
    (value.is_finite() && value >= 0.0).then_some(value as u64)
}

/// Like [`parse_u64`], saturating at `u32::MAX`; negative counts (seen from
/// broken trackers) are unknown.
pub fn parse_u32(raw: &str) -> Option<u32> {
    parse_u64(raw).map(|value| u32::try_from(value).unwrap_or(u32::MAX))
}

/// A finite, non-negative factor such as `downloadvolumefactor`.
pub fn parse_factor(raw: &str) -> Option<f64> {
    let value = raw.trim().replace(',', ".").parse::<f64>().ok()?;
    (value.is_finite() && value >= 0.0).then_some(value)
}

/// A publication date in any of the forms feeds use. Jackett and Prowlarr
/// write RFC 2822 with a numeric offset; other servers use `GMT` or US zone
/// names, leave out the seconds or the weekday (or get it wrong), or write
/// ISO 8601. Tried in order: RFC 2822, RFC 3339, a tolerant RFC 822 reading,
/// then ISO without a zone (taken as UTC). `None` when nothing fits.
pub fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 64 {
        return None;
    }
    if let Ok(date) = DateTime::parse_from_rfc2822(raw) {
        return Some(date.with_timezone(&Utc));
    }
    if let Ok(date) = DateTime::parse_from_rfc3339(raw) {
        return Some(date.with_timezone(&Utc));
    }
    if let Some(date) = parse_loose_rfc822(raw) {
        return Some(date);
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(raw, format) {
            return Some(naive.and_utc());
        }
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .map(|day| day.and_time(NaiveTime::MIN).and_utc())
}

/// `[Weekday,] D Mon YYYY HH:MM[:SS] [zone]`, forgiving about the weekday
/// (ignored), full month names, two-digit years, missing seconds and zones
/// (UTC assumed), and offsets written `+01:00`.
fn parse_loose_rfc822(raw: &str) -> Option<DateTime<Utc>> {
    let mut tokens: Vec<&str> = raw.split([' ', ',']).filter(|t| !t.is_empty()).collect();
    if tokens
        .first()
        .is_some_and(|t| t.chars().all(|c| c.is_ascii_alphabetic()) && month_number(t).is_none())
    {
        tokens.remove(0);
    }
    if !(4..=5).contains(&tokens.len()) {
        return None;
    }
    // Day and month may come in either order ("14 Mar" or "Mar 14").
    let (day, month) = match (tokens[0].parse::<u32>(), month_number(tokens[1])) {
        (Ok(day), Some(month)) => (day, month),
        _ => (tokens[1].parse::<u32>().ok()?, month_number(tokens[0])?),
    };
    let mut year: i32 = tokens[2].parse().ok()?;
    if tokens[2].len() == 2 {
        year += if year < 50 { 2000 } else { 1900 };
    }
    let mut clock = tokens[3].split(':');
    let hour: u32 = clock.next()?.parse().ok()?;
    let minute: u32 = clock.next()?.parse().ok()?;
    let second: u32 = match clock.next() {
        Some(s) => s.split('.').next()?.parse().ok()?,
        None => 0,
    };
    if clock.next().is_some() {
        return None;
    }
    let offset = match tokens.get(4) {
        Some(zone) => zone_offset(zone)?,
        None => 0,
    };
    let naive = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(hour, minute, second)?;
    let zone = FixedOffset::east_opt(offset)?;
    zone.from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = name.to_ascii_lowercase();
    let prefix = lower.get(..3)?;
    let index = MONTHS.iter().position(|m| *m == prefix)?;
    u32::try_from(index + 1).ok()
}

/// Seconds east of UTC for `+hhmm`, `-hh:mm`, `Z`, `GMT`/`UT`/`UTC` and the
/// US zone names RFC 822 allows.
fn zone_offset(zone: &str) -> Option<i32> {
    let hours = |h: i32| Some(h * 3600);
    match zone.to_ascii_uppercase().as_str() {
        "Z" | "GMT" | "UT" | "UTC" => return Some(0),
        "EST" => return hours(-5),
        "EDT" => return hours(-4),
        "CST" => return hours(-6),
        "CDT" => return hours(-5),
        "MST" => return hours(-7),
        "MDT" => return hours(-6),
        "PST" => return hours(-8),
        "PDT" => return hours(-7),
        _ => {}
    }
    let (sign, digits) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    (h < 24 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "2f7a2d1e1c0b8c9d4e5f60718293a4b5c6d7e8f9";

    #[test]
    fn info_hashes_are_lower_case_hex() {
        assert_eq!(
            normalize_info_hash(&HEX.to_uppercase()).as_deref(),
            Some(HEX)
        );
        assert_eq!(
            normalize_info_hash(&format!(" urn:btih:{HEX} ")).as_deref(),
            Some(HEX)
        );
        // The same 20 bytes in base32, as some magnets carry them.
        let base32 = "F55C2HQ4BOGJ2TS7MBYYFE5EWXDNP2HZ";
        assert_eq!(normalize_info_hash(base32).as_deref(), Some(HEX));
        assert_eq!(
            normalize_info_hash(&base32.to_lowercase()).as_deref(),
            Some(HEX)
        );
        for bad in ["", "xyz", &HEX[..39], "F55C2HQ4BOGJ2TS7MBYYFE5EWXDNP2H1"] {
            assert_eq!(normalize_info_hash(bad), None, "{bad}");
        }
    }

    #[test]
    fn magnets_give_their_hash() {
        let magnet = format!("magnet:?dn=x&xt=urn:btih:{}&tr=udp://t", HEX.to_uppercase());
        assert_eq!(info_hash_from_magnet(&magnet).as_deref(), Some(HEX));
        assert_eq!(info_hash_from_magnet("magnet:?dn=no-hash"), None);
        assert_eq!(info_hash_from_magnet("http://x/?xt=urn:btih:00"), None);
        assert!(is_magnet("MAGNET:?xt=1") && !is_magnet("http://x"));
        assert!(is_http("HTTPS://x") && !is_http("ftp://x"));
    }

    #[test]
    fn numbers_are_lenient_but_never_negative() {
        assert_eq!(parse_u64(" 331482112 "), Some(331_482_112));
        assert_eq!(parse_u64("1.5E+9"), Some(1_500_000_000));
        assert_eq!(parse_u64(""), None);
        assert_eq!(parse_u64("-5"), None);
        assert_eq!(parse_u32("99999999999"), Some(u32::MAX));
        assert_eq!(parse_factor("0"), Some(0.0));
        assert_eq!(parse_factor("0,5"), Some(0.5));
        assert_eq!(parse_factor("NaN"), None);
    }

    #[test]
    fn dates_in_every_form_feeds_use() {
        let expected = Utc.with_ymd_and_hms(2015, 3, 14, 21, 10, 42).single();
        for raw in [
            "Sat, 14 Mar 2015 17:10:42 -0400",
            "Sat, 14 Mar 2015 21:10:42 GMT",
            "Sun, 14 Mar 2015 21:10:42 +0000", // wrong weekday
            "14 Mar 2015 21:10:42 Z",
            "Saturday, 14 March 2015 21:10:42 +00:00",
            "Sat, 14 Mar 15 16:10:42 EST",
            "2015-03-14T21:10:42Z",
            "2015-03-14T23:10:42+02:00",
            "2015-03-14 21:10:42",
            "Mar 14 2015 21:10:42",
        ] {
            assert_eq!(parse_date(raw), expected, "{raw}");
        }
        assert_eq!(
            parse_date("Sat, 14 Mar 2015 21:10 GMT"),
            Utc.with_ymd_and_hms(2015, 3, 14, 21, 10, 0).single()
        );
        for bad in [
            "",
            "yesterday",
            "Sat, 31 Feb 2015 10:00:00 GMT",
            "14 Mar 2015 25:00:00 GMT",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
