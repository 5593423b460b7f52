//! The browser tests' scene (`web_browser`): the fakes and the real
//! qBittorrent behind a real `serve`, a Torznab proxy that holds searches
//! until the test lets them go, and helpers that read the page.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Locator, elements::Element};
use serde_json::Value;
use tokio::sync::{Semaphore, watch};

use crate::browser::Browser;
use crate::fake_musicbrainz::{FakeMusicBrainz, simple_album};
use crate::fake_torznab::{FakeIndexer, FeedItem, jackett_feed, xml};
use crate::harness::{Backend, STEP, TestDb};
use crate::qbt::{PASSWORD, Qbt, QbtOptions, USER};
use crate::serve::{Server, free_port, musicagg, spawn_serve_with_http};
use crate::stream::ALBUM;

pub const FLAC: &str = "Artist - Album (2020) [FLAC]";
pub const MP3: &str = "Artist - Album (2020) [MP3 320]";
/// A release title written to run code if it were ever read as HTML.
pub const XSS: &str = "Artist - Album (2020) [FLAC] <script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">";
pub const HASH_FLAC: &str = "f1ac0000000000000000000000000000000000f1";
pub const HASH_MP3: &str = "3320000000000000000000000000000000000320";
pub const HASH_XSS: &str = "0bad000000000000000000000000000000000bad";

pub async fn find(browser: &Browser, css: &str) -> Element {
    browser
        .client()
        .wait()
        .at_most(STEP)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

pub async fn js(browser: &Browser, script: &str) -> Value {
    browser
        .client()
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("script {script}: {e}"))
}

/// Waits (bounded) until `script` returns true.
pub async fn until_js(browser: &Browser, what: &str, script: &str) {
    let deadline = Instant::now() + STEP;
    while js(browser, script).await != Value::Bool(true) {
        assert!(Instant::now() < deadline, "{what}: never true: {script}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The run page's steps as shown: (seq, status).
pub async fn shown_steps(browser: &Browser) -> Vec<(i64, String)> {
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

pub fn statuses(steps: &[(i64, String)]) -> Vec<&str> {
    steps.iter().map(|(_, s)| s.as_str()).collect()
}

/// Seqs 1..=n, each once, in order.
pub fn assert_once_in_order(steps: &[(i64, String)]) {
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
pub struct HeldIndexer {
    pub url: String,
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

    pub async fn reached(&mut self) {
        crate::harness::within(
            "the search to reach the held indexer",
            self.reached.wait_for(|r| *r),
        )
        .await
        .expect("the gate");
    }

    pub fn open(&self) {
        self.open.add_permits(Semaphore::MAX_PERMITS / 2);
    }
}

fn magnet(hash: &str, name: &str) -> String {
    format!(
        "magnet:?xt=urn:btih:{hash}&dn={}",
        url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
    )
}

/// MusicBrainz knows the album (3 tracks); Jackett offers a FLAC (right),
/// an MP3 320 (wrong tier) and a FLAC whose title holds HTML, each linking
/// to its magnet; a real qBittorrent takes the grab; the database and the
/// web page's port outlive a restart of `serve`.
pub struct WebScene {
    pub musicbrainz: FakeMusicBrainz,
    pub indexer: FakeIndexer,
    pub held: HeldIndexer,
    pub qbt: Qbt,
    pub db: TestDb,
    pub work: tempfile::TempDir,
    pub http_port: u16,
}

impl WebScene {
    pub async fn start(backend: Backend) -> Self {
        let musicbrainz = FakeMusicBrainz::start().await;
        musicbrainz.add(ALBUM, simple_album(ALBUM, "Artist", "Album", 3));
        musicbrainz.set_search(
            serde_json::json!({"count": 1, "offset": 0, "release-groups": [
                {"id": ALBUM, "score": 100, "title": "Album", "primary-type": "Album",
                 "first-release-date": "2020-05-01",
                 "artist-credit": [{"name": "Artist", "artist": {"id": "x", "name": "Artist"}}]}
            ]}),
        );
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
        let held = HeldIndexer::start(&indexer).await;
        let qbt = Qbt::start(QbtOptions::default()).await;
        Self {
            musicbrainz,
            indexer,
            held,
            qbt,
            db: TestDb::new(backend).await,
            work: tempfile::tempdir().expect("a work folder"),
            http_port: free_port(),
        }
    }

    fn config(&self) -> PathBuf {
        let path = self.work.path().join("musicagg.toml");
        std::fs::write(
            &path,
            format!(
                "database_url = \"{}\"\n\n[musicbrainz]\nbase_url = \"{}\"\n\n\
                 [[indexers]]\nname = \"jackett\"\nurl = \"{}\"\napi_key = \"{}\"\n\n\
                 [qbittorrent]\nurl = \"{}\"\nusername = \"{USER}\"\npassword = \"{PASSWORD}\"\n",
                self.db.url,
                self.musicbrainz.base_url(),
                self.held.url,
                self.indexer.api_key,
                self.qbt.url,
            ),
        )
        .expect("the configuration file");
        path
    }

    /// The real `serve`, its web page always on the scene's port.
    pub async fn serve(&self) -> Server {
        let mut command = musicagg(self.work.path());
        command.arg("--config").arg(self.config());
        spawn_serve_with_http(self.work.path(), command, self.http_port).await
    }

    /// The torrents qBittorrent has, among the feed's.
    pub async fn in_qbittorrent(&self) -> Vec<String> {
        let mut hashes: Vec<String> = self
            .qbt
            .client()
            .torrents(&[HASH_FLAC, HASH_MP3, HASH_XSS])
            .await
            .expect("qBittorrent answers")
            .into_iter()
            .map(|t| t.hash)
            .collect();
        hashes.sort();
        hashes
    }
}
