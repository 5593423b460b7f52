//! Indexers that fail: one slow or broken indexer never costs the others
//! their results or more than its timeout; every failure is a clear error
//! for that indexer alone; back-off observable with a manual clock; the
//! workflow's event names each indexer's outcome.

use std::time::{Duration, Instant};

use musicagg::indexer::TorznabIndexers;
use secrecy::SecretString;
use wiremock::ResponseTemplate;

use crate::fake_torznab::{FakeIndexer, fixture, good_jackett, good_prowlarr, xml};
use crate::indexers::{error_of, outcome, search, service, service_with_clock};

#[tokio::test]
async fn one_indexer_never_answering_costs_only_its_timeout() {
    let jackett = good_jackett("sometracker").await;
    let prowlarr = good_prowlarr(5).await;
    let silent = FakeIndexer::prowlarr(9).await;
    silent.hang().await;
    let mut silent_config = silent.config("silent");
    silent_config.timeout = 2;
    let indexers = service(&[
        jackett.config("jackett"),
        prowlarr.config("prowlarr"),
        silent_config,
    ]);

    let started = Instant::now();
    let report = search(&indexers).await;
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(2),
        "the silent indexer had its full timeout"
    );
    assert!(
        elapsed < Duration::from_secs(10),
        "took {elapsed:?}: others waited on the silent one"
    );

    assert_eq!(outcome(&report, "jackett").result, Ok(3));
    assert_eq!(outcome(&report, "prowlarr").result, Ok(3));
    assert_eq!(error_of(&report, "silent"), "timed out after 2.0 s");
    let summary = report.summary();
    assert!(summary.contains("jackett: 3 results in"), "{summary}");
    assert!(
        summary.contains("silent: timed out after 2.0 s"),
        "{summary}"
    );
    // 3 + 3, less Prowlarr's cross-seed of Jackett's first torrent (same hash).
    assert_eq!(report.releases.len(), 5);
    let first = &report.releases[0];
    assert_eq!(first.indexer, "jackett");
    assert_eq!(
        first.info_hash.as_deref(),
        Some("9f3c2a1b0e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b")
    );
}

/// A port nothing listens on.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/api")
}

#[tokio::test]
async fn every_kind_of_failure_is_a_clear_error_for_that_indexer_alone() {
    let good = good_jackett("good").await;

    let tracker_down = FakeIndexer::jackett("down").await;
    tracker_down
        .always(xml(400, fixture("jackett-error-900.xml", "")))
        .await;

    let jackett_bad_key = good_jackett("badkey").await;
    let mut jackett_bad_key_config = jackett_bad_key.config("jackett-bad-key");
    jackett_bad_key_config.api_key = Some(SecretString::from("wrong-jackett-key"));

    let prowlarr_bad_key = good_prowlarr(3).await;
    let mut prowlarr_bad_key_config = prowlarr_bad_key.config("prowlarr-bad-key");
    prowlarr_bad_key_config.api_key = Some(SecretString::from("wrong-prowlarr-key"));

    let rate_limited = FakeIndexer::prowlarr(4).await;
    rate_limited
        .always(xml(429, fixture("prowlarr-error-429.xml", "")).insert_header("Retry-After", "120"))
        .await;

    let garbage = FakeIndexer::jackett("garbage").await;
    garbage
        .always(
            ResponseTemplate::new(200)
                .set_body_bytes(b"\x00\x9f\x92\x96\xffgarbage\x01\x02".to_vec()),
        )
        .await;

    let huge = FakeIndexer::jackett("huge").await;
    huge.always(xml(200, vec![b' '; 20 * 1024 * 1024])).await;

    let proxy = FakeIndexer::jackett("proxy").await;
    proxy
        .always(ResponseTemplate::new(502).set_body_raw(fixture("proxy-502.html", ""), "text/html"))
        .await;

    let login_page = FakeIndexer::jackett("login").await;
    login_page
        .always(ResponseTemplate::new(200).set_body_raw(
            "<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>",
            "text/html",
        ))
        .await;

    let mut unreachable = good.config("unreachable");
    unreachable.url = closed_port_url();

    let configs = [
        good.config("good"),
        tracker_down.config("tracker-down"),
        jackett_bad_key_config,
        prowlarr_bad_key_config,
        rate_limited.config("rate-limited"),
        garbage.config("garbage"),
        huge.config("huge"),
        proxy.config("proxy"),
        login_page.config("login-page"),
        unreachable,
    ];
    let indexers = service(&configs);
    let report = search(&indexers).await;

    assert_eq!(
        outcome(&report, "good").result,
        Ok(3),
        "{}",
        report.summary()
    );
    assert_eq!(report.releases.len(), 3);
    let expectations = [
        (
            "tracker-down",
            "the indexer answered Torznab error 900 \"Exception (sometracker): The tracker seems to be down.\"",
        ),
        (
            "jackett-bad-key",
            "bad API key: the indexer answered Torznab error 100 \"Invalid API Key\"; check this indexer's api_key",
        ),
        (
            "prowlarr-bad-key",
            "HTTP 401 with an empty body: the API key was refused, check this indexer's api_key",
        ),
        (
            "rate-limited",
            "rate limited (HTTP 429, Torznab error 429 \"Indexer Some Tracker is disabled till 05/01/2024 12:02:00 \
             due to recent failures.\"); retry after 120 s",
        ),
        ("garbage", "not a Torznab response: 14 bytes starting"),
        ("huge", "response larger than 10 MiB: refused"),
        (
            "proxy",
            "HTTP 502: Bad Gateway with an HTML page (a proxy, login or error page?): \"502 Bad Gateway\"",
        ),
        (
            "login-page",
            "not a Torznab response: an HTML page (a proxy, login or error page?): \"Just a moment...\"",
        ),
        ("unreachable", "could not reach the indexer: "),
    ];
    for (name, expected) in expectations {
        let error = error_of(&report, name);
        assert!(
            error.starts_with(expected),
            "{name}: {error:?} should start with {expected:?}"
        );
    }
    // No key, right or wrong, in anything the user sees.
    let summary = report.summary();
    for config in &configs {
        let key = config
            .api_key
            .as_ref()
            .map(secrecy::ExposeSecret::expose_secret)
            .unwrap_or_default();
        assert!(!summary.contains(key), "a key leaked into {summary}");
    }
    assert!(!summary.contains("wrong-jackett-key") && !summary.contains("wrong-prowlarr-key"));
}

#[tokio::test]
async fn a_failing_indexer_is_skipped_within_its_back_off_window_and_retried_after() {
    let good = good_jackett("good").await;
    let flaky = FakeIndexer::jackett("flaky").await;
    flaky.always(ResponseTemplate::new(500)).await;
    let (indexers, clock) = service_with_clock(&[good.config("good"), flaky.config("flaky")]);

    let first = search(&indexers).await;
    assert_eq!(
        error_of(&first, "flaky"),
        "HTTP 500: Internal Server Error with an empty body"
    );
    assert_eq!(flaky.requests().await.len(), 1, "caps was asked and failed");

    // Within the first window (60 s): skipped, not asked.
    clock.advance(Duration::from_secs(59));
    let second = search(&indexers).await;
    assert_eq!(
        error_of(&second, "flaky"),
        "skipped: backing off until 2024-05-01 12:01:00 UTC after: HTTP 500: Internal Server Error with an empty body"
    );
    assert_eq!(outcome(&second, "flaky").latency, Duration::ZERO);
    assert_eq!(
        outcome(&second, "good").result,
        Ok(3),
        "the others are searched as usual"
    );
    assert_eq!(
        flaky.requests().await.len(),
        1,
        "no request while backing off"
    );

    // After it: asked again; a second failure doubles up to the next step.
    clock.advance(Duration::from_secs(2));
    let third = search(&indexers).await;
    assert!(error_of(&third, "flaky").starts_with("HTTP 500"));
    assert_eq!(flaky.requests().await.len(), 2);
    let fourth = search(&indexers).await;
    assert!(
        error_of(&fourth, "flaky")
            .starts_with("skipped: backing off until 2024-05-01 12:06:01 UTC"),
        "300 s after the second failure: {}",
        fourth.summary()
    );

    // The indexer recovers; after the window it is retried and answers.
    flaky.reset().await;
    flaky.caps("jackett-caps-q-only.xml").await;
    flaky.feed("search", "jackett-search.xml").await;
    clock.advance(Duration::from_secs(301));
    let fifth = search(&indexers).await;
    assert_eq!(
        outcome(&fifth, "flaky").result,
        Ok(3),
        "{}",
        fifth.summary()
    );
    let sixth = search(&indexers).await;
    assert_eq!(
        outcome(&sixth, "flaky").result,
        Ok(3),
        "a success closes the window"
    );
}

#[tokio::test]
async fn retry_after_sets_the_back_off_window() {
    let limited = FakeIndexer::prowlarr(4).await;
    limited
        .always(xml(429, fixture("prowlarr-error-429.xml", "")).insert_header("Retry-After", "120"))
        .await;
    let (indexers, clock) = service_with_clock(&[limited.config("limited")]);

    let first = search(&indexers).await;
    assert!(
        error_of(&first, "limited").starts_with("rate limited"),
        "{}",
        first.summary()
    );
    clock.advance(Duration::from_secs(119));
    let second = search(&indexers).await;
    assert!(
        error_of(&second, "limited")
            .starts_with("skipped: backing off until 2024-05-01 12:02:00 UTC after: rate limited"),
        "{}",
        second.summary()
    );
    assert_eq!(limited.requests().await.len(), 1);

    limited.reset().await;
    limited.caps("prowlarr-caps.xml").await;
    limited.feed("music", "prowlarr-search.xml").await;
    clock.advance(Duration::from_secs(2));
    let third = search(&indexers).await;
    assert_eq!(
        outcome(&third, "limited").result,
        Ok(3),
        "{}",
        third.summary()
    );
}

/// The workflow goes on with the indexers that answered, and its event says
/// which failed and why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workflow_event_names_each_indexers_outcome() {
    use crate::doubles::Fake;
    use crate::harness::{Backend, TestApp, start};
    use musicagg::proto::v1 as pb;

    let good = crate::fake_torznab::good_jackett("good").await;
    let silent = FakeIndexer::jackett("silent").await;
    silent.hang().await;
    let refused = FakeIndexer::prowlarr(7).await;
    let mut silent_config = silent.config("silent");
    silent_config.timeout = 1;
    let mut refused_config = refused.config("refused");
    refused_config.api_key = Some("wrong-key".to_owned().into());
    let indexers =
        TorznabIndexers::from_config(&[good.config("good"), silent_config, refused_config])
            .unwrap();
    let (_fake, mut providers) = Fake::default().into_providers();
    providers.indexers = std::sync::Arc::new(indexers);
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let received = app
        .watch_to_end(start(crate::stream::ALBUM, pb::Quality::Any))
        .await;
    let parsing = received
        .updates
        .iter()
        .find(|u| u.status() == pb::WorkflowStatus::ParsingResults)
        .expect("a PARSING_RESULTS event");
    assert!(parsing.message.contains("good: "), "{}", parsing.message);
    assert!(
        parsing.message.contains("silent: timed out after 1.0 s"),
        "{}",
        parsing.message
    );
    assert!(parsing.message.contains("refused: "), "{}", parsing.message);
    assert!(
        !parsing.message.contains("wrong-key"),
        "no key in events: {}",
        parsing.message
    );
    // The run went on with what the good indexer found.
    assert_ne!(
        received.result().status(),
        pb::WorkflowStatus::Failed,
        "{}",
        received.result().message
    );
    app.stop().await;
}
