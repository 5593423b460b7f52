//! The one way this crate starts background work: every task has a name and
//! a tracing span, and a failure is logged instead of vanishing with the
//! task. Cancellation is each task's own business (a workflow must write its
//! CANCELLED event; a stream bridge just ends), so tasks take their token as
//! an ordinary argument.

use std::fmt::Display;
use std::future::Future;

use tokio::task::JoinHandle;
use tracing::{Instrument, Span};

/// Spawns `task` inside `span`; an `Err` is logged with the task's name.
pub fn spawn<F, E>(name: &'static str, span: Span, task: F) -> JoinHandle<()>
where
    F: Future<Output = Result<(), E>> + Send + 'static,
    E: Display + Send + 'static,
{
    tokio::spawn(
        async move {
            if let Err(e) = task.await {
                tracing::error!(task = name, error = %e, "background task failed");
            }
        }
        .instrument(span),
    )
}
