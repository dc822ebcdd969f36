//! SCIM 2.0 (RFC 7643 / RFC 7644) for identity providers (Okta, Microsoft Entra ID) at
//! `/scim/v2`, authenticated by the account's own SCIM bearer tokens, plus the admin API that
//! issues and revokes those tokens.
//!
//! Decisions (documented in the OpenAPI descriptions too):
//! - Every user of the account is a SCIM resource; `userName` is the one the IdP gave, else
//!   the user's email, so an IdP looking up an imported user by email finds it.
//! - An active user holds a seat (taken and freed only through `users`); no seat → 403 with
//!   a detail saying so.
//! - DELETE never deletes: the user keeps their activity, is deactivated (seat freed) and is
//!   gone for SCIM (404 afterwards, RFC 7644 §3.6). Provisioning the same person again
//!   revives that user.

mod discovery;
mod filter;
mod patch;
mod tokens;
mod users;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::error::ApiError;

pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// SCIM requests are small; Entra sends a user at a time.
const SCIM_BODY_MAX_BYTES: usize = 256 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    users::routes()
        .merge(discovery::routes())
        .merge(tokens::routes())
}

/// The SCIM error body (RFC 7644 §3.12).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScimErrorBody {
    pub schemas: Vec<String>,
    /// The HTTP status, as a string.
    pub status: String,
    #[serde(rename = "scimType", skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<String>,
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{status} {detail}")]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> ScimError {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }
    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> ScimError {
        ScimError::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }
    pub fn not_found(id: &str) -> ScimError {
        ScimError::new(
            StatusCode::NOT_FOUND,
            None,
            format!(
                "No user {} in this account.",
                crate::provisioning::profile::clip(id)
            ),
        )
    }
    pub fn uniqueness(detail: impl Into<String>) -> ScimError {
        ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), detail)
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let body = ScimErrorBody {
            schemas: vec![ERROR_SCHEMA.to_string()],
            status: self.status.as_u16().to_string(),
            scim_type: self.scim_type.map(str::to_string),
            detail: self.detail,
        };
        let mut response = scim_response(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"salespane-scim\""),
            );
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(crate::error::RETRY_AFTER_SECONDS),
            );
        }
        response
    }
}

/// Errors of the shared layers (database, seats, uniqueness) in SCIM form.
impl From<ApiError> for ScimError {
    fn from(err: ApiError) -> ScimError {
        let scim_type = match err.code {
            "email_taken" | "crm_user_taken" => Some("uniqueness"),
            _ => None,
        };
        let status = match err.code {
            // A missing seat is not a conflict with another resource: the account may not
            // add this user now (RFC 7644 §3.12: 403 "operation is not permitted").
            "no_seat" => StatusCode::FORBIDDEN,
            _ => err.status,
        };
        ScimError::new(status, scim_type, err.message)
    }
}

impl From<sqlx::Error> for ScimError {
    fn from(err: sqlx::Error) -> ScimError {
        ApiError::from(err).into()
    }
}

pub type ScimResult<T> = Result<T, ScimError>;

/// A JSON body sent as `application/scim+json`.
pub fn scim_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(SCIM_CONTENT_TYPE),
            )],
            bytes,
        )
            .into_response(),
        Err(err) => ApiError::internal(format_args!("scim serialization: {err}")).into_response(),
    }
}

/// The account a SCIM request acts on, from its bearer token.
#[derive(Debug, Clone)]
pub struct ScimAccount {
    pub account_id: String,
}

impl FromRequestParts<AppState> for ScimAccount {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ScimError> {
        let unauthorized = || {
            ScimError::new(
                StatusCode::UNAUTHORIZED,
                None,
                "Send the SCIM token issued in Salespane (Admin → SCIM tokens) as Authorization: Bearer <token>.",
            )
        };
        let token = crate::identity::auth::bearer_token(parts).map_err(|_| unauthorized())?;
        let row = sqlx::query(
            "SELECT account_id FROM scim_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(crate::crypto::token_hash(token))
        .fetch_optional(&state.db.pool)
        .await?;
        let Some(row) = row else {
            return Err(ScimError::new(
                StatusCode::UNAUTHORIZED,
                None,
                "This SCIM token is unknown or revoked. Issue a new one in Salespane (Admin → SCIM tokens) and update the provisioning settings of your identity provider.",
            ));
        };
        Ok(ScimAccount {
            account_id: row.try_get("account_id")?,
        })
    }
}

/// A SCIM request body: JSON sent as `application/scim+json` or `application/json` (or with
/// no content type, as some IdPs do), parsed leniently into a `Value`; failures answer in
/// SCIM form.
pub struct ScimBody(pub Value);

impl FromRequest<AppState> for ScimBody {
    type Rejection = ScimError;

    async fn from_request(req: Request, _state: &AppState) -> Result<Self, ScimError> {
        if let Some(content_type) = req.headers().get(header::CONTENT_TYPE) {
            let text = content_type.to_str().unwrap_or("").to_ascii_lowercase();
            let essence = text.split(';').next().unwrap_or("").trim();
            if !(essence == "application/json"
                || essence == SCIM_CONTENT_TYPE
                || essence.is_empty())
            {
                return Err(ScimError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    None,
                    format!("Send the body as {SCIM_CONTENT_TYPE} (or application/json)."),
                ));
            }
        }
        let bytes = axum::body::to_bytes(req.into_body(), SCIM_BODY_MAX_BYTES)
            .await
            .map_err(|err| {
                if crate::error::body_timed_out(&err) {
                    return crate::error::body_timeout().into();
                }
                ScimError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    None,
                    format!("The body is larger than {} KB.", SCIM_BODY_MAX_BYTES / 1024),
                )
            })?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|err| {
            ScimError::bad(
                "invalidSyntax",
                format!("The body is not valid JSON: {err}."),
            )
        })?;
        if !value.is_object() {
            return Err(ScimError::bad(
                "invalidSyntax",
                "The body must be a JSON object.",
            ));
        }
        Ok(ScimBody(value))
    }
}

/// `2026-11-23T10:00:00.123Z` from milliseconds since the epoch.
pub fn rfc3339(ms: i64) -> String {
    crate::provisioning::autosync::format_utc(ms)
}
