//! [manual] Manual mode with the real adapters: the real selector's verdicts
//! over a Torznab feed, a real qBittorrent on loopback, and the real `serve`
//! restarted (gracefully and by a crash) while a run awaits its choice.

use musicagg::model::{RunId, WorkflowStatus};
use musicagg::proto::v1 as pb;
use musicagg::proto::v1::music_aggregator_service_client::MusicAggregatorServiceClient;
use pb::WorkflowStatus as S;
use tokio::sync::mpsc;
use tonic::transport::Channel;

use crate::fake_musicbrainz::{FakeMusicBrainz, simple_album};
use crate::fake_torznab::{FakeIndexer, FeedItem, jackett_feed, xml};
use crate::harness::{Backend, TestApp, TestDb, Watcher, within};
use crate::manual::{choose_message, manual, unreplayed, until_offer};
use crate::qbt::{PASSWORD, Qbt, QbtOptions, USER};
use crate::serve::{Server, musicagg, spawn_serve};
use crate::stream::ALBUM;

const FLAC: &str = "Artist - Album (2020) [FLAC]";
const MP3: &str = "Artist - Album (2020) [MP3 320]";
const HASH_FLAC: &str = "f1ac0000000000000000000000000000000000f1";
const HASH_MP3: &str = "3320000000000000000000000000000000000320";

/// The fakes and the service's qBittorrent: MusicBrainz knows the album
/// (3 tracks, 12 min); the indexer offers a FLAC (acceptable for LOSSLESS)
/// and an MP3 320 (rejected: wrong tier), each linking to its own magnet.
struct Fakes {
    musicbrainz: FakeMusicBrainz,
    indexer: FakeIndexer,
    qbt: Qbt,
}

impl Fakes {
    async fn start() -> Self {
        let musicbrainz = FakeMusicBrainz::start().await;
        musicbrainz.add(ALBUM, simple_album(ALBUM, "Artist", "Album", 3));
        let indexer = FakeIndexer::jackett("tracker").await;
        indexer.caps("jackett-caps-q-only.xml").await;
        let item = FeedItem::linked;
        let feed = jackett_feed(
            &indexer.base(),
            &[
                item(FLAC, 90_000_000, 20, 3040, "/dl/flac/"),
                item(MP3, 29_000_000, 50, 3010, "/dl/mp3/"),
            ],
        );
        indexer.on("search", xml(200, feed)).await;
        indexer.download_of("flac", &magnet(HASH_FLAC, FLAC)).await;
        indexer.download_of("mp3", &magnet(HASH_MP3, MP3)).await;
        let qbt = Qbt::start(QbtOptions::default()).await;
        Self {
            musicbrainz,
            indexer,
            qbt,
        }
    }

    /// The service's configuration file (TOML).
    fn config(&self, database_url: &str) -> String {
        format!(
            "database_url = \"{database_url}\"\n\n[musicbrainz]\nbase_url = \"{}\"\n\n\
             [[indexers]]\nname = \"jackett\"\nurl = \"{}\"\napi_key = \"{}\"\n\n\
             [qbittorrent]\nurl = \"{}\"\nusername = \"{USER}\"\npassword = \"{PASSWORD}\"\n\n\
             [manual]\nchoice_timeout = \"1d\"\n",
            self.musicbrainz.base_url(),
            self.indexer.url(),
            self.indexer.api_key,
            self.qbt.url,
        )
    }

    /// The hashes of the torrents qBittorrent has, among ours.
    async fn in_qbittorrent(&self) -> Vec<String> {
        let mut hashes: Vec<String> = self
            .qbt
            .client()
            .torrents(&[HASH_FLAC, HASH_MP3])
            .await
            .expect("qBittorrent answers")
            .into_iter()
            .map(|t| t.hash)
            .collect();
        hashes.sort();
        hashes
    }
}

fn magnet(hash: &str, name: &str) -> String {
    format!(
        "magnet:?xt=urn:btih:{hash}&dn={}",
        url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
    )
}

/// The offered candidate with this title.
fn offered<'a>(offer: &'a pb::CandidateOffer, title: &str) -> (usize, &'a pb::Candidate) {
    offer
        .candidates
        .iter()
        .enumerate()
        .find(|(_, c)| c.release.as_ref().is_some_and(|r| r.title == title))
        .unwrap_or_else(|| panic!("{title} not offered: {offer:?}"))
}

async fn a_rejected_release_chosen_on_the_stream_reaches_qbittorrent(backend: Backend) {
    let fakes = Fakes::start().await;
    let app = TestApp::spawn_configured(backend, |c| {
        c.musicbrainz.base_url = fakes.musicbrainz.base_url();
        c.indexers = vec![fakes.indexer.config("jackett")];
        c.qbittorrent = Some(fakes.qbt.config(PASSWORD));
    })
    .await;
    let mut watcher = app
        .watch(manual(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    let (_, offer) = until_offer(&mut watcher).await;
    let (flac_at, flac) = offered(&offer, FLAC);
    let (mp3_at, mp3) = offered(&offer, MP3);
    assert!(flac.accepted && flac_at == 0, "accepted first: {offer:?}");
    assert!(!mp3.accepted && mp3_at == 1);
    let tier_reason = mp3.rejection_reasons.join("; ");
    assert!(tier_reason.contains("lossless"), "{tier_reason}");

    let guid = mp3.release.as_ref().unwrap().guid.clone();
    watcher.send(choose_message(&offer.run_id, &guid)).await;
    let received = watcher.finish().await;
    assert_eq!(received.statuses(), vec![S::AddingTorrent]);
    let adding = &received.updates[0].message;
    assert!(
        adding.contains(MP3) && adding.contains("overriding") && adding.contains(&tier_reason),
        "the event names the rule it overrides: {adding}"
    );
    let result = received.result();
    assert_eq!(result.status(), S::Complete, "{}", result.message);
    assert_eq!(result.selected_release.as_ref().unwrap().title, MP3);
    assert_eq!(
        fakes.in_qbittorrent().await,
        vec![HASH_MP3.to_owned()],
        "the chosen release is in qBittorrent, the accepted one is not"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_release_chosen_on_the_stream_reaches_qbittorrent_on_postgres() {
    a_rejected_release_chosen_on_the_stream_reaches_qbittorrent(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_release_chosen_on_the_stream_reaches_qbittorrent_on_sqlite() {
    a_rejected_release_chosen_on_the_stream_reaches_qbittorrent(Backend::Sqlite).await;
}

/// A manual stream to `server`, read up to its offer.
async fn offer_from(server: &Server) -> (Watcher, pb::CandidateOffer) {
    let mut client = within(
        "connecting",
        MusicAggregatorServiceClient::<Channel>::connect(server.url.clone()),
    )
    .await
    .expect("connect");
    let (tx, rx) = mpsc::channel(4);
    tx.send(crate::harness::start_message(manual(
        ALBUM,
        pb::Quality::Lossless,
    )))
    .await
    .unwrap();
    let stream = within(
        "the stream",
        client.monitor_album_stream(tokio_stream::wrappers::ReceiverStream::new(rx)),
    )
    .await
    .expect("the stream opens")
    .into_inner();
    let mut watcher = Watcher {
        stream,
        sender: Some(tx),
    };
    let (_, offer) = until_offer(&mut watcher).await;
    (watcher, offer)
}

async fn a_run_awaiting_a_choice_survives_a_restart(backend: Backend, crash: bool) {
    let fakes = Fakes::start().await;
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("musicagg.toml");
    std::fs::write(&config, fakes.config(&db.url)).unwrap();
    let serve = || {
        let mut command = musicagg(dir.path());
        command.arg("--config").arg(&config);
        spawn_serve(dir.path(), command)
    };

    let mut server = serve().await;
    let (watcher, offer) = offer_from(&server).await;
    let run_id = RunId::parse(&offer.run_id).unwrap();
    if crash {
        server.crash();
    } else {
        let status = server.terminate().await;
        assert!(status.success(), "{status:?}");
    }
    drop(watcher);
    let run = store.run(run_id).await.unwrap().expect("the run");
    assert_eq!(
        (run.status, run.is_finished()),
        (WorkflowStatus::AwaitingChoice, false),
        "the stop leaves the run waiting ({})",
        run.message
    );

    let server = serve().await;
    let log = || std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
    let mut client = MusicAggregatorServiceClient::<Channel>::connect(server.url.clone())
        .await
        .unwrap();
    let run = client
        .get_workflow_run(pb::GetWorkflowRunRequest {
            run_id: offer.run_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (run.status(), run.mode(), run.finished),
        (S::AwaitingChoice, pb::MonitorMode::Manual, false),
        "{}",
        log()
    );
    // The offer is the same, deadline included.
    let (watcher, again) = offer_from(&server).await;
    assert!(again.replayed);
    assert_eq!(unreplayed(&again), offer);

    // `musicagg choose RUN #N` answers it; the run completes.
    let (number, _) = offered(&offer, MP3);
    let output = tokio::task::spawn_blocking({
        let (dir, url, run) = (
            dir.path().to_owned(),
            server.url.clone(),
            offer.run_id.clone(),
        );
        move || {
            musicagg(&dir)
                .args([
                    "choose",
                    &run,
                    &format!("#{}", number + 1),
                    "--server",
                    &url,
                ])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        log()
    );
    assert!(stdout.contains(&format!("chosen: {MP3}")), "{stdout}");
    assert!(
        stdout.contains("COMPLETE: added to qbittorrent"),
        "{stdout}"
    );
    let end = watcher.finish().await;
    assert_eq!(end.result().status(), S::Complete);
    assert_eq!(fakes.in_qbittorrent().await, vec![HASH_MP3.to_owned()]);
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_awaiting_a_choice_survives_a_restart_of_serve_on_postgres() {
    a_run_awaiting_a_choice_survives_a_restart(Backend::Postgres, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_awaiting_a_choice_survives_a_crash_of_serve_on_sqlite() {
    a_run_awaiting_a_choice_survives_a_restart(Backend::Sqlite, true).await;
}
