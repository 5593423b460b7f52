//! The command line's errors: each says what went wrong in one line and has
//! its exit code (2 usage or configuration, 3 the server or a service, 1
//! anything else).

use crate::config::ConfigError;

/// Errors at the edge, each with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(
        "cannot reach the musicagg server at {server}: {reason} (is `musicagg serve` running?)"
    )]
    Unreachable { server: String, reason: String },
    #[error("the server refused: {}: {}", code_name(.0.code()), .0.message())]
    Rpc(tonic::Status),
    /// The connection broke mid-call (the server died or restarted): not a
    /// refusal. The text says how to pick up again, when there is a way.
    #[error("the server went away{0}")]
    Gone(String),
    /// A service (ours or the torrent client) failed us mid-way.
    #[error("{0}")]
    Service(String),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

impl From<tonic::Status> for CliError {
    fn from(status: tonic::Status) -> Self {
        if went_away(&status) {
            CliError::Gone(String::new())
        } else {
            CliError::Rpc(status)
        }
    }
}

/// A status our side made up because the connection broke (tonic keeps the
/// transport error as its source, or names the h2 failure): not an answer
/// the server chose to send. (The server's own UNAVAILABLE, e.g. MusicBrainz
/// down, is an answer.)
pub(crate) fn went_away(status: &tonic::Status) -> bool {
    std::error::Error::source(status).is_some() || status.message().starts_with("h2 protocol error")
}

fn code_name(code: tonic::Code) -> String {
    format!("{code:?}")
}

impl CliError {
    pub(super) fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Config(_) => 2,
            CliError::Unreachable { .. }
            | CliError::Rpc(_)
            | CliError::Gone(_)
            | CliError::Service(_) => 3,
            CliError::Other(_) => 1,
        }
    }
}

/// An error with its sources, each said once, for one-line messages.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        // tonic repeats its source in its own message: say it once
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}
