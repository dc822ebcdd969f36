//! The server's one error type. Every failure a handler can meet becomes an `ApiError`:
//! a status, a stable code clients branch on, and a message that says what to do. Bad input
//! is never a 500.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use salespane_api::error::{ErrorBody, ErrorDetail};

#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Sent as `Retry-After` (seconds) when set.
    pub retry_after_seconds: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Largest request body the server reads (SCIM has its own smaller limit).
pub const BODY_MAX_BYTES: usize = 2 * 1024 * 1024;
/// What a 503 asks clients to wait before trying again.
pub const RETRY_AFTER_SECONDS: &str = "2";

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after_seconds: None,
        }
    }
    /// Tells the client when to try again.
    pub fn with_retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after_seconds = Some(seconds);
        self
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, code, message)
    }
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, code, message)
    }
    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }
    pub fn unavailable(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
    }
    pub fn bad_gateway(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_GATEWAY, code, message)
    }
    pub fn internal(context: impl std::fmt::Display) -> ApiError {
        tracing::error!(%context, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on the Salespane server. Try again; if it persists, contact your administrator.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after_seconds {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"salespane\""),
            );
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> ApiError {
        if crate::db::is_busy(&err) {
            tracing::warn!(error = %err, "database busy");
            return ApiError::unavailable(
                "database_busy",
                "The Salespane database is busy with other changes. Try again in a few seconds.",
            );
        }
        match &err {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                tracing::error!(error = %err, "database unavailable");
                ApiError::unavailable(
                    "database_unavailable",
                    "The Salespane server cannot reach its database right now. Try again in a minute.",
                )
            }
            _ => ApiError::internal(format_args!("database: {err}")),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        if body_timed_out(&rejection) {
            return body_timeout();
        }
        let status = rejection.status();
        let code = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            "unsupported_media_type"
        } else if status == StatusCode::PAYLOAD_TOO_LARGE {
            "payload_too_large"
        } else {
            "invalid_json"
        };
        ApiError::new(
            status,
            code,
            format!(
                "The request body is not what this endpoint takes: {}. Send JSON with Content-Type: application/json as the API document describes.",
                rejection.body_text()
            ),
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::bad_request(
            "invalid_query",
            format!("The query string is not valid: {}.", rejection.body_text()),
        )
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> ApiError {
        ApiError::bad_request(
            "invalid_path",
            format!("The URL path is not valid: {}.", rejection.body_text()),
        )
    }
}

/// True when reading the request body failed because the client stopped sending it
/// (tower-http's body time-out, `--body-read-timeout-seconds`).
pub fn body_timed_out(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(err) = current {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        current = err.source();
    }
    false
}

pub fn body_timeout() -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        "The request body stopped arriving before it was complete. Send the whole body without pausing.",
    )
}

/// Makes every error answer the API's shape, whichever layer produced it: under `/scim/v2`
/// a SCIM error body (RFC 7644 §3.12), including 404, 405 and limits; elsewhere the JSON
/// error, for answers the tower layers write as plain text (413 from the body limit, 408).
/// HTML pages (OAuth callbacks) and the sandbox's Salesforce-shaped errors are left as they are.
pub async fn uniform_error_bodies(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let scim = path == "/scim/v2" || path.starts_with("/scim/v2/");
    let sandbox = path.starts_with(crate::crm::sandbox_mode::PREFIX);
    let response = next.run(request).await;
    if sandbox {
        // The Salesforce stand-in answers in Salesforce's own shapes.
        return response;
    }
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let plain = content_type.is_empty() || content_type.starts_with("text/plain");
    if scim {
        if content_type.starts_with(crate::scim::SCIM_CONTENT_TYPE) {
            return response;
        }
        if !(plain || content_type.starts_with("application/json")) {
            return response;
        }
        let (parts, body) = response.into_parts();
        let detail = match axum::body::to_bytes(body, 64 * 1024).await {
            Ok(bytes) => serde_json::from_slice::<ErrorBody>(&bytes)
                .map(|b| b.error.message)
                .unwrap_or_else(|_| default_message(status).to_string()),
            Err(_) => default_message(status).to_string(),
        };
        let mut converted = crate::scim::ScimError::new(status, None, detail).into_response();
        for name in [header::RETRY_AFTER, header::ALLOW] {
            if let Some(value) = parts.headers.get(&name) {
                converted.headers_mut().insert(name, value.clone());
            }
        }
        return converted;
    }
    if !plain {
        return response;
    }
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::REQUEST_TIMEOUT => "body_timeout",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::NOT_FOUND => "not_found",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    ApiError::new(status, code, default_message(status)).into_response()
}

fn default_message(status: StatusCode) -> &'static str {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is too large: send at most 2 MB (SCIM: 256 KB).",
        StatusCode::REQUEST_TIMEOUT => "The request body stopped arriving before it was complete. Send the whole body without pausing.",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Send the body as JSON (Content-Type: application/json, or application/scim+json for SCIM).",
        StatusCode::METHOD_NOT_ALLOWED => "This address does not take that method. The API is described at /openapi.json.",
        StatusCode::NOT_FOUND => "There is nothing at this address. The API is described at /openapi.json.",
        StatusCode::UNAUTHORIZED => "Send a valid bearer token in the Authorization header.",
        StatusCode::SERVICE_UNAVAILABLE => "The Salespane server is busy. Try again in a few seconds.",
        s if s.is_server_error() => "Something went wrong on the Salespane server. Try again; if it persists, contact your administrator.",
        _ => "The request is not valid. The API is described at /openapi.json.",
    }
}
