//! Reaching Salesforce on an account's behalf: sessions built from stored (sealed) CRM
//! connections, tokens refreshed on 401 and sealed again, Salesforce failures turned into
//! API errors that say what to do, and the owner mapping (who activity is written as).

use axum::http::StatusCode;
use salespane_api::me::OwnerVia;
use salespane_api::sfid::SfId;
use salespane_crm::{CrmError, CrmHttp, SalesforceOAuth, SalesforceSession, SessionTokens};
use sqlx::Row;
use std::time::Duration;

use crate::app::AppState;
use crate::crypto::{is_bound, Binding};
use crate::error::ApiError;
use crate::ids::now_ms;

/// Who activity of a sales user is written as in Salesforce, and through which connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerMapping {
    /// The Salesforce user recorded as owner / creator.
    pub crm_user_id: String,
    pub via: OwnerVia,
    /// The CRM connection (crm_connections.id) to write through.
    pub connection_id: String,
}

pub fn crm_not_connected() -> ApiError {
    ApiError::conflict(
        "crm_not_connected",
        "Salesforce is not connected for this account. A Salespane administrator must connect their own Salesforce user (Settings → Salesforce → Connect) and choose it as the team-sync user (Admin → Salesforce connection), using a Salesforce user with \"API Enabled\".",
    )
}

/// A Salesforce failure as an API error with a stable code and what to do.
pub fn map_crm_error(err: CrmError) -> ApiError {
    match &err {
        CrmError::Upstream { .. } | CrmError::Network(_) | CrmError::MalformedResponse(_) => {
            ApiError::bad_gateway(
                "crm_unavailable",
                format!("Salesforce is not answering properly right now ({err}). Nothing was changed; try again in a few minutes."),
            )
        }
        CrmError::Timeout { .. } => ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "crm_unavailable",
            format!("Salesforce did not answer in time ({err}). Nothing was changed; try again in a few minutes."),
        ),
        CrmError::ApiDisabled => ApiError::conflict(
            "crm_api_disabled",
            "The Salesforce user of this connection has no API access. A Salesforce administrator must turn on \"API Enabled\" in that user's profile or a permission set, or an administrator must choose another team-sync user.",
        ),
        CrmError::InvalidSession => ApiError::conflict(
            "crm_session_expired",
            "The Salesforce connection has expired or was revoked. Connect Salesforce again (Settings → Salesforce → Connect).",
        ),
        CrmError::NotFound => ApiError::not_found("crm_not_found", "Salesforce has no such record."),
        CrmError::InvalidRequest { .. } | CrmError::OAuth { .. } => ApiError::bad_gateway(
            "crm_refused",
            format!("Salesforce refused the request: {err}"),
        ),
    }
}

/// The Salesforce client for connections. Its own time-out is a little longer than
/// [`bounded`]'s, so a slow Salesforce is reported as a time-out. Built once per process
/// (a server process has one configuration) so connections are pooled.
pub fn crm_http(state: &AppState) -> Result<CrmHttp, ApiError> {
    static CLIENT: std::sync::OnceLock<CrmHttp> = std::sync::OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client.clone());
    }
    let client = CrmHttp::new(Duration::from_secs(
        state.settings.upstream_timeout_seconds + 2,
    ))
    .map_err(ApiError::internal)?;
    Ok(CLIENT.get_or_init(|| client).clone())
}

/// Runs a Salesforce call within the configured upstream time-out.
pub async fn bounded<T>(
    state: &AppState,
    call: impl std::future::Future<Output = Result<T, CrmError>>,
) -> Result<T, CrmError> {
    let seconds = state.settings.upstream_timeout_seconds;
    match tokio::time::timeout(Duration::from_secs(seconds), call).await {
        Ok(result) => result,
        Err(_) => Err(CrmError::Timeout { seconds }),
    }
}

/// The connected app as configured (login URL, client id and secret).
pub fn oauth(state: &AppState) -> Result<SalesforceOAuth, ApiError> {
    Ok(SalesforceOAuth::new(
        crm_http(state)?,
        &state.settings.salesforce_login_url,
        &state.settings.salesforce_client_id,
        state.settings.salesforce_client_secret.clone(),
    ))
}

pub const REFRESH_COLUMN: &str = "refresh_token_sealed";
pub const ACCESS_COLUMN: &str = "access_token_sealed";

/// Where a connection's sealed token lives: its ciphertext opens there only.
pub fn sealed_in<'a>(column: &'a str, connection_id: &'a str, account_id: &'a str) -> Binding<'a> {
    Binding {
        table: "crm_connections",
        column,
        row_id: connection_id,
        account_id,
    }
}

/// Re-seals, bound to their rows, the connection tokens an older version stored unbound, and
/// drops unbound pending sign-ins (they last minutes; the user starts again). Run at start,
/// before requests: afterwards an unbound value is refused like a tampered one.
pub async fn reseal_unbound_secrets(state: &AppState) -> Result<usize, ApiError> {
    sqlx::query("DELETE FROM oauth_states WHERE verifier_sealed NOT LIKE 'v2.%'")
        .execute(&state.db.pool)
        .await?;
    let rows = sqlx::query(
        "SELECT id, account_id, refresh_token_sealed, access_token_sealed FROM crm_connections WHERE refresh_token_sealed NOT LIKE 'v2.%' OR access_token_sealed NOT LIKE 'v2.%'",
    )
    .fetch_all(&state.db.pool)
    .await?;
    let mut resealed = 0;
    for row in rows {
        let id: String = row.try_get("id")?;
        let account_id: String = row.try_get("account_id")?;
        let reseal = |sealed: Option<String>, column: &str| -> Option<String> {
            let sealed = sealed?;
            if is_bound(&sealed) {
                return Some(sealed);
            }
            // Unreadable old values stay as they are and fail like any broken secret.
            let plain = state.secrets.open(&sealed).ok()?;
            Some(
                state
                    .secrets
                    .seal_bound(&plain, &sealed_in(column, &id, &account_id)),
            )
        };
        let refresh = reseal(row.try_get("refresh_token_sealed")?, REFRESH_COLUMN);
        let access = reseal(row.try_get("access_token_sealed")?, ACCESS_COLUMN);
        sqlx::query(
            "UPDATE crm_connections SET refresh_token_sealed = COALESCE($1, refresh_token_sealed), access_token_sealed = COALESCE($2, access_token_sealed) WHERE id = $3 AND account_id = $4",
        )
        .bind(refresh)
        .bind(access)
        .bind(&id)
        .bind(&account_id)
        .execute(&state.db.pool)
        .await?;
        resealed += 1;
    }
    if resealed > 0 {
        tracing::info!(
            connections = resealed,
            "bound stored Salesforce tokens to their rows"
        );
    }
    Ok(resealed)
}

/// A session over one stored connection of the account. Refreshed tokens are sealed and
/// stored again. Errors: `crm_not_connected` when the connection is gone or failed.
pub async fn connection_session(
    state: &AppState,
    account_id: &str,
    connection_id: &str,
) -> Result<SalesforceSession, ApiError> {
    let row = sqlx::query(
        "SELECT instance_url, refresh_token_sealed, access_token_sealed, status FROM crm_connections WHERE id = $1 AND account_id = $2",
    )
    .bind(connection_id)
    .bind(account_id)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(crm_not_connected)?;
    let status: String = row.try_get("status")?;
    if status != "active" {
        return Err(ApiError::conflict(
            "crm_not_connected",
            "The Salesforce connection stopped working (expired, revoked or without API access). Its owner must connect Salesforce again (Settings → Salesforce → Connect), or an administrator must choose another team-sync user.",
        ));
    }
    let instance_url: String = row.try_get("instance_url")?;
    let refresh_sealed: String = row.try_get("refresh_token_sealed")?;
    let access_sealed: Option<String> = row.try_get("access_token_sealed")?;
    let unseal = |sealed: &str, column: &str| {
        let binding = sealed_in(column, connection_id, account_id);
        state.secrets.open_bound(sealed, &binding).map_err(|e| {
            ApiError::conflict(
                "crm_not_connected",
                format!("The stored Salesforce connection cannot be read ({e})."),
            )
        })
    };
    let refresh_token = unseal(&refresh_sealed, REFRESH_COLUMN)?;
    let access_token = match access_sealed {
        Some(sealed) => unseal(&sealed, ACCESS_COLUMN)?,
        // No access token yet: an invalid one makes the first call refresh.
        None => String::from("none"),
    };
    let persist_state = state.clone();
    let persist_id = connection_id.to_string();
    let persist_account = account_id.to_string();
    let session = SalesforceSession::new(
        crm_http(state)?,
        SessionTokens {
            instance_url,
            access_token,
            refresh_token: Some(refresh_token),
        },
    )
    .with_refresher(oauth(state)?)
    .on_refresh(move |tokens| {
        // The callback is synchronous: persist on the runtime, sealed.
        let state = persist_state.clone();
        let id = persist_id.clone();
        let access = state.secrets.seal_bound(
            &tokens.access_token,
            &sealed_in(ACCESS_COLUMN, &id, &persist_account),
        );
        let refresh = tokens.refresh_token.as_deref().map(|t| {
            state
                .secrets
                .seal_bound(t, &sealed_in(REFRESH_COLUMN, &id, &persist_account))
        });
        let instance = tokens.instance_url.clone();
        tokio::spawn(async move {
            if let Err(err) = store_refreshed(&state, &id, &access, refresh, instance).await {
                tracing::warn!(connection = %id, error = %err, "could not store refreshed Salesforce token");
            }
        });
    });
    Ok(session)
}

async fn store_refreshed(
    state: &AppState,
    connection_id: &str,
    access_sealed: &str,
    refresh_sealed: Option<String>,
    instance_url: Option<String>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE crm_connections SET access_token_sealed = $1, refresh_token_sealed = COALESCE($2, refresh_token_sealed), instance_url = COALESCE($3, instance_url), updated_at = $4 WHERE id = $5",
    )
    .bind(access_sealed)
    .bind(refresh_sealed)
    .bind(instance_url)
    .bind(now_ms())
    .bind(connection_id)
    .execute(&state.db.pool)
    .await?;
    Ok(())
}

/// The account's team-sync connection id, when one is chosen.
pub async fn team_sync_connection_id(
    state: &AppState,
    account_id: &str,
) -> Result<Option<String>, ApiError> {
    let row = sqlx::query("SELECT team_sync_connection_id FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&state.db.pool)
        .await?;
    match row {
        Some(row) => Ok(row.try_get("team_sync_connection_id")?),
        None => Ok(None),
    }
}

/// A session over the account's team-sync ("superuser") connection. Errors:
/// `crm_not_connected` (409) when none is chosen or it stopped working.
pub async fn team_sync_session(
    state: &AppState,
    account_id: &str,
) -> Result<SalesforceSession, ApiError> {
    let connection_id = team_sync_connection_id(state, account_id)
        .await?
        .ok_or_else(crm_not_connected)?;
    connection_session(state, account_id, &connection_id).await
}

/// Turns a failure of a call made through the team-sync connection into an API error, and
/// remembers it on the connection (an expired session or lost API access marks it failed,
/// so the admin sees why in the connection status).
pub async fn team_sync_failed(state: &AppState, account_id: &str, err: CrmError) -> ApiError {
    if let Ok(Some(connection_id)) = team_sync_connection_id(state, account_id).await {
        record_failure(state, &connection_id, &err).await;
    }
    map_crm_error(err)
}

/// Stores the error on the connection; session and API-access errors also mark it failed.
pub async fn record_failure(state: &AppState, connection_id: &str, err: &CrmError) {
    let broken = matches!(err, CrmError::InvalidSession | CrmError::ApiDisabled);
    let sql = match err {
        CrmError::ApiDisabled => "UPDATE crm_connections SET last_error = $1, status = 'failed', api_enabled = 0, updated_at = $2 WHERE id = $3",
        _ if broken => "UPDATE crm_connections SET last_error = $1, status = 'failed', updated_at = $2 WHERE id = $3",
        _ => "UPDATE crm_connections SET last_error = $1, updated_at = $2 WHERE id = $3",
    };
    let result = sqlx::query(sql)
        .bind(err.to_string())
        .bind(now_ms())
        .bind(connection_id)
        .execute(&state.db.pool)
        .await;
    if let Err(e) = result {
        tracing::warn!(connection = %connection_id, error = %e, "could not record CRM failure");
    }
}

/// Who a user's activity is written as: their own Salesforce user through their personal
/// connection; else, through team sync, their CRM user when known, else the team-sync user.
/// `None` when neither connection works.
pub async fn owner_mapping(
    state: &AppState,
    account_id: &str,
    user_id: &str,
) -> Result<Option<OwnerMapping>, ApiError> {
    let person = sqlx::query(
        "SELECT u.crm_user_id, u.idp_subject, a.idp_org_id FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.id = $1 AND u.account_id = $2",
    )
    .bind(user_id)
    .bind(account_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(person) = person else {
        return Ok(None);
    };
    let user_crm_id = whom_to_write_as(
        person.try_get("crm_user_id")?,
        person.try_get("idp_subject")?,
        &person.try_get::<String, _>("idp_org_id")?,
    );
    let personal = sqlx::query(
        "SELECT id, crm_user_id FROM crm_connections WHERE account_id = $1 AND user_id = $2 AND status = 'active' AND api_enabled = 1",
    )
    .bind(account_id)
    .bind(user_id)
    .fetch_optional(&state.db.pool)
    .await?;
    if let Some(row) = personal {
        let crm_user_id: String = row.try_get("crm_user_id")?;
        // A connection of another Salesforce user than the one this person is (not
        // confirmed as theirs) is not used to write as them.
        if user_crm_id.as_deref() == Some(crm_user_id.as_str()) {
            return Ok(Some(OwnerMapping {
                crm_user_id,
                via: OwnerVia::Personal,
                connection_id: row.try_get("id")?,
            }));
        }
    }
    let team = sqlx::query(
        "SELECT c.id, c.crm_user_id FROM accounts a JOIN crm_connections c ON c.id = a.team_sync_connection_id AND c.account_id = a.id \
         WHERE a.id = $1 AND c.status = 'active'",
    )
    .bind(account_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(row) = team else {
        return Ok(None);
    };
    let team_user: String = row.try_get("crm_user_id")?;
    Ok(Some(OwnerMapping {
        crm_user_id: user_crm_id.unwrap_or(team_user),
        via: OwnerVia::TeamSync,
        connection_id: row.try_get("id")?,
    }))
}

/// The Salesforce user a person's activity is written as. In an account that signs in with
/// its Salesforce org, the person *is* the Salesforce user they signed in as, whatever a CRM
/// user link says (one made before colleagues' grants were refused may point at someone else).
fn whom_to_write_as(
    crm_user_id: Option<String>,
    idp_subject: Option<String>,
    account_org_id: &str,
) -> Option<String> {
    let salesforce_org = SfId::parse(account_org_id).is_ok_and(|org| org.key_prefix() == "00D");
    let signed_in_as = idp_subject
        .as_deref()
        .and_then(|s| SfId::parse(s).ok())
        .filter(|user| salesforce_org && user.key_prefix() == "005");
    match signed_in_as {
        Some(me) => Some(me.as_str().to_string()),
        None => crm_user_id,
    }
}

/// Like [`owner_mapping`], but `crm_not_connected` (409) when there is no way to write.
pub async fn owner_for(
    state: &AppState,
    account_id: &str,
    user_id: &str,
) -> Result<OwnerMapping, ApiError> {
    owner_mapping(state, account_id, user_id)
        .await?
        .ok_or_else(crm_not_connected)
}
