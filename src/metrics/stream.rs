//! The open-stream guard: a gauge raised while a long-lived response lives.

use prometheus_client::metrics::gauge::Gauge;

/// Raises `musicagg_open_streams{kind}` by one until dropped. Made by
/// [`Metrics::open_stream`](super::Metrics::open_stream); move it into the
/// task (or the response body) that serves the stream, so a client that
/// goes away lowers the gauge when that task ends.
#[must_use = "the stream counts as open only while the guard lives"]
pub struct OpenStream {
    gauge: Gauge,
}

impl OpenStream {
    pub(super) fn new(gauge: Gauge) -> Self {
        gauge.inc();
        Self { gauge }
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}
