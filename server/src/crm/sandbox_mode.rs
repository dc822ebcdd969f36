//! `--sandbox`: the built-in Salesforce stand-in is served under `/sfdc` on the server's own
//! listener, and the accounts of its seeded orgs exist so a newcomer can sign in at once.

use axum::Router;
use salespane_sandbox::seed;
use sqlx::Row;

use crate::app::AppState;
use crate::error::ApiError;
use crate::ids::{new_id, now_ms};
use crate::provisioning::users::{insert_user, NewUser, Source};
use salespane_api::me::Role;

pub const PREFIX: &str = "/sfdc";

/// The seeded orgs' Salespane accounts: (org name, org id, admin username, seat limit).
fn seeded_accounts() -> Vec<(&'static str, String, &'static str, i64)> {
    vec![
        (
            seed::ACME_ORG_NAME,
            seed::acme_org_id().to_string(),
            seed::ACME_ADMIN,
            5,
        ),
        (
            seed::GLOBEX_ORG_NAME,
            seed::globex_org_id().to_string(),
            seed::GLOBEX_ADMIN,
            3,
        ),
    ]
}

pub fn router(state: &AppState) -> Router {
    salespane_sandbox::router(salespane_sandbox::SandboxConfig {
        public_base_url: format!("{}{PREFIX}", state.settings.public_url),
        signing_secret: state.secrets.derive("salesforce-sandbox"),
    })
}

/// Creates the seeded orgs' accounts and their admins when missing; points them at this
/// run's sandbox issuer (its URL carries the port, which may change between runs).
pub async fn seed_accounts(state: &AppState) -> Result<(), ApiError> {
    let issuer = &state.settings.idp_issuer;
    for (name, org_id, admin_username, seats) in seeded_accounts() {
        let now = now_ms();
        let mut tx = state.db.pool.begin().await?;
        sqlx::query("UPDATE accounts SET idp_issuer = $1, updated_at = $2 WHERE idp_org_id = $3 AND idp_issuer LIKE $4")
            .bind(issuer)
            .bind(now)
            .bind(&org_id)
            // Only accounts of an earlier sandbox run, never a real org's account.
            .bind(format!("%{PREFIX}"))
            .execute(&mut *tx)
            .await?;
        let existing = sqlx::query("SELECT id FROM accounts WHERE idp_org_id = $1")
            .bind(&org_id)
            .fetch_optional(&mut *tx)
            .await?;
        if existing.is_some() {
            tx.commit().await?;
            continue;
        }
        let account_id = new_id("acc");
        sqlx::query(
            "INSERT INTO accounts (id, name, idp_issuer, idp_org_id, seat_limit, seats_used, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
        )
        .bind(&account_id)
        .bind(name)
        .bind(issuer)
        .bind(&org_id)
        .bind(seats)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let admin = NewUser {
            account_id: account_id.clone(),
            email: admin_username.to_string(),
            name: admin_name(admin_username),
            title: Some("Salesforce administrator".to_string()),
            phone: None,
            photo_url: None,
            role: Role::Admin,
            crm_user_id: seed::user_id(admin_username).map(|id| id.to_string()),
            source: Source::SandboxSeed,
            scim_external_id: None,
            scim_user_name: None,
        };
        insert_user(&mut tx, &admin, true).await?;
        tx.commit().await?;
        tracing::info!(
            account = name,
            admin = admin_username,
            "seeded sandbox account"
        );
    }
    Ok(())
}

/// "ada.admin@acme.example" → "Ada Admin".
fn admin_name(username: &str) -> String {
    let local = username.split('@').next().unwrap_or(username);
    local
        .split('.')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What to tell a newcomer once the sandbox is up.
pub async fn sign_in_help(state: &AppState) -> String {
    let mut lines = vec![format!(
        "Salesforce sandbox: {}{PREFIX} (OpenID issuer; sign in with any seeded user, no password)",
        state.settings.public_url
    )];
    if let Ok(rows) = sqlx::query("SELECT a.name, a.seat_limit, a.seats_used, u.email FROM accounts a JOIN users u ON u.account_id = a.id AND u.role = 'admin' ORDER BY a.name")
        .fetch_all(&state.db.pool)
        .await
    {
        for row in rows {
            let name: String = row.try_get("name").unwrap_or_default();
            let email: String = row.try_get("email").unwrap_or_default();
            let limit: i64 = row.try_get("seat_limit").unwrap_or_default();
            let used: i64 = row.try_get("seats_used").unwrap_or_default();
            lines.push(format!("  account {name}: admin {email}, seats {used}/{limit}"));
        }
    }
    lines.push(format!(
        "  other seeded users to import: {}, {}, {} (no API access), {} (inactive)",
        seed::ACME_SELLER,
        seed::ACME_REP,
        seed::ACME_NO_API,
        seed::ACME_INACTIVE
    ));
    lines.join("\n")
}
