//! The real scene of the download tests: a tagged album of real FLAC files,
//! a .torrent of it, one qbittorrent-nox seeding it (with its embedded
//! tracker), a second one as the service's client, and fakes speaking
//! MusicBrainz and Jackett. Shared by `e2e` and `downloads`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use musicagg::model::RunId;
use musicagg::torrent_client::{AddRequest, Qbittorrent, TorrentClient};

use crate::fake_musicbrainz::{FakeMusicBrainz, simple_album, track};
use crate::fake_torznab::FakeIndexer;
use crate::qbt::{PASSWORD, Qbt, QbtOptions, USER, free_port, require};
use crate::stream::ALBUM;

pub const ALBUM_NAME: &str = "Artist - Album (2020) [FLAC]";
pub const TRACKS: u32 = 3;

fn run(command: &mut Command, what: &str) {
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(status.success(), "{what} failed");
}

/// `seconds` of pink noise (it compresses like music) as a WAV file.
fn noise(wav: &Path, seconds: u32, rate: u32, bits: u32) {
    require("sox", "sox");
    run(
        Command::new("sox")
            .args([
                "-q",
                "-n",
                "-r",
                &rate.to_string(),
                "-c",
                "2",
                "-b",
                &bits.to_string(),
            ])
            .arg(wav)
            .args(["synth", &seconds.to_string(), "pinknoise", "vol", "0.5"]),
        "sox",
    );
}

/// Tracks `1..=tracks` of "Artist - Album" as tagged FLAC files
/// `0N - Song N.flac` in `dir`.
pub fn flac_tracks(dir: &Path, tracks: u32, seconds: u32) {
    tagged_flac_tracks(dir, tracks, seconds, "Song", &[]);
}

/// FLAC tracks titled `{title} N`, with more `TAG=value` tags.
pub fn tagged_flac_tracks(dir: &Path, tracks: u32, seconds: u32, title: &str, tags: &[&str]) {
    require("flac", "flac");
    std::fs::create_dir_all(dir).unwrap();
    for n in 1..=tracks {
        let wav = dir.join(format!(".track{n}.wav"));
        noise(&wav, seconds, 44_100, 16);
        let mut command = Command::new("flac");
        command
            .args(["-s", "-f", "-T", "ARTIST=Artist", "-T", "ALBUM=Album"])
            .args([
                "-T",
                &format!("TITLE={title} {n}"),
                "-T",
                &format!("TRACKNUMBER={n}"),
            ])
            .args(["-T", "DATE=2020"]);
        for tag in tags {
            command.args(["-T", tag]);
        }
        run(
            command
                .arg("-o")
                .arg(dir.join(format!("0{n} - {title} {n}.flac")))
                .arg(&wav),
            "flac",
        );
        std::fs::remove_file(wav).unwrap();
    }
}

/// MP3 CBR 320 files `0N - {title} N.mp3`.
pub fn mp3_tracks(dir: &Path, tracks: u32, seconds: u32, title: &str) {
    require("lame", "lame");
    std::fs::create_dir_all(dir).unwrap();
    for n in 1..=tracks {
        let wav = dir.join(format!(".track{n}.wav"));
        noise(&wav, seconds, 44_100, 16);
        run(
            Command::new("lame")
                .args(["--quiet", "-b", "320", "--ta", "Artist", "--tl", "Album"])
                .args([
                    "--tt",
                    &format!("{title} {n}"),
                    "--tn",
                    &n.to_string(),
                    "--ty",
                    "2020",
                ])
                .arg(&wav)
                .arg(dir.join(format!("0{n} - {title} {n}.mp3"))),
            "lame",
        );
        std::fs::remove_file(wav).unwrap();
    }
}

/// A .torrent of `parent/name` announcing to `tracker`.
pub fn make_torrent(parent: &Path, name: &str, tracker: &str) -> Vec<u8> {
    require("mktorrent", "mktorrent");
    let out = parent.join(format!("{name}.torrent"));
    run(
        Command::new("mktorrent")
            .current_dir(parent)
            .args(["-l", "15", "-a", tracker, "-o"])
            .arg(&out)
            .arg(name),
        "mktorrent",
    );
    std::fs::read(out).unwrap()
}

pub fn folder_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum()
}

#[derive(Default)]
pub struct SceneOptions {
    /// Seconds per track (3 by default).
    pub seconds: u32,
    /// A slow seeder (KiB/s), to catch the download midway.
    pub upload_limit_kib: Option<u32>,
    /// The service's client writes to a folder only it can see at this path
    /// (bind mounted from `<work>/host-downloads`).
    pub client_view: bool,
}

pub struct Scene {
    pub work: tempfile::TempDir,
    /// The seeder's copy of the album.
    pub album_dir: PathBuf,
    pub hash: String,
    pub tracker: String,
    /// Kept alive for the test's length (it seeds the album).
    pub _seeder: Qbt,
    /// The service's torrent client.
    pub leecher: Qbt,
    pub musicbrainz: FakeMusicBrainz,
    pub indexer: FakeIndexer,
    pub library: PathBuf,
    /// Where the leecher's files are for this machine (with `client_view`:
    /// the host side of its mount).
    pub leecher_files: PathBuf,
}

impl Scene {
    pub async fn start(options: SceneOptions) -> Self {
        let work = tempfile::tempdir().unwrap();
        let source = work.path().join("seed");
        let album_dir = source.join(ALBUM_NAME);
        let seconds = if options.seconds == 0 {
            3
        } else {
            options.seconds
        };
        flac_tracks(&album_dir, TRACKS, seconds);
        let tracker_port = free_port();
        let tracker = format!("http://127.0.0.1:{tracker_port}/announce");
        let torrent = make_torrent(&source, ALBUM_NAME, &tracker);
        let hash = musicagg::magnet::parse_torrent(&torrent).unwrap().info_hash;

        let seeder = Qbt::start(QbtOptions {
            download_dir: Some(source.clone()),
            tracker_port: Some(tracker_port),
            upload_limit_kib: options.upload_limit_kib,
            ..Default::default()
        })
        .await;
        seed(&seeder, &source, torrent, &hash).await;

        let (leecher, leecher_files) = if options.client_view {
            let host = work.path().join("host-downloads");
            let view = work.path().join("client-downloads");
            let leecher = Qbt::start(QbtOptions {
                download_dir: Some(view.clone()),
                bind_mount: Some((host.clone(), view)),
                ..Default::default()
            })
            .await;
            (leecher, host)
        } else {
            let leecher = Qbt::start(QbtOptions::default()).await;
            let files = leecher.downloads.clone();
            (leecher, files)
        };

        let musicbrainz = FakeMusicBrainz::start().await;
        let mut fixture = simple_album(ALBUM, "Artist", "Album", TRACKS);
        for details in fixture.details.values_mut() {
            details["media"][0]["tracks"] = serde_json::json!(
                (1..=TRACKS)
                    .map(|n| track(
                        n,
                        &n.to_string(),
                        &format!("Song {n}"),
                        Some(u64::from(seconds) * 1000)
                    ))
                    .collect::<Vec<_>>()
            );
        }
        musicbrainz.add(ALBUM, fixture);
        let indexer = FakeIndexer::jackett("tracker").await;
        indexer.caps("jackett-caps-q-only.xml").await;
        let library = work.path().join("library");
        Self {
            work,
            album_dir,
            hash,
            tracker,
            _seeder: seeder,
            leecher,
            musicbrainz,
            indexer,
            library,
            leecher_files,
        }
    }

    /// Another release of the album, seeded too: `fill` writes its files
    /// into the folder `name`. Returns its info hash.
    pub async fn seed_another(&self, name: &str, fill: impl FnOnce(&Path)) -> String {
        let source = self.album_dir.parent().unwrap().to_path_buf();
        fill(&source.join(name));
        let torrent = make_torrent(&source, name, &self.tracker);
        let hash = musicagg::magnet::parse_torrent(&torrent).unwrap().info_hash;
        seed(&self._seeder, &source, torrent, &hash).await;
        hash
    }

    /// The seed's feed (decoys and the right release) on the indexer, its
    /// `/dl/` links answering with the album's magnet.
    pub async fn offer_the_seed_scene(&self) {
        let size = folder_size(&self.album_dir);
        let feed = crate::fake_torznab::decoys_and_the_right_release(
            &self.indexer.base(),
            ALBUM_NAME,
            size,
        );
        self.indexer
            .on("search", crate::fake_torznab::xml(200, feed))
            .await;
        self.indexer
            .download_redirects_to(&self.magnet(&self.hash))
            .await;
    }

    /// A magnet of `hash` announcing to the scene's tracker.
    pub fn magnet(&self, hash: &str) -> String {
        format!(
            "magnet:?xt=urn:btih:{hash}&dn={}&tr={}",
            url::form_urlencoded::byte_serialize(ALBUM_NAME.as_bytes()).collect::<String>(),
            url::form_urlencoded::byte_serialize(self.tracker.as_bytes()).collect::<String>()
        )
    }

    /// The service's configuration: the fakes, the leecher, the library,
    /// a one-second poll; `extra` is appended (more TOML).
    pub fn config(&self, database_url: &str, extra: &str) -> String {
        format!(
            "database_url = \"{database_url}\"\n\n[musicbrainz]\nbase_url = \"{}\"\n\n\
             [[indexers]]\nname = \"jackett\"\nurl = \"{}\"\napi_key = \"{}\"\n\n\
             [qbittorrent]\nurl = \"{}\"\nusername = \"{USER}\"\npassword = \"{PASSWORD}\"\ncategory = \"music\"\n\n\
             [library]\npath = \"{}\"\n\n[downloads]\npoll_interval = 1\n{extra}",
            self.musicbrainz.base_url(),
            self.indexer.url(),
            self.indexer.api_key,
            self.leecher.url,
            self.library.display(),
        )
    }
}

/// Adds a torrent of files already in `source` to the seeder and waits until
/// it has checked them (it seeds from then on).
async fn seed(seeder: &Qbt, source: &Path, torrent: Vec<u8>, hash: &str) {
    let seeder_client = Qbittorrent::new(&musicagg::config::QbittorrentConfig {
        save_path: Some(source.display().to_string()),
        ..seeder.config(PASSWORD)
    })
    .unwrap();
    let seeded = musicagg::magnet::ResolvedTorrent {
        info_hash: hash.to_owned(),
        torrent_file: Some(torrent),
        ..Default::default()
    };
    seeder_client
        .add(AddRequest {
            torrent: &seeded,
            run_id: RunId::new(),
            name: hash,
        })
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let state = seeder_client.torrents(&[hash]).await.unwrap();
        if state.first().is_some_and(|t| t.progress >= 1.0) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the seeder never checked {hash}: {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// "IMPORTED" for `DOWNLOAD_STATE_IMPORTED` (as the CLI prints it).
pub fn state_name(value: i32) -> String {
    musicagg::proto::v1::DownloadState::try_from(value)
        .map(|s| {
            s.as_str_name()
                .trim_start_matches("DOWNLOAD_STATE_")
                .to_owned()
        })
        .unwrap_or_default()
}
