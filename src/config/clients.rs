//! `[transmission]` and the top-level `torrent_client`: which torrent client
//! grabs when more than one is configured.
//!
//! With one client section that client grabs; with both, `torrent_client`
//! must say which (a silent default would send albums to a client the user
//! may not be watching); naming a client whose section is missing is an
//! error too.

use secrecy::SecretString;
use serde::Deserialize;

use super::{Config, ConfigError};

/// `torrent_client = "qbittorrent" | "transmission"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TorrentClientKind {
    Qbittorrent,
    Transmission,
}

impl TorrentClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TorrentClientKind::Qbittorrent => "qbittorrent",
            TorrentClientKind::Transmission => "transmission",
        }
    }
}

/// `[transmission]`: Transmission's RPC (2.x to 4.x).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransmissionConfig {
    /// The RPC endpoint, e.g. `http://127.0.0.1:9091/transmission/rpc`; a
    /// URL without a path gets `/transmission/rpc`.
    pub url: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default, deserialize_with = "super::values::secret")]
    pub password: Option<SecretString>,
    /// Where the daemon saves our torrents (an absolute path on the
    /// daemon's machine); default: the daemon's own `download-dir`.
    #[serde(default)]
    pub download_dir: Option<String>,
    /// Labels put on every torrent we add (beside `run-<id>`): Transmission's
    /// stand-in for qBittorrent's category and tags.
    #[serde(default = "default_labels")]
    pub labels: Vec<String>,
}

fn default_labels() -> Vec<String> {
    vec!["musicagg".into()]
}

impl Config {
    /// The client that grabs, or `None` when no client is configured.
    pub fn torrent_client_kind(&self) -> Result<Option<TorrentClientKind>, ConfigError> {
        use TorrentClientKind::*;
        let has = |kind| match kind {
            Qbittorrent => self.qbittorrent.is_some(),
            Transmission => self.transmission.is_some(),
        };
        match self.torrent_client {
            Some(kind) if has(kind) => Ok(Some(kind)),
            Some(kind) => Err(ConfigError::Invalid(format!(
                "torrent_client = \"{0}\" but there is no [{0}] section",
                kind.as_str()
            ))),
            None => match (has(Qbittorrent), has(Transmission)) {
                (true, true) => Err(ConfigError::Invalid(
                    "both [qbittorrent] and [transmission] are configured: set torrent_client = \
                     \"qbittorrent\" or \"transmission\" to say which one grabs"
                        .into(),
                )),
                (true, false) => Ok(Some(Qbittorrent)),
                (false, true) => Ok(Some(Transmission)),
                (false, false) => Ok(None),
            },
        }
    }

    pub(super) fn validate_clients(&self) -> Result<(), ConfigError> {
        self.torrent_client_kind()?;
        if let Some(transmission) = &self.transmission {
            if transmission.url.trim().is_empty() {
                return Err(ConfigError::Invalid("transmission.url must be set".into()));
            }
            // Transmission refuses such labels; better said at start-up
            // than at the first grab.
            if let Some(bad) = transmission
                .labels
                .iter()
                .find(|l| l.trim().is_empty() || l.contains(','))
            {
                return Err(ConfigError::Invalid(format!(
                    "transmission.labels: {bad:?} is not a label (labels may not be empty or \
                     contain a comma)"
                )));
            }
            if let Some(dir) = &transmission.download_dir
                && !is_absolute_anywhere(dir)
            {
                return Err(ConfigError::Invalid(format!(
                    "transmission.download_dir {dir:?} must be an absolute path (on the \
                     daemon's machine)"
                )));
            }
        }
        Ok(())
    }
}

/// Absolute on the daemon's machine, which may not be this one: `/srv/…`,
/// or `C:/…` / `C:\…` for a daemon on Windows.
fn is_absolute_anywhere(path: &str) -> bool {
    let bytes = path.as_bytes();
    path.starts_with('/')
        || (bytes.len() >= 3
            && bytes[0].is_ascii_alphabetic()
            && bytes[1] == b':'
            && matches!(bytes[2], b'/' | b'\\'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::result_large_err)] // figment's Jail closures return figment::Error

    use super::*;
    use figment::Jail;

    fn load(toml: &str) -> Result<Config, String> {
        let mut out = Err(String::new());
        Jail::expect_with(|jail| {
            jail.create_file("musicagg.toml", toml)?;
            out = Config::load(None).map_err(|e| e.to_string());
            Ok(())
        });
        out
    }

    const QBT: &str = "[qbittorrent]\nurl = \"http://127.0.0.1:8080\"\n";
    const TR: &str = "[transmission]\nurl = \"http://127.0.0.1:9091\"\npassword = \"s3cret\"\n";

    #[test]
    fn one_client_grabs_and_two_need_a_choice() {
        let only_tr = load(TR).unwrap();
        assert_eq!(
            only_tr.torrent_client_kind().unwrap(),
            Some(TorrentClientKind::Transmission)
        );
        let tr = only_tr.transmission.unwrap();
        assert_eq!(tr.labels, ["musicagg"]);
        assert_eq!(tr.download_dir, None);
        assert_eq!(
            load(QBT).unwrap().torrent_client_kind().unwrap(),
            Some(TorrentClientKind::Qbittorrent)
        );
        assert_eq!(load("").unwrap().torrent_client_kind().unwrap(), None);

        let both = load(&format!("{QBT}{TR}")).unwrap_err();
        assert!(both.contains("set torrent_client"), "{both}");
        let chosen = load(&format!("torrent_client = \"transmission\"\n{QBT}{TR}")).unwrap();
        assert_eq!(
            chosen.torrent_client_kind().unwrap(),
            Some(TorrentClientKind::Transmission)
        );
        let missing = load(&format!("torrent_client = \"transmission\"\n{QBT}")).unwrap_err();
        assert!(missing.contains("no [transmission] section"), "{missing}");
        let typo = load(&format!("torrent_client = \"deluge\"\n{QBT}")).unwrap_err();
        assert!(typo.contains("torrent_client"), "{typo}");
    }

    #[test]
    fn the_environment_chooses_and_bad_values_are_named() {
        Jail::expect_with(|jail| {
            jail.create_file("musicagg.toml", &format!("{QBT}{TR}"))?;
            jail.set_env("MUSICAGG_TORRENT_CLIENT", "qbittorrent");
            jail.set_env("MUSICAGG_TRANSMISSION__PASSWORD", "424242");
            jail.set_env("MUSICAGG_TRANSMISSION__DOWNLOAD_DIR", "/srv/music");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(
                config.torrent_client_kind().map_err(|e| e.to_string())?,
                Some(TorrentClientKind::Qbittorrent)
            );
            let tr = config.transmission.expect("section");
            assert_eq!(tr.download_dir.as_deref(), Some("/srv/music"));
            assert_eq!(
                tr.password
                    .map(|p| secrecy::ExposeSecret::expose_secret(&p).to_owned()),
                Some("424242".into())
            );
            Ok(())
        });
        let comma = load(&format!("{TR}labels = [\"a,b\"]\n")).unwrap_err();
        assert!(comma.contains("transmission.labels"), "{comma}");
        let relative = load(&format!("{TR}download_dir = \"music\"\n")).unwrap_err();
        assert!(relative.contains("absolute"), "{relative}");
        let windows = load(&format!("{TR}download_dir = \"D:/Music\"\n")).unwrap();
        assert_eq!(
            windows.transmission.and_then(|t| t.download_dir).as_deref(),
            Some("D:/Music")
        );
        let secret =
            load("[transmission]\nurl = \"http://x\"\npassword = [\"hunter2\"]\n").unwrap_err();
        assert!(!secret.contains("hunter2"), "{secret}");
        let debug = format!("{:?}", load(TR).unwrap().transmission);
        assert!(!debug.contains("s3cret"), "{debug}");
    }
}
