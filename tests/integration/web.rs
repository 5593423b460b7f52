//! [web] The web page at the HTTP level (the browser tests are in
//! `web_browser`): pages, the run stream (live, resumed with Last-Event-ID
//! without duplicates, across a restart), CSRF refusals, escaping, manual
//! choices, the wanted list, the downloads stream, the settings check, bad
//! input. The app runs in process with the workflow doubles.

use musicagg::Providers;

use crate::doubles::{Fake, HASH_A, HASH_B, Step, release};
use crate::harness::{Backend, TestApp, TestDb, within};
use crate::manual::two_candidates;
use crate::stream::ALBUM;
use crate::web_client::{SseMessage, WebClient, step_seqs};

fn web(app: &TestApp) -> WebClient {
    WebClient::new(app.http.expect("the web listener is on in tests"))
}

/// "Get it" on the album page; the run's page address.
pub async fn get_it(web: &WebClient, mode: &str) -> String {
    let token = web.token(&format!("/albums/{ALBUM}")).await;
    let (status, location, body) = web
        .post(
            &format!("/albums/{ALBUM}/get"),
            &[
                ("csrf", &token),
                ("quality", "lossless"),
                ("mode", mode),
                ("keep", "on"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let location = location.expect("a redirect to the run");
    assert!(location.starts_with("/runs/"), "{location}");
    location
}

fn statuses(messages: &[SseMessage]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m.event == "step")
        .map(|m| m.json()["status"].as_str().unwrap().to_owned())
        .collect()
}

/// Reads a run stream until a step with `status` (inclusive).
async fn until_status(reader: &mut crate::web_client::SseReader, status: &str) -> Vec<SseMessage> {
    until(reader, status, |m| m.json()["status"] == status).await
}

/// Reads a run stream until the offer (inclusive).
async fn until_offer(reader: &mut crate::web_client::SseReader) -> Vec<SseMessage> {
    until(reader, "the offer", |m| m.json()["offer"] == true).await
}

async fn until(
    reader: &mut crate::web_client::SseReader,
    status: &str,
    done: impl Fn(&SseMessage) -> bool,
) -> Vec<SseMessage> {
    let mut seen = Vec::new();
    loop {
        let m = reader
            .next()
            .await
            .unwrap_or_else(|| panic!("the stream ended before {status}: {seen:?}"));
        let done = m.event == "step" && done(&m);
        seen.push(m);
        if done {
            return seen;
        }
    }
}

async fn a_run_from_the_album_page_streams_live_and_resumes_without_duplicates(backend: Backend) {
    let mut fake = two_candidates();
    let search = fake.gate(Step::Search);
    let (_, providers) = fake.into_providers();
    let app = TestApp::spawn(backend, providers).await;
    let web = web(&app);

    let album = web.page(&format!("/albums/{ALBUM}")).await;
    assert!(
        album.contains("Track 1") && album.contains("Track 3"),
        "tracklist: {album}"
    );
    assert!(album.contains("Get it"), "{album}");
    assert!(album.contains("No run yet."), "{album}");

    let run_page = get_it(&web, "automatic").await;
    search.reached().await;
    // Live: the run is held at its search while the page watches.
    let mut live = web
        .events(&format!("{run_page}/events?after=0"), None)
        .await;
    let first = until_status(&mut live, "SEARCHING").await;
    assert_eq!(
        statuses(&first),
        ["FETCHING_METADATA", "CHECKING_OWNED", "SEARCHING"]
    );
    search.open();
    let rest = live.rest().await;
    let all: Vec<SseMessage> = first.into_iter().chain(rest).collect();
    let seqs = step_seqs(&all);
    let n = *seqs.last().unwrap();
    assert_eq!(
        seqs,
        (1..=n).collect::<Vec<_>>(),
        "every seq once, in order"
    );
    assert_eq!(statuses(&all).last().unwrap(), "COMPLETE");
    assert_eq!(
        all.last().unwrap().event,
        "end",
        "`end` after the terminal event"
    );

    // The browser's reconnect: Last-Event-ID wins over ?after=, nothing twice.
    let resumed = web
        .events(&format!("{run_page}/events?after=0"), Some("2"))
        .await
        .rest()
        .await;
    assert_eq!(step_seqs(&resumed), (3..=n).collect::<Vec<_>>());
    assert_eq!(resumed.last().unwrap().event, "end");
    let at_end = web
        .events(&format!("{run_page}/events"), Some(&n.to_string()))
        .await
        .rest()
        .await;
    assert_eq!(at_end.len(), 1, "{at_end:?}");
    assert_eq!(at_end[0].event, "end");

    // The run page: outcome, steps, candidates with verdicts and reasons.
    let page = web.page(&run_page).await;
    assert!(page.contains("COMPLETE"), "{page}");
    assert!(
        page.contains("fewer than 5 seeders"),
        "the rejection reason: {page}"
    );
    assert!(
        page.contains("accepted") && page.contains("rejected"),
        "{page}"
    );
    assert!(!page.contains(">Choose<"), "no choice in an automatic run");
    let fragment = web.page(&format!("{run_page}/candidates")).await;
    assert!(fragment.contains("fewer than 5 seeders") && !fragment.contains("<html"));

    // The album page lists the run and its download.
    let album = web.page(&format!("/albums/{ALBUM}")).await;
    assert!(album.contains(&format!("href=\"{run_page}\"")), "{album}");
    assert!(
        album.contains("Artist - Album (2020) [FLAC]"),
        "the download: {album}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_from_the_album_page_streams_live_and_resumes_without_duplicates_on_postgres() {
    a_run_from_the_album_page_streams_live_and_resumes_without_duplicates(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_from_the_album_page_streams_live_and_resumes_without_duplicates_on_sqlite() {
    a_run_from_the_album_page_streams_live_and_resumes_without_duplicates(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_need_the_token_and_get_changes_nothing() {
    let (_, providers) = Fake::default().into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let web = web(&app);
    let token = web.token(&format!("/albums/{ALBUM}")).await;
    let get = format!("/albums/{ALBUM}/get");
    for fields in [
        vec![("quality", "lossless")],
        vec![
            ("csrf", "0123456789abcdef0123456789abcdef"),
            ("quality", "lossless"),
        ],
        vec![("csrf", &token[..31]), ("quality", "lossless")],
    ] {
        let (status, _, body) = web.post(&get, &fields).await;
        assert_eq!(status, 403, "{body}");
        assert!(body.contains("reload the page"), "{body}");
    }
    for path in [
        format!("/runs/{}/choose", uuid::Uuid::new_v4()),
        format!("/runs/{}/cancel", uuid::Uuid::new_v4()),
        "/wanted".to_owned(),
        format!("/wanted/{ALBUM}/remove"),
        format!("/wanted/{ALBUM}/search"),
        "/settings/indexers".to_owned(),
        "/settings/client".to_owned(),
    ] {
        let (status, _, _) = web.post(&path, &[("csrf", "nope")]).await;
        assert_eq!(status, 403, "POST {path} without the token");
    }
    // GET never changes anything.
    let (status, _) = web.get(&get).await;
    assert_eq!(status, 405, "Get it is a POST");
    assert_eq!(app.run_count().await, 0, "no run was started");
    assert!(
        app.workflows
            .store
            .wanted(&musicagg::model::AlbumId::parse(ALBUM).unwrap())
            .await
            .unwrap()
            .is_none(),
        "nothing was listed"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_in_a_release_title_is_shown_as_text() {
    const TITLE: &str =
        "<script>window.pwned=1</script><img src=x onerror=alert(1)> Artist - Album (2020) [FLAC]";
    let fake = Fake {
        releases: vec![release(TITLE, 12, HASH_A), release(TITLE, 1, HASH_B)],
        ..Fake::default()
    };
    let (_, providers) = fake.into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let web = web(&app);
    let run_page = get_it(&web, "automatic").await;
    let events = web
        .events(&format!("{run_page}/events"), None)
        .await
        .rest()
        .await;
    assert_eq!(statuses(&events).last().unwrap(), "COMPLETE");
    for page in [
        web.page(&run_page).await,
        web.page(&format!("/albums/{ALBUM}")).await,
        web.page("/downloads").await,
    ] {
        assert!(
            page.contains(
                "&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
            ),
            "escaped: {page}"
        );
        assert!(!page.contains("<script>window"), "{page}");
        assert!(!page.contains("<img src=x"), "{page}");
    }
    app.stop().await;
}

async fn a_manual_run_is_chosen_from_the_page_and_survives_a_restart(backend: Backend) {
    let (_, providers) = two_candidates().into_providers();
    let db = TestDb::new(backend).await;
    let port = crate::serve::free_port();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let app = TestApp::spawn_on(db, providers, |c| c.http_listen = Some(addr)).await;
    let web = web(&app);
    let run_page = get_it(&web, "manual").await;
    let mut stream = web.events(&format!("{run_page}/events"), None).await;
    let before = until_offer(&mut stream).await;
    assert_eq!(before.last().unwrap().json()["status"], "AWAITING_CHOICE");
    let last_id = before.last().unwrap().id.clone().unwrap();
    let fragment = web.page(&format!("{run_page}/candidates")).await;
    assert!(
        fragment.contains(">Choose<") && fragment.contains("Decline"),
        "{fragment}"
    );
    assert!(
        fragment.contains(&format!("value=\"guid-{HASH_B}\"")),
        "{fragment}"
    );

    // A restart: the stream ends (the browser reconnects by itself).
    let db = app.stop_keeping_db().await;
    let after_stop = within("the stream to end at shutdown", stream.rest()).await;
    assert!(
        after_stop.iter().all(|m| m.event != "step"),
        "nothing new before the restart: {after_stop:?}"
    );
    let (fake, providers) = two_candidates().into_providers();
    let app = TestApp::spawn_on(db, providers, |c| c.http_listen = Some(addr)).await;
    let web = self::web(&app);
    let resumed = web
        .events(&format!("{run_page}/events"), Some(&last_id))
        .await;

    // Choose the rejected release (the user knows better) from the page.
    let token = web.token(&run_page).await;
    let choose = format!("{run_page}/choose");
    let guid = format!("guid-{HASH_B}");
    let (status, location, body) = web
        .post(&choose, &[("csrf", &token), ("guid", &guid)])
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some(run_page.as_str())),
        "{body}"
    );
    let rest = resumed.rest().await;
    let last: i64 = last_id.parse().unwrap();
    let seqs = step_seqs(&rest);
    assert_eq!(
        seqs,
        (last + 1..=last + seqs.len() as i64).collect::<Vec<_>>(),
        "no duplicates after the restart"
    );
    assert_eq!(statuses(&rest), ["ADDING_TORRENT", "COMPLETE"]);
    assert_eq!(rest.last().unwrap().event, "end");
    assert_eq!(fake.added.lock().unwrap().as_slice(), [HASH_B.to_owned()]);

    // A second answer is refused and says why.
    let (status, _, body) = web
        .post(&choose, &[("csrf", &token), ("decline", "1")])
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("already"), "{body}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_run_is_chosen_from_the_page_and_survives_a_restart_on_postgres() {
    a_manual_run_is_chosen_from_the_page_and_survives_a_restart(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_run_is_chosen_from_the_page_and_survives_a_restart_on_sqlite() {
    a_manual_run_is_chosen_from_the_page_and_survives_a_restart(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_status_and_page() {
    let (_, providers) = Fake::default().into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let web = web(&app);
    let unknown_run = format!("/runs/{}", uuid::Uuid::new_v4());
    for (path, status, says) in [
        (
            "/albums/not-an-id".to_owned(),
            400,
            "not a MusicBrainz release-group id",
        ),
        ("/runs/nope".to_owned(), 400, "not a run id"),
        (unknown_run.clone(), 404, "no run with id"),
        (format!("{unknown_run}/events"), 404, "no run with id"),
        (format!("{unknown_run}/candidates"), 404, "no run with id"),
        (format!("/?q={}", "a".repeat(501)), 400, "longer than 500"),
        ("/assets/nope.js".to_owned(), 404, "no asset"),
        ("/no/such/page".to_owned(), 404, "no page"),
        (
            "/downloads/events?album=zzz".to_owned(),
            400,
            "not a MusicBrainz",
        ),
    ] {
        let (got, body) = web.get(&path).await;
        assert_eq!(got, status, "GET {path}: {body}");
        assert!(body.contains(says), "GET {path}: {body}");
    }
    let run_page = get_it(&web, "automatic").await;
    let (got, body) = {
        let response = crate::harness::http_client()
            .get(format!("{}{run_page}/events", web.base))
            .header("Last-Event-ID", "abc")
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    };
    assert_eq!(got, 400, "{body}");
    let token = web.token(&format!("/albums/{ALBUM}")).await;
    for (fields, says) in [
        (
            vec![("csrf", token.as_str()), ("quality", "flac")],
            "not a quality",
        ),
        (
            vec![
                ("csrf", token.as_str()),
                ("quality", "any"),
                ("mode", "sometimes"),
            ],
            "not a mode",
        ),
    ] {
        let (status, _, body) = web.post(&format!("/albums/{ALBUM}/get"), &fields).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains(says), "{body}");
    }
    let (status, _, body) = web
        .post(
            &format!("{run_page}/choose"),
            &[("csrf", &token), ("guid", "x"), ("decline", "1")],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (css_status, css) = web.get("/assets/site.css").await;
    assert_eq!(css_status, 200);
    assert!(css.contains("@media"), "the stylesheet is served");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wanted_list_from_the_page() {
    let (_, providers) = Fake::default().into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let web = web(&app);
    let token = web.token("/wanted").await;
    assert!(web.page("/wanted").await.contains("Nothing is wanted."));
    let (status, location, body) = web
        .post(
            "/wanted",
            &[
                ("csrf", &token),
                ("album_id", ALBUM),
                ("quality", "lossless"),
                ("cutoff", ""),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/wanted")),
        "{body}"
    );
    let list = web.page("/wanted").await;
    assert!(list.contains(&format!("data-album=\"{ALBUM}\"")), "{list}");
    assert!(list.contains("WANTED"), "{list}");

    let (status, _, body) = web
        .post(
            "/wanted",
            &[
                ("csrf", &token),
                ("album_id", ALBUM),
                ("quality", "lossless"),
                ("cutoff", "mp3-320"),
            ],
        )
        .await;
    assert_eq!(status, 400, "a cutoff below the tier: {body}");

    let (status, location, _) = web
        .post(&format!("/wanted/{ALBUM}/search"), &[("csrf", &token)])
        .await;
    assert_eq!(status, 303);
    let run_page = location.unwrap();
    assert!(run_page.starts_with("/runs/"), "{run_page}");
    let events = web
        .events(&format!("{run_page}/events"), None)
        .await
        .rest()
        .await;
    assert_eq!(statuses(&events).last().unwrap(), "COMPLETE");

    let (status, _, _) = web
        .post(&format!("/wanted/{ALBUM}/remove"), &[("csrf", &token)])
        .await;
    assert_eq!(status, 303);
    assert!(
        !web.page("/wanted")
            .await
            .contains(&format!("data-album=\"{ALBUM}\""))
    );
    let (status, _, body) = web
        .post(&format!("/wanted/{ALBUM}/remove"), &[("csrf", &token)])
        .await;
    assert_eq!(status, 404, "{body}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_downloads_page_streams_the_download_events() {
    let (_, providers) = Fake::default().into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let web = web(&app);
    assert!(web.page("/downloads").await.contains("No download yet."));
    let run_page = get_it(&web, "automatic").await;
    web.events(&format!("{run_page}/events"), None)
        .await
        .rest()
        .await;
    let page = web.page("/downloads").await;
    assert!(page.contains("Artist - Album (2020) [FLAC]"), "{page}");

    let mut stream = web.events("/downloads/events?after=0", None).await;
    let first = stream.next().await.expect("the history");
    assert_eq!(first.event, "download");
    let data = first.json();
    assert_eq!(data["title"], "Artist - Album (2020) [FLAC]");
    assert_eq!(first.id.as_deref(), Some(data["seq"].to_string().as_str()));
    let first_seq = data["seq"].as_i64().unwrap();
    // Resumed after the first: only later events.
    let mut resumed = web
        .events("/downloads/events", Some(&first_seq.to_string()))
        .await;
    let next = resumed
        .next()
        .await
        .expect("the download's next state (QUEUED)");
    assert!(next.json()["seq"].as_i64().unwrap() > first_seq, "{next:?}");
    assert_eq!(next.json()["state"], "QUEUED");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_settings_check_tests_the_indexers_and_the_client() {
    let indexer = crate::fake_torznab::good_jackett("all").await;
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn_on(db, Providers::stand_ins(), |c| {
        c.indexers = vec![indexer.config("jackett")];
    })
    .await;
    let web = web(&app);
    let page = web.page("/settings").await;
    assert!(page.contains("<code>jackett</code>"), "{page}");
    let token = csrf_token(&page);
    let (status, _, body) = web.post("/settings/indexers", &[("csrf", &token)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("PASS") && body.contains("jackett: caps ok"),
        "{body}"
    );
    let (status, _, body) = web.post("/settings/client", &[("csrf", &token)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("FAIL") && body.contains("no [qbittorrent] or [transmission] section"),
        "{body}"
    );
    app.stop().await;
}

fn csrf_token(page: &str) -> String {
    crate::web_client::csrf_of(page)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_is_cancelled_from_its_page_and_an_album_id_finds_its_page() {
    let (_, providers) = two_candidates().into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let web = web(&app);
    let (status, location, _) = web.get_raw(&format!("/?q={ALBUM}")).await;
    assert_eq!(
        (status, location),
        (303, Some(format!("/albums/{ALBUM}"))),
        "an id typed in the search box goes to its album"
    );

    let run_page = get_it(&web, "manual").await;
    let mut stream = web.events(&format!("{run_page}/events"), None).await;
    until_offer(&mut stream).await;
    let page = web.page(&run_page).await;
    assert!(page.contains("Cancel this run"), "{page}");
    let token = crate::web_client::csrf_of(&page);
    let (status, location, body) = web
        .post(&format!("{run_page}/cancel"), &[("csrf", &token)])
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some(run_page.as_str())),
        "{body}"
    );
    let rest = stream.rest().await;
    assert_eq!(statuses(&rest), ["CANCELLED"]);
    assert_eq!(rest.last().unwrap().event, "end");
    let page = web.page(&run_page).await;
    assert!(page.contains("cancelled: from the web page"), "{page}");
    assert!(
        !page.contains("Cancel this run"),
        "an ended run has no cancel"
    );
    assert!(!page.contains(">Choose<"), "nor an offer to answer");
    app.stop().await;
}
