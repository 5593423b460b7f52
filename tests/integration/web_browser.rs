//! [web] The web page in a real headless Chromium (`browser::Browser`)
//! against the real `serve` (fake MusicBrainz and Jackett, a real
//! qBittorrent; `web_scene`):
//! - search → album → Get it → the run page shows each step live and the
//!   final outcome → the candidates table with reasons, a release title
//!   holding HTML shown as text; the other pages;
//! - a manual run chosen from the page, the page reconnecting by itself
//!   after `serve` restarts and picking up without duplicates.
//!
//! Every page is photographed into `target/screenshots/`.

use crate::browser::Browser;
use crate::harness::Backend;
use crate::stream::ALBUM;
use crate::web_client::{WebClient, csrf_of};
use crate::web_scene::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_album_get_it_and_watch_the_run_live_in_a_browser_against_a_real_serve() {
    let mut scene = WebScene::start(Backend::Postgres).await;
    let mut server = scene.serve().await;
    let browser = Browser::start().await;
    let c = browser.client();

    // Search.
    c.goto(&server.http_url).await.unwrap();
    find(&browser, "input#q")
        .await
        .send_keys("Artist Album")
        .await
        .unwrap();
    find(&browser, "form.search button")
        .await
        .click()
        .await
        .unwrap();
    let hit = find(&browser, "ol.results a").await;
    assert_eq!(hit.text().await.unwrap(), "Album — Artist");
    browser.screenshot("web-1-search").await;

    // The album page.
    hit.click().await.unwrap();
    find(&browser, "ol.tracks").await;
    let tracks = js(
        &browser,
        "return Array.from(document.querySelectorAll('ol.tracks .title')).map(t => t.textContent);",
    )
    .await;
    assert_eq!(tracks, serde_json::json!(["Song 1", "Song 2", "Song 3"]));
    browser.screenshot("web-2-album").await;

    // Get it (lossless, automatic): the run page, held at its search.
    find(&browser, "form.get button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    find(&browser, "ol#steps").await;
    scene.held.reached().await;
    js(
        &browser,
        "window.samePage = 'no reload since Get it'; return true;",
    )
    .await;
    until_js(
        &browser,
        "SEARCHING shown",
        "return Array.from(document.querySelectorAll('#steps .status')).some(s => s.textContent === 'SEARCHING');",
    )
    .await;
    let live = shown_steps(&browser).await;
    assert_eq!(
        statuses(&live),
        ["FETCHING_METADATA", "CHECKING_OWNED", "SEARCHING"],
        "the run is held at its search"
    );
    browser.screenshot("web-3-run-live").await;

    // The search answers: the rest arrives on the open page.
    scene.held.open();
    until_js(
        &browser,
        "the stream's end",
        "return document.getElementById('stream-state').textContent === 'finished';",
    )
    .await;
    assert_eq!(
        js(&browser, "return window.samePage;").await,
        "no reload since Get it",
        "every step arrived live, on the same page"
    );
    let steps = shown_steps(&browser).await;
    assert_once_in_order(&steps);
    assert_eq!(
        statuses(&steps),
        [
            "FETCHING_METADATA",
            "CHECKING_OWNED",
            "SEARCHING",
            "PARSING_RESULTS",
            "ADDING_TORRENT",
            "COMPLETE"
        ]
    );
    let outcome = find(&browser, "#outcome").await.text().await.unwrap();
    assert!(outcome.starts_with("COMPLETE"), "{outcome}");

    // The candidates with verdicts and reasons, the HTML title as text.
    until_js(
        &browser,
        "the candidates table",
        "return document.querySelectorAll('table.candidates tbody tr').length === 3;",
    )
    .await;
    let rows = js(
        &browser,
        "return Array.from(document.querySelectorAll('table.candidates tbody tr'))\
         .map(tr => Array.from(tr.cells).map(td => td.innerText));",
    )
    .await;
    let rows = rows.as_array().unwrap();
    let row_of = |title: &str| {
        rows.iter()
            .find(|r| r[2] == title)
            .unwrap_or_else(|| panic!("{title} in {rows:?}"))
    };
    assert_eq!(row_of(FLAC)[1], "accepted");
    assert_eq!(row_of(MP3)[1], "rejected");
    assert!(
        row_of(MP3)[7]
            .as_str()
            .unwrap()
            .contains("not in the requested tier"),
        "the reason: {rows:?}"
    );
    assert!(
        !row_of(XSS)[7].as_str().unwrap().is_empty(),
        "a verdict with its reason: {rows:?}"
    );
    assert_eq!(
        js(&browser, "return [typeof window.pwned, document.querySelectorAll('#candidates script, #candidates img, #steps script, #steps img').length];").await,
        serde_json::json!(["undefined", 0]),
        "the title's HTML was never run nor made into elements"
    );
    browser.screenshot("web-4-run-complete").await;
    browser.resize(1280, 900).await;
    let wide = browser.screenshot("web-4-run-complete-desktop").await;
    if std::env::var_os("MUSICAGG_UPDATE_DOCS").is_some() {
        std::fs::copy(
            &wide,
            concat!(env!("CARGO_MANIFEST_DIR"), "/docs/web-run.png"),
        )
        .unwrap();
    }
    browser
        .resize(crate::browser::PHONE.0, crate::browser::PHONE.1)
        .await;

    // The grab reached qBittorrent; the downloads page shows it.
    c.goto(&format!("{}/downloads", server.http_url))
        .await
        .unwrap();
    let title = find(&browser, "#downloads-table td.title a")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(title, FLAC);
    assert_eq!(
        scene.in_qbittorrent().await,
        [HASH_FLAC],
        "the grab reached qBittorrent"
    );
    until_js(
        &browser,
        "the downloads stream",
        "return document.getElementById('stream-state').textContent === 'live';",
    )
    .await;
    browser.screenshot("web-5-downloads").await;

    c.goto(&format!("{}/wanted", server.http_url))
        .await
        .unwrap();
    let listed = find(&browser, "ul.wanted li a").await.text().await.unwrap();
    assert_eq!(
        listed, "Artist — Album",
        "kept on the wanted list by Get it"
    );
    browser.screenshot("web-6-wanted").await;

    c.goto(&format!("{}/settings", server.http_url))
        .await
        .unwrap();
    find(&browser, "form[action='/settings/indexers'] button")
        .await
        .click()
        .await
        .unwrap();
    let result = find(&browser, "#results li").await.text().await.unwrap();
    assert!(result.starts_with("PASS jackett: caps ok"), "{result}");
    browser.screenshot("web-7-settings").await;

    browser.close().await;
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_run_chosen_in_the_browser_across_a_restart_of_serve_without_duplicates() {
    let scene = WebScene::start(Backend::Sqlite).await;
    scene.held.open();
    let mut server = scene.serve().await;
    let browser = Browser::start().await;
    let c = browser.client();

    c.goto(&format!("{}/albums/{ALBUM}", server.http_url))
        .await
        .unwrap();
    find(&browser, "input[name=mode][value=manual]")
        .await
        .click()
        .await
        .unwrap();
    find(&browser, "form.get button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    // The offer's Choose buttons, one per candidate.
    find(&browser, "table.candidates button[aria-label^='Choose']").await;
    let before = shown_steps(&browser).await;
    assert_once_in_order(&before);
    assert_eq!(statuses(&before).last(), Some(&"AWAITING_CHOICE"));
    browser.screenshot("web-8-manual-offer").await;

    // serve restarts (SIGTERM: the run waits for its answer through it);
    // the open page reconnects by itself.
    js(&browser, "window.samePage = true; return true;").await;
    assert!(server.terminate().await.success());
    until_js(
        &browser,
        "the page to see the stream drop",
        "return document.getElementById('stream-state').textContent !== 'live';",
    )
    .await;
    let mut server = scene.serve().await;
    until_js(
        &browser,
        "the page to reconnect",
        "return document.getElementById('stream-state').textContent === 'live';",
    )
    .await;
    assert_eq!(
        js(&browser, "return window.samePage;").await,
        true,
        "reconnected by itself"
    );
    // Its forms carry the new process's token once the page renewed them.
    let token = csrf_of(
        &WebClient::at(server.http_url.clone())
            .page(&format!("/albums/{ALBUM}"))
            .await,
    );
    until_js(
        &browser,
        "the forms to carry the new token",
        &format!(
            "return Array.from(document.querySelectorAll('#candidates input[name=csrf]')).every(i => i.value === '{token}');"
        ),
    )
    .await;
    assert_eq!(
        shown_steps(&browser).await,
        before,
        "nothing new, nothing twice"
    );

    // Choose the rejected MP3 (the user knows better).
    let buttons = c
        .find_all(fantoccini::Locator::Css(
            "table.candidates tr.rejected button",
        ))
        .await
        .unwrap();
    assert_eq!(buttons.len(), 1, "the MP3 is the one rejected");
    buttons[0].click().await.unwrap();
    until_js(
        &browser,
        "the run's end",
        "return document.querySelector('#outcome .status').textContent === 'COMPLETE';",
    )
    .await;
    let steps = shown_steps(&browser).await;
    assert_once_in_order(&steps);
    let statuses = statuses(&steps);
    assert_eq!(
        statuses.iter().filter(|s| **s == "AWAITING_CHOICE").count(),
        2,
        "the status and the offer, once each: {statuses:?}"
    );
    assert_eq!(
        &statuses[statuses.len() - 2..],
        ["ADDING_TORRENT", "COMPLETE"]
    );
    assert_eq!(scene.in_qbittorrent().await, [HASH_MP3]);
    browser.screenshot("web-9-manual-chosen").await;
    browser.close().await;
    assert!(server.terminate().await.success());
}
