//! The pixel and click endpoints on the tracking host. They always answer, and fast: the
//! hit is written ahead (wal.rs) and moved to the database by the writer, never on the
//! request's time. A click redirects only to a destination whose signature verifies under
//! a key we know (live or retired); anything else gets a plain page and no redirect.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use salespane_tracking::link::{self, TrackedRequest};
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::ids::{new_id, now_ms};
use crate::tracking::wal::HitRecord;

/// The request headers the classifier reads: what a real browser sends and a scanner
/// usually does not.
pub const BROWSER_HEADERS: &[&str] = &[
    "accept",
    "accept-language",
    "accept-encoding",
    "sec-fetch-mode",
    "sec-fetch-site",
    "sec-fetch-dest",
    "sec-fetch-user",
    "sec-ch-ua",
    "referer",
    "via",
    "from",
];
const MAX_HEADER_BYTES: usize = 512;

/// Not in the OpenAPI document: these answer mail clients, not API callers.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/t/o/{file}", get(open))
        .route("/t/c/{message}/{index}", get(click))
        .route("/t/{*rest}", get(other))
}

/// Anything else on the tracking paths: a pixel-looking address still gets the GIF (an
/// image must never break), anything else the plain page.
async fn other(request: Request) -> Response {
    if request.uri().path().starts_with("/t/o/") {
        pixel()
    } else {
        unverified_page()
    }
}

async fn open(State(state): State<AppState>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    // Only a well-formed tracked URL is written ahead; its signature is checked by the
    // writer (with the key from the database), so the answer never waits on it.
    if link::parse(parts.uri.path(), parts.uri.query()).is_ok() {
        record(&state, &parts).await;
    }
    pixel()
}

async fn click(State(state): State<AppState>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let Ok(parsed) = link::parse(parts.uri.path(), parts.uri.query()) else {
        return unverified_page();
    };
    let TrackedRequest::Click {
        destination,
        key_id,
        ..
    } = &parsed
    else {
        return unverified_page();
    };
    match state.tracking.keys.get(&state, key_id).await {
        Ok(Some(key)) if parsed.verify(&key.secret).is_ok() && is_web_url(destination) => {
            record(&state, &parts).await;
            redirect(destination)
        }
        Ok(_) => unverified_page(),
        Err(err) => {
            // The database is away: keep the hit (the writer verifies it later) but do not
            // redirect to what we could not check.
            tracing::warn!(error = %err, "click answered without a redirect: its key could not be loaded");
            record(&state, &parts).await;
            unavailable_page()
        }
    }
}

async fn record(state: &AppState, parts: &axum::http::request::Parts) {
    let Some(sink) = state.tracking.sink() else {
        return;
    };
    let ip = crate::client_addr::of_request(parts, &state.settings.tracking.trusted_proxies);
    let hit = HitRecord {
        id: new_id("hit"),
        at_ms: now_ms(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        ip: ip.to_string(),
        head: parts.method == Method::HEAD,
        user_agent: header_text(&parts.headers, "user-agent"),
        headers: BROWSER_HEADERS
            .iter()
            .filter_map(|name| header_text(&parts.headers, name).map(|v| (name.to_string(), v)))
            .collect::<BTreeMap<_, _>>(),
    };
    if let Err(reason) = sink.append(&hit).await {
        state.tracking.note_dropped();
        tracing::warn!(%reason, "a tracking hit was answered but not recorded");
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?;
    let mut end = value.len().min(MAX_HEADER_BYTES);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    Some(value[..end].to_string())
}

fn is_web_url(destination: &str) -> bool {
    url::Url::parse(destination).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// The 1x1 GIF, never cached (each open must reach us).
fn pixel() -> Response {
    let mut response = Response::new(Body::from(&salespane_tracking::pixel::GIF[..]));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/gif"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store, must-revalidate, private, max-age=0"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(header::EXPIRES, HeaderValue::from_static("0"));
    response
}

fn redirect(destination: &str) -> Response {
    match HeaderValue::from_str(destination) {
        Ok(location) => {
            let mut response = StatusCode::FOUND.into_response();
            let headers = response.headers_mut();
            headers.insert(header::LOCATION, location);
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            response
        }
        Err(_) => unverified_page(),
    }
}

fn unverified_page() -> Response {
    plain_page(
        StatusCode::BAD_REQUEST,
        "This link cannot be followed",
        "This tracked link is damaged or was not made by a Salespane user, so it does not lead anywhere. If you expected it to work, ask the person who sent you the message for the address.",
    )
}

fn unavailable_page() -> Response {
    plain_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "This link is not available right now",
        "The link could not be checked at the moment. Try again in a minute.",
    )
}

/// A page with no links, scripts or outside resources: nothing in it can lead a reader on.
fn plain_page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
