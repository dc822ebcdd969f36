//! Tracking's storage: sent messages, their links, and classified hits. One set of
//! queries for SQLite and PostgreSQL; every read is scoped by account and sender.

use salespane_api::messages::{
    EventKind, LinkStats, MessageDetail, MessageEvents, MessageLink, MessageSource, MessageSummary,
    MessagesPage, TrackingEvent,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeMap;

use super::classification::{HitFacts, MessageFacts};
use crate::app::AppState;
use crate::error::ApiError;
use crate::ids::now_ms;

/// A message to record as sent.
pub struct NewMessage<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub user_id: &'a str,
    pub subject: &'a str,
    pub to: &'a [String],
    pub cc: &'a [String],
    pub tracked: bool,
    pub to_self: bool,
    pub source: MessageSource,
    pub sent_at_ms: i64,
    pub links: &'a [MessageLink],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Created,
    AlreadyRecorded,
}

/// Records the message once: a repeat by the same sender is `AlreadyRecorded`; the id
/// taken by anyone else is a conflict.
pub async fn record_message(state: &AppState, m: &NewMessage<'_>) -> Result<Recorded, ApiError> {
    let json = |list: &[String]| serde_json::to_string(list).map_err(ApiError::internal);
    let mut tx = state.db.pool.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO tracked_messages (id, account_id, user_id, subject, to_json, cc_json, tracked, to_self, source, sent_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING",
    )
    .bind(m.id)
    .bind(m.account_id)
    .bind(m.user_id)
    .bind(m.subject)
    .bind(json(m.to)?)
    .bind(json(m.cc)?)
    .bind(i64::from(m.tracked))
    .bind(i64::from(m.to_self))
    .bind(source_str(m.source))
    .bind(m.sent_at_ms)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        let owner = sqlx::query("SELECT account_id, user_id FROM tracked_messages WHERE id = $1")
            .bind(m.id)
            .fetch_optional(&mut *tx)
            .await?;
        let mine = match owner {
            Some(row) => {
                row.try_get::<String, _>("account_id")? == m.account_id
                    && row.try_get::<String, _>("user_id")? == m.user_id
            }
            None => false,
        };
        if !mine {
            return Err(ApiError::conflict(
                "message_id_taken",
                "This message id is already used by another message. Make a new id for each message.",
            ));
        }
        return Ok(Recorded::AlreadyRecorded);
    }
    for link in m.links {
        sqlx::query(
            "INSERT INTO tracked_links (message_id, link_index, destination) VALUES ($1, $2, $3) ON CONFLICT (message_id, link_index) DO NOTHING",
        )
        .bind(m.id)
        .bind(i64::from(link.index))
        .bind(&link.destination)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Recorded::Created)
}

const SUMMARY_COLUMNS: &str = "m.id, m.subject, m.to_json, m.cc_json, m.sent_at, m.tracked, m.source, \
    (SELECT COUNT(*) FROM tracking_hits h WHERE h.account_id = m.account_id AND h.user_id = m.user_id AND h.message_id = m.id AND h.kind = 'open' AND h.counted = 1) AS opens, \
    (SELECT COUNT(*) FROM tracking_hits h WHERE h.account_id = m.account_id AND h.user_id = m.user_id AND h.message_id = m.id AND h.kind = 'click' AND h.counted = 1) AS clicks, \
    (SELECT MAX(h.at) FROM tracking_hits h WHERE h.account_id = m.account_id AND h.user_id = m.user_id AND h.message_id = m.id AND h.counted = 1) AS last_activity";

fn summary(row: &AnyRow) -> Result<MessageSummary, ApiError> {
    let list = |column: &str| -> Result<Vec<String>, ApiError> {
        let text: String = row.try_get(column)?;
        Ok(serde_json::from_str(&text).unwrap_or_default())
    };
    let source: String = row.try_get("source")?;
    Ok(MessageSummary {
        id: row.try_get("id")?,
        subject: row.try_get("subject")?,
        to: list("to_json")?,
        cc: list("cc_json")?,
        sent_at: rfc3339(row.try_get("sent_at")?),
        tracked: row.try_get::<i64, _>("tracked")? != 0,
        source: if source == "server" {
            MessageSource::Server
        } else {
            MessageSource::Extension
        },
        opens: row.try_get("opens")?,
        clicks: row.try_get("clicks")?,
        last_activity_at: row.try_get::<Option<i64>, _>("last_activity")?.map(rfc3339),
    })
}

/// The sender's messages, newest first.
pub async fn list_messages(
    state: &AppState,
    account_id: &str,
    user_id: &str,
    page: i64,
    page_size: i64,
) -> Result<MessagesPage, ApiError> {
    let total: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM tracked_messages WHERE account_id = $1 AND user_id = $2",
    )
    .bind(account_id)
    .bind(user_id)
    .fetch_one(&state.db.pool)
    .await?
    .try_get("n")?;
    let rows = sqlx::query(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM tracked_messages m WHERE m.account_id = $1 AND m.user_id = $2 \
         ORDER BY m.sent_at DESC, m.id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(account_id)
    .bind(user_id)
    .bind(page_size)
    .bind((page - 1).saturating_mul(page_size))
    .fetch_all(&state.db.pool)
    .await?;
    Ok(MessagesPage {
        messages: rows.iter().map(summary).collect::<Result<_, _>>()?,
        page,
        page_size,
        total,
    })
}

/// One of the sender's messages with its links and their counted clicks.
pub async fn message_detail(
    state: &AppState,
    account_id: &str,
    user_id: &str,
    message_id: &str,
) -> Result<Option<MessageDetail>, ApiError> {
    let row = sqlx::query(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM tracked_messages m WHERE m.account_id = $1 AND m.user_id = $2 AND m.id = $3"
    ))
    .bind(account_id)
    .bind(user_id)
    .bind(message_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let links = sqlx::query(
        "SELECT l.link_index, l.destination, \
         (SELECT COUNT(*) FROM tracking_hits h WHERE h.account_id = $1 AND h.user_id = $2 AND h.message_id = l.message_id \
          AND h.kind = 'click' AND h.link_index = l.link_index AND h.counted = 1) AS clicks \
         FROM tracked_links l WHERE l.message_id = $3 ORDER BY l.link_index",
    )
    .bind(account_id)
    .bind(user_id)
    .bind(message_id)
    .fetch_all(&state.db.pool)
    .await?;
    Ok(Some(MessageDetail {
        message: summary(&row)?,
        links: links
            .iter()
            .map(|l| {
                Ok(LinkStats {
                    index: u32::try_from(l.try_get::<i64, _>("link_index")?).unwrap_or(u32::MAX),
                    destination: l.try_get("destination")?,
                    clicks: l.try_get("clicks")?,
                })
            })
            .collect::<Result<_, ApiError>>()?,
    }))
}

/// The message's hits, oldest first: all of them, or only those that count.
pub async fn events(
    state: &AppState,
    account_id: &str,
    user_id: &str,
    message_id: &str,
    all: bool,
) -> Result<MessageEvents, ApiError> {
    let rows = sqlx::query(
        "SELECT kind, link_index, at, class, counted, reasons_json, user_agent FROM tracking_hits \
         WHERE account_id = $1 AND user_id = $2 AND message_id = $3 AND (counted = 1 OR $4 = 1) ORDER BY at, id",
    )
    .bind(account_id)
    .bind(user_id)
    .bind(message_id)
    .bind(i64::from(all))
    .fetch_all(&state.db.pool)
    .await?;
    let events = rows
        .iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let reasons: String = r.try_get("reasons_json")?;
            Ok(TrackingEvent {
                kind: if kind == "click" {
                    EventKind::Click
                } else {
                    EventKind::Open
                },
                at: rfc3339(r.try_get("at")?),
                class: r.try_get("class")?,
                counted: r.try_get::<i64, _>("counted")? != 0,
                reasons: serde_json::from_str(&reasons).unwrap_or_default(),
                user_agent: r.try_get("user_agent")?,
                link: r
                    .try_get::<Option<i64>, _>("link_index")?
                    .and_then(|i| u32::try_from(i).ok()),
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(MessageEvents { events })
}

/// What the classifier needs of a message: `None` while it is not recorded.
pub async fn message_facts(
    state: &AppState,
    account_id: &str,
    user_id: &str,
    message_id: &str,
) -> Result<Option<MessageFacts>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT m.sent_at, m.to_self, (SELECT COUNT(*) FROM tracked_links l WHERE l.message_id = m.id) AS links \
         FROM tracked_messages m WHERE m.account_id = $1 AND m.user_id = $2 AND m.id = $3",
    )
    .bind(account_id)
    .bind(user_id)
    .bind(message_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(MessageFacts {
        sent_at_ms: Some(row.try_get("sent_at")?),
        links_in_message: u32::try_from(row.try_get::<i64, _>("links")?).unwrap_or(u32::MAX),
        to_self: row.try_get::<i64, _>("to_self")? != 0,
    }))
}

/// A hit as stored.
#[derive(Debug, Clone)]
pub struct HitRow {
    pub id: String,
    pub account_id: String,
    pub user_id: String,
    pub message_id: String,
    pub key_id: String,
    pub facts: HitFacts,
    pub class: String,
    pub counted: bool,
    pub reasons: Vec<String>,
    pub before_sent: bool,
}

/// The message's latest hits (at most `limit`), oldest first.
pub async fn recent_hits(
    state: &AppState,
    account_id: &str,
    user_id: &str,
    message_id: &str,
    limit: i64,
) -> Result<Vec<HitRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, key_id, link_index, at, ip, user_agent, head_request, headers_json, class, counted, reasons_json, before_sent \
         FROM tracking_hits WHERE account_id = $1 AND user_id = $2 AND message_id = $3 ORDER BY at DESC, id DESC LIMIT $4",
    )
    .bind(account_id)
    .bind(user_id)
    .bind(message_id)
    .bind(limit)
    .fetch_all(&state.db.pool)
    .await?;
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows.iter().rev() {
        let ip: String = row.try_get("ip")?;
        let headers: String = row.try_get("headers_json")?;
        let reasons: String = row.try_get("reasons_json")?;
        hits.push(HitRow {
            id: row.try_get("id")?,
            account_id: account_id.to_string(),
            user_id: user_id.to_string(),
            message_id: message_id.to_string(),
            key_id: row.try_get("key_id")?,
            facts: HitFacts {
                link_index: row
                    .try_get::<Option<i64>, _>("link_index")?
                    .and_then(|i| u32::try_from(i).ok()),
                at_ms: row.try_get("at")?,
                ip: ip
                    .parse()
                    .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)),
                user_agent: row.try_get("user_agent")?,
                head: row.try_get::<i64, _>("head_request")? != 0,
                headers: serde_json::from_str::<BTreeMap<String, String>>(&headers)
                    .unwrap_or_default(),
            },
            class: row.try_get("class")?,
            counted: row.try_get::<i64, _>("counted")? != 0,
            reasons: serde_json::from_str(&reasons).unwrap_or_default(),
            before_sent: row.try_get::<i64, _>("before_sent")? != 0,
        });
    }
    Ok(hits)
}

const HIT_COLUMNS: usize = 17;
/// Rows per INSERT statement (well under both databases' parameter limits).
const ROWS_PER_INSERT: usize = 200;

/// Stores hits in one transaction; a hit already stored (a replayed record) is skipped.
pub async fn insert_hits(state: &AppState, hits: &[HitRow]) -> Result<(), sqlx::Error> {
    let recorded_at = now_ms();
    let mut tx = state.db.pool.begin().await?;
    for chunk in hits.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO tracking_hits (id, account_id, user_id, message_id, key_id, kind, link_index, at, ip, user_agent, \
             head_request, headers_json, class, counted, reasons_json, before_sent, recorded_at) VALUES ",
        );
        for row in 0..chunk.len() {
            if row > 0 {
                sql.push(',');
            }
            sql.push('(');
            for column in 0..HIT_COLUMNS {
                if column > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("${}", row * HIT_COLUMNS + column + 1));
            }
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT (id) DO NOTHING");
        let mut query = sqlx::query(&sql);
        for hit in chunk {
            query = query
                .bind(&hit.id)
                .bind(&hit.account_id)
                .bind(&hit.user_id)
                .bind(&hit.message_id)
                .bind(&hit.key_id)
                .bind(if hit.facts.link_index.is_some() {
                    "click"
                } else {
                    "open"
                })
                .bind(hit.facts.link_index.map(i64::from))
                .bind(hit.facts.at_ms)
                .bind(hit.facts.ip.to_string())
                .bind(hit.facts.user_agent.clone())
                .bind(i64::from(hit.facts.head))
                .bind(serde_json::to_string(&hit.facts.headers).unwrap_or_else(|_| "{}".into()))
                .bind(&hit.class)
                .bind(i64::from(hit.counted))
                .bind(serde_json::to_string(&hit.reasons).unwrap_or_else(|_| "[]".into()))
                .bind(i64::from(hit.before_sent))
                .bind(recorded_at);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// Replaces a hit's classification (re-classified once its message is known).
pub async fn update_classification(state: &AppState, hits: &[HitRow]) -> Result<(), sqlx::Error> {
    let mut tx = state.db.pool.begin().await?;
    for hit in hits {
        sqlx::query(
            "UPDATE tracking_hits SET class = $1, counted = $2, reasons_json = $3, before_sent = $4 WHERE id = $5 AND account_id = $6",
        )
        .bind(&hit.class)
        .bind(i64::from(hit.counted))
        .bind(serde_json::to_string(&hit.reasons).unwrap_or_else(|_| "[]".into()))
        .bind(i64::from(hit.before_sent))
        .bind(&hit.id)
        .bind(&hit.account_id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

fn source_str(source: MessageSource) -> &'static str {
    match source {
        MessageSource::Server => "server",
        MessageSource::Extension => "extension",
    }
}

/// Milliseconds since the epoch as RFC 3339 in UTC (`2026-11-29T16:40:00.123Z`).
pub fn rfc3339(ms: i64) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// An RFC 3339 time as milliseconds since the epoch.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    let t = time::OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}
