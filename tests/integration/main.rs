//! Integration tests: one binary, one harness.
//!
//! PostgreSQL tests need a server where the test user may create databases:
//! `scripts/test.sh` provides one (or set MUSICAGG_TEST_DATABASE_URL).

mod auth;
mod bad_input;
mod browser;
mod cli;
mod crash;
mod doubles;
mod downloads;
mod e2e;
mod failures;
mod fake_musicbrainz;
mod fake_torznab;
mod grab;
mod harness;
mod http_listener;
mod imports;
mod indexer_failures;
mod indexers;
mod manual;
mod manual_cli;
mod manual_close;
mod manual_ends;
mod manual_real;
mod metadata;
mod metrics;
mod ops;
mod qbt;
mod releases;
mod rss_real;
mod scene;
mod serve;
mod store_suite;
mod stream;
mod tls;
mod transmission;
mod trd;
mod upgrade;
mod wanted;
mod wanted_cli;
mod web;
mod web_browser;
mod web_client;
mod web_live;
mod web_pages;
mod web_scene;
