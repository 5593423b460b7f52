//! An indexer's capabilities (`t=caps`): which search modes it offers and
//! with which parameters.
//!
//! This decides how we search. Most Jackett indexers declare `music-search`
//! with `q` only and silently ignore `artist`/`album` (returning their latest
//! uploads as if they matched), and Prowlarr returns nothing when sent a
//! parameter its caps do not list — so we send music parameters only when
//! the caps name them.

use quick_xml::events::Event;

use super::text::prepare_document;
use super::xml::{
    DocumentError, MAX_DEPTH, attribute, attributes, local_name, malformed, reader, root_element,
    sniff,
};

/// One search mode (`search`, `music-search`, …) as the caps describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchMode {
    pub available: bool,
    /// Lower-case parameter names, e.g. `["q", "artist", "album"]`.
    pub params: Vec<String>,
    /// `searchEngine="raw"`: the indexer wants the title uncleaned in `q`.
    pub raw: bool,
}

impl SearchMode {
    /// True when the mode is available and takes every one of `params`.
    pub fn supports(&self, params: &[&str]) -> bool {
        self.available
            && params
                .iter()
                .all(|p| self.params.iter().any(|known| known == p))
    }
}

/// What `t=caps` said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caps {
    /// `<server title>`: "Jackett", "Prowlarr", or whatever a server says.
    pub server: Option<String>,
    pub search: SearchMode,
    /// `music-search`, or `audio-search` when that is all there is (both
    /// carry the same data in Jackett and Prowlarr; older Newznab sites
    /// used only the latter).
    pub music: SearchMode,
    /// `<limits max>`.
    pub max_results: Option<u32>,
    /// Every category id listed, subcategories included.
    pub categories: Vec<u32>,
}

impl Caps {
    /// What to assume when a server has no caps endpoint: a plain `q` search,
    /// the one thing every Torznab server does.
    pub fn assumed() -> Self {
        Self {
            search: SearchMode {
                available: true,
                params: vec!["q".into()],
                raw: false,
            },
            ..Self::default()
        }
    }

    /// True when `t=music&artist=…&album=…` will be understood.
    pub fn music_by_artist_and_album(&self) -> bool {
        self.music.supports(&["artist", "album"])
    }

    /// A one-line description for `indexers test`.
    pub fn describe(&self) -> String {
        let mode = |m: &SearchMode| {
            if m.available {
                m.params.join(",")
            } else {
                "unavailable".into()
            }
        };
        format!(
            "{}search [{}], music [{}], {} categories",
            self.server
                .as_deref()
                .map(|s| format!("{s}; "))
                .unwrap_or_default(),
            mode(&self.search),
            mode(&self.music),
            self.categories.len()
        )
    }
}

/// Parses a `t=caps` response (checking for `<error>` and non-XML first, like
/// every Torznab body).
pub fn parse_caps(body: &[u8]) -> Result<Caps, DocumentError> {
    sniff(body)?;
    let text = prepare_document(body);
    let mut reader = reader(&text);
    let (root, _) = root_element(&mut reader)?;
    if root != "caps" {
        return Err(DocumentError::Unexpected(format!(
            "a <{root}> document, not caps"
        )));
    }
    let mut caps = Caps::default();
    let mut audio: Option<SearchMode> = None;
    let mut music: Option<SearchMode> = None;
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(element)) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(DocumentError::Malformed(format!(
                        "elements nested deeper than {MAX_DEPTH}"
                    )));
                }
                let attributes = attributes(&element);
                match local_name(&element).as_str() {
                    "server" => {
                        caps.server = attribute(&attributes, "title").map(|t| t.trim().to_owned())
                    }
                    "limits" => {
                        caps.max_results =
                            attribute(&attributes, "max").and_then(|m| m.trim().parse().ok())
                    }
                    "search" => caps.search = mode(&attributes),
                    "music-search" => music = Some(mode(&attributes)),
                    "audio-search" => audio = Some(mode(&attributes)),
                    "category" | "subcat" => {
                        let id = attribute(&attributes, "id").and_then(|id| id.trim().parse().ok());
                        if let Some(id) = id.filter(|id| !caps.categories.contains(id)) {
                            caps.categories.push(id);
                        }
                    }
                    _ => {}
                }
            }
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(error) => return Err(malformed(&reader, &error)),
        }
    }
    // music-search first; audio-search when music-search is missing or
    // unavailable (a server may fill in only one of them).
    caps.music = match (music, audio) {
        (Some(music), _) if music.available => music,
        (_, Some(audio)) if audio.available => audio,
        (music, audio) => music.or(audio).unwrap_or_default(),
    };
    Ok(caps)
}

fn mode(attributes: &[(String, String)]) -> SearchMode {
    let available =
        attribute(attributes, "available").is_some_and(|a| a.trim().eq_ignore_ascii_case("yes"));
    // Older Newznab servers leave supportedParams out: `q` only.
    let params = match attribute(attributes, "supportedparams") {
        Some(list) => list
            .split(',')
            .map(|p| p.trim().to_ascii_lowercase())
            .filter(|p| !p.is_empty())
            .collect(),
        None => vec!["q".into()],
    };
    let raw =
        attribute(attributes, "searchengine").is_some_and(|e| e.trim().eq_ignore_ascii_case("raw"));
    SearchMode {
        available,
        params,
        raw,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn music_params_come_from_music_search_then_audio_search() {
        let caps = parse_caps(
            br#"<caps><server title="Jackett"/><limits default="100" max="100"/><searching>
                <search available="yes" supportedParams="q"/>
                <music-search available="yes" supportedParams="q,album,artist,year"/>
                <audio-search available="yes" supportedParams="q"/>
               </searching><categories><category id="3000" name="Audio">
               <subcat id="3040" name="Audio/Lossless"/></category>
               <category id="100023" name="FLAC 24bit"/></categories></caps>"#,
        )
        .unwrap();
        assert!(caps.music_by_artist_and_album());
        assert_eq!(caps.server.as_deref(), Some("Jackett"));
        assert_eq!(caps.max_results, Some(100));
        assert_eq!(caps.categories, vec![3000, 3040, 100_023]);
        assert_eq!(
            caps.describe(),
            "Jackett; search [q], music [q,album,artist,year], 3 categories"
        );

        let audio_only = parse_caps(
            br#"<caps><searching><music-search available="no" supportedParams="q"/>
                <audio-search available="yes" supportedParams="q,artist,album"/></searching></caps>"#,
        )
        .unwrap();
        assert!(audio_only.music_by_artist_and_album());
    }

    #[test]
    fn q_only_unavailable_and_missing_params_mean_no_music_params() {
        for body in [
            r#"<caps><searching><music-search available="yes" supportedParams="q"/></searching></caps>"#,
            r#"<caps><searching><music-search available="no" supportedParams="q,artist,album"/></searching></caps>"#,
            r#"<caps><searching><music-search available="yes"/></searching></caps>"#,
            r#"<caps><searching><music-search available="yes" supportedParams="q,artist"/></searching></caps>"#,
            r#"<caps/>"#,
        ] {
            let caps = parse_caps(body.as_bytes()).unwrap();
            assert!(!caps.music_by_artist_and_album(), "{body}");
        }
    }

    #[test]
    fn raw_search_engine_and_errors() {
        let caps = parse_caps(
            br#"<caps><searching><search available="yes" supportedParams="q" searchEngine="raw"/></searching></caps>"#,
        )
        .unwrap();
        assert!(caps.search.raw);
        let error =
            parse_caps(br#"<error code="100" description="Invalid API Key"/>"#).unwrap_err();
        assert!(matches!(error, DocumentError::Torznab(e) if e.is_bad_api_key()));
        assert!(matches!(
            parse_caps(b"<rss/>"),
            Err(DocumentError::Unexpected(_))
        ));
    }
}
