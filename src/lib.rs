//! musicagg gets albums for people who keep a music library.
//!
//! A client asks for an album (a MusicBrainz release-group id) at a quality;
//! a workflow fetches its metadata, checks whether the library already has
//! it, searches the indexers, ranks the releases and hands the best one to the
//! torrent client. Every step is an event, stored first and then streamed to
//! every client watching that album.
//!
//! Layout (named after the participants of the original sequence diagram):
//! - [`api`]: the gRPC service, proto conversions, the stream bridge.
//! - [`workflow`]: [`WorkflowRegistry`](workflow::WorkflowRegistry) and the
//!   monitor workflow with its steps.
//! - [`events`]: the [`EventBus`](events::EventBus), a wake-up signal per run.
//! - [`store`]: the [`Store`](store::Store) trait, PostgreSQL and SQLite.
//! - [`metadata`], [`indexer`], [`release`], [`magnet`], [`torrent_client`]:
//!   the external systems, each behind a trait.
//! - [`web`]: the web page, a client of the same core as [`api`].
//! - [`auth`]: the API key and TLS for both listeners.
//! - [`metrics`]: Prometheus metrics, served at `/metrics` by the web listener.
//! - [`app`]: wiring; [`config`], [`cli`], [`telemetry`], [`systemd`]
//!   (readiness for `Type=notify` units).

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod downloads;
pub mod events;
pub mod http;
pub mod import;
pub mod indexer;
pub mod library;
pub mod magnet;
pub mod metadata;
pub mod metrics;
pub mod model;
pub mod proto;
pub mod redact;
pub mod release;
pub mod store;
pub mod systemd;
pub mod tasks;
pub mod telemetry;
pub mod torrent_client;
pub mod wanted;
pub mod web;
pub mod workflow;

pub use app::{App, Providers};
pub use config::Config;
