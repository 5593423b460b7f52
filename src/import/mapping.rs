//! Which audio file is which track of the album.
//!
//! In order of trust: the disc and track numbers in the tags, then the
//! title (tag, else the file name without its number), then the numbers in
//! the file name (`01 - x.flac`, `1-03 x.flac`, `CD2/03.flac`), then the
//! natural order of the names. Each pass only assigns a track that exactly
//! one file claims, so a duplicate number or title cannot steal a track.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::ImportError;
use super::names::stem;
use crate::library::audio::AudioFacts;
use crate::metadata::{Album, Track};
use crate::release::{loose_key, match_key};

/// One audio file of the download: its client name and what it is.
#[derive(Debug, Clone, Copy)]
pub struct AudioFile<'a> {
    pub name: &'a str,
    pub facts: &'a AudioFacts,
}

/// For each file (in the order given), the index of its track in
/// `album.tracks`. Refused when the counts differ or when most titled files
/// are not on the album. `album.tracks` must not be empty (see
/// [`name_order`] for albums without a known tracklist).
pub fn map_tracks(album: &Album, files: &[AudioFile<'_>]) -> Result<Vec<usize>, ImportError> {
    let tracks = &album.tracks;
    if files.len() != tracks.len() {
        return Err(ImportError::Refused(format!(
            "{} audio files for an album of {} tracks",
            files.len(),
            tracks.len()
        )));
    }
    check_titles(tracks, files)?;

    let discs: BTreeSet<u32> = tracks.iter().map(|t| t.disc).collect();
    let only_disc = (discs.len() == 1).then(|| discs.first().copied()).flatten();
    let mut state = State {
        of_file: vec![None; files.len()],
        taken: vec![false; tracks.len()],
    };

    // 1. tag numbers, unless the title tag names another track of the album
    state.assign(|state, i| {
        let f = &files[i];
        let disc = f
            .facts
            .tags
            .disc
            .or(only_disc)
            .or_else(|| name_numbers(f.name).0)?;
        let t = state.free_track(tracks, disc, f.facts.tags.track?)?;
        let Some(title) = tag_title(f) else {
            return Some(t);
        };
        let names_other = tracks
            .iter()
            .enumerate()
            .any(|(j, other)| j != t && titles_equal(title, &other.title));
        (titles_equal(title, &tracks[t].title) || !names_other).then_some(t)
    });
    // 2. titles: exact keys first, then loose ones ("(Remastered)" ignored)
    for key in [match_key as fn(&str) -> String, loose_key] {
        state.assign(|state, i| {
            let title = key(&file_title(&files[i]));
            if title.is_empty() {
                return None;
            }
            let mut free = (0..tracks.len()).filter(|&t| !state.taken[t]);
            let found = free.find(|&t| key(&tracks[t].title) == title)?;
            let again = free.any(|t| key(&tracks[t].title) == title);
            (!again).then_some(found)
        });
    }
    // 3. numbers in the file name
    state.assign(|state, i| {
        let (disc, number) = name_numbers(files[i].name);
        state.free_track(tracks, disc.or(only_disc)?, number?)
    });
    // 4. natural name order for whatever is left
    let mut rest_files: Vec<usize> = (0..files.len())
        .filter(|&i| state.of_file[i].is_none())
        .collect();
    rest_files.sort_by(|&a, &b| natural_cmp(files[a].name, files[b].name));
    let mut rest_tracks: Vec<usize> = (0..tracks.len()).filter(|&t| !state.taken[t]).collect();
    rest_tracks.sort_by_key(|&t| (tracks[t].disc, tracks[t].position));
    for (i, t) in rest_files.into_iter().zip(rest_tracks) {
        state.of_file[i] = Some(t);
    }
    // the counts are equal, so every file has a track now
    Ok(state
        .of_file
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect())
}

/// The files' indices in natural name order: the tracklist of an album
/// whose tracks MusicBrainz does not know.
pub fn name_order(files: &[AudioFile<'_>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by(|&a, &b| natural_cmp(files[a].name, files[b].name));
    order
}

struct State {
    of_file: Vec<Option<usize>>,
    taken: Vec<bool>,
}

impl State {
    fn free_track(&self, tracks: &[Track], disc: u32, position: u32) -> Option<usize> {
        let t = tracks
            .iter()
            .position(|t| t.disc == disc && t.position == position)?;
        (!self.taken[t]).then_some(t)
    }

    /// Asks `claim` for every unassigned file and assigns each track that
    /// exactly one file claimed.
    fn assign(&mut self, claim: impl Fn(&State, usize) -> Option<usize>) {
        let claims: Vec<(usize, usize)> = (0..self.of_file.len())
            .filter(|&i| self.of_file[i].is_none())
            .filter_map(|i| claim(self, i).map(|t| (i, t)))
            .collect();
        for &(i, t) in &claims {
            if claims.iter().filter(|(_, u)| *u == t).count() == 1 {
                self.of_file[i] = Some(t);
                self.taken[t] = true;
            }
        }
    }
}

fn tag_title<'a>(f: &AudioFile<'a>) -> Option<&'a str> {
    f.facts
        .tags
        .title
        .as_deref()
        .filter(|t| !t.trim().is_empty())
}

/// The title tag, else the file name without its leading numbers.
pub fn file_title(f: &AudioFile<'_>) -> String {
    match tag_title(f) {
        Some(t) => t.to_owned(),
        None => title_from_name(f.name),
    }
}

/// "01 - Title.flac", "1-03. Title.flac", "03_Title.flac" → "Title".
pub fn title_from_name(name: &str) -> String {
    static LEADING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*\d{1,3}(?:[-.]\d{1,3})?(?:[\s._)\]-]+|$)").expect("valid regex")
    });
    let stem = stem(name);
    LEADING.replace(stem, "").trim().to_owned()
}

/// Two titles are the same song: equal keys, strict or loose.
fn titles_equal(a: &str, b: &str) -> bool {
    let (ka, kb) = (match_key(a), match_key(b));
    if ka == kb {
        return true;
    }
    let (la, lb) = (loose_key(a), loose_key(b));
    !la.is_empty() && la == lb
}

/// A title tag that may be one of the album's: the same song, or one
/// containing the other ("Song (feat. X)", "Song - Radio Edit").
fn title_on_album(title: &str, tracks: &[Track]) -> bool {
    let (key, loose) = (match_key(title), loose_key(title));
    tracks.iter().any(|t| {
        let (tk, tl) = (match_key(&t.title), loose_key(&t.title));
        let contains = |a: &str, b: &str| b.len() >= 4 && a.contains(b);
        key == tk
            || (!loose.is_empty() && loose == tl)
            || contains(&key, &tk)
            || contains(&tk, &key)
    })
}

/// "Not this album" when more than half of the files with a title tag have
/// a title that is on no track of the album: a few bonus or differently
/// spelled tracks pass, another album with the same track count does not.
fn check_titles(tracks: &[Track], files: &[AudioFile<'_>]) -> Result<(), ImportError> {
    let titled: Vec<&str> = files.iter().filter_map(tag_title).collect();
    let foreign: Vec<&str> = titled
        .iter()
        .copied()
        .filter(|t| !title_on_album(t, tracks))
        .collect();
    if !titled.is_empty() && foreign.len() * 2 > titled.len() {
        let examples: Vec<String> = foreign.iter().take(3).map(|t| format!("{t:?}")).collect();
        return Err(ImportError::Refused(format!(
            "not this album: {} of {} titled files have titles that are not on it ({})",
            foreign.len(),
            titled.len(),
            examples.join(", ")
        )));
    }
    Ok(())
}

/// The disc (from a `CD2`/`Disc 2` folder or a `2-03` prefix) and the track
/// number (leading digits of the file name) a name suggests.
pub fn name_numbers(name: &str) -> (Option<u32>, Option<u32>) {
    static DISC_DIR: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?:cd|disc|disk|dis[ck]o|part)\s*[-_.]?\s*(\d{1,2})(?:\D|$)")
            .expect("valid regex")
    });
    static DISC_TRACK: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(\d{1,2})[-.](\d{1,3})(?:\D|$)").expect("valid regex"));
    static TRACK: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(\d{1,3})(?:\D|$)").expect("valid regex"));
    let number = |m: Option<regex::Match<'_>>| m.and_then(|m| m.as_str().parse::<u32>().ok());

    let mut parts: Vec<&str> = name.split('/').collect();
    let file = parts.pop().unwrap_or_default();
    let mut disc = parts
        .iter()
        .rev()
        .find_map(|p| DISC_DIR.captures(p.trim()))
        .and_then(|c| number(c.get(1)));
    let stem = stem(file).trim_start();
    if let Some(c) = DISC_TRACK.captures(stem) {
        disc = disc.or(number(c.get(1)));
        return (disc, number(c.get(2)));
    }
    (disc, TRACK.captures(stem).and_then(|c| number(c.get(1))))
}

/// Compares names as people do: runs of digits by value ("2" < "10"), text
/// case-insensitively, ties broken by the plain text.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a, b);
    loop {
        match (x.is_empty(), y.is_empty()) {
            (true, true) => return a.cmp(b),
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        let (cx, rx) = chunk(x);
        let (cy, ry) = chunk(y);
        let digits = |c: &str| c.starts_with(|ch: char| ch.is_ascii_digit());
        let ord = if digits(cx) && digits(cy) {
            let (tx, ty) = (cx.trim_start_matches('0'), cy.trim_start_matches('0'));
            tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty))
        } else {
            cx.to_lowercase().cmp(&cy.to_lowercase())
        };
        if ord != Ordering::Equal {
            return ord;
        }
        (x, y) = (rx, ry);
    }
}

/// The leading run of digits or of non-digits, and the rest.
fn chunk(s: &str) -> (&str, &str) {
    let digit = s.starts_with(|c: char| c.is_ascii_digit());
    let end = s
        .find(|c: char| c.is_ascii_digit() != digit)
        .unwrap_or(s.len());
    s.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::testutil::{album, facts};
    use crate::release::Codec;

    fn files<'a>(names: &'a [&'a str], facts: &'a [AudioFacts]) -> Vec<AudioFile<'a>> {
        names
            .iter()
            .zip(facts)
            .map(|(name, facts)| AudioFile { name, facts })
            .collect()
    }

    /// The track titles the files were mapped to, in file order.
    fn mapped(album: &Album, names: &[&str], facts: &[AudioFacts]) -> Vec<String> {
        let map = map_tracks(album, &files(names, facts)).unwrap();
        map.iter().map(|&t| album.tracks[t].title.clone()).collect()
    }

    #[test]
    fn maps_by_tag_numbers_whatever_the_names() {
        let album = album(&[(1, "One"), (1, "Two"), (1, "Three")]);
        let names = ["A/zzz.flac", "A/aaa.flac", "A/mmm.flac"];
        let f = [
            facts(Codec::Flac, None, Some(3), None),
            facts(Codec::Flac, Some(1), Some(1), None),
            facts(Codec::Flac, None, Some(2), None),
        ];
        assert_eq!(mapped(&album, &names, &f), ["Three", "One", "Two"]);
    }

    #[test]
    fn multi_disc_by_tags_and_folders() {
        let album = album(&[(1, "A"), (1, "B"), (2, "C"), (2, "D")]);
        let names = [
            "X/CD2/01.flac",
            "X/CD1/02.flac",
            "X/CD2/02.flac",
            "X/CD1/01.flac",
        ];
        // disc tags missing: the CDn folders say which disc
        let f = [
            facts(Codec::Flac, None, Some(1), None),
            facts(Codec::Flac, None, Some(2), None),
            facts(Codec::Flac, Some(2), Some(2), None),
            facts(Codec::Flac, None, Some(1), None),
        ];
        assert_eq!(mapped(&album, &names, &f), ["C", "B", "D", "A"]);
    }

    #[test]
    fn maps_by_titles_when_numbers_are_missing_or_wrong() {
        let album = album(&[(1, "Intro"), (1, "Song & Dance"), (1, "Outro")]);
        let names = ["a.flac", "b.flac", "c.flac"];
        let f = [
            facts(Codec::Flac, None, None, Some("outro")),
            facts(Codec::Flac, None, None, Some("Intro (Remastered)")),
            // the number says track 1, the title says track 2
            facts(Codec::Flac, None, Some(1), Some("Song and Dance")),
        ];
        assert_eq!(
            mapped(&album, &names, &f),
            ["Outro", "Intro", "Song & Dance"]
        );
    }

    #[test]
    fn maps_by_file_names_then_natural_order() {
        let album = album(&[(1, "A"), (1, "B"), (2, "C"), (2, "D")]);
        let names = [
            "R/1-02 b.flac",
            "R/2-01 c.flac",
            "R/1-01 a.flac",
            "R/2-02 d.flac",
        ];
        let f = vec![facts(Codec::Flac, None, None, None); 4];
        assert_eq!(mapped(&album, &names, &f), ["B", "C", "A", "D"]);

        let album = album_of(12);
        let names: Vec<String> = (1..=12).rev().map(|n| format!("R/{n} - x.flac")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let f = vec![facts(Codec::Flac, None, None, None); 12];
        let want: Vec<String> = (1..=12).rev().map(|n| format!("T{n}")).collect();
        assert_eq!(mapped(&album, &names, &f), want);

        // no numbers at all: natural order of the names
        let album = album_of(3);
        let names = ["R/part 10.flac", "R/part 2.flac", "R/part 1.flac"];
        let f = vec![facts(Codec::Flac, None, None, None); 3];
        assert_eq!(mapped(&album, &names, &f), ["T3", "T2", "T1"]);
    }

    fn album_of(n: u32) -> Album {
        let titles: Vec<String> = (1..=n).map(|i| format!("T{i}")).collect();
        let tracks: Vec<(u32, &str)> = titles.iter().map(|t| (1, t.as_str())).collect();
        album(&tracks)
    }

    #[test]
    fn count_mismatch_is_refused() {
        let album = album(&[(1, "A"), (1, "B")]);
        let f = vec![facts(Codec::Flac, None, None, None); 3];
        let err = map_tracks(&album, &files(&["a.flac", "b.flac", "c.flac"], &f)).unwrap_err();
        assert_eq!(err.to_string(), "3 audio files for an album of 2 tracks");
    }

    #[test]
    fn other_album_titles_are_refused() {
        let album = album(&[(1, "Alpha"), (1, "Beta"), (1, "Gamma")]);
        let names = ["1.flac", "2.flac", "3.flac"];
        let f = [
            facts(Codec::Flac, None, Some(1), Some("Alpha")),
            facts(Codec::Flac, None, Some(2), Some("Something Else")),
            facts(Codec::Flac, None, Some(3), Some("Completely Different")),
        ];
        let err = map_tracks(&album, &files(&names, &f)).unwrap_err();
        assert!(
            err.to_string().starts_with("not this album: 2 of 3"),
            "{err}"
        );

        // one of three differently titled (a bonus mix) passes
        let f = [
            facts(Codec::Flac, None, Some(1), Some("Alpha")),
            facts(Codec::Flac, None, Some(2), Some("Beta (feat. Someone)")),
            facts(Codec::Flac, None, Some(3), Some("Gamma Ray Remix By X")),
        ];
        assert_eq!(mapped(&album, &names, &f), ["Alpha", "Beta", "Gamma"]);
    }

    #[test]
    fn numbers_and_titles_from_names() {
        assert_eq!(name_numbers("A/01 - x.flac"), (None, Some(1)));
        assert_eq!(name_numbers("A/1-03 x.flac"), (Some(1), Some(3)));
        assert_eq!(name_numbers("A/CD2/03.flac"), (Some(2), Some(3)));
        assert_eq!(
            name_numbers("A/Disc 2 - Live/07. y.flac"),
            (Some(2), Some(7))
        );
        assert_eq!(name_numbers("A/1999 - x.flac"), (None, None));
        assert_eq!(name_numbers("A/x.flac"), (None, None));
        assert_eq!(title_from_name("A/01 - Title.flac"), "Title");
        assert_eq!(title_from_name("A/1-03. Title.flac"), "Title");
        assert_eq!(title_from_name("A/03_Title.flac"), "Title");
        assert_eq!(title_from_name("A/1999.flac"), "1999");
    }

    #[test]
    fn natural_sort() {
        let mut names = vec![
            "CD10/1.flac",
            "CD2/10.flac",
            "CD2/9.flac",
            "cd1/02.flac",
            "CD1/1.flac",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "CD1/1.flac",
                "cd1/02.flac",
                "CD2/9.flac",
                "CD2/10.flac",
                "CD10/1.flac"
            ]
        );
    }
}
