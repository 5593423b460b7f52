//! A small client of the web page for the HTTP-level tests: pages, forms
//! with the page's CSRF token, and a Server-Sent Events reader.

use std::net::SocketAddr;

use crate::harness::{http_client, within};

pub struct WebClient {
    pub base: String,
    http: reqwest::Client,
}

/// One SSE message.
#[derive(Debug, Clone, PartialEq)]
pub struct SseMessage {
    pub event: String,
    pub id: Option<String>,
    pub data: String,
}

impl SseMessage {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).expect("SSE data is JSON")
    }
}

impl WebClient {
    pub fn new(addr: SocketAddr) -> Self {
        Self::at(format!("http://{addr}"))
    }

    pub fn at(base: String) -> Self {
        Self {
            base,
            http: http_client(),
        }
    }

    /// GET: the status and the body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = within(
            &format!("GET {path}"),
            self.http.get(format!("{}{path}", self.base)).send(),
        )
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status().as_u16();
        (status, response.text().await.expect("a body"))
    }

    /// GET that must answer 200.
    pub async fn page(&self, path: &str) -> String {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// The CSRF token of a page's forms.
    pub async fn token(&self, path: &str) -> String {
        csrf_of(&self.page(path).await)
    }

    /// POST a form: the status, the `Location` (for a redirect) and the body.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, Option<String>, String) {
        let response = within(
            &format!("POST {path}"),
            self.http
                .post(format!("{}{path}", self.base))
                .form(fields)
                .send(),
        )
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        (status, location, response.text().await.expect("a body"))
    }

    /// GET without following redirects: the status, the `Location`, the body.
    pub async fn get_raw(&self, path: &str) -> (u16, Option<String>, String) {
        let response = within(
            &format!("GET {path}"),
            self.http.get(format!("{}{path}", self.base)).send(),
        )
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        (status, location, response.text().await.expect("a body"))
    }

    /// Opens an event stream (`Last-Event-ID` when given).
    pub async fn events(&self, path: &str, last_event_id: Option<&str>) -> SseReader {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = within(&format!("GET {path}"), request.send())
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(response.status(), 200, "GET {path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        SseReader {
            response,
            buffer: Vec::new(),
        }
    }
}

pub fn csrf_of(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("the page has a form with a CSRF token");
    let rest = &page[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').expect("the token's end")].to_owned()
}

pub struct SseReader {
    response: reqwest::Response,
    /// Bytes: a chunk may end inside a character.
    buffer: Vec<u8>,
}

impl SseReader {
    /// The next message (comments skipped), or None when the stream ended.
    pub async fn next(&mut self) -> Option<SseMessage> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let bytes: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let block = String::from_utf8(bytes).expect("UTF-8 stream");
                let mut message = SseMessage {
                    event: "message".into(),
                    id: None,
                    data: String::new(),
                };
                let mut fields = 0;
                for line in block.lines() {
                    let (name, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match name {
                        "event" => message.event = value.to_owned(),
                        "id" => message.id = Some(value.to_owned()),
                        "data" => {
                            if !message.data.is_empty() {
                                message.data.push('\n');
                            }
                            message.data.push_str(value);
                        }
                        _ => continue,
                    }
                    fields += 1;
                }
                if fields > 0 {
                    return Some(message);
                }
                continue;
            }
            let chunk = within("the next SSE chunk", self.response.chunk())
                .await
                .expect("the stream reads")?;
            self.buffer.extend_from_slice(&chunk);
        }
    }

    /// Messages until the stream ends.
    pub async fn rest(mut self) -> Vec<SseMessage> {
        let mut all = Vec::new();
        while let Some(m) = self.next().await {
            all.push(m);
        }
        all
    }
}

/// The seqs of a run stream's `step` messages, checked against their ids.
pub fn step_seqs(messages: &[SseMessage]) -> Vec<i64> {
    messages
        .iter()
        .filter(|m| m.event == "step")
        .map(|m| {
            let seq = m.json()["seq"].as_i64().expect("seq");
            assert_eq!(m.id.as_deref(), Some(seq.to_string().as_str()), "id = seq");
            seq
        })
        .collect()
}
