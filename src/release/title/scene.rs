//! Scene names: `Artist_Name-Album_Name-(CAT123)-WEB-2019-GRP`. Words are
//! joined by `_` or `.`, fields by `-`, the last field is the group. The
//! hard part is a hyphen inside a field ("Jay-Z", "Blink-182"): it looks
//! exactly like a field separator, so [`merge_hyphenated_artist`] decides
//! from the shape of the fields, never from a list of known artists.

use super::super::vocab::{Tagness, is_scene_language, is_scene_marker, tagness};
use super::{Builder, split_brackets, split_run, trim_name};

impl Builder {
    pub(super) fn scene(&mut self, title: &str) {
        let spaced = scene_spaces(title);
        if [" - ", " – "].iter().any(|s| spaced.contains(s)) {
            return self.spaced(&spaced);
        }
        let mut segs: Vec<String> = spaced
            .split('-')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let group_like = |s: &str| {
            !s.contains(' ')
                && s.chars().any(char::is_alphabetic)
                && s.chars().all(|c| c.is_alphanumeric())
                && !segment_is_tag(s)
        };
        let take_group = match segs.as_slice() {
            [.., last] if segs.len() >= 3 => group_like(last),
            // "Artist.Album.2019.MP3.320-GRP": the group follows a run of
            // tags (weak ones such as "320" count when the run is a run)
            [first, last] => group_like(last) && split_run(first, false).1.is_some(),
            _ => false,
        };
        if take_group {
            self.group = segs.pop();
        }
        if segs.len() == 1 {
            // fully dotted: "Artist.Name.Album.2019.FLAC" — no way to tell
            // artist from album, so it is all album (the matcher looks for
            // both names in it)
            let (name, run) = split_run(&segs[0], false);
            if let Some(run) = run {
                self.scan_tags(&run);
            }
            self.album = self.strip_trailing_editions(trim_name(&name));
            return;
        }
        merge_hyphenated_artist(&mut segs);
        let mut iter = segs.into_iter();
        self.artist = iter.next().filter(|a| !a.is_empty());
        let rest: Vec<String> = iter.collect();
        let album_len = rest.iter().take_while(|s| !segment_is_tag(s)).count();
        let (album_segs, mut tag_segs) = rest.split_at(album_len);
        let mut album_segs = album_segs.to_vec();
        if album_segs.is_empty() && tag_segs.len() > 1 {
            album_segs.push(tag_segs[0].clone());
            tag_segs = &tag_segs[1..];
        }
        let tag_text = tag_segs.join(" ");
        self.scan_tags(&tag_text);
        let pieces = split_brackets(&album_segs.join(" - "));
        for t in &pieces.tags {
            self.scan_tags(t);
        }
        self.album = self.strip_trailing_editions(trim_name(&pieces.name));
    }
}

/// Words that start a part of an album rather than an album:
/// "Album-Vol.2", "Album-Part_1", "Album-CD_2".
const PART_WORDS: &[&str] = &[
    "vol", "volume", "part", "pt", "cd", "disc", "disk", "chapter", "book", "act", "episode",
    "side",
];

/// Joins the first two fields into one hyphenated artist when the title has
/// the shape `Jay-Z-The_Blueprint`, `AC-DC-Back_In_Black`,
/// `Blink-182-Enema_Of_The_State`: two single-word fields, at least one of
/// them very short (≤ 3 characters) and neither long, followed by a
/// multi-word (joined) field that is not a part marker ("Vol.2").
///
/// Why this shape: a scene group joins the words of a name with `_` or `.`,
/// so a real artist field followed by a real album field of one word each,
/// and then a third multi-word name field, is rare (the third name field
/// is usually bracketed or a volume), while artists of two short hyphenated
/// parts are common. Anything less clear (`T-Pain-Epiphany`, with a
/// one-word album) stays split at the first hyphen.
fn merge_hyphenated_artist(segs: &mut Vec<String>) {
    let [first, second, third, ..] = segs.as_slice() else {
        return;
    };
    let single = |s: &str| !s.is_empty() && !s.contains(' ');
    let len = |s: &str| s.chars().count();
    let shape = single(first)
        && single(second)
        && len(first).min(len(second)) <= 3
        && len(first).max(len(second)) <= 7
        && tagness(first) == Tagness::Name
        && !segment_is_tag(first);
    let album_like = third.contains(' ')
        && !segment_is_tag(third)
        && third.split(' ').next().is_some_and(|w| {
            !PART_WORDS.contains(&w.trim_end_matches('.').to_lowercase().as_str())
        });
    if shape && album_like {
        let artist = format!("{first}-{second}");
        segs.splice(0..2, [artist]);
    }
}

/// Scene names use `_` and `.` for spaces; a decimal point stays ("44.1",
/// "5.1"): a number of one to three digits, a dot, one digit. "MP3.320" and
/// "2001.320" are two words.
fn scene_spaces(title: &str) -> String {
    let chars: Vec<char> = title.chars().collect();
    let mut out = String::with_capacity(title.len());
    for (i, &c) in chars.iter().enumerate() {
        let int_len = chars[..i]
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let int_alone = i == int_len || !chars[i - int_len - 1].is_alphanumeric();
        let decimal = c == '.'
            && (1..=3).contains(&int_len)
            && int_alone
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit())
            && !chars.get(i + 2).is_some_and(|n| n.is_ascii_digit());
        if c == '_' || (c == '.' && !decimal) {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A scene segment that is not part of the name: bracketed (catalogue
/// numbers, editions), a language code, a scene marker, or all tag words.
fn segment_is_tag(seg: &str) -> bool {
    if seg.starts_with('(') && seg.ends_with(')') || seg.starts_with('[') && seg.ends_with(']') {
        return true;
    }
    if is_scene_language(seg) || is_scene_marker(&seg.to_lowercase()) || is_live_marker(seg) {
        return true;
    }
    let words: Vec<&str> = seg.split(' ').collect();
    words.iter().all(|w| tagness(w) != Tagness::Name)
        && words.iter().any(|w| tagness(w) != Tagness::Separator)
}

/// Scene live recordings name the broadcast and the day:
/// `Artist-Live_At_X-SAT-06-29-2019-GRP` (satellite), `-CABLE-`, `-FM-`,
/// `-SBD-` (soundboard). Upper case only, as the scene writes them, so an
/// album "Sat" or "Line" is not lost.
fn is_live_marker(seg: &str) -> bool {
    matches!(
        seg,
        "SAT"
            | "CABLE"
            | "FM"
            | "DAB"
            | "DVBS"
            | "DVBC"
            | "DVBT"
            | "SBD"
            | "AUD"
            | "LINE"
            | "STREAM"
            | "MON"
            | "TUE"
            | "WED"
            | "THU"
            | "FRI"
            | "SUN"
    )
}

#[cfg(test)]
mod tests {
    use super::super::parse_title;

    fn names(t: &str) -> (Option<String>, Option<String>) {
        let p = parse_title(t);
        (p.artist, p.album)
    }

    #[test]
    fn hyphenated_artists() {
        for (t, a, b) in [
            ("Jay-Z-The_Blueprint-2001-GRP", "Jay-Z", "The Blueprint"),
            (
                "AC-DC-Back_In_Black-REMASTERED-2003-GRP",
                "AC-DC",
                "Back In Black",
            ),
            (
                "Blink-182-Enema_Of_The_State-1999-GRP",
                "Blink-182",
                "Enema Of The State",
            ),
            ("Jay-Z-The Blueprint 3-2009-GRP", "Jay-Z", "The Blueprint 3"),
        ] {
            assert_eq!(names(t), (Some(a.into()), Some(b.into())), "{t}");
        }
    }

    #[test]
    fn ordinary_fields_stay_apart() {
        for (t, a, b) in [
            ("Artist-Album-Vol.2-WEB-2019-GRP", "Artist", "Album - Vol 2"),
            ("Nas-Illmatic-REMASTERED-WEB-2019-GRP", "Nas", "Illmatic"),
            ("Daft_Punk-Homework-WEB-1997-GRP", "Daft Punk", "Homework"),
            (
                "Artist_Name-Live_At_Glastonbury-SAT-06-29-2019-GRP",
                "Artist Name",
                "Live At Glastonbury",
            ),
        ] {
            assert_eq!(names(t), (Some(a.into()), Some(b.into())), "{t}");
        }
    }
}
