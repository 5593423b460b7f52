//! A real transmission-daemon for tests: its own config folder with a
//! `settings.json`, free loopback RPC and peer ports, RPC authentication
//! with known credentials, only 127.0.0.1 allowed, and DHT, local peer
//! discovery, PeX, µTP, the blocklist and port forwarding off (nothing leaves
//! the machine; peers come only from the test). Stopped by its pid when the
//! test ends, pass or fail.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use musicagg::config::TransmissionConfig;
use musicagg::torrent_client::Transmission;

use crate::qbt::{free_port, require};

pub const USER: &str = "musicagg";
pub const PASSWORD: &str = "transmission-horse-battery";

pub struct Trd {
    /// The RPC endpoint, `http://127.0.0.1:PORT/transmission/rpc`.
    pub url: String,
    /// The BitTorrent port (peers connect here).
    pub peer_port: u16,
    /// Where it saves torrents (its `download-dir`).
    pub downloads: PathBuf,
    pub home: tempfile::TempDir,
    child: Option<Child>,
}

impl Trd {
    pub async fn start() -> Self {
        require("transmission-daemon", "transmission-daemon");
        let home = tempfile::tempdir().expect("daemon folder");
        let config_dir = home.path().join("config");
        let downloads = home.path().join("downloads");
        std::fs::create_dir_all(&config_dir).expect("config folder");
        std::fs::create_dir_all(&downloads).expect("downloads folder");
        let rpc_port = free_port();
        let peer_port = free_port();
        let settings = serde_json::json!({
            "rpc-enabled": true,
            "rpc-bind-address": "127.0.0.1",
            "rpc-port": rpc_port,
            "rpc-url": "/transmission/",
            "rpc-authentication-required": true,
            "rpc-username": USER,
            // Plain text here; the daemon stores its hash on exit.
            "rpc-password": PASSWORD,
            "rpc-whitelist-enabled": true,
            "rpc-whitelist": "127.0.0.1",
            "rpc-host-whitelist-enabled": true,
            "anti-brute-force-enabled": false,
            "bind-address-ipv4": "127.0.0.1",
            "peer-port": peer_port,
            "peer-port-random-on-start": false,
            "port-forwarding-enabled": false,
            "dht-enabled": false,
            "lpd-enabled": false,
            "pex-enabled": false,
            "utp-enabled": false,
            "blocklist-enabled": false,
            "download-dir": downloads,
            "incomplete-dir-enabled": false,
            "rename-partial-files": false,
            "start-added-torrents": true,
            "download-queue-enabled": false,
            "seed-queue-enabled": false,
            "speed-limit-down-enabled": false,
            "speed-limit-up-enabled": false,
            "ratio-limit-enabled": false,
            "encryption": 1,
            "message-level": 2,
            "watch-dir-enabled": false,
            "cache-size-mb": 4,
        });
        std::fs::write(
            config_dir.join("settings.json"),
            serde_json::to_vec_pretty(&settings).expect("settings"),
        )
        .expect("write settings.json");
        let log = std::fs::File::create(home.path().join("daemon.out")).expect("log file");
        let child = Command::new("transmission-daemon")
            .arg("--foreground")
            .arg("--config-dir")
            .arg(&config_dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start transmission-daemon");
        let mut trd = Self {
            url: format!("http://127.0.0.1:{rpc_port}/transmission/rpc"),
            peer_port,
            downloads,
            home,
            child: Some(child),
        };
        trd.wait_ready().await;
        trd
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "transmission-daemon exited early ({status}): {}",
                    self.log()
                );
            }
            let answer = self.client().session().await.map(|s| s.rpc_version);
            if answer.is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "transmission-daemon did not answer ({answer:?}): {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.home.path().join("daemon.out")).unwrap_or_default()
    }

    pub fn config(&self, password: &str) -> TransmissionConfig {
        TransmissionConfig {
            url: self.url.clone(),
            username: Some(USER.into()),
            password: Some(password.to_owned().into()),
            download_dir: None,
            labels: vec!["musicagg".into()],
        }
    }

    pub fn client(&self) -> Transmission {
        Transmission::new(&self.config(PASSWORD)).expect("client")
    }

    /// The `[transmission]` section of a service's configuration.
    pub fn toml(&self) -> String {
        format!(
            "\n[transmission]\nurl = \"{}\"\nusername = \"{USER}\"\npassword = \"{PASSWORD}\"\n",
            self.url
        )
    }
}

impl Drop for Trd {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Makes the seeding qBittorrent connect to the daemon: transmission-daemon
/// 3.00 ignores peers a tracker hands out at 127.0.0.x, so on loopback the
/// seeder has to call it (WebUI `torrents/addPeers`). True when qBittorrent
/// took the peer (it has the torrent).
pub async fn seeder_calls(seeder: &crate::qbt::Qbt, hash: &str, trd: &Trd) -> bool {
    let peer = format!("127.0.0.1:{}", trd.peer_port);
    seeder_webui(seeder, "addPeers", &[("hashes", hash), ("peers", &peer)]).await
}

/// The seeder forgets the torrent (keeping its files) and seeds it afresh
/// from `torrent`, with an empty peer list: after transmission-daemon
/// dropped it (as it does when a magnet's metadata has arrived), the
/// seeder's peer list keeps it as a peer not to dial again, and neither
/// `addPeers` nor a stop and start changes that.
pub async fn seeder_readds(
    seeder: &crate::qbt::Qbt,
    source: &std::path::Path,
    torrent: Vec<u8>,
    hash: &str,
) {
    use musicagg::torrent_client::TorrentClient;
    assert!(
        seeder_webui(
            seeder,
            "delete",
            &[("hashes", hash), ("deleteFiles", "false")]
        )
        .await
    );
    let client = musicagg::torrent_client::Qbittorrent::new(&musicagg::config::QbittorrentConfig {
        save_path: Some(source.display().to_string()),
        ..seeder.config(crate::qbt::PASSWORD)
    })
    .expect("client");
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.contains(hash).await.expect("seeder") {
        assert!(Instant::now() < deadline, "the seeder keeps the torrent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seeded = musicagg::magnet::ResolvedTorrent {
        info_hash: hash.to_owned(),
        torrent_file: Some(torrent),
        ..Default::default()
    };
    client
        .add(musicagg::torrent_client::AddRequest {
            torrent: &seeded,
            run_id: musicagg::model::RunId::new(),
            name: hash,
        })
        .await
        .expect("re-seed");
    loop {
        let state = client.torrents(&[hash]).await.expect("seeder");
        if state.first().is_some_and(|t| t.progress >= 1.0) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the seeder never rechecked {hash}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn seeder_webui(seeder: &crate::qbt::Qbt, call: &str, form: &[(&str, &str)]) -> bool {
    let http = musicagg::http::client_builder("musicagg-tests", Duration::from_secs(5), false)
        .cookie_store(true)
        .build()
        .expect("HTTP client");
    let login = http
        .post(format!("{}/api/v2/auth/login", seeder.url))
        .form(&[
            ("username", crate::qbt::USER),
            ("password", crate::qbt::PASSWORD),
        ])
        .send()
        .await;
    if login.is_err() {
        return false;
    }
    http.post(format!("{}/api/v2/torrents/{call}", seeder.url))
        .form(form)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}
