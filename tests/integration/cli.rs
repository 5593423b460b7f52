//! The command line against real parts: `indexers test|search` against a fake
//! Jackett, `client test` against a real qbittorrent-nox, `candidates` after a
//! run of the real `serve`.

use std::path::Path;
use std::process::Output;

use crate::fake_musicbrainz::{FakeMusicBrainz, simple_album};
use crate::fake_torznab::{FakeIndexer, FeedItem, jackett_feed, xml};
use crate::qbt::{PASSWORD, Qbt, QbtOptions, USER, free_port};
use crate::serve::{musicagg, spawn_serve};
use crate::stream::ALBUM;

fn run(dir: &Path, config: &Path, args: &[&str]) -> Output {
    musicagg(dir)
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("run musicagg")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn indexer() -> FakeIndexer {
    let indexer = FakeIndexer::jackett("tracker").await;
    indexer.caps("jackett-caps-q-only.xml").await;
    let feed = jackett_feed(
        &indexer.base(),
        &[
            FeedItem {
                title: "Artist - Album (2020) [FLAC]",
                size: 60_000_000,
                seeders: 20,
                category: 3040,
                link_path: "/dl/a/",
                info_hash: None,
            },
            FeedItem {
                title: "Artist - Album (2020) [MP3 320]",
                size: 20_000_000,
                seeders: 50,
                category: 3010,
                link_path: "/dl/b/",
                info_hash: None,
            },
        ],
    );
    indexer.on("search", xml(200, feed)).await;
    indexer
        .download_redirects_to("magnet:?xt=urn:btih:7777777777777777777777777777777777777777")
        .await;
    indexer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexers_test_and_search_and_candidates() {
    let dir = tempfile::tempdir().unwrap();
    let indexer = indexer().await;
    let musicbrainz = FakeMusicBrainz::start().await;
    musicbrainz.add(ALBUM, simple_album(ALBUM, "Artist", "Album", 3));
    let config = dir.path().join("musicagg.toml");
    std::fs::write(
        &config,
        format!(
            "[musicbrainz]\nbase_url = \"{}\"\n\n[[indexers]]\nname = \"jackett\"\nurl = \"{}\"\napi_key = \"{}\"\n",
            musicbrainz.base_url(),
            indexer.url(),
            indexer.api_key
        ),
    )
    .unwrap();

    let test = run(dir.path(), &config, &["indexers", "test"]);
    assert!(
        test.status.success(),
        "{}{}",
        text(&test.stdout),
        text(&test.stderr)
    );
    assert!(
        text(&test.stdout).contains("jackett"),
        "{}",
        text(&test.stdout)
    );

    let search = run(
        dir.path(),
        &config,
        &["indexers", "search", "Artist", "Album", "--json"],
    );
    assert!(search.status.success(), "{}", text(&search.stderr));
    let stdout = text(&search.stdout);
    let releases: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(releases.len(), 2, "{stdout}");
    assert!(
        !stdout.contains("jackett_apikey=KEY"),
        "no key in the output: {stdout}"
    );
    assert!(
        text(&search.stderr).contains("jackett: 2 results"),
        "{}",
        text(&search.stderr)
    );

    // A run of the real service with no torrent client: it stops at the
    // grab, and `candidates` shows every verdict.
    let mut command = musicagg(dir.path());
    command.arg("--config").arg(&config);
    let server = spawn_serve(dir.path(), command).await;
    let monitor = musicagg(dir.path())
        .args(["monitor", ALBUM, "--json", "--server", &server.url])
        .output()
        .unwrap();
    assert_eq!(monitor.status.code(), Some(1));
    let last: serde_json::Value =
        serde_json::from_str(text(&monitor.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(last["result"]["status"], "FAILED");
    assert!(
        last["result"]["message"]
            .as_str()
            .unwrap()
            .contains("no torrent client configured"),
        "{last}"
    );
    let run_id = last["result"]["run_id"].as_str().unwrap();
    let candidates = musicagg(dir.path())
        .args(["candidates", run_id, "--server", &server.url])
        .output()
        .unwrap();
    let shown = text(&candidates.stdout);
    let first = shown.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("✔ #1") && first.contains("Artist - Album (2020) [FLAC]"),
        "{shown}"
    );
    assert!(
        shown.contains("✘      Artist - Album (2020) [MP3 320]"),
        "{shown}"
    );
    assert!(
        shown.contains("not in the requested tier lossless"),
        "{shown}"
    );

    // NO_RESULTS in plain text: the verdicts counted, each rejected release
    // with the quality read and its reasons
    let hires = musicagg(dir.path())
        .args([
            "monitor",
            ALBUM,
            "--quality",
            "hires",
            "--server",
            &server.url,
        ])
        .output()
        .unwrap();
    assert_eq!(hires.status.code(), Some(1));
    let shown = text(&hires.stdout);
    assert!(shown.contains("2 not in the requested tier"), "{shown}");
    assert!(
        shown.contains("rejected: Artist - Album (2020) [MP3 320] [MP3 320] — quality MP3 320 is not in the requested tier"),
        "{shown}"
    );

    let client = run(dir.path(), &config, &["client", "test"]);
    assert_eq!(client.status.code(), Some(2), "no [qbittorrent] section");
    assert!(
        text(&client.stderr).contains("[qbittorrent]"),
        "{}",
        text(&client.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_test_says_what_is_wrong() {
    let qbt = Qbt::start(QbtOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("musicagg.toml");
    let write = |url: &str, password: &str| {
        std::fs::write(
            &config,
            format!(
                "[qbittorrent]\nurl = \"{url}\"\nusername = \"{USER}\"\npassword = \"{password}\"\n"
            ),
        )
        .unwrap();
    };

    write(&qbt.url, PASSWORD);
    let ok = run(dir.path(), &config, &["client", "test"]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let stdout = text(&ok.stdout);
    assert!(
        stdout.contains("qBittorrent v4") && stdout.contains("category \"music\" ready"),
        "{stdout}"
    );

    write(&qbt.url, "wrong");
    let wrong = run(dir.path(), &config, &["client", "test"]);
    assert_eq!(wrong.status.code(), Some(3));
    assert!(
        text(&wrong.stderr).contains("wrong username or password"),
        "{}",
        text(&wrong.stderr)
    );

    write(&format!("http://127.0.0.1:{}", free_port()), PASSWORD);
    let nobody = run(dir.path(), &config, &["client", "test"]);
    assert_eq!(nobody.status.code(), Some(3));
    assert!(
        text(&nobody.stderr).contains("cannot reach qBittorrent"),
        "{}",
        text(&nobody.stderr)
    );
}
