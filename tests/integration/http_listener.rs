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
