//! The settings check page: the indexers test and the torrent client test,
//! the same checks as `musicagg indexers test` and `musicagg client test`.
//! Both are POSTs: the client test creates the category when missing.

use axum::Form;
use axum::extract::State;
use maud::{Markup, html};
use serde::Deserialize;

use super::error::WebError;
use super::{Web, layout};
use crate::config::{Config, IndexerConfig, PathMapping, QbittorrentConfig};
use crate::indexer::TorznabIndexers;
use crate::torrent_client::Qbittorrent;

/// What the checks test: the configuration's indexers, torrent client and
/// path mappings.
#[derive(Clone, Default)]
pub struct Checks {
    indexers: Vec<IndexerConfig>,
    qbittorrent: Option<QbittorrentConfig>,
    path_mappings: Vec<PathMapping>,
}

impl Checks {
    pub fn from_config(config: &Config) -> Self {
        Self {
            indexers: config.indexers.clone(),
            qbittorrent: config.qbittorrent.clone(),
            path_mappings: config.downloads.path_mappings.clone(),
        }
    }
}

/// One line of a check's report.
struct Line {
    ok: bool,
    text: String,
}

fn render(web: &Web, results: Option<(&str, Vec<Line>)>) -> Markup {
    let checks = &web.state.checks;
    layout::page(
        "Settings check",
        &[],
        html! {
            p { "Is everything musicagg talks to reachable and set up? Nothing here changes your settings: they live in the configuration file." }
            section aria-labelledby="idx-h" {
                h2 #idx-h { "Indexers" }
                p { (checks.indexers.len()) " configured: "
                    @for (i, ix) in checks.indexers.iter().enumerate() {
                        @if i > 0 { ", " } code { (ix.name) }
                    }
                }
                form.inline method="post" action="/settings/indexers" {
                    (web.csrf.field())
                    button type="submit" { "Test the indexers" }
                }
            }
            section aria-labelledby="client-h" {
                h2 #client-h { "Torrent client" }
                @match &checks.qbittorrent {
                    Some(q) => p { "qBittorrent at " code { (q.url) } },
                    None => p.empty { "No [qbittorrent] section is configured." },
                }
                form.inline method="post" action="/settings/client" {
                    (web.csrf.field())
                    button type="submit" { "Test the client" }
                }
            }
            @if let Some((what, lines)) = results {
                section #results aria-labelledby="results-h" aria-live="polite" {
                    h2 #results-h { (what) }
                    ul.checks {
                        @for line in &lines {
                            li class=(if line.ok { "pass" } else { "fail" }) {
                                span.status class=(if line.ok { "ok" } else { "bad" }) {
                                    @if line.ok { "PASS" } @else { "FAIL" }
                                }
                                " " (line.text)
                            }
                        }
                    }
                }
            }
        },
    )
}

pub async fn page(State(web): State<Web>) -> Markup {
    render(&web, None)
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

pub async fn test_indexers(
    State(web): State<Web>,
    Form(form): Form<TokenForm>,
) -> Result<Markup, WebError> {
    if !web.csrf.accepts(&form.csrf) {
        return Err(WebError::Csrf);
    }
    let configured = &web.state.checks.indexers;
    let lines = if configured.is_empty() {
        vec![Line {
            ok: false,
            text: "no [[indexers]] configured".into(),
        }]
    } else {
        match TorznabIndexers::from_config(configured) {
            Ok(indexers) => indexers
                .test_all()
                .await
                .iter()
                .map(|check| Line {
                    ok: check.passed(),
                    text: check.to_string(),
                })
                .collect(),
            Err(e) => vec![Line {
                ok: false,
                text: e.to_string(),
            }],
        }
    };
    Ok(render(&web, Some(("Indexers test", lines))))
}

pub async fn test_client(
    State(web): State<Web>,
    Form(form): Form<TokenForm>,
) -> Result<Markup, WebError> {
    if !web.csrf.accepts(&form.csrf) {
        return Err(WebError::Csrf);
    }
    let lines = client_lines(&web.state.checks).await;
    Ok(render(&web, Some(("Torrent client test", lines))))
}

/// `musicagg client test`'s steps, each a line: log in and read the
/// version, the category, and whether its save path is visible here.
async fn client_lines(checks: &Checks) -> Vec<Line> {
    let fail = |text: String| vec![Line { ok: false, text }];
    let Some(section) = &checks.qbittorrent else {
        return fail(
            "no [qbittorrent] section in the configuration (url, username, password)".into(),
        );
    };
    let client = match Qbittorrent::new(section) {
        Ok(client) => client,
        Err(e) => return fail(e.to_string()),
    };
    let check = match client.check().await {
        Ok(check) => check,
        Err(e) => return fail(e.to_string()),
    };
    let mut lines = vec![
        Line {
            ok: true,
            text: format!(
                "qBittorrent {} at {} (WebAPI {}), logged in as {}",
                check.version,
                section.url,
                check.api_version,
                section.username.as_deref().unwrap_or("admin")
            ),
        },
        Line {
            ok: true,
            text: format!(
                "category {:?} ready ({} torrents in it)",
                check.category, check.torrents
            ),
        },
    ];
    match client.save_locations().await {
        Err(e) => lines.push(Line {
            ok: false,
            text: e.to_string(),
        }),
        Ok(locations) => {
            let mappings = &checks.path_mappings;
            lines.push(
                match crate::import::unseen_save_path(
                    &locations.save_path,
                    &locations.samples,
                    mappings,
                ) {
                    None => Line {
                        ok: true,
                        text: format!(
                            "save path {} is visible here as {}",
                            locations.save_path,
                            crate::import::map_path(&locations.save_path, mappings).display()
                        ),
                    },
                    Some(remote) => Line {
                        ok: false,
                        text: format!(
                            "the client saves into {remote}, which this machine cannot see: add a \
                             [[downloads.path_mappings]] with remote = {remote:?} and local = the same \
                             folder as this machine sees it"
                        ),
                    },
                },
            );
        }
    }
    lines
}
