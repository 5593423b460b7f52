//! The settings check page: the indexers test and the torrent client test,
//! the same checks as `musicagg indexers test` and `musicagg client test`
//! (the same library calls: `TorznabIndexers::test_all`,
//! `Qbittorrent::check`, `Transmission::check`, their `save_locations` and
//! `import::unseen_save_path`), each configured client in turn, saying which
//! one grabs. Both are POSTs: the client test creates the category when
//! missing.

use super::csrf::TokenForm;
use axum::Form;
use axum::extract::State;
use maud::{Markup, html};

use super::error::WebError;
use super::{Web, layout};
use crate::config::{
    Config, IndexerConfig, PathMapping, QbittorrentConfig, TorrentClientKind, TransmissionConfig,
};
use crate::indexer::TorznabIndexers;
use crate::torrent_client::{Qbittorrent, SaveLocations, Transmission};

/// What the checks test: the configuration's indexers, torrent clients
/// (and which one grabs) and path mappings.
#[derive(Clone, Default)]
pub struct Checks {
    indexers: Vec<IndexerConfig>,
    qbittorrent: Option<QbittorrentConfig>,
    transmission: Option<TransmissionConfig>,
    /// `Config::torrent_client_kind`: `None` when no client is configured
    /// (an ambiguous choice never gets this far: `serve` refuses it).
    grabbing: Option<TorrentClientKind>,
    path_mappings: Vec<PathMapping>,
}

impl Checks {
    pub fn from_config(config: &Config) -> Self {
        Self {
            indexers: config.indexers.clone(),
            qbittorrent: config.qbittorrent.clone(),
            transmission: config.transmission.clone(),
            grabbing: config.torrent_client_kind().ok().flatten(),
            path_mappings: config.downloads.path_mappings.clone(),
        }
    }

    /// What the page says after a client: whether it grabs.
    fn grabs(&self, kind: TorrentClientKind) -> &'static str {
        if self.grabbing == Some(kind) {
            " — grabs"
        } else {
            " — configured, does not grab (torrent_client)"
        }
    }
}

/// One line of a check's report.
struct Line {
    ok: bool,
    text: String,
}

impl Line {
    fn pass(text: String) -> Self {
        Self { ok: true, text }
    }

    fn fail(text: String) -> Self {
        Self { ok: false, text }
    }
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
                @if let Some(q) = &checks.qbittorrent {
                    p.client { "qBittorrent at " code { (q.url) } (checks.grabs(TorrentClientKind::Qbittorrent)) }
                }
                @if let Some(t) = &checks.transmission {
                    p.client { "Transmission at " code { (t.url) } (checks.grabs(TorrentClientKind::Transmission)) }
                }
                @if checks.grabbing.is_none() {
                    p.empty { "No [qbittorrent] or [transmission] section is configured." }
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
                                span class={ "status " (if line.ok { "ok" } else { "bad" }) } {
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

pub async fn test_indexers(
    State(web): State<Web>,
    Form(form): Form<TokenForm>,
) -> Result<Markup, WebError> {
    web.csrf.check(&form.csrf)?;
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
    web.csrf.check(&form.csrf)?;
    let lines = client_lines(&web.state.checks).await;
    Ok(render(&web, Some(("Torrent client test", lines))))
}

/// `musicagg client test`'s steps, each a line, for each configured client
/// in turn, then which one grabs.
async fn client_lines(checks: &Checks) -> Vec<Line> {
    let Some(grabbing) = checks.grabbing else {
        return vec![Line {
            ok: false,
            text: "no [qbittorrent] or [transmission] section in the configuration (url, \
                   username, password)"
                .into(),
        }];
    };
    let mut lines = Vec::new();
    if let Some(section) = &checks.qbittorrent {
        lines.extend(qbittorrent_lines(section, &checks.path_mappings).await);
    }
    if let Some(section) = &checks.transmission {
        lines.extend(transmission_lines(section, &checks.path_mappings).await);
    }
    lines.push(Line {
        ok: true,
        text: format!("{} grabs (torrent_client)", grabbing.as_str()),
    });
    lines
}

/// qBittorrent: log in and read the version, the category, and whether its
/// save path is visible here.
async fn qbittorrent_lines(section: &QbittorrentConfig, mappings: &[PathMapping]) -> Vec<Line> {
    let fail = |e: &dyn std::fmt::Display| vec![Line::fail(format!("qBittorrent: {e}"))];
    let client = match Qbittorrent::new(section) {
        Ok(client) => client,
        Err(e) => return fail(&e),
    };
    let check = match client.check().await {
        Ok(check) => check,
        Err(e) => return fail(&e),
    };
    let mut lines = vec![
        Line::pass(format!(
            "qBittorrent {} at {} (WebAPI {}), logged in as {}",
            check.version,
            section.url,
            check.api_version,
            section.username.as_deref().unwrap_or("admin")
        )),
        Line::pass(format!(
            "category {:?} ready ({} torrents in it)",
            check.category, check.torrents
        )),
    ];
    lines.push(match client.save_locations().await {
        Ok(locations) => save_path_line(&locations, mappings),
        Err(e) => Line::fail(format!("qBittorrent: {e}")),
    });
    lines
}

/// Transmission: reachable, credentials accepted, its version, our labels,
/// and whether where it saves is visible here.
async fn transmission_lines(section: &TransmissionConfig, mappings: &[PathMapping]) -> Vec<Line> {
    let fail = |e: &dyn std::fmt::Display| vec![Line::fail(format!("Transmission: {e}"))];
    let client = match Transmission::new(section) {
        Ok(client) => client,
        Err(e) => return fail(&e),
    };
    let check = match client.check().await {
        Ok(check) => check,
        Err(e) => return fail(&e),
    };
    let user = match &section.username {
        Some(user) => format!("logged in as {user}"),
        None => "no username configured: the daemon asks for none".into(),
    };
    let mut lines = vec![
        Line::pass(format!(
            "Transmission {} at {} (RPC version {}), {user}",
            check.session.version,
            client.url(),
            check.session.rpc_version
        )),
        Line::pass(format!(
            "labels {:?} ({} torrents labelled {:?})",
            check.labels,
            check.labelled,
            check.labels.first().map(String::as_str).unwrap_or_default()
        )),
    ];
    lines.push(match client.save_locations().await {
        Ok(locations) => save_path_line(&locations, mappings),
        Err(e) => Line::fail(format!("Transmission: {e}")),
    });
    lines
}

/// Whether what a client saves is visible here (through the path
/// mappings), naming the mapping to add when it is not.
fn save_path_line(locations: &SaveLocations, mappings: &[PathMapping]) -> Line {
    match crate::import::unseen_save_path(&locations.save_path, &locations.samples, mappings) {
        None => Line::pass(format!(
            "save path {} is visible here as {}",
            locations.save_path,
            crate::import::map_path(&locations.save_path, mappings).display()
        )),
        Some(remote) => Line::fail(format!(
            "the client saves into {remote}, which this machine cannot see: add a \
             [[downloads.path_mappings]] with remote = {remote:?} and local = the same folder \
             as this machine sees it"
        )),
    }
}
