//! `/metrics` on the web listener: scraped over HTTP before and after a
//! real run (the real service with its configured adapters, fakes speaking
//! MusicBrainz and Jackett, real qBittorrents, an import into a library),
//! parsed with a Prometheus text-format parser, never by string search.

use musicagg::Providers;
use musicagg::config::Seconds;
use musicagg::proto::v1 as pb;
use prometheus_parse::{Scrape, Value};

use crate::doubles::{Fake, Step};
use crate::harness::{Backend, TestApp, TestDb, http_client, start, within};
use crate::qbt::PASSWORD;
use crate::scene::{ALBUM_NAME, Scene, SceneOptions, TRACKS};
use crate::stream::ALBUM;

/// One scrape, parsed: every sample by name and labels.
struct Metrics {
    scrape: Scrape,
}

impl Metrics {
    /// The value of the sample `name` whose labels include `labels` (None
    /// when absent). A histogram's `_count` and `_sum` are samples too.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.scrape
            .samples
            .iter()
            .filter(|s| s.metric == name)
            .find(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| match &s.value {
                Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
                Value::Histogram(buckets) => buckets.iter().map(|b| b.count).fold(0.0, f64::max),
                Value::Summary(_) => f64::NAN,
            })
    }

    /// [`Metrics::get`], 0 when absent (a counter not yet incremented).
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels).unwrap_or(0.0)
    }

    /// Every label value of every sample.
    fn label_values(&self) -> Vec<String> {
        self.scrape
            .samples
            .iter()
            .flat_map(|s| s.labels.values().cloned().collect::<Vec<_>>())
            .collect()
    }
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    let http = app.http.expect("the web listener is on");
    within(
        "the web listener",
        http_client().get(format!("http://{http}{path}")).send(),
    )
    .await
    .expect("the web listener answers")
}

async fn scrape(app: &TestApp) -> Metrics {
    let response = get(app, "/metrics").await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = response.text().await.expect("the body");
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("parses");
    assert!(!scrape.samples.is_empty(), "no samples in:\n{text}");
    Metrics { scrape }
}

/// The scrape `moved - before` for a counter-like sample.
fn moved(before: &Metrics, after: &Metrics, name: &str, labels: &[(&str, &str)]) -> f64 {
    after.value(name, labels) - before.value(name, labels)
}

async fn a_run_moves_every_metric(backend: Backend) {
    let scene = Scene::start(SceneOptions::default()).await;
    scene.offer_the_seed_scene().await;
    let app = TestApp::spawn_configured(backend, |c| {
        c.musicbrainz.base_url = scene.musicbrainz.base_url();
        c.indexers = vec![scene.indexer.config("jackett")];
        c.qbittorrent = Some(scene.leecher.config(PASSWORD));
        c.library.path = Some(scene.library.clone());
        c.downloads.poll_interval = Seconds(1);
    })
    .await;
    let before = scrape(&app).await;
    assert_eq!(
        before.get("musicagg_indexer_backoff_level", &[("indexer", "jackett")]),
        Some(0.0),
        "each configured indexer's back-off is shown from the start"
    );
    assert_eq!(
        before.get("musicagg_downloads", &[("state", "imported")]),
        Some(0.0)
    );
    assert_eq!(before.get("musicagg_library_files", &[]), Some(0.0));

    // A WatchDownloads client stays open through the run.
    let mut client = app.client().await;
    let mut watch = client
        .watch_downloads(pb::WatchDownloadsRequest {
            album_id: ALBUM.into(),
            ..Default::default()
        })
        .await
        .expect("WatchDownloads opens")
        .into_inner();
    let received = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(
        received.result().status(),
        pb::WorkflowStatus::Complete,
        "{received:?}"
    );
    loop {
        let update = within("the download's updates", watch.message())
            .await
            .expect("the watch stream")
            .expect("the watch stream stays open");
        let state = update.download.as_ref().map(|d| d.state());
        if state == Some(pb::DownloadState::Imported) {
            break;
        }
        assert_ne!(state, Some(pb::DownloadState::Failed), "{update:?}");
    }
    // The monitor stream has ended (its gauge comes back down), and the
    // library index is refreshed just after IMPORTED is stored.
    let after = within(
        "the monitor stream's gauge to fall and the library to count",
        async {
            loop {
                let now = scrape(&app).await;
                if now.value("musicagg_open_streams", &[("kind", "monitor_album")]) == 0.0
                    && now.value("musicagg_library_files", &[]) > 0.0
                {
                    return now;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        },
    )
    .await;

    // Runs, steps, events.
    let automatic = [("mode", "automatic")];
    assert_eq!(
        moved(&before, &after, "musicagg_runs_started_total", &automatic),
        1.0
    );
    assert_eq!(
        moved(
            &before,
            &after,
            "musicagg_runs_ended_total",
            &[("status", "COMPLETE"), ("mode", "automatic")]
        ),
        1.0
    );
    for step in [
        "FETCHING_METADATA",
        "CHECKING_OWNED",
        "SEARCHING",
        "PARSING_RESULTS",
        "ADDING_TORRENT",
    ] {
        assert_eq!(
            moved(
                &before,
                &after,
                "musicagg_run_step_duration_seconds_count",
                &[("step", step)]
            ),
            1.0,
            "the time in {step} is observed once"
        );
    }
    assert_eq!(
        moved(
            &before,
            &after,
            "musicagg_events_stored_total",
            &[("kind", "run")]
        ),
        received.updates.len() as f64 + 1.0,
        "every stored event of the run is counted (the terminal one arrives as the final response)"
    );
    assert!(
        moved(
            &before,
            &after,
            "musicagg_events_stored_total",
            &[("kind", "download")]
        ) >= 4.0,
        "pending, queued, …, imported"
    );
    assert_eq!(
        after.value("musicagg_open_streams", &[("kind", "watch_downloads")]),
        1.0
    );

    // The adapters: indexer, MusicBrainz, the torrent client.
    let jackett_ok = [("indexer", "jackett"), ("outcome", "ok")];
    assert_eq!(
        moved(
            &before,
            &after,
            "musicagg_indexer_requests_total",
            &jackett_ok
        ),
        1.0
    );
    assert_eq!(
        moved(
            &before,
            &after,
            "musicagg_indexer_request_duration_seconds_count",
            &[("indexer", "jackett")]
        ),
        1.0
    );
    assert_eq!(
        after.get("musicagg_indexer_backoff_level", &[("indexer", "jackett")]),
        Some(0.0)
    );
    assert!(
        moved(
            &before,
            &after,
            "musicagg_musicbrainz_requests_total",
            &[("outcome", "ok")]
        ) >= 1.0
    );
    assert!(
        moved(
            &before,
            &after,
            "musicagg_musicbrainz_rate_limit_wait_seconds_count",
            &[]
        ) >= 1.0
    );
    let add_ok = [
        ("client", "qbittorrent"),
        ("operation", "add"),
        ("outcome", "ok"),
    ];
    assert_eq!(
        moved(
            &before,
            &after,
            "musicagg_torrent_client_calls_total",
            &add_ok
        ),
        1.0
    );
    assert!(
        moved(
            &before,
            &after,
            "musicagg_torrent_client_calls_total",
            &[("operation", "poll"), ("outcome", "ok")]
        ) >= 1.0
    );

    // Downloads, the import, the library.
    assert_eq!(
        after.get("musicagg_downloads", &[("state", "imported")]),
        Some(1.0)
    );
    assert_eq!(
        moved(
            &before,
            &after,
            "musicagg_import_duration_seconds_count",
            &[("outcome", "imported")]
        ),
        1.0
    );
    assert_eq!(
        after.get("musicagg_library_files", &[]),
        Some(f64::from(TRACKS))
    );
    assert_eq!(after.get("musicagg_library_albums", &[]), Some(1.0));

    // Bounded labels only: no title, no URL, no key.
    let album_title = "Album";
    for value in after.label_values() {
        assert_ne!(value, album_title, "an album title as a label value");
        assert_ne!(value, ALBUM_NAME, "a release title as a label value");
        assert!(!value.contains("://"), "a URL as a label value: {value}");
        assert!(
            !value.contains(&scene.indexer.api_key),
            "an API key in a label value: {value}"
        );
    }
    drop(watch);
    app.stop().await;
}

#[tokio::test]
async fn a_run_moves_every_metric_on_postgres() {
    a_run_moves_every_metric(Backend::Postgres).await;
}

#[tokio::test]
async fn a_run_moves_every_metric_on_sqlite() {
    a_run_moves_every_metric(Backend::Sqlite).await;
}

#[tokio::test]
async fn metrics_false_turns_the_route_off() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn_on(db, Providers::stand_ins(), |config| {
        config.metrics = false;
    })
    .await;
    assert_eq!(get(&app, "/metrics").await.status(), 404);
    assert_eq!(get(&app, "/").await.status(), 200, "the page stays");
    app.stop().await;
}

/// Two apps in one process: each serves its own numbers.
#[tokio::test]
async fn each_app_serves_its_own_numbers() {
    let busy = TestApp::spawn(Backend::Sqlite, Providers::stand_ins()).await;
    let idle = TestApp::spawn(Backend::Sqlite, Providers::stand_ins()).await;
    // The stand-ins end a run NO_RESULTS ("no indexers configured").
    let received = busy.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(received.result().status(), pb::WorkflowStatus::NoResults);
    let ended = [("status", "NO_RESULTS"), ("mode", "automatic")];
    assert_eq!(
        scrape(&busy)
            .await
            .value("musicagg_runs_ended_total", &ended),
        1.0
    );
    assert_eq!(
        scrape(&idle)
            .await
            .value("musicagg_runs_ended_total", &ended),
        0.0
    );
    busy.stop().await;
    idle.stop().await;
}

/// A MonitorAlbumStream counts as open while it lives, not after.
#[tokio::test]
async fn an_open_stream_is_counted_until_it_ends() {
    let mut fake = Fake::default();
    let gate = fake.gate(Step::Metadata);
    let (_fake, providers) = fake.into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let open = [("kind", "monitor_album")];
    assert_eq!(
        scrape(&app).await.value("musicagg_open_streams", &open),
        0.0
    );
    let watcher = app
        .watch(start(ALBUM, pb::Quality::Lossless))
        .await
        .expect("the stream opens");
    within("the run to reach its metadata step", gate.reached()).await;
    assert_eq!(
        scrape(&app).await.value("musicagg_open_streams", &open),
        1.0
    );
    gate.open();
    watcher.finish().await;
    within("the gauge to fall", async {
        while scrape(&app).await.value("musicagg_open_streams", &open) != 0.0 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    app.stop().await;
}
