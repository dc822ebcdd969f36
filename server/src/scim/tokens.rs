//! SCIM tokens (`/api/v1/admin/scim-tokens`): admins issue one per identity provider; the
//! server keeps only its hash (`crypto::token_hash`), so the token is shown once.

use axum::extract::State;
use axum::http::StatusCode;
use salespane_api::settings::{ScimToken, ScimTokenCreate, ScimTokenIssued};
use sqlx::Row;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::identity::auth::AdminUser;
use crate::ids::{new_id, now_ms, random_secret};

/// Prefix of issued tokens: recognisable in a secret scanner or a leaked config.
pub const TOKEN_PREFIX: &str = "spscim_";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, issue_token))
        .routes(routes!(revoke_token))
}

/// The account's SCIM tokens (never the secrets).
#[utoipa::path(get, path = "/api/v1/admin/scim-tokens", tag = "admin", security(("sso" = [])),
    responses((status = 200, body = Vec<ScimToken>),
        (status = 403, description = "`not_admin`", body = salespane_api::error::ErrorBody)))]
async fn list_tokens(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> ApiResult<ApiJson<Vec<ScimToken>>> {
    let rows = sqlx::query(
        "SELECT id, name, created_at, revoked_at FROM scim_tokens WHERE account_id = $1 ORDER BY created_at, id",
    )
    .bind(&admin.account_id)
    .fetch_all(&state.db.pool)
    .await?;
    let mut tokens = Vec::with_capacity(rows.len());
    for row in rows {
        tokens.push(ScimToken {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            created_at: row.try_get("created_at")?,
            revoked_at: row.try_get("revoked_at")?,
        });
    }
    Ok(ApiJson(tokens))
}

/// Issues a token; the answer is the only time it is shown.
#[utoipa::path(post, path = "/api/v1/admin/scim-tokens", tag = "admin", security(("sso" = [])),
    request_body = ScimTokenCreate,
    responses((status = 201, body = ScimTokenIssued),
        (status = 400, description = "`invalid_token_name`", body = salespane_api::error::ErrorBody),
        (status = 403, description = "`not_admin`", body = salespane_api::error::ErrorBody)))]
async fn issue_token(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(body): ApiJson<ScimTokenCreate>,
) -> ApiResult<(StatusCode, ApiJson<ScimTokenIssued>)> {
    let name = body.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_token_name",
            "name: say what the token is for (e.g. Okta), in 1 to 100 characters.",
        ));
    }
    let id = new_id("scim");
    let token = format!("{TOKEN_PREFIX}{}", random_secret(32));
    let created_at = now_ms();
    sqlx::query(
        "INSERT INTO scim_tokens (id, account_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(&admin.account_id)
    .bind(&name)
    .bind(crate::crypto::token_hash(&token))
    .bind(created_at)
    .execute(&state.db.pool)
    .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(ScimTokenIssued {
            id,
            name,
            token,
            created_at,
        }),
    ))
}

/// Revokes a token at once; the IdP using it gets 401 from then on.
#[utoipa::path(delete, path = "/api/v1/admin/scim-tokens/{id}", tag = "admin", security(("sso" = [])),
    params(("id" = String, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"),
        (status = 404, description = "`scim_token_not_found`", body = salespane_api::error::ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiPath(token_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let found = sqlx::query("SELECT revoked_at FROM scim_tokens WHERE id = $1 AND account_id = $2")
        .bind(&token_id)
        .bind(&admin.account_id)
        .fetch_optional(&state.db.pool)
        .await?;
    if found.is_none() {
        return Err(ApiError::not_found(
            "scim_token_not_found",
            "No such SCIM token in your account. Reload the list.",
        ));
    }
    sqlx::query("UPDATE scim_tokens SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(&token_id)
        .bind(&admin.account_id)
        .execute(&state.db.pool)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
