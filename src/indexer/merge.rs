//! Merging several indexers' results into one list without duplicates.
//!
//! The same torrent often comes back from several indexers (a tracker
//! configured in both Jackett and Prowlarr, or an aggregate endpoint next to
//! a single one). Two releases are the same when their info hashes match, or —
//! when either lacks a hash — when their guids match. The copy from the
//! indexer with the better priority (lower number) is kept, and fields it
//! lacks are filled in from the duplicates (a magnet from Jackett completes a
//! Prowlarr result that has none).

use std::collections::HashMap;

use super::Release;

/// Merges per-indexer result lists, given with their indexer's priority.
/// Output order: by priority, then by each indexer's own order.
pub fn merge(mut lists: Vec<(i32, Vec<Release>)>) -> Vec<Release> {
    lists.sort_by_key(|(priority, _)| *priority);
    let mut merged: Vec<Release> = Vec::new();
    let mut by_hash: HashMap<String, usize> = HashMap::new();
    let mut by_guid: HashMap<String, usize> = HashMap::new();
    for release in lists.into_iter().flat_map(|(_, releases)| releases) {
        let existing = release
            .info_hash
            .as_ref()
            .and_then(|hash| by_hash.get(hash))
            .or_else(|| {
                by_guid
                    .get(&release.guid)
                    // Different hashes under one guid are different torrents.
                    .filter(
                        |&&index| match (&merged[index].info_hash, &release.info_hash) {
                            (Some(kept), Some(new)) => kept == new,
                            _ => true,
                        },
                    )
            })
            .copied();
        let index = match existing {
            Some(index) => {
                fill_missing(&mut merged[index], release);
                index
            }
            None => {
                merged.push(release);
                merged.len() - 1
            }
        };
        let kept = &merged[index];
        if let Some(hash) = &kept.info_hash {
            by_hash.entry(hash.clone()).or_insert(index);
        }
        if !kept.guid.is_empty() {
            by_guid.entry(kept.guid.clone()).or_insert(index);
        }
    }
    merged
}

/// Completes `kept` with what only `duplicate` knew.
fn fill_missing(kept: &mut Release, duplicate: Release) {
    kept.download_url = kept.download_url.take().or(duplicate.download_url);
    kept.magnet_uri = kept.magnet_uri.take().or(duplicate.magnet_uri);
    kept.info_hash = kept.info_hash.take().or(duplicate.info_hash);
    kept.size_bytes = kept.size_bytes.or(duplicate.size_bytes);
    kept.seeders = kept.seeders.or(duplicate.seeders);
    kept.leechers = kept.leechers.or(duplicate.leechers);
    kept.grabs = kept.grabs.or(duplicate.grabs);
    kept.published_at = kept.published_at.or(duplicate.published_at);
    kept.download_volume_factor = kept
        .download_volume_factor
        .or(duplicate.download_volume_factor);
    kept.info_url = kept.info_url.take().or(duplicate.info_url);
    for category in duplicate.categories {
        if !kept.categories.contains(&category) {
            kept.categories.push(category);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(indexer: &str, guid: &str, hash: Option<&str>) -> Release {
        Release {
            indexer: indexer.into(),
            title: format!("{indexer} {guid}"),
            guid: guid.into(),
            info_hash: hash.map(str::to_owned),
            ..Release::default()
        }
    }

    #[test]
    fn duplicates_by_hash_then_guid_keep_the_better_priority() {
        let mut with_magnet = release("jackett", "j-1", Some("aa"));
        with_magnet.magnet_uri = Some("magnet:?xt=urn:btih:aa".into());
        with_magnet.categories = vec![3040, 100_023];
        let mut prowlarr = release("prowlarr", "p-1", Some("aa"));
        prowlarr.categories = vec![3040];
        let merged = merge(vec![
            (
                25,
                vec![with_magnet, release("jackett", "shared-guid", None)],
            ),
            (
                10,
                vec![
                    prowlarr,
                    release("prowlarr", "shared-guid", None),
                    release("prowlarr", "p-2", Some("bb")),
                ],
            ),
        ]);
        let summary: Vec<(&str, &str)> = merged
            .iter()
            .map(|r| (r.indexer.as_str(), r.guid.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ("prowlarr", "p-1"),
                ("prowlarr", "shared-guid"),
                ("prowlarr", "p-2")
            ]
        );
        assert_eq!(
            merged[0].magnet_uri.as_deref(),
            Some("magnet:?xt=urn:btih:aa"),
            "filled in from the duplicate"
        );
        assert_eq!(merged[0].categories, [3040, 100_023]);
    }

    #[test]
    fn one_guid_with_two_hashes_is_two_releases() {
        let merged = merge(vec![(
            1,
            vec![release("a", "g", Some("aa")), release("a", "g", Some("bb"))],
        )]);
        assert_eq!(merged.len(), 2);
    }
}
