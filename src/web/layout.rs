//! The page shell (header, navigation, main) and small formatting helpers
//! shared by the pages. Every value goes through maud, which escapes it.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};

use crate::model::{Quality, WorkflowStatus};

/// A whole page: `title` in the tab and as the page's heading, `scripts`
/// (names under `/assets/`) loaded at the end of the body.
pub fn page(title: &str, scripts: &[&str], body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "musicagg · " (title) }
                link rel="stylesheet" href="/assets/site.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header {
                    nav aria-label="Main" {
                        a.brand href="/" { "musicagg" }
                        a href="/" { "Search" }
                        a href="/downloads" { "Downloads" }
                        a href="/wanted" { "Wanted" }
                        a href="/settings" { "Settings" }
                    }
                }
                main #main {
                    h1 { (title) }
                    (body)
                }
                @for script in scripts {
                    script src={ "/assets/" (script) } defer {}
                }
            }
        }
    }
}

/// "90 MB", "1.2 GB", or "?" when unknown.
pub fn bytes(value: Option<u64>) -> String {
    match value {
        None => "?".into(),
        Some(b) if b >= 1_000_000_000 => format!("{:.1} GB", b as f64 / 1e9),
        Some(b) if b >= 1_000_000 => format!("{:.0} MB", b as f64 / 1e6),
        Some(b) if b >= 1_000 => format!("{:.0} kB", b as f64 / 1e3),
        Some(b) => format!("{b} B"),
    }
}

/// A moment as people read it, in UTC (the page has no idea of the
/// reader's zone without JavaScript).
pub fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// "4:05", or "" when unknown.
pub fn duration(ms: Option<u64>) -> String {
    match ms {
        Some(ms) if ms > 0 => {
            let secs = ms / 1000;
            format!("{}:{:02}", secs / 60, secs % 60)
        }
        _ => String::new(),
    }
}

/// The CSS class of a status badge: how the run stands, not which step.
pub fn status_class(status: WorkflowStatus) -> &'static str {
    match status {
        WorkflowStatus::Complete | WorkflowStatus::AlreadyOwned => "status ok",
        WorkflowStatus::NotFound
        | WorkflowStatus::NoResults
        | WorkflowStatus::Failed
        | WorkflowStatus::Cancelled => "status bad",
        WorkflowStatus::AwaitingChoice => "status ask",
        _ => "status busy",
    }
}

/// A `<select>` of the qualities users name (`--quality` spellings).
pub fn quality_select(name: &str, id: &str, selected: Quality) -> Markup {
    html! {
        select name=(name) id=(id) {
            @for q in Quality::ALL {
                option value=(q.label()) selected[q == selected] { (q.label()) }
            }
        }
    }
}

/// The quality named by its user spelling (`lossless`, `hires`, …).
pub fn parse_quality(label: &str) -> Option<Quality> {
    Quality::ALL.into_iter().find(|q| q.label() == label.trim())
}
