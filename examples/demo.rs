//! The fake MusicBrainz and Jackett servers of the test suite, as one program
//! for `scripts/demo.sh`: MusicBrainz knows one album, Jackett offers four
//! releases of it (a wrong album, a dead one, a lossy one, and the right FLAC
//! whose download link answers 302 to its magnet, as Jackett does).
//!
//! Usage: `demo --torrent FILE --track-ms MS --env-file PATH`
//! Writes `MUSICBRAINZ_URL`, `INDEXER_URL`, `INDEXER_KEY` and `ALBUM_ID` to
//! the env file, then serves until interrupted.

#[allow(dead_code)]
#[path = "../tests/integration/fake_musicbrainz.rs"]
mod fake_musicbrainz;
#[allow(dead_code)]
#[path = "../tests/integration/fake_torznab.rs"]
mod fake_torznab;

use anyhow::{Context, bail};
use fake_musicbrainz::{FakeMusicBrainz, simple_album, track};
use fake_torznab::{FakeIndexer, decoys_and_the_right_release, xml};

const ALBUM_ID: &str = "1b022e01-4da6-387b-8658-8678046e4cef";

struct Args {
    torrent: std::path::PathBuf,
    track_ms: u64,
    env_file: std::path::PathBuf,
}

fn args() -> anyhow::Result<Args> {
    let mut torrent = None;
    let mut track_ms = 10_000;
    let mut env_file = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let value = it.next().with_context(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--torrent" => torrent = Some(value.into()),
            "--track-ms" => track_ms = value.parse().context("--track-ms")?,
            "--env-file" => env_file = Some(value.into()),
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(Args {
        torrent: torrent.context("--torrent FILE is required")?,
        track_ms,
        env_file: env_file.context("--env-file PATH is required")?,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    let bytes = std::fs::read(&args.torrent).context("reading the .torrent")?;
    let info = musicagg::magnet::parse_torrent(&bytes).context("parsing the .torrent")?;
    let name = info.name.clone().unwrap_or_else(|| "Artist - Album".into());
    let size: u64 = info.files.iter().map(|f| f.size).sum();
    let tracks: Vec<_> = info
        .files
        .iter()
        .filter(|f| f.path.ends_with(".flac"))
        .enumerate()
        .map(|(i, _)| {
            let n = i as u32 + 1;
            track(n, &n.to_string(), &format!("Song {n}"), Some(args.track_ms))
        })
        .collect();

    let musicbrainz = FakeMusicBrainz::start().await;
    let mut album = simple_album(ALBUM_ID, "Artist", "Album", tracks.len() as u32);
    for details in album.details.values_mut() {
        details["media"][0]["tracks"] = serde_json::json!(tracks);
    }
    musicbrainz.add(ALBUM_ID, album);

    let indexer = FakeIndexer::jackett("demo").await;
    indexer.caps("jackett-caps-q-only.xml").await;
    let feed = decoys_and_the_right_release(&indexer.base(), &name, size);
    indexer.on("search", xml(200, feed)).await;
    let magnet = musicagg::magnet::build_magnet(&info.info_hash, Some(&name), &info.trackers);
    indexer.download_redirects_to(&magnet).await;

    std::fs::write(
        &args.env_file,
        format!(
            "MUSICBRAINZ_URL={}\nINDEXER_URL={}\nINDEXER_KEY={}\nALBUM_ID={ALBUM_ID}\n",
            musicbrainz.base_url(),
            indexer.url(),
            indexer.api_key
        ),
    )
    .context("writing the env file")?;
    eprintln!(
        "fake MusicBrainz at {}, fake Jackett at {}",
        musicbrainz.base_url(),
        indexer.url()
    );
    tokio::signal::ctrl_c().await.ok();
    Ok(())
}
