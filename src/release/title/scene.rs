//! Scene names: `Artist_Name-Album_Name-(CAT123)-WEB-2019-GRP`. Words are
//! joined by `_` or `.`, fields by `-`, the last field is the group. The
//! hard part is a hyphen inside a field ("Jay-Z", "Blink-182"): it looks
//! exactly like a field separator, so [`split_name_fields`] decides
//! from the shape of the fields, never from a list of known artists.

use super::super::vocab::{Tagness, is_scene_language, is_scene_marker, tagness};
use super::brackets::split_brackets;
use super::run::is_phrase_glue;
use super::{Builder, split_run, trim_name};

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
        // "Artist-2007-Album-GRP": a year between artist and album, when no
        // other year follows ("Taylor_Swift-1989-Taylors_Version-2023-GRP"
        // names an album "1989")
        if segs.len() >= 3
            && is_year(&segs[1])
            && !segment_is_tag(&segs[2])
            && !segs[2..].iter().any(|s| is_year(s))
        {
            let year = segs.remove(1);
            self.scan_tags(&year);
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
        // the name fields run up to the first tag field; a bare number
        // followed by a name field is a name ("Blink-182-Enema_Of_The_State")
        let is_name = |i: usize| {
            let seg: &str = &segs[i];
            !segment_is_tag(seg)
                || (seg.split(' ').all(|w| tagness(w) == Tagness::Weak)
                    && segs.get(i + 1).is_some_and(|next| !segment_is_tag(next)))
        };
        let names_end = (1..segs.len()).find(|&i| !is_name(i)).unwrap_or(segs.len());
        let (artist, mut album_segs) = split_name_fields(&segs[..names_end]);
        self.artist = Some(artist).filter(|a| !a.is_empty());
        let mut tag_segs: Vec<String> = segs[names_end..].to_vec();
        if album_segs.is_empty() && tag_segs.len() > 1 {
            // "Black_Sabbath-FLAC-Black_Sabbath": a name field after the
            // tags is the album; a number first is the album itself
            // ("Prince-1999-…", "Taylor_Swift-1989-Taylors_Version-…")
            let number_first = tag_segs[0].bytes().all(|b| b.is_ascii_digit());
            let at = tag_segs
                .iter()
                .position(|s| !segment_is_tag(s))
                .filter(|_| !number_first)
                .unwrap_or(0);
            album_segs.push(tag_segs.remove(at));
        }
        let tag_text = join_tag_fields(&tag_segs);
        self.scan_tags(&tag_text);
        let pieces = split_brackets(&album_segs.join(" - "));
        self.read_pieces(&pieces);
        self.album = self.strip_trailing_editions(trim_name(&pieces.name));
    }
}

/// A four-digit year of recorded music (1900–2099), alone in its field.
pub(super) fn is_year(field: &str) -> bool {
    field.len() == 4
        && field.bytes().all(|b| b.is_ascii_digit())
        && (field.starts_with("19") || field.starts_with("20"))
}

/// Words that start a part of an album rather than an album:
/// "Album-Vol.2", "Album-Part_1", "Album-CD_2".
const PART_WORDS: &[&str] = &[
    "vol", "volume", "part", "pt", "cd", "disc", "disk", "chapter", "book", "act", "episode",
    "side",
];

/// Splits the name fields (everything before the first tag field) into the
/// artist and the album fields.
///
/// A scene name is `ARTIST-ALBUM-(TAGS)-YEAR-GROUP`: once the group and the
/// tags are counted off from the right, exactly one field separator is
/// expected between artist and album. Any further `-` is a hyphen inside a
/// name ("Sleater-Kinney", "Wu-Tang_Clan", "Enter_The_Wu-Tang", "Jay-Z") or
/// starts a part of the album ("Album-Vol.2"). Each candidate `-` is scored
/// by how much it looks like a field separator ([`separator_score`]): a word
/// joined by `_`/`.` on either side says "a whole field ends/starts here";
/// a very short single token next to it ("Wu", "Z", "182") says "a word
/// hyphen". The best-scoring `-` (the first on ties, so ordinary titles keep
/// splitting at the first one) separates artist from album; every hyphen
/// left of it belongs to the artist, and hyphens in the album that look
/// like word hyphens stay inside its words. Never a list of known artists.
fn split_name_fields(names: &[String]) -> (String, Vec<String>) {
    let Some((artist, rest)) = names.split_first() else {
        return (String::new(), Vec::new());
    };
    if rest.len() < 2 {
        return (artist.clone(), rest.to_vec());
    }
    let candidates = (1..names.len()).filter(|&i| i == 1 || !starts_part(&names[i]));
    let mut best = 1;
    let mut best_score = i32::MIN;
    for i in candidates {
        let score = separator_score(names, i);
        if score > best_score {
            (best, best_score) = (i, score);
        }
    }
    let artist = names[..best].join("-");
    let mut album: Vec<String> = vec![names[best].clone()];
    for i in best + 1..names.len() {
        let word_hyphen = album_word_hyphen(&names[i - 1], &names[i]);
        match album.last_mut() {
            Some(last) if word_hyphen => {
                last.push('-');
                last.push_str(&names[i]);
            }
            _ => album.push(names[i].clone()),
        }
    }
    (artist, album)
}

/// How much the `-` before field `i` looks like a field separator: +1 for
/// each side that is several words (a scene group writes a whole name field
/// with `_`/`.`); −1 when it joins two one-word fields ("Sleater-Kinney",
/// "T-Pain"); −1 when the right field is one very short token ("Jay-Z",
/// "Blink-182", "AC-DC"), or the left one is and starts the title ("T-Pain",
/// "Wu-Tang_Clan"). So in `T-Pain-Epiphany` the second `-` (−1) beats the
/// first (−2), in `Blink-182-California` the second (−1) beats the first
/// (−2), and in `Artist-Album-Subtitle` the tie goes to the first.
fn separator_score(names: &[String], i: usize) -> i32 {
    let (left, right) = (names[i - 1].as_str(), names[i].as_str());
    let multi = |s: &str| i32::from(s.contains(' '));
    let single = |s: &str| !s.contains(' ');
    let short_right = single(right) && is_short(right);
    let short_left = i == 1 && single(left) && is_short(left);
    multi(left) + multi(right)
        - i32::from(single(left) && single(right))
        - i32::from(short_right || short_left)
}

/// A token of at most three letters or digits that is not a function word
/// ("Z", "182", "DC", "Wu"; not "The").
fn is_short(word: &str) -> bool {
    word.chars().count() <= 3 && word.chars().all(char::is_alphanumeric) && !is_phrase_glue(word)
}

/// Inside the album, a `-` that touches a very short token is a word hyphen
/// ("Enter_The_Wu-Tang"), as is one between one-word fields; one between
/// whole fields is a separator ("Album_Name-Live_In_Paris").
fn album_word_hyphen(left: &str, right: &str) -> bool {
    let last = left.rsplit(' ').next().unwrap_or(left);
    let first = right.split(' ').next().unwrap_or(right);
    !starts_part(right)
        && ((!left.contains(' ') && !right.contains(' ')) || is_short(last) || is_short(first))
}

/// The field starts a part of an album: "Vol.2", "Part_1", "CD_2".
fn starts_part(field: &str) -> bool {
    field.split(' ').next().is_some_and(|w| {
        let w = w.trim_end_matches('.').to_lowercase();
        PART_WORDS.contains(&w.as_str())
            || PART_WORDS.iter().any(|p| {
                w.strip_prefix(p)
                    .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            })
    })
}

/// Scene names use `_` and `.` for spaces; a decimal point stays ("44.1",
/// "5.1"): a number of one to three digits, a dot, one digit. "MP3.320" and
/// "2001.320" are two words.
pub(super) fn scene_spaces(title: &str) -> String {
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
    // "REAL" (upper case) is the scene's revision word, not an album
    // "OST" (upper case) marks a soundtrack; "NMR" is a tag scene groups
    // put between the album and the year; neither is ever a name field
    if is_scene_language(seg)
        || is_scene_marker(&seg.to_lowercase())
        || is_live_marker(seg)
        || matches!(seg, "REAL" | "OST" | "NMR")
    {
        return true;
    }
    let words: Vec<&str> = seg.split(' ').collect();
    // "JP_Retail", "DE Limited Edition": a language code with markers or
    // tag words
    if words.len() > 1
        && is_scene_language(words[0])
        && words[1..]
            .iter()
            .all(|w| is_scene_marker(&w.to_lowercase()) || !matches!(tagness(w), Tagness::Name))
    {
        return true;
    }
    // "4_44": bare numbers joined like name words are a name unless they
    // read as an audio fact ("24_96")
    if let Some(pair) = number_pair(seg) {
        return tagness(&pair) == Tagness::Strong;
    }
    words.iter().all(|w| tagness(w) != Tagness::Name)
        && words.iter().any(|w| tagness(w) != Tagness::Separator)
}

/// "24 96" (written `24_96`): bare numbers joined like words, rejoined
/// with `-` as the tag reading would write them ("24-96").
fn number_pair(seg: &str) -> Option<String> {
    let words: Vec<&str> = seg.split(' ').collect();
    let numbers = words
        .iter()
        .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit()));
    (words.len() > 1 && numbers).then(|| words.join("-"))
}

/// The tag fields as one tag text. A bit depth and a sample rate written as
/// two fields (`-24-96-`, `-24-44-`) are rejoined with `-` ("24-96"), the
/// way the tag reading knows them; other fields are joined by spaces.
fn join_tag_fields(segs: &[String]) -> String {
    let mut text = String::with_capacity(segs.iter().map(|s| s.len() + 1).sum());
    let mut after_depth = false;
    for seg in segs {
        let field = number_pair(seg);
        let field = field.as_deref().unwrap_or(seg);
        if !text.is_empty() {
            text.push(if after_depth && is_rate_field(field) {
                '-'
            } else {
                ' '
            });
        }
        text.push_str(field);
        after_depth = matches!(field, "16" | "24" | "32");
    }
    text
}

/// A sample rate in kilohertz as a scene field writes it ("96", "44.1").
fn is_rate_field(field: &str) -> bool {
    matches!(
        field,
        "44" | "44.1"
            | "48"
            | "88"
            | "88.2"
            | "96"
            | "176"
            | "176.4"
            | "192"
            | "352"
            | "352.8"
            | "384"
    )
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

    #[test]
    fn depth_and_rate_as_two_fields() {
        for (t, d, r) in [
            ("Artist-Album-24-96-WEB-FLAC-2019-GRP", 24, 96_000),
            ("Artist-Album-24-44-WEB-FLAC-2019-GRP", 24, 44_100),
            ("Artist-Album-24-192-WEB-FLAC-2019-GRP", 24, 192_000),
            ("Artist-Album-24-48-WEB-2019-GRP", 24, 48_000),
            ("Artist-Album-16-44-WEB-FLAC-2019-GRP", 16, 44_100),
        ] {
            let p = parse_title(t);
            assert_eq!((p.bit_depth, p.sample_rate_hz), (Some(d), Some(r)), "{t}");
            assert_eq!(p.year, Some(2019), "{t}");
            assert_eq!(p.release_group.as_deref(), Some("GRP"), "{t}");
        }
        // a lone number field is not a depth
        let p = parse_title("Artist-Album-24-WEB-2019-GRP");
        assert_eq!(p.sample_rate_hz, None);
    }

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
            (
                "Sleater-Kinney-Dig_Me_Out-1996-GRP",
                "Sleater-Kinney",
                "Dig Me Out",
            ),
            (
                "Wu-Tang_Clan-Enter_The_Wu-Tang-1993-GRP",
                "Wu-Tang Clan",
                "Enter The Wu-Tang",
            ),
            ("T-Pain-Epiphany-2007-GRP", "T-Pain", "Epiphany"),
            ("JAY-Z-4_44-2017-GRP", "JAY-Z", "4 44"),
            ("Blink-182-California-2016-GRP", "Blink-182", "California"),
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
                "Artist_Name-The_Album-Live_In_Paris-WEB-2019-GRP",
                "Artist Name",
                "The Album - Live In Paris",
            ),
            ("Artist-Album-Part_2-2019-GRP", "Artist", "Album - Part 2"),
            ("Artist-Album-24_96-WEB-2019-GRP", "Artist", "Album"),
            ("Artist-Album-24-96-WEB-2019-GRP", "Artist", "Album"),
            ("24_Hours-96_Tears-WEB-2019-GRP", "24 Hours", "96 Tears"),
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
