//! [releases] in the workflow: the real RankingSelector's verdicts reach the
//! final response and ListCandidates; `musicagg parse` on the command line.

use std::process::{Command, Stdio};
use std::sync::Arc;

use musicagg::config::ReleaseConfig;
use musicagg::indexer::Release;
use musicagg::proto::v1 as pb;
use musicagg::release::RankingSelector;

use crate::doubles::Fake;
use crate::harness::{Backend, TestApp, start};
use crate::stream::ALBUM;

/// The doubles' album: "Artist - Album", 3 tracks of 3 minutes (9 min).
fn candidate(title: &str, seeders: u32, size_mb: u64, hash_digit: char) -> Release {
    Release {
        indexer: "tracker".into(),
        title: title.into(),
        guid: format!("guid-{hash_digit}"),
        info_hash: Some(hash_digit.to_string().repeat(40)),
        size_bytes: Some(size_mb * 1_000_000),
        seeders: Some(seeders),
        categories: vec![3000],
        ..Release::default()
    }
}

async fn app(releases: Vec<Release>) -> TestApp {
    let fake = Fake {
        releases,
        ..Fake::default()
    };
    let (_fake, mut providers) = fake.into_providers();
    providers.selector = Arc::new(RankingSelector::new(&ReleaseConfig::default()).unwrap());
    TestApp::spawn(Backend::Postgres, providers).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_results_explains_every_candidate_and_list_candidates_agrees() {
    let app = app(vec![
        candidate("Other Band - Album (2020) [FLAC]", 40, 60, 'a'),
        candidate("Artist - Different Album (2020) [FLAC]", 40, 60, 'b'),
        candidate("Artist - Album (2020) [MP3 320]", 40, 20, 'c'),
        candidate("Artist - Album (2020) [FLAC]", 0, 60, 'd'),
        candidate("d41d8cd98f00b204e9800998ecf8427e", 40, 60, 'e'),
        candidate("Artist - Album (2020) [MP3 320] REPACK", 40, 20, 'f'),
    ])
    .await;
    let received = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    let result = received.result();
    assert_eq!(
        result.status(),
        pb::WorkflowStatus::NoResults,
        "{}",
        result.message
    );
    assert_eq!(result.rejected_candidates.len(), 6);
    // the message counts the verdicts, the unparseable title's among them
    for counted in [
        "none of the 6 releases is acceptable for lossless: ",
        "2 not in the requested tier",
        "1 not a release title",
        "1 wrong artist",
        "1 wrong album",
        "1 too few seeders",
    ] {
        assert!(
            result.message.contains(counted),
            "{counted:?} in {}",
            result.message
        );
    }
    // a rejected revision keeps its verdict for the clients that show it
    let repack = result
        .rejected_candidates
        .iter()
        .find(|c| c.release.as_ref().unwrap().title.ends_with("REPACK"))
        .expect("the REPACK listed");
    let details: serde_json::Value = serde_json::from_str(&repack.details_json).unwrap();
    assert_eq!(details["revision"]["repack"], true, "{details}");
    let reasons = |title: &str| -> String {
        result
            .rejected_candidates
            .iter()
            .find(|c| c.release.as_ref().unwrap().title == title)
            .map(|c| c.rejection_reasons.join("; "))
            .unwrap_or_else(|| panic!("{title} not listed"))
    };
    assert!(
        reasons("Other Band - Album (2020) [FLAC]").contains("artist"),
        "{}",
        reasons("Other Band - Album (2020) [FLAC]")
    );
    assert!(reasons("Artist - Different Album (2020) [FLAC]").contains("album"));
    assert!(reasons("Artist - Album (2020) [MP3 320]").contains("lossless"));
    assert!(reasons("Artist - Album (2020) [FLAC]").contains("seeders"));

    let mut client = app.client().await;
    let listed = client
        .list_candidates(pb::ListCandidatesRequest {
            run_id: result.run_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .candidates;
    assert_eq!(listed.len(), 6);
    for c in &listed {
        assert!(!c.accepted);
        let in_result = result
            .rejected_candidates
            .iter()
            .find(|r| r.release == c.release)
            .expect("the same candidate in the final response");
        assert_eq!(in_result.rejection_reasons, c.rejection_reasons);
        let details: serde_json::Value = serde_json::from_str(&c.details_json).unwrap();
        assert!(
            details.get("codec").is_some() && details.get("decided_by").is_some(),
            "{details}"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_right_flac_wins_and_candidates_are_stored_best_first() {
    let app = app(vec![
        candidate("Artist - Album (2020) [MP3 320]", 500, 20, 'a'),
        candidate("Artist - Album (2020) [FLAC]", 3, 60, 'b'),
        candidate("Artist - Album (2020) [FLAC]", 45, 62, 'c'),
        candidate("Artist - Album (2020) [FLAC 24-96]", 30, 150, 'd'),
    ])
    .await;
    let received = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    let result = received.result();
    assert_eq!(
        result.status(),
        pb::WorkflowStatus::Complete,
        "{}",
        result.message
    );
    let chosen = result.selected_release.as_ref().unwrap();
    assert_eq!(
        chosen.info_hash,
        "c".repeat(40),
        "FLAC 16-bit, best seeded: {chosen:?}"
    );
    assert_eq!(chosen.quality, "FLAC");

    let mut client = app.client().await;
    let listed = client
        .list_candidates(pb::ListCandidatesRequest {
            run_id: result.run_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .candidates;
    let order: Vec<(bool, String)> = listed
        .iter()
        .map(|c| {
            (
                c.accepted,
                c.release.as_ref().unwrap().info_hash[..1].to_owned(),
            )
        })
        .collect();
    assert_eq!(
        order,
        vec![
            (true, "c".into()),
            (true, "b".into()),
            (true, "d".into()),
            (false, "a".into())
        ],
        "accepted best first (FLAC before 24-bit for LOSSLESS), then rejected"
    );
    let err = client
        .list_candidates(pb::ListCandidatesRequest {
            run_id: uuid::Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    app.stop().await;
}

#[test]
fn musicagg_parse_prints_one_json_object_per_title() {
    let bin = env!("CARGO_BIN_EXE_musicagg");
    let output = Command::new(bin)
        .args([
            "parse",
            "Artist - Album (2019) [FLAC 24-96]",
            "--category",
            "3040",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let v: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(v["codec"], "FLAC");
    assert_eq!(v["bit_depth"], 24);
    assert_eq!(v["sample_rate_hz"], 96000);
    assert_eq!(v["artist"], "Artist");
    assert_eq!(v["album"], "Album");
    assert_eq!(v["year"], 2019);
    assert_eq!(v["quality_tier"], "lossless_hires");
    assert!(v["bitrate_kbps"].is_null() && v["release_group"].is_null());

    let mut child = Command::new(bin)
        .args(["parse", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Artist-Album-WEB-2019-GRP\n\nArtist - Album [MP3 V0]\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["release_group"], "GRP");
    assert_eq!(lines[1]["vbr_preset"], "V0");

    let bad = Command::new(bin).arg("parse").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// `musicagg parse --artist --album`: a `match` object saying whether the
/// title is the wanted album, why not, and how it was read; none without the
/// hints; an empty hint is a usage error.
#[test]
fn musicagg_parse_with_artist_and_album_says_whether_the_title_matches() {
    let bin = env!("CARGO_BIN_EXE_musicagg");
    let parse = |args: &[&str]| {
        let output = Command::new(bin).arg("parse").args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}: {output:?}");
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let hints = ["--artist", "Artist", "--album", "Album"];

    let v = parse(&[&["Artist Album 2015 CD FLAC PERFECT"], &hints[..]].concat());
    assert_eq!(v["codec"], "FLAC");
    assert_eq!(
        v["match"],
        serde_json::json!({
            "artist": "Artist",
            "album": "Album",
            "matches": true,
            "reasons": [],
            "read_as": "artist and album found in the title with no separator",
        })
    );

    let v = parse(&[&["Artist Two Album FLAC"], &hints[..]].concat());
    assert_eq!(v["match"]["matches"], false);
    assert_eq!(
        v["match"]["reasons"],
        serde_json::json!(["artist \"Artist Two\" is not the album's artist \"Artist\""])
    );
    assert!(v["match"]["read_as"].is_null());

    let v = parse(&[
        "/\\ - Title (2019) [FLAC]",
        "--artist",
        "/\\",
        "--album",
        "Title",
    ]);
    assert_eq!(v["match"]["matches"], true);
    assert_eq!(
        v["match"]["read_as"],
        "a name made only of symbols, compared as written"
    );
    let v = parse(&["?? - Title (2019) [FLAC]", "--artist", "???"]);
    assert_eq!(v["match"]["matches"], false);
    assert!(v["match"]["album"].is_null());

    // without hints, no `match` key
    let v = parse(&["Artist Album FLAC"]);
    assert!(v.get("match").is_none(), "{v}");

    // with --stdin: one verdict per title
    let mut child = Command::new(bin)
        .args([
            "parse", "--stdin", "--artist", "Weezer", "--album", "Weezer",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Weezer Weezer (1994) FLAC\nWeezer - Pinkerton (1996) [FLAC]\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let verdicts: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["match"].clone())
        .collect();
    assert_eq!(verdicts.len(), 2);
    assert_eq!(verdicts[0]["matches"], true);
    assert_eq!(
        verdicts[0]["read_as"],
        "self-titled: the name stands for both artist and album"
    );
    assert_eq!(verdicts[1]["matches"], false);

    // an empty hint: a one-line usage error, exit code 2
    for args in [
        ["parse", "Title", "--artist", ""],
        ["parse", "Title", "--album", " "],
    ] {
        let bad = Command::new(bin).args(args).output().unwrap();
        assert_eq!(bad.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(bad.stderr).unwrap();
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("must not be empty"), "{stderr}");
        assert!(bad.stdout.is_empty());
    }
}
