//! In-process doubles of the external systems, for tests of the workflow
//! machinery. Each provider call can be held at a [`Gate`], so a test decides
//! exactly where a run is when a client joins, leaves or cancels.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use musicagg::Providers;
use musicagg::import::ClientFile;
use musicagg::indexer::{IndexerError, IndexerOutcome, IndexerService, Release, SearchReport};
use musicagg::magnet::{MagnetResolver, ResolveError, ResolvedTorrent};
use musicagg::metadata::{Album, FetchedAlbum, MetadataError, MetadataProvider, Track};
use musicagg::model::{AlbumId, Quality};
use musicagg::release::{Candidate, History, ReleaseSelector, Selection};
use musicagg::torrent_client::{
    AddRequest, ClientState, TorrentClient, TorrentClientError, TorrentStatus,
};
use tokio::sync::{Semaphore, watch};

use crate::harness::within;

/// A point where a provider call waits until the test opens it.
#[derive(Clone)]
pub struct Gate {
    reached: Arc<watch::Sender<bool>>,
    open: Arc<Semaphore>,
}

impl Default for Gate {
    fn default() -> Self {
        Self {
            reached: Arc::new(watch::channel(false).0),
            open: Arc::new(Semaphore::new(0)),
        }
    }
}

impl Gate {
    async fn pass(&self) {
        self.reached.send_replace(true);
        if let Ok(permit) = self.open.acquire().await {
            permit.forget();
        }
    }

    /// Waits until a workflow is held here.
    pub async fn reached(&self) {
        let mut rx = self.reached.subscribe();
        within("a workflow to reach the gate", rx.wait_for(|r| *r))
            .await
            .expect("gate sender alive");
    }

    /// Lets every waiting and future call through.
    pub fn open(&self) {
        self.open.add_permits(Semaphore::MAX_PERMITS / 2);
    }
}

/// Where a provider call can be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    Metadata,
    Search,
    Select,
    Resolve,
    Add,
}

/// What the metadata double answers.
#[derive(Debug, Clone)]
pub enum MetadataBehaviour {
    Album,
    NotFound,
    Fail(String),
    Panic(String),
}

/// One double implementing every provider trait, scripted by its fields.
pub struct Fake {
    pub metadata: MetadataBehaviour,
    pub releases: Vec<Release>,
    pub add_error: Option<String>,
    /// While true, the client answers as if it were unreachable.
    pub client_down: std::sync::atomic::AtomicBool,
    pub gates: HashMap<Step, Gate>,
    pub added: Mutex<Vec<String>>,
    /// Searches made (an owned album must not cause one).
    pub searches: std::sync::atomic::AtomicUsize,
}

impl Default for Fake {
    fn default() -> Self {
        Self {
            metadata: MetadataBehaviour::Album,
            releases: vec![release("Artist - Album (2020) [FLAC]", 12, HASH_A)],
            add_error: None,
            client_down: std::sync::atomic::AtomicBool::new(false),
            gates: HashMap::new(),
            added: Mutex::new(Vec::new()),
            searches: std::sync::atomic::AtomicUsize::new(0),
        }
    }
}

pub const HASH_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub const HASH_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

pub fn release(title: &str, seeders: u32, info_hash: &str) -> Release {
    Release {
        indexer: "fake-indexer".into(),
        title: title.into(),
        guid: format!("guid-{info_hash}"),
        info_hash: Some(info_hash.into()),
        size_bytes: Some(300_000_000),
        seeders: Some(seeders),
        categories: vec![3040],
        ..Release::default()
    }
}

impl Fake {
    /// Holds calls of `step` at a new gate, returned for the test to open.
    pub fn gate(&mut self, step: Step) -> Gate {
        self.gates.entry(step).or_default().clone()
    }

    pub fn into_providers(self) -> (Arc<Fake>, Providers) {
        let fake = Arc::new(self);
        let providers = Providers {
            metadata: fake.clone(),
            indexers: fake.clone(),
            selector: fake.clone(),
            resolver: fake.clone(),
            torrent_client: fake.clone(),
            metrics: Default::default(),
        };
        (fake, providers)
    }

    async fn hold(&self, step: Step) {
        if let Some(gate) = self.gates.get(&step) {
            gate.pass().await;
        }
    }
}

pub fn album(id: &AlbumId) -> Album {
    Album {
        id: id.clone(),
        title: "Album".into(),
        artist: "Artist".into(),
        first_release_date: "2020".into(),
        primary_type: Some("Album".into()),
        secondary_types: vec![],
        tracks: (1..=3)
            .map(|n| Track {
                disc: 1,
                position: n,
                number: n.to_string(),
                title: format!("Track {n}"),
                length_ms: Some(180_000),
            })
            .collect(),
    }
}

#[async_trait]
impl MetadataProvider for Fake {
    async fn album(&self, id: &AlbumId) -> Result<FetchedAlbum, MetadataError> {
        self.hold(Step::Metadata).await;
        match &self.metadata {
            MetadataBehaviour::Album => Ok(FetchedAlbum {
                album: album(id),
                note: None,
            }),
            MetadataBehaviour::NotFound => Err(MetadataError::NotFound(id.clone())),
            MetadataBehaviour::Fail(reason) => Err(MetadataError::Unavailable(reason.clone())),
            MetadataBehaviour::Panic(what) => panic!("{what}"),
        }
    }
}

#[async_trait]
impl IndexerService for Fake {
    async fn search(&self, _album: &Album) -> Result<SearchReport, IndexerError> {
        self.hold(Step::Search).await;
        self.searches
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(SearchReport {
            releases: self.releases.clone(),
            indexers: vec![IndexerOutcome {
                indexer: "fake-indexer".into(),
                latency: std::time::Duration::from_millis(5),
                result: Ok(self.releases.len()),
            }],
        })
    }
}

/// Accepts releases with at least 5 seeders, best seeded first; rejects the
/// others with a reason.
#[async_trait]
impl ReleaseSelector for Fake {
    async fn select(
        &self,
        _album: &Album,
        _quality: Quality,
        releases: Vec<Release>,
        history: &History,
    ) -> Selection {
        self.hold(Step::Select).await;
        let (mut accepted, rejected): (Vec<_>, Vec<_>) = releases
            .into_iter()
            .map(|release| Candidate {
                score: f64::from(release.seeders.unwrap_or(0)),
                quality: "FLAC".into(),
                rejections: if release.seeders.unwrap_or(0) < 5 {
                    vec!["fewer than 5 seeders".into()]
                } else if release
                    .info_hash
                    .as_ref()
                    .is_some_and(|h| history.grabbed.contains(h))
                {
                    vec!["already grabbed".into()]
                } else {
                    vec![]
                },
                details: serde_json::json!({"double": true}),
                release,
            })
            .partition(|c| c.rejections.is_empty());
        accepted.sort_by(|a, b| b.score.total_cmp(&a.score));
        Selection { accepted, rejected }
    }
}

#[async_trait]
impl MagnetResolver for Fake {
    async fn resolve(&self, release: &Release) -> Result<ResolvedTorrent, ResolveError> {
        self.hold(Step::Resolve).await;
        let hash = release
            .info_hash
            .clone()
            .ok_or_else(|| ResolveError::Unavailable("no info hash".into()))?;
        Ok(ResolvedTorrent {
            magnet_uri: format!("magnet:?xt=urn:btih:{hash}"),
            info_hash: hash,
            ..ResolvedTorrent::default()
        })
    }
}

#[async_trait]
impl TorrentClient for Fake {
    fn name(&self) -> &str {
        "fake-client"
    }

    async fn add(&self, request: AddRequest<'_>) -> Result<(), TorrentClientError> {
        self.hold(Step::Add).await;
        if self.client_down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(TorrentClientError::Unavailable(
                "cannot reach the client: connection refused".into(),
            ));
        }
        if let Some(e) = &self.add_error {
            return Err(TorrentClientError::Refused(e.clone()));
        }
        self.added
            .lock()
            .expect("added list")
            .push(request.torrent.info_hash.clone());
        Ok(())
    }

    async fn contains(&self, info_hash: &str) -> Result<bool, TorrentClientError> {
        Ok(self
            .added
            .lock()
            .expect("added list")
            .iter()
            .any(|h| h == info_hash))
    }

    /// Every added torrent waits in the queue (these tests end at the grab).
    async fn poll(&self) -> Result<HashMap<String, TorrentStatus>, TorrentClientError> {
        Ok(self
            .added
            .lock()
            .expect("added list")
            .iter()
            .map(|hash| {
                (
                    hash.to_ascii_lowercase(),
                    TorrentStatus {
                        hash: hash.to_ascii_lowercase(),
                        state: ClientState::Queued,
                        ..Default::default()
                    },
                )
            })
            .collect())
    }

    async fn files(&self, _info_hash: &str) -> Result<Vec<ClientFile>, TorrentClientError> {
        Ok(Vec::new())
    }

    async fn remove(&self, info_hash: &str, _delete_files: bool) -> Result<(), TorrentClientError> {
        self.added
            .lock()
            .expect("added list")
            .retain(|h| h != info_hash);
        Ok(())
    }
}
