//! Per-user keys that sign tracked links. One live key per user (a partial unique index
//! enforces it); rotating retires the live key but keeps it, so links already sent with it
//! still verify. Secrets are sealed at rest.

use salespane_api::me::SigningKey;
use sqlx::Row;

use crate::app::AppState;
use crate::db::is_unique_violation;
use crate::error::ApiError;
use crate::ids::{new_id, now_ms, random_secret};

/// A key as the tracking endpoints need it to verify a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub id: String,
    pub user_id: String,
    pub secret: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

async fn live_key(
    state: &AppState,
    account_id: &str,
    user_id: &str,
) -> Result<Option<SigningKey>, ApiError> {
    let row = sqlx::query(
        "SELECT id, secret_sealed, created_at FROM signing_keys WHERE account_id = $1 AND user_id = $2 AND retired_at IS NULL",
    )
    .bind(account_id)
    .bind(user_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let sealed: String = row.try_get("secret_sealed")?;
    let secret = state.secrets.open(&sealed).map_err(ApiError::internal)?;
    Ok(Some(SigningKey {
        id: row.try_get("id")?,
        secret,
        created_at: row.try_get("created_at")?,
    }))
}

/// The user's live key, created on first use. Two first requests at once end with the
/// same key (the loser of the insert reads the winner's).
pub async fn current(
    state: &AppState,
    account_id: &str,
    user_id: &str,
) -> Result<SigningKey, ApiError> {
    if let Some(key) = live_key(state, account_id, user_id).await? {
        return Ok(key);
    }
    let key = new_key();
    let inserted = sqlx::query(
        "INSERT INTO signing_keys (id, account_id, user_id, secret_sealed, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&key.id)
    .bind(account_id)
    .bind(user_id)
    .bind(state.secrets.seal(&key.secret))
    .bind(key.created_at)
    .execute(&state.db.pool)
    .await;
    match inserted {
        Ok(_) => Ok(key),
        Err(e) if is_unique_violation(&e) => live_key(state, account_id, user_id)
            .await?
            .ok_or_else(|| ApiError::internal("signing key vanished after a concurrent insert")),
        Err(e) => Err(e.into()),
    }
}

/// Retires the live key (kept for verification) and makes a new one.
pub async fn rotate(
    state: &AppState,
    account_id: &str,
    user_id: &str,
) -> Result<SigningKey, ApiError> {
    let key = new_key();
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE account_id = $2 AND user_id = $3 AND retired_at IS NULL")
        .bind(now_ms())
        .bind(account_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO signing_keys (id, account_id, user_id, secret_sealed, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&key.id)
    .bind(account_id)
    .bind(user_id)
    .bind(state.secrets.seal(&key.secret))
    .bind(key.created_at)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::conflict("rotation_in_progress", "Another rotation of your signing key happened at the same moment. Reload and try again.")
        } else {
            e.into()
        }
    })?;
    tx.commit().await?;
    Ok(key)
}

/// Any key of the account by id, live or retired, to verify a link signed with it.
pub async fn find(
    state: &AppState,
    account_id: &str,
    key_id: &str,
) -> Result<Option<StoredKey>, ApiError> {
    let row = sqlx::query(
        "SELECT id, user_id, secret_sealed, created_at, retired_at FROM signing_keys WHERE account_id = $1 AND id = $2",
    )
    .bind(account_id)
    .bind(key_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let sealed: String = row.try_get("secret_sealed")?;
    Ok(Some(StoredKey {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        secret: state.secrets.open(&sealed).map_err(ApiError::internal)?,
        created_at: row.try_get("created_at")?,
        retired_at: row.try_get("retired_at")?,
    }))
}

fn new_key() -> SigningKey {
    SigningKey {
        id: new_id("key"),
        secret: random_secret(32),
        created_at: now_ms(),
    }
}

/// A key as the hit path needs it: found by its id alone (the link names it), which tells
/// the account and the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOwner {
    pub id: String,
    pub account_id: String,
    pub user_id: String,
    pub secret: String,
}

/// Any key by id, live or retired, with its account and user.
pub async fn find_by_id(state: &AppState, key_id: &str) -> Result<Option<KeyOwner>, ApiError> {
    let row = sqlx::query(
        "SELECT id, account_id, user_id, secret_sealed FROM signing_keys WHERE id = $1",
    )
    .bind(key_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let sealed: String = row.try_get("secret_sealed")?;
    Ok(Some(KeyOwner {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        user_id: row.try_get("user_id")?,
        secret: state.secrets.open(&sealed).map_err(ApiError::internal)?,
    }))
}
