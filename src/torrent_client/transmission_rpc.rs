//! Transmission's RPC transport: one POST endpoint, JSON in and out (the
//! legacy `{method, arguments, tag}` form, which 2.x to 4.x all read).
//!
//! The daemon guards against CSRF with a session id: a request without the
//! current `X-Transmission-Session-Id` is answered 409 carrying the id to
//! use. The id changes whenever the daemon restarts, so any call may meet a
//! 409: we store the new id and resend once (never in a loop). Credentials
//! go as HTTP Basic on every request; the password is never logged.
//!
//! RPC-level errors come back as HTTP 200 with a `result` other than
//! `"success"`: [`Rpc::send`] returns them as a [`Reply`] for the caller to
//! judge (a duplicate torrent is one, and is no error to us).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::TorrentClientError;
use crate::config::TransmissionConfig;
use crate::http;

pub(super) const SESSION_HEADER: &str = "X-Transmission-Session-Id";
/// `torrent-get` of every torrent can be large on a big seedbox.
const BODY_CAP: usize = 64 * 1024 * 1024;
/// How long a refused login keeps us from asking again.
const REFUSED_PAUSE: Duration = Duration::from_secs(10 * 60);

/// The daemon's answer to one request: `result` is `"success"` or the
/// daemon's own error message.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Reply {
    pub result: String,
    pub arguments: Value,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        self.result == "success"
    }
}

#[derive(Deserialize)]
struct RawReply {
    result: Option<String>,
    #[serde(default)]
    arguments: Value,
}

pub(super) struct Rpc {
    http: reqwest::Client,
    url: Url,
    credentials: Option<(String, SecretString)>,
    /// The id the daemon gave us last (none before the first 409).
    session_id: Mutex<Option<String>>,
    tag: AtomicU64,
    /// The last refused login (401), when and why.
    refused: Mutex<Option<(Instant, String)>>,
}

/// A failure of the daemon or the way to it (the tracker tries again).
pub(super) fn unavailable(message: impl Into<String>) -> TorrentClientError {
    TorrentClientError::Unavailable(message.into())
}

fn config(message: impl Into<String>) -> TorrentClientError {
    TorrentClientError::Config(message.into())
}

/// The configured URL; one without a path gets the daemon's default
/// `/transmission/rpc` (users often give just `http://host:9091`).
pub(super) fn rpc_url(configured: &str) -> Result<Url, TorrentClientError> {
    let mut url = Url::parse(configured.trim())
        .map_err(|e| config(format!("transmission.url {configured:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(config(format!(
            "transmission.url {configured:?} must be an http:// or https:// URL"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Errors name the URL: credentials in it would be shown with them.
        return Err(config(
            "transmission.url must not carry a user name or password: \
             set transmission.username and transmission.password instead",
        ));
    }
    if url.path() == "/" || url.path().is_empty() {
        url.set_path("/transmission/rpc");
    }
    Ok(url)
}

impl Rpc {
    pub fn new(settings: &TransmissionConfig) -> Result<Self, TorrentClientError> {
        let url = rpc_url(&settings.url)?;
        let http = http::client_builder(
            &http::default_user_agent(None),
            Duration::from_secs(30),
            false,
        )
        .build()
        .map_err(|e| config(format!("HTTP client: {e}")))?;
        // Basic auth when either half is set: Transmission checks both.
        let credentials = match (&settings.username, &settings.password) {
            (None, None) => None,
            (user, password) => Some((
                user.clone().unwrap_or_default(),
                password
                    .clone()
                    .unwrap_or_else(|| SecretString::from(String::new())),
            )),
        };
        Ok(Self {
            http,
            url,
            credentials,
            session_id: Mutex::new(None),
            tag: AtomicU64::new(1),
            refused: Mutex::new(None),
        })
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    fn current_id(&self) -> Option<String> {
        self.session_id
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn store_id(&self, id: String) {
        *self
            .session_id
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(id);
    }

    /// A refused login (401) within [`REFUSED_PAUSE`]: not sent again.
    /// Transmission's anti-brute-force setting locks the RPC (for everyone,
    /// the user's own remote apps too) after 100 failed logins; a poll every
    /// few seconds would get there within minutes.
    fn still_refused(&self) -> Option<TorrentClientError> {
        let refused = self
            .refused
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*refused {
            Some((at, why)) if at.elapsed() < REFUSED_PAUSE => Some(config(format!(
                "{why} (not asked again for {} minutes after a refusal)",
                REFUSED_PAUSE.as_secs() / 60
            ))),
            _ => None,
        }
    }

    fn remember_refusal(&self, e: &TorrentClientError) {
        let why = match e {
            TorrentClientError::Config(why) => why.clone(),
            other => other.to_string(),
        };
        *self
            .refused
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((Instant::now(), why));
    }

    fn unreachable(&self, e: &reqwest::Error) -> TorrentClientError {
        let why = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "connection refused or no route"
        } else {
            "the connection failed"
        };
        unavailable(format!("cannot reach Transmission at {}: {why}", self.url))
    }

    /// Sends one request and returns the daemon's reply, whatever its
    /// `result`. Answers a 409 with the id it carries, once.
    pub async fn send(&self, method: &str, arguments: Value) -> Result<Reply, TorrentClientError> {
        if let Some(refusal) = self.still_refused() {
            return Err(refusal);
        }
        let tag = self.tag.fetch_add(1, Ordering::Relaxed);
        let body = serde_json::json!({"method": method, "arguments": arguments, "tag": tag});
        let mut handshakes = 0;
        loop {
            let mut request = self.http.post(self.url.clone()).json(&body);
            if let Some(id) = self.current_id() {
                request = request.header(SESSION_HEADER, id);
            }
            if let Some((user, password)) = &self.credentials {
                request = request.basic_auth(user, Some(password.expose_secret()));
            }
            let response = request.send().await.map_err(|e| self.unreachable(&e))?;
            let status = response.status();
            if status == StatusCode::CONFLICT {
                let id = response
                    .headers()
                    .get(SESSION_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned);
                let Some(id) = id else {
                    return Err(unavailable(format!(
                        "{} answered 409 Conflict without an {SESSION_HEADER} header: \
                         is it Transmission's RPC endpoint?",
                        self.url
                    )));
                };
                handshakes += 1;
                if handshakes > 1 {
                    return Err(unavailable(format!(
                        "Transmission at {} answered 409 again with a new session id: \
                         giving up on {method}",
                        self.url
                    )));
                }
                tracing::debug!(method, "Transmission gave a new session id");
                self.store_id(id);
                continue;
            }
            if let Err(e) = self.check_status(method, status) {
                if status == StatusCode::UNAUTHORIZED {
                    self.remember_refusal(&e);
                }
                return Err(e);
            }
            let bytes = http::read_capped(response, BODY_CAP)
                .await
                .map_err(|e| unavailable(format!("Transmission {method}: {e}")))?;
            return parse_reply(method, &bytes);
        }
    }

    /// Sends one request; a `result` other than `"success"` is an error.
    pub async fn call(&self, method: &str, arguments: Value) -> Result<Value, TorrentClientError> {
        let reply = self.send(method, arguments).await?;
        if !reply.is_success() {
            return Err(unavailable(format!(
                "Transmission {method} failed: {}",
                reply.result
            )));
        }
        Ok(reply.arguments)
    }

    fn check_status(&self, method: &str, status: StatusCode) -> Result<(), TorrentClientError> {
        let url = &self.url;
        match status.as_u16() {
            200..=299 => Ok(()),
            401 => Err(config(format!(
                "Transmission at {url} refused the username or password (HTTP 401): check \
                 transmission.username and transmission.password"
            ))),
            403 => Err(config(format!(
                "Transmission at {url} refuses this address (HTTP 403): add it to rpc-whitelist \
                 in the daemon's settings.json, or, after too many failed logins, restart the daemon"
            ))),
            404 => Err(config(format!(
                "no Transmission RPC at {url} (HTTP 404): the path is usually /transmission/rpc"
            ))),
            421 => Err(config(format!(
                "Transmission refused the host name in {url} (HTTP 421): use its IP address, \
                 or add the name to rpc-host-whitelist in the daemon's settings.json"
            ))),
            code => Err(unavailable(format!("Transmission {method}: HTTP {code}"))),
        }
    }
}

/// An answer body as a [`Reply`]: JSON with a string `result`, or an error
/// saying what came instead.
pub(super) fn parse_reply(method: &str, bytes: &[u8]) -> Result<Reply, TorrentClientError> {
    let raw: RawReply = serde_json::from_slice(bytes).map_err(|e| {
        let start: String = String::from_utf8_lossy(&bytes[..bytes.len().min(60)])
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        unavailable(format!(
            "Transmission {method}: the answer is not RPC JSON ({e}): {start:?}"
        ))
    })?;
    let result = raw.result.ok_or_else(|| {
        unavailable(format!(
            "Transmission {method}: the answer has no \"result\""
        ))
    })?;
    Ok(Reply {
        result,
        arguments: raw.arguments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{body_partial_json, header, header_exists, method};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn settings(url: &str) -> TransmissionConfig {
        TransmissionConfig {
            url: url.into(),
            username: Some("admin".into()),
            password: Some(SecretString::from("s3cret".to_owned())),
            download_dir: None,
            labels: vec!["musicagg".into()],
        }
    }

    /// As rpc-server.cc answers a request without the current id.
    fn conflict(id: &str) -> ResponseTemplate {
        ResponseTemplate::new(409)
            .insert_header(SESSION_HEADER, id)
            .set_body_string(format!(
                "<h1>409: Conflict</h1><p>Your request had an invalid session-id header.</p>\
                 <p><code>{SESSION_HEADER}: {id}</code></p>"
            ))
    }

    fn session_get() -> serde_json::Value {
        serde_json::json!({"arguments": {"rpc-version": 16, "version": "3.00 (bb6b5a062e)",
            "download-dir": "/var/lib/transmission-daemon/downloads"}, "result": "success", "tag": 1})
    }

    #[test]
    fn urls_without_a_path_get_the_default_one() {
        assert_eq!(
            rpc_url("http://127.0.0.1:9091").unwrap().as_str(),
            "http://127.0.0.1:9091/transmission/rpc"
        );
        assert_eq!(
            rpc_url("https://seedbox/tr/rpc").unwrap().as_str(),
            "https://seedbox/tr/rpc"
        );
        assert!(rpc_url("127.0.0.1:9091").is_err());
        assert!(rpc_url("ftp://x/").is_err());
        // Credentials belong in username/password: a URL is shown in errors.
        let error = rpc_url("http://admin:hunter2@127.0.0.1:9091")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("hunter2"), "{error}");
        assert!(error.contains("transmission.password"), "{error}");
        assert!(rpc_url("http://admin@127.0.0.1:9091").is_err());
    }

    #[tokio::test]
    async fn the_409_handshake_is_done_once_and_again_after_a_restart() {
        let server = MockServer::start().await;
        // With the current id (and our credentials): the answer.
        Mock::given(method("POST"))
            .and(header(SESSION_HEADER, "first"))
            .and(header("authorization", "Basic YWRtaW46czNjcmV0"))
            .respond_with(ResponseTemplate::new(200).set_body_json(session_get()))
            .with_priority(1)
            .up_to_n_times(2)
            .mount(&server)
            .await;
        // Anything else: 409 with the id to use.
        Mock::given(method("POST"))
            .respond_with(conflict("first"))
            .with_priority(5)
            .up_to_n_times(1)
            .mount(&server)
            .await;
        let rpc = Rpc::new(&settings(&format!("{}/transmission/rpc", server.uri()))).unwrap();
        let args = rpc
            .call("session-get", serde_json::json!({}))
            .await
            .unwrap();
        assert_eq!(args["rpc-version"], 16);
        // The id is kept: the second call needs no handshake.
        rpc.call("session-get", serde_json::json!({}))
            .await
            .unwrap();
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 3, "one 409, then two answers");
        assert!(requests[0].headers.get(SESSION_HEADER).is_none());
        let sent: serde_json::Value = serde_json::from_slice(&requests[1].body).unwrap();
        assert_eq!(sent["method"], "session-get");

        // The daemon restarted: the old id gets a 409 with a new one.
        server.reset().await;
        Mock::given(method("POST"))
            .and(header(SESSION_HEADER, "second"))
            .and(body_partial_json(
                serde_json::json!({"method": "torrent-get"}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"arguments": {"torrents": []}, "result": "success"}),
            ))
            .with_priority(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(header_exists(SESSION_HEADER))
            .respond_with(conflict("second"))
            .with_priority(5)
            .expect(1)
            .mount(&server)
            .await;
        let args = rpc
            .call("torrent-get", serde_json::json!({"fields": ["hashString"]}))
            .await
            .unwrap();
        assert_eq!(args["torrents"], serde_json::json!([]));
    }

    #[tokio::test]
    async fn a_409_without_the_header_or_a_409_loop_is_an_error_not_a_loop() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(409).set_body_string("Conflict"))
            .expect(1)
            .mount(&server)
            .await;
        let rpc = Rpc::new(&settings(&server.uri())).unwrap();
        let err = rpc
            .call("session-get", serde_json::json!({}))
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("without an X-Transmission-Session-Id"),
            "{err}"
        );
        server.verify().await;

        // A server that hands out a new id every time: two tries, then an error.
        server.reset().await;
        Mock::given(method("POST"))
            .respond_with(conflict("always-new"))
            .expect(2)
            .mount(&server)
            .await;
        let err = rpc
            .call("session-get", serde_json::json!({}))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("409 again"), "{err}");
    }

    #[tokio::test]
    async fn bad_answers_are_clear_errors() {
        let server = MockServer::start().await;
        let rpc = Rpc::new(&settings(&server.uri())).unwrap();
        let answer = |template: ResponseTemplate| {
            let server = &server;
            async move {
                server.reset().await;
                Mock::given(method("POST"))
                    .respond_with(template)
                    .mount(server)
                    .await;
            }
        };
        let cases: Vec<(ResponseTemplate, &str, bool)> = vec![
            (ResponseTemplate::new(403), "rpc-whitelist", true),
            (ResponseTemplate::new(421), "rpc-host-whitelist", true),
            (ResponseTemplate::new(404), "/transmission/rpc", true),
            (ResponseTemplate::new(502), "HTTP 502", false),
            (
                ResponseTemplate::new(200).set_body_string("<html>a login page</html>"),
                "not RPC JSON",
                false,
            ),
            (
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"arguments": {}})),
                "no \"result\"",
                false,
            ),
            (
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"result": "method name not recognized"})),
                "method name not recognized",
                false,
            ),
            (
                ResponseTemplate::new(200).set_body_bytes(vec![b' '; BODY_CAP + 1]),
                "larger than",
                false,
            ),
            // last: a refusal is remembered (see the next test)
            (
                ResponseTemplate::new(401)
                    .insert_header("WWW-Authenticate", "Basic realm=\"Transmission\""),
                "refused the username or password",
                true,
            ),
        ];
        for (template, expected, is_config) in cases {
            answer(template).await;
            let err = rpc
                .call("session-get", serde_json::json!({}))
                .await
                .unwrap_err();
            assert!(err.to_string().contains(expected), "{expected}: {err}");
            assert_eq!(
                matches!(err, TorrentClientError::Config(_)),
                is_config,
                "{err:?}"
            );
            assert!(!err.to_string().contains("s3cret"));
        }
    }

    /// Transmission locks its RPC after 100 failed logins: a refusal is
    /// not sent again at every poll.
    #[tokio::test]
    async fn a_refused_login_is_not_retried_at_once() {
        let server = MockServer::start().await;
        let rpc = Rpc::new(&settings(&server.uri())).unwrap();
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(401))
            .expect(1)
            .mount(&server)
            .await;
        for _ in 0..3 {
            let err = rpc
                .call("torrent-get", serde_json::json!({}))
                .await
                .unwrap_err();
            assert!(matches!(err, TorrentClientError::Config(_)), "{err:?}");
            assert!(err.to_string().contains("username or password"), "{err}");
        }
        let err = rpc
            .call("torrent-get", serde_json::json!({}))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not asked again"), "{err}");
        // MockServer checks `expect(1)` when dropped.
    }

    #[test]
    fn replies_keep_the_daemons_words() {
        let reply = parse_reply(
            "torrent-add",
            br#"{"arguments":{"torrent-duplicate":{"hashString":"ab","id":1,"name":"x"}},"result":"duplicate torrent","tag":3}"#,
        )
        .unwrap();
        assert!(!reply.is_success());
        assert_eq!(reply.arguments["torrent-duplicate"]["hashString"], "ab");
        // No `arguments` at all (torrent-remove's answer) is fine.
        let reply = parse_reply("torrent-remove", br#"{"result":"success"}"#).unwrap();
        assert!(reply.is_success());
        assert!(parse_reply("x", b"[1,2]").is_err());
        assert!(parse_reply("x", br#"{"result": 5}"#).is_err());
    }
}
