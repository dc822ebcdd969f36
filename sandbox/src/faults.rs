//! Fault injection for tests: the next N calls whose path contains a string are delayed
//! and/or answered with an error status, shaped like Salesforce's own errors.

use crate::state::Sandbox;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
pub struct Fault {
    pub path_contains: String,
    /// Answer with this status (after any delay); without it the call proceeds normally.
    #[serde(default)]
    pub status: Option<u16>,
    /// How many matching calls this applies to (default 1).
    #[serde(default = "one")]
    pub times: u32,
    #[serde(default)]
    pub delay_ms: u64,
}

fn one() -> u32 {
    1
}

pub async fn inject(State(sandbox): State<Arc<Sandbox>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let hit = {
        let mut faults = sandbox.faults.lock().await;
        let found = faults
            .iter_mut()
            .position(|f| f.times > 0 && path.contains(&f.path_contains));
        found.map(|i| {
            faults[i].times -= 1;
            let fault = faults[i].clone();
            if faults[i].times == 0 {
                faults.remove(i);
            }
            fault
        })
    };
    let Some(fault) = hit else {
        return next.run(request).await;
    };
    if fault.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
    }
    match fault.status.and_then(|s| StatusCode::from_u16(s).ok()) {
        None => next.run(request).await,
        Some(status) => fault_response(&path, status),
    }
}

fn fault_response(path: &str, status: StatusCode) -> Response {
    let message = format!("Injected sandbox fault: HTTP {}", status.as_u16());
    if path.contains("/services/oauth2/") {
        let body = json!({"error": "server_error", "error_description": message});
        return (status, axum::Json(body)).into_response();
    }
    let code = match status.as_u16() {
        401 => "INVALID_SESSION_ID",
        403 => "REQUEST_LIMIT_EXCEEDED",
        404 => "NOT_FOUND",
        503 => "SERVER_UNAVAILABLE",
        _ => "UNKNOWN_EXCEPTION",
    };
    let body = json!([{"message": message, "errorCode": code}]).to_string();
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json;charset=UTF-8")
        .body(Body::from(body))
        .unwrap_or_else(|_| status.into_response())
}
