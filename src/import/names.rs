//! Names in the library: every folder and file name we create is safe on
//! every filesystem a music library lives on (ext4, NTFS and exFAT via
//! Samba or a USB disk, APFS), so that a library can be copied anywhere.
//!
//! Names also never start with a dot: our own temporary folders do
//! (`.musicagg-tmp-…`), so an album can never collide with one, and a
//! hidden album folder would be skipped by most players.

use crate::metadata::Album;

/// Longest name in bytes; 255 is the usual filesystem limit, and the rest is
/// kept for suffixes such as " (2)" and for tools that append to names.
pub const MAX_COMPONENT_BYTES: usize = 180;

/// Characters Windows (and so SMB shares and exFAT) does not allow in names.
const FORBIDDEN: &[char] = &['/', '\\', ':', '*', '?', '"', '<', '>', '|'];

/// Device names Windows reserves, with or without an extension.
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Extensions of the files placed beside the tracks: artwork and scans,
/// cue sheets, rip logs, booklets. Everything else that is not audio (NFOs,
/// playlists, checksums, tracker adverts) stays in the download.
const EXTRA_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "webp", "bmp", "cue", "log", "pdf",
];

/// Whether a client file is an extra worth placing beside the tracks.
pub fn is_extra(name: &str) -> bool {
    extension(name).is_some_and(|e| EXTRA_EXTENSIONS.contains(&e.as_str()))
}

/// The lower-cased extension of the last component, if it has one.
pub fn extension(name: &str) -> Option<String> {
    let file = name.rsplit('/').next().unwrap_or(name);
    let (stem, ext) = file.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_lowercase())
}

/// The last component without its extension.
pub fn stem(name: &str) -> &str {
    let file = name.rsplit('/').next().unwrap_or(name);
    match file.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => file,
    }
}

/// A folder name made safe: forbidden and control characters replaced
/// (": " becomes " - ", the rest `_`), leading dots and spaces and trailing
/// dots and spaces trimmed, at most [`MAX_COMPONENT_BYTES`], never empty,
/// Windows device names suffixed with `_`.
pub fn safe_component(text: &str) -> String {
    compose("", text, "")
}

/// A file name made safe like [`safe_component`]; the extension (lower
/// case, letters and digits only) is kept whole when the stem is shortened.
pub fn safe_file_name(stem: &str, ext: &str) -> String {
    compose("", stem, &ext_suffix(ext))
}

/// `{track:02} - {Title}.{ext}`, or `{disc}-{track:02} - {Title}.{ext}`
/// when the album has more than one disc.
pub fn track_file_name(disc: Option<u32>, track: u32, title: &str, ext: &str) -> String {
    let prefix = match disc {
        Some(d) => format!("{d}-{track:02} - "),
        None => format!("{track:02} - "),
    };
    let title = if title.trim().is_empty() {
        "Untitled"
    } else {
        title
    };
    compose(&prefix, title, &ext_suffix(ext))
}

/// `{Album} ({year})`, or `{Album}` when the year is unknown; the year is
/// kept whole when the title is shortened.
pub fn album_folder_name(title: &str, year: Option<&str>) -> String {
    let suffix = year.map(|y| format!(" ({y})")).unwrap_or_default();
    compose("", title, &suffix)
}

/// The year of an album: the first four characters of its first release
/// date, when they are digits.
pub fn album_year(album: &Album) -> Option<&str> {
    let year = album.first_release_date.get(..4)?;
    year.bytes().all(|b| b.is_ascii_digit()).then_some(year)
}

fn ext_suffix(ext: &str) -> String {
    let ext: String = ext
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect::<String>()
        .to_lowercase();
    if ext.is_empty() {
        String::new()
    } else {
        format!(".{ext}")
    }
}

/// `prefix + clean(text) + suffix`, where `prefix` and `suffix` are already
/// safe (digits, an extension, a year) and `text` gets what room is left.
fn compose(prefix: &str, text: &str, suffix: &str) -> String {
    let budget = MAX_COMPONENT_BYTES.saturating_sub(prefix.len() + suffix.len());
    let mut middle = clean(text, budget);
    if middle.is_empty() {
        // never empty, and never a bare suffix (".flac" would be hidden)
        middle.push('_');
    }
    let mut name = format!("{prefix}{middle}{suffix}");
    // the device name is the part before the first dot, spaces trimmed
    let device_len = name.find('.').unwrap_or(name.len());
    if RESERVED
        .iter()
        .any(|r| name[..device_len].trim_end().eq_ignore_ascii_case(r))
    {
        name.insert(device_len, '_');
    }
    name
}

/// Replaces forbidden characters, trims, and shortens to `budget` bytes on
/// a character boundary.
fn clean(text: &str, budget: usize) -> String {
    let replaced: String = text
        .replace(": ", " - ")
        .chars()
        .map(|c| {
            if c.is_control() || FORBIDDEN.contains(&c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = trim_ends(&replaced);
    let mut end = trimmed.len().min(budget);
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    trim_ends(&trimmed[..end]).to_owned()
}

/// Leading dots and whitespace (hidden files), trailing dots and whitespace
/// (Windows drops them, so two names would collide).
fn trim_ends(text: &str) -> &str {
    text.trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_names_become_safe() {
        for (input, want) in [
            ("AC/DC", "AC_DC"),
            ("Title: Subtitle", "Title - Subtitle"),
            ("What?", "What_"),
            ("a*b\"c<d>e|f\\g", "a_b_c_d_e_f_g"),
            ("tab\there", "tab_here"),
            ("...And Justice for All", "And Justice for All"),
            ("Trailing. . ", "Trailing"),
            ("", "_"),
            (".", "_"),
            ("..", "_"),
            ("  ", "_"),
            ("CON", "CON_"),
            ("nul", "nul_"),
            ("Com1 ", "Com1_"),
            ("LPT9.txt", "LPT9_.txt"),
            ("Console", "Console"),
            ("Björk", "Björk"),
        ] {
            assert_eq!(safe_component(input), want, "{input:?}");
        }
        assert_eq!(safe_file_name("aux", "TXT"), "aux_.txt");
        assert_eq!(safe_file_name(".hidden", "jpg"), "hidden.jpg");
        assert_eq!(safe_file_name("", "jpg"), "_.jpg");
        assert_eq!(safe_file_name("cover", ""), "cover");
    }

    #[test]
    fn long_names_are_cut_on_a_char_boundary() {
        let long = "é".repeat(200); // 400 bytes
        let name = safe_component(&long);
        assert!(name.len() <= MAX_COMPONENT_BYTES, "{}", name.len());
        assert_eq!(name, "é".repeat(90));

        let name = track_file_name(Some(2), 7, &"ü".repeat(300), "FLAC");
        assert!(name.len() <= MAX_COMPONENT_BYTES);
        assert!(
            name.starts_with("2-07 - ü") && name.ends_with("ü.flac"),
            "{name}"
        );

        let name = album_folder_name(&"x".repeat(500), Some("1999"));
        assert!(name.len() <= MAX_COMPONENT_BYTES && name.ends_with("x (1999)"));
    }

    #[test]
    fn track_and_album_names() {
        assert_eq!(
            track_file_name(None, 3, "Song: Part 2", "FLAC"),
            "03 - Song - Part 2.flac"
        );
        assert_eq!(
            track_file_name(Some(2), 11, "Outro", "mp3"),
            "2-11 - Outro.mp3"
        );
        assert_eq!(track_file_name(None, 1, "", "flac"), "01 - Untitled.flac");
        assert_eq!(track_file_name(None, 1, "...", "flac"), "01 - _.flac");
        assert_eq!(
            album_folder_name("OK Computer", Some("1997")),
            "OK Computer (1997)"
        );
        assert_eq!(album_folder_name("OK Computer", None), "OK Computer");
        assert_eq!(album_folder_name("", Some("1997")), "_ (1997)");
    }

    #[test]
    fn extras_and_extensions() {
        assert!(is_extra("Album/cover.JPG"));
        assert!(is_extra("Album/Scans/back.png"));
        assert!(is_extra("Album/rip.log") && is_extra("Album/x.cue"));
        assert!(!is_extra("Album/info.nfo") && !is_extra("Album/.jpg"));
        assert!(!is_extra("Album/01.flac"));
        assert_eq!(extension("a/b.c/d"), None);
        assert_eq!(stem("a/01 - x.flac"), "01 - x");
        assert_eq!(stem("a/.flac"), ".flac");
    }
}
