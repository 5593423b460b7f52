//! `musicagg client test` for `[transmission]`: reachable, credentials
//! accepted, its version, our labels, and whether where it saves is
//! visible here.

use std::process::ExitCode;

use super::CliError;
use crate::config::{Config, TransmissionConfig};
use crate::torrent_client::Transmission;

pub(super) async fn run(
    section: &TransmissionConfig,
    config: &Config,
) -> Result<ExitCode, CliError> {
    let client = Transmission::new(section).map_err(|e| CliError::Usage(e.to_string()))?;
    let check = client
        .check()
        .await
        .map_err(|e| CliError::Service(e.to_string()))?;
    println!(
        "Transmission {} at {} (RPC version {})",
        check.session.version,
        client.url(),
        check.session.rpc_version
    );
    match &section.username {
        Some(user) => println!("logged in as {user}"),
        None => println!("no username configured: the daemon asks for none"),
    }
    println!(
        "labels {:?} ({} torrent{} labelled {:?})",
        check.labels,
        check.labelled,
        if check.labelled == 1 { "" } else { "s" },
        check.labels.first().map(String::as_str).unwrap_or_default()
    );
    let locations = client
        .save_locations()
        .await
        .map_err(|e| CliError::Service(e.to_string()))?;
    super::daemon::save_paths_visible(&locations, &config.downloads.path_mappings)
}
