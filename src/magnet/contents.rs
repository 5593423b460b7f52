//! Looking inside a torrent before grabbing it: Lidarr never does, and
//! grabs a 3-track sampler for a 12-track album, or an MP3 rip whose title
//! says FLAC. When the file list is known (from the .torrent), it must fit the
//! album and the parsed codec.
//!
//! Rules:
//! - audio files are counted by extension (padding files ignored);
//! - fewer audio files than the album's tracks is a rejection, unless the
//!   rip is a disc image with a cue sheet (one audio file per disc plus a
//!   `.cue`);
//! - more is accepted up to a margin (bonus tracks, hidden tracks): at most
//!   max(2, a quarter of the tracks) extra;
//! - a title that names a codec must have at least one file of it.

use super::TorrentFile;
use crate::metadata::Album;

const AUDIO: &[&str] = &[
    "flac", "mp3", "m4a", "aac", "alac", "ape", "wv", "wav", "aiff", "aif", "ogg", "oga", "opus",
    "wma", "dsf", "dff", "mpc",
];

fn extension(path: &str) -> Option<String> {
    let file = path.rsplit('/').next()?;
    let (_, ext) = file.rsplit_once('.')?;
    Some(ext.to_ascii_lowercase())
}

fn is_padding(path: &str) -> bool {
    path.starts_with(".pad/") || path.contains("/.pad/") || path.contains("_____padding_file")
}

/// The extensions a parsed quality (e.g. "FLAC 24-bit") implies.
fn expected_extensions(quality: &str) -> Option<&'static [&'static str]> {
    let codec = quality.split_whitespace().next()?.to_ascii_uppercase();
    Some(match codec.as_str() {
        "FLAC" => &["flac"],
        "MP3" => &["mp3"],
        "ALAC" | "AAC" => &["m4a", "aac", "alac", "mp4"],
        "APE" => &["ape"],
        "WAVPACK" => &["wv"],
        "WAV" => &["wav"],
        "VORBIS" | "OGG" => &["ogg", "oga"],
        "OPUS" => &["opus"],
        _ => return None,
    })
}

/// `Err(reason)` when the files do not fit the album or the quality.
pub fn check_contents(files: &[TorrentFile], album: &Album, quality: &str) -> Result<(), String> {
    let audio: Vec<String> = files
        .iter()
        .filter(|f| !is_padding(&f.path))
        .filter_map(|f| extension(&f.path))
        .filter(|e| AUDIO.contains(&e.as_str()))
        .collect();
    if audio.is_empty() {
        return Err(format!("no audio files inside ({} files)", files.len()));
    }
    if let Some(expected) = expected_extensions(quality)
        && !audio.iter().any(|e| expected.contains(&e.as_str()))
    {
        let mut found: Vec<&str> = audio.iter().map(String::as_str).collect();
        found.sort_unstable();
        found.dedup();
        return Err(format!(
            "the title says {} but there is no .{} file inside (found .{})",
            quality.split_whitespace().next().unwrap_or(quality),
            expected[0],
            found.join(", .")
        ));
    }
    let tracks = album.tracks.len();
    if tracks == 0 {
        return Ok(());
    }
    let count = audio.len();
    let has_cue = files
        .iter()
        .any(|f| extension(&f.path).as_deref() == Some("cue"));
    let discs = album.tracks.iter().map(|t| t.disc).max().unwrap_or(1) as usize;
    if count < tracks && !(has_cue && count <= discs) {
        return Err(format!(
            "{count} audio file{} inside, the album has {tracks} tracks",
            if count == 1 { "" } else { "s" }
        ));
    }
    let margin = (tracks / 4).max(2);
    if count > tracks + margin {
        return Err(format!(
            "{count} audio files inside, the album has {tracks} tracks (more than an edition's extras)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::Track;
    use crate::model::AlbumId;

    fn album(tracks: u32, discs: u32) -> Album {
        let mut album =
            Album::unknown(AlbumId::parse("1b022e01-4da6-387b-8658-8678046e4cef").unwrap());
        album.tracks = (1..=tracks)
            .map(|i| Track {
                disc: 1 + (i - 1) * discs / tracks,
                position: i,
                number: i.to_string(),
                title: String::new(),
                length_ms: None,
            })
            .collect();
        album
    }

    fn files(names: &[&str]) -> Vec<TorrentFile> {
        names
            .iter()
            .map(|n| TorrentFile {
                path: (*n).into(),
                size: 1,
            })
            .collect()
    }

    #[test]
    fn the_track_count_must_fit() {
        let twelve: Vec<String> = (1..=12).map(|i| format!("Album/{i:02}.flac")).collect();
        let twelve: Vec<&str> = twelve.iter().map(String::as_str).collect();
        assert_eq!(
            check_contents(&files(&twelve), &album(12, 1), "FLAC"),
            Ok(())
        );
        assert_eq!(
            check_contents(&files(&twelve[..3]), &album(12, 1), "FLAC"),
            Err("3 audio files inside, the album has 12 tracks".into())
        );
        let mut with_bonus = twelve.clone();
        with_bonus.extend(["Album/13.flac", "Album/14.flac", "Album/15.flac"]);
        assert_eq!(
            check_contents(&files(&with_bonus), &album(12, 1), "FLAC"),
            Ok(())
        );
        with_bonus.extend(["Album/16.flac"]);
        assert!(check_contents(&files(&with_bonus), &album(12, 1), "FLAC").is_err());
        // Unknown tracklist: only the codec is checked.
        assert_eq!(
            check_contents(&files(&twelve[..1]), &album(0, 1), "FLAC"),
            Ok(())
        );
    }

    #[test]
    fn a_disc_image_with_a_cue_sheet_is_whole() {
        let image = files(&[
            "Album/CD1.flac",
            "Album/CD1.cue",
            "Album/CD2.flac",
            "Album/CD2.cue",
            "Album/log.txt",
        ]);
        assert_eq!(check_contents(&image, &album(20, 2), "FLAC"), Ok(()));
        let no_cue = files(&["Album/CD1.flac", "Album/CD2.flac"]);
        assert!(check_contents(&no_cue, &album(20, 2), "FLAC").is_err());
    }

    #[test]
    fn the_codec_must_be_inside() {
        let mp3s = files(&["A/01.mp3", "A/02.mp3", "A/cover.jpg"]);
        assert_eq!(
            check_contents(&mp3s, &album(2, 1), "FLAC 24-bit"),
            Err("the title says FLAC but there is no .flac file inside (found .mp3)".into())
        );
        assert_eq!(check_contents(&mp3s, &album(2, 1), "MP3 320"), Ok(()));
        assert_eq!(
            check_contents(&mp3s, &album(2, 1), ""),
            Ok(()),
            "unknown codec: no check"
        );
        assert_eq!(
            check_contents(&files(&["A/cover.jpg", "A/.pad/0"]), &album(2, 1), ""),
            Err("no audio files inside (2 files)".into())
        );
        // Names from the torrent are only read: odd ones are harmless.
        let odd = files(&[
            "../../etc/passwd.flac",
            "A/\u{202e}cod.flac",
            "A/no-extension",
        ]);
        assert_eq!(check_contents(&odd, &album(2, 1), "FLAC"), Ok(()));
    }
}
