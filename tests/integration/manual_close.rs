//! [manual] How an offer closes: whatever ends a manual run empties its
//! stored document (download links may carry an indexer's API key), a
//! cancel closes the offer to choices, a client resuming right after the
//! offer is sent it again, and a choice taken just before a shutdown is
//! carried out after the restart. In-process doubles.

use std::sync::Arc;

use musicagg::model::{MonitorMode, Quality, RunId, WorkflowKey, WorkflowStatus};
use musicagg::proto::v1 as pb;
use musicagg::store::{Decision, Store};
use pb::WorkflowStatus as S;
use tonic::Code;

use crate::harness::{Backend, TestApp, TestDb, within};
use crate::manual::{
    choose, choose_message, drain, guid_of, manual, normalised, resume_after, two_candidates,
    unreplayed, until_offer,
};
use crate::stream::ALBUM;

const SECRET_LINK: &str = "https://indexer.example/dl?id=1&apikey=SECRET";

fn key(quality: Quality) -> WorkflowKey {
    WorkflowKey {
        album_id: musicagg::model::AlbumId::parse(ALBUM).unwrap(),
        quality,
    }
}

/// A manual run with a stored offer and no live workflow (its process is
/// gone), as a dead process leaves it.
async fn orphan_offer(store: &Arc<dyn Store>, quality: Quality) -> RunId {
    let run_id = RunId::new();
    store
        .create_run_as(run_id, &key(quality), MonitorMode::Manual)
        .await
        .unwrap();
    let document = serde_json::json!({ "candidates": [{ "release": { "guid": SECRET_LINK } }] });
    store
        .append_offer(
            run_id,
            "offer of 1 candidates",
            &serde_json::json!({}),
            chrono::Utc::now() + chrono::TimeDelta::hours(1),
            &document,
        )
        .await
        .unwrap();
    run_id
}

async fn links_gone(store: &Arc<dyn Store>, run_id: RunId) {
    let offer = store.offer(run_id).await.unwrap().expect("the offer row");
    assert_eq!(
        offer.candidates,
        serde_json::json!([]),
        "the ended run's offer keeps no links"
    );
}

async fn cancel(app: &TestApp, run_id: &str, reason: &str) -> pb::CancelWorkflowResponse {
    within(
        "CancelWorkflow",
        app.client()
            .await
            .cancel_workflow(pb::CancelWorkflowRequest {
                run_id: run_id.into(),
                reason: reason.into(),
            }),
    )
    .await
    .expect("cancelled")
    .into_inner()
}

async fn every_end_empties_the_offer(backend: Backend) {
    // A run chosen, then its process died while grabbing: start-up recovery
    // fails it.
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let grabbing = orphan_offer(&store, Quality::Lossless).await;
    assert!(
        store
            .decide(grabbing, &Decision::Chosen("#1".into()))
            .await
            .unwrap()
    );
    store
        .append_event(grabbing, WorkflowStatus::AddingTorrent, "chosen", None)
        .await
        .unwrap();
    let (fake, providers) = two_candidates().into_providers();
    let app = TestApp::spawn_on(db, providers, |_| {}).await;
    let store = Arc::clone(&app.workflows.store);
    let run = store.run(grabbing).await.unwrap().unwrap();
    assert_eq!(run.status, WorkflowStatus::Failed, "{}", run.message);
    links_gone(&store, grabbing).await;

    // CancelWorkflow on a run without a live workflow ends it here.
    let orphan = orphan_offer(&store, Quality::Mp3V0).await;
    assert!(cancel(&app, &orphan.to_string(), "").await.cancelled);
    links_gone(&store, orphan).await;
    let err = choose(&app, &orphan.to_string(), SECRET_LINK)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");

    // A new run of the same album and quality fails the orphan first.
    let blocking = orphan_offer(&store, Quality::Any).await;
    let mut watcher = app.watch(manual(ALBUM, pb::Quality::Any)).await.unwrap();
    let (_, offer) = until_offer(&mut watcher).await;
    assert_ne!(offer.run_id, blocking.to_string());
    assert_eq!(
        store.run(blocking).await.unwrap().unwrap().status,
        WorkflowStatus::Failed
    );
    links_gone(&store, blocking).await;

    // A live run cancelled while it awaits: the offer is closed before the
    // run ends, a choice after the cancel is FAILED_PRECONDITION, and the
    // run ends CANCELLED with the reason.
    let run_id = offer.run_id.clone();
    let response = cancel(&app, &run_id, "changed my mind").await;
    assert!(response.cancelled);
    let err = choose(&app, &run_id, &guid_of(&offer, crate::doubles::HASH_A))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert!(err.message().contains("CANCELLED"), "{err:?}");
    let end = drain(watcher).await.expect("the final response");
    assert_eq!(
        (end.status(), end.message.as_str()),
        (S::Cancelled, "cancelled: changed my mind")
    );
    let run_id = RunId::parse(&run_id).unwrap();
    let run = store.run(run_id).await.unwrap().unwrap();
    assert_eq!(
        (run.status, run.message.as_str()),
        (WorkflowStatus::Cancelled, "cancelled: changed my mind")
    );
    let offer = store.offer(run_id).await.unwrap().unwrap();
    assert_eq!(offer.decision, Some(Decision::Cancelled));
    links_gone(&store, run_id).await;
    assert!(fake.added.lock().unwrap().is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_end_of_a_manual_run_empties_its_offer_on_postgres() {
    every_end_empties_the_offer(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_end_of_a_manual_run_empties_its_offer_on_sqlite() {
    every_end_empties_the_offer(Backend::Sqlite).await;
}

/// A client resuming with `after_seq` = the offer's seq (what `musicagg
/// monitor` prints when it leaves at the prompt) gets the offer again and
/// can choose.
async fn resuming_at_the_offer(backend: Backend) {
    let (fake, providers) = two_candidates().into_providers();
    let app = TestApp::spawn(backend, providers).await;
    let mut first = app
        .watch(manual(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    let (_, offer) = until_offer(&mut first).await;
    drop(first);

    let mut resumed = app.watch(resume_after(&offer)).await.unwrap();
    let (updates, again) = until_offer(&mut resumed).await;
    assert!(updates.is_empty(), "nothing after after_seq: {updates:?}");
    assert!(again.replayed);
    assert_eq!(unreplayed(&again), offer);
    resumed
        .send(choose_message("", &guid_of(&offer, crate::doubles::HASH_B)))
        .await;
    let end = resumed.finish().await;
    assert_eq!(end.statuses(), vec![S::AddingTorrent], "no event twice");
    assert_eq!(end.result().status(), S::Complete);
    assert_eq!(
        end.result().selected_release.as_ref().unwrap().info_hash,
        crate::doubles::HASH_B
    );

    // Once answered, a client resuming there gets the rest, not the offer.
    let late = app.watch_to_end(resume_after(&offer)).await;
    assert!(late.offers.is_empty());
    assert_eq!(normalised(late.result()), normalised(end.result()));
    assert_eq!(fake.added.lock().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_resuming_at_the_offer_gets_it_again_on_postgres() {
    resuming_at_the_offer(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_resuming_at_the_offer_gets_it_again_on_sqlite() {
    resuming_at_the_offer(Backend::Sqlite).await;
}

/// A choice is taken, and the service stops before the run has stored
/// ADDING_TORRENT (its write is held by a row lock): the run stays
/// AWAITING_CHOICE with the decision, and after the restart the chosen
/// release is grabbed. PostgreSQL: the lock holds the run's row only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_choice_taken_before_a_shutdown_is_carried_out_after_the_restart() {
    use sqlx::Connection;

    let db = TestDb::new(Backend::Postgres).await;
    let url = db.url.clone();
    let (_fake, providers) = two_candidates().into_providers();
    let app = TestApp::spawn_on(db, providers, |_| {}).await;
    let mut watcher = app
        .watch(manual(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    let (_, offer) = until_offer(&mut watcher).await;
    drop(watcher);
    let run_id = RunId::parse(&offer.run_id).unwrap();

    // Hold the run's row: the run can read its decision, not write an event.
    let mut lock = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("BEGIN").execute(&mut lock).await.unwrap();
    sqlx::query("SELECT id FROM workflow_runs WHERE id = $1 FOR UPDATE")
        .bind(run_id.0)
        .execute(&mut lock)
        .await
        .unwrap();
    let guid = guid_of(&offer, crate::doubles::HASH_B);
    app.workflows
        .choose(run_id, musicagg::workflow::Pick::Guid(guid.clone()))
        .await
        .expect("the choice is taken");
    within("the run to wait on the lock for ADDING_TORRENT", async {
        loop {
            let (waiting,): (i64,) = sqlx::query_as(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&mut lock)
            .await
            .unwrap();
            if waiting > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await;

    // Shut down: the run, still waiting as far as it knows, records nothing.
    let registry = app.workflows.registry.clone();
    let stopping = tokio::spawn(app.stop_keeping_db());
    within("the run to leave without recording an end", async {
        while !registry.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await;
    sqlx::raw_sql("ROLLBACK").execute(&mut lock).await.unwrap();
    let db = within("the server to stop", stopping).await.unwrap();
    let store = db.store().await;
    let run = store.run(run_id).await.unwrap().unwrap();
    assert_eq!(
        (run.status, run.is_finished()),
        (WorkflowStatus::AwaitingChoice, false),
        "{}",
        run.message
    );
    assert_eq!(
        store.decision(run_id).await.unwrap(),
        Some(Decision::Chosen(guid))
    );

    let (fake, providers) = two_candidates().into_providers();
    let app = TestApp::spawn_on(db, providers, |_| {}).await;
    let end = app.watch_to_end(resume_after(&offer)).await;
    assert_eq!(end.statuses(), vec![S::AddingTorrent]);
    let result = end.result();
    assert_eq!(result.status(), S::Complete, "{}", result.message);
    assert_eq!(
        *fake.added.lock().unwrap(),
        vec![crate::doubles::HASH_B.to_owned()]
    );
    app.stop().await;
}
