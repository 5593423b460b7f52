//! B5: one download-tracker poll with D downloads in the client, against
//! the floor a poll cannot beat: one SELECT of the active downloads plus one
//! GET of the same `sync/maindata` answer and its JSON parse.
//!
//! The torrent client is the real [`Qbittorrent`] adapter talking to a fake
//! qBittorrent on loopback (wiremock) that answers `auth/login` with `Ok.`
//! and `sync/maindata` the way qBittorrent does: a full update (every field
//! of every torrent) for `rid=0`, then deltas naming only the changed
//! fields. The tracker is the real [`Tracker`] on a [`Workflows`] built on
//! the same store (and so the same sqlx pool) the raw statements use.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use chrono::Utc;
use musicagg::config::QbittorrentConfig;
use musicagg::downloads::tracker::{PollReport, Tracker, TrackerOptions};
use musicagg::events::EventBus;
use musicagg::model::{DownloadState, Quality, RunId, WorkflowKey};
use musicagg::store::{DownloadRecord, NewDownload, PostgresStore, SqliteStore, Store};
use musicagg::torrent_client::{Qbittorrent, TorrentClient};
use musicagg::workflow::Workflows;
use musicagg::{Config, Providers};
use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{Backend, Databases, PATIENCE, RawPool, Row, Sizes, ms, new_album_id, percentile};

/// Every torrent's size: 400 MB, so a percent is 4 MB.
const SIZE: u64 = 400_000_000;
/// Downloads written at once while setting up.
const SETUP_AT_ONCE: usize = 16;

/// The query of `active_downloads`, issued raw: a copy of
/// src/store/sql_downloads.rs (`download_select!` and its WHERE clause), as
/// is [`raw_save_download!`] of `save_download`; keep them in step.
const ACTIVE_SQL: &str = "SELECT d.id, d.album_id, d.quality, d.run_id, d.info_hash, \
     t.magnet_uri, t.title, t.indexer, t.quality AS release_quality, d.client, d.status, \
     d.message, d.progress, d.size_bytes, d.downloaded_bytes, d.progressed_at, \
     d.library_path, d.retry_run_id, d.blocklisted, d.retry_pending, d.version, \
     d.created_at, d.updated_at \
     FROM downloads d JOIN torrents t ON t.info_hash = d.info_hash \
     WHERE d.status IN ('queued', 'downloading', 'stalled', 'completed', 'importing') \
     ORDER BY d.id";

// ---------------------------------------------------------------------------
// A fake qBittorrent

/// One torrent as the fake client has it.
struct FakeTorrent {
    hash: String,
    name: String,
    /// Percent done (0..100); `completed` is that share of [`SIZE`].
    percent: u64,
    added_on: i64,
}

impl FakeTorrent {
    fn completed(&self) -> u64 {
        SIZE / 100 * self.percent
    }

    fn progress(&self) -> f64 {
        self.percent as f64 / 100.0
    }

    /// Every field qBittorrent 5.0 sends for a torrent in a full update.
    fn full(&self) -> Value {
        let completed = self.completed();
        let mut fields = json!({
            "added_on": self.added_on,
            "amount_left": SIZE - completed,
            "auto_tmm": false,
            "availability": 3.214,
            "category": "musicagg",
            "comment": "",
            "completed": completed,
            "completion_on": -1,
            "content_path": format!("/downloads/musicagg/{}", self.name),
            "dl_limit": -1,
            "dlspeed": 1_048_576,
            "download_path": "",
            "downloaded": completed,
            "downloaded_session": completed,
            "eta": (SIZE - completed) / 1_048_576,
            "f_l_piece_prio": false,
            "force_start": false,
            "has_metadata": true,
            "inactive_seeding_time_limit": -2,
            "infohash_v1": self.hash,
            "infohash_v2": "",
            "last_activity": self.added_on + 60,
            "magnet_uri": format!("magnet:?xt=urn:btih:{}&dn={}", self.hash, self.name),
        });
        // Two halves: one `json!` of 57 fields exceeds the macro's recursion.
        let rest = json!({
            "max_inactive_seeding_time": -1,
            "max_ratio": -1,
            "max_seeding_time": -1,
            "name": self.name,
            "num_complete": 14,
            "num_incomplete": 3,
            "num_leechs": 1,
            "num_seeds": 6,
            "popularity": 0,
            "priority": 1,
            "private": false,
            "progress": self.progress(),
            "ratio": 0,
            "ratio_limit": -2,
            "reannounce": 1712,
            "root_path": format!("/downloads/musicagg/{}", self.name),
            "save_path": "/downloads/musicagg",
            "seeding_time": 0,
            "seeding_time_limit": -2,
            "seen_complete": self.added_on - 3600,
            "seq_dl": false,
            "size": SIZE,
            "state": "downloading",
            "super_seeding": false,
            "tags": "musicagg, run-bench",
            "time_active": 60,
            "total_size": SIZE,
            "tracker": "udp://tracker.example.org:1337/announce",
            "trackers_count": 1,
            "up_limit": -1,
            "uploaded": 0,
            "uploaded_session": 0,
            "upspeed": 0
        });
        if let (Value::Object(fields), Value::Object(rest)) = (&mut fields, rest) {
            fields.extend(rest);
        }
        fields
    }

    /// The fields qBittorrent sends in a delta when bytes arrived.
    fn progressed(&self) -> Value {
        let completed = self.completed();
        json!({
            "amount_left": SIZE - completed,
            "completed": completed,
            "downloaded": completed,
            "downloaded_session": completed,
            "eta": (SIZE - completed) / 1_048_576,
            "last_activity": self.added_on + 120,
            "progress": self.progress(),
        })
    }
}

/// The fake client's state. Answers are rendered before the request comes
/// (by [`FakeQbittorrent::progress`]), so the server's own work per request
/// is a copy of ready bytes, as in the limit's GET.
struct FakeState {
    /// The `rid` of the last answer.
    rid: u64,
    torrents: Vec<FakeTorrent>,
    /// The next delta (for `rid`), when torrents changed.
    next_delta: Option<Vec<u8>>,
    /// The last `sync/maindata` body served (the limit GETs it again).
    last: Vec<u8>,
}

fn server_state(dl_speed: u64) -> Value {
    json!({
        "alltime_dl": 52_613_742_123_u64,
        "alltime_ul": 8_123_456_789_u64,
        "connection_status": "connected",
        "dht_nodes": 312,
        "dl_info_data": 10_485_760_000_u64,
        "dl_info_speed": dl_speed,
        "free_space_on_disk": 812_345_678_901_u64,
        "queueing": true,
        "up_info_data": 0,
        "up_info_speed": 0
    })
}

impl FakeState {
    fn full_update(&self, rid: u64) -> Vec<u8> {
        let torrents: Map<String, Value> = self
            .torrents
            .iter()
            .map(|t| (t.hash.clone(), t.full()))
            .collect();
        let body = json!({
            "rid": rid,
            "full_update": true,
            "torrents": torrents,
            "categories": {"musicagg": {"name": "musicagg", "savePath": ""}},
            "tags": ["musicagg", "run-bench"],
            "trackers": {},
            "server_state": server_state(1_048_576 * self.torrents.len() as u64),
        });
        serde_json::to_vec(&body).expect("JSON")
    }

    /// A delta when nothing changed: the new rid and the transfer counters.
    fn empty_delta(rid: u64) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "rid": rid,
            "server_state": {"dl_info_data": 10_485_760_000_u64 + rid},
        }))
        .expect("JSON")
    }
}

#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
struct Counts {
    maindata: usize,
    login: usize,
    other: usize,
}

struct FakeQbittorrent {
    state: Mutex<FakeState>,
    maindata: AtomicUsize,
    login: AtomicUsize,
    other: AtomicUsize,
}

impl FakeQbittorrent {
    fn counts(&self) -> Counts {
        Counts {
            maindata: self.maindata.load(Ordering::SeqCst),
            login: self.login.load(Ordering::SeqCst),
            other: self.other.load(Ordering::SeqCst),
        }
    }

    /// Moves the torrents at `indices` on by 2 % (one whole-percent step
    /// or more, so the tracker also writes an event for each) and renders
    /// the delta that the next `sync/maindata` answers with.
    fn progress(&self, indices: &[usize]) {
        let mut state = self.state.lock().expect("fake state");
        let mut torrents = Map::new();
        for &i in indices {
            let t = &mut state.torrents[i];
            t.percent += 2;
            torrents.insert(t.hash.clone(), t.progressed());
        }
        let rid = state.rid + 1;
        let body = json!({
            "rid": rid,
            "torrents": torrents,
            "server_state": {"dl_info_data": 10_485_760_000_u64 + rid, "dl_info_speed": 2_097_152},
        });
        state.next_delta = Some(serde_json::to_vec(&body).expect("JSON"));
    }

    fn last(&self) -> Vec<u8> {
        self.state.lock().expect("fake state").last.clone()
    }
}

struct Maindata(Arc<FakeQbittorrent>);

impl Respond for Maindata {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.maindata.fetch_add(1, Ordering::SeqCst);
        let asked: Option<u64> = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "rid")
            .and_then(|(_, v)| v.parse().ok());
        let mut state = self.0.state.lock().expect("fake state");
        let rid = state.rid + 1;
        let body = match asked {
            // The client is in step: the changes since its rid.
            Some(asked) if asked != 0 && asked == state.rid => state
                .next_delta
                .take()
                .unwrap_or_else(|| FakeState::empty_delta(rid)),
            // rid=0 or unknown: everything.
            _ => {
                state.next_delta = None;
                state.full_update(rid)
            }
        };
        state.rid = rid;
        state.last.clone_from(&body);
        ResponseTemplate::new(200).set_body_raw(body, "application/json")
    }
}

struct Last(Arc<FakeQbittorrent>);

impl Respond for Last {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_raw(self.0.last(), "application/json")
    }
}

struct Login(Arc<FakeQbittorrent>);

impl Respond for Login {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        self.0.login.fetch_add(1, Ordering::SeqCst);
        ResponseTemplate::new(200)
            .insert_header(
                "set-cookie",
                "SID=benchsession; HttpOnly; SameSite=Strict; path=/",
            )
            .set_body_raw("Ok.", "text/plain; charset=UTF-8")
    }
}

struct Other(Arc<FakeQbittorrent>);

impl Respond for Other {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        self.0.other.fetch_add(1, Ordering::SeqCst);
        ResponseTemplate::new(404)
    }
}

async fn start_fake(torrents: Vec<FakeTorrent>) -> (Arc<FakeQbittorrent>, MockServer) {
    let fake = Arc::new(FakeQbittorrent {
        state: Mutex::new(FakeState {
            rid: 0,
            torrents,
            next_delta: None,
            last: Vec::new(),
        }),
        maindata: AtomicUsize::new(0),
        login: AtomicUsize::new(0),
        other: AtomicUsize::new(0),
    });
    let server = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/auth/login"))
        .respond_with(Login(fake.clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/sync/maindata"))
        .respond_with(Maindata(fake.clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/bench/last"))
        .respond_with(Last(fake.clone()))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(Other(fake.clone()))
        .with_priority(10)
        .mount(&server)
        .await;
    (fake, server)
}

// ---------------------------------------------------------------------------
// The store: D downloads in state DOWNLOADING

/// The store as the tracker sees it and its pool for the raw statements
/// (the same pool).
pub(super) async fn open(backend: Backend, url: &str) -> anyhow::Result<(Arc<dyn Store>, RawPool)> {
    Ok(match backend {
        Backend::Postgres => {
            let store = PostgresStore::connect(url).await?;
            let pool = RawPool::Postgres(store.pool().clone());
            (Arc::new(store), pool)
        }
        Backend::Sqlite => {
            let store = SqliteStore::connect(url).await?;
            let pool = RawPool::Sqlite(store.pool().clone());
            (Arc::new(store), pool)
        }
    })
}

/// Creates download `i`: its run, its torrent and download (PENDING), then
/// DOWNLOADING at `percent` with the values the fake client reports, so
/// that a poll finds nothing to write.
pub(super) async fn seed(
    store: Arc<dyn Store>,
    i: usize,
    percent: u64,
) -> anyhow::Result<(Uuid, String)> {
    let key = WorkflowKey {
        album_id: new_album_id(),
        quality: Quality::Lossless,
    };
    let run_id = RunId::new();
    store.create_run(run_id, &key).await?;
    let hash = format!("{}{:08x}", Uuid::new_v4().simple(), i);
    let title = format!("Artist {i} - Album {i} (2020) [FLAC]");
    let event = store
        .save_torrent_and_download(&NewDownload {
            run_id,
            key,
            info_hash: hash.clone(),
            magnet_uri: format!("magnet:?xt=urn:btih:{hash}"),
            torrent_file: None,
            title,
            size_bytes: Some(SIZE),
            indexer: "bench-indexer".into(),
            parsed_quality: "FLAC".into(),
            client: "qbittorrent".into(),
        })
        .await?;
    let mut d = event.download;
    let now = Utc::now();
    d.state = DownloadState::Downloading;
    d.message = String::new();
    d.size_bytes = Some(SIZE);
    d.downloaded_bytes = SIZE / 100 * percent;
    d.progress = percent as f64 / 100.0;
    d.progressed_at = Some(now);
    d.updated_at = now;
    store.save_download(&d, true).await?;
    Ok((d.id, hash))
}

fn start_percent(i: usize) -> u64 {
    10 + (i % 40) as u64
}

// ---------------------------------------------------------------------------
// The raw statements (the limit)

macro_rules! raw_select_active {
    ($pool:expr) => {
        sqlx::query(ACTIVE_SQL).fetch_all($pool).await?.len()
    };
}

/// `save_download`'s statements with its event: the UPDATE (refused when
/// the row's version moved) and the event INSERT of the download at its
/// next version, inside the transaction `$tx`.
macro_rules! raw_save_download {
    ($tx:expr, $d:expr) => {{
        let d: &DownloadRecord = $d;
        let updated = sqlx::query(
            "UPDATE downloads SET status = $2, message = $3, progress = $4, \
             size_bytes = $5, downloaded_bytes = $6, progressed_at = $7, \
             library_path = $8, retry_run_id = $9, blocklisted = $10, updated_at = $11, \
             retry_pending = $12, version = version + 1 \
             WHERE id = $1 AND version = $13",
        )
        .bind(d.id)
        .bind(d.state.as_str())
        .bind(&d.message)
        .bind(d.progress)
        .bind(d.size_bytes.and_then(|s| i64::try_from(s).ok()))
        .bind(i64::try_from(d.downloaded_bytes).unwrap_or(i64::MAX))
        .bind(d.progressed_at)
        .bind(d.library_path.as_deref())
        .bind(d.retry_run_id.map(|r| r.0))
        .bind(d.blocklisted)
        .bind(d.updated_at)
        .bind(d.retry_pending)
        .bind(d.version)
        .execute(&mut *$tx)
        .await?;
        ensure!(
            updated.rows_affected() == 1,
            "the raw UPDATE found {} at version {}",
            d.id,
            d.version
        );
        let mut saved = d.clone();
        saved.version += 1;
        let snapshot = serde_json::to_value(&saved)?;
        let (_seq,): (i64,) = sqlx::query_as(
            "INSERT INTO download_events \
             (download_id, album_id, state, message, snapshot, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
        )
        .bind(saved.id)
        .bind(saved.album_id.as_str())
        .bind(saved.state.as_str())
        .bind(&saved.message)
        .bind(sqlx::types::Json(snapshot))
        .bind(saved.updated_at)
        .fetch_one(&mut *$tx)
        .await?;
    }};
}

/// Writes `downloads` as the store does (one transaction each), or all in
/// one transaction.
macro_rules! raw_save_downloads {
    ($pool:expr, $downloads:expr, $one_transaction:expr) => {{
        if $one_transaction {
            let mut tx = $pool.begin().await?;
            for d in $downloads {
                raw_save_download!(tx, d);
            }
            tx.commit().await?;
        } else {
            for d in $downloads {
                let mut tx = $pool.begin().await?;
                raw_save_download!(tx, d);
                tx.commit().await?;
            }
        }
    }};
}

impl RawPool {
    async fn select_active(&self) -> anyhow::Result<usize> {
        Ok(match self {
            RawPool::Postgres(pool) => raw_select_active!(pool),
            RawPool::Sqlite(pool) => raw_select_active!(pool),
        })
    }

    async fn save_downloads(
        &self,
        downloads: &[DownloadRecord],
        one_transaction: bool,
    ) -> anyhow::Result<()> {
        match self {
            RawPool::Postgres(pool) => raw_save_downloads!(pool, downloads, one_transaction),
            RawPool::Sqlite(pool) => raw_save_downloads!(pool, downloads, one_transaction),
        }
        Ok(())
    }
}

/// The limit's GET: the body the tracker's poll just received, fetched
/// again and parsed.
async fn get_and_parse(http: &reqwest::Client, url: &str) -> anyhow::Result<usize> {
    let body = http
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let parsed: Value = serde_json::from_slice(&body)?;
    ensure!(parsed.is_object(), "not a maindata answer");
    Ok(body.len())
}

/// The floor of one poll: the SELECT, then the GET and parse (in the
/// tracker's order). Returns (total, select, get, body bytes).
async fn floor(
    raw: &RawPool,
    http: &reqwest::Client,
    url: &str,
    tracked: usize,
) -> anyhow::Result<(Duration, Duration, Duration, usize)> {
    let started = Instant::now();
    let rows = raw.select_active().await?;
    let selected = started.elapsed();
    let bytes = get_and_parse(http, url).await?;
    let total = started.elapsed();
    ensure!(
        rows == tracked,
        "the raw SELECT found {rows} active downloads"
    );
    Ok((total, selected, total - selected, bytes))
}

// ---------------------------------------------------------------------------
// The measurement

/// Durations of one case.
#[derive(Default)]
struct Series {
    ours: Vec<Duration>,
    floor: Vec<Duration>,
    select: Vec<Duration>,
    get: Vec<Duration>,
    writes: Vec<Duration>,
    /// The same writes in one transaction.
    batched: Vec<Duration>,
    requests: Vec<Counts>,
    body_bytes: usize,
}

fn p50(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    percentile(&sorted, 50.0)
}

fn mean(values: &[Duration]) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    values.iter().sum::<Duration>() / values.len() as u32
}

fn diff(after: Counts, before: Counts) -> Counts {
    Counts {
        maindata: after.maindata - before.maindata,
        login: after.login - before.login,
        other: after.other - before.other,
    }
}

/// One measured poll: the tracker's, then the floor, with the requests the
/// fake client got during the poll.
async fn measured_poll(
    tracker: &Tracker,
    fake: &FakeQbittorrent,
    raw: &RawPool,
    http: &reqwest::Client,
    last_url: &str,
    series: &mut Series,
) -> anyhow::Result<PollReport> {
    let before = fake.counts();
    let started = Instant::now();
    let report = tracker.poll_once().await?;
    series.ours.push(started.elapsed());
    let requests = diff(fake.counts(), before);
    ensure!(
        requests
            == Counts {
                maindata: 1,
                login: 0,
                other: 0
            },
        "a poll should make exactly one sync/maindata request, not {requests:?}"
    );
    series.requests.push(requests);
    let (total, select, get, bytes) = floor(raw, http, last_url, report.tracked).await?;
    series.floor.push(total);
    series.select.push(select);
    series.get.push(get);
    series.body_bytes = bytes;
    Ok(report)
}

pub(super) async fn b5(
    dbs: &Databases,
    backend: Backend,
    sizes: &Sizes,
) -> anyhow::Result<Vec<Row>> {
    let n = sizes.downloads;
    let url = dbs.fresh(backend).await?;
    let (store, raw) = open(backend, &url).await?;

    // D downloads, DOWNLOADING, as the fake client reports them.
    let setup = Instant::now();
    let permits = Arc::new(Semaphore::new(SETUP_AT_ONCE));
    let mut tasks = JoinSet::new();
    for i in 0..n {
        let permit = permits.clone().acquire_owned().await?;
        let store = store.clone();
        tasks.spawn(async move {
            let _permit = permit;
            seed(store, i, start_percent(i))
                .await
                .map(|seeded| (i, seeded))
        });
    }
    let mut seeded = vec![(Uuid::nil(), String::new()); n];
    while let Some(joined) = tokio::time::timeout(PATIENCE, tasks.join_next())
        .await
        .context("B5 set-up did not finish in time")?
    {
        let (i, download) = joined??;
        seeded[i] = download;
    }
    let added_on = Utc::now().timestamp() - 600;
    let torrents = seeded
        .iter()
        .enumerate()
        .map(|(i, (_, hash))| FakeTorrent {
            hash: hash.clone(),
            name: format!("Artist {i} - Album {i} (2020) [FLAC]"),
            percent: start_percent(i),
            added_on,
        })
        .collect();
    let (fake, server) = start_fake(torrents).await;
    eprintln!(
        "  {n} downloads and the fake qBittorrent at {} ready in {:.1} s",
        server.uri(),
        setup.elapsed().as_secs_f64()
    );

    // The real adapter and tracker.
    let client = Arc::new(Qbittorrent::new(&QbittorrentConfig {
        url: server.uri(),
        username: Some("admin".into()),
        password: None,
        category: "musicagg".into(),
        save_path: None,
    })?);
    let providers = Providers {
        torrent_client: client.clone(),
        ..Providers::stand_ins()
    };
    let workflows = Workflows::new(store.clone(), EventBus::new(64), providers);
    let mut events = workflows.downloads.subscribe();
    let tracker = Tracker::new(workflows, TrackerOptions::from_config(&Config::default()));
    let http =
        musicagg::http::client_builder("musicagg-bench", Duration::from_secs(30), false).build()?;
    let last_url = format!("{}/bench/last", server.uri());

    // Warm-up: the login, the full update (nothing to write: the store
    // agrees with the client), then a few empty deltas.
    let before = fake.counts();
    let first = tracker.poll_once().await?;
    let full_bytes = fake.last().len();
    let warm = diff(fake.counts(), before);
    ensure!(
        first.tracked == n && first.written == 0 && first.failed == 0,
        "the first poll should find {n} downloads and change nothing: {first:?}"
    );
    ensure!(
        warm.login == 1 && warm.maindata == 1 && warm.other == 0,
        "the first poll should log in once and ask for maindata once: {warm:?}"
    );
    for _ in 0..3 {
        tracker.poll_once().await?;
        floor(&raw, &http, &last_url, n).await?;
    }

    // (a) nothing changed.
    let mut idle = Series::default();
    for _ in 0..sizes.idle_polls {
        let report = measured_poll(&tracker, &fake, &raw, &http, &last_url, &mut idle).await?;
        ensure!(
            report
                == PollReport {
                    tracked: n,
                    ..Default::default()
                },
            "an idle poll changed something: {report:?}"
        );
    }
    // Its two halves alone: the store's read and the adapter's poll.
    let (mut reads, mut client_polls) = (Vec::new(), Vec::new());
    for _ in 0..sizes.idle_polls {
        let started = Instant::now();
        let active = store.active_downloads().await?;
        reads.push(started.elapsed());
        ensure!(active.len() == n, "active_downloads found {}", active.len());
        let started = Instant::now();
        let torrents = client.poll().await?;
        client_polls.push(started.elapsed());
        ensure!(torrents.len() == n, "the client listed {}", torrents.len());
    }
    while events.try_recv().is_ok() {}

    // (b) 10 % progressed: a different tenth each poll.
    let mut busy = Series::default();
    let mut written = 0;
    let mut published = 0;
    for j in 0..sizes.progress_polls {
        let changed: Vec<usize> = (0..n).filter(|i| i % 10 == j % 10).collect();
        fake.progress(&changed);
        let report = measured_poll(&tracker, &fake, &raw, &http, &last_url, &mut busy).await?;
        ensure!(
            report.tracked == n
                && report.written == changed.len()
                && report.failed == 0
                && report.imports_started == 0,
            "a poll with {} progressed downloads reported {report:?}",
            changed.len()
        );
        written = report.written;
        published = 0;
        while events.try_recv().is_ok() {
            published += 1;
        }
        ensure!(
            published == changed.len(),
            "{published} download events for {} changes",
            changed.len()
        );
        // The same writes, raw: the rows as the tracker left them (read
        // first, not timed), each written again with an event.
        let mut records = Vec::with_capacity(changed.len());
        for &i in &changed {
            records.push(
                store
                    .download(seeded[i].0)
                    .await?
                    .context("a seeded download vanished")?,
            );
        }
        let started = Instant::now();
        raw.save_downloads(&records, false).await?;
        busy.writes.push(started.elapsed());
        // For the analysis: the same writes in one transaction (one commit).
        for d in &mut records {
            d.version += 1;
        }
        let started = Instant::now();
        raw.save_downloads(&records, true).await?;
        busy.batched.push(started.elapsed());
    }
    drop(server);

    let size = |polls: usize| format!("D={n} downloading, {polls} polls");
    let requests = |s: &Series| {
        let polls = s.requests.len().max(1);
        let total: usize = s
            .requests
            .iter()
            .map(|c| c.maindata + c.login + c.other)
            .sum();
        total as f64 / polls as f64
    };
    let ratio = |ours: Duration, limit: Duration| {
        format!("{:.1}", ours.as_secs_f64() / limit.as_secs_f64().max(1e-9))
    };
    let limit_text = |s: &Series| {
        format!(
            "{} ms/poll p50: SELECT {n} rows {} + GET+parse {} ({} B)",
            ms(p50(&s.floor)),
            ms(p50(&s.select)),
            ms(p50(&s.get)),
            s.body_bytes
        )
    };
    let with_writes: Vec<Duration> = busy
        .floor
        .iter()
        .zip(&busy.writes)
        .map(|(f, w)| *f + *w)
        .collect();
    Ok(vec![
        Row {
            bench: "B5 tracker poll, nothing changed",
            store: backend.name(),
            size: format!(
                "{}; full update {} KB, empty delta {} B",
                size(idle.ours.len()),
                full_bytes / 1000,
                idle.body_bytes
            ),
            measured: format!(
                "{} ms/poll p50 (mean {}); {:.0} request/poll (1 maindata); written 0; \
                 alone: active_downloads {} + client.poll {}",
                ms(p50(&idle.ours)),
                ms(mean(&idle.ours)),
                requests(&idle),
                ms(p50(&reads)),
                ms(p50(&client_polls)),
            ),
            limit: limit_text(&idle),
            ratio: ratio(p50(&idle.ours), p50(&idle.floor)),
        },
        Row {
            bench: "B5 tracker poll, 10 % progressed",
            store: backend.name(),
            size: size(busy.ours.len()),
            measured: format!(
                "{} ms/poll p50 (mean {}); {:.0} request/poll (1 maindata); \
                 written {written} rows + {published} events",
                ms(p50(&busy.ours)),
                ms(mean(&busy.ours)),
                requests(&busy),
            ),
            limit: limit_text(&busy),
            ratio: ratio(p50(&busy.ours), p50(&busy.floor)),
        },
        Row {
            bench: "B5 tracker poll, 10 % progressed",
            store: backend.name(),
            size: size(busy.ours.len()),
            measured: format!("{} ms/poll p50", ms(p50(&busy.ours))),
            limit: format!(
                "{} ms/poll p50: the floor + {written} raw UPDATE+event transactions {} \
                 (in one transaction: {})",
                ms(p50(&with_writes)),
                ms(p50(&busy.writes)),
                ms(p50(&busy.batched))
            ),
            ratio: ratio(p50(&busy.ours), p50(&with_writes)),
        },
    ])
}
