//! [web] The live parts of the web page at the HTTP level: where the
//! downloads page's stream starts, and the web streams in the open-streams
//! metric.

use musicagg::config::Seconds;
use musicagg::model::{AlbumId, DownloadState, Quality, RunId, WorkflowKey};
use musicagg::store::{DownloadFilter, DownloadRecord, NewDownload};

use crate::doubles::Fake;
use crate::harness::{Backend, TestApp, TestDb};
use crate::web_client::WebClient;

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
