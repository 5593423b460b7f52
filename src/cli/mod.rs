//! The command line: `serve` runs the service; the other commands are its
//! gRPC client.
//!
//! Exit codes: 0 success; 1 the run ended without the album (NOT_FOUND,
//! NO_RESULTS, FAILED, CANCELLED); 2 bad usage or configuration (and lines
//! `wanted import` refused); 3 the server could not be reached or refused
//! the request; 130 interrupted.

mod choose;
mod daemon;
mod downloads;
mod error;
mod monitor;
mod output;
mod transmission_test;
mod wanted;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tonic::transport::Channel;

use crate::config::Config;
use crate::model::{Quality, WorkflowStatus};
use crate::proto::v1::music_aggregator_service_client::MusicAggregatorServiceClient;
pub use error::CliError;
pub use error::error_chain;
pub(crate) use error::went_away;

#[derive(Debug, Parser)]
#[command(
    name = "musicagg",
    version,
    about = "Gets albums for people who keep a music library"
)]
pub struct Cli {
    /// Configuration file (default: $MUSICAGG_CONFIG, else ./musicagg.toml when present).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args)]
struct ServerArg {
    /// The musicagg server to talk to.
    #[arg(
        long,
        env = "MUSICAGG_SERVER",
        default_value = "http://127.0.0.1:50051"
    )]
    server: String,
    /// The server's API key (its `api_key`); sent as `authorization: Bearer`.
    #[arg(long, env = "MUSICAGG_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// The certificate authority (PEM) that signed an https:// server's
    /// certificate; without it the public roots are trusted.
    #[arg(long, env = "MUSICAGG_CA_CERT", value_name = "PEM")]
    ca_cert: Option<PathBuf>,
}

impl ServerArg {
    /// ` --server URL --ca-cert PEM` as far as they differ from the
    /// defaults: what a printed command needs to reach the same server. The
    /// API key is never printed (`$MUSICAGG_API_KEY` carries it).
    fn resume_options(&self) -> String {
        let mut options = String::new();
        if self.server != DEFAULT_SERVER {
            options.push_str(&format!(" --server {}", self.server));
        }
        if let Some(ca) = &self.ca_cert {
            options.push_str(&format!(" --ca-cert {}", ca.display()));
        }
        options
    }
}

const DEFAULT_SERVER: &str = "http://127.0.0.1:50051";

/// The gRPC client every command uses: the API key goes with every call.
pub(crate) type Client = MusicAggregatorServiceClient<
    tonic::service::interceptor::InterceptedService<Channel, crate::auth::client::SendKey>,
>;

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service (gRPC on `listen`, SQLite under `data_dir` by default).
    Serve,
    /// Get an album: start (or join) its workflow and watch it to the end.
    Monitor {
        /// MusicBrainz release-group id.
        album_id: String,
        #[arg(long, value_enum, default_value_t = QualityArg::Lossless)]
        quality: QualityArg,
        /// Only show events after this seq (resume watching a run).
        #[arg(long, default_value_t = 0)]
        after_seq: i64,
        /// The run to resume (with --after-seq), as printed when you stopped watching.
        #[arg(long)]
        run_id: Option<String>,
        /// One JSON object per stream message instead of the progress display.
        #[arg(long)]
        json: bool,
        /// Keep watching after COMPLETE: the download until it is IMPORTED or
        /// FAILED, and the run that retries a failed one.
        #[arg(long)]
        follow: bool,
        /// Choose the release yourself: every candidate is shown with its
        /// verdict, and a number (or `d` to decline) is read from the
        /// terminal. With --json the offer is printed and nothing is read.
        #[arg(long)]
        manual: bool,
        /// Ask once: an album not found now is not kept on the wanted list
        /// (by default it is, and RSS and scheduled searches keep looking).
        #[arg(long)]
        once: bool,
        #[command(flatten)]
        server: ServerArg,
    },
    /// Answer a manual run's offer: GUID or #N (its number in the offer).
    Choose {
        run_id: String,
        /// The candidate's guid as offered, or #N; omit with --decline.
        target: Option<String>,
        /// End the run CANCELLED ("declined") instead of choosing.
        #[arg(long)]
        decline: bool,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerArg,
    },
    /// Downloads (newest first) with their state and progress.
    Downloads {
        /// Only this album's (MusicBrainz release-group id).
        #[arg(long)]
        album: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerArg,
    },
    /// The music library under `[library] path`.
    Library {
        #[command(subcommand)]
        command: LibraryCommand,
    },
    /// List workflow runs, newest first.
    Runs {
        #[arg(long)]
        album: Option<String>,
        /// A status such as COMPLETE or FAILED.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i32,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerArg,
    },
    /// Show the stored events of a run.
    Events {
        run_id: String,
        #[arg(long, default_value_t = 0)]
        after_seq: i64,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerArg,
    },
    /// Search MusicBrainz for albums ("ARTIST ALBUM" as free text).
    Search {
        query: String,
        #[arg(long, default_value_t = 25)]
        limit: i32,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerArg,
    },
    /// Show an album with its tracks.
    Album {
        album_id: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerArg,
    },
    /// Parse a release title (or one per line with --stdin) and print the
    /// fields and quality evidence as JSON.
    Parse {
        /// The title; omit with --stdin.
        title: Option<String>,
        /// Read one title per line from standard input, one JSON object per line.
        #[arg(long)]
        stdin: bool,
        /// The Torznab category of the release (3040 lossless, 3010 MP3, …).
        #[arg(long)]
        category: Option<u32>,
        /// The release's size in bytes.
        #[arg(long)]
        size: Option<u64>,
        /// The album's duration in seconds.
        #[arg(long)]
        duration_secs: Option<u64>,
        /// The album's track count (duration estimated from it when unknown).
        #[arg(long)]
        tracks: Option<u32>,
        /// The wanted artist: adds a `match` object (does the title name it, why not).
        #[arg(long)]
        artist: Option<String>,
        /// The wanted album: adds a `match` object (does the title name it, why not).
        #[arg(long)]
        album: Option<String>,
    },
    /// Every release a run evaluated, with its verdict and reasons.
    Candidates {
        run_id: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerArg,
    },
    /// Check or query the indexers configured in `[[indexers]]`.
    Indexers {
        #[command(subcommand)]
        command: IndexersCommand,
    },
    /// Check the torrent client configured in `[qbittorrent]`.
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// The wanted list: albums kept monitored until they are in the library
    /// at their cutoff.
    Wanted {
        #[command(subcommand)]
        command: wanted::WantedCommand,
    },
    /// Print a fresh random API key (for `api_key` or $MUSICAGG_API_KEY).
    GenerateApiKey,
    /// Cancel a running workflow.
    Cancel {
        run_id: String,
        #[arg(long, default_value = "")]
        reason: String,
        #[command(flatten)]
        server: ServerArg,
    },
}

#[derive(Debug, Subcommand)]
enum IndexersCommand {
    /// Capabilities and a test query for each indexer, as a table.
    Test,
    /// Search every indexer and print the merged raw results.
    Search {
        artist: String,
        album: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum LibraryCommand {
    /// Bring the library index up to date (new and changed files are read).
    Scan {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerArg,
    },
}

#[derive(Debug, Subcommand)]
enum ClientCommand {
    /// Log in, read the versions, create the category: a newcomer's first check.
    Test,
}

/// Quality names on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum QualityArg {
    Any,
    Lossless,
    Hires,
    #[value(name = "mp3-320")]
    Mp3_320,
    #[value(name = "mp3-v0")]
    Mp3V0,
    Lossy,
}

impl From<Quality> for QualityArg {
    fn from(q: Quality) -> Self {
        match q {
            Quality::Any => QualityArg::Any,
            Quality::Lossless => QualityArg::Lossless,
            Quality::LosslessHires => QualityArg::Hires,
            Quality::Mp3_320 => QualityArg::Mp3_320,
            Quality::Mp3V0 => QualityArg::Mp3V0,
            Quality::LossyHigh => QualityArg::Lossy,
        }
    }
}

impl From<QualityArg> for Quality {
    fn from(q: QualityArg) -> Self {
        match q {
            QualityArg::Any => Quality::Any,
            QualityArg::Lossless => Quality::Lossless,
            QualityArg::Hires => Quality::LosslessHires,
            QualityArg::Mp3_320 => Quality::Mp3_320,
            QualityArg::Mp3V0 => Quality::Mp3V0,
            QualityArg::Lossy => Quality::LossyHigh,
        }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("musicagg: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("musicagg: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Serve => daemon::serve(cli.config).await,
        Command::Monitor {
            album_id,
            quality,
            after_seq,
            run_id,
            json,
            follow,
            manual,
            once,
            server,
        } => {
            let client = connect(&server).await?;
            let connection = server.resume_options();
            let mut resume = monitor::Resume {
                after_seq,
                run_id: run_id.unwrap_or_default(),
            };
            loop {
                let request = monitor::Request {
                    album_id: &album_id,
                    quality: quality.into(),
                    manual,
                    json,
                    keep_wanted: !once,
                    follow,
                    connection: &connection,
                };
                let (code, result) = monitor::run(client.clone(), request, resume).await?;
                let download = result
                    .and_then(|r| r.download)
                    .filter(|d| !d.id.is_empty() && follow);
                let Some(download) = download else {
                    return Ok(code);
                };
                match downloads::follow(client.clone(), &download.id, json).await? {
                    downloads::Followed::Imported | downloads::Followed::Downloaded => {
                        return Ok(ExitCode::SUCCESS);
                    }
                    downloads::Followed::Failed {
                        retry_run_id: Some(run_id),
                    } => {
                        resume = monitor::Resume {
                            after_seq: 0,
                            run_id,
                        };
                    }
                    downloads::Followed::Failed { retry_run_id: None } => {
                        return Ok(ExitCode::from(1));
                    }
                    downloads::Followed::Interrupted => {
                        return Err(CliError::Service(format!(
                            "the download's stream ended before it was imported \
                             (see `musicagg downloads --album {album_id}`)"
                        )));
                    }
                }
            }
        }
        Command::Choose {
            run_id,
            target,
            decline,
            json,
            server,
        } => {
            let client = connect(&server).await?;
            choose::choose(client, run_id, target, decline, json).await
        }
        Command::Downloads {
            album,
            json,
            server,
        } => {
            let client = connect(&server).await?;
            downloads::list(client, album, json).await
        }
        Command::Library {
            command: LibraryCommand::Scan { json, server },
        } => {
            let client = connect(&server).await?;
            downloads::library_scan(client, json).await
        }
        Command::Runs {
            album,
            status,
            limit,
            json,
            server,
        } => {
            let status = status
                .map(|s| {
                    s.to_ascii_uppercase()
                        .parse::<WorkflowStatus>()
                        .map_err(|e| CliError::Usage(e.to_string()))
                })
                .transpose()?;
            let client = connect(&server).await?;
            output::runs(client, album, status, limit, json).await
        }
        Command::Events {
            run_id,
            after_seq,
            json,
            server,
        } => {
            let client = connect(&server).await?;
            output::events(client, run_id, after_seq, json).await
        }
        Command::Search {
            query,
            limit,
            json,
            server,
        } => {
            let client = connect(&server).await?;
            output::search(client, query, limit, json).await
        }
        Command::Album {
            album_id,
            json,
            server,
        } => {
            let client = connect(&server).await?;
            output::album(client, album_id, json).await
        }
        Command::Client {
            command: ClientCommand::Test,
        } => daemon::client_test(cli.config).await,
        Command::Parse {
            title,
            stdin,
            category,
            size,
            duration_secs,
            tracks,
            artist,
            album,
        } => {
            for (flag, value) in [("--artist", &artist), ("--album", &album)] {
                if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                    return Err(CliError::Usage(format!("{flag} must not be empty")));
                }
            }
            let wanted = crate::release::Wanted { artist, album };
            let report = |t: &str| {
                crate::release::parse_report(t, category, size, duration_secs, tracks, &wanted)
            };
            match (title, stdin) {
                (Some(title), false) => println!("{}", report(&title)),
                (None, true) => {
                    use std::io::BufRead;
                    for line in std::io::stdin().lock().lines() {
                        let line = line.map_err(|e| CliError::Other(e.into()))?;
                        if !line.trim().is_empty() {
                            println!("{}", report(line.trim()));
                        }
                    }
                }
                _ => {
                    return Err(CliError::Usage("give a TITLE or --stdin (not both)".into()));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Candidates {
            run_id,
            json,
            server,
        } => {
            let client = connect(&server).await?;
            output::candidates(client, run_id, json).await
        }
        Command::Indexers { command } => {
            let config = Config::load(cli.config.as_deref())?;
            if config.indexers.is_empty() {
                return Err(CliError::Usage(
                    "no [[indexers]] in the configuration (name, url, api_key)".into(),
                ));
            }
            let indexers = crate::indexer::TorznabIndexers::from_config(&config.indexers)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            match command {
                IndexersCommand::Test => output::indexers_test(&indexers).await,
                IndexersCommand::Search {
                    artist,
                    album,
                    json,
                } => output::indexers_search(&indexers, &artist, &album, json).await,
            }
        }
        Command::Wanted { command } => wanted::run(command).await,
        Command::GenerateApiKey => {
            let key = crate::auth::generate_api_key().map_err(|e| CliError::Other(e.into()))?;
            println!("{key}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Cancel {
            run_id,
            reason,
            server,
        } => {
            let client = connect(&server).await?;
            output::cancel(client, run_id, reason).await
        }
    }
}

async fn connect(server: &ServerArg) -> Result<Client, CliError> {
    let usage = |e: crate::auth::client::ClientSetupError| CliError::Usage(e.to_string());
    let key = crate::auth::client::SendKey::new(server.api_key.as_deref()).map_err(usage)?;
    let endpoint = crate::auth::client::endpoint(&server.server, server.ca_cert.as_deref())
        .map_err(usage)?
        .connect_timeout(std::time::Duration::from_secs(5));
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| CliError::Unreachable {
            server: server.server.clone(),
            reason: error_chain(&e),
        })?;
    Ok(MusicAggregatorServiceClient::with_interceptor(channel, key))
}
