//! `musicagg wanted add|list|remove|search|import`: the wanted list through
//! the AddWanted, ListWanted, RemoveWanted and SearchWantedNow calls.
//!
//! `import FILE` reads release-group ids (one per line; blank lines and `#`
//! comments ignored) or a Lidarr-style CSV export whose header names an MBID
//! column (any case; quoted fields may hold commas). A bad line is reported
//! with its number and the others are still added; the exit code is 2 when
//! any line was refused.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::{Value, json};

use super::Client;
use super::output::{proto_name, quality_name, time};
use super::{CliError, QualityArg, ServerArg, connect};
use crate::api::convert::quality_to_proto;
use crate::model::{AlbumId, Quality};
use crate::proto::v1 as pb;

#[derive(Debug, Clone, Copy, clap::Args)]
pub(super) struct Tiers {
    /// The tier wanted.
    #[arg(long, value_enum, default_value_t = QualityArg::Lossless)]
    quality: QualityArg,
    /// The tier at which upgrading stops (default: the best of --quality).
    #[arg(long, value_enum)]
    cutoff: Option<QualityArg>,
}

#[derive(Debug, Subcommand)]
pub(super) enum WantedCommand {
    /// Put an album on the wanted list (or change its quality and cutoff).
    Add {
        /// MusicBrainz release-group id.
        album_id: String,
        #[command(flatten)]
        tiers: Tiers,
        #[command(flatten)]
        server: ServerArg,
    },
    /// The wanted list with each album's state and next search.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerArg,
    },
    /// Take an album off the wanted list.
    Remove {
        album_id: String,
        #[command(flatten)]
        server: ServerArg,
    },
    /// Search for a wanted album now (outside the hourly budget).
    Search {
        album_id: String,
        #[command(flatten)]
        server: ServerArg,
    },
    /// Add every album of FILE: release-group ids one per line, or a
    /// Lidarr-style CSV export with an MBID column.
    Import {
        file: PathBuf,
        #[command(flatten)]
        tiers: Tiers,
        #[command(flatten)]
        server: ServerArg,
    },
}

pub(super) async fn run(command: WantedCommand) -> Result<ExitCode, CliError> {
    match command {
        WantedCommand::Add {
            album_id,
            tiers,
            server,
        } => {
            let mut client = connect(&server).await?;
            let album = client.add_wanted(add_request(&album_id, tiers)).await?;
            let album = album.into_inner();
            println!(
                "wanted: {} ({})",
                album.album_id,
                tiers_text(album.quality, album.cutoff)
            );
            Ok(ExitCode::SUCCESS)
        }
        WantedCommand::List { json, server } => {
            let client = connect(&server).await?;
            list(client, json).await
        }
        WantedCommand::Remove { album_id, server } => {
            let mut client = connect(&server).await?;
            client
                .remove_wanted(pb::RemoveWantedRequest {
                    album_id: album_id.clone(),
                })
                .await?;
            println!("removed: {album_id}");
            Ok(ExitCode::SUCCESS)
        }
        WantedCommand::Search { album_id, server } => {
            let mut client = connect(&server).await?;
            let response = client
                .search_wanted_now(pb::SearchWantedNowRequest {
                    album_id: album_id.clone(),
                })
                .await?
                .into_inner();
            println!("searching {album_id}: run {}", response.run_id);
            Ok(ExitCode::SUCCESS)
        }
        WantedCommand::Import {
            file,
            tiers,
            server,
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
            let client = connect(&server).await?;
            import(client, &text, tiers).await
        }
    }
}

fn add_request(album_id: &str, tiers: Tiers) -> pb::AddWantedRequest {
    pb::AddWantedRequest {
        album_id: album_id.to_owned(),
        quality: quality_to_proto(tiers.quality.into()).into(),
        cutoff: tiers
            .cutoff
            .map_or(0, |c| quality_to_proto(Quality::from(c)).into()),
    }
}

fn tiers_text(quality: i32, cutoff: i32) -> String {
    format!("{}, cutoff {}", quality_name(quality), quality_name(cutoff))
}

fn state_name(value: i32) -> String {
    let name = pb::WantedState::try_from(value)
        .ok()
        .map(|s| s.as_str_name());
    proto_name(name, "WANTED_STATE_", "STATE", value)
}

fn album_json(a: &pb::WantedAlbum) -> Value {
    json!({
        "album_id": a.album_id,
        "artist": a.artist,
        "title": a.title,
        "quality": quality_name(a.quality),
        "cutoff": quality_name(a.cutoff),
        "state": state_name(a.state),
        "added_at": time(a.added_at.as_ref()),
        "last_searched_at": time(a.last_searched_at.as_ref()),
        "next_search_at": time(a.next_search_at.as_ref()),
        "message": a.message,
    })
}

async fn list(mut client: Client, json: bool) -> Result<ExitCode, CliError> {
    let albums = client
        .list_wanted(pb::ListWantedRequest { state: 0 })
        .await?
        .into_inner()
        .albums;
    if json {
        for a in &albums {
            println!("{}", album_json(a));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if albums.is_empty() {
        println!("nothing wanted");
        return Ok(ExitCode::SUCCESS);
    }
    for a in &albums {
        let name = if a.title.is_empty() {
            String::new()
        } else {
            format!("  {} — {}", a.artist, a.title)
        };
        let next = match time(a.next_search_at.as_ref()) {
            t if t.is_empty() => String::new(),
            t => format!("  next search {t}"),
        };
        println!(
            "{:<9} {}  ({}){name}{next}",
            state_name(a.state),
            a.album_id,
            tiers_text(a.quality, a.cutoff)
        );
        if !a.message.is_empty() {
            println!("          {}", a.message);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line of an import file: its number (from 1) and the album it names,
/// or why it names none.
#[derive(Debug, PartialEq)]
pub(super) struct ImportLine {
    pub number: usize,
    pub album: Result<AlbumId, String>,
}

/// The albums of an import file, in order; lines naming none (blank lines,
/// comments, the CSV header) are left out.
pub(super) fn parse_import(text: &str) -> Vec<ImportLine> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    let Some((first_number, first)) = lines.next() else {
        return Vec::new();
    };
    // A CSV export when the first line is a header naming an MBID column.
    let column = split_csv(first).ok().and_then(|header| {
        header.iter().position(|h| {
            let h = h.trim().to_ascii_lowercase();
            h == "mbid" || h.contains("mbid") || h == "foreignalbumid"
        })
    });
    let Some(column) = column else {
        let ids = std::iter::once((first_number, first)).chain(lines);
        return ids
            .map(|(number, line)| ImportLine {
                number,
                album: AlbumId::parse(line)
                    .map_err(|_| format!("{line:?} is not a MusicBrainz release-group id")),
            })
            .collect();
    };
    lines
        .map(|(number, line)| {
            let album = split_csv(line).and_then(|fields| {
                let field = fields
                    .get(column)
                    .map(|f| f.trim())
                    .filter(|f| !f.is_empty())
                    .ok_or_else(|| format!("no MBID (column {})", column + 1))?;
                AlbumId::parse(field)
                    .map_err(|_| format!("MBID {field:?} is not a release-group id"))
            });
            ImportLine { number, album }
        })
        .collect()
}

/// The fields of one CSV record (RFC 4180: fields in double quotes may hold
/// commas, a doubled quote is a quote).
pub(super) fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, '"') => return Err("a quote inside an unquoted field".into()),
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            (false, c) if was_quoted && !c.is_whitespace() => {
                return Err("text after a closing quote".into());
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    fields.push(field);
    Ok(fields)
}

async fn import(mut client: Client, text: &str, tiers: Tiers) -> Result<ExitCode, CliError> {
    let lines = parse_import(text);
    let (mut added, mut refused) = (0usize, 0usize);
    for line in &lines {
        let album = match &line.album {
            Ok(album) => album,
            Err(why) => {
                eprintln!("musicagg: line {}: {why}", line.number);
                refused += 1;
                continue;
            }
        };
        match client.add_wanted(add_request(album.as_str(), tiers)).await {
            Ok(_) => added += 1,
            Err(status)
                if matches!(
                    status.code(),
                    tonic::Code::InvalidArgument | tonic::Code::NotFound
                ) =>
            {
                eprintln!("musicagg: line {}: {}", line.number, status.message());
                refused += 1;
            }
            Err(status) => return Err(status.into()),
        }
    }
    println!("imported: {added} added, {refused} refused");
    Ok(if refused == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9";
    const B: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

    #[test]
    fn ids_with_comments_and_blank_lines() {
        let text = format!("# my list\n\n{A}\nnot-an-id\n  {B}  \n");
        let lines = parse_import(&text);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].number, 3);
        assert_eq!(lines[0].album.as_ref().unwrap().as_str(), A);
        assert_eq!(lines[1].number, 4);
        assert!(lines[1].album.is_err());
        assert_eq!(lines[2].album.as_ref().unwrap().as_str(), B);
    }

    #[test]
    fn csv_finds_the_mbid_column_by_name_and_reads_quoted_commas() {
        let text = format!(
            "Artist,Album,MusicBrainz MBID\n\"Crosby, Stills & Nash\",\"Déjà \"\"Vu\"\"\",{A}\nX,Y,\nA,\"broken,{B}\n"
        );
        let lines = parse_import(&text);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].number, 2);
        assert_eq!(lines[0].album.as_ref().unwrap().as_str(), A);
        assert!(lines[1].album.as_ref().unwrap_err().contains("no MBID"));
        assert!(lines[2].album.as_ref().unwrap_err().contains("not closed"));
        assert_eq!(
            split_csv("\"a, b\",\"c\"\"d\",e").unwrap(),
            vec!["a, b", "c\"d", "e"]
        );
    }
}
