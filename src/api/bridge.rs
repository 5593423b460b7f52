//! The stream bridge: from the event bus (and the store) to one client's
//! MonitorAlbumStream.
//!
//! One loop per stream `select!`s over the client's inbound messages, the
//! run's bus subscription and the server's shutdown. Invariant: the client
//! receives every event of the run with seq > `after_seq` exactly once, in
//! seq order, then the final response, then the stream ends OK. How:
//! - `last_sent` is the highest seq delivered; anything at or below it is
//!   dropped (replay and live overlap at join time);
//! - the next event (`last_sent + 1`) from the bus is sent as is;
//! - a gap, or a lagged subscription, is filled from the store.
//!
//! The bridge owns nothing of the workflow: when the client goes away the
//! bridge ends and the workflow goes on. A `choose` from the client is handed
//! to [`Workflows::choose`]; a bad one ends this stream with its status and
//! leaves the workflow as it was.

use std::sync::Arc;

use futures::Stream;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;
use tonic::Status;

use super::convert::{Choose, stream_message};
use crate::events::Received;
use crate::model::{Event, MonitorMode, Run, RunId};
use crate::proto::v1 as pb;
use crate::store::{Store, StoreError};
use crate::workflow::{Attachment, Workflows};

/// Events read from the store per query while catching up.
const CATCH_UP_PAGE: i64 = 256;

/// What the bridge hands to the response stream. Small on purpose: each
/// stream's channel allocates its slots up front, and an event travels as a
/// shared pointer, converted to protobuf only when the stream takes it
/// (BENCHMARKS.md, B3: a third of an idle stream's memory was this channel).
#[derive(Debug)]
pub enum Outgoing {
    Event { event: Arc<Event>, replayed: bool },
    Error(Box<Status>),
}

impl Outgoing {
    fn error(status: Status) -> Self {
        Outgoing::Error(Box::new(status))
    }

    /// The stream message (the final response for a terminal event).
    pub fn into_message(self) -> Result<pb::MonitorAlbumStreamResponse, Status> {
        match self {
            Outgoing::Event { event, replayed } => Ok(stream_message(&event, replayed)),
            Outgoing::Error(status) => Err(*status),
        }
    }
}

pub type Outbound = mpsc::Sender<Outgoing>;

/// Whether the bridge has delivered the final response.
#[derive(Debug, PartialEq, Eq)]
enum Progress {
    Open,
    Finished,
}

/// Why the bridge stopped early.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("reading events: {0}")]
    Store(#[from] StoreError),
}

struct Bridge<'a> {
    workflows: &'a Workflows,
    store: &'a dyn Store,
    out: &'a Outbound,
    last_sent: i64,
}

/// Runs one client's stream until the final response, the client's
/// departure, or shutdown. `inbound` is the rest of the client's messages
/// (after its start message).
pub async fn run<I>(
    attachment: Attachment,
    after_seq: i64,
    workflows: &Workflows,
    out: Outbound,
    mut inbound: I,
    shutdown: CancellationToken,
) -> Result<(), BridgeError>
where
    I: Stream<Item = Result<pb::MonitorAlbumStreamRequest, Status>> + Unpin,
{
    let Attachment {
        run_id,
        created,
        mut subscription,
        ..
    } = attachment;
    let mut bridge = Bridge {
        workflows,
        store: workflows.store.as_ref(),
        out: &out,
        last_sent: after_seq,
    };
    let served = bridge
        .serve(run_id, created, &mut subscription, &mut inbound, &shutdown)
        .await;
    if let Err(e) = &served {
        // Never end a stream OK without its final response.
        let _ = out
            .send(Outgoing::error(Status::unavailable(format!(
                "{e}; reconnect with after_seq = {}",
                bridge.last_sent
            ))))
            .await;
    }
    served.map_err(BridgeError::from)
}

impl Bridge<'_> {
    async fn serve<I>(
        &mut self,
        run_id: crate::model::RunId,
        created: bool,
        subscription: &mut crate::events::Subscription,
        inbound: &mut I,
        shutdown: &CancellationToken,
    ) -> Result<(), StoreError>
    where
        I: Stream<Item = Result<pb::MonitorAlbumStreamRequest, Status>> + Unpin,
    {
        let out = self.out;
        let bridge = self;
        // A new run has nothing stored that the subscription will not bring;
        // a joined one replays its history first.
        if !created {
            let after_seq = bridge.last_sent;
            if bridge.catch_up(run_id, true).await? == Progress::Finished {
                return Ok(());
            }
            if let Some(run) = bridge.store.run(run_id).await? {
                // A client that already has every event (after_seq at or
                // past the end of a finished run) is still owed the final
                // response.
                if run.is_finished()
                    && bridge.last_sent >= run.last_seq
                    && let Some(terminal) = bridge
                        .store
                        .events_after(run_id, run.last_seq - 1, 1)
                        .await?
                        .pop()
                {
                    bridge.deliver(Arc::new(terminal), true).await;
                    return Ok(());
                }
                bridge.offer_again(&run, after_seq).await?;
            }
        }
        let mut inbound_open = true;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => {
                    let _ = out.send(Outgoing::error(Status::unavailable(format!(
                        "server shutting down; reconnect with after_seq = {}", bridge.last_sent
                    )))).await;
                    return Ok(());
                }
                () = out.closed() => return Ok(()),
                message = inbound.next(), if inbound_open => match message {
                    // The client closed its sending side: normal, keep streaming.
                    None => inbound_open = false,
                    Some(Ok(message)) => {
                        if let Err(status) = bridge.inbound(run_id, message).await {
                            let _ = out.send(Outgoing::error(status)).await;
                            return Ok(());
                        }
                    }
                    // The client is gone (reset, cancelled).
                    Some(Err(_)) => return Ok(()),
                },
                received = subscription.recv() => {
                    let progress = match received {
                        // Already sent; but the final response is always due
                        // (a client may resume with after_seq past the end).
                        Received::Event(event) if event.seq <= bridge.last_sent => {
                            if event.status.is_terminal() {
                                bridge.deliver(event, true).await
                            } else {
                                Progress::Open
                            }
                        }
                        Received::Event(event) if event.seq == bridge.last_sent + 1 => {
                            bridge.deliver(event, false).await
                        }
                        Received::Event(event) => {
                            // A gap: fill it from the store. A terminal event that
                            // the store does not have (it refused the write) is
                            // still delivered.
                            match bridge.catch_up(run_id, false).await? {
                                Progress::Open if event.status.is_terminal()
                                    && event.seq > bridge.last_sent => {
                                    bridge.deliver(event, false).await
                                }
                                progress => progress,
                            }
                        }
                        Received::Lagged => bridge.catch_up(run_id, false).await?,
                    };
                    if progress == Progress::Finished {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// A client's message after its start: only `choose` is allowed. An
    /// error ends this stream (never the workflow).
    async fn inbound(
        &self,
        run_id: RunId,
        message: pb::MonitorAlbumStreamRequest,
    ) -> Result<(), Status> {
        use pb::monitor_album_stream_request::Request;
        let request = match message.request {
            Some(Request::Choose(request)) => request,
            Some(Request::Start(_)) => {
                return Err(Status::invalid_argument(
                    "only one start message is allowed per stream",
                ));
            }
            None => return Err(Status::invalid_argument("an empty message")),
        };
        let choose = Choose::try_from(request)?;
        if let Some(other) = choose.run_id
            && other != run_id
        {
            return Err(Status::invalid_argument(format!(
                "run {other} is not this stream's run ({run_id}); use ChooseRelease for another run"
            )));
        }
        let chosen = self.workflows.choose(run_id, choose.pick).await?;
        tracing::info!(
            guid = chosen.candidate.as_ref().map(|c| c.guid.as_str()),
            "choice taken from the stream"
        );
        Ok(())
    }

    /// A client resuming at or past a manual run's offer (`after_seq` ≥ its
    /// seq, as `musicagg monitor` resumes after leaving at the prompt) would
    /// wait for a prompt that never comes: while the offer is unanswered it
    /// is sent once more, replayed (`last_sent` is unchanged, so every later
    /// event still arrives once).
    async fn offer_again(&mut self, run: &Run, after_seq: i64) -> Result<(), StoreError> {
        if run.mode != MonitorMode::Manual || run.is_finished() || after_seq <= 0 {
            return Ok(());
        }
        match self.store.offer(run.id).await? {
            Some(offer) if offer.decision.is_none() && !offer.is_ended() => {}
            _ => return Ok(()),
        }
        let offered = self
            .store
            .events_after(run.id, 0, after_seq.min(CATCH_UP_PAGE))
            .await?
            .into_iter()
            .rev()
            .find(|e| e.offer().is_some());
        if let Some(event) = offered {
            let _ = self
                .out
                .send(Outgoing::Event {
                    event: Arc::new(event),
                    replayed: true,
                })
                .await;
        }
        Ok(())
    }

    /// Sends one event (the final response if terminal). A client that is
    /// gone counts as finished: there is nobody left to send to.
    async fn deliver(&mut self, event: Arc<Event>, replayed: bool) -> Progress {
        let seq = event.seq;
        let terminal = event.status.is_terminal();
        let sent = self.out.send(Outgoing::Event { event, replayed }).await;
        self.last_sent = seq;
        if sent.is_err() || terminal {
            Progress::Finished
        } else {
            Progress::Open
        }
    }

    /// Sends every stored event after `last_sent`.
    async fn catch_up(
        &mut self,
        run_id: crate::model::RunId,
        replayed: bool,
    ) -> Result<Progress, StoreError> {
        loop {
            let events = self
                .store
                .events_after(run_id, self.last_sent, CATCH_UP_PAGE)
                .await?;
            let page_len = events.len();
            for event in events {
                if self.deliver(Arc::new(event), replayed).await == Progress::Finished {
                    return Ok(Progress::Finished);
                }
            }
            if i64::try_from(page_len).unwrap_or(0) < CATCH_UP_PAGE {
                return Ok(Progress::Open);
            }
        }
    }
}
