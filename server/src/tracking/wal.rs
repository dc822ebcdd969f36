//! The write-ahead file of hits: a hit is appended (and flushed to disk) before its pixel
//! or redirect is answered, and moved to the database later by the writer, so the request
//! never waits on the database and a crash loses nothing that was answered.
//!
//! Why a file of our own rather than a queue service: the server is one binary with an
//! embedded database by default; a local append-only file with group commit (one
//! `fdatasync` for every batch of hits that arrived together) is the cheapest durable queue
//! there is, needs nothing to run beside the server, and each API node behind a load
//! balancer keeps its own. Records are JSON lines; each carries an id made when the hit was
//! answered, so replaying a file whose records were already stored stores nothing twice.
//! The file is truncated once everything in it is committed to the database. Memory stays
//! bounded: the queue to the appender has a fixed capacity and a full queue makes requests
//! wait (back-pressure); the writer reads the file in bounded batches, so a backlog lives
//! on disk, not in memory.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Notify};

/// Hits gathered into one write and one flush at most.
const MAX_BATCH: usize = 4096;
/// How long a request waits for room in a full queue before answering without recording.
const QUEUE_WAIT: Duration = Duration::from_secs(2);
/// Longest record kept (a request whose path and query are longer is not recorded).
pub const MAX_RECORD_BYTES: usize = 24 * 1024;

/// One answered hit as written ahead: the raw tracked path and query (the writer parses and
/// verifies them again with the key it loads) and what the classifier needs of the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HitRecord {
    pub id: String,
    pub at_ms: i64,
    pub path: String,
    pub query: Option<String>,
    pub ip: String,
    pub head: bool,
    pub user_agent: Option<String>,
    /// Lower-case header name to value, for the headers a browser sends (see `hits.rs`).
    pub headers: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WalError {
    #[error("cannot open the tracking write-ahead file {path}: {source}. Check that --data-dir points to a writable directory.")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the tracking write-ahead file {0} is in use by another salespane-server on this machine. Give each server its own --data-dir.")]
    Locked(PathBuf),
}

/// Why a hit was answered without being recorded.
#[derive(Debug, thiserror::Error)]
pub enum NotRecorded {
    #[error("the hit queue stayed full (the server is flooded)")]
    QueueFull,
    #[error("the write-ahead file could not be written")]
    WriteFailed,
    #[error("the record is too large")]
    TooLarge,
}

pub struct Wal {
    path: PathBuf,
    /// The append handle; appends and truncation both happen under this lock.
    append: Mutex<File>,
    read: Mutex<File>,
    /// Woken after every flushed batch.
    pub appended: Notify,
}

struct Pending {
    line: Vec<u8>,
    ack: oneshot::Sender<bool>,
}

/// The request side: hands records to the appender thread.
#[derive(Clone)]
pub struct WalSink {
    queue: mpsc::Sender<Pending>,
}

impl Wal {
    /// Opens (creating) `hits-<tag>.wal` in `dir`, locked for this process.
    pub fn open(dir: &Path, tag: &str) -> Result<Arc<Wal>, WalError> {
        let path = dir.join(format!("hits-{tag}.wal"));
        let open_error = |source| WalError::Open {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(open_error)?;
        let mut options = OpenOptions::new();
        options.create(true).append(true).read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let append = options.open(&path).map_err(open_error)?;
        match append.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(WalError::Locked(path)),
            Err(std::fs::TryLockError::Error(source)) => return Err(open_error(source)),
        }
        let read = File::open(&path).map_err(open_error)?;
        Ok(Arc::new(Wal {
            path,
            append: Mutex::new(append),
            read: Mutex::new(read),
            appended: Notify::new(),
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts the appender thread (blocking file I/O stays off the async workers) and
    /// returns the sink requests write through.
    pub fn start_appender(
        self: &Arc<Self>,
        capacity: usize,
        flush: bool,
    ) -> std::io::Result<WalSink> {
        let (queue, mut incoming) = mpsc::channel::<Pending>(capacity);
        let wal = self.clone();
        std::thread::Builder::new()
            .name("hit-wal".into())
            .spawn(move || {
                let mut buffer = Vec::with_capacity(64 * 1024);
                let mut batch = Vec::with_capacity(MAX_BATCH);
                while let Some(first) = incoming.blocking_recv() {
                    batch.push(first);
                    while batch.len() < MAX_BATCH {
                        match incoming.try_recv() {
                            Ok(next) => batch.push(next),
                            Err(_) => break,
                        }
                    }
                    buffer.clear();
                    for pending in &batch {
                        buffer.extend_from_slice(&pending.line);
                    }
                    let written = wal.write_batch(&buffer, flush);
                    if let Err(err) = &written {
                        tracing::error!(path = %wal.path.display(), error = %err, "tracking hits could not be written ahead; they are answered but not recorded");
                    }
                    for pending in batch.drain(..) {
                        let _ = pending.ack.send(written.is_ok());
                    }
                    wal.appended.notify_one();
                }
            })?;
        Ok(WalSink { queue })
    }

    fn write_batch(&self, bytes: &[u8], flush: bool) -> std::io::Result<()> {
        let mut file = self.append.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(bytes)?;
        if flush {
            file.sync_data()?;
        }
        Ok(())
    }

    /// Complete records from `offset` on (at most `max`), and the offset after the last one.
    /// A final line without its newline (a write cut short by a power loss) is left unread;
    /// a line that does not parse is skipped with a warning.
    pub fn read_from(&self, offset: u64, max: usize) -> std::io::Result<(Vec<HitRecord>, u64)> {
        let mut file = self.read.lock().unwrap_or_else(|p| p.into_inner());
        let len = file.metadata()?.len();
        if len <= offset {
            return Ok((Vec::new(), offset));
        }
        let want = (len - offset).min((max * 1024) as u64 + MAX_RECORD_BYTES as u64);
        file.seek(SeekFrom::Start(offset))?;
        let mut bytes = vec![0u8; want as usize];
        file.read_exact(&mut bytes)?;
        let mut records = Vec::new();
        let mut consumed = 0usize;
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            if records.len() >= max || line.last() != Some(&b'\n') {
                break;
            }
            consumed += line.len();
            match serde_json::from_slice::<HitRecord>(&line[..line.len() - 1]) {
                Ok(record) => records.push(record),
                Err(err) => {
                    tracing::warn!(error = %err, "skipping an unreadable record of the tracking write-ahead file")
                }
            }
        }
        Ok((records, offset + consumed as u64))
    }

    /// Empties the file when everything in it (`consumed` bytes) is in the database.
    pub fn truncate_if_consumed(&self, consumed: u64) -> std::io::Result<bool> {
        let file = self.append.lock().unwrap_or_else(|p| p.into_inner());
        if file.metadata()?.len() != consumed {
            return Ok(false);
        }
        file.set_len(0)?;
        file.sync_data()?;
        Ok(true)
    }
}

impl WalSink {
    /// Appends the record and returns once it is on disk. A full queue is waited on for a
    /// moment (back-pressure), then the hit is given up so the request can still be answered.
    pub async fn append(&self, record: &HitRecord) -> Result<(), NotRecorded> {
        let mut line = serde_json::to_vec(record).map_err(|_| NotRecorded::WriteFailed)?;
        if line.len() > MAX_RECORD_BYTES {
            return Err(NotRecorded::TooLarge);
        }
        line.push(b'\n');
        let (ack, written) = oneshot::channel();
        self.queue
            .send_timeout(Pending { line, ack }, QUEUE_WAIT)
            .await
            .map_err(|_| NotRecorded::QueueFull)?;
        match written.await {
            Ok(true) => Ok(()),
            _ => Err(NotRecorded::WriteFailed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> HitRecord {
        HitRecord {
            id: id.into(),
            at_ms: 1,
            path: "/t/o/msg_x.gif".into(),
            query: Some("k=key_1&s=abc".into()),
            ip: "192.0.2.1".into(),
            head: false,
            user_agent: Some("Mozilla/5.0".into()),
            headers: BTreeMap::new(),
        }
    }

    #[tokio::test]
    async fn records_survive_reopening_and_are_read_in_batches_then_truncated() {
        let dir = std::env::temp_dir().join(format!("salespane-wal-{}", crate::ids::new_id("t")));
        {
            let wal = Wal::open(&dir, "x").unwrap();
            assert!(matches!(Wal::open(&dir, "x"), Err(WalError::Locked(_))));
            let sink = wal.start_appender(4, true).unwrap();
            for i in 0..10 {
                sink.append(&record(&format!("hit_{i}"))).await.unwrap();
            }
        }
        // A torn last line (cut by a power loss) is not read.
        std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join("hits-x.wal"))
            .unwrap()
            .write_all(b"{\"id\":\"hit_torn")
            .unwrap();
        let wal = loop {
            // The appender thread of the first handle may still hold the lock for a moment.
            match Wal::open(&dir, "x") {
                Ok(wal) => break wal,
                Err(WalError::Locked(_)) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => panic!("{e}"),
            }
        };
        let (first, offset) = wal.read_from(0, 4).unwrap();
        assert_eq!(first.len(), 4);
        assert_eq!(first[0], record("hit_0"));
        let (rest, end) = wal.read_from(offset, 100).unwrap();
        assert_eq!(rest.len(), 6);
        assert_eq!(rest[5].id, "hit_9");
        assert!(
            !wal.truncate_if_consumed(end).unwrap(),
            "the torn tail is still there"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
