//! Where each user's extension last called the API from (address and user agent): a hit
//! from there is the sender looking at their own mail. Noted on every authenticated call,
//! cheaply: compared in memory first, and written to the database only when it changed or a
//! minute has passed (one small upsert per user and minute at most).

use axum::http::request::Parts;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::app::AppState;
use crate::ids::now_ms;

const REWRITE_AFTER: Duration = Duration::from_secs(60);
const MAX_USERS: usize = 100_000;
const MAX_AGENT: usize = 512;

#[derive(Default)]
pub struct SeenThrottle {
    last: Mutex<HashMap<String, (IpAddr, String, Instant)>>,
}

/// Notes that `user_id` (of `account_id`) called the API with this request.
pub async fn note(state: &AppState, account_id: &str, user_id: &str, parts: &Parts) {
    let ip = crate::client_addr::of_request(parts, &state.settings.tracking.trusted_proxies);
    let agent: String = parts
        .headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(MAX_AGENT)
        .collect();
    {
        let mut last = state
            .tracking
            .seen
            .last
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some((seen_ip, seen_agent, at)) = last.get(user_id) {
            if *seen_ip == ip && *seen_agent == agent && at.elapsed() < REWRITE_AFTER {
                return;
            }
        }
        if last.len() >= MAX_USERS {
            last.clear();
        }
        last.insert(user_id.to_string(), (ip, agent.clone(), Instant::now()));
    }
    // Taken now, so a slower earlier write (another request) never overwrites a later one.
    let seen_at = now_ms();
    let written = sqlx::query(
            "INSERT INTO sender_last_seen (user_id, account_id, ip, user_agent, seen_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id) DO UPDATE SET ip = excluded.ip, user_agent = excluded.user_agent, seen_at = excluded.seen_at \
             WHERE sender_last_seen.seen_at <= excluded.seen_at",
        )
        .bind(user_id)
        .bind(account_id)
        .bind(ip.to_string())
        .bind(&agent)
        .bind(seen_at)
        .execute(&state.db.pool)
        .await;
    if let Err(err) = written {
        tracing::warn!(error = %err, "could not note where the sender's extension calls from");
    }
}

/// The address and agent the user's extension last called from.
pub async fn last_seen(
    state: &AppState,
    account_id: &str,
    user_id: &str,
) -> Result<Option<(IpAddr, String)>, sqlx::Error> {
    use sqlx::Row;
    let row = sqlx::query(
        "SELECT ip, user_agent FROM sender_last_seen WHERE account_id = $1 AND user_id = $2",
    )
    .bind(account_id)
    .bind(user_id)
    .fetch_optional(&state.db.pool)
    .await?;
    Ok(match row {
        Some(row) => {
            let ip: String = row.try_get("ip")?;
            ip.parse().ok().map(|ip| {
                (
                    ip,
                    row.try_get::<String, _>("user_agent").unwrap_or_default(),
                )
            })
        }
        None => None,
    })
}
