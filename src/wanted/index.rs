//! The word index the RSS sync matches feed items with.
//!
//! Every wanted album is filed under ONE of its words: the one fewest other
//! wanted albums share (its rarest). An item's title is split into words
//! once; only the albums filed under one of those words are looked at, and
//! one of them is a candidate only when every word of its artist and title
//! is in the item. The few candidates then go through the release matcher
//! (`match_names`), the same exact rules a run applies. So an item costs a
//! handful of hash lookups, whatever the length of the list — never a loop
//! over albums × items.

use std::collections::{HashMap, HashSet};

use crate::release::{loose_key, match_key, normalize};

/// One wanted album as the index knows it.
#[derive(Debug, Clone)]
pub struct IndexedAlbum<T> {
    pub artist: String,
    pub title: String,
    /// What the caller wants back on a match (the wanted row).
    pub value: T,
    words: Vec<String>,
}

/// The index of a wanted list, built once per sync.
#[derive(Debug)]
pub struct WordIndex<T> {
    albums: Vec<IndexedAlbum<T>>,
    /// rarest word → the albums filed under it.
    by_word: HashMap<String, Vec<usize>>,
    /// Albums without a word (names of symbols only): compared with every
    /// item, they are few.
    wordless: Vec<usize>,
}

/// The words an artist and album title are compared by.
fn album_words(artist: &str, title: &str) -> Vec<String> {
    let mut words: Vec<String> = match_key(artist)
        .split(' ')
        .chain(loose_key(title).split(' ').collect::<Vec<_>>())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    words.sort();
    words.dedup();
    words
}

impl<T> WordIndex<T> {
    pub fn build(entries: impl IntoIterator<Item = (String, String, T)>) -> Self {
        let mut albums: Vec<IndexedAlbum<T>> = entries
            .into_iter()
            .map(|(artist, title, value)| IndexedAlbum {
                words: album_words(&artist, &title),
                artist,
                title,
                value,
            })
            .collect();
        albums.shrink_to_fit();
        let mut frequency: HashMap<&str, usize> = HashMap::new();
        for album in &albums {
            for word in &album.words {
                *frequency.entry(word).or_default() += 1;
            }
        }
        let mut by_word: HashMap<String, Vec<usize>> = HashMap::new();
        let mut wordless = Vec::new();
        for (i, album) in albums.iter().enumerate() {
            let rarest = album
                .words
                .iter()
                .min_by_key(|w| (frequency.get(w.as_str()).copied().unwrap_or(0), w.len()));
            match rarest {
                Some(word) => by_word.entry(word.clone()).or_default().push(i),
                None => wordless.push(i),
            }
        }
        Self {
            albums,
            by_word,
            wordless,
        }
    }

    pub fn len(&self) -> usize {
        self.albums.len()
    }

    pub fn is_empty(&self) -> bool {
        self.albums.is_empty()
    }

    /// The albums whose every word is in `title`: the candidates the matcher
    /// decides on. Wordless albums are always candidates.
    pub fn candidates(&self, title: &str) -> Vec<&IndexedAlbum<T>> {
        let normalized = normalize(title);
        let words: HashSet<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
        let mut found: Vec<usize> = Vec::new();
        for word in &words {
            if let Some(filed) = self.by_word.get(*word) {
                for &i in filed {
                    if self.albums[i]
                        .words
                        .iter()
                        .all(|w| words.contains(w.as_str()))
                    {
                        found.push(i);
                    }
                }
            }
        }
        found.extend(self.wordless.iter().copied());
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|i| &self.albums[i]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> WordIndex<u32> {
        WordIndex::build([
            ("The Beatles".to_owned(), "Abbey Road".to_owned(), 1),
            ("Radiohead".to_owned(), "OK Computer (Deluxe)".to_owned(), 2),
            ("Radiohead".to_owned(), "Kid A".to_owned(), 3),
            ("Weezer".to_owned(), "Weezer".to_owned(), 4),
            ("!!!".to_owned(), "Myth Takes".to_owned(), 5),
        ])
    }

    fn values(index: &WordIndex<u32>, title: &str) -> Vec<u32> {
        index.candidates(title).iter().map(|a| a.value).collect()
    }

    #[test]
    fn an_item_finds_only_albums_whose_every_word_it_has() {
        let index = index();
        assert_eq!(
            values(&index, "The.Beatles-Abbey.Road-WEB-FLAC-2019-GRP"),
            [1]
        );
        assert_eq!(values(&index, "Radiohead - OK Computer (1997) [FLAC]"), [2]);
        assert_eq!(values(&index, "Radiohead - Kid A [MP3 320]"), [3]);
        // "Kid" alone is not "Kid A".
        assert_eq!(
            values(&index, "Radiohead - Kid Charlemagne"),
            Vec::<u32>::new()
        );
        assert_eq!(values(&index, "Weezer (1994) FLAC"), [4]);
        assert_eq!(
            values(&index, "Someone Else - Other Album"),
            Vec::<u32>::new()
        );
    }

    #[test]
    fn symbol_names_are_left_to_the_matcher() {
        // "!!!" has no word: its album's own words still must be there.
        let index = index();
        assert_eq!(values(&index, "!!! - Myth Takes (2007) [FLAC]"), [5]);
        assert!(!values(&index, "Radiohead - Kid A").contains(&5));
    }

    #[test]
    fn each_album_is_filed_once_under_its_rarest_word() {
        let index = index();
        let filed: usize = index.by_word.values().map(Vec::len).sum();
        assert_eq!(filed + index.wordless.len(), index.len());
        // "radiohead" is shared by two albums: neither is filed under it.
        assert!(!index.by_word.contains_key("radiohead"));
    }
}
