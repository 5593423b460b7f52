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

/// Every cell of the candidates and downloads tables (`<td…>` tags of
/// `html`), with whether it names its column.
fn cells(html: &str) -> Vec<(String, bool)> {
    html.match_indices("<td")
        .map(|(at, _)| {
            let tag = &html[at..at + html[at..].find('>').expect("the tag's end")];
            (tag.to_owned(), tag.contains(" data-label=\""))
        })
        .collect()
}

/// On a phone the tables are cards without their header row: every cell
/// carries its column's name, which the stylesheet shows before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_cell_names_its_column_for_the_phone_cards() {
    let (_, providers) = crate::doubles::Fake::default().into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let web = WebClient::new(app.http.expect("the web listener"));
    let run_page = crate::web::get_it(&web, "automatic").await;
    web.events(&format!("{run_page}/events"), None)
        .await
        .rest()
        .await;
    for path in ["/downloads".to_owned(), format!("{run_page}/candidates")] {
        let html = web.page(&path).await;
        let cells = cells(&html);
        assert!(cells.len() >= 5, "{path}: {html}");
        let unlabelled: Vec<_> = cells.iter().filter(|(_, labelled)| !labelled).collect();
        assert!(unlabelled.is_empty(), "{path}: {unlabelled:?}");
    }
    let css = web.page("/assets/site.css").await;
    assert!(css.contains("content: attr(data-label)"), "{css}");
    app.stop().await;
}

/// A long wanted list is cut at 500 rows, and the page says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wanted_page_shows_at_most_500_albums_and_says_so() {
    let (_, providers) = crate::doubles::Fake::default().into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let web = WebClient::new(app.http.expect("the web listener"));
    let wanted = musicagg::wanted::Wanted::new(app.workflows.clone(), Default::default());
    for n in 0..501 {
        let key = musicagg::model::WorkflowKey {
            album_id: musicagg::model::AlbumId::parse(&format!("00000000-0000-4000-8000-{n:012}"))
                .unwrap(),
            quality: musicagg::model::Quality::Lossless,
        };
        wanted.keep(&key).await.unwrap();
    }
    let page = web.page("/wanted").await;
    assert_eq!(page.matches("<li data-album=").count(), 500);
    assert!(page.contains("The first 500 of 501 albums"), "{page}");
    app.stop().await;
}
