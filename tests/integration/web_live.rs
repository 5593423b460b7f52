//! [web] The live parts of the web page at the HTTP level: where the
//! downloads page's stream starts, and the web streams in the open-streams
//! metric.

use musicagg::config::Seconds;
use musicagg::model::{AlbumId, DownloadState, Quality, RunId, WorkflowKey};
use musicagg::store::{DownloadFilter, DownloadRecord, NewDownload};

use musicagg::Providers;
use prometheus_parse::{Scrape, Value};

use crate::doubles::{Fake, Step};
use crate::harness::{Backend, TestApp, TestDb, within};
use crate::trd::{PASSWORD, Trd};
use crate::web_client::{WebClient, csrf_of};

fn web(app: &TestApp) -> WebClient {
    WebClient::new(app.http.expect("the web listener is on in tests"))
}

/// The `data-after` of the downloads page's table.
fn data_after(page: &str) -> i64 {
    let marker = "id=\"downloads-table\" data-after=\"";
    let at = page
        .find(marker)
        .unwrap_or_else(|| panic!("the table carries data-after: {page}"));
    let rest = &page[at + marker.len()..];
    rest[..rest.find('"').expect("the attribute's end")]
        .parse()
        .expect("data-after is a seq")
}

/// A download written through the log (stored, then published live), with
/// `changes` progress events after its first.
async fn download_with_events(app: &TestApp, n: usize, changes: usize) -> DownloadRecord {
    // An album each: one running run per album and quality.
    let key = WorkflowKey {
        album_id: AlbumId::parse(&format!("00000000-0000-4000-8000-{n:012}")).unwrap(),
        quality: Quality::Lossless,
    };
    let run_id = RunId::new();
    app.workflows.store.create_run(run_id, &key).await.unwrap();
    let hash = format!("{n:040x}");
    let log = &app.workflows.downloads;
    let mut d = log
        .create(&NewDownload {
            run_id,
            key,
            info_hash: hash.clone(),
            magnet_uri: format!("magnet:?xt=urn:btih:{hash}"),
            torrent_file: None,
            title: format!("Download {n}"),
            size_bytes: None,
            indexer: "idx".into(),
            parsed_quality: "FLAC".into(),
            client: "fake-client".into(),
        })
        .await
        .unwrap();
    d.state = DownloadState::Downloading;
    for c in 1..=changes {
        d.progress = c as f64 / (changes + 1) as f64;
        d.message = format!("change {c}");
        log.save(&mut d, true).await.unwrap();
    }
    d
}

/// A freshly loaded downloads page streams from the newest event it was
/// rendered with: none of the (many) older events is sent again, and the
/// first event it gets is the download started after it.
async fn the_downloads_page_streams_only_what_follows_it(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (_, providers) = Fake::default().into_providers();
    // No tracker poll: the only events are the ones this test writes.
    let app = TestApp::spawn_on(db, providers, |c| c.downloads.poll_interval = Seconds(3600)).await;
    let web = web(&app);
    for n in 1..=3 {
        download_with_events(&app, n, 40).await;
    }
    let history = app
        .workflows
        .store
        .download_events_after(&DownloadFilter::default(), 0, 1000)
        .await
        .unwrap();
    assert_eq!(history.len(), 3 * 41);
    let newest = history.last().unwrap().seq;

    let page = web.page("/downloads").await;
    let after = data_after(&page);
    assert_eq!(after, newest, "the page starts after the newest event");
    assert!(page.contains("Download 1") && page.contains("Download 3"));

    let mut stream = web
        .events(&format!("/downloads/events?after={after}"), None)
        .await;
    let new = download_with_events(&app, 4, 0).await;
    let first = stream.next().await.expect("the new download's event");
    let data = first.json();
    assert_eq!(
        (data["id"].as_str(), data["title"].as_str()),
        (Some(new.id.to_string().as_str()), Some("Download 4")),
        "no old event before the new download: {first:?}"
    );
    assert!(data["seq"].as_i64().unwrap() > newest, "{first:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_downloads_page_streams_only_what_follows_it_on_postgres() {
    the_downloads_page_streams_only_what_follows_it(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_downloads_page_streams_only_what_follows_it_on_sqlite() {
    the_downloads_page_streams_only_what_follows_it(Backend::Sqlite).await;
}

/// `musicagg_open_streams{kind}` in a scrape of `/metrics` (0 when absent).
async fn open_streams(web: &WebClient, kind: &str) -> f64 {
    let text = web.page("/metrics").await;
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("parses");
    scrape
        .samples
        .iter()
        .find(|s| s.metric == "musicagg_open_streams" && s.labels.get("kind") == Some(kind))
        .map(|s| match s.value {
            Value::Gauge(v) | Value::Untyped(v) => v,
            ref other => panic!("open_streams is a gauge: {other:?}"),
        })
        .unwrap_or(0.0)
}

/// Waits until the gauge of `kind` reads `value` (a stream's task ends just
/// after its last message is sent).
async fn until_open_streams(web: &WebClient, kind: &str, value: f64) {
    within(&format!("open_streams{{{kind}}} = {value}"), async {
        while open_streams(web, kind).await != value {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
}

/// The web page's streams count in `musicagg_open_streams` while they are
/// open, under their own kinds, and not after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_streams_are_counted_while_open() {
    let mut fake = Fake::default();
    let search = fake.gate(Step::Search);
    let (_, providers) = fake.into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let web = web(&app);
    assert_eq!(open_streams(&web, "web_run").await, 0.0);

    let run_page = crate::web::get_it(&web, "automatic").await;
    search.reached().await;
    let stream = web.events(&format!("{run_page}/events"), None).await;
    // Raised before the response: no wait.
    assert_eq!(open_streams(&web, "web_run").await, 1.0);
    assert_eq!(open_streams(&web, "monitor_album").await, 0.0);
    search.open();
    let rest = stream.rest().await;
    assert_eq!(rest.last().map(|m| m.event.as_str()), Some("end"));
    until_open_streams(&web, "web_run", 0.0).await;

    let downloads = web.events("/downloads/events", None).await;
    assert_eq!(open_streams(&web, "web_downloads").await, 1.0);
    drop(downloads);
    until_open_streams(&web, "web_downloads", 0.0).await;
    app.stop().await;
}

/// With only `[transmission]` configured, the settings check tests that
/// client (a real transmission-daemon) and says it grabs, as `musicagg
/// client test` does; a refused password is a FAIL line naming the client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_settings_check_tests_transmission_when_it_grabs() {
    let trd = Trd::start().await;
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn_on(db, Providers::stand_ins(), |c| {
        c.transmission = Some(trd.config(PASSWORD));
    })
    .await;
    let client = web(&app);
    let page = client.page("/settings").await;
    assert!(
        page.contains(&format!("Transmission at <code>{}</code> — grabs", trd.url)),
        "{page}"
    );
    assert!(!page.contains("No [qbittorrent]"), "{page}");
    let token = csrf_of(&page);
    let (status, _, body) = client.post("/settings/client", &[("csrf", &token)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains("FAIL"), "{body}");
    for line in [
        "<span class=\"status ok\">PASS</span> Transmission 3.00 (",
        "logged in as musicagg",
        "labels [&quot;musicagg&quot;]",
        &format!("save path {} is visible here", trd.downloads.display()),
        "transmission grabs (torrent_client)",
    ] {
        assert!(body.contains(line), "{line:?} in {body}");
    }
    app.stop().await;

    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn_on(db, Providers::stand_ins(), |c| {
        c.transmission = Some(trd.config("wrong"));
    })
    .await;
    let client = web(&app);
    let token = client.token("/settings").await;
    let (status, _, body) = client.post("/settings/client", &[("csrf", &token)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("FAIL")
            && body.contains("Transmission: ")
            && body.contains("refused the username or password"),
        "{body}"
    );
    app.stop().await;
}
