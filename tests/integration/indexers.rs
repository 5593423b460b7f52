//! The Torznab indexers against fake Jackett and Prowlarr servers
//! (`fake_torznab.rs`): every feed quirk parsed right, field by field; caps
//! deciding the search mode. Failures and back-off: `indexer_failures.rs`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use musicagg::config::IndexerConfig;
use musicagg::indexer::{
    BackoffPolicy, IndexerOutcome, IndexerService, ManualClock, Release, SearchReport,
    ServiceOptions, TorznabIndexers,
};
use musicagg::metadata::Album;
use musicagg::model::AlbumId;
use secrecy::SecretString;
use wiremock::ResponseTemplate;

use crate::fake_torznab::{
    FakeIndexer, assert_release, at, good_jackett, good_prowlarr, jackett_releases,
    prowlarr_releases, xml,
};
use crate::harness::within;

pub(crate) const ARTIST: &str = "Sigur Rós";
pub(crate) const ALBUM: &str = "Ágætis byrjun";
/// What both terms clean to: accents folded.
pub(crate) const CLEAN_Q: &str = "Sigur Ros Agaetis byrjun";
pub(crate) const CATS: &str = "cat=3000,3010,3040 limit=100 extended=1";

pub(crate) fn start_of_test() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0)
        .single()
        .expect("a valid date")
}

pub(crate) fn service(configs: &[IndexerConfig]) -> TorznabIndexers {
    TorznabIndexers::from_config(configs).expect("the indexers build")
}

/// A service whose clock the test moves, with 60 s then 300 s windows.
pub(crate) fn service_with_clock(configs: &[IndexerConfig]) -> (TorznabIndexers, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(start_of_test()));
    let options = ServiceOptions {
        backoff: BackoffPolicy {
            steps: vec![Duration::from_secs(60), Duration::from_secs(300)],
            max_retry_after: Duration::from_secs(3600),
        },
        clock: clock.clone(),
        ..ServiceOptions::default()
    };
    let indexers = TorznabIndexers::with_options(configs, options).expect("the indexers build");
    (indexers, clock)
}

pub(crate) async fn search(indexers: &TorznabIndexers) -> SearchReport {
    within("the indexer search", indexers.search_terms(ARTIST, ALBUM)).await
}

pub(crate) fn outcome<'a>(report: &'a SearchReport, name: &str) -> &'a IndexerOutcome {
    report
        .indexers
        .iter()
        .find(|o| o.indexer == name)
        .unwrap_or_else(|| panic!("no outcome for {name} in {}", report.summary()))
}

pub(crate) fn error_of(report: &SearchReport, name: &str) -> String {
    match &outcome(report, name).result {
        Err(error) => error.clone(),
        Ok(n) => panic!("{name} should have failed, found {n}: {}", report.summary()),
    }
}

#[tokio::test]
async fn jackett_feeds_are_parsed_field_by_field() {
    let jackett = good_jackett("sometracker").await;
    let indexers = service(&[jackett.config("jackett")]);
    let report = search(&indexers).await;
    assert_eq!(
        outcome(&report, "jackett").result,
        Ok(3),
        "{}",
        report.summary()
    );
    let expected = jackett_releases("jackett", &jackett.base());
    assert_eq!(report.releases.len(), expected.len());
    for (actual, expected) in report.releases.iter().zip(&expected) {
        assert_release(actual, expected);
    }
    assert_eq!(
        jackett.requests().await,
        ["caps".to_owned(), format!("search q={CLEAN_Q} {CATS}")]
    );
}

#[tokio::test]
async fn prowlarr_feeds_are_parsed_field_by_field() {
    let prowlarr = good_prowlarr(5).await;
    let indexers = service(&[prowlarr.config("prowlarr")]);
    let report = search(&indexers).await;
    assert_eq!(
        outcome(&report, "prowlarr").result,
        Ok(3),
        "{}",
        report.summary()
    );
    let expected = prowlarr_releases("prowlarr", &prowlarr.base());
    for (actual, expected) in report.releases.iter().zip(&expected) {
        assert_release(actual, expected);
    }
    assert_eq!(
        prowlarr.requests().await,
        [
            "caps".to_owned(),
            format!("music artist=Sigur Ros album=Agaetis byrjun {CATS}")
        ]
    );
}

#[tokio::test]
async fn third_party_quirks_bom_newznab_attrs_html_entities_and_dates() {
    let server = FakeIndexer::jackett("thirdparty").await;
    // An old Newznab-style server: no supportedParams, limits max 50.
    server.caps("newznab-caps-no-params.xml").await;
    server.feed("search", "thirdparty-search.xml").await;
    let indexers = service(&[server.config("thirdparty")]);
    let report = search(&indexers).await;
    assert_eq!(
        outcome(&report, "thirdparty").result,
        Ok(3),
        "{}",
        report.summary()
    );
    let common = Release {
        indexer: "thirdparty".into(),
        indexer_priority: Some(25),
        minimum_seeders: Some(1),
        ..Release::default()
    };
    let expected = [
        Release {
            // &ouml; &ndash; &nbsp; are not XML: rewritten before parsing.
            title: "Björk – Homogenic (1997) [FLAC]".into(),
            guid: "tp-1".into(),
            download_url: Some("http://thirdparty.example/get/1.torrent".into()),
            // newznab:attr size wins over the 20 KiB enclosure.
            size_bytes: Some(456_789_012),
            seeders: Some(8),
            // An explicit leechers attr wins over peers.
            leechers: Some(2),
            categories: vec![3040],
            // GMT, no seconds.
            published_at: at("2015-03-14T21:10:00Z"),
            ..common.clone()
        },
        Release {
            // A bare & (invalid XML) kept as text.
            title: "Simon & Garfunkel - Bookends".into(),
            guid: "tp-2".into(),
            download_url: Some("http://thirdparty.example/get/2.torrent".into()),
            info_hash: Some("2f7a2d1e1c0b8c9d4e5f60718293a4b5c6d7e8f9".into()),
            categories: vec![3010],
            // ISO 8601.
            published_at: at("2015-03-14T21:10:42Z"),
            ..common.clone()
        },
        Release {
            // &amp;amp; in the XML: "&amp;" after XML, "&" after HTML.
            title: "AT&T – Test".into(),
            guid: "tp-3".into(),
            magnet_uri: Some(
                "magnet:?xt=urn:btih:2F7A2D1E1C0B8C9D4E5F60718293A4B5C6D7E8F0&dn=test".into(),
            ),
            // From the magnet's xt.
            info_hash: Some("2f7a2d1e1c0b8c9d4e5f60718293a4b5c6d7e8f0".into()),
            categories: vec![3050],
            // "sometime last week": unknown, not an error.
            published_at: None,
            ..common.clone()
        },
    ];
    for (actual, expected) in report.releases.iter().zip(&expected) {
        assert_release(actual, expected);
    }
    assert_eq!(
        server.requests().await,
        [
            "caps".to_owned(),
            format!("search q={CLEAN_Q} cat=3000,3010,3040 limit=50 extended=1")
        ]
    );
}

#[tokio::test]
async fn music_search_only_when_the_caps_list_artist_and_album() {
    let with_params = FakeIndexer::jackett("withparams").await;
    with_params.caps("jackett-caps-music-params.xml").await;
    with_params.feed("music", "jackett-search.xml").await;
    let q_only = FakeIndexer::jackett("qonly").await;
    q_only.caps("jackett-caps-q-only.xml").await;
    q_only.feed("search", "jackett-search.xml").await;
    // What a [q]-only Jackett indexer does with artist/album: its latest
    // uploads. Never asked for here.
    q_only.feed("music", "thirdparty-search.xml").await;
    let audio_only = FakeIndexer::prowlarr(7).await;
    audio_only
        .on(
            "caps",
            xml(
                200,
                r#"<caps><searching><search available="yes" supportedParams="q"/>
                   <audio-search available="yes" supportedParams="q,artist,album"/></searching></caps>"#,
            ),
        )
        .await;
    audio_only.feed("music", "prowlarr-search.xml").await;

    let indexers = service(&[
        with_params.config("with-params"),
        q_only.config("q-only"),
        audio_only.config("audio-only"),
    ]);
    let report = search(&indexers).await;
    for name in ["with-params", "q-only", "audio-only"] {
        assert_eq!(outcome(&report, name).result, Ok(3), "{}", report.summary());
    }
    let music = format!("music artist=Sigur Ros album=Agaetis byrjun {CATS}");
    assert_eq!(
        with_params.requests().await,
        ["caps".to_owned(), music.clone()]
    );
    assert_eq!(
        q_only.requests().await,
        ["caps".to_owned(), format!("search q={CLEAN_Q} {CATS}")]
    );
    assert_eq!(
        audio_only.requests().await,
        ["caps".to_owned(), music.clone()]
    );

    // Caps are cached: the second search asks for none.
    search(&indexers).await;
    assert_eq!(
        with_params.requests().await,
        ["caps".to_owned(), music.clone(), music]
    );
}

#[tokio::test]
async fn an_empty_or_refused_music_search_falls_back_to_q() {
    let empty = FakeIndexer::jackett("empty").await;
    empty.caps("jackett-caps-music-params.xml").await;
    empty.feed("music", "jackett-empty.xml").await;
    empty.feed("search", "jackett-search.xml").await;
    // Jackett's answer to a mode its indexer lacks: 200 + error 201.
    let refused = FakeIndexer::jackett("refused").await;
    refused.caps("jackett-caps-music-params.xml").await;
    refused
        .on("music", xml(200, r#"<error code="201" description="Incorrect parameter: music search is not supported"/>"#))
        .await;
    refused.feed("search", "jackett-search.xml").await;

    let indexers = service(&[empty.config("empty"), refused.config("refused")]);
    let report = search(&indexers).await;
    assert_eq!(
        outcome(&report, "empty").result,
        Ok(3),
        "{}",
        report.summary()
    );
    assert_eq!(
        outcome(&report, "refused").result,
        Ok(3),
        "{}",
        report.summary()
    );
    let music = format!("music artist=Sigur Ros album=Agaetis byrjun {CATS}");
    let q = format!("search q={CLEAN_Q} {CATS}");
    assert_eq!(
        empty.requests().await,
        ["caps".to_owned(), music.clone(), q.clone()]
    );
    assert_eq!(
        refused.requests().await,
        ["caps".to_owned(), music.clone(), q.clone()]
    );
    // Merged: both indexers found the same three torrents (by hash or guid).
    assert_eq!(report.releases.len(), 3);
    assert!(report.releases.iter().all(|r| r.indexer == "empty"));

    // The refusal made the caps suspect: fetched again next time.
    search(&indexers).await;
    let again = refused.requests().await;
    assert_eq!(again[3..], ["caps".to_owned(), music, q]);
}

#[tokio::test]
async fn a_server_without_caps_gets_a_plain_q_search() {
    let no_caps = FakeIndexer::jackett("nocaps").await;
    no_caps.on("caps", ResponseTemplate::new(404)).await;
    no_caps.feed("search", "jackett-search.xml").await;
    let indexers = service(&[no_caps.config("no-caps")]);
    let report = search(&indexers).await;
    assert_eq!(
        outcome(&report, "no-caps").result,
        Ok(3),
        "{}",
        report.summary()
    );
    assert_eq!(
        no_caps.requests().await,
        ["caps".to_owned(), format!("search q={CLEAN_Q} {CATS}")]
    );
}

#[tokio::test]
async fn test_all_reports_caps_and_a_test_query_per_indexer() {
    let good = good_jackett("good").await;
    let bad_key = good_prowlarr(2).await;
    let mut bad_key_config = bad_key.config("bad-key");
    bad_key_config.api_key = Some(SecretString::from("not-the-key"));
    let mut disabled = good.config("disabled");
    disabled.enabled = false;
    let indexers = service(&[good.config("good"), bad_key_config, disabled]);

    let checks = within("indexers test", indexers.test_all()).await;
    let lines: Vec<String> = checks.iter().map(ToString::to_string).collect();
    assert!(checks[0].passed(), "{lines:?}");
    assert!(
        lines[0].starts_with("good: caps ok (Jackett; search [q], music [q], 3 categories); test query: 3 results in "),
        "{lines:?}"
    );
    assert!(!checks[1].passed());
    assert!(
        lines[1].starts_with(
            "bad-key: caps failed: HTTP 401 with an empty body: the API key was refused, check this indexer's api_key in "
        ),
        "{lines:?}"
    );
    assert_eq!(lines[2], "disabled: disabled");
    assert!(!checks[0].url.contains(&good.api_key));
    // The test query asks for the latest releases: no terms.
    assert_eq!(
        good.requests().await,
        ["caps".to_owned(), format!("search {CATS}")]
    );
}

#[tokio::test]
async fn the_service_searches_an_albums_artist_and_title_and_refuses_an_unknown_album() {
    let with_year = FakeIndexer::jackett("withyear").await;
    with_year.caps("jackett-caps-music-params.xml").await;
    with_year.feed("music", "jackett-search.xml").await;
    let indexers = service(&[with_year.config("with-year")]);
    let id = AlbumId::parse("1b022e01-4da6-387b-8658-8678046e4cef").expect("a valid id");

    let unknown = within(
        "a search",
        IndexerService::search(&indexers, &Album::unknown(id.clone())),
    )
    .await;
    let error = unknown.expect_err("nothing to search for");
    assert_eq!(
        error.to_string(),
        "nothing to search for: the album's artist and title are unknown"
    );

    // Self-titled: the year goes along (caps list it).
    let album = Album {
        title: "Weezer".into(),
        artist: "Weezer".into(),
        first_release_date: "1994-05-10".into(),
        ..Album::unknown(id)
    };
    let report = within("a search", IndexerService::search(&indexers, &album))
        .await
        .expect("a report");
    assert_eq!(outcome(&report, "with-year").result, Ok(3));
    assert_eq!(
        with_year.requests().await,
        [
            "caps".to_owned(),
            format!("music artist=Weezer album=Weezer year=1994 {CATS}")
        ]
    );
}

#[tokio::test]
async fn jackett_download_links_answer_302_to_the_magnet() {
    let jackett = good_jackett("sometracker").await;
    let magnet = "magnet:?xt=urn:btih:9f3c2a1b0e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b&dn=Sigur+Ros";
    jackett.download_redirects_to(magnet).await;
    let indexers = service(&[jackett.config("jackett")]);
    let report = search(&indexers).await;
    let link = report.releases[0]
        .download_url
        .clone()
        .expect("a download link");
    let client = musicagg::http::client_builder("test", Duration::from_secs(5), false)
        .build()
        .expect("a client");
    let response = within("the download link", client.get(&link).send())
        .await
        .expect("a response");
    assert_eq!(response.status(), 302);
    assert_eq!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some(magnet)
    );
}

#[tokio::test]
async fn configuration_mistakes_are_named() {
    let base = IndexerConfig {
        name: "a".into(),
        url: "http://127.0.0.1:9117/api".into(),
        api_key: None,
        categories: vec![3000],
        priority: 25,
        enabled: true,
        timeout: 20,
        minimum_seeders: 1,
        min_request_interval: musicagg::config::Seconds(0),
    };
    let mut bad_url = base.clone();
    bad_url.url = "jackett:9117/api?apikey=secret".into();
    let error = TorznabIndexers::from_config(&[bad_url])
        .expect_err("a bad URL")
        .to_string();
    assert!(error.starts_with("indexer \"a\": url "), "{error}");
    assert!(!error.contains("secret"), "{error}");
    let error = TorznabIndexers::from_config(&[base.clone(), base.clone()])
        .expect_err("a duplicate")
        .to_string();
    assert_eq!(error, "two indexers are named \"a\": names must be unique");
    let mut zero = base;
    zero.timeout = 0;
    let error = TorznabIndexers::from_config(&[zero])
        .expect_err("a zero timeout")
        .to_string();
    assert_eq!(error, "indexer \"a\": timeout must be at least 1 second");
}

#[tokio::test]
async fn a_large_feed_under_the_cap_is_parsed_whole() {
    // ~2 MiB: parsed off the async worker, every item kept.
    let items: String = (0..8000)
        .map(|n| {
            format!(
                "<item><title>Artist - Album {n} [FLAC]</title><guid>g-{n}</guid>\
                 <link>http://t.example/{n}.torrent</link><size>{}</size>\
                 <torznab:attr name=\"seeders\" value=\"{n}\"/></item>",
                300_000_000 + n
            )
        })
        .collect();
    let body = format!(
        "<rss version=\"2.0\" xmlns:torznab=\"http://torznab.com/schemas/2015/feed\"><channel>{items}</channel></rss>"
    );
    assert!(body.len() > 1024 * 1024);
    let big = FakeIndexer::jackett("big").await;
    big.caps("jackett-caps-q-only.xml").await;
    big.on("search", xml(200, body)).await;
    let indexers = service(&[big.config("big")]);
    let report = search(&indexers).await;
    assert_eq!(
        outcome(&report, "big").result,
        Ok(8000),
        "{}",
        report.summary()
    );
    let last = report.releases.last().expect("releases");
    assert_eq!(last.guid, "g-7999");
    assert_eq!(last.seeders, Some(7999));
    assert_eq!(last.size_bytes, Some(300_007_999));
}
