//! .torrent files: the v1 info hash (SHA-1 of the exact bytes of the `info`
//! dictionary, never re-encoded: a torrent with keys out of order would
//! otherwise hash differently from what its tracker and peers use), the
//! trackers, the private flag and the file list.

use librqbit_core::torrent_metainfo::torrent_from_bytes;

use super::ResolveError;

/// One file inside a torrent. The path comes from the torrent: it is only
/// ever read (to look inside before grabbing), never used to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TorrentFile {
    /// Components joined with `/`, invalid UTF-8 replaced.
    pub path: String,
    pub size: u64,
}

/// What we read from a .torrent.
#[derive(Debug, Clone, PartialEq)]
pub struct TorrentInfo {
    pub info_hash: String,
    pub name: Option<String>,
    pub trackers: Vec<String>,
    pub private: bool,
    pub files: Vec<TorrentFile>,
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn parse_torrent(bytes: &[u8]) -> Result<TorrentInfo, ResolveError> {
    let meta = torrent_from_bytes(bytes)
        .map_err(|e| ResolveError::Unavailable(format!("not a valid .torrent file: {e}")))?;
    let info = &meta.info.data;
    let name = info.name.as_ref().map(|n| text(n.as_ref()));
    let files = match &info.files {
        Some(files) => files
            .iter()
            .map(|f| TorrentFile {
                path: f
                    .path
                    .iter()
                    .map(|c| text(c.as_ref()))
                    .collect::<Vec<_>>()
                    .join("/"),
                size: f.length,
            })
            .collect(),
        None => vec![TorrentFile {
            path: name.clone().unwrap_or_default(),
            size: info.length.unwrap_or(0),
        }],
    };
    let mut trackers: Vec<String> = Vec::new();
    let announce = meta
        .announce
        .iter()
        .chain(meta.announce_list.iter().flatten());
    for tracker in announce {
        let tracker = text(tracker.as_ref());
        if !tracker.is_empty() && !trackers.contains(&tracker) {
            trackers.push(tracker);
        }
    }
    Ok(TorrentInfo {
        info_hash: meta.info_hash.as_string(),
        name,
        trackers,
        private: info.private,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal multi-file torrent, bencoded by hand, with the info
    /// dictionary's keys deliberately out of order.
    fn torrent(private: bool) -> (Vec<u8>, Vec<u8>) {
        let private = if private { "7:privatei1e" } else { "" };
        let info = format!(
            "d4:name5:Album5:filesld6:lengthi10e4:pathl5:Album9:01 a.flaceed6:lengthi20e4:pathl9:cover.jpgeee\
             12:piece lengthi32768e6:pieces20:aaaaaaaaaaaaaaaaaaaa{private}e"
        );
        let whole = format!("d8:announce27:http://127.0.0.1:1/announce4:info{info}e");
        (whole.into_bytes(), info.into_bytes())
    }

    #[test]
    fn the_info_hash_is_over_the_raw_info_bytes() {
        use sha1_smol_like::sha1_hex;
        let (bytes, info) = torrent(false);
        let parsed = parse_torrent(&bytes).unwrap();
        assert_eq!(parsed.info_hash, sha1_hex(&info));
        assert_eq!(parsed.name.as_deref(), Some("Album"));
        assert_eq!(
            parsed.trackers,
            vec!["http://127.0.0.1:1/announce".to_owned()]
        );
        assert!(!parsed.private);
        assert_eq!(
            parsed.files,
            vec![
                TorrentFile {
                    path: "Album/01 a.flac".into(),
                    size: 10
                },
                TorrentFile {
                    path: "cover.jpg".into(),
                    size: 20
                },
            ]
        );
        assert!(parse_torrent(&torrent(true).0).unwrap().private);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"d",
            b"de",
            b"<html>",
            b"d4:infod4:name",
            b"i99999999999999999999999e",
        ] {
            assert!(parse_torrent(bad).is_err());
        }
    }

    /// SHA-1 through the `sha1` command, so the test does not trust the
    /// code it checks.
    mod sha1_smol_like {
        pub fn sha1_hex(bytes: &[u8]) -> String {
            use std::io::Write;
            let mut child = std::process::Command::new("sha1sum")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("sha1sum (coreutils)");
            child.stdin.take().unwrap().write_all(bytes).unwrap();
            let out = child.wait_with_output().unwrap();
            String::from_utf8(out.stdout).unwrap()[..40].to_owned()
        }
    }
}
