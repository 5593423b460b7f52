//! The web listener's side of the key: every route (the pages, their live
//! data, `/metrics`) needs the key in a header (as gRPC: scripts and
//! Prometheus send `authorization: Bearer <key>`) or the login cookie a
//! browser gets at `/login` after typing the key.
//!
//! The cookie is `HttpOnly` (no script reads it), `SameSite=Strict` (no
//! other site's page makes the browser send it), `Secure` under TLS, and its
//! value is an HMAC of a fixed text under the key, not the key.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{ApiKey, HOW_TO_SEND, presented};

/// How long a wrong key at `/login` holds the next attempt back.
const FAILED_LOGIN_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// The login cookie's name.
pub const COOKIE: &str = "musicagg_session";

#[derive(Clone)]
struct WebAuth {
    key: Arc<ApiKey>,
    /// Login attempts are checked one at a time, and a wrong key holds the
    /// turn for [`FAILED_LOGIN_PAUSE`]: at most one guess a second, so even
    /// a short hand-picked key is out of reach of guessing.
    attempts: Arc<tokio::sync::Mutex<()>>,
    /// Served over TLS: the cookie is marked `Secure`.
    secure: bool,
}

/// `router` behind the key, plus `/login` and `/logout`; unchanged when no
/// key is configured. Apply it to the finished router: routes added after
/// it are not covered.
pub fn protect(router: Router, key: Option<Arc<ApiKey>>, secure: bool) -> Router {
    let Some(key) = key else {
        return router;
    };
    let auth = WebAuth {
        key,
        secure,
        attempts: Arc::default(),
    };
    let login = Router::new()
        .route("/login", get(login_page).post(log_in))
        .route("/logout", post(log_out))
        .with_state(auth.clone());
    router
        .layer(middleware::from_fn_with_state(auth, require_key))
        .merge(login)
}

async fn require_key(State(auth): State<WebAuth>, request: Request, next: Next) -> Response {
    if allowed(&auth.key, request.headers()) {
        return next.run(request).await;
    }
    // A browser asking for a page is sent to the login form; anything else
    // (scripts, Prometheus, event streams) gets a plain 401.
    let wants_page = request.method() == Method::GET
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    if wants_page {
        return Redirect::to("/login").into_response();
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        format!("this server needs an API key: {HOW_TO_SEND}, or log in at /login\n"),
    )
        .into_response()
}

fn allowed(key: &ApiKey, headers: &HeaderMap) -> bool {
    let sent = presented(
        headers.get("x-api-key").map(HeaderValue::as_bytes),
        headers
            .get(header::AUTHORIZATION)
            .map(HeaderValue::as_bytes),
    );
    if sent.is_some_and(|sent| key.matches(sent)) {
        return true;
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == COOKIE && key.session_matches(value.as_bytes()))
}

#[derive(Deserialize)]
struct LoginForm {
    key: String,
}

async fn login_page() -> Html<String> {
    Html(page(""))
}

async fn log_in(State(auth): State<WebAuth>, Form(form): Form<LoginForm>) -> Response {
    let _turn = auth.attempts.lock().await;
    if !auth.key.matches(form.key.trim().as_bytes()) {
        tokio::time::sleep(FAILED_LOGIN_PAUSE).await;
        return (
            StatusCode::UNAUTHORIZED,
            Html(page(
                "<p role=\"alert\">That is not this server's API key.</p>",
            )),
        )
            .into_response();
    }
    let secure = if auth.secure { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict{secure}",
        auth.key.session_value()
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}

async fn log_out() -> Response {
    let cookie = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response()
}

/// The login form; `notice` is fixed markup, never user input.
fn page(notice: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>musicagg: log in</title></head><body><main>\
         <h1>musicagg</h1>{notice}\
         <form method=\"post\" action=\"/login\">\
         <label for=\"key\">API key</label> \
         <input id=\"key\" name=\"key\" type=\"password\" autocomplete=\"current-password\" required autofocus> \
         <button type=\"submit\">Log in</button></form>\
         <p>The key is the server's <code>api_key</code> (or <code>$MUSICAGG_API_KEY</code>).</p>\
         </main></body></html>"
    )
}
