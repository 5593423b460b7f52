//! Bad input gets a precise status, and nothing is created.

use musicagg::proto::v1 as pb;
use tonic::Code;

use crate::doubles::{Fake, Step};
use crate::harness::{Backend, TestApp, start, start_message, within};
use crate::stream::ALBUM;

async fn app() -> TestApp {
    let (_fake, providers) = Fake::default().into_providers();
    TestApp::spawn(Backend::Sqlite, providers).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_start_messages_are_refused_and_create_nothing() {
    let app = app().await;
    let mut cases: Vec<(&str, pb::StartMonitorRequest, Code)> = Vec::new();
    cases.push((
        "album id not a UUID",
        start("not-a-uuid", pb::Quality::Lossless),
        Code::InvalidArgument,
    ));
    cases.push((
        "empty album id",
        start("", pb::Quality::Lossless),
        Code::InvalidArgument,
    ));
    cases.push((
        "unspecified quality",
        start(ALBUM, pb::Quality::Unspecified),
        Code::InvalidArgument,
    ));
    let mut unknown_quality = start(ALBUM, pb::Quality::Lossless);
    unknown_quality.quality = 99;
    cases.push((
        "unknown quality number",
        unknown_quality,
        Code::InvalidArgument,
    ));
    let mut unknown_mode = start(ALBUM, pb::Quality::Lossless);
    unknown_mode.mode = 7;
    cases.push(("unknown mode", unknown_mode, Code::InvalidArgument));
    let mut negative = start(ALBUM, pb::Quality::Lossless);
    negative.after_seq = -1;
    cases.push(("negative after_seq", negative, Code::InvalidArgument));
    let mut bad_run = start(ALBUM, pb::Quality::Lossless);
    bad_run.run_id = "run-42".into();
    cases.push(("run id not a UUID", bad_run, Code::InvalidArgument));
    let mut unknown_run = start(ALBUM, pb::Quality::Lossless);
    unknown_run.run_id = uuid::Uuid::now_v7().to_string();
    cases.push(("unknown run id", unknown_run, Code::NotFound));

    for (what, request, code) in cases {
        let err = app
            .watch(request)
            .await
            .err()
            .unwrap_or_else(|| panic!("{what}: accepted"));
        assert_eq!(err.code(), code, "{what}: {err:?}");
        assert!(!err.message().is_empty(), "{what}: a message says why");
    }
    assert_eq!(app.run_count().await, 0);
    assert!(app.workflows.registry.is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_message_must_be_start_and_a_closed_stream_creates_nothing() {
    let app = app().await;
    let mut client = app.client().await;

    // A choice before any start.
    let choose = pb::MonitorAlbumStreamRequest {
        request: Some(pb::monitor_album_stream_request::Request::Choose(
            pb::ChooseReleaseRequest {
                run_id: uuid::Uuid::now_v7().to_string(),
                guid: "g".into(),
                decline: false,
            },
        )),
    };
    let err = within(
        "refusal",
        client.monitor_album_stream(tokio_stream::once(choose)),
    )
    .await
    .expect_err("refused");
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");

    let empty = pb::MonitorAlbumStreamRequest { request: None };
    let err = within(
        "refusal",
        client.monitor_album_stream(tokio_stream::once(empty)),
    )
    .await
    .expect_err("refused");
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");

    let err = within(
        "refusal",
        client.monitor_album_stream(tokio_stream::empty()),
    )
    .await
    .expect_err("refused");
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");

    assert_eq!(app.run_count().await, 0);
    assert!(app.workflows.registry.is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_start_on_the_same_stream_is_refused_but_the_run_goes_on() {
    let mut fake = Fake::default();
    let gate = fake.gate(Step::Search);
    let (_fake, providers) = fake.into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let mut watcher = app
        .watch(start(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    watcher.take_updates(3).await;
    watcher
        .send(start_message(start(ALBUM, pb::Quality::Lossless)))
        .await;
    let err = watcher.next().await.expect_err("an error status");
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    gate.open();
    app.idle().await;
    assert_eq!(app.run_count().await, 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_malformed_run_ids_in_unary_calls() {
    let app = app().await;
    let mut client = app.client().await;
    let unknown = uuid::Uuid::now_v7().to_string();

    let err = client
        .get_workflow_run(pb::GetWorkflowRunRequest {
            run_id: unknown.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = client
        .cancel_workflow(pb::CancelWorkflowRequest {
            run_id: unknown.clone(),
            reason: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = client
        .get_workflow_run(pb::GetWorkflowRunRequest { run_id: "x".into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = client
        .list_album_events(pb::ListAlbumEventsRequest {
            run_id: unknown,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = client
        .list_album_events(pb::ListAlbumEventsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "neither run nor album");
    let err = client
        .list_workflow_runs(pb::ListWorkflowRunsRequest {
            page_size: 5000,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = client
        .list_workflow_runs(pb::ListWorkflowRunsRequest {
            page_token: "garbage".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = client
        .list_workflow_runs(pb::ListWorkflowRunsRequest {
            status: 42,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_and_events_can_be_listed_and_paged() {
    let app = app().await;
    let done = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    app.idle().await;
    let run_id = done.result().run_id.clone();
    let mut client = app.client().await;

    let run = client
        .get_workflow_run(pb::GetWorkflowRunRequest {
            run_id: run_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (run.status(), run.finished, run.last_seq),
        (pb::WorkflowStatus::Complete, true, 6)
    );

    let mut seqs = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_album_events(pb::ListAlbumEventsRequest {
                run_id: run_id.clone(),
                after_seq: 1,
                page_size: 2,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        seqs.extend(page.events.iter().map(|e| e.seq));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seqs, vec![2, 3, 4, 5, 6]);

    let by_album = client
        .list_album_events(pb::ListAlbumEventsRequest {
            album_id: ALBUM.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_album.events.len(), 6);

    let runs = client
        .list_workflow_runs(pb::ListWorkflowRunsRequest {
            album_id: ALBUM.into(),
            status: pb::WorkflowStatus::Complete.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(runs.runs.len(), 1);
    assert_eq!(runs.runs[0].run_id, run_id);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_download_and_library_requests_get_precise_statuses() {
    let app = app().await;
    let mut client = app.client().await;
    let watch = |album_id: &str, download_id: &str, after_seq: i64| pb::WatchDownloadsRequest {
        album_id: album_id.into(),
        download_id: download_id.into(),
        after_seq,
    };
    let unknown = uuid::Uuid::now_v7().to_string();
    for (what, request, code) in [
        (
            "download id not a UUID",
            watch("", "dl-1", 0),
            Code::InvalidArgument,
        ),
        (
            "album id not a UUID",
            watch("nope", "", 0),
            Code::InvalidArgument,
        ),
        (
            "negative after_seq",
            watch(ALBUM, "", -1),
            Code::InvalidArgument,
        ),
        ("unknown download", watch("", &unknown, 0), Code::NotFound),
    ] {
        let err = client.watch_downloads(request).await.err();
        assert_eq!(err.map(|e| e.code()), Some(code), "{what}");
    }
    for (what, request) in [
        (
            "album id not a UUID",
            pb::ListDownloadsRequest {
                album_id: "x".into(),
                ..Default::default()
            },
        ),
        (
            "unknown state number",
            pb::ListDownloadsRequest {
                state: 42,
                ..Default::default()
            },
        ),
        (
            "page size out of range",
            pb::ListDownloadsRequest {
                page_size: 5000,
                ..Default::default()
            },
        ),
        (
            "page token not ours",
            pb::ListDownloadsRequest {
                page_token: "tok".into(),
                ..Default::default()
            },
        ),
    ] {
        let err = client.list_downloads(request).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{what}");
    }
    // Nothing listed, and a watch of everything stays open without sending.
    let listed = client
        .list_downloads(pb::ListDownloadsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.downloads.is_empty() && listed.next_page_token.is_empty());
    let mut stream = client
        .watch_downloads(watch("", "", 0))
        .await
        .unwrap()
        .into_inner();
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(300), stream.message())
            .await
            .is_err()
    );
    // No library configured: scanning is a precondition failure.
    let err = client
        .scan_library(pb::ScanLibraryRequest {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(
        err.message().contains("[library] path"),
        "{}",
        err.message()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wanted_album_with_a_cutoff_below_its_tier_is_refused() {
    let app = app().await;
    let mut client = app.client().await;
    let add = |quality: pb::Quality, cutoff: pb::Quality| pb::AddWantedRequest {
        album_id: ALBUM.into(),
        quality: quality.into(),
        cutoff: cutoff.into(),
    };
    // a cutoff below the tier would search for (and grab) what is worse
    // than asked for: a lossy cutoff for a lossless album, and so on
    for (quality, cutoff) in [
        (pb::Quality::Lossless, pb::Quality::Mp3320),
        (pb::Quality::LosslessHires, pb::Quality::Lossless),
        (pb::Quality::Mp3320, pb::Quality::Any),
    ] {
        let err = client.add_wanted(add(quality, cutoff)).await.unwrap_err();
        assert_eq!(
            err.code(),
            Code::InvalidArgument,
            "{quality:?} {cutoff:?}: {err:?}"
        );
        assert!(err.message().contains("below the wanted tier"), "{err:?}");
    }
    let listed = client
        .list_wanted(pb::ListWantedRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.albums.is_empty(), "nothing added: {listed:?}");
    // the tier itself, or a better one, is taken
    let ok = client
        .add_wanted(add(pb::Quality::Lossless, pb::Quality::LosslessHires))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.cutoff(), pb::Quality::LosslessHires);
}
