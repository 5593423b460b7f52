//! MusicBrainz metadata against a server speaking the exact ws/2 JSON format:
//! extraction, rate limiting, retries, errors, the stored copy, merged ids,
//! search.

use std::collections::HashMap;
use std::time::Duration;

use musicagg::config::{MusicBrainzConfig, Seconds};
use musicagg::metadata::{MusicBrainzClient, MusicBrainzError};
use musicagg::model::AlbumId;
use musicagg::proto::v1 as pb;
use pb::WorkflowStatus as S;
use serde_json::json;

use crate::fake_musicbrainz::{
    FakeAlbum, FakeMusicBrainz, Mode, browse_release, credit, group, release_details, simple_album,
    track,
};
use crate::harness::{Backend, Received, TestApp, start};

const RG: &str = "1b022e01-4da6-387b-8658-8678046e4cef";

fn client_config(fake: &FakeMusicBrainz) -> MusicBrainzConfig {
    MusicBrainzConfig {
        base_url: fake.base_url(),
        requests_per_second: 1000.0,
        max_attempts: 3,
        retry_base_ms: 10,
        timeout: 10,
        ..MusicBrainzConfig::default()
    }
}

async fn lookup(
    fake: &FakeMusicBrainz,
    id: &str,
) -> Result<musicagg::metadata::Album, MusicBrainzError> {
    let client = MusicBrainzClient::new(&client_config(fake)).unwrap();
    client.album(&AlbumId::parse(id).unwrap()).await
}

#[tokio::test]
async fn a_normal_album_is_extracted_whole() {
    let fake = FakeMusicBrainz::start().await;
    fake.add(RG, simple_album(RG, "Artist", "Album", 3));
    let album = lookup(&fake, RG).await.unwrap();
    assert_eq!(album.id.as_str(), RG);
    assert_eq!(
        (album.title.as_str(), album.artist.as_str()),
        ("Album", "Artist")
    );
    assert_eq!(album.first_release_date, "2020-05-01");
    assert_eq!(album.primary_type.as_deref(), Some("Album"));
    assert_eq!(album.tracks.len(), 3);
    let t = &album.tracks[2];
    assert_eq!(
        (
            t.disc,
            t.position,
            t.number.as_str(),
            t.title.as_str(),
            t.length_ms
        ),
        (1, 3, "3", "Song 3", Some(240_000))
    );
    // fmt=json on every request, the documented incs.
    let requests = fake.requests();
    assert!(
        requests.iter().all(|r| r.contains("fmt=json")),
        "{requests:?}"
    );
    assert!(requests[0].contains("inc=artist-credits"), "{requests:?}");
    assert!(requests[2].contains("inc=recordings"), "{requests:?}");
}

#[tokio::test]
async fn missing_types_partial_dates_and_credits_with_joinphrases() {
    let fake = FakeMusicBrainz::start().await;
    for (i, date) in ["1999", "1999-04", ""].into_iter().enumerate() {
        let id = format!("1b022e01-4da6-387b-8658-86780460000{i}");
        let mut album = simple_album(&id, "x", "Untyped", 1);
        album.group = group(
            &id,
            "Untyped",
            None,
            date,
            vec![
                credit("Simon", "Paul Simon", " & "),
                credit("Garfunkel", "Art Garfunkel", " feat. "),
                credit("The Band", "The Band (US)", ""),
            ],
        );
        fake.add(&id, album);
        let got = lookup(&fake, &id).await.unwrap();
        assert_eq!(got.primary_type, None, "null primary type");
        assert_eq!(got.first_release_date, date);
        assert_eq!(got.artist, "Simon & Garfunkel feat. The Band");
    }
}

#[tokio::test]
async fn multi_disc_vinyl_numbers_and_data_tracks() {
    let fake = FakeMusicBrainz::start().await;
    let release_id = "rel-vinyl";
    let mut details = release_details(
        release_id,
        vec![
            vec![
                track(1, "A1", "Side A One", Some(200_000)),
                track(2, "A2", "Side A Two", None),
            ],
            vec![
                track(1, "B1", "Side B One", Some(210_000)),
                track(2, "B2", "Side B Two", Some(1)),
            ],
        ],
    );
    // An enhanced CD's data track and a hidden pregap track are not in `tracks`.
    details["media"][1]["data-tracks"] = json!([track(3, "3", "Video", Some(5000))]);
    details["media"][0]["pregap"] = track(0, "0", "Hidden", Some(30_000));
    fake.add(
        RG,
        FakeAlbum {
            group: group(
                RG,
                "Vinyl",
                Some("Album"),
                "1972",
                vec![credit("Artist", "Artist", "")],
            ),
            releases: vec![browse_release(
                release_id,
                Some("Official"),
                Some("1972"),
                &[2, 2],
            )],
            details: HashMap::from([(release_id.to_owned(), details)]),
        },
    );
    let album = lookup(&fake, RG).await.unwrap();
    let got: Vec<(u32, u32, &str, Option<u64>)> = album
        .tracks
        .iter()
        .map(|t| (t.disc, t.position, t.number.as_str(), t.length_ms))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 1, "A1", Some(200_000)),
            (1, 2, "A2", None),
            (2, 1, "B1", Some(210_000)),
            (2, 2, "B2", Some(1))
        ]
    );
}

#[tokio::test]
async fn more_than_25_releases_are_browsed_and_the_representative_one_chosen() {
    let fake = FakeMusicBrainz::start().await;
    // 130 releases over two browse pages; the only official ones are on the
    // second page: two 12-track editions and one 16-track deluxe.
    let mut releases: Vec<_> = (0..127)
        .map(|i| {
            browse_release(
                &format!("bootleg-{i:03}"),
                Some("Bootleg"),
                Some("1990"),
                &[9],
            )
        })
        .collect();
    releases.push(browse_release(
        "official-late",
        Some("Official"),
        Some("2005-02"),
        &[12],
    ));
    releases.push(browse_release(
        "official-deluxe",
        Some("Official"),
        Some("1998"),
        &[10, 6],
    ));
    releases.push(browse_release(
        "official-first",
        Some("Official"),
        Some("1999-03-01"),
        &[12],
    ));
    let tracks = (1..=12)
        .map(|i| track(i, &i.to_string(), &format!("T{i}"), Some(1000)))
        .collect();
    fake.add(
        RG,
        FakeAlbum {
            group: group(
                RG,
                "Many",
                Some("Album"),
                "1990",
                vec![credit("A", "A", "")],
            ),
            releases,
            details: HashMap::from([(
                "official-first".to_owned(),
                release_details("official-first", vec![tracks]),
            )]),
        },
    );
    let album = lookup(&fake, RG).await.unwrap();
    assert_eq!(album.tracks.len(), 12);
    let browses = fake
        .requests()
        .iter()
        .filter(|r| r.starts_with("/ws/2/release?"))
        .count();
    assert_eq!(browses, 2, "two browse pages");
}

#[tokio::test]
async fn errors_are_classified() {
    let fake = FakeMusicBrainz::start().await;
    fake.add(RG, simple_album(RG, "A", "B", 2));

    assert!(matches!(
        lookup(&fake, "f5093c06-23e3-404f-aeaa-40f72885ee3a").await,
        Err(MusicBrainzError::NotFound(_))
    ));

    fake.set_mode(Mode::Unavailable(2));
    assert_eq!(
        lookup(&fake, RG).await.unwrap().title,
        "B",
        "503 twice, then 200"
    );

    fake.set_mode(Mode::Down);
    let before = fake.request_count();
    match lookup(&fake, RG).await {
        Err(MusicBrainzError::Unavailable { attempts, last }) => {
            assert_eq!(attempts, 3);
            assert!(last.contains("503") && last.contains("HTML"), "{last}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert_eq!(fake.request_count() - before, 3, "bounded retries");

    fake.set_mode(Mode::Malformed);
    assert!(matches!(
        lookup(&fake, RG).await,
        Err(MusicBrainzError::Malformed(_))
    ));
    fake.set_mode(Mode::Oversized(17 * 1024 * 1024));
    let err = lookup(&fake, RG).await.unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
}

/// Starts the service configured against the fake MusicBrainz.
async fn app(fake: &FakeMusicBrainz, tweak: impl FnOnce(&mut MusicBrainzConfig)) -> TestApp {
    let mut mb = client_config(fake);
    tweak(&mut mb);
    TestApp::spawn_configured(Backend::Sqlite, |c| c.musicbrainz = mb).await
}

async fn monitor(app: &TestApp, id: &str) -> Received {
    app.watch_to_end(start(id, pb::Quality::Lossless)).await
}

fn checking_owned_message(received: &Received) -> String {
    received
        .updates
        .iter()
        .find(|u| u.status() == S::CheckingOwned)
        .map(|u| u.message.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_workflows_never_exceed_the_rate() {
    let fake = FakeMusicBrainz::start().await;
    let ids: Vec<String> = (0..20)
        .map(|i| format!("1b022e01-4da6-387b-8658-8678046e{i:04}"))
        .collect();
    for id in &ids {
        fake.add(id, simple_album(id, "Artist", "Album", 2));
    }
    let rate = 20.0;
    let app = app(&fake, |mb| mb.requests_per_second = rate).await;
    let results = futures::future::join_all(ids.iter().map(|id| monitor(&app, id))).await;
    for received in &results {
        // Metadata was fetched; the stand-in indexers then find nothing.
        assert_eq!(received.result().status(), S::NoResults);
        assert!(checking_owned_message(received).contains("Artist - Album"));
    }
    let mut times = fake.request_times();
    times.sort();
    assert_eq!(times.len(), 60, "3 requests per album");
    // Any 21 consecutive requests span at least one second (20/s), with a
    // little slack for the network between the limiter and the server.
    let window = rate as usize;
    for pair in times.windows(window + 1) {
        let span = pair[window] - pair[0];
        assert!(
            span >= Duration::from_millis(900),
            "21 requests within {span:?}"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_outcomes_follow_musicbrainz_answers() {
    let fake = FakeMusicBrainz::start().await;
    fake.add(RG, simple_album(RG, "Artist", "Album", 2));
    let app = app(&fake, |mb| mb.cache_ttl = Seconds(0)).await;

    fake.set_mode(Mode::Unavailable(2));
    let ok = monitor(&app, RG).await;
    assert_eq!(
        ok.result().status(),
        S::NoResults,
        "503, 503, then 200: the run goes on"
    );

    let unknown = monitor(&app, "f5093c06-23e3-404f-aeaa-40f72885ee3a").await;
    assert_eq!(unknown.result().status(), S::NotFound);

    fake.set_mode(Mode::Down);
    let other = "0f5093c0-23e3-404f-aeaa-40f72885ee3a";
    let down = monitor(&app, other).await;
    let result = down.result();
    assert_eq!(result.status(), S::Failed);
    assert!(
        result
            .message
            .contains("MusicBrainz unavailable after 3 attempts"),
        "{}",
        result.message
    );

    fake.set_mode(Mode::Malformed);
    let malformed = monitor(&app, other).await;
    assert_eq!(malformed.result().status(), S::Failed);
    assert!(
        malformed.result().message.contains("unreadable"),
        "{}",
        malformed.result().message
    );

    fake.set_mode(Mode::Oversized(17 * 1024 * 1024));
    let oversized = monitor(&app, other).await;
    assert_eq!(oversized.result().status(), S::Failed);

    // The server is unaffected, and a stored copy carries the run through an
    // outage.
    fake.set_mode(Mode::Down);
    let stored = monitor(&app, RG).await;
    assert_eq!(stored.result().status(), S::NoResults);
    let message = checking_owned_message(&stored);
    assert!(message.contains("using the copy stored on"), "{message}");
    assert!(message.contains("Artist - Album (2 tracks)"), "{message}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_stored_album_is_served_without_a_request() {
    let fake = FakeMusicBrainz::start().await;
    fake.add(RG, simple_album(RG, "Artist", "Album", 4));
    let app = app(&fake, |_| {}).await;
    monitor(&app, RG).await;
    let after_first = fake.request_count();
    assert_eq!(after_first, 3);

    let second = monitor(&app, RG).await;
    assert_eq!(
        fake.request_count(),
        after_first,
        "no request on a cache hit"
    );
    assert!(checking_owned_message(&second).contains("from the local copy"));

    let mut client = app.client().await;
    let album = client
        .get_album(pb::GetAlbumRequest {
            album_id: RG.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(album.tracks.len(), 4);
    assert_eq!(fake.request_count(), after_first);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merged_id_is_an_alias_of_the_same_album_and_workflow() {
    let fake = FakeMusicBrainz::start().await;
    let old = "0d5093c0-23e3-404f-aeaa-40f72885ee3a";
    fake.add(RG, simple_album(RG, "Artist", "Album", 2));
    fake.merge(old, RG);
    let app = app(&fake, |_| {}).await;

    let first = monitor(&app, old).await;
    assert!(checking_owned_message(&first).contains(&format!("merged {old} into {RG}")));
    let album = first.result().album.clone().unwrap();
    assert_eq!(album.id, RG);

    // Either id now finds the album (without asking MusicBrainz) and names
    // the same workflow key.
    let requests = fake.request_count();
    let again = monitor(&app, old).await;
    assert_eq!(again.result().album_id, RG);
    assert_eq!(fake.request_count(), requests);
    let mut client = app.client().await;
    let by_old = client
        .get_album(pb::GetAlbumRequest {
            album_id: old.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_old.id, RG);
    // The first run was recorded under the id asked for (the merge was not
    // known yet); from then on the old id is the canonical album's workflow.
    let runs = client
        .list_workflow_runs(pb::ListWorkflowRunsRequest {
            album_id: RG.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(runs.runs.len(), 1);
    assert_eq!(runs.runs[0].run_id, again.result().run_id);
    // The first run, stored under the old id, is still reachable by its id
    // with either album id (a page or a CLI resuming it after the merge).
    for album_id in [old, RG] {
        let replay = app
            .watch_to_end(pb::StartMonitorRequest {
                run_id: first.result().run_id.clone(),
                ..start(album_id, pb::Quality::Lossless)
            })
            .await;
        assert_eq!(replay.result().run_id, first.result().run_id);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_ranks_results_and_escapes_lucene() {
    let fake = FakeMusicBrainz::start().await;
    // The search serializer omits empty keys and `name` when it equals the
    // artist's name.
    fake.set_search(json!({
        "created": "2026-11-28T10:00:00.000Z",
        "count": 3,
        "offset": 0,
        "release-groups": [
            {"id": "0a5093c0-23e3-404f-aeaa-40f72885ee3a", "score": 80, "title": "Live Thing",
             "primary-type": "Album", "secondary-types": ["Live"], "first-release-date": "1980",
             "artist-credit": [{"artist": {"id": "x", "name": "AC/DC"}}]},
            {"id": "0b5093c0-23e3-404f-aeaa-40f72885ee3a", "score": 100, "title": "Back in Black",
             "primary-type": "Album", "first-release-date": "1980-07-25",
             "artist-credit": [{"name": "AC/DC", "artist": {"id": "x", "name": "AC/DC"}}]},
            {"id": "0c5093c0-23e3-404f-aeaa-40f72885ee3a", "score": 100, "title": "Back in Black",
             "primary-type": "Single",
             "artist-credit": [{"artist": {"id": "x", "name": "AC/DC"}}]}
        ]
    }));
    let app = app(&fake, |_| {}).await;
    let mut client = app.client().await;
    let found = client
        .search_albums(pb::SearchAlbumsRequest {
            query: "AC/DC \"quoted\" (live)".into(),
            limit: 10,
        })
        .await
        .unwrap()
        .into_inner()
        .albums;
    let order: Vec<(&str, &str, i32)> = found
        .iter()
        .map(|a| (a.title.as_str(), a.primary_type.as_str(), a.score))
        .collect();
    assert_eq!(
        order,
        vec![
            ("Back in Black", "Album", 100),
            ("Back in Black", "Single", 100),
            ("Live Thing", "Album", 80)
        ]
    );
    assert_eq!(found[0].artist, "AC/DC");
    assert_eq!(found[0].year, "1980");
    assert_eq!(
        fake.search_queries(),
        vec!["AC\\/DC \\\"quoted\\\" \\(live\\)".to_owned()]
    );

    let err = client
        .search_albums(pb::SearchAlbumsRequest {
            query: "  ".into(),
            limit: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    let err = client
        .get_album(pb::GetAlbumRequest {
            album_id: "f5093c06-23e3-404f-aeaa-40f72885ee3a".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    app.stop().await;
}
