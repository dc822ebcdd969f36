//! The background writer: moves hits from the write-ahead file to the database, in
//! batches, verifying each link's signature with its key, classifying each hit with its
//! context (the message's sent time, earlier hits, where the sender's extension last called
//! from), then empties the file once all of it is committed. At start it replays what a
//! crash left in the file. It also re-classifies hits that came before their message was
//! recorded, once it is.

use salespane_tracking::link::{self, TrackedRequest};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

use super::classification::{classify_hit, parse_class, EarlierHit, HitFacts, MessageFacts};
use super::keys::KeyLookupError;
use super::store::{self, HitRow};
use super::wal::{HitRecord, Wal};
use crate::app::AppState;

const BATCH: usize = 2000;
/// Earlier hits of a message the classifier sees (repeats and bursts are recent).
const EARLIER_HITS: i64 = 200;
const RETRY_AFTER: Duration = Duration::from_secs(1);

pub fn spawn(state: &AppState, wal: Arc<Wal>) -> JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move { run(state, wal).await })
}

async fn run(state: AppState, wal: Arc<Wal>) {
    let mut offset = 0u64;
    loop {
        let read = {
            let wal = wal.clone();
            tokio::task::spawn_blocking(move || wal.read_from(offset, BATCH)).await
        };
        let (records, end) = match read {
            Ok(Ok(read)) => read,
            Ok(Err(err)) => {
                tracing::error!(error = %err, "cannot read the tracking write-ahead file");
                tokio::time::sleep(RETRY_AFTER).await;
                continue;
            }
            Err(err) => {
                tracing::error!(error = %err, "tracking writer read task failed");
                return;
            }
        };
        if end == offset {
            // Caught up: empty the file, then wait for more (or stop when shutting down;
            // anything appended after that is replayed at the next start).
            if offset > 0 {
                let wal = wal.clone();
                if let Ok(Ok(true)) =
                    tokio::task::spawn_blocking(move || wal.truncate_if_consumed(offset)).await
                {
                    offset = 0;
                }
            }
            if state.shutdown.is_cancelled() {
                return;
            }
            tokio::select! {
                _ = wal.appended.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = state.shutdown.cancelled() => {}
            }
            continue;
        }
        match store_batch(&state, &records).await {
            Ok(()) => offset = end,
            Err(err) => {
                if state.shutdown.is_cancelled() {
                    // They stay in the file and are stored at the next start.
                    tracing::warn!(error = %err, "tracking hits left in the write-ahead file at shutdown");
                    return;
                }
                tracing::warn!(error = %err, "tracking hits not stored yet; retrying");
                tokio::time::sleep(RETRY_AFTER).await;
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum StoreError {
    #[error(transparent)]
    Key(#[from] KeyLookupError),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
}

struct MessageState {
    facts: Option<MessageFacts>,
    earlier: Vec<EarlierHit>,
}

type MessageKey = (String, String, String);

async fn store_batch(state: &AppState, records: &[HitRecord]) -> Result<(), StoreError> {
    let mut rows: Vec<HitRow> = Vec::with_capacity(records.len());
    let mut messages: HashMap<MessageKey, MessageState> = HashMap::new();
    let mut senders: HashMap<(String, String), Option<(IpAddr, String)>> = HashMap::new();
    let mut ordered: Vec<&HitRecord> = records.iter().collect();
    ordered.sort_by_key(|r| r.at_ms);
    for record in ordered {
        let Ok(request) = link::parse(&record.path, record.query.as_deref()) else {
            continue;
        };
        let (message_id, key_id, link_index) = match &request {
            TrackedRequest::Open {
                message_id, key_id, ..
            } => (message_id, key_id, None),
            TrackedRequest::Click {
                message_id,
                key_id,
                link_index,
                ..
            } => (message_id, key_id, Some(*link_index)),
        };
        let Some(key) = state.tracking.keys.get(state, key_id).await? else {
            continue;
        };
        if request.verify(&key.secret).is_err() {
            continue;
        }
        let message_key = (
            key.account_id.clone(),
            key.user_id.clone(),
            message_id.to_string(),
        );
        if !messages.contains_key(&message_key) {
            let facts =
                store::message_facts(state, &key.account_id, &key.user_id, message_id).await?;
            let earlier = store::recent_hits(
                state,
                &key.account_id,
                &key.user_id,
                message_id,
                EARLIER_HITS,
            )
            .await?
            .into_iter()
            .map(|h| earlier_hit(&h))
            .collect();
            messages.insert(message_key.clone(), MessageState { facts, earlier });
        }
        let sender_key = (key.account_id.clone(), key.user_id.clone());
        if !senders.contains_key(&sender_key) {
            let seen = super::sender_seen::last_seen(state, &key.account_id, &key.user_id).await?;
            senders.insert(sender_key.clone(), seen);
        }
        let Some(message) = messages.get_mut(&message_key) else {
            continue;
        };
        let facts = HitFacts {
            link_index,
            at_ms: record.at_ms,
            ip: record
                .ip
                .parse()
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            user_agent: record.user_agent.clone(),
            head: record.head,
            headers: record.headers.clone(),
        };
        let known = message.facts.clone().unwrap_or_default();
        let classification = classify_hit(
            &state.tracking.signatures,
            &facts,
            &known,
            senders.get(&sender_key).and_then(Option::as_ref),
            &message.earlier,
        );
        message.earlier.push(EarlierHit {
            facts: facts.clone(),
            class: classification.class,
        });
        rows.push(HitRow {
            id: record.id.clone(),
            account_id: key.account_id.clone(),
            user_id: key.user_id.clone(),
            message_id: message_id.to_string(),
            key_id: key.id.clone(),
            facts,
            class: super::classification::class_name(classification.class),
            counted: classification.counted,
            reasons: classification.reasons,
            before_sent: message.facts.is_none(),
        });
    }
    store::insert_hits(state, &rows).await?;
    // A message recorded while this batch was classified: its early hits are done now.
    for ((account_id, user_id, message_id), message) in &messages {
        if message.facts.is_none() {
            reclassify_early_hits(state, account_id, user_id, message_id).await?;
        }
    }
    Ok(())
}

fn earlier_hit(hit: &HitRow) -> EarlierHit {
    EarlierHit {
        facts: hit.facts.clone(),
        class: parse_class(&hit.class).unwrap_or(salespane_tracking::classify::HitClass::Human),
    }
}

/// Classifies again, in order and with the message now known, the hits of a message that
/// arrived before it was recorded. Does nothing while the message is still unknown.
pub async fn reclassify_early_hits(
    state: &AppState,
    account_id: &str,
    user_id: &str,
    message_id: &str,
) -> Result<(), sqlx::Error> {
    let Some(facts) = store::message_facts(state, account_id, user_id, message_id).await? else {
        return Ok(());
    };
    let hits = store::recent_hits(state, account_id, user_id, message_id, 10_000).await?;
    if !hits.iter().any(|h| h.before_sent) {
        return Ok(());
    }
    let seen = super::sender_seen::last_seen(state, account_id, user_id).await?;
    let mut earlier: Vec<EarlierHit> = Vec::with_capacity(hits.len());
    let mut changed = Vec::new();
    for mut hit in hits {
        if hit.before_sent {
            let classification = classify_hit(
                &state.tracking.signatures,
                &hit.facts,
                &facts,
                seen.as_ref(),
                &earlier,
            );
            hit.class = super::classification::class_name(classification.class);
            hit.counted = classification.counted;
            hit.reasons = classification.reasons;
            hit.before_sent = false;
            changed.push(hit.clone());
        }
        earlier.push(earlier_hit(&hit));
    }
    store::update_classification(state, &changed).await
}
