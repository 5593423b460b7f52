//! What we send: which search mode, with which cleaned terms.
//!
//! Two decisions live here. **Mode**: `t=music&artist=…&album=…` only when
//! the indexer's caps list both parameters (Jackett indexers otherwise ignore
//! them and return their latest uploads; Prowlarr returns nothing), else
//! `t=search&q=<artist> <album>`. **Cleaning**: trackers' search engines
//! (Sphinx on Gazelle sites, SQL `LIKE` elsewhere) choke on punctuation or
//! read it as operators (`-word` excludes, `!`, `|`, `"`, `@` are syntax), and
//! most store titles without accents, so we send words only.
//!
//! Cleaning rules, each with its test case below:
//! 1. Typographic quotes and dashes become `'` and `-` ("Don’t" = "Don't").
//! 2. Latin accents are folded: "Beyoncé" → "Beyonce", "Mötley Crüe" →
//!    "Motley Crue", "Þeyr" → "Theyr", ß → ss. Other scripts stay as written.
//! 3. Every other non-alphanumeric character is a word break: "AC/DC" →
//!    "AC DC", "Simon & Garfunkel" → "Simon Garfunkel" (no "and": titles use
//!    "&" as often as "and", and both match the two remaining words).
//! 4. `'`, `-` and `.` survive only inside a word ("Jay-Z", "R.E.M",
//!    "Don't"); at a word's edge they are trimmed, so no word starts with the
//!    `-` that search engines read as NOT.
//! 5. Whitespace is collapsed.
//! 6. A term that cleans to nothing ("!!!", the band) is sent as typed:
//!    searching for nothing would return everything.
//!
//! An indexer whose caps say `searchEngine="raw"` gets the terms uncleaned.

use super::caps::Caps;

/// Which Torznab function a request calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    /// `t=music` with `artist` and `album`.
    Music,
    /// A free-text `q` (`t=search`, or `t=music` when plain search is not
    /// offered).
    Text,
    /// No terms: the indexer's latest releases in our categories (used to
    /// test that an indexer answers, never to find an album).
    Latest,
}

/// One search request's parameters, apart from `apikey`, `cat` and `limit`,
/// which the client adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    pub kind: SearchKind,
    pub params: Vec<(&'static str, String)>,
}

impl SearchRequest {
    /// How the request reads in a report: `t=music artist="…" album="…"`.
    pub fn describe(&self) -> String {
        self.params
            .iter()
            .map(|(key, value)| {
                if *key == "t" {
                    format!("t={value}")
                } else {
                    format!("{key}=\"{value}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The no-terms request used by `indexers test`.
    pub fn latest() -> Self {
        Self {
            kind: SearchKind::Latest,
            params: vec![("t", "search".into())],
        }
    }
}

/// The requests to try for an album, in order: a music search when the caps
/// allow it, then the `q` search (sent when the music search finds nothing,
/// or first when there is no music search).
pub fn plan(caps: &Caps, artist: &str, album: &str, year: Option<i32>) -> Vec<SearchRequest> {
    let mut requests = Vec::with_capacity(2);
    let album = album.trim();
    // A compilation's credit ("Various Artists") is not in its release
    // titles ("VA - …", or the title alone): trackers AND their keywords,
    // so searching by it finds nothing. Search by the album alone.
    let artist = match artist.trim() {
        a if is_various_artists(a) => "",
        a => a,
    };
    if caps.music_by_artist_and_album() && !artist.is_empty() && !album.is_empty() {
        let clean = |term: &str| {
            if caps.music.raw {
                term.to_owned()
            } else {
                clean_term(term)
            }
        };
        let mut params = vec![
            ("t", "music".to_owned()),
            ("artist", clean(artist)),
            ("album", clean(album)),
        ];
        // Like Lidarr: the year only for self-titled albums, where artist and
        // album alone cannot tell the records apart. Indexers that fold the
        // year into keywords otherwise miss titles without it.
        if let Some(year) =
            year.filter(|_| artist.eq_ignore_ascii_case(album) && caps.music.supports(&["year"]))
        {
            params.push(("year", year.to_string()));
        }
        requests.push(SearchRequest {
            kind: SearchKind::Music,
            params,
        });
    }
    // Plain search is nearly universal; fall back to music-with-q only when
    // the caps say search is off but music is on.
    let (function, mode) = if !caps.search.available && caps.music.supports(&["q"]) {
        ("music", &caps.music)
    } else {
        ("search", &caps.search)
    };
    let terms = [artist, album].into_iter().filter(|t| !t.is_empty());
    let q = if mode.raw {
        terms.collect::<Vec<_>>().join(" ")
    } else {
        terms.map(clean_term).collect::<Vec<_>>().join(" ")
    };
    requests.push(SearchRequest {
        kind: SearchKind::Text,
        params: vec![("t", function.to_owned()), ("q", q)],
    });
    requests
}

/// MusicBrainz's "Various Artists" and the usual spellings of it.
fn is_various_artists(artist: &str) -> bool {
    let a = artist.to_ascii_lowercase();
    matches!(
        a.as_str(),
        "various artists" | "various" | "va" | "v.a." | "v/a"
    )
}

/// Cleans one search term by the rules in the module documentation.
pub fn clean_term(term: &str) -> String {
    let mut spaced = String::with_capacity(term.len());
    for c in term.chars() {
        match c {
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{02BC}' | '\u{00B4}' | '`' => {
                spaced.push('\'')
            }
            '\u{2010}'..='\u{2015}' | '\u{2212}' => spaced.push('-'),
            '\'' | '-' | '.' => spaced.push(c),
            c if c.is_alphanumeric() => match fold(c) {
                Some(folded) => spaced.push_str(folded),
                None => spaced.push(c),
            },
            _ => spaced.push(' '),
        }
    }
    let words: Vec<&str> = spaced
        .split_whitespace()
        .map(|word| word.trim_matches(['\'', '-', '.']))
        .filter(|word| !word.is_empty())
        .collect();
    if words.is_empty() {
        return term.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    words.join(" ")
}

/// Latin letters with diacritics (Latin-1 and Latin Extended-A) to their
/// plain forms; upper case stays upper case.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'æ' => "ae",
        'Æ' => "AE",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => "C",
        'ď' | 'đ' | 'ð' => "d",
        'Ď' | 'Đ' | 'Ð' => "D",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "G",
        'ĥ' | 'ħ' => "h",
        'Ĥ' | 'Ħ' => "H",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => "I",
        'ĵ' => "j",
        'Ĵ' => "J",
        'ķ' => "k",
        'Ķ' => "K",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => "L",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'Ñ' | 'Ń' | 'Ņ' | 'Ň' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ŏ' | 'Ő' => "O",
        'œ' => "oe",
        'Œ' => "OE",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'Ŕ' | 'Ŗ' | 'Ř' => "R",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'Ś' | 'Ŝ' | 'Ş' | 'Š' | 'Ș' => "S",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => "T",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "U",
        'ŵ' => "w",
        'Ŵ' => "W",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'Ý' | 'Ÿ' | 'Ŷ' => "Y",
        'ź' | 'ż' | 'ž' => "z",
        'Ź' | 'Ż' | 'Ž' => "Z",
        'þ' => "th",
        'Þ' => "Th",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indexer::caps::SearchMode;

    #[test]
    fn cleaning_rules_each_with_a_case() {
        let cases = [
            // 1. typography
            ("Don\u{2019}t Stop \u{2013} Live", "Don't Stop Live"),
            // 2. accents
            ("Beyoncé", "Beyonce"),
            ("Mötley Crüe", "Motley Crue"),
            ("Sigur Rós", "Sigur Ros"),
            ("Þeyr Straße Æon", "Theyr Strasse AEon"),
            ("Кино 坂本龍一", "Кино 坂本龍一"),
            // 3. punctuation breaks words
            ("AC/DC", "AC DC"),
            ("Simon & Garfunkel", "Simon Garfunkel"),
            ("Hello, Goodbye: The Best!", "Hello Goodbye The Best"),
            (
                "(What's the Story) Morning Glory?",
                "What's the Story Morning Glory",
            ),
            ("\"Heroes\" [Remastered]", "Heroes Remastered"),
            ("Vol. 2 @ 100% +1 | x*", "Vol 2 100 1 x"),
            // 4. ' - . inside words only
            ("Jay-Z", "Jay-Z"),
            ("R.E.M.", "R.E.M"),
            ("Guns N' Roses", "Guns N Roses"),
            ("...And Justice for All", "And Justice for All"),
            ("- Live -", "Live"),
            // 5. whitespace
            ("  Massive\t\nAttack  ", "Massive Attack"),
            // 6. nothing left: as typed
            ("!!!", "!!!"),
            ("  ?  ! ", "? !"),
        ];
        for (input, expected) in cases {
            assert_eq!(clean_term(input), expected, "cleaning {input:?}");
        }
    }

    fn caps(music_params: &str, search_available: bool) -> Caps {
        Caps {
            search: SearchMode {
                available: search_available,
                params: vec!["q".into()],
                raw: false,
            },
            music: SearchMode {
                available: true,
                params: music_params.split(',').map(str::to_owned).collect(),
                raw: false,
            },
            ..Caps::default()
        }
    }

    #[test]
    fn music_search_only_when_caps_list_artist_and_album() {
        let both = plan(
            &caps("q,album,artist", true),
            "Björk",
            "Homogenic",
            Some(1997),
        );
        assert_eq!(
            both.iter().map(SearchRequest::describe).collect::<Vec<_>>(),
            [
                "t=music artist=\"Bjork\" album=\"Homogenic\"",
                "t=search q=\"Bjork Homogenic\""
            ]
        );
        let q_only = plan(&caps("q", true), "Björk", "Homogenic", Some(1997));
        assert_eq!(q_only.len(), 1);
        assert_eq!(q_only[0].describe(), "t=search q=\"Bjork Homogenic\"");
        assert_eq!(q_only[0].kind, SearchKind::Text);
        let no_search = plan(&caps("q", false), "A", "B", None);
        assert_eq!(no_search[0].describe(), "t=music q=\"A B\"");
        let no_album = plan(&caps("q,album,artist", true), "Artist", "", None);
        assert_eq!(no_album.len(), 1, "music search needs both terms");
    }

    #[test]
    fn the_year_only_for_self_titled_albums_and_when_supported() {
        let with_year = plan(
            &caps("q,album,artist,year", true),
            "Weezer",
            "weezer",
            Some(1994),
        );
        assert_eq!(
            with_year[0].describe(),
            "t=music artist=\"Weezer\" album=\"weezer\" year=\"1994\""
        );
        let other = plan(
            &caps("q,album,artist,year", true),
            "Weezer",
            "Pinkerton",
            Some(1996),
        );
        assert!(!other[0].describe().contains("year"));
        let unsupported = plan(
            &caps("q,album,artist", true),
            "Weezer",
            "Weezer",
            Some(1994),
        );
        assert!(!unsupported[0].describe().contains("year"));
    }

    #[test]
    fn compilations_are_searched_by_album_alone() {
        let plan = plan(
            &caps("q,artist,album", true),
            "Various Artists",
            "Pulp Fiction OST",
            None,
        );
        assert_eq!(plan.len(), 1, "no artist+album music search: {plan:?}");
        assert_eq!(
            plan[0].params,
            vec![
                ("t", "search".to_owned()),
                ("q", "Pulp Fiction OST".to_owned())
            ]
        );
    }

    #[test]
    fn raw_engines_get_terms_as_written() {
        let mut raw = caps("q", true);
        raw.search.raw = true;
        assert_eq!(
            plan(&raw, "AC/DC", "Back in Black", None)[0].describe(),
            "t=search q=\"AC/DC Back in Black\""
        );
    }
}
