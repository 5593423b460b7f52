//! B8: what the Prometheus metrics cost.
//!
//! - **Per event**: `RunMeter::event`, the call every stored workflow event
//!   makes (the events counter, the run's step clock under its lock, one
//!   histogram observation), N times over the six step statuses, beside the
//!   floor of any counter: one bare `prometheus_client` `Counter::inc`.
//! - **Scrape**: `GET /metrics` on a running app's web listener (over TCP
//!   loopback, reqwest), with D downloads in the store and every metric
//!   family filled as a busy service would have it; the encode and the
//!   store reads are also timed alone. Beside it, in the same run and on the
//!   same listener, `GET /` (a static page): the HTTP floor. Interleaved,
//!   median of each.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use musicagg::App;
use musicagg::import::ImportError;
use musicagg::metrics::{MeteredTorrentClient, Metrics};
use musicagg::model::{MonitorMode, WorkflowStatus};
use musicagg::torrent_client::NoTorrentClient;
use prometheus_client::metrics::counter::Counter;
use tokio::sync::oneshot;

use super::{Backend, Databases, Row, config};

const STEPS: [WorkflowStatus; 6] = [
    WorkflowStatus::FetchingMetadata,
    WorkflowStatus::CheckingOwned,
    WorkflowStatus::Searching,
    WorkflowStatus::ParsingResults,
    WorkflowStatus::AwaitingChoice,
    WorkflowStatus::AddingTorrent,
];

/// Per-event overhead, no database.
pub(super) fn per_event(events: usize) -> Row {
    let metrics = Metrics::new();
    let meter = metrics.run_started(MonitorMode::Automatic, None);
    let started = Instant::now();
    for i in 0..events {
        meter.event(STEPS[i % STEPS.len()]);
    }
    let metered = started.elapsed();
    let counter = Counter::<u64>::default();
    let started = Instant::now();
    for _ in 0..events {
        std::hint::black_box(&counter).inc();
    }
    let bare = started.elapsed();
    let per = |d: Duration| d.as_nanos() as f64 / events as f64;
    Row {
        bench: "B8 metrics per event",
        store: "-",
        size: format!("{events} events over 6 steps"),
        measured: format!("{:.0} ns/event (RunMeter::event)", per(metered)),
        limit: format!("{:.1} ns (one bare Counter::inc)", per(bare)),
        ratio: format!("{:.0}", per(metered) / per(bare).max(0.01)),
    }
}

/// Every family filled: both modes, every status, 10 indexers with every
/// outcome, every MusicBrainz outcome, every client operation, imports.
fn fill(metrics: &Metrics) {
    for mode in MonitorMode::ALL {
        for end in WorkflowStatus::ALL.into_iter().filter(|s| s.is_terminal()) {
            let meter = metrics.run_started(mode, None);
            for step in STEPS {
                meter.event(step);
            }
            meter.ended(end);
        }
    }
    for i in 0..10 {
        let name = format!("indexer-{i}");
        for outcome in ["ok", "error", "backing_off"] {
            metrics.indexer_request(&name, outcome, Duration::from_millis(300));
        }
        metrics.indexer_backoff(&name, i % 3, None);
    }
    for outcome in [
        "ok",
        "not_found",
        "rate_limited",
        "server_error",
        "refused",
        "timeout",
        "connection_error",
    ] {
        metrics.musicbrainz_request(outcome);
    }
    metrics.musicbrainz_waited(Duration::from_millis(700));
    for result in [
        Ok(()),
        Err(ImportError::Refused(String::new())),
        Err(ImportError::NotVisible(String::new())),
        Err(ImportError::Io(String::new())),
    ] {
        metrics.import_finished(&result, Duration::from_secs(2));
    }
    drop(metrics.open_stream("monitor_album"));
}

/// The client's five operations, each answered (by the stand-in) with a
/// configuration error: five more series.
async fn call_every_operation(metrics: &Metrics) {
    let client = MeteredTorrentClient::wrap(Arc::new(NoTorrentClient), metrics);
    let _ = client.contains("00").await;
    let _ = client.poll().await;
    let _ = client.files("00").await;
    let _ = client.remove("00", false).await;
}

pub(super) async fn scrape(
    dbs: &Databases,
    backend: Backend,
    downloads: usize,
    requests: usize,
) -> anyhow::Result<Row> {
    let url = dbs.fresh(backend).await?;
    let (store, _) = super::tracker_poll::open(backend, &url).await?;
    for i in 0..downloads {
        super::tracker_poll::seed(Arc::clone(&store), i, 50).await?;
    }
    drop(store);
    let metrics = Metrics::new();
    fill(&metrics);
    call_every_operation(&metrics).await;
    let providers = musicagg::Providers {
        metrics: metrics.clone(),
        ..musicagg::Providers::stand_ins()
    };
    let mut config = config(&url);
    config.http_listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    let app = App::build_with(&config, providers).await?;
    let http = app.http_addr().context("the web listener")?;
    let store = Arc::clone(&app.workflows().store);
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let client =
        musicagg::http::client_builder("musicagg-bench", Duration::from_secs(30), false).build()?;
    let (page, floor) = (format!("http://{http}/metrics"), format!("http://{http}/"));
    let body = client.get(&page).send().await?.text().await?;
    let series = body.lines().filter(|l| !l.starts_with('#')).count();
    ensure!(
        body.contains(&format!(
            "musicagg_downloads{{state=\"downloading\"}} {downloads}"
        )),
        "the scrape counts the downloads"
    );
    let (mut scrapes, mut floors, mut encodes, mut reads) = (vec![], vec![], vec![], vec![]);
    for _ in 0..requests {
        let started = Instant::now();
        client.get(&page).send().await?.bytes().await?;
        scrapes.push(started.elapsed());
        let started = Instant::now();
        client.get(&floor).send().await?.bytes().await?;
        floors.push(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(metrics.encode()?);
        encodes.push(started.elapsed());
        let started = Instant::now();
        metrics.read_store(store.as_ref()).await?;
        reads.push(started.elapsed());
    }
    let _ = stop.send(());
    server.await??;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (scrape, floor) = (median(scrapes), median(floors));
    Ok(Row {
        bench: "B8 metrics scrape",
        store: backend.name(),
        size: format!(
            "{downloads} downloads, {series} samples ({} KiB)",
            body.len() / 1024
        ),
        measured: format!(
            "GET /metrics {:.2} ms (encode {:.2} ms, store reads {:.2} ms)",
            ms(scrape),
            ms(median(encodes)),
            ms(median(reads))
        ),
        limit: format!("GET / {:.2} ms (same listener)", ms(floor)),
        ratio: format!("{:.1}", ms(scrape) / ms(floor).max(0.001)),
    })
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}
