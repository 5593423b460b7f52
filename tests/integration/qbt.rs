//! A real qbittorrent-nox for tests: a private profile in a temporary folder,
//! free loopback ports, DHT/PeX/LSD/UPnP off, known credentials (stored as the
//! PBKDF2-SHA512 hash qBittorrent 4.5 expects). Stopped by its pid when the
//! test ends, pass or fail.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub const USER: &str = "admin";
pub const PASSWORD: &str = "correct-horse-battery";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Fails with what to install when a tool is missing.
pub fn require(tool: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "{tool} is not installed: run the tests with scripts/test.sh, which installs it \
         (apt-get install {package})"
    );
}

fn pbkdf2(password: &str) -> String {
    let salt = *uuid::Uuid::new_v4().as_bytes();
    let mut key = [0u8; 64];
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA512,
        std::num::NonZeroU32::new(100_000).expect("non-zero"),
        &salt,
        password.as_bytes(),
        &mut key,
    );
    format!(
        "@ByteArray({}:{})",
        STANDARD.encode(salt),
        STANDARD.encode(key)
    )
}

pub struct Qbt {
    pub url: String,
    /// The BitTorrent port (peers connect here).
    #[allow(dead_code)]
    pub listen_port: u16,
    #[allow(dead_code)]
    pub downloads: PathBuf,
    pub profile: tempfile::TempDir,
    child: Option<Child>,
}

#[derive(Default)]
pub struct QbtOptions {
    /// Serve files from here (a seeder), else `<profile>/downloads`.
    pub download_dir: Option<PathBuf>,
    /// Run qBittorrent's embedded tracker on this port.
    pub tracker_port: Option<u16>,
    /// Upload at most this many KiB/s (loopback included): a slow seeder.
    pub upload_limit_kib: Option<u32>,
    /// Run in a mount namespace of its own where `(host, view)` is bind
    /// mounted: it writes to `view`, which is an empty folder for everyone
    /// else, as a container's volume is (`download_dir` should be `view`).
    pub bind_mount: Option<(PathBuf, PathBuf)>,
}

impl Qbt {
    pub async fn start(options: QbtOptions) -> Self {
        require("qbittorrent-nox", "qbittorrent-nox");
        let profile = tempfile::tempdir().expect("profile folder");
        let webui = free_port();
        let listen = free_port();
        let downloads = options
            .download_dir
            .clone()
            .unwrap_or_else(|| profile.path().join("downloads"));
        std::fs::create_dir_all(&downloads).expect("downloads folder");
        let config_dir = profile.path().join("qBittorrent/config");
        std::fs::create_dir_all(&config_dir).expect("config folder");
        let (ignore_lan_limits, upload_limit) = match options.upload_limit_kib {
            Some(kib) => (false, kib),
            None => (true, 0),
        };
        let (tracker_enabled, tracker_port) = match options.tracker_port {
            Some(port) => (true, port),
            None => (false, 9000),
        };
        let config = format!(
            "[LegalNotice]\nAccepted=true\n\n\
             [BitTorrent]\nSession\\Port={listen}\nSession\\Interface=lo\nSession\\InterfaceName=lo\n\
             Session\\InterfaceAddress=127.0.0.1\nSession\\DHTEnabled=false\nSession\\PeXEnabled=false\n\
             Session\\LSDEnabled=false\nSession\\AnonymousMode=false\nSession\\MultiConnectionsPerIp=true\n\
             Session\\IgnoreLimitsOnLAN={ignore_lan_limits}\nSession\\GlobalUPSpeedLimit={upload_limit}\n\
             Session\\QueueingSystemEnabled=false\n\
             Session\\AddTrackersEnabled=false\nSession\\DefaultSavePath=\"{}\"\n\
             Session\\TempPathEnabled=false\nSession\\StopTrackerTimeout=1\nTrackerEnabled={tracker_enabled}\n\n\
             [Network]\nPortForwardingEnabled=false\n\n\
             [Preferences]\nAdvanced\\trackerPort={tracker_port}\nConnection\\ResolvePeerCountries=false\n\
             WebUI\\Enabled=true\nWebUI\\Address=127.0.0.1\nWebUI\\Port={webui}\nWebUI\\UseUPnP=false\n\
             WebUI\\Username={USER}\nWebUI\\Password_PBKDF2=\"{}\"\nWebUI\\LocalHostAuth=true\n\
             WebUI\\MaxAuthenticationFailCount=5\nWebUI\\CSRFProtection=true\nWebUI\\HostHeaderValidation=true\n",
            downloads.display(),
            pbkdf2(PASSWORD),
        );
        std::fs::write(config_dir.join("qBittorrent.conf"), config)
            .expect("write qBittorrent.conf");
        let log =
            std::fs::File::create(profile.path().join("qbittorrent-nox.out")).expect("log file");
        let mut command = match &options.bind_mount {
            None => Command::new("qbittorrent-nox"),
            Some((host, view)) => {
                require("unshare", "util-linux");
                std::fs::create_dir_all(host).expect("host folder");
                std::fs::create_dir_all(view).expect("view folder");
                let mut command = Command::new("unshare");
                command.args(["--mount", "--propagation", "private", "sh", "-c"]);
                command.arg(format!(
                    "mount --bind '{}' '{}' && exec qbittorrent-nox \"$@\"",
                    host.display(),
                    view.display()
                ));
                command.arg("qbittorrent-nox");
                command
            }
        };
        let child = command
            .arg(format!("--profile={}", profile.path().display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start qbittorrent-nox");
        let mut qbt = Self {
            url: format!("http://127.0.0.1:{webui}"),
            listen_port: listen,
            downloads,
            profile,
            child: Some(child),
        };
        qbt.wait_ready().await;
        qbt
    }

    async fn wait_ready(&mut self) {
        let http = musicagg::http::client_builder("musicagg-tests", Duration::from_secs(5), false)
            .build()
            .expect("HTTP client");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("qbittorrent-nox exited early ({status}): {}", self.log());
            }
            let login = http
                .post(format!("{}/api/v2/auth/login", self.url))
                .form(&[("username", USER), ("password", PASSWORD)])
                .send()
                .await;
            if let Ok(response) = login
                && response.text().await.unwrap_or_default() == "Ok."
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "qbittorrent-nox did not answer: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.profile.path().join("qbittorrent-nox.out")).unwrap_or_default()
    }

    pub fn config(&self, password: &str) -> musicagg::config::QbittorrentConfig {
        musicagg::config::QbittorrentConfig {
            url: self.url.clone(),
            username: Some(USER.into()),
            password: Some(password.to_owned().into()),
            category: "music".into(),
            save_path: None,
        }
    }

    pub fn client(&self) -> musicagg::torrent_client::Qbittorrent {
        musicagg::torrent_client::Qbittorrent::new(&self.config(PASSWORD)).expect("client")
    }
}

impl Drop for Qbt {
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

/// Makes a small album folder of fake FLAC files and a .torrent of it with
/// mktorrent; returns the .torrent bytes.
pub fn make_album_torrent(
    parent: &Path,
    name: &str,
    tracks: usize,
    private: bool,
    tracker: Option<&str>,
) -> Vec<u8> {
    require("mktorrent", "mktorrent");
    let album = parent.join(name);
    std::fs::create_dir_all(&album).expect("album folder");
    for i in 1..=tracks {
        // Distinct content per file, 40 KiB each.
        let data: Vec<u8> = (0..40 * 1024)
            .map(|b| ((b * 31 + i * 7) % 251) as u8)
            .collect();
        std::fs::write(album.join(format!("{i:02} - Track {i}.flac")), data).expect("track file");
    }
    let torrent = parent.join(format!("{name}.torrent"));
    let mut command = Command::new("mktorrent");
    command
        .current_dir(parent)
        .args(["-l", "15", "-o"])
        .arg(&torrent);
    if private {
        command.arg("-p");
    }
    if let Some(tracker) = tracker {
        command.args(["-a", tracker]);
    }
    let status = command
        .arg(name)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("mktorrent");
    assert!(status.success(), "mktorrent failed");
    std::fs::read(&torrent).expect("read .torrent")
}
