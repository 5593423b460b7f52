//! The second listener (`http_listen`): on by default beside gRPC, off with
//! `""`, and stopped with the service.

use musicagg::Providers;

use crate::harness::{Backend, TestApp, TestDb, http_client};

#[tokio::test]
async fn the_web_listener_serves_beside_grpc_and_stops_with_the_service() {
    let app = TestApp::spawn(Backend::Sqlite, Providers::stand_ins()).await;
    let http = app.http.expect("tests turn the web listener on (port 0)");
    assert_ne!(http.port(), app.addr.port(), "a listener of its own");
    let client = http_client();
    let page = client
        .get(format!("http://{http}/"))
        .send()
        .await
        .expect("the page answers");
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    app.stop().await;
    assert!(
        client.get(format!("http://{http}/")).send().await.is_err(),
        "the web listener stops with the service"
    );
}

#[tokio::test]
async fn an_empty_http_listen_turns_the_web_listener_off() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn_on(db, Providers::stand_ins(), |config| {
        config.http_listen = None;
    })
    .await;
    assert_eq!(app.http, None);
    app.stop().await;
}

/// DNS rebinding: with no key (the loopback default) a name that is not an
/// address or `localhost` is refused, so a rebound site never reads a page
/// (nor its CSRF token); a change posted from another origin is refused
/// whatever the key.
#[tokio::test]
async fn other_sites_pages_are_kept_away_from_the_web_page() {
    let app = TestApp::spawn(Backend::Sqlite, Providers::stand_ins()).await;
    let http = app.http.expect("the web listener");
    let client = http_client();
    let page = |host: String| {
        client
            .get(format!("http://{http}/"))
            .header("host", host)
            .send()
    };
    let rebound = page(format!("evil.example:{}", http.port())).await.unwrap();
    assert_eq!(rebound.status(), 421);
    assert!(rebound.text().await.unwrap().contains("api_key"));
    let named = page(format!("localhost:{}", http.port())).await.unwrap();
    assert_eq!(named.status(), 200);

    let post = client
        .post(format!(
            "http://{http}/wanted/{}/remove",
            crate::stream::ALBUM
        ))
        .header("origin", "http://evil.example")
        .form(&[("csrf", "whatever")])
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 403);
    assert!(post.text().await.unwrap().contains("own page"));
    app.stop().await;
}

/// A web client that went silent mid-request (a phone off Wi-Fi) does not
/// keep the service from stopping: the web server gets a short grace, then
/// its connections are closed (`TestApp::stop` fails after 20 s otherwise).
#[tokio::test]
async fn a_silent_web_client_does_not_hold_the_shutdown() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn(Backend::Sqlite, Providers::stand_ins()).await;
    let http = app.http.expect("the web listener");
    let mut silent = tokio::net::TcpStream::connect(http).await.unwrap();
    // Half a request: the server waits for the rest of its headers.
    silent
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    app.stop().await;
    drop(silent);
}

/// A second `serve` started by mistake on the same database and port fails
/// to bind before its start-up recovery could mark the running instance's
/// unfinished runs "interrupted by restart".
#[tokio::test]
async fn a_second_instance_on_a_taken_port_leaves_the_first_ones_runs_alone() {
    use musicagg::model::{AlbumId, Quality, RunId, WorkflowKey};
    let db = TestDb::new(Backend::Sqlite).await;
    let mut config = crate::harness::test_config(&db);
    let first = TestApp::spawn_on(db, Providers::stand_ins(), |_| {}).await;
    // A run the first instance is in the middle of (as far as the store says).
    let run_id = RunId::new();
    let key = WorkflowKey {
        album_id: AlbumId::parse(crate::stream::ALBUM).unwrap(),
        quality: Quality::Lossless,
    };
    first
        .workflows
        .store
        .create_run(run_id, &key)
        .await
        .unwrap();

    config.listen = first.addr;
    let error = match musicagg::App::build_with(&config, Providers::stand_ins()).await {
        Ok(_) => panic!("the taken port must refuse the second instance"),
        Err(e) => format!("{e:#}"),
    };
    assert!(error.contains("listening on"), "{error}");
    let run = first.workflows.store.run(run_id).await.unwrap().unwrap();
    assert!(
        run.finished_at.is_none(),
        "the second instance recovered nothing: {run:?}"
    );
    first.stop().await;
}
