//! Decision rules: every reason a release can be rejected, as a named value
//! with a sentence a user understands, plus the two inputs that are lists
//! (terms from `[release]`, the blocklist).

use std::collections::HashSet;
use std::fmt;

use regex::{Regex, RegexBuilder};

use crate::indexer::Release;
use crate::model::Quality;

/// Why a release was not accepted. `Display` is the sentence shown to users.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    QualityNotInTier {
        quality: String,
        tier: Quality,
    },
    TooFewSeeders {
        seeders: u32,
        minimum: u32,
    },
    ImplausibleSize {
        size_bytes: u64,
        quality: String,
        duration_secs: u64,
        min_bytes: u64,
        max_bytes: u64,
    },
    MissingRequiredTerm {
        terms: Vec<String>,
    },
    IgnoredTerm {
        term: String,
    },
    BlocklistedInfoHash {
        info_hash: String,
    },
    BlocklistedTitle {
        indexer: String,
    },
    AlreadyGrabbed {
        info_hash: String,
    },
    WrongArtist {
        found: String,
        expected: String,
    },
    WrongAlbum {
        found: String,
        expected: String,
    },
    Discography,
    /// The title is not a release title (see `ParsedTitle::unparseable`).
    Unparseable,
}

/// "450 KB", "4.5 MB", "45 MB", "1.2 GB" (decimal units, as indexers show
/// them; small sizes keep enough digits to tell them apart).
pub fn human_size(bytes: u64) -> String {
    let mb = bytes as f64 / 1e6;
    if mb >= 1000.0 {
        format!("{:.1} GB", mb / 1000.0)
    } else if mb >= 10.0 {
        format!("{mb:.0} MB")
    } else if mb >= 1.0 {
        format!("{mb:.1} MB")
    } else {
        format!("{:.0} KB", bytes as f64 / 1e3)
    }
}

/// "52 min", or "0:45" under a minute.
fn human_duration(secs: u64) -> String {
    if secs < 60 {
        format!("0:{secs:02}")
    } else {
        format!("{} min", (secs + 30) / 60)
    }
}

fn or_unknown(s: &str) -> &str {
    if s.is_empty() { "unknown" } else { s }
}

impl Rejection {
    /// What kind of rejection this is, in a few words, to count the
    /// rejections of a run ("3 not in the tier, 2 not release titles").
    pub fn kind(&self) -> &'static str {
        match self {
            Rejection::QualityNotInTier { .. } => "not in the requested tier",
            Rejection::TooFewSeeders { .. } => "too few seeders",
            Rejection::ImplausibleSize { .. } => "an implausible size",
            Rejection::MissingRequiredTerm { .. } => "without a required term",
            Rejection::IgnoredTerm { .. } => "with an ignored term",
            Rejection::BlocklistedInfoHash { .. } | Rejection::BlocklistedTitle { .. } => {
                "blocklisted"
            }
            Rejection::AlreadyGrabbed { .. } => "already grabbed",
            Rejection::WrongArtist { .. } => "wrong artist",
            Rejection::WrongAlbum { .. } => "wrong album",
            Rejection::Discography => "a discography",
            Rejection::Unparseable => "not a release title",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::QualityNotInTier { quality, tier } => write!(
                f,
                "quality {} is not in the requested tier {tier}",
                or_unknown(quality)
            ),
            Rejection::TooFewSeeders { seeders, minimum } => write!(
                f,
                "{seeders} seeder{}, below the indexer minimum of {minimum}",
                if *seeders == 1 { "" } else { "s" }
            ),
            Rejection::ImplausibleSize {
                size_bytes,
                quality,
                duration_secs,
                min_bytes,
                max_bytes,
            } => write!(
                f,
                "size {} is implausible for {quality} over {} (expected {} to {})",
                human_size(*size_bytes),
                human_duration(*duration_secs),
                human_size(*min_bytes),
                human_size(*max_bytes)
            ),
            Rejection::MissingRequiredTerm { terms } => write!(
                f,
                "the title contains none of the required terms ({})",
                terms.join(", ")
            ),
            Rejection::IgnoredTerm { term } => {
                write!(f, "the title contains the ignored term {term}")
            }
            Rejection::BlocklistedInfoHash { info_hash } => {
                write!(f, "info hash {info_hash} is blocklisted")
            }
            Rejection::BlocklistedTitle { indexer } => {
                write!(f, "this title is blocklisted on indexer {indexer}")
            }
            Rejection::AlreadyGrabbed { info_hash } => {
                write!(f, "already grabbed for this album (info hash {info_hash})")
            }
            Rejection::WrongArtist { found, expected } => write!(
                f,
                "artist \"{}\" is not the album's artist \"{expected}\"",
                or_unknown(found)
            ),
            Rejection::WrongAlbum { found, expected } => write!(
                f,
                "album \"{}\" is not the requested album \"{expected}\"",
                or_unknown(found)
            ),
            Rejection::Discography => f.write_str(
                "a discography or collection pack, and [release] allow_discographies is off",
            ),
            Rejection::Unparseable => f.write_str(
                "not a release title (a hash, a random string, a Usenet subject or a video file)",
            ),
        }
    }
}

/// A `[release]` term that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("[release] term {term:?} is not a valid regular expression: {message}")]
pub struct TermError {
    pub term: String,
    pub message: String,
}

#[derive(Debug, Clone)]
enum Term {
    Plain { shown: String, lower: String },
    Pattern { shown: String, re: Regex },
}

impl Term {
    /// `/…/` is a case-insensitive regular expression; anything else a
    /// case-insensitive substring (as in Lidarr, so users' lists carry over).
    fn parse(term: &str) -> Result<Self, TermError> {
        let trimmed = term.trim();
        if trimmed.len() >= 2 && trimmed.starts_with('/') && trimmed.ends_with('/') {
            let body = &trimmed[1..trimmed.len() - 1];
            let re = RegexBuilder::new(body)
                .case_insensitive(true)
                .build()
                .map_err(|e| TermError {
                    term: term.to_owned(),
                    message: e.to_string(),
                })?;
            Ok(Term::Pattern {
                shown: trimmed.to_owned(),
                re,
            })
        } else {
            Ok(Term::Plain {
                shown: format!("\"{trimmed}\""),
                lower: trimmed.to_lowercase(),
            })
        }
    }

    fn matches(&self, title_lower: &str, title: &str) -> bool {
        match self {
            Term::Plain { lower, .. } => !lower.is_empty() && title_lower.contains(lower.as_str()),
            Term::Pattern { re, .. } => re.is_match(title),
        }
    }

    fn shown(&self) -> &str {
        match self {
            Term::Plain { shown, .. } | Term::Pattern { shown, .. } => shown,
        }
    }
}

/// `[release] required_terms` (at least one must appear, when any are set)
/// and `ignored_terms` (none may appear).
#[derive(Debug, Clone, Default)]
pub struct TermFilter {
    required: Vec<Term>,
    ignored: Vec<Term>,
}

impl TermFilter {
    pub fn new(required: &[String], ignored: &[String]) -> Result<Self, TermError> {
        Ok(Self {
            required: required
                .iter()
                .map(|t| Term::parse(t))
                .collect::<Result<_, _>>()?,
            ignored: ignored
                .iter()
                .map(|t| Term::parse(t))
                .collect::<Result<_, _>>()?,
        })
    }

    pub fn check(&self, title: &str) -> Vec<Rejection> {
        let lower = title.to_lowercase();
        let mut out = Vec::new();
        if !self.required.is_empty() && !self.required.iter().any(|t| t.matches(&lower, title)) {
            out.push(Rejection::MissingRequiredTerm {
                terms: self.required.iter().map(|t| t.shown().to_owned()).collect(),
            });
        }
        for t in &self.ignored {
            if t.matches(&lower, title) {
                out.push(Rejection::IgnoredTerm {
                    term: t.shown().to_owned(),
                });
            }
        }
        out
    }
}

/// Releases the user (or a failed download) ruled out: by info hash, or by
/// title on one indexer (for feeds without hashes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Blocklist {
    info_hashes: HashSet<String>,
    titles: HashSet<(String, String)>,
}

impl Blocklist {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn block_info_hash(&mut self, info_hash: &str) {
        self.info_hashes
            .insert(info_hash.trim().to_ascii_lowercase());
    }

    /// Titles compare case-insensitively; the indexer name exactly.
    pub fn block_title(&mut self, indexer: &str, title: &str) {
        self.titles
            .insert((indexer.to_owned(), title.trim().to_lowercase()));
    }

    /// Whether this info hash (any case) is blocked.
    pub fn is_blocked_hash(&self, info_hash: &str) -> bool {
        self.info_hashes.contains(&info_hash.to_ascii_lowercase())
    }

    pub fn check(&self, release: &Release) -> Option<Rejection> {
        if let Some(hash) = release_info_hash(release)
            && self.info_hashes.contains(&hash)
        {
            return Some(Rejection::BlocklistedInfoHash { info_hash: hash });
        }
        let key = (release.indexer.clone(), release.title.trim().to_lowercase());
        self.titles
            .contains(&key)
            .then(|| Rejection::BlocklistedTitle {
                indexer: release.indexer.clone(),
            })
    }
}

/// The release's v1 info hash, lower-case hex: the feed's, else the one in
/// its magnet URI (hex form only; base32 magnets are left to the resolver).
pub fn release_info_hash(release: &Release) -> Option<String> {
    if let Some(h) = release
        .info_hash
        .as_deref()
        .filter(|h| !h.trim().is_empty())
    {
        return Some(h.trim().to_ascii_lowercase());
    }
    let magnet = release.magnet_uri.as_deref()?;
    let lower = magnet.to_ascii_lowercase();
    let start = lower.find("xt=urn:btih:")? + "xt=urn:btih:".len();
    let hash: String = lower[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    (hash.len() == 40).then_some(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_plain_and_regex() {
        let f = TermFilter::new(&["flac".into(), "/\\bweb\\b/".into()], &["Karaoke".into()])
            .expect("valid terms");
        assert!(f.check("Artist - Album [FLAC]").is_empty());
        assert!(f.check("Artist-Album-WEB-2019-GRP").is_empty());
        assert_eq!(f.check("Artist - Album [MP3]").len(), 1);
        let r = f.check("Artist - Karaoke Hits [FLAC]");
        assert_eq!(r.len(), 1);
        assert_eq!(
            r[0].to_string(),
            "the title contains the ignored term \"Karaoke\""
        );
        assert!(TermFilter::new(&["/(unclosed/".into()], &[]).is_err());
    }

    #[test]
    fn blocklist_by_hash_magnet_and_title() {
        let mut b = Blocklist::new();
        b.block_info_hash("ABCDEF0123456789ABCDEF0123456789ABCDEF01");
        b.block_title("jackett", "Artist - Album [FLAC]");
        let mut r = Release {
            indexer: "other".into(),
            title: "x".into(),
            magnet_uri: Some(
                "magnet:?xt=urn:btih:abcdef0123456789abcdef0123456789abcdef01&dn=x".into(),
            ),
            ..Release::default()
        };
        assert!(matches!(
            b.check(&r),
            Some(Rejection::BlocklistedInfoHash { .. })
        ));
        r.magnet_uri = None;
        assert_eq!(b.check(&r), None);
        r.indexer = "jackett".into();
        r.title = "artist - album [flac]".into();
        assert!(matches!(
            b.check(&r),
            Some(Rejection::BlocklistedTitle { .. })
        ));
    }

    #[test]
    fn sentences() {
        let r = Rejection::TooFewSeeders {
            seeders: 2,
            minimum: 3,
        };
        assert_eq!(r.to_string(), "2 seeders, below the indexer minimum of 3");
        let r = Rejection::ImplausibleSize {
            size_bytes: 45_000_000,
            quality: "FLAC".into(),
            duration_secs: 52 * 60,
            min_bytes: 180_000_000,
            max_bytes: 600_000_000,
        };
        assert_eq!(
            r.to_string(),
            "size 45 MB is implausible for FLAC over 52 min (expected 180 MB to 600 MB)"
        );
        let r = Rejection::QualityNotInTier {
            quality: "MP3 320".into(),
            tier: Quality::Lossless,
        };
        assert_eq!(
            r.to_string(),
            "quality MP3 320 is not in the requested tier lossless"
        );
    }
}
