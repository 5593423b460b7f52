//! The commands that run in this process rather than against a server:
//! `serve` (the service itself, until SIGINT/SIGTERM) and `client test`
//! (is the torrent client reachable, and are its save paths visible here).

use std::path::PathBuf;
use std::process::ExitCode;

use super::CliError;
use crate::config::Config;

pub(super) async fn serve(config_path: Option<PathBuf>) -> Result<ExitCode, CliError> {
    let config = Config::load(config_path.as_deref())?;
    // Refused before anything is opened: a public port needs a key, and a
    // bad certificate is a configuration error (exit 2).
    crate::auth::exposure::check(&config).map_err(|e| CliError::Usage(e.to_string()))?;
    if let Some(tls) = &config.tls {
        tls.load().map_err(|e| CliError::Usage(e.to_string()))?;
    }
    crate::telemetry::init(config.log_format);
    if let Some(warning) = crate::auth::exposure::plaintext_warning(&config) {
        tracing::warn!("{warning}");
    }
    let app = crate::App::build(&config).await?;
    tracing::info!(
        addr = %app.local_addr(),
        database = %crate::app::redact_url(&config.database_url()),
        "musicagg ready"
    );
    // Bound and recovered: systemd may start what depends on us.
    crate::systemd::ready();
    app.run_until_stopped(async {
        shutdown_signal().await;
        crate::systemd::stopping();
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn client_test(config_path: Option<PathBuf>) -> Result<ExitCode, CliError> {
    let config = Config::load(config_path.as_deref())?;
    let Some(grabbing) = config.torrent_client_kind()? else {
        return Err(CliError::Usage(
            "no [qbittorrent] or [transmission] section in the configuration (url, username, \
             password)"
                .into(),
        ));
    };
    let mut results = Vec::new();
    if let Some(section) = &config.qbittorrent {
        results.push(qbittorrent_test(section, &config).await);
    }
    if let Some(section) = &config.transmission {
        if !results.is_empty() {
            println!();
        }
        results.push(super::transmission_test::run(section, &config).await);
    }
    if results.len() > 1 {
        println!("\n{} grabs (torrent_client)", grabbing.as_str());
    }
    // Each client was checked; the first failure decides the exit code and
    // the others are on stderr too.
    let mut first: Option<CliError> = None;
    for result in results {
        match (result, &first) {
            (Ok(_), _) => {}
            (Err(e), None) => first = Some(e),
            (Err(e), Some(_)) => eprintln!("musicagg: {e}"),
        }
    }
    first.map_or(Ok(ExitCode::SUCCESS), Err)
}

async fn qbittorrent_test(
    section: &crate::config::QbittorrentConfig,
    config: &Config,
) -> Result<ExitCode, CliError> {
    let client = crate::torrent_client::Qbittorrent::new(section)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    match client.check().await {
        Ok(check) => {
            println!(
                "qBittorrent {} at {} (WebAPI {})",
                check.version, section.url, check.api_version
            );
            println!(
                "logged in as {}",
                section.username.as_deref().unwrap_or("admin")
            );
            println!(
                "category {:?} ready ({} torrent{} in it)",
                check.category,
                check.torrents,
                if check.torrents == 1 { "" } else { "s" }
            );
        }
        Err(e) => return Err(CliError::Service(e.to_string())),
    }
    let locations = client
        .save_locations()
        .await
        .map_err(|e| CliError::Service(e.to_string()))?;
    save_paths_visible(&locations, &config.downloads.path_mappings)
}

/// Checks that what the client saves is visible here (through the path
/// mappings), and names the mapping to add when it is not.
pub(super) fn save_paths_visible(
    locations: &crate::torrent_client::SaveLocations,
    mappings: &[crate::config::PathMapping],
) -> Result<ExitCode, CliError> {
    let missing =
        crate::import::unseen_save_path(&locations.save_path, &locations.samples, mappings);
    let local = crate::import::map_path(&locations.save_path, mappings);
    match missing {
        None => {
            println!(
                "save path {} is visible here as {}",
                locations.save_path,
                local.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(remote) => {
            println!(
                "the client saves into {remote}, which this machine cannot see (or sees as \
                 another folder): add to the configuration\n\n\
                 [[downloads.path_mappings]]\nremote = \"{remote}\"\nlocal = \"<the same folder as this machine sees it>\""
            );
            Err(CliError::Service(format!(
                "{remote} (the client's save path) is not visible here: add a path mapping"
            )))
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
