//! [web] The web page in a real headless Chromium (`browser::Browser`):
//! - against the real `serve` (fake MusicBrainz and Jackett, a real
//!   qBittorrent): search → album → Get it → the run page shows each step
//!   live and the final outcome → the candidates table with reasons, a
//!   release title holding HTML shown as text; the other pages;
//! - a manual run chosen from the page, the page reconnecting by itself
//!   after the service restarts and picking up without duplicates.
//!
//! Every page is photographed into `target/screenshots/`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Locator, elements::Element};
use serde_json::Value;
use tokio::sync::{Semaphore, watch};

use crate::browser::Browser;
use crate::doubles::{HASH_B, Step};
use crate::fake_musicbrainz::{FakeMusicBrainz, simple_album};
use crate::fake_torznab::{FakeIndexer, FeedItem, jackett_feed, xml};
use crate::harness::{Backend, STEP, TestApp, TestDb};
use crate::manual::two_candidates;
use crate::qbt::{PASSWORD, Qbt, QbtOptions, USER};
use crate::serve::{musicagg, spawn_serve};
use crate::stream::ALBUM;

const FLAC: &str = "Artist - Album (2020) [FLAC]";
const MP3: &str = "Artist - Album (2020) [MP3 320]";
/// A release title written to run code if it were ever read as HTML.
const XSS: &str = "Artist - Album (2020) [FLAC] <script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">";
const HASH_FLAC: &str = "f1ac0000000000000000000000000000000000f1";
const HASH_MP3: &str = "3320000000000000000000000000000000000320";
const HASH_XSS: &str = "0bad000000000000000000000000000000000bad";

async fn find(browser: &Browser, css: &str) -> Element {
    browser
        .client()
        .wait()
        .at_most(STEP)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

async fn js(browser: &Browser, script: &str) -> Value {
    browser
        .client()
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("script {script}: {e}"))
}

/// Waits (bounded) until `script` returns true.
async fn until_js(browser: &Browser, what: &str, script: &str) {
    let deadline = Instant::now() + STEP;
    while js(browser, script).await != Value::Bool(true) {
        assert!(Instant::now() < deadline, "{what}: never true: {script}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The run page's steps as shown: (seq, status).
async fn shown_steps(browser: &Browser) -> Vec<(i64, String)> {
    let steps = js(
        browser,
        "return Array.from(document.querySelectorAll('#steps li'))\
         .map(li => [Number(li.dataset.seq), li.querySelector('.status').textContent]);",
    )
    .await;
    steps
        .as_array()
        .expect("an array")
        .iter()
        .map(|s| (s[0].as_i64().unwrap(), s[1].as_str().unwrap().to_owned()))
        .collect()
}

fn statuses(steps: &[(i64, String)]) -> Vec<&str> {
    steps.iter().map(|(_, s)| s.as_str()).collect()
}

/// Seqs 1..=n, each once, in order.
fn assert_once_in_order(steps: &[(i64, String)]) {
    let seqs: Vec<i64> = steps.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "{steps:?}"
    );
}

/// A Torznab endpoint in front of the fake indexer whose searches (requests
/// with a `q`) wait until the test opens it: the run is held at SEARCHING
/// while the page shows it. Everything else passes straight through.
struct HeldIndexer {
    url: String,
    reached: watch::Receiver<bool>,
    open: Arc<Semaphore>,
}

impl HeldIndexer {
    async fn start(target: &FakeIndexer) -> Self {
        use axum::extract::{OriginalUri, State};
        use axum::response::IntoResponse;

        #[derive(Clone)]
        struct Hold {
            base: String,
            reached: Arc<watch::Sender<bool>>,
            open: Arc<Semaphore>,
        }
        async fn forward(
            State(hold): State<Hold>,
            OriginalUri(uri): OriginalUri,
        ) -> impl IntoResponse {
            let query = uri.query().unwrap_or("");
            if url::form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k == "q" && !v.is_empty())
            {
                hold.reached.send_replace(true);
                let _permit = hold.open.acquire().await.expect("the gate");
            }
            let response = crate::harness::http_client()
                .get(format!("{}{uri}", hold.base))
                .send()
                .await
                .expect("the fake indexer answers");
            let status = response.status().as_u16();
            let body = response.bytes().await.expect("its body");
            (
                axum::http::StatusCode::from_u16(status).expect("a status"),
                [("content-type", "application/rss+xml")],
                body,
            )
        }
        let (reached, rx) = watch::channel(false);
        let open = Arc::new(Semaphore::new(0));
        let hold = Hold {
            base: target.base(),
            reached: Arc::new(reached),
            open: open.clone(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(forward).with_state(hold);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url: target
                .url()
                .replacen(&target.base(), &format!("http://{addr}"), 1),
            reached: rx,
            open,
        }
    }

    async fn reached(&mut self) {
        crate::harness::within(
            "the search to reach the held indexer",
            self.reached.wait_for(|r| *r),
        )
        .await
        .expect("the gate");
    }

    fn open(&self) {
        self.open.add_permits(Semaphore::MAX_PERMITS / 2);
    }
}

fn magnet(hash: &str, name: &str) -> String {
    format!(
        "magnet:?xt=urn:btih:{hash}&dn={}",
        url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_album_get_it_and_watch_the_run_live_in_a_browser_against_a_real_serve() {
    // The fakes: MusicBrainz knows the album; Jackett offers a FLAC (right),
    // an MP3 320 (wrong tier) and a FLAC whose title holds HTML; a real
    // qBittorrent takes the grab.
    let musicbrainz = FakeMusicBrainz::start().await;
    musicbrainz.add(ALBUM, simple_album(ALBUM, "Artist", "Album", 3));
    musicbrainz.set_search(serde_json::json!({"count": 1, "offset": 0, "release-groups": [
        {"id": ALBUM, "score": 100, "title": "Album", "primary-type": "Album",
         "first-release-date": "2020-05-01", "artist-credit": [{"name": "Artist", "artist": {"id": "x", "name": "Artist"}}]}
    ]}));
    let indexer = FakeIndexer::jackett("tracker").await;
    indexer.caps("jackett-caps-q-only.xml").await;
    let item = FeedItem::linked;
    let feed = jackett_feed(
        &indexer.base(),
        &[
            item(FLAC, 90_000_000, 20, 3040, "/dl/flac/"),
            item(MP3, 29_000_000, 50, 3010, "/dl/mp3/"),
            item(XSS, 91_000_000, 1, 3040, "/dl/xss/"),
        ],
    );
    indexer.on("search", xml(200, feed)).await;
    indexer.download_of("flac", &magnet(HASH_FLAC, FLAC)).await;
    indexer.download_of("mp3", &magnet(HASH_MP3, MP3)).await;
    indexer.download_of("xss", &magnet(HASH_XSS, "xss")).await;
    let mut held = HeldIndexer::start(&indexer).await;
    let qbt = Qbt::start(QbtOptions::default()).await;

    let db = TestDb::new(Backend::Postgres).await;
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("musicagg.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{}\"\n\n[musicbrainz]\nbase_url = \"{}\"\n\n\
             [[indexers]]\nname = \"jackett\"\nurl = \"{}\"\napi_key = \"{}\"\n\n\
             [qbittorrent]\nurl = \"{}\"\nusername = \"{USER}\"\npassword = \"{PASSWORD}\"\n",
            db.url,
            musicbrainz.base_url(),
            held.url,
            indexer.api_key,
            qbt.url,
        ),
    )
    .unwrap();
    let mut command = musicagg(work.path());
    command.arg("--config").arg(&config);
    let mut server = spawn_serve(work.path(), command).await;
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
    held.reached().await;
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
    held.open();
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
async fn a_manual_run_chosen_in_the_browser_across_a_restart_without_duplicates() {
    let mut fake = two_candidates();
    let search = fake.gate(Step::Search);
    let (_, providers) = fake.into_providers();
    let db = TestDb::new(Backend::Sqlite).await;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], crate::serve::free_port()));
    let app = TestApp::spawn_on(db, providers, |c| c.http_listen = Some(addr)).await;
    let browser = Browser::start().await;
    let c = browser.client();

    c.goto(&format!("http://{addr}/albums/{ALBUM}"))
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
    find(&browser, "ol#steps").await;
    search.reached().await;
    search.open();
    // The offer's Choose buttons, one per candidate.
    find(&browser, "table.candidates button[aria-label^='Choose']").await;
    let before = shown_steps(&browser).await;
    assert_once_in_order(&before);
    assert_eq!(statuses(&before).last(), Some(&"AWAITING_CHOICE"));
    browser.screenshot("web-8-manual-offer").await;

    js(&browser, "window.samePage = true; return true;").await;
    // The service restarts; the page reconnects by itself.
    let db = app.stop_keeping_db().await;
    until_js(
        &browser,
        "the page to see the stream drop",
        "return document.getElementById('stream-state').textContent !== 'live';",
    )
    .await;
    let (fake, providers) = two_candidates().into_providers();
    let app = TestApp::spawn_on(db, providers, |c| c.http_listen = Some(addr)).await;
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
    // Its forms carry the new process's token once the page refreshed them.
    let token = crate::web_client::csrf_of(
        &crate::web_client::WebClient::new(addr)
            .page(&format!("/albums/{ALBUM}"))
            .await,
    );
    until_js(
        &browser,
        "the forms to carry the new token",
        &format!("return Array.from(document.querySelectorAll('#candidates input[name=csrf]')).every(i => i.value === '{token}');"),
    )
    .await;

    // Choose the rejected release (the user knows better).
    let buttons = c
        .find_all(Locator::Css("table.candidates tr.rejected button"))
        .await
        .unwrap();
    assert_eq!(buttons.len(), 1);
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
    assert_eq!(fake.added.lock().unwrap().as_slice(), [HASH_B.to_owned()]);
    browser.screenshot("web-9-manual-chosen").await;
    browser.close().await;
    app.stop().await;
}
