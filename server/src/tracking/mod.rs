//! Tracking: the pixel and click endpoints, the durable recording and classification of
//! hits, mail sent by the server, and the messages API.
//!
//! - `hits`: `/t/o/…` and `/t/c/…`, answered at once; each hit is written ahead (`wal`)
//!   and moved to the database by the `writer`, which verifies and classifies it.
//! - `messages`: recording the extension's sends and reading messages and their events;
//!   `send`: `POST /api/v1/messages/send` through the configured SMTP relay.
//! - `signing_keys` and `keys`: the per-user keys that sign links, and their cache.
//! - `crate::client_addr`: the client address behind trusted proxies; `sender_seen`: where each
//!   user's extension calls from (a hit from there is the sender's own view).

pub mod classification;
pub mod config;
pub mod hits;
pub mod keys;
pub mod messages;
pub mod send;
pub mod sender_seen;
pub mod signing_keys;
pub mod store;
pub mod wal;
pub mod writer;

use salespane_tracking::classify::Signatures;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use tokio::task::JoinHandle;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use config::TrackingSettings;

/// Tracking's share of the application state.
pub struct Tracking {
    pub keys: keys::KeyCache,
    pub signatures: Signatures,
    pub seen: sender_seen::SeenThrottle,
    /// Set by [`start`] in the serving process (admin commands never open the file).
    sink: OnceLock<wal::WalSink>,
    dropped: AtomicU64,
}

#[derive(Debug, thiserror::Error)]
pub enum TrackingSetupError {
    #[error("cannot load the classifier data from {path}: {message}. Point --classifier-data at a directory laid out like the repository's tracking/data/, or leave it out to use the built-in data.")]
    ClassifierData {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("--smtp-url is not a mail relay URL ({0}). Use smtps://host:port, smtp://host:port?tls=required or smtp://host:port, with user:password@ if the relay needs it.")]
    SmtpUrl(String),
    #[error(transparent)]
    Wal(#[from] wal::WalError),
    #[error("cannot start the tracking writer thread: {0}")]
    Thread(std::io::Error),
}

impl Tracking {
    pub fn new(settings: &TrackingSettings) -> Result<Tracking, TrackingSetupError> {
        let signatures = match &settings.classifier_data {
            Some(path) => {
                Signatures::from_dir(path).map_err(|e| TrackingSetupError::ClassifierData {
                    path: path.clone(),
                    message: e.to_string(),
                })?
            }
            None => Signatures::builtin(),
        };
        if let Some(url) = &settings.smtp_url {
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
                .map_err(|e| TrackingSetupError::SmtpUrl(e.to_string()))?;
        }
        Ok(Tracking {
            keys: keys::KeyCache::default(),
            signatures,
            seen: sender_seen::SeenThrottle::default(),
            sink: OnceLock::new(),
            dropped: AtomicU64::new(0),
        })
    }

    pub fn sink(&self) -> Option<&wal::WalSink> {
        self.sink.get()
    }

    pub fn note_dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// Hits answered but not recorded since start (a flood past the queue, a disk error).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Opens the write-ahead file, starts its appender and (unless paused for tests) the
/// writer, which first replays what the file holds.
pub fn start(state: &AppState) -> Result<Option<JoinHandle<()>>, TrackingSetupError> {
    let settings = &state.settings.tracking;
    let wal = wal::Wal::open(&settings.data_dir, &settings.database_tag)?;
    let sink = wal
        .start_appender(
            settings.hit_queue,
            settings.hit_fsync == config::HitFsync::Batch,
        )
        .map_err(TrackingSetupError::Thread)?;
    let _ = state.tracking.sink.set(sink);
    tracing::info!(path = %wal.path().display(), "tracking hits are written ahead here");
    if settings.pause_writer {
        tracing::warn!("the tracking writer is paused (--tracking-pause-writer): hits stay in the write-ahead file");
        return Ok(None);
    }
    Ok(Some(writer::spawn(state, wal)))
}

/// The tracking routes: the hit endpoints and the messages API.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(hits::routes())
        .merge(messages::routes())
        .merge(send::routes())
}
