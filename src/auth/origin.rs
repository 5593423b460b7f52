//! The web listener's defence against other sites' pages, whatever the key.
//!
//! The CSRF token (in `web::csrf`) holds only while no other site can read
//! our pages. DNS rebinding breaks that for a page with no key: a site whose
//! name the attacker points at 127.0.0.1 is "the same origin" as itself and
//! can read the token from `http://evil.example:8686/…`. So:
//! - with no `api_key` (and `allow_unauthenticated` off: the loopback-only
//!   default), a request must name the server by an IP address or
//!   `localhost` in its `Host` (a rebound name never is one of these);
//! - a state-changing request (anything but GET/HEAD/OPTIONS) that carries
//!   `Origin` must come from the page's own host and port, and one marked
//!   `Sec-Fetch-Site: cross-site` is refused.
//!
//! Requests without these headers (scripts, `curl`) pass: they are not a
//! browser acting for another site.

use std::net::IpAddr;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

/// What the check enforces.
#[derive(Debug, Clone, Copy)]
pub struct OriginPolicy {
    /// Only IP addresses and `localhost` in `Host` (no key configured).
    pub literal_hosts_only: bool,
}

/// `router` behind the checks; apply it to the finished router.
pub fn guard(router: Router, policy: OriginPolicy) -> Router {
    router.layer(middleware::from_fn_with_state(policy, check))
}

async fn check(State(policy): State<OriginPolicy>, request: Request, next: Next) -> Response {
    // HTTP/2 names the host in `:authority` (the URI), HTTP/1.1 in `Host`.
    let authority = request.uri().authority().map(|a| a.as_str().to_owned());
    match refusal(
        policy,
        request.method(),
        request.headers(),
        authority.as_deref(),
    ) {
        None => next.run(request).await,
        Some((status, why)) => (status, format!("{why}\n")).into_response(),
    }
}

/// Why the request is refused, if it is.
fn refusal(
    policy: OriginPolicy,
    method: &Method,
    headers: &HeaderMap,
    authority: Option<&str>,
) -> Option<(StatusCode, &'static str)> {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or(authority)
        .map(str::trim)
        .unwrap_or_default();
    if policy.literal_hosts_only && !host.is_empty() && !is_literal_or_localhost(host) {
        return Some((
            StatusCode::MISDIRECTED_REQUEST,
            "without an api_key this page answers only to an IP address or localhost \
             (e.g. http://127.0.0.1:8686/): set api_key to use a host name",
        ));
    }
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site.eq_ignore_ascii_case("cross-site"));
    let foreign_origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|origin| !origin_is_host(origin, host));
    (cross_site || foreign_origin).then_some((
        StatusCode::FORBIDDEN,
        "a change must come from this server's own page",
    ))
}

/// `host[:port]` is an IP address (v4, or v6 in brackets) or `localhost`.
fn is_literal_or_localhost(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => {
            return rest
                .split_once(']')
                .is_some_and(|(ip, _)| ip.parse::<IpAddr>().is_ok());
        }
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.parse::<IpAddr>().is_ok()
        || name.eq_ignore_ascii_case("localhost")
        || name.to_ascii_lowercase().ends_with(".localhost")
}

/// `Origin` (`scheme://host[:port]`, or `null`) names `host` (the `Host`
/// header, `host[:port]`).
fn origin_is_host(origin: &str, host: &str) -> bool {
    let Some((_, authority)) = origin.trim().split_once("://") else {
        return false; // "null": a sandboxed or opaque origin
    };
    !host.is_empty() && authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    const OPEN: OriginPolicy = OriginPolicy {
        literal_hosts_only: true,
    };
    const KEYED: OriginPolicy = OriginPolicy {
        literal_hosts_only: false,
    };

    #[test]
    fn without_a_key_only_addresses_and_localhost_are_answered() {
        for host in [
            "127.0.0.1:8686",
            "127.0.0.1",
            "[::1]:8686",
            "localhost:8686",
            "LOCALHOST",
            "app.localhost:8686",
            "192.168.1.20:8686",
        ] {
            let sent = headers(&[("host", host)]);
            assert_eq!(refusal(OPEN, &Method::GET, &sent, None), None, "{host}");
        }
        // near-misses: names that merely look local
        for host in [
            "evil.example:8686",
            "localhost.evil.example:8686",
            "127.0.0.1.nip.io:8686",
            "[evil]:8686",
        ] {
            let sent = headers(&[("host", host)]);
            assert_eq!(
                refusal(OPEN, &Method::GET, &sent, None).map(|r| r.0),
                Some(StatusCode::MISDIRECTED_REQUEST),
                "{host}"
            );
            // with a key the cookie is not sent to a rebound name: any host
            assert_eq!(refusal(KEYED, &Method::GET, &sent, None), None, "{host}");
        }
    }

    #[test]
    fn a_change_from_another_origin_is_refused() {
        let ours = headers(&[
            ("host", "127.0.0.1:8686"),
            ("origin", "http://127.0.0.1:8686"),
        ]);
        assert_eq!(refusal(OPEN, &Method::POST, &ours, None), None);
        let scripted = headers(&[("host", "127.0.0.1:8686")]);
        assert_eq!(refusal(OPEN, &Method::POST, &scripted, None), None);
        for (origin, site) in [
            ("http://127.0.0.1:9999", "same-site"),
            ("http://evil.example", "cross-site"),
            ("null", "cross-site"),
        ] {
            let sent = headers(&[("host", "127.0.0.1:8686"), ("origin", origin)]);
            assert_eq!(
                refusal(KEYED, &Method::POST, &sent, None).map(|r| r.0),
                Some(StatusCode::FORBIDDEN),
                "{origin}"
            );
            let sent = headers(&[("host", "127.0.0.1:8686"), ("sec-fetch-site", site)]);
            let refused = refusal(KEYED, &Method::POST, &sent, None).is_some();
            assert_eq!(refused, site == "cross-site", "{site}");
        }
        // HTTP/2: the host is the request's authority
        let sent = headers(&[("origin", "https://127.0.0.1:8686")]);
        assert_eq!(
            refusal(OPEN, &Method::POST, &sent, Some("127.0.0.1:8686")),
            None
        );
        assert!(refusal(OPEN, &Method::GET, &headers(&[]), Some("evil.example:8686")).is_some());
        // reading is never refused for its origin
        let sent = headers(&[
            ("host", "127.0.0.1:8686"),
            ("origin", "http://evil.example"),
        ]);
        assert_eq!(refusal(KEYED, &Method::GET, &sent, None), None);
    }
}
