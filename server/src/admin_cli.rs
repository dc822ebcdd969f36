//! `salespane-server admin …`: operator tasks run straight against the database (`--database`),
//! for setting up an account before anyone can sign in.

use anyhow::{anyhow, bail, Context};
use clap::Subcommand;
use salespane_api::me::Role;
use salespane_api::sfid::SfId;
use sqlx::Row;
use std::io::Write;

use crate::config::ServerArgs;
use crate::db::Db;
use crate::ids::{new_id, now_ms, random_secret};
use crate::provisioning::users::{insert_user, take_seat, NewUser, Source};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account for a Salesforce org, with its first admin.
    CreateAccount {
        /// Account (company) name.
        #[arg(long)]
        name: String,
        /// Salesforce organization id (00D…, 15 or 18 characters); with another identity
        /// provider, the tenant id its tokens carry.
        #[arg(long)]
        org_id: String,
        /// Identity provider (OpenID issuer) users sign in with; default: the server's.
        #[arg(long)]
        idp_issuer: Option<String>,
        /// Sales-user seats of the agreement.
        #[arg(long)]
        seats: i64,
        /// Email of the first Salespane administrator (takes a seat).
        #[arg(long)]
        admin_email: String,
        /// The admin's Salesforce user id (005…), so their Salesforce sign-in finds them.
        #[arg(long)]
        admin_crm_user_id: Option<String>,
    },
    /// Change an account's seat limit (never below the seats in use).
    SetSeats {
        #[arg(long)]
        account: String,
        #[arg(long)]
        seats: i64,
    },
    /// Issue a SCIM bearer token for an account; it is printed once and only its hash is kept.
    IssueScimToken {
        #[arg(long)]
        account: String,
        /// What the token is for, e.g. "Okta".
        #[arg(long, default_value = "SCIM")]
        name: String,
    },
    /// List accounts.
    ListAccounts,
    /// List an account's users.
    ListUsers {
        #[arg(long)]
        account: String,
    },
}

pub async fn run(args: &ServerArgs, command: AdminCommand) -> anyhow::Result<()> {
    let db = Db::connect(&args.database).await?;
    let result = match command {
        AdminCommand::CreateAccount {
            name,
            org_id,
            idp_issuer,
            seats,
            admin_email,
            admin_crm_user_id,
        } => {
            let default_issuer = args.settings(args.listen).idp_issuer;
            let issuer = idp_issuer.unwrap_or(default_issuer);
            create_account(
                &db,
                &name,
                &org_id,
                &issuer,
                seats,
                &admin_email,
                admin_crm_user_id.as_deref(),
            )
            .await
        }
        AdminCommand::SetSeats { account, seats } => set_seats(&db, &account, seats).await,
        AdminCommand::IssueScimToken { account, name } => {
            issue_scim_token(&db, &account, &name).await
        }
        AdminCommand::ListAccounts => list_accounts(&db).await,
        AdminCommand::ListUsers { account } => list_users(&db, &account).await,
    };
    db.close().await;
    result
}

fn out(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")?;
    Ok(())
}

async fn account_exists(db: &Db, account_id: &str) -> anyhow::Result<()> {
    let found = sqlx::query("SELECT id FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&db.pool)
        .await?;
    if found.is_none() {
        bail!("no account {account_id}: see `salespane-server admin list-accounts`");
    }
    Ok(())
}

async fn create_account(
    db: &Db,
    name: &str,
    org_id: &str,
    issuer: &str,
    seats: i64,
    admin_email: &str,
    admin_crm_user_id: Option<&str>,
) -> anyhow::Result<()> {
    let name = name.trim();
    if name.is_empty() {
        bail!("--name must not be empty");
    }
    if seats < 1 {
        bail!("--seats must be 1 or more (the admin takes a seat)");
    }
    let email = admin_email.trim().to_lowercase();
    if !email.contains('@') || email.len() > 254 {
        bail!("--admin-email {admin_email} is not an email address");
    }
    let issuer = issuer.trim().trim_end_matches('/').to_string();
    url::Url::parse(&issuer).map_err(|e| anyhow!("--idp-issuer {issuer} is not a URL ({e})"))?;
    let org_id = match SfId::parse(org_id.trim()) {
        Ok(id) if id.key_prefix() == "00D" => id.as_str().to_string(),
        _ if issuer == crate::config::SALESFORCE_LOGIN_URL || issuer.contains("salesforce.com") => {
            bail!("--org-id {org_id} is not a Salesforce organization id (15 or 18 characters starting with 00D; Setup → Company Information)")
        }
        _ if org_id.trim().is_empty() => bail!("--org-id must not be empty"),
        _ => org_id.trim().to_string(),
    };
    let crm_user_id = match admin_crm_user_id {
        Some(raw) => match SfId::parse(raw.trim()) {
            Ok(id) if id.key_prefix() == "005" => Some(id.as_str().to_string()),
            _ => bail!("--admin-crm-user-id {raw} is not a Salesforce user id (15 or 18 characters starting with 005)"),
        },
        None => None,
    };
    let existing = sqlx::query("SELECT id FROM accounts WHERE idp_issuer = $1 AND idp_org_id = $2")
        .bind(&issuer)
        .bind(&org_id)
        .fetch_optional(&db.pool)
        .await?;
    if let Some(row) = existing {
        let id: String = row.try_get("id")?;
        bail!("an account for org {org_id} at {issuer} already exists: {id}");
    }
    let account_id = new_id("acc");
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO accounts (id, name, idp_issuer, idp_org_id, seat_limit, seats_used, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6)",
    )
    .bind(&account_id)
    .bind(name)
    .bind(&issuer)
    .bind(&org_id)
    .bind(seats)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            anyhow!("an account for org {org_id} at {issuer} already exists")
        } else {
            e.into()
        }
    })?;
    take_seat(&mut tx, &account_id)
        .await
        .map_err(|e| anyhow!(e.message))?;
    let admin = NewUser {
        account_id: account_id.clone(),
        name: email.split('@').next().unwrap_or_default().to_string(),
        email: email.clone(),
        title: None,
        phone: None,
        photo_url: None,
        role: Role::Admin,
        crm_user_id,
        source: Source::AdminCli,
        scim_external_id: None,
        scim_user_name: None,
    };
    let admin_id = insert_user(&mut tx, &admin, true)
        .await
        .map_err(|e| anyhow!(e.message))?;
    tx.commit().await?;
    out(&format!("account {account_id} created: {name}, org {org_id}, sign-in with {issuer}, seats 1/{seats}"))?;
    out(&format!("admin {admin_id}: {email}"))
}

async fn set_seats(db: &Db, account_id: &str, seats: i64) -> anyhow::Result<()> {
    if seats < 0 {
        bail!("--seats must be 0 or more");
    }
    account_exists(db, account_id).await?;
    let changed = sqlx::query(
        "UPDATE accounts SET seat_limit = $1, updated_at = $2 WHERE id = $3 AND seats_used <= $1",
    )
    .bind(seats)
    .bind(now_ms())
    .bind(account_id)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if changed == 0 {
        let row = sqlx::query("SELECT seats_used FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_one(&db.pool)
            .await?;
        let used: i64 = row.try_get("seats_used")?;
        bail!("account {account_id} has {used} seats in use, more than {seats}: deactivate users first (or set at least {used})");
    }
    out(&format!("account {account_id}: seat limit is now {seats}"))
}

async fn issue_scim_token(db: &Db, account_id: &str, name: &str) -> anyhow::Result<()> {
    account_exists(db, account_id).await?;
    let token = format!("spscim_{}", random_secret(32));
    let id = new_id("scim");
    sqlx::query("INSERT INTO scim_tokens (id, account_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(account_id)
        .bind(name.trim())
        .bind(crate::crypto::token_hash(&token))
        .bind(now_ms())
        .execute(&db.pool)
        .await
        .context("storing the SCIM token")?;
    out(&format!("SCIM token {id} for account {account_id} (shown once; store it in your identity provider):"))?;
    out(&token)
}

async fn list_accounts(db: &Db) -> anyhow::Result<()> {
    let rows = sqlx::query(
        "SELECT a.id, a.name, a.idp_org_id, a.idp_issuer, a.seat_limit, a.seats_used, a.team_sync_connection_id FROM accounts a ORDER BY a.name, a.id",
    )
    .fetch_all(&db.pool)
    .await?;
    out("id\tname\torg_id\tidp_issuer\tseats\tteam_sync")?;
    for row in rows {
        let team_sync: Option<String> = row.try_get("team_sync_connection_id")?;
        out(&format!(
            "{}\t{}\t{}\t{}\t{}/{}\t{}",
            row.try_get::<String, _>("id")?,
            row.try_get::<String, _>("name")?,
            row.try_get::<String, _>("idp_org_id")?,
            row.try_get::<String, _>("idp_issuer")?,
            row.try_get::<i64, _>("seats_used")?,
            row.try_get::<i64, _>("seat_limit")?,
            if team_sync.is_some() {
                "connected"
            } else {
                "none"
            },
        ))?;
    }
    Ok(())
}

async fn list_users(db: &Db, account_id: &str) -> anyhow::Result<()> {
    account_exists(db, account_id).await?;
    let rows = sqlx::query(
        "SELECT id, email, name, role, status, crm_user_id, source FROM users WHERE account_id = $1 ORDER BY email",
    )
    .bind(account_id)
    .fetch_all(&db.pool)
    .await?;
    out("id\temail\tname\trole\tstatus\tcrm_user_id\tsource")?;
    for row in rows {
        out(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            row.try_get::<String, _>("id")?,
            row.try_get::<String, _>("email")?,
            row.try_get::<String, _>("name")?,
            row.try_get::<String, _>("role")?,
            row.try_get::<String, _>("status")?,
            row.try_get::<Option<String>, _>("crm_user_id")?
                .unwrap_or_default(),
            row.try_get::<String, _>("source")?,
        ))?;
    }
    Ok(())
}
