//! [`RankingSelector`]: the real [`ReleaseSelector`]. It parses every title,
//! infers the quality, applies every decision rule (collecting all reasons,
//! not just the first, so users see everything wrong with a release) and
//! ranks what is left.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;

use super::evidence::{QualityGuess, album_duration, infer_quality};
use super::matching::match_album;
use super::rank::{DEFAULT_INDEXER_PRIORITY, ScoreParts, compare, seeder_bucket, size_closeness};
use super::report::details_json;
use super::rules::{Blocklist, Rejection, TermError, TermFilter, release_info_hash};
use super::tier::{expected_size, quality_label, tier_rank};
use super::title::{ParsedTitle, parse_title};
use super::{Candidate, History, ReleaseSelector, Selection};
use crate::config::{Config, ReleaseConfig};
use crate::indexer::Release;
use crate::metadata::Album;
use crate::model::{AlbumId, Quality};

/// One release's full evaluation: what [`Candidate`] carries plus the parsed
/// fields, the quality evidence and the typed reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub candidate: Candidate,
    pub parsed: ParsedTitle,
    pub guess: QualityGuess,
    pub reasons: Vec<Rejection>,
    /// The score's parts (for accepted and rejected releases alike).
    pub parts: ScoreParts,
}

/// Chooses releases by the rules of the [releases] issue.
#[derive(Debug, Clone)]
pub struct RankingSelector {
    terms: TermFilter,
    allow_discographies: bool,
    priorities: HashMap<String, i32>,
    min_seeders: HashMap<String, u32>,
    default_min_seeders: u32,
    blocklist: Blocklist,
    grabbed: HashMap<AlbumId, HashSet<String>>,
}

impl RankingSelector {
    /// Fails only on a `/regex/` term that does not compile.
    pub fn new(release: &ReleaseConfig) -> Result<Self, TermError> {
        Ok(Self {
            terms: TermFilter::new(&release.required_terms, &release.ignored_terms)?,
            allow_discographies: release.allow_discographies,
            priorities: HashMap::new(),
            min_seeders: HashMap::new(),
            default_min_seeders: 1,
            blocklist: Blocklist::default(),
            grabbed: HashMap::new(),
        })
    }

    /// `[release]` plus each configured indexer's priority.
    pub fn from_config(config: &Config) -> Result<Self, TermError> {
        let mut selector = Self::new(&config.release)?;
        for indexer in &config.indexers {
            selector
                .priorities
                .insert(indexer.name.clone(), indexer.priority);
        }
        Ok(selector)
    }

    /// Lower wins; indexers not named get 25.
    pub fn with_indexer_priorities(mut self, priorities: HashMap<String, i32>) -> Self {
        self.priorities.extend(priorities);
        self
    }

    /// Per-indexer minimum seeders; indexers not named get the default.
    pub fn with_min_seeders(mut self, minimums: HashMap<String, u32>) -> Self {
        self.min_seeders.extend(minimums);
        self
    }

    /// The minimum for indexers without their own (1 unless set).
    pub fn with_default_min_seeders(mut self, minimum: u32) -> Self {
        self.default_min_seeders = minimum;
        self
    }

    pub fn with_blocklist(mut self, blocklist: Blocklist) -> Self {
        self.blocklist = blocklist;
        self
    }

    /// Info hashes already grabbed for `album` (lower-cased here).
    pub fn with_grabbed(mut self, album: AlbumId, info_hashes: HashSet<String>) -> Self {
        self.grabbed.insert(
            album,
            info_hashes.iter().map(|h| h.to_ascii_lowercase()).collect(),
        );
        self
    }

    /// Evaluates every release; the result is in input order.
    pub fn evaluate(
        &self,
        album: &Album,
        quality: Quality,
        releases: Vec<Release>,
        history: &History,
    ) -> Vec<Evaluation> {
        let duration = album_duration(album);
        let mut grabbed: HashSet<String> = history
            .grabbed
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        if let Some(known) = self.grabbed.get(&album.id) {
            grabbed.extend(known.iter().cloned());
        }
        releases
            .into_iter()
            .map(|release| {
                self.evaluate_one(
                    album,
                    quality,
                    duration,
                    &grabbed,
                    &history.blocklist,
                    release,
                )
            })
            .collect()
    }

    fn evaluate_one(
        &self,
        album: &Album,
        quality: Quality,
        duration: Option<std::time::Duration>,
        grabbed: &HashSet<String>,
        blocklist: &Blocklist,
        release: Release,
    ) -> Evaluation {
        let parsed = parse_title(&release.title);
        let guess = infer_quality(&parsed, &release.categories, release.size_bytes, duration);
        let label = quality_label(&guess);
        let mut reasons = Vec::new();

        let rank = tier_rank(&guess, quality);
        if rank.is_none() {
            reasons.push(Rejection::QualityNotInTier {
                quality: label.clone(),
                tier: quality,
            });
        }
        // The indexer's own setting travels with its releases; the
        // selector's map is for callers without a configuration.
        let minimum = release
            .minimum_seeders
            .or_else(|| self.min_seeders.get(&release.indexer).copied())
            .unwrap_or(self.default_min_seeders);
        if let Some(seeders) = release.seeders
            && seeders < minimum
        {
            reasons.push(Rejection::TooFewSeeders { seeders, minimum });
        }
        let expected = duration.and_then(|d| expected_size(&guess, d));
        if let (Some(size), Some(d), Some((min, _, max))) = (release.size_bytes, duration, expected)
            && !parsed.discography
            && (size < min || size > max)
        {
            reasons.push(Rejection::ImplausibleSize {
                size_bytes: size,
                quality: label.clone(),
                duration_secs: d.as_secs(),
                min_bytes: min,
                max_bytes: max,
            });
        }
        reasons.extend(self.terms.check(&release.title));
        reasons.extend(self.blocklist.check(&release));
        if let Some(blocked) = blocklist.check(&release)
            && !reasons.contains(&blocked)
        {
            reasons.push(blocked);
        }
        if let Some(hash) = release_info_hash(&release)
            && grabbed.contains(&hash)
        {
            reasons.push(Rejection::AlreadyGrabbed { info_hash: hash });
        }
        let matched = match_album(&release.title, &parsed, album, self.allow_discographies);
        reasons.extend(matched.rejections);

        let parts = ScoreParts {
            tier_rank: rank
                .or_else(|| tier_rank(&guess, Quality::Any))
                .unwrap_or(100),
            seeder_bucket: seeder_bucket(release.seeders),
            revision: parsed.revision.map_or(0, |r| r.level()),
            indexer_priority: release
                .indexer_priority
                .or_else(|| self.priorities.get(&release.indexer).copied())
                .unwrap_or(DEFAULT_INDEXER_PRIORITY),
            size_closeness: size_closeness(release.size_bytes, expected.map(|(_, t, _)| t)),
            freeleech: release.download_volume_factor == Some(0.0),
        };
        let mut details = details_json(&parsed, &guess);
        if let serde_json::Value::Object(map) = &mut details {
            map.insert("score_parts".into(), serde_json::json!(parts));
            // how the title was read as this album, when the parser's names were not enough
            map.insert("read_as".into(), serde_json::json!(matched.read_as));
            let kinds: Vec<&str> = reasons.iter().map(Rejection::kind).collect();
            map.insert("rejection_kinds".into(), serde_json::json!(kinds));
        }
        let candidate = Candidate {
            details,
            release,
            quality: label,
            // rejected candidates score 0: the number ranks, it does not judge
            score: if reasons.is_empty() {
                parts.score()
            } else {
                0.0
            },
            rejections: reasons.iter().map(ToString::to_string).collect(),
        };
        Evaluation {
            candidate,
            parsed,
            guess,
            reasons,
            parts,
        }
    }

    /// The synchronous core of [`ReleaseSelector::select`].
    pub fn select_now(
        &self,
        album: &Album,
        quality: Quality,
        releases: Vec<Release>,
        history: &History,
    ) -> Selection {
        let mut selection = Selection::default();
        for e in self.evaluate(album, quality, releases, history) {
            if e.reasons.is_empty() {
                selection.accepted.push(e.candidate);
            } else {
                selection.rejected.push(e.candidate);
            }
        }
        selection.accepted.sort_by(compare);
        selection.rejected.sort_by(compare);
        selection
    }
}

#[async_trait]
impl ReleaseSelector for RankingSelector {
    async fn select(
        &self,
        album: &Album,
        quality: Quality,
        releases: Vec<Release>,
        history: &History,
    ) -> Selection {
        self.select_now(album, quality, releases, history)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::Track;

    const HASH: &str = "0123456789abcdef0123456789abcdef01234567";

    /// "Artist - Album", 10 tracks of 5 minutes (50 min).
    fn album() -> Album {
        let id = AlbumId::parse("1b022e01-4da6-387b-8658-8678046e4cef").expect("valid id");
        Album {
            artist: "Artist".into(),
            title: "Album".into(),
            tracks: (1..=10)
                .map(|n| Track {
                    disc: 1,
                    position: n,
                    number: n.to_string(),
                    title: format!("Track {n}"),
                    length_ms: Some(300_000),
                })
                .collect(),
            ..Album::unknown(id)
        }
    }

    /// A FLAC release that passes every rule: 50 min at ~900 kbps.
    fn good() -> Release {
        Release {
            indexer: "jackett".into(),
            title: "Artist - Album (2019) [FLAC]".into(),
            guid: "g1".into(),
            info_hash: Some(HASH.into()),
            size_bytes: Some(340_000_000),
            seeders: Some(12),
            categories: vec![3040],
            ..Release::default()
        }
    }

    fn selector() -> RankingSelector {
        RankingSelector::new(&ReleaseConfig::default()).expect("no terms")
    }

    fn reasons(s: &RankingSelector, quality: Quality, r: Release) -> Vec<Rejection> {
        s.evaluate(&album(), quality, vec![r], &History::default())
            .pop()
            .map(|e| e.reasons)
            .unwrap_or_default()
    }

    #[test]
    fn the_good_release_passes() {
        assert_eq!(reasons(&selector(), Quality::Lossless, good()), vec![]);
    }

    #[test]
    fn each_rejection_alone() {
        let s = selector();
        let r = reasons(&s, Quality::Mp3_320, good());
        assert!(
            matches!(r.as_slice(), [Rejection::QualityNotInTier { .. }]),
            "{r:?}"
        );

        let strict = selector().with_min_seeders(HashMap::from([("jackett".into(), 20)]));
        let r = reasons(&strict, Quality::Lossless, good());
        assert_eq!(
            r,
            vec![Rejection::TooFewSeeders {
                seeders: 12,
                minimum: 20
            }]
        );
        // unknown seeders are not too few
        let r = reasons(
            &strict,
            Quality::Lossless,
            Release {
                seeders: None,
                ..good()
            },
        );
        assert_eq!(r, vec![]);

        let r = reasons(
            &s,
            Quality::Lossless,
            Release {
                size_bytes: Some(45_000_000),
                ..good()
            },
        );
        assert!(
            matches!(r.as_slice(), [Rejection::ImplausibleSize { .. }]),
            "{r:?}"
        );
        assert!(
            r[0].to_string()
                .starts_with("size 45 MB is implausible for FLAC over 50 min")
        );

        let terms = ReleaseConfig {
            required_terms: vec!["/\\bweb\\b/".into()],
            ..ReleaseConfig::default()
        };
        let r = reasons(
            &RankingSelector::new(&terms).expect("valid"),
            Quality::Lossless,
            good(),
        );
        assert!(
            matches!(r.as_slice(), [Rejection::MissingRequiredTerm { .. }]),
            "{r:?}"
        );
        let terms = ReleaseConfig {
            ignored_terms: vec!["flac".into()],
            ..ReleaseConfig::default()
        };
        let r = reasons(
            &RankingSelector::new(&terms).expect("valid"),
            Quality::Lossless,
            good(),
        );
        assert!(
            matches!(r.as_slice(), [Rejection::IgnoredTerm { .. }]),
            "{r:?}"
        );

        let mut blocklist = Blocklist::new();
        blocklist.block_info_hash(HASH);
        let r = reasons(
            &selector().with_blocklist(blocklist),
            Quality::Lossless,
            good(),
        );
        assert!(
            matches!(r.as_slice(), [Rejection::BlocklistedInfoHash { .. }]),
            "{r:?}"
        );
        let mut blocklist = Blocklist::new();
        blocklist.block_title("jackett", &good().title);
        let r = reasons(
            &selector().with_blocklist(blocklist),
            Quality::Lossless,
            good(),
        );
        assert!(
            matches!(r.as_slice(), [Rejection::BlocklistedTitle { .. }]),
            "{r:?}"
        );

        let grabbed = selector().with_grabbed(album().id, HashSet::from([HASH.to_uppercase()]));
        let r = reasons(&grabbed, Quality::Lossless, good());
        assert!(
            matches!(r.as_slice(), [Rejection::AlreadyGrabbed { .. }]),
            "{r:?}"
        );

        let wrong = Release {
            title: "Other - Album (2019) [FLAC]".into(),
            ..good()
        };
        let r = reasons(&s, Quality::Lossless, wrong);
        assert!(
            matches!(r.as_slice(), [Rejection::WrongArtist { .. }]),
            "{r:?}"
        );
        let wrong = Release {
            title: "Artist - Other (2019) [FLAC]".into(),
            ..good()
        };
        let r = reasons(&s, Quality::Lossless, wrong);
        assert!(
            matches!(r.as_slice(), [Rejection::WrongAlbum { .. }]),
            "{r:?}"
        );
        let pack = Release {
            title: "Artist - Discography 1990-2000 [FLAC]".into(),
            ..good()
        };
        let r = reasons(&s, Quality::Lossless, pack);
        assert_eq!(r, vec![Rejection::Discography]);
        let hash = Release {
            title: "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00".into(),
            ..good()
        };
        assert_eq!(
            reasons(&s, Quality::Any, hash),
            vec![Rejection::Unparseable]
        );
    }

    #[test]
    fn ranking_follows_the_documented_order() {
        let s = selector().with_indexer_priorities(HashMap::from([("best".into(), 1)]));
        let rel = |guid: &str, title: &str, seeders: u32, indexer: &str| Release {
            guid: guid.into(),
            title: title.into(),
            seeders: Some(seeders),
            indexer: indexer.into(),
            ..good()
        };
        let releases = vec![
            // 24-bit FLAC ranks below 16-bit FLAC in "lossless"
            Release {
                size_bytes: Some(1_200_000_000),
                ..rel("hires", "Artist - Album [FLAC 24-96]", 500, "jackett")
            },
            // more seeders by magnitude wins over indexer priority
            rel("many", "Artist - Album [FLAC] [WEB]", 150, "jackett"),
            // 10 and 30 tie; indexer priority then decides
            rel("prio", "Artist - Album [FLAC] [CD]", 10, "best"),
            rel("few", "Artist - Album [FLAC] [Vinyl]", 30, "jackett"),
            rel("alac", "Artist - Album [ALAC]", 5000, "best"),
        ];
        let sel = s.select_now(&album(), Quality::Lossless, releases, &History::default());
        let order: Vec<&str> = sel
            .accepted
            .iter()
            .map(|c| c.release.guid.as_str())
            .collect();
        assert_eq!(order, ["many", "prio", "few", "alac", "hires"], "{sel:#?}");
        assert!(sel.rejected.is_empty());
        assert!(sel.accepted.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn higher_revision_wins_at_equal_quality() {
        let s = selector().with_indexer_priorities(HashMap::from([("best".into(), 1)]));
        let rel = |guid: &str, title: &str, indexer: &str| Release {
            guid: guid.into(),
            title: title.into(),
            indexer: indexer.into(),
            ..good()
        };
        let (j, t) = ("jackett", "Artist-Album-REPACK2-WEB-FLAC-2019-GRP");
        let releases = vec![
            rel("orig", "Artist-Album-WEB-FLAC-2019-GRP", "best"),
            rel("proper", "Artist-Album-PROPER-WEB-FLAC-2019-GRP", j),
            rel("repack2", t, j),
        ];
        let sel = s.select_now(&album(), Quality::Any, releases, &History::default());
        let order: Vec<_> = sel.accepted.iter().map(|c| &c.release.guid).collect();
        // revision beats indexer priority (and the tier beats it: rank.rs)
        assert_eq!(order, ["repack2", "proper", "orig"], "{sel:#?}");
    }

    #[test]
    fn size_closeness_then_freeleech_then_stable_tie_break() {
        let s = selector();
        let rel = |guid: &str, title: &str, size: u64, free: bool| Release {
            guid: guid.into(),
            title: title.into(),
            size_bytes: Some(size),
            download_volume_factor: Some(if free { 0.0 } else { 1.0 }),
            ..good()
        };
        // expected FLAC 16-bit size for 50 min ≈ 275 MB
        let releases = vec![
            rel("far", "Artist - Album [FLAC]", 900_000_000, true),
            rel("close", "Artist - Album [FLAC]", 280_000_000, false),
            rel("close-free", "Artist - Album [FLAC]", 280_000_000, true),
            rel("b", "Artist - Album [FLAC] (b)", 280_000_000, false),
            rel("a", "Artist - Album [FLAC] (a)", 280_000_000, false),
        ];
        let forward = s.select_now(
            &album(),
            Quality::Lossless,
            releases.clone(),
            &History::default(),
        );
        let order: Vec<&str> = forward
            .accepted
            .iter()
            .map(|c| c.release.guid.as_str())
            .collect();
        assert_eq!(order, ["close-free", "close", "a", "b", "far"]);
        let mut reversed = releases;
        reversed.reverse();
        let backward = s.select_now(&album(), Quality::Lossless, reversed, &History::default());
        assert_eq!(forward, backward);
    }

    #[test]
    fn any_puts_lossless_first_then_lossy_by_bitrate_then_unknown() {
        let s = selector();
        let rel = |guid: &str, title: &str| Release {
            guid: guid.into(),
            title: title.into(),
            size_bytes: None,
            categories: vec![],
            ..good()
        };
        let sel = s.select_now(
            &album(),
            Quality::Any,
            vec![
                rel("unknown", "Artist - Album"),
                rel("128", "Artist - Album [MP3 128]"),
                rel("v0", "Artist - Album [MP3 V0]"),
                rel("flac", "Artist - Album [FLAC]"),
                rel("320", "Artist - Album [MP3 320]"),
            ],
            &History::default(),
        );
        let order: Vec<&str> = sel
            .accepted
            .iter()
            .map(|c| c.release.guid.as_str())
            .collect();
        assert_eq!(order, ["flac", "320", "v0", "128", "unknown"]);
        assert_eq!(sel.accepted[2].quality, "MP3 V0");
    }

    #[test]
    fn rejected_candidates_carry_every_reason() {
        let s = selector().with_default_min_seeders(5);
        let bad = Release {
            title: "Other - Thing [MP3 128]".into(),
            seeders: Some(1),
            size_bytes: None,
            ..good()
        };
        let sel = s.select_now(&album(), Quality::Lossless, vec![bad], &History::default());
        assert!(sel.accepted.is_empty());
        let c = &sel.rejected[0];
        assert_eq!(c.rejections.len(), 4, "{:?}", c.rejections);
        assert_eq!(c.score, 0.0);
        assert_eq!(c.summary().rejections, c.rejections);
    }
}
