//! MusicBrainz ws/2 JSON, as the server writes it, and its conversion into
//! an [`Album`].
//!
//! Every field is optional: lookups write explicit `null`s, the search
//! serializer omits empty values, and a missing field must never fail a whole
//! album. The one choice made here is the album's representative release (see
//! [`representative_release`]).

use std::collections::HashMap;

use serde::{Deserialize, Deserializer};

use super::{Album, AlbumSearchHit, Track};
use crate::model::AlbumId;

/// `null` and a missing key both become the default value.
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Deserialize)]
pub(super) struct ReleaseGroupJson {
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub title: String,
    #[serde(rename = "primary-type", default)]
    pub primary_type: Option<String>,
    #[serde(rename = "secondary-types", default, deserialize_with = "null_default")]
    pub secondary_types: Vec<String>,
    #[serde(
        rename = "first-release-date",
        default,
        deserialize_with = "null_default"
    )]
    pub first_release_date: String,
    #[serde(rename = "artist-credit", default, deserialize_with = "null_default")]
    pub artist_credit: Vec<CreditJson>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CreditJson {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub joinphrase: String,
    #[serde(default)]
    pub artist: Option<ArtistJson>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ArtistJson {
    #[serde(default)]
    pub name: Option<String>,
}

/// The credit as printed: each credited name followed by its join phrase.
/// The search serializer omits `name` when it equals the artist's name.
pub(super) fn credit_string(credits: &[CreditJson]) -> String {
    credits
        .iter()
        .map(|c| {
            let name = c
                .name
                .clone()
                .or_else(|| c.artist.as_ref().and_then(|a| a.name.clone()))
                .unwrap_or_default();
            format!("{name}{}", c.joinphrase)
        })
        .collect()
}

#[derive(Debug, Deserialize)]
pub(super) struct ReleaseJson {
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
    /// Absent when the release has no release event.
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub media: Vec<MediumJson>,
}

impl ReleaseJson {
    /// Audio tracks over all media (`track-count` excludes pregap and data
    /// tracks, as we do; video media are not the album's audio).
    fn track_count(&self) -> u32 {
        self.media
            .iter()
            .filter(|m| !m.is_video())
            .map(|m| {
                m.track_count
                    .or_else(|| m.tracks.as_ref().map(|t| t.len() as u32))
                    .unwrap_or(0)
            })
            .sum()
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct MediumJson {
    #[serde(default)]
    pub position: Option<u32>,
    /// "CD", "Digital Media", "DVD-Video", "Blu-ray", …; absent or null
    /// when unknown.
    #[serde(default)]
    pub format: Option<String>,
    #[serde(rename = "track-count", default)]
    pub track_count: Option<u32>,
    /// Absent for media with no tracks; pregap and data tracks live in
    /// other keys and are ignored.
    #[serde(default)]
    pub tracks: Option<Vec<TrackJson>>,
}

impl MediumJson {
    /// A disc of video (a concert film, a music-video DVD beside the CD):
    /// its tracks are no part of the album's audio, so they count neither
    /// for matching, nor for track counts, nor for the size per minute.
    pub fn is_video(&self) -> bool {
        self.format.as_deref().is_some_and(|f| {
            let f = f.to_ascii_lowercase();
            f.contains("video")
                || f.contains("blu-ray")
                || f.contains("hd-dvd")
                || f == "dvd"
                || f == "vhs"
                || f == "laserdisc"
                || f == "umd"
        })
    }
}

/// The recording behind a track (`inc=recordings`), for its video flag.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RecordingJson {
    #[serde(default, deserialize_with = "null_default")]
    pub video: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct TrackJson {
    #[serde(default)]
    pub position: Option<u32>,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub length: Option<u64>,
    #[serde(default)]
    pub recording: Option<RecordingJson>,
}

/// A page of `GET /release?release-group=…`.
#[derive(Debug, Deserialize)]
pub(super) struct ReleaseBrowseJson {
    #[serde(rename = "release-count", default)]
    pub release_count: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub releases: Vec<ReleaseJson>,
}

/// `GET /release-group?query=…`.
#[derive(Debug, Deserialize)]
pub(super) struct SearchJson {
    #[serde(rename = "release-groups", default, deserialize_with = "null_default")]
    pub release_groups: Vec<SearchHitJson>,
}

#[derive(Debug, Deserialize)]
pub(super) struct SearchHitJson {
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub title: String,
    #[serde(default)]
    pub score: Option<i64>,
    #[serde(rename = "primary-type", default)]
    pub primary_type: Option<String>,
    #[serde(
        rename = "first-release-date",
        default,
        deserialize_with = "null_default"
    )]
    pub first_release_date: String,
    #[serde(rename = "artist-credit", default, deserialize_with = "null_default")]
    pub artist_credit: Vec<CreditJson>,
}

/// Chooses the release whose tracklist represents the album:
/// 1. official releases, when there are any (bootlegs and promos often carry
///    odd track lists);
/// 2. among those, the most common total track count (the "normal" edition,
///    not a deluxe or a single-disc sampler);
/// 3. then the earliest date (the original release; undated last);
/// 4. then the smallest id, so the choice is stable.
pub(super) fn representative_release(releases: &[ReleaseJson]) -> Option<&ReleaseJson> {
    let official: Vec<&ReleaseJson> = releases
        .iter()
        .filter(|r| r.status.as_deref() == Some("Official"))
        .collect();
    let pool: Vec<&ReleaseJson> = if official.is_empty() {
        releases.iter().collect()
    } else {
        official
    };
    let mut counts: HashMap<u32, usize> = HashMap::new();
    for r in &pool {
        *counts.entry(r.track_count()).or_default() += 1;
    }
    // Most common count; ties go to the larger count (the fuller edition).
    let common = counts
        .iter()
        .max_by_key(|(count, n)| (**n, **count))
        .map(|(count, _)| *count)?;
    pool.into_iter()
        .filter(|r| r.track_count() == common)
        .min_by(|a, b| {
            let date = |r: &ReleaseJson| r.date.clone().filter(|d| !d.is_empty());
            match (date(a), date(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
            .then_with(|| a.id.cmp(&b.id))
        })
}

/// The tracks of a looked-up release (`inc=recordings+media`), disc by disc.
pub(super) fn tracks(release: &ReleaseJson) -> Vec<Track> {
    let mut tracks = Vec::new();
    for (index, medium) in release.media.iter().enumerate() {
        if medium.is_video() {
            continue;
        }
        let disc = medium.position.unwrap_or(index as u32 + 1);
        // A music video among the audio tracks keeps its place number
        // but is not a track of the album.
        let audio = medium
            .tracks
            .iter()
            .flatten()
            .enumerate()
            .filter(|(_, t)| !t.recording.as_ref().is_some_and(|r| r.video));
        for (i, t) in audio {
            let position = t.position.unwrap_or(i as u32 + 1);
            tracks.push(Track {
                disc,
                position,
                number: t.number.clone().unwrap_or_else(|| position.to_string()),
                title: t.title.clone().unwrap_or_default(),
                length_ms: t.length,
            });
        }
    }
    tracks
}

/// Builds the album from its release group and its representative release.
pub(super) fn album(id: AlbumId, group: &ReleaseGroupJson, release: Option<&ReleaseJson>) -> Album {
    Album {
        id,
        title: group.title.clone(),
        artist: credit_string(&group.artist_credit),
        first_release_date: group.first_release_date.clone(),
        primary_type: group.primary_type.clone(),
        secondary_types: group.secondary_types.clone(),
        tracks: release.map(tracks).unwrap_or_default(),
    }
}

/// Search hits, ranked: MusicBrainz's score first, then albums before other
/// types, then the earliest release, then the title.
pub(super) fn ranked_hits(search: SearchJson) -> Vec<AlbumSearchHit> {
    let mut hits: Vec<AlbumSearchHit> = search
        .release_groups
        .into_iter()
        .filter_map(|h| {
            Some(AlbumSearchHit {
                id: AlbumId::parse(&h.id).ok()?,
                artist: credit_string(&h.artist_credit),
                title: h.title,
                year: h
                    .first_release_date
                    .get(..4)
                    .filter(|y| y.chars().all(|c| c.is_ascii_digit()))
                    .map(str::to_owned),
                primary_type: h.primary_type,
                score: h.score.unwrap_or(0),
            })
        })
        .collect();
    hits.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| {
                let album = |h: &AlbumSearchHit| h.primary_type.as_deref() != Some("Album");
                album(a).cmp(&album(b))
            })
            .then_with(|| {
                a.year
                    .as_deref()
                    .unwrap_or("9999")
                    .cmp(b.year.as_deref().unwrap_or("9999"))
            })
            .then_with(|| a.title.cmp(&b.title))
    });
    hits
}

/// Escapes Lucene's special characters so user text is searched as text.
pub fn escape_lucene(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(
            c,
            '+' | '-'
                | '&'
                | '|'
                | '!'
                | '('
                | ')'
                | '{'
                | '}'
                | '['
                | ']'
                | '^'
                | '"'
                | '~'
                | '*'
                | '?'
                | ':'
                | '\\'
                | '/'
        ) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(id: &str, status: Option<&str>, date: Option<&str>, counts: &[u32]) -> ReleaseJson {
        ReleaseJson {
            id: id.into(),
            status: status.map(str::to_owned),
            date: date.map(str::to_owned),
            media: counts
                .iter()
                .enumerate()
                .map(|(i, c)| MediumJson {
                    position: Some(i as u32 + 1),
                    format: None,
                    track_count: Some(*c),
                    tracks: None,
                })
                .collect(),
        }
    }

    #[test]
    fn the_representative_release_is_official_common_then_earliest() {
        let releases = vec![
            release("a", Some("Bootleg"), Some("1990"), &[10]),
            release("b", Some("Official"), Some("2001-05-01"), &[12]),
            release("c", Some("Official"), Some("1999-04"), &[12]),
            release("d", Some("Official"), Some("1998"), &[16]),
            release("e", Some("Official"), None, &[12]),
        ];
        assert_eq!(representative_release(&releases).unwrap().id, "c");
        // Without official releases, every release counts.
        let unofficial = vec![
            release("x", None, Some("2000"), &[9]),
            release("y", Some("Promotion"), Some("1999"), &[9]),
        ];
        assert_eq!(representative_release(&unofficial).unwrap().id, "y");
        assert!(representative_release(&[]).is_none());
        // Multi-disc counts add up.
        let discs = vec![
            release("m", Some("Official"), Some("2000"), &[10, 8]),
            release("n", Some("Official"), Some("1999"), &[10]),
            release("o", Some("Official"), Some("2001"), &[10, 8]),
        ];
        assert_eq!(representative_release(&discs).unwrap().id, "m");
    }

    #[test]
    fn video_media_and_music_videos_are_not_tracks_of_the_album() {
        // MusicBrainz's shape: a CD with a music video as its last track,
        // then a DVD-Video of the concert; a Blu-ray; an unknown format.
        let json = serde_json::json!({
            "id": "r1", "status": "Official", "date": "2010",
            "media": [
                {"position": 1, "format": "CD", "track-count": 3, "tracks": [
                    {"position": 1, "number": "1", "title": "One", "length": 1000, "recording": {"video": false}},
                    {"position": 2, "number": "2", "title": "Two", "length": 1000, "recording": {"video": null}},
                    {"position": 3, "number": "3", "title": "Two (video)", "length": 1000, "recording": {"video": true}}
                ]},
                {"position": 2, "format": "DVD-Video", "track-count": 2, "tracks": [
                    {"position": 1, "number": "1", "title": "Live One"},
                    {"position": 2, "number": "2", "title": "Live Two"}
                ]},
                {"position": 3, "format": "Blu-ray", "track-count": 9},
                {"position": 4, "format": null, "track-count": 1, "tracks": [
                    {"position": 1, "number": "1", "title": "Bonus"}
                ]}
            ]
        });
        let release: ReleaseJson = serde_json::from_value(json).unwrap();
        let titles: Vec<(u32, String)> = tracks(&release)
            .into_iter()
            .map(|t| (t.disc, t.title))
            .collect();
        assert_eq!(
            titles,
            [(1, "One".into()), (1, "Two".into()), (4, "Bonus".into())]
        );
        // Counts for the representative release skip video discs too.
        assert_eq!(release.track_count(), 4);
        // Near-misses: audio formats with "DVD" or "Video" nowhere.
        for audio in [
            "CD",
            "Digital Media",
            "DVD-Audio",
            "SACD",
            "12\" Vinyl",
            "Cassette",
        ] {
            let medium = MediumJson {
                position: None,
                format: Some(audio.into()),
                track_count: None,
                tracks: None,
            };
            assert!(!medium.is_video(), "{audio}");
        }
        for video in [
            "DVD-Video",
            "Blu-ray",
            "VHS",
            "DVD",
            "HD-DVD",
            "Video CD",
            "LaserDisc",
        ] {
            let medium = MediumJson {
                position: None,
                format: Some(video.into()),
                track_count: None,
                tracks: None,
            };
            assert!(medium.is_video(), "{video}");
        }
    }

    #[test]
    fn lucene_special_characters_are_escaped() {
        assert_eq!(escape_lucene("AC/DC"), "AC\\/DC");
        assert_eq!(escape_lucene("\"quoted\""), "\\\"quoted\\\"");
        assert_eq!(escape_lucene("(live)"), "\\(live\\)");
        assert_eq!(escape_lucene("a && b || !c"), "a \\&\\& b \\|\\| \\!c");
        assert_eq!(escape_lucene("Sigur Rós"), "Sigur Rós");
    }

    #[test]
    fn credits_join_names_and_phrases_and_fill_missing_names() {
        let credits: Vec<CreditJson> = serde_json::from_str(
            r#"[{"name":"Simon","joinphrase":" & ","artist":{"name":"Paul Simon"}},
                {"joinphrase":"","artist":{"name":"Garfunkel"}}]"#,
        )
        .unwrap();
        assert_eq!(credit_string(&credits), "Simon & Garfunkel");
    }
}
