//! Signing keys by id, for the hit path: a link names its key, the key names the account
//! and the user (so a hit is attributed even before its message is recorded). Keys never
//! change once made (retiring only stops new signing), so a found key is kept in memory for
//! the life of the process; an unknown id is remembered briefly, so forged ids do not turn
//! into a database query each, and database look-ups are capped so a flood of new ids
//! cannot take the pool from the API.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

use crate::app::AppState;
use crate::error::ApiError;

const UNKNOWN_FOR: Duration = Duration::from_secs(30);
const MAX_ENTRIES: usize = 200_000;
const MAX_LOOKUPS: usize = 4;

#[derive(Debug, Clone)]
pub struct LinkKeyEntry {
    pub id: String,
    pub account_id: String,
    pub user_id: String,
    pub secret: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyLookupError {
    #[error("the key could not be looked up now: {0}")]
    Unavailable(String),
}

enum Cached {
    Known(Arc<LinkKeyEntry>),
    Unknown(Instant),
}

pub struct KeyCache {
    entries: Mutex<HashMap<String, Cached>>,
    lookups: Semaphore,
}

impl Default for KeyCache {
    fn default() -> Self {
        KeyCache {
            entries: Mutex::new(HashMap::new()),
            lookups: Semaphore::new(MAX_LOOKUPS),
        }
    }
}

impl KeyCache {
    /// The key with this id, `None` when no account has it.
    pub async fn get(
        &self,
        state: &AppState,
        key_id: &str,
    ) -> Result<Option<Arc<LinkKeyEntry>>, KeyLookupError> {
        if let Some(found) = self.cached(key_id) {
            return Ok(found);
        }
        if !plausible_key_id(key_id) {
            return Ok(None);
        }
        let _permit = self
            .lookups
            .acquire()
            .await
            .map_err(|e| KeyLookupError::Unavailable(e.to_string()))?;
        // Another look-up may have answered while we waited.
        if let Some(found) = self.cached(key_id) {
            return Ok(found);
        }
        let stored = super::signing_keys::find_by_id(state, key_id)
            .await
            .map_err(|e: ApiError| KeyLookupError::Unavailable(e.message))?;
        let entry = match stored {
            Some(key) => match salespane_tracking::link::decode_secret(&key.secret) {
                Ok(secret) => Some(Arc::new(LinkKeyEntry {
                    id: key.id,
                    account_id: key.account_id,
                    user_id: key.user_id,
                    secret,
                })),
                Err(_) => {
                    tracing::error!(key_id, "a stored signing key's secret is not base64url");
                    None
                }
            },
            None => None,
        };
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, c| matches!(c, Cached::Known(_)));
        }
        entries.insert(
            key_id.to_string(),
            match &entry {
                Some(k) => Cached::Known(k.clone()),
                None => Cached::Unknown(Instant::now()),
            },
        );
        Ok(entry)
    }

    fn cached(&self, key_id: &str) -> Option<Option<Arc<LinkKeyEntry>>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match entries.get(key_id)? {
            Cached::Known(k) => Some(Some(k.clone())),
            Cached::Unknown(at) if at.elapsed() < UNKNOWN_FOR => Some(None),
            Cached::Unknown(_) => None,
        }
    }
}

/// Our key ids are `key_` and 24 hex digits; anything else is not worth a query.
fn plausible_key_id(id: &str) -> bool {
    id.strip_prefix("key_")
        .is_some_and(|hex| hex.len() == 24 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}
