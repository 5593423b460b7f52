//! Fake Torznab servers that behave like Jackett and like Prowlarr: their
//! endpoint paths, their caps, their feeds (fixtures in
//! `tests/data/torznab/`, written in each server's exact format), and their
//! different ways of failing — Jackett answers a bad API key with HTTP 200 and
//! `<error code="100">`, Prowlarr with an empty 401; Jackett's download links
//! answer 302 to a magnet.

use std::time::Duration;

use chrono::{DateTime, Utc};
use musicagg::config::IndexerConfig;
use musicagg::indexer::Release;
use secrecy::SecretString;
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Which real server a fake imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Jackett,
    Prowlarr,
}

/// One fake indexer endpoint on its own port.
pub struct FakeIndexer {
    pub server: MockServer,
    pub flavour: Flavour,
    pub api_key: String,
    endpoint: String,
}

/// A fixture file's text with `{{BASE}}` replaced by `base` (download links
/// point back at the fake that serves them).
pub fn fixture(name: &str, base: &str) -> String {
    let file = format!("{}/tests/data/torznab/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("fixture {file}: {e}"));
    // Kept as bytes-to-string without loss: fixtures are UTF-8 (one starts
    // with a BOM, which String keeps as U+FEFF).
    String::from_utf8(bytes)
        .unwrap_or_else(|e| panic!("fixture {file} is not UTF-8: {e}"))
        .replace("{{BASE}}", base)
}

/// An XML response as the server would send it.
pub fn xml(status: u16, body: impl Into<Vec<u8>>) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.into(), "application/xml; charset=utf-8")
}

impl FakeIndexer {
    /// A Jackett single-indexer endpoint,
    /// `/api/v2.0/indexers/<id>/results/torznab/`.
    pub async fn jackett(id: &str) -> Self {
        Self::start(
            Flavour::Jackett,
            format!("/api/v2.0/indexers/{id}/results/torznab/"),
            "jackettkey0123456789abcdef0123456",
        )
        .await
    }

    /// A Prowlarr indexer endpoint, `/<id>/api`.
    pub async fn prowlarr(id: u32) -> Self {
        Self::start(
            Flavour::Prowlarr,
            format!("/{id}/api"),
            "prowlarrkey0123456789abcdef01234",
        )
        .await
    }

    async fn start(flavour: Flavour, endpoint: String, api_key: &str) -> Self {
        let server = MockServer::start().await;
        let fake = Self {
            server,
            flavour,
            api_key: api_key.to_owned(),
            endpoint,
        };
        // Any request without the right key gets the flavour's refusal; the
        // specific mocks below require the key, so they win when it is right.
        let refusal = match flavour {
            Flavour::Jackett => xml(200, fixture("jackett-error-100.xml", "")),
            Flavour::Prowlarr => ResponseTemplate::new(401),
        };
        Mock::given(method("GET"))
            .respond_with(refusal)
            .with_priority(100)
            .mount(&fake.server)
            .await;
        fake
    }

    /// The Torznab URL to configure.
    pub fn url(&self) -> String {
        format!("{}{}", self.server.uri(), self.endpoint)
    }

    pub fn base(&self) -> String {
        self.server.uri()
    }

    /// An `[[indexers]]` entry for this fake with the right key.
    pub fn config(&self, name: &str) -> IndexerConfig {
        IndexerConfig {
            name: name.to_owned(),
            url: self.url(),
            api_key: Some(SecretString::from(self.api_key.clone())),
            categories: vec![3000, 3010, 3040],
            priority: 25,
            enabled: true,
            timeout: 5,
            minimum_seeders: 1,
            // The spacing has tests of its own (wanted::); elsewhere it
            // would only slow the suite down.
            min_request_interval: musicagg::config::Seconds(0),
        }
    }

    /// Answers `t=<function>` (with the right key) with `response`.
    pub async fn on(&self, function: &str, response: ResponseTemplate) {
        Mock::given(method("GET"))
            .and(path(self.endpoint.as_str()))
            .and(query_param("t", function))
            .and(query_param("apikey", self.api_key.as_str()))
            .respond_with(response)
            .with_priority(10)
            .mount(&self.server)
            .await;
    }

    /// Serves a caps fixture.
    pub async fn caps(&self, fixture_name: &str) {
        self.on("caps", xml(200, fixture(fixture_name, &self.base())))
            .await;
    }

    /// Serves a feed fixture for `t=<function>`.
    pub async fn feed(&self, function: &str, fixture_name: &str) {
        self.on(function, xml(200, fixture(fixture_name, &self.base())))
            .await;
    }

    /// Answers every keyed request with `response` (for failure scenarios).
    pub async fn always(&self, response: ResponseTemplate) {
        Mock::given(method("GET"))
            .and(query_param("apikey", self.api_key.as_str()))
            .respond_with(response)
            .with_priority(20)
            .mount(&self.server)
            .await;
    }

    /// Never answers within any sane timeout.
    pub async fn hang(&self) {
        self.always(xml(200, fixture("jackett-empty.xml", "")).set_delay(Duration::from_secs(600)))
            .await;
    }

    /// Jackett's `/dl/` links: 302 to the release's magnet, as Jackett does
    /// when the tracker gave a magnet.
    pub async fn download_redirects_to(&self, magnet: &str) {
        Mock::given(method("GET"))
            .and(path_regex("^/dl/.*$"))
            .respond_with(ResponseTemplate::new(302).insert_header("Location", magnet))
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// Jackett's `/dl/` links answering with the .torrent file itself, as
    /// Jackett does when the tracker gave one.
    pub async fn download_serves_torrent(&self, torrent: Vec<u8>) {
        Mock::given(method("GET"))
            .and(path_regex("^/dl/.*$"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("Content-Type", "application/x-bittorrent")
                    .set_body_bytes(torrent),
            )
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// One release's `/dl/<name>/` link: 302 to its magnet.
    pub async fn download_of(&self, name: &str, magnet: &str) {
        Mock::given(method("GET"))
            .and(path_regex(format!("^/dl/{name}/.*$")))
            .respond_with(ResponseTemplate::new(302).insert_header("Location", magnet))
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// Forgets every mock and request, keeping the refusal for a wrong key.
    pub async fn reset(&self) {
        self.server.reset().await;
        let refusal = match self.flavour {
            Flavour::Jackett => xml(200, fixture("jackett-error-100.xml", "")),
            Flavour::Prowlarr => ResponseTemplate::new(401),
        };
        Mock::given(method("GET"))
            .respond_with(refusal)
            .with_priority(100)
            .mount(&self.server)
            .await;
    }

    /// The requests received so far, as `t` plus the other query parameters
    /// (the key left out), e.g. `["caps", "search q=Sigur Ros …"]`.
    pub async fn requests(&self) -> Vec<String> {
        let requests = self.server.received_requests().await.unwrap_or_default();
        requests.iter().map(describe).collect()
    }
}

// What the fixtures contain, field by field, as the parser must read them.

pub fn at(rfc3339: &str) -> Option<DateTime<Utc>> {
    Some(
        DateTime::parse_from_rfc3339(rfc3339)
            .expect("a test date")
            .with_timezone(&Utc),
    )
}

/// Compares every field, naming the one that differs.
pub fn assert_release(actual: &Release, expected: &Release) {
    let who = &expected.title;
    assert_eq!(actual.indexer, expected.indexer, "{who}: indexer");
    assert_eq!(actual.title, expected.title, "title");
    assert_eq!(actual.guid, expected.guid, "{who}: guid");
    assert_eq!(
        actual.download_url, expected.download_url,
        "{who}: download_url"
    );
    assert_eq!(actual.magnet_uri, expected.magnet_uri, "{who}: magnet_uri");
    assert_eq!(actual.info_hash, expected.info_hash, "{who}: info_hash");
    assert_eq!(actual.size_bytes, expected.size_bytes, "{who}: size_bytes");
    assert_eq!(actual.seeders, expected.seeders, "{who}: seeders");
    assert_eq!(actual.leechers, expected.leechers, "{who}: leechers");
    assert_eq!(actual.grabs, expected.grabs, "{who}: grabs");
    assert_eq!(actual.categories, expected.categories, "{who}: categories");
    assert_eq!(
        actual.published_at, expected.published_at,
        "{who}: published_at"
    );
    assert_eq!(
        actual.download_volume_factor, expected.download_volume_factor,
        "{who}: download_volume_factor"
    );
    assert_eq!(actual.info_url, expected.info_url, "{who}: info_url");
    assert_eq!(
        actual.indexer_priority, expected.indexer_priority,
        "{who}: indexer_priority"
    );
    assert_eq!(
        actual.minimum_seeders, expected.minimum_seeders,
        "{who}: minimum_seeders"
    );
}

pub fn jackett_releases(indexer: &str, base: &str) -> Vec<Release> {
    let magnet = "magnet:?xt=urn:btih:BINSYPKOL5QHDAUTUS24NV7I7EASGRLH&dn=Sigur+Ros&tr=udp%3A%2F%2Ftracker.example%3A1337";
    vec![
        Release {
            indexer: indexer.into(),
            title: "Sigur Rós - Ágætis byrjun (1999) [FLAC 24-96]".into(),
            guid: "https://tracker.example/details/101".into(),
            // `&amp;` in the XML, `&` here.
            download_url: Some(format!(
                "{base}/dl/sometracker/?jackett_apikey=JACKETTKEY&path=ENCRYPTED101&file=Sigur+Ros"
            )),
            magnet_uri: None,
            // Upper-case hex in the feed.
            info_hash: Some("9f3c2a1b0e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b".into()),
            size_bytes: Some(1_234_567_890),
            seeders: Some(12),
            // peers 15 - seeders 12.
            leechers: Some(3),
            grabs: Some(52),
            // <category> and the attr both list 3040 and 100023: once each.
            categories: vec![3040, 100_023],
            // -0400 offset.
            published_at: at("2015-03-14T21:10:42Z"),
            download_volume_factor: Some(0.0),
            info_url: Some("https://tracker.example/details/101".into()),
            indexer_priority: Some(25),
            minimum_seeders: Some(1),
        },
        Release {
            indexer: indexer.into(),
            // `&amp;oacute;` in the XML: HTML-unescaped once.
            title: "Sigur Rós - Ágætis byrjun [MP3 V0]".into(),
            guid: magnet.into(),
            // A bare magnet in <link> and the enclosure: no download URL.
            download_url: None,
            magnet_uri: Some(magnet.into()),
            // Base32 in the feed.
            info_hash: Some("0a1b2c3d4e5f60718293a4b5c6d7e8f901234567".into()),
            size_bytes: Some(104_857_600),
            seeders: Some(40),
            leechers: Some(1),
            grabs: Some(1000),
            categories: vec![3010],
            published_at: at("2024-01-01T09:00:00Z"),
            download_volume_factor: Some(1.0),
            info_url: Some("https://public.example/torrent/202".into()),
            indexer_priority: Some(25),
            minimum_seeders: Some(1),
        },
        Release {
            indexer: indexer.into(),
            title: "Sigur Ros - Agaetis Byrjun (Remastered) 2xLP Vinyl Rip".into(),
            guid: "https://tracker.example/details/303".into(),
            download_url: Some(format!(
                "{base}/dl/sometracker/?jackett_apikey=JACKETTKEY&path=ENCRYPTED303&file=Vinyl.torrent"
            )),
            magnet_uri: None,
            info_hash: None,
            // <size>0</size> and a 24 KiB enclosure (the .torrent file): unknown.
            size_bytes: None,
            // No seeders, peers, grabs or pubDate in the item.
            seeders: None,
            leechers: None,
            grabs: None,
            categories: vec![3040],
            published_at: None,
            download_volume_factor: Some(0.5),
            // No <comments>.
            info_url: None,
            indexer_priority: Some(25),
            minimum_seeders: Some(1),
        },
    ]
}

pub fn prowlarr_releases(indexer: &str, base: &str) -> Vec<Release> {
    vec![
        Release {
            indexer: indexer.into(),
            title: "Sigur Ros - Agaetis byrjun (1999) [CD FLAC]".into(),
            guid: "https://tracker2.example/torrents.php?id=555&torrentid=777".into(),
            download_url: Some(format!(
                "{base}/5/download?apikey=PROWLARRKEY&link=Zm9vYmFy&file=Sigur+Ros+-+Agaetis+byrjun"
            )),
            // Prowlarr never sends magneturl.
            magnet_uri: None,
            info_hash: Some("c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00".into()),
            size_bytes: Some(543_210_987),
            seeders: Some(25),
            leechers: Some(2),
            // grabs as an attr, not an element.
            grabs: Some(7),
            categories: vec![3040, 100_001],
            published_at: at("2024-04-30T08:15:00Z"),
            download_volume_factor: Some(1.0),
            info_url: Some("https://tracker2.example/torrents.php?id=555".into()),
            indexer_priority: Some(25),
            minimum_seeders: Some(1),
        },
        Release {
            indexer: indexer.into(),
            title: "Sigur Ros - Agaetis byrjun [WEB 320]".into(),
            guid: "https://tracker2.example/torrents.php?id=555&torrentid=778".into(),
            download_url: Some(format!(
                "{base}/5/download?apikey=PROWLARRKEY&link=YmF6&file=Sigur+Ros+WEB"
            )),
            magnet_uri: None,
            info_hash: None,
            // Prowlarr's empty <size/> and an enclosure without length.
            size_bytes: None,
            seeders: Some(5),
            // peers 3 < seeders 5: clamped, not wrapped.
            leechers: Some(0),
            grabs: Some(0),
            categories: vec![3010],
            published_at: at("2024-04-30T09:00:00Z"),
            download_volume_factor: Some(1.0),
            info_url: Some("https://tracker2.example/torrents.php?id=555".into()),
            indexer_priority: Some(25),
            minimum_seeders: Some(1),
        },
        Release {
            indexer: indexer.into(),
            title: "Sigur Ros - Agaetis byrjun 1999 FLAC (cross-seeded)".into(),
            guid: "https://tracker3.example/t/9001".into(),
            download_url: Some(format!(
                "{base}/6/download?apikey=PROWLARRKEY&link=cXV4&file=cross"
            )),
            magnet_uri: None,
            info_hash: Some("9f3c2a1b0e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b".into()),
            size_bytes: Some(1_234_567_890),
            seeders: Some(30),
            leechers: Some(0),
            grabs: None,
            categories: vec![3040],
            published_at: at("2024-05-01T11:00:00Z"),
            download_volume_factor: Some(1.0),
            info_url: None,
            indexer_priority: Some(25),
            minimum_seeders: Some(1),
        },
    ]
}

/// A Jackett indexer whose caps allow only `q` and whose search finds the
/// Jackett fixture.
pub async fn good_jackett(id: &str) -> FakeIndexer {
    let fake = FakeIndexer::jackett(id).await;
    fake.caps("jackett-caps-q-only.xml").await;
    fake.feed("search", "jackett-search.xml").await;
    fake
}

/// A Prowlarr indexer whose caps allow artist and album and whose music
/// search finds the Prowlarr fixture.
pub async fn good_prowlarr(id: u32) -> FakeIndexer {
    let fake = FakeIndexer::prowlarr(id).await;
    fake.caps("prowlarr-caps.xml").await;
    fake.feed("music", "prowlarr-search.xml").await;
    fake
}

fn describe(request: &Request) -> String {
    let mut function = String::new();
    let mut rest = Vec::new();
    for (key, value) in request.url.query_pairs() {
        match key.as_ref() {
            "t" => function = value.into_owned(),
            "apikey" => {}
            _ => rest.push(format!("{key}={value}")),
        }
    }
    if rest.is_empty() {
        function
    } else {
        format!("{function} {}", rest.join(" "))
    }
}

/// One item of a generated feed.
pub struct FeedItem<'a> {
    pub title: &'a str,
    pub size: u64,
    pub seeders: u32,
    pub category: u32,
    /// Path of the download link on the fake (Jackett's `/dl/…`).
    pub link_path: &'a str,
    pub info_hash: Option<&'a str>,
}

impl<'a> FeedItem<'a> {
    /// An item without an info hash (the link must be followed for it).
    pub fn linked(
        title: &'a str,
        size: u64,
        seeders: u32,
        category: u32,
        link_path: &'a str,
    ) -> Self {
        Self {
            title,
            size,
            seeders,
            category,
            link_path,
            info_hash: None,
        }
    }
}

/// A search answer in Jackett's exact format for `items`, links pointing at
/// `base` (with the API key in them, as Jackett writes them).
pub fn jackett_feed(base: &str, items: &[FeedItem<'_>]) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
         xmlns:atom=\"http://www.w3.org/2005/Atom\" xmlns:torznab=\"http://torznab.com/schemas/2015/feed\">\n\
         <channel>\n<title>Generated Tracker</title>\n<description>test</description>\n",
    );
    for (i, item) in items.iter().enumerate() {
        let link = escape(&format!(
            "{base}{}?jackett_apikey=KEY&path=P{i}&file=F",
            item.link_path
        ));
        let infohash = item
            .info_hash
            .map(|h| format!("<torznab:attr name=\"infohash\" value=\"{h}\" />\n"))
            .unwrap_or_default();
        xml.push_str(&format!(
            "<item>\n<title>{title}</title>\n<guid>https://tracker.example/details/{i}</guid>\n\
             <jackettindexer id=\"generated\">Generated Tracker</jackettindexer>\n<type>private</type>\n\
             <pubDate>Sat, 14 Mar 2026 17:10:42 +0000</pubDate>\n<size>{size}</size>\n<description />\n\
             <link>{link}</link>\n<category>{category}</category>\n\
             <enclosure url=\"{link}\" length=\"{size}\" type=\"application/x-bittorrent\" />\n\
             <torznab:attr name=\"category\" value=\"{category}\" />\n\
             <torznab:attr name=\"seeders\" value=\"{seeders}\" />\n\
             <torznab:attr name=\"peers\" value=\"{peers}\" />\n{infohash}\
             <torznab:attr name=\"downloadvolumefactor\" value=\"1\" />\n</item>\n",
            title = escape(item.title),
            size = item.size,
            category = item.category,
            seeders = item.seeders,
            peers = item.seeders + 2,
        ));
    }
    xml.push_str("</channel>\n</rss>\n");
    xml
}

/// The seed's scene (the end-to-end test and `scripts/demo.sh`): a wrong
/// album, a dead copy, a lossy one, and the right release `title` of `size`
/// bytes; only the last is acceptable for LOSSLESS. Links are `/dl/…` on
/// `base`.
pub fn decoys_and_the_right_release(base: &str, title: &str, size: u64) -> String {
    let item = FeedItem::linked;
    jackett_feed(
        base,
        &[
            item(
                "Artist - Another Album (2020) [FLAC]",
                size,
                50,
                3040,
                "/dl/wrong/",
            ),
            item(title, size, 0, 3040, "/dl/dead/"),
            item(
                "Artist - Album (2020) [MP3 320]",
                size / 4,
                80,
                3010,
                "/dl/lossy/",
            ),
            item(title, size, 1, 3040, "/dl/right/"),
        ],
    )
}
