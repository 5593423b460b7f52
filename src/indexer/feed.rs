//! The Torznab search-result parser: RSS 2.0 with `torznab:attr` (or
//! `newznab:attr`) elements in, normalised [`Release`]s out.
//!
//! Written for what Jackett, Prowlarr and third-party servers actually send
//! (see `shared/reference/torznab.md`), not for the spec alone: sizes in three
//! places, empty `<size/>`, hashes in any case or base32, magnets in `<link>`,
//! `peers` instead of `leechers`, HTML entities in titles. It never panics and
//! never reads more than [`MAX_BODY_BYTES`](super::xml::MAX_BODY_BYTES); the
//! property tests in `fuzz.rs` hold it to that.

use quick_xml::events::Event;

use super::Release;
use super::text::{collapse_whitespace, html_unescape, prepare_document};
use super::values::{
    info_hash_from_magnet, is_http, is_magnet, normalize_info_hash, parse_date, parse_factor,
    parse_u32, parse_u64,
};
use super::xml::{
    DocumentError, MAX_DEPTH, attribute, attributes, local_name, malformed, push_reference, reader,
    root_element, sniff,
};

/// An enclosure length below this next to a .torrent URL is the size of the
/// .torrent file, not of the music (some servers fill it in that way); no
/// album is this small, so such a length is read as unknown.
const TORRENT_FILE_SIZE_LIMIT: u64 = 64 * 1024;

/// A parsed search page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Feed {
    pub releases: Vec<Release>,
    /// Items dropped because they had no title or no way to download them
    /// (Jackett drops the same).
    pub skipped: usize,
}

/// Parses one Torznab search response. An `<error>` document is an error
/// even with HTTP 200 (Jackett's bad-API-key answer); anything that is not
/// XML is named as what it is.
pub fn parse_feed(body: &[u8], indexer: &str) -> Result<Feed, DocumentError> {
    sniff(body)?;
    let text = prepare_document(body);
    let mut reader = reader(&text);
    let (root, _) = root_element(&mut reader)?;
    if root != "rss" && root != "channel" && root != "feed" {
        return Err(DocumentError::Unexpected(format!(
            "a <{root}> document, not an RSS feed"
        )));
    }

    let mut feed = Feed::default();
    // Local names of the open elements below the root.
    let mut path: Vec<String> = Vec::new();
    let mut item: Option<Item> = None;
    // The text of the item field being read, when inside one.
    let mut text = String::new();
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(error) => return Err(malformed(&reader, &error)),
        };
        match event {
            Event::Start(element) => {
                let name = local_name(&element);
                if path.len() >= MAX_DEPTH {
                    return Err(DocumentError::Malformed(format!(
                        "elements nested deeper than {MAX_DEPTH}"
                    )));
                }
                if name == "item" {
                    item = Some(Item::default());
                } else if let Some(current) = item.as_mut() {
                    let attributes = attributes(&element);
                    match name.as_str() {
                        "attr" => {
                            if let (Some(key), Some(value)) = (
                                attribute(&attributes, "name"),
                                attribute(&attributes, "value"),
                            ) {
                                current.attr(&key.to_ascii_lowercase(), value);
                            }
                        }
                        "enclosure" => current.enclosure(&attributes),
                        _ => {}
                    }
                }
                path.push(name);
                text.clear();
            }
            Event::Text(content) => text.push_str(&content.xml10_content()),
            Event::CData(content) => text.push_str(&content.xml10_content()),
            Event::GeneralRef(reference) => push_reference(&mut text, &reference),
            Event::End(_) => {
                let Some(name) = path.pop() else { continue };
                if name == "item" {
                    if let Some(done) = item.take() {
                        match done.finish(indexer) {
                            Some(release) => feed.releases.push(release),
                            None => feed.skipped += 1,
                        }
                    }
                } else if let Some(current) = item.as_mut() {
                    // Only the item's own children are fields: <title> inside
                    // some extension element is not the release title.
                    if path.last().is_some_and(|parent| parent == "item") {
                        current.element(&name, &text);
                    }
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(feed)
}

/// What one `<item>` said, before normalisation.
#[derive(Debug, Default)]
struct Item {
    title: Option<String>,
    guid: Option<String>,
    link: Option<String>,
    comments: Option<String>,
    pub_date: Option<String>,
    size_element: Option<u64>,
    grabs: Option<u32>,
    enclosure_url: Option<String>,
    enclosure_length: Option<u64>,
    categories: Vec<u32>,
    attr_size: Option<u64>,
    seeders: Option<u32>,
    peers: Option<u32>,
    leechers: Option<u32>,
    info_hash: Option<String>,
    magnet: Option<String>,
    download_volume_factor: Option<f64>,
}

impl Item {
    fn element(&mut self, name: &str, text: &str) {
        let value = text.trim();
        let set = |slot: &mut Option<String>| {
            if slot.is_none() && !value.is_empty() {
                *slot = Some(value.to_owned());
            }
        };
        match name {
            "title" => set(&mut self.title),
            "guid" => set(&mut self.guid),
            "link" => set(&mut self.link),
            "comments" => set(&mut self.comments),
            "pubdate" => set(&mut self.pub_date),
            // 0 and empty both mean "unknown" (Prowlarr's `<size/>`).
            "size" => self.size_element = self.size_element.or(parse_u64(value).filter(|s| *s > 0)),
            "grabs" => self.grabs = self.grabs.or(parse_u32(value)),
            "category" => self.categories.extend(parse_u32(value)),
            _ => {}
        }
    }

    fn attr(&mut self, name: &str, value: &str) {
        match name {
            "size" => self.attr_size = self.attr_size.or(parse_u64(value).filter(|s| *s > 0)),
            "category" => self.categories.extend(parse_u32(value)),
            "seeders" => self.seeders = self.seeders.or(parse_u32(value)),
            "peers" => self.peers = self.peers.or(parse_u32(value)),
            "leechers" => self.leechers = self.leechers.or(parse_u32(value)),
            "grabs" => self.grabs = self.grabs.or(parse_u32(value)),
            "infohash" => {
                self.info_hash = self.info_hash.take().or_else(|| normalize_info_hash(value))
            }
            "magneturl" if is_magnet(value) => {
                self.magnet.get_or_insert_with(|| value.trim().to_owned());
            }
            "downloadvolumefactor" => {
                self.download_volume_factor = self.download_volume_factor.or(parse_factor(value));
            }
            _ => {}
        }
    }

    fn enclosure(&mut self, attributes: &[(String, String)]) {
        if let Some(url) = attribute(attributes, "url")
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            self.enclosure_url.get_or_insert_with(|| url.to_owned());
        }
        if let Some(length) = attribute(attributes, "length")
            .and_then(parse_u64)
            .filter(|l| *l > 0)
        {
            self.enclosure_length.get_or_insert(length);
        }
    }

    /// The normalised release, or `None` for an item nobody could grab.
    fn finish(self, indexer: &str) -> Option<Release> {
        let title = collapse_whitespace(&html_unescape(self.title.as_deref().unwrap_or_default()));
        if title.is_empty() {
            return None;
        }
        // Magnet versus download link is decided by scheme: `<link>` and the
        // enclosure may hold either (Jackett puts bare magnets there). The
        // enclosure is the download by definition; `<link>` is one only
        // when there is no other, as some indexers put the release's
        // information page there.
        let mut magnet_uri = self.magnet;
        let mut download_url = None;
        for url in [self.enclosure_url.as_deref(), self.link.as_deref()]
            .into_iter()
            .flatten()
        {
            if is_magnet(url) {
                magnet_uri.get_or_insert_with(|| url.trim().to_owned());
            } else if is_http(url) {
                download_url.get_or_insert_with(|| url.trim().to_owned());
            }
        }
        if magnet_uri.is_none() && download_url.is_none() {
            return None;
        }
        let info_hash = self
            .info_hash
            .or_else(|| magnet_uri.as_deref().and_then(info_hash_from_magnet));
        let enclosure_size = self.enclosure_length.filter(|length| {
            *length >= TORRENT_FILE_SIZE_LIMIT
                || self.enclosure_url.as_deref().is_some_and(is_magnet)
        });
        let size_bytes = self.attr_size.or(self.size_element).or(enclosure_size);
        let leechers = self.leechers.or(match (self.peers, self.seeders) {
            (Some(peers), Some(seeders)) => Some(peers.saturating_sub(seeders)),
            _ => None,
        });
        let mut categories = Vec::with_capacity(self.categories.len());
        for category in self.categories {
            if !categories.contains(&category) {
                categories.push(category);
            }
        }
        // `<comments>` points at the information page, often at its
        // comments anchor; else a `<link>` that is not the download is it.
        let link_page = self
            .link
            .as_deref()
            .map(str::trim)
            .filter(|l| is_http(l) && download_url.as_deref() != Some(*l))
            .map(str::to_owned);
        let info_url = self
            .comments
            .filter(|c| is_http(c))
            .or(link_page)
            .map(|url| match url.strip_suffix("#comments") {
                Some(page) => page.to_owned(),
                None => url,
            });
        let guid = self
            .guid
            .or_else(|| info_hash.clone())
            .or_else(|| download_url.clone())
            .or_else(|| magnet_uri.clone())
            .unwrap_or_else(|| title.clone());
        Some(Release {
            indexer: indexer.to_owned(),
            title,
            guid,
            download_url,
            magnet_uri,
            info_hash,
            size_bytes,
            seeders: self.seeders,
            leechers,
            grabs: self.grabs,
            categories,
            published_at: self.pub_date.as_deref().and_then(parse_date),
            download_volume_factor: self.download_volume_factor,
            info_url,
            ..Release::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_enclosure_is_the_download_and_a_link_beside_it_the_information_page() {
        let one = |inner: &str| {
            let feed = format!(
                "<rss><channel><item><title>Artist - Album</title>{inner}</item></channel></rss>"
            );
            parse_feed(feed.as_bytes(), "idx")
                .unwrap()
                .releases
                .remove(0)
        };
        let r = one(r#"<link>https://t.example/details/5</link>
               <enclosure url="https://t.example/download/5.torrent" length="300000000" type="application/x-bittorrent"/>"#);
        assert_eq!(
            r.download_url.as_deref(),
            Some("https://t.example/download/5.torrent")
        );
        assert_eq!(r.info_url.as_deref(), Some("https://t.example/details/5"));
        // `#comments` is dropped from the information page's address.
        let r = one(r#"<comments>https://t.example/details/5#comments</comments>
               <link>https://t.example/download/5.torrent</link>"#);
        assert_eq!(
            r.download_url.as_deref(),
            Some("https://t.example/download/5.torrent")
        );
        assert_eq!(r.info_url.as_deref(), Some("https://t.example/details/5"));
        // Near-misses: the same URL in both is the download, not a page;
        // another anchor stays.
        let r = one(
            r#"<comments>https://t.example/details/5#comments-2</comments>
               <link>https://t.example/dl/5</link><enclosure url="https://t.example/dl/5" length="1"/>"#,
        );
        assert_eq!(r.download_url.as_deref(), Some("https://t.example/dl/5"));
        assert_eq!(
            r.info_url.as_deref(),
            Some("https://t.example/details/5#comments-2")
        );
        let r = one(r#"<link>https://t.example/dl/6</link>"#);
        assert_eq!(r.download_url.as_deref(), Some("https://t.example/dl/6"));
        assert_eq!(r.info_url, None);
    }

    #[test]
    fn a_minimal_item_needs_a_title_and_a_link() {
        let feed = parse_feed(
            b"<rss><channel>\
              <item><title>A - B</title><link>http://x/1</link></item>\
              <item><title></title><link>http://x/2</link></item>\
              <item><title>No link</title></item>\
              </channel></rss>",
            "t",
        )
        .unwrap();
        assert_eq!(feed.skipped, 2);
        assert_eq!(feed.releases.len(), 1);
        let release = &feed.releases[0];
        assert_eq!(release.title, "A - B");
        assert_eq!(
            release.guid, "http://x/1",
            "the link stands in for a missing guid"
        );
        assert_eq!(release.size_bytes, None);
        assert_eq!(release.seeders, None);
        assert_eq!(release.published_at, None);
    }

    #[test]
    fn size_prefers_the_attr_then_the_element_then_a_plausible_enclosure() {
        let item = |inner: &str| {
            let body =
                format!("<rss><channel><item><title>T</title>{inner}</item></channel></rss>");
            parse_feed(body.as_bytes(), "t").unwrap().releases[0].size_bytes
        };
        let torrent = r#"<link>http://x/a.torrent</link>"#;
        assert_eq!(
            item(&format!(
                r#"{torrent}<size>2000000</size><attr name="size" value="3000000"/>"#
            )),
            Some(3_000_000)
        );
        assert_eq!(
            item(&format!(
                r#"{torrent}<size>2000000</size><enclosure url="http://x/a.torrent" length="9"/>"#
            )),
            Some(2_000_000)
        );
        assert_eq!(
            item(&format!(
                r#"{torrent}<size/><enclosure url="http://x/a.torrent" length="500000000"/>"#
            )),
            Some(500_000_000)
        );
        assert_eq!(
            item(&format!(
                r#"{torrent}<size>0</size><enclosure url="http://x/a.torrent" length="24576"/>"#
            )),
            None,
            "a 24 KiB enclosure next to a .torrent is the .torrent file"
        );
        assert_eq!(
            item(r#"<enclosure url="magnet:?xt=urn:btih:x" length="4096"/>"#),
            Some(4096),
            "a magnet enclosure's length cannot be a file's size"
        );
    }

    #[test]
    fn fields_outside_the_item_or_nested_deeper_are_ignored() {
        let feed = parse_feed(
            b"<rss><channel><title>Indexer</title><item>\
              <ext><title>Not this</title></ext><title>This</title>\
              <link>magnet:?xt=urn:btih:2F7A2D1E1C0B8C9D4E5F60718293A4B5C6D7E8F9</link></item></channel></rss>",
            "t",
        )
        .unwrap();
        let release = &feed.releases[0];
        assert_eq!(release.title, "This");
        assert_eq!(release.download_url, None);
        assert_eq!(
            release.info_hash.as_deref(),
            Some("2f7a2d1e1c0b8c9d4e5f60718293a4b5c6d7e8f9")
        );
    }

    #[test]
    fn error_documents_and_other_roots_are_errors() {
        let error = parse_feed(
            br#"<?xml version="1.0"?><error code="100" description="Invalid API Key"/>"#,
            "t",
        );
        assert!(matches!(error, Err(DocumentError::Torznab(e)) if e.is_bad_api_key()));
        let caps = parse_feed(b"<caps><server/></caps>", "t").unwrap_err();
        assert_eq!(
            caps.to_string(),
            "unexpected document: a <caps> document, not an RSS feed"
        );
        let too_large = vec![b' '; crate::indexer::MAX_BODY_BYTES + 1];
        assert!(matches!(
            parse_feed(&too_large, "t"),
            Err(DocumentError::TooLarge { .. })
        ));
        let deep = format!("<rss>{}</rss>", "<a>".repeat(200));
        assert!(matches!(
            parse_feed(deep.as_bytes(), "t"),
            Err(DocumentError::Malformed(_))
        ));
    }
}
