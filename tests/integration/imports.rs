//! [downloads] Import refusals and "owned = in the library", in process:
//! a torrent client double that reports torrents complete with real audio
//! files on disk (a real client cannot be made to list `../` names), the
//! real selector, import and library index.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use musicagg::config::{Config, Seconds};
use musicagg::import::ClientFile;
use musicagg::model::{AlbumId, DownloadState};
use musicagg::proto::v1 as pb;
use musicagg::release::RankingSelector;
use musicagg::store::DownloadRecord;
use musicagg::torrent_client::{
    AddRequest, ClientState, TorrentClient, TorrentClientError, TorrentStatus,
};

use crate::doubles::{Fake, release};
use crate::harness::{Backend, TestApp, TestDb, start};
use crate::scene::{mp3_tracks, tagged_flac_tracks};
use crate::stream::ALBUM;

/// A torrent the double serves: where its files are and what it lists.
#[derive(Clone)]
struct Served {
    save_path: PathBuf,
    files: Vec<ClientFile>,
}

/// A torrent client whose torrents are complete as soon as added (those it
/// has files for) or stay at 45 % (the others).
#[derive(Default)]
struct FileClient {
    served: HashMap<String, Served>,
    added: Mutex<Vec<String>>,
    removed: Mutex<Vec<(String, bool)>>,
    /// What the torrents it has no files for are doing (default: 45 %,
    /// downloading).
    others: Mutex<Option<ClientState>>,
}

#[async_trait]
impl TorrentClient for FileClient {
    fn name(&self) -> &str {
        "file-client"
    }

    async fn add(&self, request: AddRequest<'_>) -> Result<(), TorrentClientError> {
        self.added
            .lock()
            .unwrap()
            .push(request.torrent.info_hash.clone());
        Ok(())
    }

    async fn contains(&self, info_hash: &str) -> Result<bool, TorrentClientError> {
        Ok(self.added.lock().unwrap().iter().any(|h| h == info_hash))
    }

    async fn poll(&self) -> Result<HashMap<String, TorrentStatus>, TorrentClientError> {
        Ok(self
            .added
            .lock()
            .unwrap()
            .iter()
            .map(|hash| {
                let status = match self.served.get(hash) {
                    Some(served) => TorrentStatus {
                        hash: hash.clone(),
                        state: ClientState::Complete,
                        progress: 1.0,
                        size: 100,
                        completed: 100,
                        save_path: served.save_path.display().to_string(),
                        has_metadata: true,
                        ..Default::default()
                    },
                    None => TorrentStatus {
                        hash: hash.clone(),
                        state: self
                            .others
                            .lock()
                            .unwrap()
                            .unwrap_or(ClientState::Downloading),
                        progress: 0.45,
                        size: 100,
                        completed: 45,
                        save_path: "/nowhere".into(),
                        has_metadata: true,
                        ..Default::default()
                    },
                };
                (hash.clone(), status)
            })
            .collect())
    }

    async fn files(&self, info_hash: &str) -> Result<Vec<ClientFile>, TorrentClientError> {
        Ok(self
            .served
            .get(info_hash)
            .map(|s| s.files.clone())
            .unwrap_or_default())
    }

    async fn remove(&self, info_hash: &str, delete_files: bool) -> Result<(), TorrentClientError> {
        self.removed
            .lock()
            .unwrap()
            .push((info_hash.to_owned(), delete_files));
        self.added.lock().unwrap().retain(|h| h != info_hash);
        Ok(())
    }
}

/// The files of `dir` (one level, sorted) as the client lists them under
/// `root/dir-name/`.
fn listed(save_path: &Path, folder: &str) -> Vec<ClientFile> {
    let mut files: Vec<ClientFile> = std::fs::read_dir(save_path.join(folder))
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| ClientFile {
            name: format!("{folder}/{}", e.file_name().to_string_lossy()),
            size: e.metadata().unwrap().len(),
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

const HASH_COUNT: &str = "1111111111111111111111111111111111111111";
const HASH_MP3: &str = "2222222222222222222222222222222222222222";
const HASH_ESCAPE: &str = "3333333333333333333333333333333333333333";
const HASH_GOOD: &str = "4444444444444444444444444444444444444444";

/// Four releases, best seeded first (by order of magnitude, as ranking counts): three that are not what they say and
/// the right one last.
fn scene(work: &Path) -> (Vec<musicagg::indexer::Release>, HashMap<String, Served>) {
    let downloads = work.join("downloads");
    // Two tracks of a three-track album.
    tagged_flac_tracks(&downloads.join("count"), 2, 1, "Track", &[]);
    // MP3 files under a FLAC title.
    mp3_tracks(&downloads.join("mp3"), 3, 1, "Track");
    // A name that climbs out of the download folder to a file beside it.
    tagged_flac_tracks(&downloads.join("escape"), 3, 1, "Track", &[]);
    tagged_flac_tracks(&work.join("secret"), 1, 1, "Secret", &[]);
    tagged_flac_tracks(&downloads.join("good"), 3, 1, "Track", &[]);
    let mut escape = listed(&downloads, "escape");
    escape[2].name = "escape/../../secret/01 - Secret 1.flac".into();
    let served = HashMap::from([
        (
            HASH_COUNT.to_owned(),
            Served {
                save_path: downloads.clone(),
                files: listed(&downloads, "count"),
            },
        ),
        (
            HASH_MP3.to_owned(),
            Served {
                save_path: downloads.clone(),
                files: listed(&downloads, "mp3"),
            },
        ),
        (
            HASH_ESCAPE.to_owned(),
            Served {
                save_path: downloads.clone(),
                files: escape,
            },
        ),
        (
            HASH_GOOD.to_owned(),
            Served {
                save_path: downloads.clone(),
                files: listed(&downloads, "good"),
            },
        ),
    ]);
    let sized = |title: &str, seeders, hash| musicagg::indexer::Release {
        size_bytes: Some(60_000_000),
        ..release(title, seeders, hash)
    };
    let releases = vec![
        sized("Artist - Album (2020) [FLAC] [CD]", 5000, HASH_COUNT),
        sized("Artist - Album (2020) [FLAC] [WEB]", 500, HASH_MP3),
        sized("Artist - Album (2020) [FLAC] [Vinyl]", 50, HASH_ESCAPE),
        sized("Artist - Album (2020) [FLAC]", 5, HASH_GOOD),
    ];
    (releases, served)
}

/// A client double with the right album's files (three tagged FLAC tracks)
/// for [`HASH_GOOD`].
fn serving_the_right_album(work: &Path) -> FileClient {
    let downloads = work.join("downloads");
    tagged_flac_tracks(&downloads.join("good"), 3, 1, "Track", &[]);
    FileClient {
        served: HashMap::from([(
            HASH_GOOD.to_owned(),
            Served {
                save_path: downloads.clone(),
                files: listed(&downloads, "good"),
            },
        )]),
        ..Default::default()
    }
}

/// The right release of the album, as the indexer offers it.
fn the_right_release() -> musicagg::indexer::Release {
    musicagg::indexer::Release {
        size_bytes: Some(60_000_000),
        ..release("Artist - Album (2020) [FLAC]", 10, HASH_GOOD)
    }
}

async fn app_with(
    backend: Backend,
    releases: Vec<musicagg::indexer::Release>,
    client: FileClient,
    library: &Path,
    tweak: impl FnOnce(&mut Config),
) -> (TestApp, Arc<Fake>, Arc<FileClient>) {
    let db = TestDb::new(backend).await;
    let (fake, mut providers) = Fake {
        releases,
        ..Fake::default()
    }
    .into_providers();
    providers.selector = Arc::new(RankingSelector::from_config(&Config::default()).unwrap());
    let client = Arc::new(client);
    providers.torrent_client = client.clone();
    let library = library.to_path_buf();
    let app = TestApp::spawn_on(db, providers, move |config| {
        config.library.path = Some(library);
        config.downloads.poll_interval = Seconds(1);
        tweak(config);
    })
    .await;
    (app, fake, client)
}

async fn downloads_until(
    app: &TestApp,
    what: &str,
    done: impl Fn(&[DownloadRecord]) -> bool,
) -> Vec<DownloadRecord> {
    let album = AlbumId::parse(ALBUM).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let downloads = app.workflows.store.album_downloads(&album).await.unwrap();
        if done(&downloads) {
            return downloads;
        }
        assert!(Instant::now() < deadline, "{what}: {downloads:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

async fn releases_that_are_not_what_they_say_are_refused_and_retried(backend: Backend) {
    let work = tempfile::tempdir().unwrap();
    let (releases, served) = scene(work.path());
    let library = work.path().join("library");
    let client = FileClient {
        served,
        ..Default::default()
    };
    let (app, _fake, client) = app_with(backend, releases, client, &library, |_| {}).await;
    let first = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(first.result().status(), pb::WorkflowStatus::Complete);

    let downloads = downloads_until(&app, "three refusals, then the import", |d| {
        d.len() == 4 && d[3].state.is_terminal()
    })
    .await;
    let [count, mp3, escape, good] = &downloads[..] else {
        unreachable!()
    };
    for (refused, hash) in [(count, HASH_COUNT), (mp3, HASH_MP3), (escape, HASH_ESCAPE)] {
        assert_eq!(refused.info_hash, hash);
        assert_eq!(refused.state, DownloadState::Failed);
        assert!(refused.blocklisted, "{}", refused.message);
        assert!(
            refused.message.starts_with("import refused: "),
            "{}",
            refused.message
        );
        assert!(refused.retry_run_id.is_some(), "{}", refused.message);
    }
    assert!(
        count
            .message
            .contains("2 audio files for an album of 3 tracks"),
        "{}",
        count.message
    );
    assert!(mp3.message.contains("MP3"), "{}", mp3.message);
    assert!(escape.message.contains("../"), "{}", escape.message);
    assert_eq!(good.state, DownloadState::Imported, "{}", good.message);
    assert_eq!(good.run_id, escape.retry_run_id);
    // Each refused torrent was removed with its data.
    let removed = client.removed.lock().unwrap().clone();
    assert_eq!(
        removed,
        [HASH_COUNT, HASH_MP3, HASH_ESCAPE].map(|h| (h.to_owned(), true))
    );
    // Nothing but the right album was written, and only in the library.
    let folder = library.join("Artist/Album (2020)");
    assert_eq!(
        files_under(&library),
        (1..=3)
            .map(|n| folder.join(format!("{n:02} - Track {n}.flac")))
            .collect::<Vec<_>>()
    );
    let secret = std::fs::read(work.path().join("secret/01 - Secret 1.flac")).unwrap();
    assert!(
        files_under(&library)
            .iter()
            .all(|f| std::fs::read(f).unwrap() != secret)
    );
    app.stop().await;
}

async fn after_max_retries_the_album_is_left_alone(backend: Backend) {
    let work = tempfile::tempdir().unwrap();
    let (releases, served) = scene(work.path());
    let library = work.path().join("library");
    let client = FileClient {
        served,
        ..Default::default()
    };
    let (app, _fake, _client) = app_with(backend, releases, client, &library, |c| {
        c.downloads.max_retries = 1;
    })
    .await;
    app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    let downloads = downloads_until(&app, "two refusals, then nothing", |d| {
        d.len() == 2 && d[1].state == DownloadState::Failed
    })
    .await;
    assert!(downloads[0].retry_run_id.is_some());
    assert_eq!(downloads[1].retry_run_id, None);
    assert!(
        downloads[1]
            .message
            .contains("2 failed downloads of this album in a row: not retrying"),
        "{}",
        downloads[1].message
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let later = app
        .workflows
        .store
        .album_downloads(&AlbumId::parse(ALBUM).unwrap())
        .await
        .unwrap();
    assert_eq!(later.len(), 2, "no third grab");
    app.stop().await;
}

async fn owned_is_what_the_library_holds(backend: Backend) {
    let work = tempfile::tempdir().unwrap();
    let library = work.path().join("library");
    // Placed before the service starts: tagged with the release-group id
    // (the album tag differs: the id is what identifies it).
    let folder = library.join("Artist/Album (2020)");
    let id_tag = format!("MUSICBRAINZ_RELEASEGROUPID={ALBUM}");
    tagged_flac_tracks(&folder, 3, 1, "Track", &[id_tag.as_str()]);
    let (app, fake, _client) = app_with(
        backend,
        vec![the_right_release()],
        FileClient::default(),
        &library,
        |_| {},
    )
    .await;
    let owned = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(owned.result().status(), pb::WorkflowStatus::AlreadyOwned);
    assert!(
        owned
            .result()
            .message
            .contains("in your library at Artist/Album (2020) (FLAC 16-bit 44.1 kHz)"),
        "{}",
        owned.result().message
    );
    assert_eq!(
        fake.searches.load(Ordering::SeqCst),
        0,
        "no indexer was asked"
    );
    // Owned at lossless is not owned at hires.
    let hires = app
        .watch_to_end(start(ALBUM, pb::Quality::LosslessHires))
        .await;
    assert_ne!(hires.result().status(), pb::WorkflowStatus::AlreadyOwned);

    // The folder deleted: wanted again; the grab stays at 45 % (this client
    // has no files for it), so asking again says it is downloading.
    std::fs::remove_dir_all(&folder).unwrap();
    let wanted = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(
        wanted.result().status(),
        pb::WorkflowStatus::Complete,
        "{}",
        wanted.result().message
    );
    downloads_until(&app, "downloading", |d| {
        d.iter().any(|d| d.state == DownloadState::Downloading)
    })
    .await;
    let downloading = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(
        downloading.result().status(),
        pb::WorkflowStatus::AlreadyOwned
    );
    assert!(
        downloading.result().message.contains("downloading, 45 %"),
        "{}",
        downloading.result().message
    );
    assert!(downloading.result().download.is_some());
    app.stop().await;
}

async fn only_the_whole_album_under_its_own_id_is_owned_and_a_deleted_one_comes_back(
    backend: Backend,
) {
    let work = tempfile::tempdir().unwrap();
    let library = work.path().join("library");
    // Same artist and title, but tagged as another release group; and one
    // stray track of the album elsewhere: neither is the album.
    let other = "0f0f0f0f-0000-4000-8000-000000000000";
    tagged_flac_tracks(
        &library.join("Artist/Album (1999)"),
        3,
        1,
        "Track",
        &[format!("MUSICBRAINZ_RELEASEGROUPID={other}").as_str()],
    );
    tagged_flac_tracks(&library.join("Artist/Singles"), 1, 1, "Track", &[]);
    let client = serving_the_right_album(work.path());
    let (app, fake, _client) =
        app_with(backend, vec![the_right_release()], client, &library, |_| {}).await;
    let first = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(
        first.result().status(),
        pb::WorkflowStatus::Complete,
        "{}",
        first.result().message
    );
    assert_eq!(fake.searches.load(Ordering::SeqCst), 1);
    let imported = downloads_until(&app, "imported", |d| {
        d.first()
            .is_some_and(|d| d.state == DownloadState::Imported)
    })
    .await;
    let folder = PathBuf::from(imported[0].library_path.clone().unwrap());
    assert_eq!(folder, library.join("Artist/Album (2020)"));
    let owned = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(owned.result().status(), pb::WorkflowStatus::AlreadyOwned);

    // Deleted: wanted again, and the same release may be fetched again.
    std::fs::remove_dir_all(&folder).unwrap();
    let again = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(
        again.result().status(),
        pb::WorkflowStatus::Complete,
        "{}",
        again.result().message
    );
    assert_eq!(
        again.result().selected_release.as_ref().unwrap().info_hash,
        HASH_GOOD
    );
    let twice = downloads_until(&app, "imported again", |d| {
        d.len() == 2 && d[1].state == DownloadState::Imported
    })
    .await;
    assert_eq!(twice[1].library_path, imported[0].library_path);
    assert!(folder.join("01 - Track 1.flac").is_file());
    app.stop().await;
}

/// The stall clock runs only while the client works on the torrent: paused
/// or queued for longer than `stalled_timeout` is fine; stalled is not.
async fn only_time_the_client_works_on_a_torrent_counts_as_stalled(backend: Backend) {
    let work = tempfile::tempdir().unwrap();
    let client = FileClient {
        others: Mutex::new(Some(ClientState::Paused)),
        ..Default::default()
    };
    let (app, _fake, client) = app_with(
        backend,
        vec![the_right_release()],
        client,
        &work.path().join("library"),
        |c| c.downloads.stalled_timeout = Seconds(2),
    )
    .await;
    app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    for state in [ClientState::Paused, ClientState::Queued] {
        *client.others.lock().unwrap() = Some(state);
        tokio::time::sleep(Duration::from_secs(4)).await;
        let d = downloads_until(&app, "followed", |d| !d.is_empty()).await;
        assert_eq!(
            d[0].state,
            DownloadState::Queued,
            "{state:?}: {}",
            d[0].message
        );
    }
    *client.others.lock().unwrap() = Some(ClientState::Stalled);
    let failed = downloads_until(&app, "stalled, then failed", |d| {
        d.first().is_some_and(|d| d.state == DownloadState::Failed)
    })
    .await;
    assert!(
        failed[0].message.contains("no progress for"),
        "{}",
        failed[0].message
    );
    assert!(failed[0].blocklisted);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_time_the_client_works_on_a_torrent_counts_as_stalled_on_postgres() {
    only_time_the_client_works_on_a_torrent_counts_as_stalled(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_time_the_client_works_on_a_torrent_counts_as_stalled_on_sqlite() {
    only_time_the_client_works_on_a_torrent_counts_as_stalled(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_whole_album_under_its_own_id_is_owned_and_a_deleted_one_comes_back_on_postgres() {
    only_the_whole_album_under_its_own_id_is_owned_and_a_deleted_one_comes_back(Backend::Postgres)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_whole_album_under_its_own_id_is_owned_and_a_deleted_one_comes_back_on_sqlite() {
    only_the_whole_album_under_its_own_id_is_owned_and_a_deleted_one_comes_back(Backend::Sqlite)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn releases_that_are_not_what_they_say_are_refused_and_retried_on_postgres() {
    releases_that_are_not_what_they_say_are_refused_and_retried(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn releases_that_are_not_what_they_say_are_refused_and_retried_on_sqlite() {
    releases_that_are_not_what_they_say_are_refused_and_retried(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_max_retries_the_album_is_left_alone_on_postgres() {
    after_max_retries_the_album_is_left_alone(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_max_retries_the_album_is_left_alone_on_sqlite() {
    after_max_retries_the_album_is_left_alone(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owned_is_what_the_library_holds_on_postgres() {
    owned_is_what_the_library_holds(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owned_is_what_the_library_holds_on_sqlite() {
    owned_is_what_the_library_holds(Backend::Sqlite).await;
}

/// A watcher that does not read for a while falls behind the live bus
/// (256 events); it catches up from the store: every update once, in order.
async fn a_lagging_download_watcher_gets_every_update_once(backend: Backend) {
    let work = tempfile::tempdir().unwrap();
    let (app, _fake, _client) = app_with(
        backend,
        Vec::new(),
        FileClient::default(),
        &work.path().join("library"),
        |c| c.downloads.poll_interval = Seconds(3600),
    )
    .await;
    let key = musicagg::model::WorkflowKey {
        album_id: AlbumId::parse(ALBUM).unwrap(),
        quality: musicagg::model::Quality::Lossless,
    };
    let run_id = musicagg::model::RunId::new();
    app.workflows.store.create_run(run_id, &key).await.unwrap();
    let log = &app.workflows.downloads;
    let mut d = log
        .create(&musicagg::store::NewDownload {
            run_id,
            key,
            info_hash: HASH_GOOD.into(),
            magnet_uri: format!("magnet:?xt=urn:btih:{HASH_GOOD}"),
            torrent_file: None,
            title: "Artist - Album (2020) [FLAC]".into(),
            size_bytes: None,
            indexer: "idx".into(),
            parsed_quality: "FLAC".into(),
            client: "file-client".into(),
        })
        .await
        .unwrap();
    let mut client = app.client().await;
    let mut stream = client
        .watch_downloads(pb::WatchDownloadsRequest {
            album_id: ALBUM.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    // 600 changes while the watcher reads nothing.
    d.state = DownloadState::Downloading;
    for n in 1..=600 {
        d.progress = f64::from(n) / 1000.0;
        d.message = format!("change {n}");
        log.save(&mut d, true).await.unwrap();
    }
    let mut seqs = Vec::new();
    while seqs.len() < 601 {
        let update = crate::harness::within("updates", stream.message())
            .await
            .unwrap()
            .unwrap();
        seqs.push(update.seq);
    }
    let stored: Vec<i64> = app
        .workflows
        .store
        .download_events_after(&musicagg::store::DownloadFilter::default(), 0, 1000)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, stored, "every stored update, once, in order");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_download_watcher_gets_every_update_once_on_postgres() {
    a_lagging_download_watcher_gets_every_update_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_download_watcher_gets_every_update_once_on_sqlite() {
    a_lagging_download_watcher_gets_every_update_once(Backend::Sqlite).await;
}

/// Without `[library] path`: followed to COMPLETED and left in the client;
/// owned while it is there; a watch of it ends at COMPLETED.
async fn without_a_library_a_download_ends_completed(backend: Backend) {
    let work = tempfile::tempdir().unwrap();
    let client = serving_the_right_album(work.path());
    let (app, _fake, client) = app_with(
        backend,
        vec![the_right_release()],
        client,
        Path::new("/unused"),
        |c| c.library.path = None,
    )
    .await;
    let run = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    let download_id = run.result().download.as_ref().unwrap().id.clone();
    let mut grpc = app.client().await;
    let updates = crate::e2e::watch_all(
        &mut grpc,
        pb::WatchDownloadsRequest {
            download_id,
            ..Default::default()
        },
    )
    .await;
    let last = updates.last().unwrap().download.as_ref().unwrap();
    assert_eq!(last.state(), pb::DownloadState::Completed);
    assert!(
        last.message.contains("no [library] path"),
        "{}",
        last.message
    );
    assert!(
        client.removed.lock().unwrap().is_empty(),
        "left in the client"
    );
    let again = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(again.result().status(), pb::WorkflowStatus::AlreadyOwned);
    assert!(
        again.result().message.contains("downloaded"),
        "{}",
        again.result().message
    );
    // Stays COMPLETED poll after poll.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let d = downloads_until(&app, "still completed", |d| !d.is_empty()).await;
    assert_eq!(d[0].state, DownloadState::Completed);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_library_a_download_ends_completed_on_postgres() {
    without_a_library_a_download_ends_completed(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_library_a_download_ends_completed_on_sqlite() {
    without_a_library_a_download_ends_completed(Backend::Sqlite).await;
}
