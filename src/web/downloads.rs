//! The downloads page: every download with its state and progress, kept
//! live by `downloads.js` from the same download events WatchDownloads
//! streams (`/downloads/events`).
//!
//! The table carries `data-after`, the newest download event's seq when the
//! page was rendered: the script streams from there, so a page load never
//! replays the history (about a hundred events per download), and a row not
//! on the page is a download that started after it was rendered (the
//! script puts it on top).

use axum::extract::State;
use maud::{Markup, html};

use super::error::WebError;
use super::{Web, layout};
use crate::store::{DownloadFilter, DownloadRecord};

/// Downloads listed, newest first.
const SHOWN: i64 = 200;

pub async fn page(State(web): State<Web>) -> Result<Markup, WebError> {
    let store = &web.state.workflows.store;
    // The seq first: the rows read next are at least that new, and every
    // event after it reaches the page through the stream.
    let after = store.latest_download_seq().await?;
    let downloads = store
        .list_downloads(&DownloadFilter::default(), 0, SHOWN)
        .await?;
    Ok(layout::page(
        "Downloads",
        &["downloads.js"],
        html! {
            p.meta #stream-state aria-live="polite" {}
            (table(&downloads, Some(after)))
        },
    ))
}

/// Downloads as a table whose rows `downloads.js` updates in place (by the
/// download's id), from the download events after `after` (`None` where
/// no script keeps the table live).
pub fn table(downloads: &[DownloadRecord], after: Option<i64>) -> Markup {
    html! {
        div.scroll {
            table.downloads #downloads-table data-after=[after] {
                thead { tr {
                    th scope="col" { "Release" }
                    th scope="col" { "State" }
                    th scope="col" { "Progress" }
                    th scope="col" { "Size" }
                    th scope="col" { "What happened last" }
                } }
                tbody {
                    @for d in downloads { (row(d)) }
                }
            }
            @if downloads.is_empty() {
                p.empty #no-downloads { "No download yet." }
            }
        }
    }
}

fn row(d: &DownloadRecord) -> Markup {
    let percent = (d.progress * 100.0).clamp(0.0, 100.0);
    html! {
        tr data-download=(d.id) {
            // data-label: a phone shows each cell as "label value" (the
            // card layout hides the header row); downloads.js labels its
            // new rows the same way.
            td.title data-label="Release" {
                a href={ "/albums/" (d.album_id) } { (d.title) }
            }
            td.state data-label="State" { (d.state.as_str().to_uppercase()) }
            td.progress data-label="Progress" {
                progress max="100" value=(format!("{percent:.0}")) aria-label={ "Progress of " (d.title) } {}
                " " span.percent { (format!("{percent:.0} %")) }
            }
            td.size data-label="Size" { (layout::bytes(d.size_bytes)) }
            td.message data-label="What happened last" { (d.message) }
        }
    }
}
