//! A run's meter: the time spent in each workflow status (step), and the
//! run's end.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Metrics;
use crate::model::{MonitorMode, WorkflowStatus};

/// Held by a run's supervisor and shared with its steps. Each stored event
/// ends the step that was current (its time observed under that status)
/// and starts the next; the terminal event ends the last step and counts
/// the run as ended.
pub struct RunMeter {
    metrics: Metrics,
    mode: MonitorMode,
    current: Mutex<Option<(WorkflowStatus, Instant)>>,
}

impl RunMeter {
    pub(super) fn new(metrics: Metrics, mode: MonitorMode, first: Option<WorkflowStatus>) -> Self {
        Self {
            metrics,
            mode,
            current: Mutex::new(first.map(|status| (status, Instant::now()))),
        }
    }

    /// An event of this run was stored with `status`.
    pub fn event(&self, status: WorkflowStatus) {
        self.metrics.run_event_stored();
        if let Some((step, took)) = self.switch(status) {
            self.metrics.observe_step(step, took);
        }
    }

    /// The run's terminal event was stored with `status`.
    pub fn ended(&self, status: WorkflowStatus) {
        self.event(status);
        self.metrics.count_end(status, self.mode);
    }

    /// The step that ends now and how long it lasted; a repeated status
    /// (two events of one step) keeps its clock running.
    fn switch(&self, status: WorkflowStatus) -> Option<(WorkflowStatus, Duration)> {
        let mut current = self
            .current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        match *current {
            Some((step, _)) if step == status && !status.is_terminal() => None,
            Some((step, since)) => {
                *current = (!status.is_terminal()).then_some((status, now));
                Some((step, now - since))
            }
            None => {
                *current = (!status.is_terminal()).then_some((status, now));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_is_timed_once_and_the_end_is_counted() {
        let metrics = Metrics::new();
        let meter = metrics.run_started(MonitorMode::Manual, None);
        meter.event(WorkflowStatus::FetchingMetadata);
        meter.event(WorkflowStatus::Searching);
        meter.event(WorkflowStatus::Searching);
        meter.ended(WorkflowStatus::NoResults);
        let text = metrics.encode().expect("encodes");
        for line in [
            "musicagg_runs_started_total{mode=\"manual\"} 1",
            "musicagg_runs_ended_total{status=\"NO_RESULTS\",mode=\"manual\"} 1",
            "musicagg_events_stored_total{kind=\"run\"} 4",
            "musicagg_run_step_duration_seconds_count{step=\"FETCHING_METADATA\"} 1",
            "musicagg_run_step_duration_seconds_count{step=\"SEARCHING\"} 1",
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
        assert!(!text.contains("step=\"NO_RESULTS\""), "{text}");
    }
}
