//! The run page: every event (live through `sse`), the outcome, and the
//! candidates table with verdicts and reasons (ListCandidates' data). A
//! manual run waiting for its answer gets a Choose button per candidate and
//! a Decline, answered through `Workflows::choose` like ChooseRelease.

use super::csrf::TokenForm;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

use super::error::WebError;
use super::{Web, layout};
use crate::model::{MonitorMode, Run, RunId, WorkflowStatus};
use crate::store::StoredCandidate;
use crate::workflow::Pick;

/// Events rendered with the page; the stream brings the rest.
const EVENTS_SHOWN: i64 = 2_000;

pub fn parse_run_id(text: &str) -> Result<RunId, WebError> {
    RunId::parse(text.trim()).map_err(|_| {
        WebError::BadRequest(format!(
            "{:?} is not a run id (a UUID)",
            text.chars().take(64).collect::<String>()
        ))
    })
}

async fn load_run(web: &Web, text: &str) -> Result<Run, WebError> {
    let run_id = parse_run_id(text)?;
    find_run(&web.state.workflows, run_id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("no run with id {run_id}")))
}

/// The run as stored, or — for a run just started, whose supervisor has not
/// written its row yet (the "Get it" redirect can be that quick) — as the
/// registry knows it: about to fetch the metadata, nothing stored yet.
pub async fn find_run(
    workflows: &crate::workflow::Workflows,
    run_id: RunId,
) -> Result<Option<Run>, WebError> {
    if let Some(run) = workflows.store.run(run_id).await? {
        return Ok(Some(run));
    }
    Ok(workflows.registry.get_by_run(run_id).map(|entry| {
        let now = chrono::Utc::now();
        Run {
            id: run_id,
            album_id: entry.key.album_id.clone(),
            quality: entry.key.quality,
            mode: entry.mode,
            status: WorkflowStatus::FetchingMetadata,
            message: "starting".into(),
            last_seq: 0,
            created_at: now,
            updated_at: now,
            finished_at: None,
        }
    }))
}

pub async fn page(State(web): State<Web>, Path(run_id): Path<String>) -> Result<Markup, WebError> {
    let run = load_run(&web, &run_id).await?;
    let store = web.state.workflows.store.as_ref();
    let events = store.events_after(run.id, 0, EVENTS_SHOWN).await?;
    let last_seq = events.last().map_or(0, |e| e.seq);
    let album = store.album(&run.album_id).await?.map(|(a, _)| a);
    let title = match &album {
        Some(a) if !a.title.is_empty() => format!("{} — {}", a.artist, a.title),
        _ => format!("Run of {}", run.album_id),
    };
    let candidates = candidates(&web, &run).await?;
    Ok(layout::page(
        &title,
        &["run.js"],
        html! {
            p.meta {
                "Run " code { (run.id) } " · " (run.quality.label()) " · " (run.mode)
                " · " a href={ "/albums/" (run.album_id) } { "the album" }
            }
            p #outcome aria-live="polite" {
                span class=(layout::status_class(run.status)) { (run.status) }
                " "
                span.message { (run.message) }
            }
            section aria-labelledby="steps-h" {
                h2 #steps-h { "Steps" }
                ol #steps data-run=(run.id) data-after=(last_seq)
                    data-finished=(run.is_finished()) aria-live="polite" {
                    @for e in &events {
                        (step(e.seq, e.status, &e.message, e.created_at))
                    }
                }
                p #stream-state.meta {}
            }
            section #candidates aria-labelledby="candidates-h" {
                (candidates)
            }
        },
    ))
}

/// One event as a list item; `run.js` builds the same shape for live ones.
fn step(
    seq: i64,
    status: WorkflowStatus,
    message: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Markup {
    html! {
        li data-seq=(seq) {
            span class=(layout::status_class(status)) { (status) }
            " "
            span.message { (message) }
            " "
            time.meta datetime=(at.to_rfc3339()) { (layout::time(at)) }
        }
    }
}

/// The candidates section's content (also served alone, for the page's
/// script to refresh it when the run offers or ends).
pub async fn candidates_fragment(
    State(web): State<Web>,
    Path(run_id): Path<String>,
) -> Result<Markup, WebError> {
    let run = load_run(&web, &run_id).await?;
    candidates(&web, &run).await
}

async fn candidates(web: &Web, run: &Run) -> Result<Markup, WebError> {
    let store = web.state.workflows.store.as_ref();
    let list = store.candidates(run.id).await?;
    let open = run.mode == MonitorMode::Manual
        && run.status == WorkflowStatus::AwaitingChoice
        && store
            .offer(run.id)
            .await?
            .is_some_and(|o| o.decision.is_none() && !o.is_ended());
    // Every form of the run page is in this fragment: the script reloads it
    // when the stream reconnects, so a restart's new token reaches them.
    Ok(html! {
        @if !run.is_finished() {
            form.inline method="post" action={ "/runs/" (run.id) "/cancel" } {
                (web.csrf.field())
                button.secondary type="submit" { "Cancel this run" }
            }
        }
        h2 #candidates-h { "Candidates" }
        @if list.is_empty() {
            p.empty { "None evaluated yet." }
        } @else {
            @if open {
                p.ask { "This run waits for your choice: any release can be chosen, a rejected one too." }
                form.inline method="post" action={ "/runs/" (run.id) "/choose" } {
                    (web.csrf.field())
                    input type="hidden" name="decline" value="1";
                    button.secondary type="submit" { "Decline (end the run)" }
                }
            }
            div.scroll {
                table.candidates {
                    thead { tr {
                        th scope="col" { "#" }
                        th scope="col" { "Verdict" }
                        th scope="col" { "Release" }
                        th scope="col" { "Quality" }
                        th scope="col" { "Size" }
                        th scope="col" { "Seeders" }
                        th scope="col" { "Indexer" }
                        th scope="col" { "Why" }
                        @if open { th scope="col" { "Choose" } }
                    } }
                    tbody {
                        @for (i, c) in list.iter().enumerate() {
                            (candidate_row(web, run.id, i + 1, c, open))
                        }
                    }
                }
            }
        }
    })
}

fn candidate_row(
    web: &Web,
    run_id: RunId,
    number: usize,
    c: &StoredCandidate,
    open: bool,
) -> Markup {
    let s = &c.candidate;
    html! {
        tr class=(if c.accepted { "accepted" } else { "rejected" }) {
            // data-label: a phone shows each cell as "label value" (the
            // card layout hides the header row).
            td data-label="#" { (number) }
            td data-label="Verdict" { @if c.accepted { "accepted" } @else { "rejected" } }
            td.title data-label="Release" { (s.title) }
            td data-label="Quality" { (s.quality) }
            td data-label="Size" { (layout::bytes(s.size_bytes)) }
            td data-label="Seeders" { @match s.seeders { Some(n) => (n), None => "?" } }
            td data-label="Indexer" { (s.indexer) }
            td data-label="Why" {
                @if c.accepted {
                    (accepted_why(s))
                } @else {
                    ul.reasons { @for r in &s.rejections { li { (r) } } }
                }
            }
            @if open {
                td data-label="Choose" {
                    form method="post" action={ "/runs/" (run_id) "/choose" } {
                        (web.csrf.field())
                        input type="hidden" name="guid" value=(s.guid);
                        button type="submit" aria-label={ "Choose " (s.title) } { "Choose" }
                    }
                }
            }
        }
    }
}

/// Why an accepted release ranks where it does: its quality and how it was
/// decided, how the title was read, and its score.
fn accepted_why(s: &crate::model::CandidateSummary) -> String {
    let mut why = format!(
        "{} in the tier",
        if s.quality.is_empty() {
            "quality"
        } else {
            &s.quality
        }
    );
    if let Some(by) = s.details.get("decided_by").and_then(|v| v.as_str()) {
        why.push_str(&format!(" (decided by {by})"));
    }
    if let Some(read_as) = s.details.get("read_as").and_then(|v| v.as_str()) {
        why.push_str(&format!("; read as {read_as}"));
    }
    why.push_str(&format!("; score {:.2}", s.score));
    why
}

/// A newest-first table of runs, linking to their pages.
pub fn runs_table(runs: &[Run]) -> Markup {
    html! {
        @if runs.is_empty() {
            p.empty { "No run yet." }
        } @else {
            ul.runs {
                @for r in runs {
                    li {
                        a href={ "/runs/" (r.id) } {
                            span class=(layout::status_class(r.status)) { (r.status) }
                        }
                        " " (r.quality.label()) " · " (r.mode) " · " (layout::time(r.created_at))
                        " " span.message { (r.message) }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ChooseForm {
    #[serde(default)]
    csrf: String,
    guid: Option<String>,
    decline: Option<String>,
}

/// A Choose or Decline button: the first valid answer wins, as for every
/// other client; a refused one says why (409).
#[tracing::instrument(skip_all, fields(run_id = %run_id))]
pub async fn choose(
    State(web): State<Web>,
    Path(run_id): Path<String>,
    Form(form): Form<ChooseForm>,
) -> Result<Redirect, WebError> {
    web.csrf.check(&form.csrf)?;
    let run_id = parse_run_id(&run_id)?;
    let pick = match (form.guid, form.decline) {
        (Some(guid), None) if !guid.is_empty() => Pick::Guid(guid),
        (None, Some(_)) => Pick::Decline,
        _ => {
            return Err(WebError::BadRequest(
                "give either a candidate (guid) or decline".into(),
            ));
        }
    };
    let chosen = web.state.workflows.choose(run_id, pick).await?;
    tracing::info!(%run_id, guid = chosen.candidate.as_ref().map(|c| c.guid.as_str()), "choice taken from the web page");
    Ok(Redirect::to(&format!("/runs/{run_id}")))
}

#[tracing::instrument(skip_all, fields(run_id = %run_id))]
pub async fn cancel(
    State(web): State<Web>,
    Path(run_id): Path<String>,
    Form(form): Form<TokenForm>,
) -> Result<Redirect, WebError> {
    web.csrf.check(&form.csrf)?;
    let run_id = parse_run_id(&run_id)?;
    web.state
        .workflows
        .cancel(run_id, "from the web page")
        .await?;
    Ok(Redirect::to(&format!("/runs/{run_id}")))
}
