//! A fake MusicBrainz ws/2 server speaking the documented JSON format
//! (kebab-case keys, explicit nulls in lookups, omitted keys in search),
//! including its error forms: JSON `{"error": …}` bodies, 404, 503 (JSON or
//! an HTML page), 301 for merged MBIDs. Fixtures are built here, by the
//! format, for this project.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};

/// How the server answers, switchable while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    /// The next `n` requests get 503 (JSON body), then normal.
    Unavailable(usize),
    /// Every request gets 503 with an HTML body.
    Down,
    /// 200 with a body that is not JSON.
    Malformed,
    /// 200 with a body of this many bytes.
    Oversized(usize),
}

/// One album in the fake catalogue.
#[derive(Clone)]
pub struct FakeAlbum {
    /// The release-group lookup document (without releases).
    pub group: Value,
    /// Releases as the browse endpoint returns them (with media track counts).
    pub releases: Vec<Value>,
    /// Release lookups (with tracks), by release id.
    pub details: HashMap<String, Value>,
}

#[derive(Default)]
struct State {
    albums: HashMap<String, FakeAlbum>,
    /// Merged id → canonical id (answered with 301).
    merged: HashMap<String, String>,
    search: Value,
    mode: Option<Mode>,
    log: Vec<(Instant, String)>,
    queries: Vec<String>,
}

#[derive(Clone)]
pub struct FakeMusicBrainz {
    pub server: Arc<MockServer>,
    state: Arc<Mutex<State>>,
}

struct Responder(Arc<Mutex<State>>);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.0.lock().expect("fake state");
        let path = request.url.path().to_owned();
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        state.log.push((
            Instant::now(),
            format!("{path}?{}", request.url.query().unwrap_or("")),
        ));
        match state.mode.clone().unwrap_or(Mode::Normal) {
            Mode::Normal => {}
            Mode::Unavailable(n) => {
                state.mode = if n <= 1 {
                    None
                } else {
                    Some(Mode::Unavailable(n - 1))
                };
                return error(503, "Your requests are exceeding the allowable rate limit.");
            }
            Mode::Down => {
                return ResponseTemplate::new(503)
                    .insert_header("content-type", "text/html")
                    .set_body_string(
                        "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
                    );
            }
            Mode::Malformed => {
                return ResponseTemplate::new(200)
                    .insert_header("content-type", "application/json")
                    .set_body_string("{\"id\": \"oops\", \"title\": ");
            }
            Mode::Oversized(n) => {
                return ResponseTemplate::new(200)
                    .insert_header("content-type", "application/json")
                    .set_body_bytes(vec![b' '; n]);
            }
        }
        if query.get("fmt").map(String::as_str) != Some("json") {
            return ResponseTemplate::new(200)
                .insert_header("content-type", "application/xml")
                .set_body_string("<metadata/>");
        }
        let Some(rest) = path.strip_prefix("/ws/2/") else {
            return error(404, "Not Found");
        };
        let segments: Vec<&str> = rest.split('/').collect();
        match segments.as_slice() {
            ["release-group", id] => {
                if let Some(canonical) = state.merged.get(*id) {
                    let location = format!(
                        "/ws/2/release-group/{canonical}?{}",
                        request.url.query().unwrap_or("")
                    );
                    return ResponseTemplate::new(301).insert_header("location", location.as_str());
                }
                match state.albums.get(*id) {
                    Some(album) => json_response(album.group.clone()),
                    None => error(404, "Not Found"),
                }
            }
            ["release-group"] => {
                state
                    .queries
                    .push(query.get("query").cloned().unwrap_or_default());
                json_response(state.search.clone())
            }
            ["release"] => {
                let Some(album) = query
                    .get("release-group")
                    .and_then(|id| state.albums.get(id))
                else {
                    return error(404, "Not Found");
                };
                let limit: usize = query
                    .get("limit")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(25)
                    .min(100);
                let offset: usize = query
                    .get("offset")
                    .and_then(|o| o.parse().ok())
                    .unwrap_or(0);
                let page: Vec<Value> = album
                    .releases
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .cloned()
                    .collect();
                json_response(json!({
                    "release-count": album.releases.len(),
                    "release-offset": offset,
                    "releases": page,
                }))
            }
            ["release", id] => {
                let found = state
                    .albums
                    .values()
                    .find_map(|a| a.details.get(*id).cloned());
                match found {
                    Some(release) => json_response(release),
                    None => error(404, "Not Found"),
                }
            }
            _ => error(400, "Invalid resource."),
        }
    }
}

fn json_response(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json; charset=utf-8")
        .set_body_string(body.to_string())
}

fn error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/json")
        .set_body_string(
            json!({"error": message, "help": "For usage, please see: https://musicbrainz.org/development/mmd"})
                .to_string(),
        )
}

impl FakeMusicBrainz {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        Mock::given(any())
            .respond_with(Responder(Arc::clone(&state)))
            .mount(&server)
            .await;
        Self {
            server: Arc::new(server),
            state,
        }
    }

    /// The `[musicbrainz] base_url` pointing here.
    pub fn base_url(&self) -> String {
        format!("{}/ws/2/", self.server.uri())
    }

    pub fn add(&self, id: &str, album: FakeAlbum) {
        self.state
            .lock()
            .unwrap()
            .albums
            .insert(id.to_owned(), album);
    }

    pub fn merge(&self, old: &str, canonical: &str) {
        self.state
            .lock()
            .unwrap()
            .merged
            .insert(old.to_owned(), canonical.to_owned());
    }

    pub fn set_search(&self, body: Value) {
        self.state.lock().unwrap().search = body;
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = Some(mode);
    }

    pub fn request_count(&self) -> usize {
        self.state.lock().unwrap().log.len()
    }

    pub fn request_times(&self) -> Vec<Instant> {
        self.state
            .lock()
            .unwrap()
            .log
            .iter()
            .map(|(t, _)| *t)
            .collect()
    }

    pub fn requests(&self) -> Vec<String> {
        self.state
            .lock()
            .unwrap()
            .log
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }

    pub fn search_queries(&self) -> Vec<String> {
        self.state.lock().unwrap().queries.clone()
    }
}

/// A credit item as lookups write it.
pub fn credit(credited: &str, canonical: &str, joinphrase: &str) -> Value {
    json!({
        "name": credited,
        "joinphrase": joinphrase,
        "artist": {
            "id": "5b11f4ce-a62d-471e-81fc-a69a8278c7da",
            "name": canonical,
            "sort-name": canonical,
            "disambiguation": "",
            "type": "Group"
        }
    })
}

pub fn group(
    id: &str,
    title: &str,
    primary: Option<&str>,
    date: &str,
    credits: Vec<Value>,
) -> Value {
    json!({
        "id": id,
        "title": title,
        "primary-type": primary,
        "primary-type-id": primary.map(|_| "f529b476-6e62-324f-b0aa-1f3e33d313fc"),
        "secondary-types": [],
        "secondary-type-ids": [],
        "first-release-date": date,
        "disambiguation": "",
        "artist-credit": credits,
    })
}

/// A release as browsed with `inc=media`: track counts, no tracks.
pub fn browse_release(id: &str, status: Option<&str>, date: Option<&str>, counts: &[u32]) -> Value {
    let mut release = json!({
        "id": id,
        "title": "Some Title",
        "status": status,
        "barcode": "",
        "disambiguation": "",
        "media": counts.iter().enumerate().map(|(i, c)| json!({
            "position": i + 1,
            "format": "CD",
            "track-count": c,
            "track-offset": 0,
            "title": ""
        })).collect::<Vec<_>>(),
    });
    if let Some(date) = date {
        release["date"] = json!(date);
        release["country"] = json!("XE");
    }
    release
}

/// A track as a release lookup with `inc=recordings` writes it.
pub fn track(position: u32, number: &str, title: &str, length: Option<u64>) -> Value {
    json!({
        "id": format!("00000000-0000-4000-8000-{position:012}"),
        "position": position,
        "number": number,
        "title": title,
        "length": length,
        "recording": {"id": "11111111-0000-4000-8000-000000000000", "title": title, "length": length, "video": false}
    })
}

/// A release lookup with media and tracks.
pub fn release_details(id: &str, media: Vec<Vec<Value>>) -> Value {
    json!({
        "id": id,
        "title": "Some Title",
        "status": "Official",
        "date": "1999-04-12",
        "cover-art-archive": {"artwork": false, "count": 0, "front": false, "back": false, "darkened": false},
        "media": media.into_iter().enumerate().map(|(i, tracks)| json!({
            "position": i + 1,
            "format": "CD",
            "title": "",
            "track-count": tracks.len(),
            "track-offset": 0,
            "tracks": tracks,
        })).collect::<Vec<_>>(),
    })
}

/// A simple official album: one CD of `n` tracks of 4 minutes.
pub fn simple_album(id: &str, artist: &str, title: &str, n: u32) -> FakeAlbum {
    let release_id = format!("{}-r", &id[..30]);
    let tracks = (1..=n)
        .map(|i| track(i, &i.to_string(), &format!("Song {i}"), Some(240_000)))
        .collect();
    FakeAlbum {
        group: group(
            id,
            title,
            Some("Album"),
            "2020-05-01",
            vec![credit(artist, artist, "")],
        ),
        releases: vec![browse_release(
            &release_id,
            Some("Official"),
            Some("2020-05-01"),
            &[n],
        )],
        details: HashMap::from([(
            release_id.clone(),
            release_details(&release_id, vec![tracks]),
        )]),
    }
}
