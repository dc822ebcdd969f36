//! Sales users and seats: the one place users are created, activated and deactivated, so
//! the seat count can never drift or be oversubscribed.
//!
//! Seats: `accounts.seats_used` moves only together with `users.holds_seat`, inside one
//! transaction whose FIRST statement is the conditional
//! `UPDATE accounts SET seats_used = seats_used + 1 WHERE … AND seats_used < seat_limit`.
//! On PostgreSQL that row update serialises concurrent takers; on SQLite a write as the
//! first statement takes the database's write lock at once (waiting on busy_timeout), so no
//! two transactions can both see the last seat free.

use salespane_api::admin::SalesUser;
use salespane_api::me::{Role, UserStatus};
use salespane_api::profile::{Onboarding, Profile};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::db::{is_unique_violation, Db};
use crate::error::ApiError;
use crate::identity::auth::{parse_role, role_str};
use crate::ids::{new_id, now_ms};

/// Where a user came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    CrmImport,
    AutoSync,
    Scim,
    AdminCli,
    SandboxSeed,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::CrmImport => "crm_import",
            Source::AutoSync => "auto_sync",
            Source::Scim => "scim",
            Source::AdminCli => "admin_cli",
            Source::SandboxSeed => "sandbox_seed",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub account_id: String,
    pub email: String,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub photo_url: Option<String>,
    pub role: Role,
    pub crm_user_id: Option<String>,
    pub source: Source,
    pub scim_external_id: Option<String>,
    pub scim_user_name: Option<String>,
}

pub fn no_seat_error() -> ApiError {
    ApiError::conflict(
        "no_seat",
        "No sales-user seat is left on this account. Deactivate or remove a sales user to free one, or ask your Salespane representative for more seats.",
    )
}

/// Takes one seat inside `tx`; must be the transaction's first statement (see module doc).
pub async fn take_seat(tx: &mut Transaction<'_, Any>, account_id: &str) -> Result<(), ApiError> {
    let taken = sqlx::query(
        "UPDATE accounts SET seats_used = seats_used + 1, updated_at = $2 WHERE id = $1 AND seats_used < seat_limit",
    )
    .bind(account_id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if taken == 1 {
        Ok(())
    } else {
        Err(no_seat_error())
    }
}

/// Gives one seat back inside `tx`.
pub async fn free_seat(tx: &mut Transaction<'_, Any>, account_id: &str) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE accounts SET seats_used = seats_used - 1, updated_at = $2 WHERE id = $1 AND seats_used > 0",
    )
    .bind(account_id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Creates an active user holding a seat, with a default profile, atomically. Errors:
/// `no_seat` (409), `email_taken` / `crm_user_taken` (409) when another user of the account
/// already has that email or CRM user.
pub async fn create_with_seat(db: &Db, new: NewUser) -> Result<String, ApiError> {
    let mut tx = db.pool.begin().await?;
    take_seat(&mut tx, &new.account_id).await?;
    let user_id = insert_user(&mut tx, &new, true).await?;
    tx.commit().await?;
    Ok(user_id)
}

/// Inserts the user row and its profile inside `tx` (the caller took a seat when
/// `holds_seat`).
pub async fn insert_user(
    tx: &mut Transaction<'_, Any>,
    new: &NewUser,
    holds_seat: bool,
) -> Result<String, ApiError> {
    let user_id = new_id("usr");
    let now = now_ms();
    let email = new.email.trim().to_lowercase();
    sqlx::query(
        "INSERT INTO users (id, account_id, email, name, title, phone, photo_url, role, status, holds_seat, crm_user_id, source, scim_external_id, scim_user_name, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
    )
    .bind(&user_id)
    .bind(&new.account_id)
    .bind(&email)
    .bind(&new.name)
    .bind(&new.title)
    .bind(&new.phone)
    .bind(&new.photo_url)
    .bind(role_str(new.role))
    .bind(if holds_seat { "active" } else { "deactivated" })
    .bind(i64::from(holds_seat))
    .bind(&new.crm_user_id)
    .bind(new.source.as_str())
    .bind(&new.scim_external_id)
    .bind(&new.scim_user_name)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(|e| unique_to_conflict(e, &email))?;
    sqlx::query(
        "INSERT INTO profiles (user_id, account_id, profile_json, onboarding_json, updated_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&user_id)
    .bind(&new.account_id)
    .bind(serde_json::to_string(&Profile::default()).unwrap_or_default())
    .bind(serde_json::to_string(&Onboarding::default()).unwrap_or_default())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(user_id)
}

fn unique_to_conflict(err: sqlx::Error, email: &str) -> ApiError {
    if !is_unique_violation(&err) {
        return err.into();
    }
    let text = err.to_string();
    if text.contains("crm_user") {
        ApiError::conflict(
            "crm_user_taken",
            "That Salesforce user already belongs to another Salespane user of this account. A Salesforce user can be one sales user only.",
        )
    } else {
        ApiError::conflict(
            "email_taken",
            format!("A Salespane user with the email {email} already exists in this account."),
        )
    }
}

/// Activates (taking a seat) or deactivates (freeing it) a user of the account. Idempotent.
pub async fn set_status(
    db: &Db,
    account_id: &str,
    user_id: &str,
    status: UserStatus,
) -> Result<(), ApiError> {
    let mut tx = db.pool.begin().await?;
    match status {
        UserStatus::Active => {
            // Touch the user row first so SQLite takes its write lock before any read.
            let changed = sqlx::query(
                "UPDATE users SET status = 'active', holds_seat = 1, updated_at = $3 WHERE id = $1 AND account_id = $2 AND holds_seat = 0",
            )
            .bind(user_id)
            .bind(account_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                ensure_user_exists(&mut tx, account_id, user_id).await?;
                tx.commit().await?;
                return Ok(());
            }
            take_seat(&mut tx, account_id).await?;
        }
        UserStatus::Deactivated => {
            let changed = sqlx::query(
                "UPDATE users SET status = 'deactivated', holds_seat = 0, updated_at = $3 WHERE id = $1 AND account_id = $2 AND holds_seat = 1",
            )
            .bind(user_id)
            .bind(account_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                ensure_user_exists(&mut tx, account_id, user_id).await?;
                sqlx::query(
                    "UPDATE users SET status = 'deactivated' WHERE id = $1 AND account_id = $2",
                )
                .bind(user_id)
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
            } else {
                free_seat(&mut tx, account_id).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn ensure_user_exists(
    tx: &mut Transaction<'_, Any>,
    account_id: &str,
    user_id: &str,
) -> Result<(), ApiError> {
    let found = sqlx::query("SELECT id FROM users WHERE id = $1 AND account_id = $2")
        .bind(user_id)
        .bind(account_id)
        .fetch_optional(&mut **tx)
        .await?;
    if found.is_none() {
        return Err(user_not_found());
    }
    Ok(())
}

pub fn user_not_found() -> ApiError {
    ApiError::not_found(
        "user_not_found",
        "No such sales user in your account. Reload the sales users list.",
    )
}

const SALES_USER_COLUMNS: &str = "u.id, u.email, u.name, u.title, u.role, u.status, u.crm_user_id, u.source, \
     (SELECT COUNT(*) FROM crm_connections c WHERE c.user_id = u.id AND c.status = 'active') AS connections";

/// One user of the account, as admins see them.
pub async fn sales_user(db: &Db, account_id: &str, user_id: &str) -> Result<SalesUser, ApiError> {
    let row = sqlx::query(&format!(
        "SELECT {SALES_USER_COLUMNS} FROM users u WHERE u.account_id = $1 AND u.id = $2"
    ))
    .bind(account_id)
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or_else(user_not_found)?;
    let mut user = sales_user_from_row(&row)?;
    user.team_ids = team_ids(db, account_id, user_id).await?;
    Ok(user)
}

/// Every user of the account, ordered by name.
pub async fn list_sales_users(db: &Db, account_id: &str) -> Result<Vec<SalesUser>, ApiError> {
    let rows = sqlx::query(&format!(
        "SELECT {SALES_USER_COLUMNS} FROM users u WHERE u.account_id = $1 ORDER BY LOWER(u.name), u.email"
    ))
    .bind(account_id)
    .fetch_all(&db.pool)
    .await?;
    let memberships =
        sqlx::query("SELECT user_id, team_id FROM team_members WHERE account_id = $1")
            .bind(account_id)
            .fetch_all(&db.pool)
            .await?;
    let mut users = rows
        .iter()
        .map(sales_user_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    for row in memberships {
        let user_id: String = row.try_get("user_id")?;
        let team_id: String = row.try_get("team_id")?;
        if let Some(user) = users.iter_mut().find(|u| u.id == user_id) {
            user.team_ids.push(team_id);
        }
    }
    Ok(users)
}

async fn team_ids(db: &Db, account_id: &str, user_id: &str) -> Result<Vec<String>, ApiError> {
    let rows = sqlx::query(
        "SELECT team_id FROM team_members WHERE account_id = $1 AND user_id = $2 ORDER BY team_id",
    )
    .bind(account_id)
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| r.try_get("team_id").map_err(ApiError::from))
        .collect()
}

fn sales_user_from_row(row: &AnyRow) -> Result<SalesUser, ApiError> {
    let role: String = row.try_get("role")?;
    let status: String = row.try_get("status")?;
    let connections: i64 = row.try_get("connections")?;
    Ok(SalesUser {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        title: row.try_get("title")?,
        role: parse_role(&role),
        status: parse_status(&status),
        crm_user_id: row.try_get("crm_user_id")?,
        source: row.try_get("source")?,
        has_personal_connection: connections > 0,
        team_ids: Vec::new(),
    })
}

pub fn parse_status(text: &str) -> UserStatus {
    match text {
        "active" => UserStatus::Active,
        _ => UserStatus::Deactivated,
    }
}

/// Seats of the account: (limit, used).
pub async fn seats(db: &Db, account_id: &str) -> Result<salespane_api::admin::Seats, ApiError> {
    let row = sqlx::query("SELECT seat_limit, seats_used FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_one(&db.pool)
        .await?;
    let limit: i64 = row.try_get("seat_limit")?;
    let used: i64 = row.try_get("seats_used")?;
    Ok(salespane_api::admin::Seats {
        limit,
        used,
        left: (limit - used).max(0),
    })
}
