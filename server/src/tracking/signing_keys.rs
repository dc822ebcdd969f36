//! Per-user keys that sign tracked links. One live key per user (a partial unique index
//! enforces it); rotating retires the live key but keeps it, so links already sent with it
//! still verify. Secrets are sealed at rest.

use salespane_api::me::SigningKey;
use sqlx::Row;

use crate::app::AppState;
use crate::crypto::{is_bound, Binding};
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
    let id: String = row.try_get("id")?;
    let sealed: String = row.try_get("secret_sealed")?;
    let secret = open_secret(state, &sealed, &id, account_id)?;
    Ok(Some(SigningKey {
        id,
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
    .bind(seal_secret(state, &key.secret, &key.id, account_id))
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
    .bind(seal_secret(state, &key.secret, &key.id, account_id))
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
    let id: String = row.try_get("id")?;
    let sealed: String = row.try_get("secret_sealed")?;
    Ok(Some(StoredKey {
        secret: open_secret(state, &sealed, &id, account_id)?,
        id,
        user_id: row.try_get("user_id")?,
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
    let id: String = row.try_get("id")?;
    let account_id: String = row.try_get("account_id")?;
    let sealed: String = row.try_get("secret_sealed")?;
    Ok(Some(KeyOwner {
        secret: open_secret(state, &sealed, &id, &account_id)?,
        id,
        account_id,
        user_id: row.try_get("user_id")?,
    }))
}

/// Where a key's secret is sealed: bound to its row and account, so a ciphertext copied to
/// another key or account does not open.
fn sealed_in<'a>(key_id: &'a str, account_id: &'a str) -> Binding<'a> {
    Binding {
        table: "signing_keys",
        column: "secret_sealed",
        row_id: key_id,
        account_id,
    }
}

fn seal_secret(state: &AppState, secret: &str, key_id: &str, account_id: &str) -> String {
    state
        .secrets
        .seal_bound(secret, &sealed_in(key_id, account_id))
}

fn open_secret(
    state: &AppState,
    sealed: &str,
    key_id: &str,
    account_id: &str,
) -> Result<String, ApiError> {
    state
        .secrets
        .open_bound(sealed, &sealed_in(key_id, account_id))
        .map_err(ApiError::internal)
}

/// Binds secrets sealed by an older version (unbound `v1`) to their rows; run at start,
/// beside [`crate::crm::access::reseal_unbound_secrets`].
pub async fn reseal_unbound(state: &AppState) -> Result<usize, ApiError> {
    let rows = sqlx::query(
        "SELECT id, account_id, secret_sealed FROM signing_keys WHERE secret_sealed NOT LIKE 'v2.%'",
    )
    .fetch_all(&state.db.pool)
    .await?;
    let mut resealed = 0;
    for row in rows {
        let id: String = row.try_get("id")?;
        let account_id: String = row.try_get("account_id")?;
        let sealed: String = row.try_get("secret_sealed")?;
        if is_bound(&sealed) {
            continue;
        }
        // An unreadable old value stays as it is and fails like any broken secret.
        let Ok(plain) = state.secrets.open(&sealed) else {
            continue;
        };
        sqlx::query("UPDATE signing_keys SET secret_sealed = $1 WHERE id = $2 AND account_id = $3")
            .bind(seal_secret(state, &plain, &id, &account_id))
            .bind(&id)
            .bind(&account_id)
            .execute(&state.db.pool)
            .await?;
        resealed += 1;
    }
    Ok(resealed)
}
