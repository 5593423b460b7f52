//! A torrent's state as the download tracker reads it, whatever the client.

/// What a client says a torrent is doing, in the tracker's terms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClientState {
    /// Waiting in the client's queue, or checking its files.
    Queued,
    Downloading,
    /// Wants data, nobody sends it.
    Stalled,
    /// A magnet still fetching its metadata.
    FetchingMetadata,
    /// Stopped by the user (not complete).
    Paused,
    /// Every wanted byte is there (seeding, idle or stopped).
    Complete,
    /// The client is moving its files.
    Moving,
    Error,
    MissingFiles,
    #[default]
    Unknown,
}

impl ClientState {
    /// qBittorrent's `state` strings, 4.x and 5.x spellings; anything else is
    /// `Unknown` rather than an error.
    pub fn from_qbittorrent(state: &str) -> Self {
        match state {
            "downloading" | "forcedDL" => ClientState::Downloading,
            "stalledDL" => ClientState::Stalled,
            "metaDL" | "forcedMetaDL" => ClientState::FetchingMetadata,
            "queuedDL" | "checkingDL" | "checkingResumeData" | "allocating"
            | "queuedForChecking" => ClientState::Queued,
            "pausedDL" | "stoppedDL" => ClientState::Paused,
            "uploading" | "stalledUP" | "queuedUP" | "checkingUP" | "forcedUP" | "pausedUP"
            | "stoppedUP" => ClientState::Complete,
            "moving" => ClientState::Moving,
            "error" => ClientState::Error,
            "missingFiles" => ClientState::MissingFiles,
            _ => ClientState::Unknown,
        }
    }
}

/// One torrent of a poll.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TorrentStatus {
    pub hash: String,
    pub name: String,
    pub state: ClientState,
    /// The client's own word for it, for messages.
    pub raw_state: String,
    /// 0..1 of the wanted bytes.
    pub progress: f64,
    /// Wanted bytes (0 while a magnet has no metadata).
    pub size: u64,
    /// Wanted bytes on disk.
    pub completed: u64,
    /// Where the client keeps it, from the client's point of view.
    pub save_path: String,
    pub has_metadata: bool,
}

impl TorrentStatus {
    /// Complete by progress with metadata, or by state: never by
    /// `amount_left == 0` (true of a magnet without metadata).
    pub fn is_complete(&self) -> bool {
        self.state == ClientState::Complete
            || (self.has_metadata && self.progress >= 1.0 && self.size > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_and_unknown_states_are_read() {
        assert_eq!(
            ClientState::from_qbittorrent("pausedDL"),
            ClientState::Paused
        );
        assert_eq!(
            ClientState::from_qbittorrent("stoppedDL"),
            ClientState::Paused
        );
        assert_eq!(
            ClientState::from_qbittorrent("stoppedUP"),
            ClientState::Complete
        );
        assert_eq!(
            ClientState::from_qbittorrent("forcedMetaDL"),
            ClientState::FetchingMetadata
        );
        assert_eq!(
            ClientState::from_qbittorrent("somethingNew"),
            ClientState::Unknown
        );
        // A magnet without metadata has progress 0 and nothing left: not complete.
        let magnet = TorrentStatus {
            state: ClientState::FetchingMetadata,
            progress: 0.0,
            ..Default::default()
        };
        assert!(!magnet.is_complete());
        let done = TorrentStatus {
            state: ClientState::Stalled,
            progress: 1.0,
            size: 10,
            has_metadata: true,
            ..Default::default()
        };
        assert!(done.is_complete());
    }
}
