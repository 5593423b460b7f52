//! `musicagg wanted add|list|remove|search|import`: the real binary against
//! a real `serve` (SQLite, a fake MusicBrainz, no indexers, no scheduled
//! searches so that only the commands start runs).

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::fake_musicbrainz::{FakeMusicBrainz, simple_album};
use crate::serve::{musicagg, spawn_serve};
use crate::stream::ALBUM;

const OTHER: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const THIRD: &str = "5d6e7f80-9a0b-4c1d-8e2f-3a4b5c6d7e8f";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn wanted(dir: &Path, server: &str, args: &[&str]) -> Output {
    musicagg(dir)
        .arg("wanted")
        .args(args)
        .args(["--server", server])
        .output()
        .expect("run musicagg wanted")
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}: {}{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// `wanted list --json`, by album id.
fn listed(dir: &Path, server: &str) -> Vec<Value> {
    ok(&wanted(dir, server, &["list", "--json"]))
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn ids(rows: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = rows
        .iter()
        .map(|r| r["album_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wanted_commands_against_a_real_serve() {
    let dir = tempfile::tempdir().unwrap();
    let musicbrainz = FakeMusicBrainz::start().await;
    musicbrainz.add(ALBUM, simple_album(ALBUM, "Artist", "Album", 3));
    let config = dir.path().join("musicagg.toml");
    std::fs::write(
        &config,
        format!(
            "[musicbrainz]\nbase_url = \"{}\"\n\n[wanted]\nsearches_per_hour = 0\n",
            musicbrainz.base_url()
        ),
    )
    .unwrap();
    let mut command = musicagg(dir.path());
    command.arg("--config").arg(&config);
    let server = spawn_serve(dir.path(), command).await;
    let url = server.url.as_str();
    let d = dir.path();

    assert!(ok(&wanted(d, url, &["list"])).contains("nothing wanted"));

    // add, with a quality and a cutoff; list shows both
    let added = ok(&wanted(
        d,
        url,
        &["add", ALBUM, "--quality", "mp3-320", "--cutoff", "lossless"],
    ));
    assert!(added.contains(ALBUM), "{added}");
    let rows = listed(d, url);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["album_id"], ALBUM);
    assert_eq!(rows[0]["quality"], "mp3_320");
    assert_eq!(rows[0]["cutoff"], "lossless");
    assert_eq!(rows[0]["state"], "WANTED");
    let plain = ok(&wanted(d, url, &["list"]));
    assert!(
        plain.contains("WANTED") && plain.contains(ALBUM) && plain.contains("cutoff lossless"),
        "{plain}"
    );

    // search: a run starts now, and the list records it
    let searched = ok(&wanted(d, url, &["search", ALBUM]));
    let run_id = searched
        .trim()
        .rsplit(' ')
        .next()
        .expect("the run id")
        .to_owned();
    assert!(uuid::Uuid::parse_str(&run_id).is_ok(), "{searched}");
    let rows = listed(d, url);
    assert!(
        rows[0]["message"].as_str().unwrap().contains(&run_id),
        "{rows:?}"
    );
    assert!(!rows[0]["last_searched_at"].as_str().unwrap().is_empty());
    let events = musicagg(d)
        .args(["events", &run_id, "--json", "--server", url])
        .output()
        .unwrap();
    assert!(!ok(&events).is_empty(), "the run has stored events");

    // search of an album not listed: refused, exit 3
    let unlisted = wanted(d, url, &["search", OTHER]);
    assert_eq!(unlisted.status.code(), Some(3));
    assert!(text(&unlisted.stderr).contains("NotFound"), "{unlisted:?}");

    // remove; twice is NotFound
    assert!(ok(&wanted(d, url, &["remove", ALBUM])).contains(ALBUM));
    assert!(listed(d, url).is_empty());
    let again = wanted(d, url, &["remove", ALBUM]);
    assert_eq!(again.status.code(), Some(3));
    assert!(text(&again.stderr).contains("not on the wanted list"));

    // import: ids, comments and blank lines, one bad line in the middle
    let ids_file = d.join("ids.txt");
    std::fs::write(
        &ids_file,
        format!("# exported\n\n{ALBUM}\nnot-an-id\n  {OTHER}\n"),
    )
    .unwrap();
    let imported = wanted(d, url, &["import", ids_file.to_str().unwrap()]);
    assert_eq!(imported.status.code(), Some(2), "{imported:?}");
    let stderr = text(&imported.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("line 4:") && stderr.contains("not-an-id"),
        "{stderr}"
    );
    assert!(
        text(&imported.stdout).contains("2 added, 1 refused"),
        "{imported:?}"
    );
    assert_eq!(ids(&listed(d, url)), {
        let mut v = vec![ALBUM.to_owned(), OTHER.to_owned()];
        v.sort();
        v
    });
    for id in [ALBUM, OTHER] {
        ok(&wanted(d, url, &["remove", id]));
    }

    // import: a Lidarr-style CSV, the MBID column found by its name, quoted
    // commas, a bad line before a good one
    let csv = d.join("lidarr.csv");
    std::fs::write(
        &csv,
        format!(
            "Artist Name,Album Title,Release Type,mbid\n\
             \"Crosby, Stills & Nash\",\"Déjà \"\"Vu\"\", Deluxe\",Album,{ALBUM}\n\
             Broken,\"Unclosed, quote,Album,{THIRD}\n\
             Someone,Something,Album,{OTHER}\n"
        ),
    )
    .unwrap();
    let imported = wanted(
        d,
        url,
        &["import", csv.to_str().unwrap(), "--quality", "lossless"],
    );
    assert_eq!(imported.status.code(), Some(2), "{imported:?}");
    let stderr = text(&imported.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("musicagg: line 3:"), "{stderr}");
    assert!(
        text(&imported.stdout).contains("2 added, 1 refused"),
        "{imported:?}"
    );
    let rows = listed(d, url);
    assert_eq!(ids(&rows), {
        let mut v = vec![ALBUM.to_owned(), OTHER.to_owned()];
        v.sort();
        v
    });
    assert!(rows.iter().all(|r| r["quality"] == "lossless"), "{rows:?}");

    // a clean file: exit 0
    let clean = d.join("clean.txt");
    std::fs::write(&clean, format!("{THIRD}\n")).unwrap();
    let imported = ok(&wanted(d, url, &["import", clean.to_str().unwrap()]));
    assert!(imported.contains("1 added, 0 refused"), "{imported}");
    assert_eq!(listed(d, url).len(), 3);
}
