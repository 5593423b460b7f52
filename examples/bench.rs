//! Benchmarks B1–B8 (issue [bench], B7 [wanted], B8 [ops]): every figure beside the limit of the part
//! underneath, measured in the same run. See BENCHMARKS.md for the figures
//! and what they mean.
//!
//! ```sh
//! cargo run --release --example bench                  # default sizes, both stores (< 5 min)
//! cargo run --release --example bench -- --quick       # smoke run (CI)
//! cargo run --release --example bench -- --store sqlite
//! ```
//!
//! - B1 workflow machinery: N workflows for distinct albums with instant
//!   in-process providers (each ends COMPLETE), C in flight; beside it the
//!   same statements issued directly through sqlx on the store's own pool,
//!   C sequences in flight: (A) the event log only — `create_run`'s INSERT
//!   and, per event, `append_event`'s UPDATE + INSERT transaction; (B) every
//!   statement a workflow issues, in its order.
//! - B2 fan-out: one workflow watched by S gRPC streams over TCP loopback,
//!   held at its first step until every stream is attached; latency from
//!   publish to receipt at each subscriber, beside a bare tokio broadcast
//!   channel with S receivers.
//! - B3 memory: a server in a child process (this example, `--child-server`);
//!   its VmRSS before and after W workflows in flight and S idle streams.
//! - B4 parsing: `parse_title` over tests/data/release_titles.tsv.
//! - B5 download tracker (bench/tracker_poll.rs): one `Tracker::poll_once`
//!   with D downloads in a fake qBittorrent (the real adapter), nothing
//!   changed and 10 % progressed, beside the floor: one raw SELECT of the
//!   active downloads plus one GET and parse of the same maindata answer.
//! - B6 library scan (bench/library_scan.rs): `Library::refresh` of F
//!   generated tagged files, first and unchanged, beside a bare walk that
//!   reads every file's tags, and one that only stats them.
//! - B7 RSS matching (bench/rss_match.rs): `rss::match_items` of one feed
//!   of 100 items against 1,000 wanted albums (the word index), beside a
//!   bare hash lookup of the items' normalised names.
//! - B8 metrics (bench/metrics_cost.rs): `RunMeter::event` per stored event
//!   beside one bare counter increment; `GET /metrics` with D downloads
//!   beside `GET /` on the same listener.
//!
//! PostgreSQL: `--postgres URL` (default `$MUSICAGG_TEST_DATABASE_URL`, else
//! postgres://postgres@127.0.0.1:5432/postgres); a database of its own is
//! created per measurement and dropped at the end.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail, ensure};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clap::{Parser, ValueEnum};
use musicagg::events::Received;
use musicagg::indexer::{IndexerError, IndexerOutcome, IndexerService, Release, SearchReport};
use musicagg::magnet::{MagnetResolver, ResolveError, ResolvedTorrent};
use musicagg::metadata::{Album, FetchedAlbum, MetadataError, MetadataProvider, Track};
use musicagg::model::{AlbumId, Quality, WorkflowKey, WorkflowStatus};
use musicagg::proto::v1 as pb;
use musicagg::proto::v1::music_aggregator_service_client::MusicAggregatorServiceClient;
use musicagg::release::{Candidate, History, ReleaseSelector, Selection};
use musicagg::store::{PostgresStore, SqliteStore};
use musicagg::torrent_client::{AddRequest, TorrentClient, TorrentClientError};
use musicagg::workflow::Workflows;
use musicagg::{App, Config, Providers};
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{Semaphore, broadcast, oneshot};
use tokio::task::JoinSet;
use tonic::transport::{Channel, Endpoint};

// Not examples of their own: cargo only builds examples/*.rs and
// examples/*/main.rs.
#[path = "bench/library_scan.rs"]
mod library_scan;
#[path = "bench/metrics_cost.rs"]
mod metrics_cost;
#[path = "bench/rss_match.rs"]
mod rss_match;
#[path = "bench/tracker_poll.rs"]
mod tracker_poll;

/// gRPC streams per HTTP/2 connection (the server allows 200 at a time).
const STREAMS_PER_CHANNEL: usize = 100;
/// Streams being opened at once (each costs the server two queries).
const OPENING_AT_ONCE: usize = 256;
/// Bound on every wait of the tool, so a broken run ends instead of hanging.
const PATIENCE: Duration = Duration::from_secs(180);

#[derive(Parser, Debug)]
#[command(about = "musicagg benchmarks B1-B8, each beside its limit")]
struct Args {
    /// Smoke-run sizes (CI): well under a minute.
    #[arg(long)]
    quick: bool,
    /// Which store(s) to measure.
    #[arg(long, value_enum, default_value_t = StoreChoice::Both)]
    store: StoreChoice,
    /// A PostgreSQL server where this user may create databases.
    #[arg(
        long,
        env = "MUSICAGG_TEST_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres: String,
    /// B4: a file of titles, one per line in its first tab-separated
    /// column after a header (default tests/data/release_titles.tsv), to
    /// compare two parsers on the same titles.
    #[arg(long)]
    titles: Option<std::path::PathBuf>,
    /// B1: workflows (default 2000; quick 100).
    #[arg(long)]
    workflows: Option<usize>,
    /// B1: workflows (and raw sequences) in flight (default 64; quick 16).
    #[arg(long)]
    concurrency: Option<usize>,
    /// B2: subscriber counts, comma-separated (default 100,1000,10000; quick 10,100).
    #[arg(long, value_delimiter = ',')]
    subscribers: Option<Vec<usize>>,
    /// B3: idle streams (default 10000; quick 200).
    #[arg(long)]
    idle_streams: Option<usize>,
    /// B3: workflows in flight (default 2000; quick 100).
    #[arg(long)]
    in_flight: Option<usize>,
    /// B5: downloads the tracker follows (default 1000; quick 200).
    #[arg(long)]
    downloads: Option<usize>,
    /// B6: audio files in the generated library (default 5000; quick 300).
    #[arg(long)]
    library_files: Option<usize>,
    /// B7: wanted albums the feed is matched against (default 1000).
    #[arg(long)]
    wanted: Option<usize>,
    /// B7: items in the feed (default 100).
    #[arg(long)]
    rss_items: Option<usize>,
    /// Run only these benchmarks (comma-separated: b1,b2,b3,b4,b5,b6,b7,b8).
    #[arg(long, value_delimiter = ',', default_value = "b1,b2,b3,b4,b5,b6,b7,b8")]
    only: Vec<String>,
    /// Internal (B3): serve on this database with every workflow held at its
    /// first step, commanded over stdin.
    #[arg(long, hide = true)]
    child_server: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StoreChoice {
    Postgres,
    Sqlite,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

struct Sizes {
    workflows: usize,
    concurrency: usize,
    subscribers: Vec<usize>,
    idle_streams: usize,
    in_flight: usize,
    parse_time: Duration,
    downloads: usize,
    idle_polls: usize,
    progress_polls: usize,
    library_files: usize,
    titles: Option<std::path::PathBuf>,
    wanted: usize,
    rss_items: usize,
    /// B8: events metered, and scrapes timed.
    metered_events: usize,
    scrapes: usize,
}

impl Sizes {
    fn from(args: &Args) -> Self {
        let (workflows, concurrency, subscribers, idle_streams, in_flight, parse_time) =
            if args.quick {
                (100, 16, vec![10, 100], 200, 100, Duration::from_millis(200))
            } else {
                (
                    2000,
                    64,
                    vec![100, 1000, 10_000],
                    10_000,
                    2000,
                    Duration::from_secs(2),
                )
            };
        Self {
            workflows: args.workflows.unwrap_or(workflows),
            concurrency: args.concurrency.unwrap_or(concurrency).max(1),
            subscribers: args.subscribers.clone().unwrap_or(subscribers),
            idle_streams: args.idle_streams.unwrap_or(idle_streams),
            in_flight: args.in_flight.unwrap_or(in_flight),
            parse_time,
            downloads: args
                .downloads
                .unwrap_or(if args.quick { 200 } else { 1000 })
                .max(10),
            idle_polls: if args.quick { 5 } else { 30 },
            progress_polls: if args.quick { 3 } else { 20 },
            library_files: args
                .library_files
                .unwrap_or(if args.quick { 300 } else { 5000 })
                .max(1),
            titles: args.titles.clone(),
            wanted: args.wanted.unwrap_or(1000).max(1),
            rss_items: args.rss_items.unwrap_or(100).max(1),
            metered_events: if args.quick { 100_000 } else { 1_000_000 },
            scrapes: if args.quick { 20 } else { 200 },
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(url) = &args.child_server {
        return child_server(url).await;
    }
    let sizes = Sizes::from(&args);
    let backends = match args.store {
        StoreChoice::Postgres => vec![Backend::Postgres],
        StoreChoice::Sqlite => vec![Backend::Sqlite],
        StoreChoice::Both => vec![Backend::Postgres, Backend::Sqlite],
    };
    let dbs = Databases::new(&args.postgres)?;
    let started = Instant::now();
    let result = run_all(&dbs, &backends, &sizes, &args.only).await;
    dbs.drop_all().await;
    let rows = result?;
    print_table(&rows, &sizes, args.quick, started.elapsed());
    Ok(())
}

async fn run_all(
    dbs: &Databases,
    backends: &[Backend],
    sizes: &Sizes,
    only: &[String],
) -> anyhow::Result<Vec<Row>> {
    let wanted = |b: &str| only.iter().any(|o| o.eq_ignore_ascii_case(b));
    let mut rows = Vec::new();
    for &backend in backends.iter().filter(|_| wanted("b1")) {
        eprintln!("B1 workflow machinery on {}", backend.name());
        rows.extend(b1(dbs, backend, sizes).await?);
    }
    for &backend in backends.iter().filter(|_| wanted("b2")) {
        eprintln!("B2 fan-out on {}", backend.name());
        rows.extend(b2(dbs, backend, sizes).await?);
    }
    for &backend in backends.iter().filter(|_| wanted("b3")) {
        eprintln!("B3 memory on {}", backend.name());
        rows.extend(b3(dbs, backend, sizes).await?);
    }
    if wanted("b4") {
        eprintln!("B4 parsing");
        rows.push(b4(sizes, sizes.titles.as_deref())?);
    }
    for &backend in backends.iter().filter(|_| wanted("b5")) {
        eprintln!("B5 download tracker on {}", backend.name());
        rows.extend(tracker_poll::b5(dbs, backend, sizes).await?);
    }
    if wanted("b6") {
        let started = Instant::now();
        let library = tokio::task::spawn_blocking({
            let files = sizes.library_files;
            move || library_scan::generate(files)
        })
        .await??;
        eprintln!(
            "B6 library of {} files generated in {:.1} s",
            sizes.library_files,
            started.elapsed().as_secs_f64()
        );
        for &backend in backends {
            eprintln!("B6 library scan on {}", backend.name());
            rows.extend(library_scan::b6(dbs, backend, &library).await?);
        }
    }
    if wanted("b7") {
        eprintln!("B7 RSS matching");
        rows.push(rss_match::b7(
            sizes.wanted,
            sizes.rss_items,
            sizes.parse_time,
        )?);
    }
    if wanted("b8") {
        eprintln!("B8 metrics per event");
        rows.push(metrics_cost::per_event(sizes.metered_events));
        for &backend in backends {
            eprintln!("B8 metrics scrape on {}", backend.name());
            rows.push(metrics_cost::scrape(dbs, backend, sizes.downloads, sizes.scrapes).await?);
        }
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------
// Databases

/// A database per measurement: PostgreSQL databases on the given server
/// (dropped by [`Databases::drop_all`]), SQLite files in a temporary folder.
struct Databases {
    admin: String,
    base: String,
    created: Mutex<Vec<String>>,
    dir: tempfile::TempDir,
}

impl Databases {
    fn new(admin: &str) -> anyhow::Result<Self> {
        let base = admin
            .rsplit_once('/')
            .map(|(base, _)| base.to_owned())
            .context("the PostgreSQL URL names a database")?;
        Ok(Self {
            admin: admin.to_owned(),
            base,
            created: Mutex::new(Vec::new()),
            dir: tempfile::tempdir()?,
        })
    }

    async fn fresh(&self, backend: Backend) -> anyhow::Result<String> {
        let name = format!("musicagg_bench_{}", uuid::Uuid::new_v4().simple());
        match backend {
            Backend::Sqlite => Ok(format!(
                "sqlite://{}",
                self.dir.path().join(format!("{name}.db")).display()
            )),
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.admin)
                    .await
                    .with_context(|| format!("PostgreSQL is not reachable at {}", self.admin))?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .context("CREATE DATABASE")?;
                let _ = conn.close().await;
                self.created.lock().expect("list").push(name.clone());
                Ok(format!("{}/{name}", self.base))
            }
        }
    }

    async fn drop_all(&self) {
        let names = std::mem::take(&mut *self.created.lock().expect("list"));
        if names.is_empty() {
            return;
        }
        let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin).await else {
            eprintln!("could not connect to drop the benchmark databases: {names:?}");
            return;
        };
        for name in names {
            if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            {
                eprintln!("could not drop {name}: {e}");
            }
        }
        let _ = conn.close().await;
    }
}

fn config(url: &str) -> Config {
    Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        http_listen: None,
        database_url: Some(url.to_owned()),
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// Instant providers

/// Every provider trait, answering at once: an album of 3 tracks, one
/// release with its own info hash, accepted, resolved, added. The metadata
/// step can be held at a gate (per album, or for every album).
#[derive(Default)]
struct InstantProviders {
    /// Hold every workflow at its first step forever (B3).
    gate_all: bool,
    gates: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Metadata calls so far (workflows that reached the first step).
    reached: AtomicUsize,
    /// Record when `search` and `resolve` are called (B2): each is called
    /// right after the SEARCHING or ADDING_TORRENT event is published.
    stamp: bool,
    stamps: Mutex<HashMap<String, Vec<(WorkflowStatus, Instant)>>>,
}

impl InstantProviders {
    fn into_providers(self) -> (Arc<Self>, Providers) {
        let me = Arc::new(self);
        let providers = Providers {
            metadata: me.clone(),
            indexers: me.clone(),
            selector: me.clone(),
            resolver: me.clone(),
            torrent_client: me.clone(),
            metrics: Default::default(),
        };
        (me, providers)
    }

    fn gate(&self, album: &AlbumId) -> Arc<Semaphore> {
        let gate = Arc::new(Semaphore::new(0));
        self.gates
            .lock()
            .expect("gates")
            .insert(album.as_str().to_owned(), gate.clone());
        gate
    }

    fn record(&self, album: &str, status: WorkflowStatus) {
        if self.stamp {
            let now = Instant::now();
            self.stamps
                .lock()
                .expect("stamps")
                .entry(album.to_owned())
                .or_default()
                .push((status, now));
        }
    }

    fn stamps(&self, album: &AlbumId) -> Vec<(WorkflowStatus, Instant)> {
        self.stamps
            .lock()
            .expect("stamps")
            .remove(album.as_str())
            .unwrap_or_default()
    }
}

fn new_album_id() -> AlbumId {
    AlbumId::parse(&uuid::Uuid::new_v4().to_string()).expect("a UUID is an album id")
}

fn key(album_id: AlbumId) -> WorkflowKey {
    WorkflowKey {
        album_id,
        quality: Quality::Lossless,
    }
}

/// A 40-hex info hash of the album's own (torrents are keyed by info hash:
/// distinct albums must not share a row).
fn info_hash(album: &str) -> String {
    format!("{}00000000", album.replace('-', ""))
}

fn bench_album(id: &AlbumId) -> Album {
    Album {
        id: id.clone(),
        title: "Album".into(),
        artist: "Artist".into(),
        first_release_date: "2020".into(),
        primary_type: Some("Album".into()),
        secondary_types: vec![],
        tracks: (1..=3)
            .map(|n| Track {
                disc: 1,
                position: n,
                number: n.to_string(),
                title: format!("Track {n}"),
                length_ms: Some(180_000),
            })
            .collect(),
    }
}

fn bench_candidate(release: Release) -> Candidate {
    Candidate {
        score: f64::from(release.seeders.unwrap_or(0)),
        quality: "FLAC".into(),
        rejections: vec![],
        details: serde_json::Value::Null,
        release,
    }
}

fn bench_release(album: &str) -> Release {
    Release {
        indexer: "bench-indexer".into(),
        title: "Artist - Album (2020) [FLAC]".into(),
        guid: album.to_owned(),
        info_hash: Some(info_hash(album)),
        size_bytes: Some(300_000_000),
        seeders: Some(12),
        categories: vec![3040],
        ..Release::default()
    }
}

#[async_trait]
impl MetadataProvider for InstantProviders {
    async fn album(&self, id: &AlbumId) -> Result<FetchedAlbum, MetadataError> {
        self.reached.fetch_add(1, Ordering::SeqCst);
        if self.gate_all {
            std::future::pending::<()>().await;
        }
        let gate = self.gates.lock().expect("gates").get(id.as_str()).cloned();
        if let Some(gate) = gate {
            let _open = gate.acquire().await;
        }
        Ok(FetchedAlbum {
            album: bench_album(id),
            note: None,
        })
    }
}

#[async_trait]
impl IndexerService for InstantProviders {
    async fn search(&self, album: &Album) -> Result<SearchReport, IndexerError> {
        self.record(album.id.as_str(), WorkflowStatus::Searching);
        Ok(SearchReport {
            releases: vec![bench_release(album.id.as_str())],
            indexers: vec![IndexerOutcome {
                indexer: "bench-indexer".into(),
                latency: Duration::from_millis(1),
                result: Ok(1),
            }],
        })
    }
}

#[async_trait]
impl ReleaseSelector for InstantProviders {
    async fn select(
        &self,
        _album: &Album,
        _quality: Quality,
        releases: Vec<Release>,
        _history: &History,
    ) -> Selection {
        Selection {
            accepted: releases.into_iter().map(bench_candidate).collect(),
            rejected: vec![],
        }
    }
}

#[async_trait]
impl MagnetResolver for InstantProviders {
    async fn resolve(&self, release: &Release) -> Result<ResolvedTorrent, ResolveError> {
        self.record(&release.guid, WorkflowStatus::AddingTorrent);
        let hash = info_hash(&release.guid);
        Ok(ResolvedTorrent {
            magnet_uri: format!("magnet:?xt=urn:btih:{hash}"),
            info_hash: hash,
            ..ResolvedTorrent::default()
        })
    }
}

#[async_trait]
impl TorrentClient for InstantProviders {
    fn name(&self) -> &str {
        "bench-client"
    }

    async fn add(&self, _request: AddRequest<'_>) -> Result<(), TorrentClientError> {
        Ok(())
    }

    async fn contains(&self, _info_hash: &str) -> Result<bool, TorrentClientError> {
        Ok(false)
    }

    async fn poll(
        &self,
    ) -> Result<HashMap<String, musicagg::torrent_client::TorrentStatus>, TorrentClientError> {
        Ok(HashMap::new())
    }

    async fn files(
        &self,
        _info_hash: &str,
    ) -> Result<Vec<musicagg::import::ClientFile>, TorrentClientError> {
        Ok(Vec::new())
    }

    async fn remove(
        &self,
        _info_hash: &str,
        _delete_files: bool,
    ) -> Result<(), TorrentClientError> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Results

/// One line of the table.
struct Row {
    bench: &'static str,
    store: &'static str,
    size: String,
    measured: String,
    limit: String,
    ratio: String,
}

fn print_table(rows: &[Row], sizes: &Sizes, quick: bool, took: Duration) {
    let headers = [
        "bench",
        "store",
        "size",
        "measured",
        "limit (same run)",
        "ratio",
    ];
    let cells: Vec<[&str; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.bench,
                r.store,
                r.size.as_str(),
                r.measured.as_str(),
                r.limit.as_str(),
                r.ratio.as_str(),
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str; 6]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("| {} |", padded.join(" | "))
    };
    println!(
        "musicagg benchmarks ({}; {} cores; B1 N={} C={}; took {:.0} s)",
        if quick { "--quick" } else { "default sizes" },
        std::thread::available_parallelism().map_or(0, usize::from),
        sizes.workflows,
        sizes.concurrency,
        took.as_secs_f64()
    );
    println!("{}", line(&headers));
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    println!("|-{}-|", rule.join("-|-"));
    for row in &cells {
        println!("{}", line(row));
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.0}")
    }
}

/// "p50 / p99 / max ms" of unsorted latencies.
fn spread(mut values: Vec<Duration>) -> (String, Duration) {
    values.sort_unstable();
    let p50 = percentile(&values, 50.0);
    (
        format!(
            "{} / {} / {} ms",
            ms(p50),
            ms(percentile(&values, 99.0)),
            ms(values.last().copied().unwrap_or_default())
        ),
        p50,
    )
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

// ---------------------------------------------------------------------------
// B1: workflow machinery against the store's own statements

/// What one workflow wrote, as the template of the raw statements.
#[derive(Clone)]
struct EventTemplate {
    status: WorkflowStatus,
    message: String,
    payload: Option<serde_json::Value>,
}

/// Runs `n` workflows of distinct albums, `c` in flight; each is awaited to
/// its terminal event on a bus subscription. Returns the events of one
/// workflow (the template of the raw run) and the number of events.
async fn run_workflows(
    w: &Workflows,
    n: usize,
    c: usize,
) -> anyhow::Result<(Vec<EventTemplate>, usize)> {
    let permits = Arc::new(Semaphore::new(c));
    let mut tasks = JoinSet::new();
    for _ in 0..n {
        let permit = permits.clone().acquire_owned().await?;
        let w = w.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let mut attachment = w.attach(&key(new_album_id()), 0, None).await?;
            let mut events = Vec::new();
            loop {
                match attachment.subscription.recv().await {
                    Received::Event(e) => {
                        events.push(EventTemplate {
                            status: e.status,
                            message: e.message.clone(),
                            payload: e.payload.clone(),
                        });
                        if e.status.is_terminal() {
                            ensure!(
                                e.status == WorkflowStatus::Complete,
                                "a workflow ended {}: {}",
                                e.status,
                                e.message
                            );
                            return Ok(events);
                        }
                    }
                    Received::Lagged => bail!("a B1 subscriber lagged"),
                }
            }
        });
    }
    let mut total = 0;
    let mut template = Vec::new();
    while let Some(joined) = tokio::time::timeout(PATIENCE, tasks.join_next())
        .await
        .context("B1 workflows did not finish in time")?
    {
        let events = joined??;
        total += events.len();
        if template.is_empty() {
            template = events;
        }
    }
    Ok((template, total))
}

/// Which statements a raw sequence issues.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RawScope {
    /// `create_run`'s INSERT, then per event `append_event`'s transaction.
    EventLog,
    /// Every statement of a workflow, in the workflow's order.
    Everything,
}

/// The statements of the store (src/store/sql.rs), issued directly through
/// sqlx on `$pool`. Written once for both pool types, as the store does.
macro_rules! raw_workflow {
    ($pool:expr, $templates:expr, $scope:expr, $evaluation:expr) => {{
        let pool = $pool;
        let album = new_album_id();
        let album = album.as_str();
        let quality = Quality::Lossless.as_str();
        let run_id = uuid::Uuid::now_v7();
        let everything = $scope == RawScope::Everything;
        if everything {
            // Workflows::attach: the merged-id lookup.
            let _: Option<(String,)> =
                sqlx::query_as("SELECT album_id FROM album_aliases WHERE alias_id = $1")
                    .bind(album)
                    .fetch_optional(pool)
                    .await?;
        }
        let now = Utc::now();
        sqlx::query(
            "INSERT INTO workflow_runs \
             (id, album_id, quality, status, message, last_seq, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, '', 0, $5, $5) \
             RETURNING id, album_id, quality, status, message, last_seq, \
             created_at, updated_at, finished_at",
        )
        .bind(run_id)
        .bind(album)
        .bind(quality)
        .bind(WorkflowStatus::FetchingMetadata.as_str())
        .bind(now)
        .fetch_one(pool)
        .await?;
        for t in $templates.iter() {
            let t: &EventTemplate = t;
            let now = Utc::now();
            let finished_at = t.status.is_terminal().then_some(now);
            let mut tx = pool.begin().await?;
            let (seq, album_id, quality): (i64, String, String) = sqlx::query_as(
                "UPDATE workflow_runs SET status = $2, message = $3, \
                 last_seq = last_seq + 1, updated_at = $4, finished_at = $5 \
                 WHERE id = $1 AND finished_at IS NULL \
                 RETURNING last_seq, album_id, quality",
            )
            .bind(run_id)
            .bind(t.status.as_str())
            .bind(&t.message)
            .bind(now)
            .bind(finished_at)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO album_events \
                 (run_id, seq, album_id, quality, status, message, payload, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 RETURNING run_id, seq, album_id, quality, status, message, payload, \
                 created_at",
            )
            .bind(run_id)
            .bind(seq)
            .bind(album_id)
            .bind(quality)
            .bind(t.status.as_str())
            .bind(&t.message)
            .bind(t.payload.as_ref().map(sqlx::types::Json))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            if !everything {
                continue;
            }
            match t.status {
                WorkflowStatus::CheckingOwned => {
                    // Store::album_downloads: the owned check, and later the
                    // selector's history, from one query
                    sqlx::query(
                        "SELECT d.id, d.album_id, d.quality, d.run_id, d.info_hash, t.magnet_uri, \
                         t.title, d.client, d.status, d.message, d.created_at, d.updated_at \
                         FROM downloads d JOIN torrents t ON t.info_hash = d.info_hash \
                         WHERE d.album_id = $1 ORDER BY d.id",
                    )
                    .bind(album)
                    .fetch_all(pool)
                    .await?;
                }
                WorkflowStatus::ParsingResults => {
                    // Store::save_candidates (one candidate)
                    let mut tx = pool.begin().await?;
                    sqlx::query("DELETE FROM candidates WHERE run_id = $1")
                        .bind(run_id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "INSERT INTO candidates \
                         (run_id, position, accepted, title, indexer, score, evaluation) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(run_id)
                    .bind(0_i32)
                    .bind(true)
                    .bind("Artist - Album (2020) [FLAC]")
                    .bind("bench-indexer")
                    .bind(12.0_f64)
                    .bind(sqlx::types::Json($evaluation))
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                }
                WorkflowStatus::AddingTorrent => {
                    // Store::save_torrent_and_download, then set_download_status
                    let hash = info_hash(album);
                    let now = Utc::now();
                    let download_id = uuid::Uuid::now_v7();
                    let mut tx = pool.begin().await?;
                    sqlx::query(
                        "INSERT INTO torrents (info_hash, magnet_uri, torrent_file, title, \
                         size_bytes, indexer, quality, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                         ON CONFLICT (info_hash) DO UPDATE SET \
                         torrent_file = COALESCE(torrents.torrent_file, excluded.torrent_file)",
                    )
                    .bind(&hash)
                    .bind(format!("magnet:?xt=urn:btih:{hash}"))
                    .bind(None::<Vec<u8>>)
                    .bind("Artist - Album (2020) [FLAC]")
                    .bind(300_000_000_i64)
                    .bind("bench-indexer")
                    .bind("FLAC")
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO downloads (id, album_id, quality, run_id, info_hash, client, \
                         status, message, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, $8)",
                    )
                    .bind(download_id)
                    .bind(album)
                    .bind(Quality::Lossless.as_str())
                    .bind(run_id)
                    .bind(&hash)
                    .bind("bench-client")
                    .bind("pending")
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    sqlx::query(
                        "UPDATE downloads SET status = $2, message = $3, updated_at = $4 \
                         WHERE id = $1",
                    )
                    .bind(download_id)
                    .bind("added")
                    .bind("")
                    .bind(Utc::now())
                    .execute(pool)
                    .await?;
                }
                _ => {}
            }
        }
        Ok::<(), anyhow::Error>(())
    }};
}

/// The store's pool for the raw statements (the same pool settings).
#[derive(Clone)]
enum RawPool {
    Postgres(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

impl RawPool {
    async fn connect(backend: Backend, url: &str) -> anyhow::Result<Self> {
        Ok(match backend {
            Backend::Postgres => {
                RawPool::Postgres(PostgresStore::connect(url).await?.pool().clone())
            }
            Backend::Sqlite => RawPool::Sqlite(SqliteStore::connect(url).await?.pool().clone()),
        })
    }

    async fn workflow(
        &self,
        templates: &[EventTemplate],
        scope: RawScope,
        evaluation: &serde_json::Value,
    ) -> anyhow::Result<()> {
        match self {
            RawPool::Postgres(pool) => raw_workflow!(pool, templates, scope, evaluation),
            RawPool::Sqlite(pool) => raw_workflow!(pool, templates, scope, evaluation),
        }
    }

    async fn close(&self) {
        match self {
            RawPool::Postgres(pool) => pool.close().await,
            RawPool::Sqlite(pool) => pool.close().await,
        }
    }
}

/// Runs `n` raw sequences, `c` in flight, each in a task of its own (as each
/// workflow is).
async fn run_raw(
    pool: &RawPool,
    templates: &Arc<Vec<EventTemplate>>,
    scope: RawScope,
    n: usize,
    c: usize,
) -> anyhow::Result<()> {
    let evaluation = Arc::new(serde_json::to_value(
        bench_candidate(bench_release(new_album_id().as_str())).summary(),
    )?);
    let permits = Arc::new(Semaphore::new(c));
    let mut tasks = JoinSet::new();
    for _ in 0..n {
        let permit = permits.clone().acquire_owned().await?;
        let (pool, templates, evaluation) = (pool.clone(), templates.clone(), evaluation.clone());
        tasks.spawn(async move {
            let _permit = permit;
            pool.workflow(&templates, scope, &evaluation).await
        });
    }
    while let Some(joined) = tokio::time::timeout(PATIENCE, tasks.join_next())
        .await
        .context("B1 raw statements did not finish in time")?
    {
        joined??;
    }
    Ok(())
}

async fn b1(dbs: &Databases, backend: Backend, sizes: &Sizes) -> anyhow::Result<Vec<Row>> {
    let (n, c) = (sizes.workflows, sizes.concurrency);

    // The machinery: warm up (pool connections, statement caches), then time.
    let url = dbs.fresh(backend).await?;
    let (_providers, providers) = InstantProviders::default().into_providers();
    let app = App::build_with(&config(&url), providers).await?;
    let workflows = app.workflows().clone();
    run_workflows(&workflows, c, c).await?;
    let started = Instant::now();
    let (template, events) = run_workflows(&workflows, n, c).await?;
    let machinery = started.elapsed();
    drop(app);
    drop(workflows);
    let per_workflow = template.len();
    ensure!(
        events == n * per_workflow,
        "every workflow should write {per_workflow} events"
    );
    let template = Arc::new(template);

    // The limits: the same statements straight through sqlx, on a fresh
    // database each, the store's pool settings, the same concurrency.
    let mut limits = Vec::new();
    for scope in [RawScope::EventLog, RawScope::Everything] {
        let url = dbs.fresh(backend).await?;
        let pool = RawPool::connect(backend, &url).await?;
        run_raw(&pool, &template, scope, c, c).await?;
        let started = Instant::now();
        run_raw(&pool, &template, scope, n, c).await?;
        limits.push(started.elapsed());
        pool.close().await;
    }
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let (wf, log, all) = (rate(machinery), rate(limits[0]), rate(limits[1]));
    let size = format!("N={n}, C={c}, {per_workflow} events/workflow");
    Ok(vec![
        Row {
            bench: "B1 workflows vs event-log writes",
            store: backend.name(),
            size: size.clone(),
            measured: format!(
                "{wf:.0} workflows/s, {:.0} events/s",
                wf * per_workflow as f64
            ),
            limit: format!(
                "{log:.0} runs/s, {:.0} events/s (INSERT run + UPDATE/INSERT tx per event)",
                log * per_workflow as f64
            ),
            ratio: format!("{:.2}", wf / log),
        },
        Row {
            bench: "B1 workflows vs all its statements",
            store: backend.name(),
            size,
            measured: format!("{wf:.0} workflows/s"),
            limit: format!("{all:.0} runs/s (every statement of a workflow, raw)"),
            ratio: format!("{:.2}", wf / all),
        },
    ])
}

// ---------------------------------------------------------------------------
// B2: fan-out over gRPC against a bare broadcast channel

/// One message a subscriber received.
struct Receipt {
    status: pb::WorkflowStatus,
    seq: i64,
    replayed: bool,
    created_at: Option<DateTime<Utc>>,
    at: Instant,
    wall: SystemTime,
}

async fn channels(addr: SocketAddr, count: usize) -> anyhow::Result<Vec<Channel>> {
    let endpoint = Endpoint::from_shared(format!("http://{addr}"))?;
    let mut channels = Vec::with_capacity(count);
    for _ in 0..count {
        channels.push(endpoint.connect().await?);
    }
    Ok(channels)
}

fn timestamp(ts: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    ts.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).ok()?))
}

/// Opens a MonitorAlbumStream for `album` and reads it to the end. `opened`
/// is told when the first message (the replayed or live FETCHING_METADATA)
/// has arrived.
async fn subscriber(
    channel: Channel,
    album: AlbumId,
    opened: oneshot::Sender<()>,
    opening: Arc<Semaphore>,
) -> anyhow::Result<Vec<Receipt>> {
    let permit = opening.acquire_owned().await?;
    let mut client = MusicAggregatorServiceClient::new(channel);
    let start = pb::MonitorAlbumStreamRequest {
        request: Some(pb::monitor_album_stream_request::Request::Start(
            pb::StartMonitorRequest {
                album_id: album.as_str().to_owned(),
                quality: pb::Quality::Lossless.into(),
                mode: pb::MonitorMode::Automatic.into(),
                after_seq: 0,
                run_id: String::new(),
                keep_wanted: false,
            },
        )),
    };
    let mut stream = client
        .monitor_album_stream(tokio_stream::iter([start]))
        .await?
        .into_inner();
    let mut receipts = Vec::with_capacity(8);
    let mut opened = Some(opened);
    let mut permit = Some(permit);
    while let Some(message) = stream.message().await? {
        let (at, wall) = (Instant::now(), SystemTime::now());
        let receipt = match message.response {
            Some(pb::monitor_album_stream_response::Response::StatusUpdate(u)) => Receipt {
                status: u.status(),
                seq: u.seq,
                replayed: u.replayed,
                created_at: timestamp(u.created_at.as_ref()),
                at,
                wall,
            },
            Some(pb::monitor_album_stream_response::Response::Result(r)) => Receipt {
                status: r.status(),
                seq: r.seq,
                replayed: r.replayed,
                created_at: timestamp(r.created_at.as_ref()),
                at,
                wall,
            },
            Some(pb::monitor_album_stream_response::Response::Offer(_)) => {
                bail!("an offer in an automatic run")
            }
            None => bail!("an empty stream message"),
        };
        receipts.push(receipt);
        permit.take();
        if let Some(opened) = opened.take() {
            let _ = opened.send(());
        }
    }
    Ok(receipts)
}

/// Attaches `s` streams to `album` (spread over `channels`) and waits until
/// each has its first message. Returns the streams' tasks.
async fn attach_streams(
    channels: &[Channel],
    album: &AlbumId,
    s: usize,
) -> anyhow::Result<JoinSet<anyhow::Result<Vec<Receipt>>>> {
    let opening = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let mut tasks = JoinSet::new();
    let mut opened = Vec::with_capacity(s);
    for i in 0..s {
        let (tx, rx) = oneshot::channel();
        opened.push(rx);
        tasks.spawn(subscriber(
            channels[i % channels.len()].clone(),
            album.clone(),
            tx,
            opening.clone(),
        ));
    }
    let all_open = async {
        for rx in opened {
            if rx.await.is_err() {
                return false;
            }
        }
        true
    };
    match tokio::time::timeout(PATIENCE, all_open).await {
        Ok(true) => Ok(tasks),
        Ok(false) => {
            // A stream ended before its first message: report its error.
            while let Some(joined) = tasks.join_next().await {
                joined??;
            }
            bail!("a stream ended before its first message")
        }
        Err(_) => bail!("{s} streams did not all open within {PATIENCE:?}"),
    }
}

fn channels_for(s: usize) -> usize {
    s.div_ceil(STREAMS_PER_CHANNEL).max(1)
}

async fn b2(dbs: &Databases, backend: Backend, sizes: &Sizes) -> anyhow::Result<Vec<Row>> {
    let url = dbs.fresh(backend).await?;
    let (providers, wired) = InstantProviders {
        stamp: true,
        ..InstantProviders::default()
    }
    .into_providers();
    let app = App::build_with(&config(&url), wired).await?;
    let addr = app.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let max_s = sizes.subscribers.iter().copied().max().unwrap_or(1);
    let channels = channels(addr, channels_for(max_s)).await?;

    let mut rows = Vec::new();
    for &s in &sizes.subscribers {
        let album = new_album_id();
        let gate = providers.gate(&album);
        let mut tasks = attach_streams(&channels[..channels_for(s)], &album, s).await?;
        let released = Instant::now();
        gate.add_permits(1);
        let mut per_subscriber = Vec::with_capacity(s);
        while let Some(joined) = tokio::time::timeout(PATIENCE, tasks.join_next())
            .await
            .context("B2 streams did not end in time")?
        {
            per_subscriber.push(joined??);
        }
        let stamps = providers.stamps(&album);

        // From publish: SEARCHING and ADDING_TORRENT, whose publish is
        // followed at once by a provider call that records the instant.
        // From created_at: every event live after the release (created_at
        // is taken just before the event's transaction begins, so this
        // includes the commit).
        let mut from_publish = Vec::new();
        let mut from_created = Vec::new();
        let mut complete = 0;
        let mut live = 0usize;
        let mut last = released;
        for receipts in &per_subscriber {
            let seqs: Vec<i64> = receipts.iter().map(|r| r.seq).collect();
            let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
            if seqs == expected
                && receipts
                    .last()
                    .is_some_and(|r| r.status == pb::WorkflowStatus::Complete)
            {
                complete += 1;
            }
            // Live after the release: the first subscribers also get
            // FETCHING_METADATA live, during the attach storm; not counted.
            for r in receipts.iter().filter(|r| !r.replayed && r.at >= released) {
                live += 1;
                last = last.max(r.at);
                let published = match r.status {
                    pb::WorkflowStatus::Searching => Some(WorkflowStatus::Searching),
                    pb::WorkflowStatus::AddingTorrent => Some(WorkflowStatus::AddingTorrent),
                    _ => None,
                }
                .and_then(|status| stamps.iter().find(|(st, _)| *st == status))
                .map(|(_, at)| *at);
                if let Some(published) = published {
                    from_publish.push(r.at.saturating_duration_since(published));
                }
                if let Some(created) = r.created_at {
                    let created = SystemTime::from(created);
                    from_created.push(r.wall.duration_since(created).unwrap_or_default());
                }
            }
        }
        if std::env::var_os("BENCH_VERBOSE").is_some() {
            verbose_b2(backend, s, &per_subscriber, released);
        }
        let (publish, publish_p50) = spread(from_publish);
        let (created, _) = spread(from_created);
        let (limit, limit_p50, send_time) = broadcast_limit(s, 5).await?;
        rows.push(Row {
            bench: "B2 fan-out over gRPC",
            store: backend.name(),
            size: format!("S={s} ({} conns), {complete}/{s} complete", channels_for(s)),
            measured: format!(
                "publish→recv {publish}; created_at→recv {created}; {:.0} msgs/s",
                live as f64 / last.duration_since(released).as_secs_f64().max(1e-9)
            ),
            limit: format!(
                "broadcast send→recv {limit} (send itself {})",
                ms(send_time)
            ),
            ratio: format!(
                "p50 ×{:.0}",
                publish_p50.as_secs_f64() / limit_p50.as_secs_f64().max(1e-9)
            ),
        });
    }
    drop(channels);
    let _ = stop.send(());
    tokio::time::timeout(PATIENCE, server)
        .await
        .context("the B2 server did not stop")???;
    Ok(rows)
}

/// BENCH_VERBOSE: per status, created_at→recv and release→recv of the live
/// events (stderr).
fn verbose_b2(backend: Backend, s: usize, per_subscriber: &[Vec<Receipt>], released: Instant) {
    let mut by_status: std::collections::BTreeMap<i32, (Vec<Duration>, Vec<Duration>)> =
        Default::default();
    for r in per_subscriber
        .iter()
        .flatten()
        .filter(|r| !r.replayed && r.at >= released)
    {
        let entry = by_status.entry(r.status as i32).or_default();
        if let Some(created) = r.created_at {
            let created = SystemTime::from(created);
            entry
                .0
                .push(r.wall.duration_since(created).unwrap_or_default());
        }
        entry.1.push(r.at.duration_since(released));
    }
    for (status, (created, since_release)) in by_status {
        eprintln!(
            "  {} S={s} {:?}: created_at→recv {}; release→recv {}",
            backend.name(),
            pb::WorkflowStatus::try_from(status).unwrap_or_default(),
            spread(created).0,
            spread(since_release).0
        );
    }
}

/// A bare `tokio::sync::broadcast` channel (the bus's capacity, 64) with `s`
/// receiver tasks: `events` measured messages (after one that wakes every
/// task for the first time), each sent once every receiver has the previous
/// one. Returns "p50 / p99 / max", the p50 and the longest `send`.
async fn broadcast_limit(s: usize, events: usize) -> anyhow::Result<(String, Duration, Duration)> {
    let (tx, _) = broadcast::channel::<Instant>(musicagg::events::DEFAULT_CAPACITY);
    let received = Arc::new(AtomicUsize::new(0));
    let all = Arc::new(tokio::sync::Notify::new());
    let mut tasks = JoinSet::new();
    for _ in 0..s {
        let mut rx = tx.subscribe();
        let (received, all) = (received.clone(), all.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(events);
            // Message 0 wakes the task up for the first time: not measured.
            for k in 0..=events {
                let sent = rx.recv().await?;
                if k > 0 {
                    latencies.push(sent.elapsed());
                }
                if received.fetch_add(1, Ordering::SeqCst) + 1 == s * (k + 1) {
                    all.notify_one();
                }
            }
            Ok::<_, broadcast::error::RecvError>(latencies)
        });
    }
    let mut longest_send = Duration::ZERO;
    for k in 0..=events {
        let sent = Instant::now();
        tx.send(sent).map_err(|_| anyhow::anyhow!("no receivers"))?;
        if k > 0 {
            longest_send = longest_send.max(sent.elapsed());
        }
        tokio::time::timeout(PATIENCE, async {
            while received.load(Ordering::SeqCst) < s * (k + 1) {
                all.notified().await;
            }
        })
        .await
        .context("broadcast receivers did not all receive")?;
    }
    let mut latencies = Vec::with_capacity(s * events);
    while let Some(joined) = tasks.join_next().await {
        latencies.extend(joined??);
    }
    let (text, p50) = spread(latencies);
    Ok((text, p50, longest_send))
}

// ---------------------------------------------------------------------------
// B3: memory of a server in a child process

/// The child server: every workflow held at its first step; commands on
/// stdin (`workflows W`, `quit`), answers on stdout.
async fn child_server(url: &str) -> anyhow::Result<()> {
    let (providers, wired) = InstantProviders {
        gate_all: true,
        ..InstantProviders::default()
    }
    .into_providers();
    let app = App::build_with(&config(url), wired).await?;
    let workflows = app.workflows().clone();
    let mut stdout = tokio::io::stdout();
    stdout
        .write_all(format!("addr {}\n", app.local_addr()).as_bytes())
        .await?;
    stdout.flush().await?;
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        match line.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["workflows", w] => {
                let w: usize = w.parse()?;
                let before = providers.reached.load(Ordering::SeqCst);
                for _ in 0..w {
                    // The subscription is dropped: nobody watches these runs.
                    workflows.attach(&key(new_album_id()), 0, None).await?;
                }
                tokio::time::timeout(PATIENCE, async {
                    while providers.reached.load(Ordering::SeqCst) < before + w {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                })
                .await
                .context("workflows did not reach their first step")?;
                stdout.write_all(b"ok\n").await?;
                stdout.flush().await?;
            }
            ["quit"] => break,
            other => bail!("unknown command {other:?}"),
        }
    }
    // The runs stay unfinished: the database is dropped anyway.
    std::process::exit(0);
}

type ChildLines = tokio::io::Lines<BufReader<tokio::process::ChildStdout>>;

async fn answer(lines: &mut ChildLines) -> anyhow::Result<String> {
    tokio::time::timeout(PATIENCE, lines.next_line())
        .await
        .context("the child server did not answer")??
        .context("the child server exited")
}

fn rss_bytes(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .context("no VmRSS line")?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kb * 1024)
}

/// Waits for allocations to settle, then reads the RSS.
async fn settled_rss(pid: u32) -> anyhow::Result<u64> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    rss_bytes(pid)
}

async fn b3(dbs: &Databases, backend: Backend, sizes: &Sizes) -> anyhow::Result<Vec<Row>> {
    let (w, s) = (sizes.in_flight, sizes.idle_streams);
    let url = dbs.fresh(backend).await?;
    // BENCH_CHILD_PREFIX runs the child under a profiler, e.g.
    // "valgrind --tool=massif" (the RSS figures are then the profiler's).
    let exe = std::env::current_exe()?;
    let prefix = std::env::var("BENCH_CHILD_PREFIX").unwrap_or_default();
    let mut command: Vec<String> = prefix.split_whitespace().map(str::to_owned).collect();
    command.push(exe.display().to_string());
    let mut child = tokio::process::Command::new(&command[0])
        .args(&command[1..])
        .args(["--child-server", &url])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting the child server")?;
    let pid = child.id().context("the child's pid")?;
    let mut stdin = child.stdin.take().context("child stdin")?;
    let mut lines = BufReader::new(child.stdout.take().context("child stdout")?).lines();
    let addr: SocketAddr = answer(&mut lines)
        .await?
        .strip_prefix("addr ")
        .context("the child's address")?
        .parse()?;

    let base = settled_rss(pid).await?;
    stdin
        .write_all(format!("workflows {w}\n").as_bytes())
        .await?;
    ensure!(
        answer(&mut lines).await? == "ok",
        "the child could not start {w} workflows"
    );
    let with_workflows = settled_rss(pid).await?;

    let channels = channels(addr, channels_for(s)).await?;
    let album = new_album_id();
    let streams = attach_streams(&channels, &album, s).await?;
    let with_streams = settled_rss(pid).await?;

    stdin.write_all(b"quit\n").await?;
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    drop(streams);
    drop(channels);

    let per_workflow = with_workflows.saturating_sub(base) as f64 / w.max(1) as f64;
    let per_stream = with_streams.saturating_sub(with_workflows) as f64 / s.max(1) as f64;
    Ok(vec![
        Row {
            bench: "B3 memory: workflows in flight",
            store: backend.name(),
            size: format!("W={w}, held at their first step, unwatched"),
            measured: format!(
                "RSS {} → {}: {} per workflow",
                mib(base),
                mib(with_workflows),
                kib(per_workflow)
            ),
            limit: "—".into(),
            ratio: "—".into(),
        },
        Row {
            bench: "B3 memory: idle streams",
            store: backend.name(),
            size: format!("S={s} on one held workflow, {} conns", channels_for(s)),
            measured: format!(
                "RSS {} → {}: {} per stream",
                mib(with_workflows),
                mib(with_streams),
                kib(per_stream)
            ),
            limit: "—".into(),
            ratio: "—".into(),
        },
    ])
}

// ---------------------------------------------------------------------------
// B4: the release parser

fn b4(sizes: &Sizes, titles: Option<&std::path::Path>) -> anyhow::Result<Row> {
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/release_titles.tsv");
    let path = titles.map_or_else(|| default.into(), |p| p.display().to_string());
    let corpus = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let mut lines = corpus.lines();
    let header = lines.next().context("an empty corpus")?;
    ensure!(
        header.split('\t').next() == Some("title"),
        "the corpus's first column should be `title`, not {header:?}"
    );
    let titles: Vec<&str> = lines
        .filter_map(|l| l.split('\t').next())
        .filter(|t| !t.is_empty())
        .collect();
    ensure!(!titles.is_empty(), "no titles in {path}");
    // The first pass builds the lazily compiled patterns.
    for t in &titles {
        std::hint::black_box(musicagg::release::parse_title(t));
    }
    let started = Instant::now();
    let mut parsed = 0usize;
    while started.elapsed() < sizes.parse_time {
        for t in &titles {
            std::hint::black_box(musicagg::release::parse_title(std::hint::black_box(t)));
        }
        parsed += titles.len();
    }
    let rate = parsed as f64 / started.elapsed().as_secs_f64();
    Ok(Row {
        bench: "B4 parse_title",
        store: "—",
        size: format!("{} corpus titles", titles.len()),
        measured: format!(
            "{rate:.0} titles/s ({:.1} µs/title)",
            1e6 / rate.max(f64::MIN_POSITIVE)
        ),
        limit: "criterion: cargo bench --bench parse".into(),
        ratio: "—".into(),
    })
}
