//! The tracking flags (flattened into the server's command line) and what they resolve to.

use clap::Args;
use ipnet::IpNet;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Args)]
pub struct TrackingArgs {
    /// A load balancer or reverse proxy in front of the server (CIDR, repeatable). When the
    /// peer is one, a request's client address (tracking hits, token-check limits) is the
    /// right-most untrusted X-Forwarded-For entry; otherwise X-Forwarded-For is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "SALESPANE_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<IpNet>,

    /// Directory of newer classifier signature data (user agents and address ranges), in
    /// the format of the files in the repository's tracking/data/; the built-in data
    /// otherwise.
    #[arg(long, env = "SALESPANE_CLASSIFIER_DATA", global = true)]
    pub classifier_data: Option<PathBuf>,

    /// Mail relay for mail the server sends: smtps://host:port (TLS),
    /// smtp://host:port?tls=required (STARTTLS), or smtp://host:port (unencrypted: a relay on
    /// the same host only); optionally with user:password@ in the URL.
    #[arg(
        long,
        env = "SALESPANE_SMTP_URL",
        hide_env_values = true,
        global = true
    )]
    pub smtp_url: Option<String>,

    /// Relay user name (instead of putting it in --smtp-url).
    #[arg(long, env = "SALESPANE_SMTP_USERNAME", global = true)]
    pub smtp_username: Option<String>,

    /// Relay password (instead of putting it in --smtp-url).
    #[arg(
        long,
        env = "SALESPANE_SMTP_PASSWORD",
        hide_env_values = true,
        global = true
    )]
    pub smtp_password: Option<String>,

    /// Where the server keeps its write-ahead file of tracking hits (hits answered but not
    /// yet in the database). Defaults to the SQLite database's directory, or
    /// $STATE_DIRECTORY / $XDG_STATE_HOME/salespane / ~/.local/state/salespane with PostgreSQL.
    #[arg(long, env = "SALESPANE_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// Hits waiting to be written to the write-ahead file, at most; past it, requests wait
    /// briefly (back-pressure) and the pixel is answered anyway.
    #[arg(
        long,
        env = "SALESPANE_HIT_QUEUE",
        default_value_t = 16_384,
        global = true
    )]
    pub hit_queue: usize,

    /// When an answered hit is safe: `batch` flushes the write-ahead file to disk
    /// (fdatasync) before answering, each flush shared by the hits that arrived together, so
    /// hits survive a power loss; `off` leaves the flush to the operating system, so hits
    /// survive a crash of the server but not of the machine (faster on slow disks).
    #[arg(long, env = "SALESPANE_HIT_FSYNC", value_enum, default_value_t = HitFsync::Batch, global = true)]
    pub hit_fsync: HitFsync,

    /// Testing only: hits are answered and written ahead, but not moved to the database
    /// (shows that a crash in between loses nothing).
    #[arg(long, env = "SALESPANE_TRACKING_PAUSE_WRITER", global = true)]
    pub tracking_pause_writer: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HitFsync {
    Batch,
    Off,
}

#[derive(Debug, Clone)]
pub struct TrackingSettings {
    pub trusted_proxies: Vec<IpNet>,
    pub classifier_data: Option<PathBuf>,
    pub smtp_url: Option<String>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    pub data_dir: PathBuf,
    /// Names the write-ahead file, so servers on different databases never share one.
    pub database_tag: String,
    pub hit_queue: usize,
    pub hit_fsync: HitFsync,
    pub pause_writer: bool,
}

impl TrackingArgs {
    pub fn settings(&self, database_url: &str) -> TrackingSettings {
        TrackingSettings {
            trusted_proxies: self.trusted_proxies.clone(),
            classifier_data: self.classifier_data.clone(),
            smtp_url: self.smtp_url.clone(),
            smtp_username: self.smtp_username.clone(),
            smtp_password: self.smtp_password.clone(),
            data_dir: self
                .data_dir
                .clone()
                .unwrap_or_else(|| default_data_dir(database_url)),
            database_tag: database_tag(database_url),
            hit_queue: self.hit_queue.max(1),
            hit_fsync: self.hit_fsync,
            pause_writer: self.tracking_pause_writer,
        }
    }
}

fn default_data_dir(database_url: &str) -> PathBuf {
    if let Some(rest) = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
    {
        let path = Path::new(rest.split('?').next().unwrap_or(rest));
        if let Some(dir) = path.parent() {
            return if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir.to_path_buf()
            };
        }
    }
    if let Some(dir) = std::env::var_os("STATE_DIRECTORY") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME") {
        return PathBuf::from(dir).join("salespane");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/state/salespane"),
        None => PathBuf::from("salespane-data"),
    }
}

fn database_tag(database_url: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(database_url.as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_keeps_hits_beside_the_database() {
        assert_eq!(
            default_data_dir("sqlite:///var/lib/salespane/s.db?mode=rwc"),
            PathBuf::from("/var/lib/salespane")
        );
        assert_eq!(default_data_dir("sqlite://s.db"), PathBuf::from("."));
        assert_ne!(database_tag("sqlite://a.db"), database_tag("sqlite://b.db"));
    }
}
