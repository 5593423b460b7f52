//! [grab]: the MagnetResolver against an HTTP server, the qBittorrent client
//! against a real qbittorrent-nox, and looking inside before grabbing.

use std::process::Command;
use std::time::Duration;

use musicagg::indexer::Release;
use musicagg::magnet::{LinkResolver, MagnetResolver, ResolvedTorrent, parse_torrent};
use musicagg::model::RunId;
use musicagg::proto::v1 as pb;
use musicagg::torrent_client::{AddRequest, TorrentClient, TorrentClientError};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::doubles::{Fake, album, release};
use crate::harness::{Backend, TestApp, start};
use crate::qbt::{PASSWORD, Qbt, QbtOptions, make_album_torrent, require};
use crate::stream::ALBUM;

const HASH: &str = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";

fn resolver() -> LinkResolver {
    LinkResolver::new(Duration::from_secs(10)).unwrap()
}

fn linked(server: &MockServer, link_path: &str) -> Release {
    Release {
        title: "Artist - Album [FLAC]".into(),
        download_url: Some(format!("{}{link_path}", server.uri())),
        ..Release::default()
    }
}

async fn route(server: &MockServer, at: &str, response: ResponseTemplate) {
    Mock::given(path(at))
        .respond_with(response)
        .mount(server)
        .await;
}

#[tokio::test]
async fn download_links_resolve_to_magnets_and_torrents() {
    let dir = tempfile::tempdir().unwrap();
    let torrent = make_album_torrent(
        dir.path(),
        "Artist - Album (2020) [FLAC]",
        3,
        false,
        Some("http://127.0.0.1:1/announce"),
    );
    let private = make_album_torrent(
        dir.path(),
        "Private Album",
        2,
        true,
        Some("http://127.0.0.1:1/announce"),
    );
    let server = MockServer::start().await;
    let magnet =
        format!("magnet:?xt=urn:btih:{HASH}&dn=Artist&tr=http%3A%2F%2Ft.example%2Fannounce");
    // Jackett's /dl/ link: 302 to the magnet.
    route(
        &server,
        "/dl/jackett",
        ResponseTemplate::new(302).insert_header("location", magnet.as_str()),
    )
    .await;
    // Prowlarr: 301 to an http URL that answers with the .torrent.
    route(
        &server,
        "/prowlarr/1/download",
        ResponseTemplate::new(301).insert_header("location", "/files/album.torrent"),
    )
    .await;
    route(
        &server,
        "/files/album.torrent",
        ResponseTemplate::new(200).set_body_bytes(torrent.clone()),
    )
    .await;
    route(
        &server,
        "/files/private.torrent",
        ResponseTemplate::new(200).set_body_bytes(private.clone()),
    )
    .await;
    route(
        &server,
        "/text-magnet",
        ResponseTemplate::new(200).set_body_string(format!("{magnet}\n")),
    )
    .await;

    let r = resolver()
        .resolve(&linked(&server, "/dl/jackett"))
        .await
        .unwrap();
    assert_eq!(r.info_hash, HASH);
    assert!(
        r.magnet_uri
            .contains("&tr=http%3A%2F%2Ft.example%2Fannounce"),
        "{}",
        r.magnet_uri
    );
    assert!(r.torrent_file.is_none());

    let r = resolver()
        .resolve(&linked(&server, "/prowlarr/1/download"))
        .await
        .unwrap();
    assert_eq!(
        r.torrent_file.as_deref(),
        Some(&torrent[..]),
        "the .torrent bytes are kept"
    );
    assert!(!r.private);
    let files = r.files.unwrap();
    assert_eq!(files.len(), 3);
    assert!(files[0].path.ends_with("01 - Track 1.flac"), "{files:?}");
    assert!(
        r.magnet_uri
            .contains("&tr=http%3A%2F%2F127.0.0.1%3A1%2Fannounce"),
        "{}",
        r.magnet_uri
    );

    let r = resolver()
        .resolve(&linked(&server, "/files/private.torrent"))
        .await
        .unwrap();
    assert!(r.private, "the private flag is read");
    assert!(r.torrent_file.is_some());

    let r = resolver()
        .resolve(&linked(&server, "/text-magnet"))
        .await
        .unwrap();
    assert_eq!(r.info_hash, HASH);
}

#[tokio::test]
async fn bad_download_links_are_clear_errors() {
    let server = MockServer::start().await;
    route(
        &server,
        "/loop/a",
        ResponseTemplate::new(302).insert_header("location", "/loop/b"),
    )
    .await;
    route(
        &server,
        "/loop/b",
        ResponseTemplate::new(302).insert_header("location", "/loop/a"),
    )
    .await;
    for hop in 0..6 {
        let next = format!("/hop/{}", hop + 1);
        route(
            &server,
            &format!("/hop/{hop}"),
            ResponseTemplate::new(302).insert_header("location", next.as_str()),
        )
        .await;
    }
    route(
        &server,
        "/hop/6",
        ResponseTemplate::new(200).set_body_string(format!("magnet:?xt=urn:btih:{HASH}")),
    )
    .await;
    route(
        &server,
        "/ftp",
        ResponseTemplate::new(302).insert_header("location", "ftp://example.org/a.torrent"),
    )
    .await;
    route(
        &server,
        "/huge",
        ResponseTemplate::new(200).set_body_bytes(vec![b'd'; 50 * 1024 * 1024]),
    )
    .await;
    route(
        &server,
        "/garbage",
        ResponseTemplate::new(200).set_body_bytes(b"d8:announce3:abc4:infod4:name".to_vec()),
    )
    .await;
    route(
        &server,
        "/html",
        ResponseTemplate::new(200).set_body_string("<html>login</html>"),
    )
    .await;
    route(&server, "/gone", ResponseTemplate::new(404)).await;
    route(
        &server,
        "/limited",
        ResponseTemplate::new(429).insert_header("retry-after", "60"),
    )
    .await;
    route(&server, "/auth", ResponseTemplate::new(401)).await;

    let cases = [
        ("/loop/a", "redirect loop"),
        ("/hop/0", "more than 5 redirects"),
        ("/ftp", "ftp://"),
        ("/huge", "larger than"),
        ("/garbage", "not a valid .torrent"),
        ("/html", "HTML"),
        ("/gone", "no longer available"),
        ("/limited", "retry after 60"),
        ("/auth", "API key"),
    ];
    for (at, expected) in cases {
        let err = resolver().resolve(&linked(&server, at)).await.unwrap_err();
        assert!(err.to_string().contains(expected), "{at}: {err}");
    }
    // Five hops are fine.
    assert_eq!(
        resolver()
            .resolve(&linked(&server, "/hop/1"))
            .await
            .unwrap()
            .info_hash,
        HASH
    );

    // No link: the feed's magnet, else its info hash.
    let mut bare = Release {
        title: "T".into(),
        info_hash: Some(HASH.to_uppercase()),
        ..Release::default()
    };
    let r = resolver().resolve(&bare).await.unwrap();
    assert_eq!(r.magnet_uri, format!("magnet:?xt=urn:btih:{HASH}&dn=T"));
    bare.info_hash = None;
    assert!(resolver().resolve(&bare).await.is_err());
}

#[test]
fn our_info_hash_equals_the_one_transmission_reports() {
    require("transmission-show", "transmission-cli");
    let dir = tempfile::tempdir().unwrap();
    for private in [false, true] {
        let name = if private { "Private" } else { "Public" };
        let bytes = make_album_torrent(
            dir.path(),
            name,
            4,
            private,
            Some("http://127.0.0.1:1/announce"),
        );
        let ours = parse_torrent(&bytes).unwrap().info_hash;
        let output = Command::new("transmission-show")
            .arg(dir.path().join(format!("{name}.torrent")))
            .output()
            .expect("transmission-show");
        let text = String::from_utf8_lossy(&output.stdout);
        let theirs = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Hash:"))
            .map(|h| h.trim().to_ascii_lowercase())
            .expect("a Hash: line");
        assert_eq!(ours, theirs);
    }
}

fn magnet(hash: &str, name: &str) -> ResolvedTorrent {
    ResolvedTorrent {
        info_hash: hash.into(),
        magnet_uri: format!("magnet:?xt=urn:btih:{hash}&dn={name}"),
        ..ResolvedTorrent::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qbittorrent_adds_by_magnet_and_by_file_with_our_labels() {
    let qbt = Qbt::start(QbtOptions::default()).await;
    let client = qbt.client();
    let check = client.check().await.unwrap();
    assert!(check.version.starts_with('v'), "{check:?}");
    assert_eq!(check.category, "music");

    let run_id = RunId::new();
    let by_magnet = magnet(HASH, "Magnet+Album");
    client
        .add(AddRequest {
            torrent: &by_magnet,
            run_id,
            name: "Magnet Album",
        })
        .await
        .unwrap();
    // Adding it again is success, not failure.
    client
        .add(AddRequest {
            torrent: &by_magnet,
            run_id,
            name: "Magnet Album",
        })
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let bytes = make_album_torrent(
        dir.path(),
        "Private Album",
        3,
        true,
        Some("http://127.0.0.1:1/announce"),
    );
    let info = parse_torrent(&bytes).unwrap();
    let private = ResolvedTorrent {
        info_hash: info.info_hash.clone(),
        magnet_uri: format!("magnet:?xt=urn:btih:{}", info.info_hash),
        torrent_file: Some(bytes),
        private: true,
        files: Some(info.files),
    };
    client
        .add(AddRequest {
            torrent: &private,
            run_id,
            name: "Private Album",
        })
        .await
        .unwrap();

    let found = client.torrents(&[HASH, &info.info_hash]).await.unwrap();
    assert_eq!(found.len(), 2);
    for torrent in &found {
        assert_eq!(torrent.category, "music");
        let tags = torrent.tag_list();
        assert!(tags.contains(&"musicagg"), "{tags:?}");
        assert!(tags.contains(&format!("run-{run_id}").as_str()), "{tags:?}");
    }
    let uploaded = found.iter().find(|t| t.hash == info.info_hash).unwrap();
    assert_eq!(
        uploaded.name, "Private Album",
        "the .torrent itself was uploaded"
    );
    assert!(
        client
            .contains(&info.info_hash.to_uppercase())
            .await
            .unwrap()
    );
    assert!(
        !client
            .contains("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_clear_and_never_gets_us_banned() {
    let qbt = Qbt::start(QbtOptions::default()).await;
    let wrong =
        musicagg::torrent_client::Qbittorrent::new(&qbt.config("not-the-password")).unwrap();
    // Many calls; qBittorrent bans after 5 failed logins, we try once.
    for _ in 0..8 {
        match wrong.contains(HASH).await {
            Err(TorrentClientError::Config(message)) => {
                assert!(message.contains("wrong username or password"), "{message}");
            }
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }
    // Not banned: the right password still logs in from this address.
    let right = qbt.client();
    assert!(!right.contains(HASH).await.unwrap());
    assert!(
        qbt.log().lines().filter(|l| l.contains("banned")).count() == 0,
        "{}",
        qbt.log()
    );
    let _ = PASSWORD;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_is_renewed_once() {
    let qbt = Qbt::start(QbtOptions::default()).await;
    let client = qbt.client();
    assert!(!client.contains(HASH).await.unwrap());
    client.logout().await.unwrap(); // qBittorrent forgets our session: next call gets 403
    assert!(!client.contains(HASH).await.unwrap());
    client
        .add(AddRequest {
            torrent: &magnet(HASH, "x"),
            run_id: RunId::new(),
            name: "x",
        })
        .await
        .unwrap();
    assert!(client.contains(HASH).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torrent_that_does_not_fit_the_album_is_skipped_for_the_next() {
    // The album has 3 tracks (doubles::album). The best-seeded release holds
    // only 2 audio files; the next one holds 3.
    let dir = tempfile::tempdir().unwrap();
    let short = make_album_torrent(dir.path(), "Short", 2, false, None);
    let whole = make_album_torrent(dir.path(), "Whole", 3, false, None);
    let whole_hash = parse_torrent(&whole).unwrap().info_hash;
    let server = MockServer::start().await;
    route(
        &server,
        "/short.torrent",
        ResponseTemplate::new(200).set_body_bytes(short),
    )
    .await;
    route(
        &server,
        "/whole.torrent",
        ResponseTemplate::new(200).set_body_bytes(whole),
    )
    .await;

    let mut best = release(
        "Artist - Album [FLAC] (sampler)",
        50,
        "cccccccccccccccccccccccccccccccccccccccc",
    );
    best.info_hash = None;
    best.download_url = Some(format!("{}/short.torrent", server.uri()));
    let mut next = release(
        "Artist - Album [FLAC]",
        20,
        "dddddddddddddddddddddddddddddddddddddddd",
    );
    next.info_hash = None;
    next.download_url = Some(format!("{}/whole.torrent", server.uri()));
    let fake = Fake {
        releases: vec![best, next],
        ..Fake::default()
    };
    let (fake, mut providers) = fake.into_providers();
    providers.resolver = std::sync::Arc::new(resolver());
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let received = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    let result = received.result();
    assert_eq!(
        result.status(),
        pb::WorkflowStatus::Complete,
        "{}",
        result.message
    );
    assert_eq!(
        result.selected_release.as_ref().unwrap().title,
        "Artist - Album [FLAC]"
    );
    assert_eq!(result.download.as_ref().unwrap().info_hash, whole_hash);
    let skipped = &result.rejected_candidates[0];
    assert_eq!(
        skipped.release.as_ref().unwrap().title,
        "Artist - Album [FLAC] (sampler)"
    );
    assert_eq!(
        skipped.rejection_reasons,
        vec!["2 audio files inside, the album has 3 tracks"]
    );
    assert_eq!(*fake.added.lock().unwrap(), vec![whole_hash]);
    let _ = album;
    app.stop().await;
}
