//! Ranking accepted releases. The score is one number shown to users, built
//! so that comparing scores compares the criteria in the order:
//!
//! | criterion | contribution | range |
//! |---|---|---|
//! | tier preference (rank r from [`super::tier::tier_rank`], lower better) | (200 − r) × 10,000,000 | 1–2 G |
//! | seeders by order of magnitude: unknown/0 → 0, 1–9 → 1, 10–99 → 2, … (cap 6) | bucket × 1,000,000 | 0–6 M |
//! | revision level ([`super::Revision::level`]: PROPER/REPACK 1, REPACK2 2, each REAL +1; cap 9) | level × 100,000 | 0–900 k |
//! | indexer priority p (lower wins, default 25, clamped 0–99) | (99 − p) × 1,000 | 0–99 k |
//! | size closeness to the expected size: 9 − ⌊4·\|ln(size/expected)\|⌋, floored at 0 | × 100 | 0–900 |
//! | freeleech (download volume factor 0) | 10 | 0–10 |
//!
//! Each criterion's largest contribution is below the smallest step of the
//! one before, so a better tier always wins, then more seeders (by
//! magnitude, so 10 and 30 tie but 10 and 100 do not), then the higher
//! revision of the same quality (a group's PROPER fixes its release, as
//! Lidarr prefers it), and so on. Equal
//! scores fall to [`compare`]'s tie-break: title, then guid, then indexer.

use std::cmp::Ordering;

use super::Candidate;

pub const DEFAULT_INDEXER_PRIORITY: i32 = 25;

/// 0 for unknown or no seeders, then 1 + ⌊log10(seeders)⌋, capped at 6.
pub fn seeder_bucket(seeders: Option<u32>) -> u32 {
    match seeders {
        None | Some(0) => 0,
        Some(n) => (n.ilog10() + 1).min(6),
    }
}

/// 0–9: how close the size is to the expected one, on a log scale (a quarter
/// of a natural-log unit per step: ±28 % costs one step).
pub fn size_closeness(size_bytes: Option<u64>, expected_bytes: Option<u64>) -> u32 {
    match (size_bytes, expected_bytes) {
        (Some(s), Some(e)) if s > 0 && e > 0 => {
            let distance = (s as f64 / e as f64).ln().abs();
            9u32.saturating_sub((distance * 4.0).floor().min(9.0) as u32)
        }
        _ => 0,
    }
}

/// The inputs of the score, kept so a report can show each part.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ScoreParts {
    pub tier_rank: u32,
    pub seeder_bucket: u32,
    /// [`super::Revision::level`], 0 for an original release.
    pub revision: u32,
    pub indexer_priority: i32,
    pub size_closeness: u32,
    pub freeleech: bool,
}

impl ScoreParts {
    pub fn score(&self) -> f64 {
        let tier = 200u32.saturating_sub(self.tier_rank.min(200)) as f64 * 10_000_000.0;
        let seeders = self.seeder_bucket.min(6) as f64 * 1_000_000.0;
        let revision = self.revision.min(9) as f64 * 100_000.0;
        let priority = (99 - self.indexer_priority.clamp(0, 99)) as f64 * 1_000.0;
        let size = self.size_closeness.min(9) as f64 * 100.0;
        let free = if self.freeleech { 10.0 } else { 0.0 };
        tier + seeders + revision + priority + size + free
    }
}

/// Best first: higher score, then title, guid and indexer in byte order (so
/// the same search always gives the same order).
pub fn compare(a: &Candidate, b: &Candidate) -> Ordering {
    b.score
        .total_cmp(&a.score)
        .then_with(|| a.release.title.cmp(&b.release.title))
        .then_with(|| a.release.guid.cmp(&b.release.guid))
        .then_with(|| a.release.indexer.cmp(&b.release.indexer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(tier: u32, seeders: u32, prio: i32, size: u32, free: bool) -> f64 {
        revised(tier, seeders, 0, prio, size, free)
    }

    fn revised(tier: u32, seeders: u32, rev: u32, prio: i32, size: u32, free: bool) -> f64 {
        ScoreParts {
            tier_rank: tier,
            seeder_bucket: seeder_bucket(Some(seeders)),
            revision: rev,
            indexer_priority: prio,
            size_closeness: size,
            freeleech: free,
        }
        .score()
    }

    #[test]
    fn criteria_are_lexicographic() {
        // tier beats everything below it
        assert!(parts(0, 1, 99, 0, false) > parts(1, 100_000, 0, 9, true));
        // seeders by magnitude
        assert_eq!(seeder_bucket(Some(10)), seeder_bucket(Some(30)));
        assert!(seeder_bucket(Some(100)) > seeder_bucket(Some(10)));
        assert!(parts(0, 100, 99, 0, false) > parts(0, 10, 0, 9, true));
        // priority beats size and freeleech
        assert!(parts(0, 10, 1, 0, false) > parts(0, 10, 2, 9, true));
        // size beats freeleech
        assert!(parts(0, 10, 25, 9, false) > parts(0, 10, 25, 8, true));
        assert!(parts(0, 10, 25, 9, true) > parts(0, 10, 25, 9, false));
    }

    #[test]
    fn higher_revision_wins_at_equal_quality_and_seeders() {
        use crate::release::parse_title;
        let level = |t: &str| parse_title(t).revision.map_or(0, |r| r.level());
        let original = level("Artist-Album-WEB-FLAC-2019-GRP");
        let proper = level("Artist-Album-PROPER-WEB-FLAC-2019-GRP");
        let repack2 = level("Artist-Album-REPACK2-WEB-FLAC-2019-GRP");
        assert_eq!((original, proper, repack2), (0, 1, 2));
        // revision beats priority, size and freeleech
        assert!(revised(0, 10, proper, 99, 0, false) > revised(0, 10, original, 0, 9, true));
        assert!(revised(0, 10, repack2, 99, 0, false) > revised(0, 10, proper, 0, 9, true));
        // but not a better tier or more seeders (by magnitude)
        assert!(revised(0, 10, original, 25, 0, false) > revised(1, 10, 9, 25, 9, true));
        assert!(revised(0, 100, original, 25, 0, false) > revised(0, 10, 9, 0, 9, true));
    }

    #[test]
    fn size_closeness_is_symmetric_on_a_log_scale() {
        assert_eq!(size_closeness(Some(100), Some(100)), 9);
        assert_eq!(
            size_closeness(Some(200), Some(100)),
            size_closeness(Some(50), Some(100))
        );
        assert_eq!(size_closeness(None, Some(100)), 0);
        assert_eq!(size_closeness(Some(1), Some(1_000_000)), 0);
    }
}
