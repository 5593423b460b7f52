//! [web] Page-level fixes at the HTTP level: an album page reached by an
//! old (merged) id, the phone cards' labels, the wanted page's cap.

use musicagg::config::MusicBrainzConfig;
use musicagg::proto::v1 as pb;

use crate::fake_musicbrainz::{FakeMusicBrainz, simple_album};
use crate::harness::{Backend, TestApp, start};
use crate::web_client::WebClient;

const CANONICAL: &str = "1b022e01-4da6-387b-8658-8678046e4cef";
const OLD: &str = "0d5093c0-23e3-404f-aeaa-40f72885ee3a";

/// The album page of an id MusicBrainz merged into another lists the
/// canonical album's runs (stored under the canonical id).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_album_id_shows_the_canonical_albums_runs() {
    let fake = FakeMusicBrainz::start().await;
    fake.add(CANONICAL, simple_album(CANONICAL, "Artist", "Album", 2));
    fake.merge(OLD, CANONICAL);
    let app = TestApp::spawn_configured(Backend::Sqlite, |c| {
        c.musicbrainz = MusicBrainzConfig {
            base_url: fake.base_url(),
            requests_per_second: 1000.0,
            timeout: 10,
            ..MusicBrainzConfig::default()
        }
    })
    .await;
    let run = app
        .watch_to_end(start(CANONICAL, pb::Quality::Lossless))
        .await
        .result()
        .run_id
        .clone();
    let web = WebClient::new(app.http.expect("the web listener"));
    let page = web.page(&format!("/albums/{OLD}")).await;
    assert!(
        page.contains(&format!("href=\"/runs/{run}\"")),
        "the run of {CANONICAL} on the page of {OLD}: {page}"
    );
    assert!(!page.contains("No run yet."), "{page}");
    assert!(
        page.contains(&format!("action=\"/albums/{CANONICAL}/get\"")),
        "Get it asks for the canonical id: {page}"
    );
    app.stop().await;
}
