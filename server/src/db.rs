//! The database: one sqlx `AnyPool` over SQLite (embedded default) or PostgreSQL, chosen by
//! the URL. Queries are written once in the SQL both accept (`$1` placeholders, TEXT and
//! BIGINT columns); the schema is in `server/migrations`, applied in order at start.

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

/// Migrations, in order. Each runs once, inside a transaction, recorded in `schema_migrations`.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "accounts_users",
        include_str!("../migrations/0001_accounts_users.sql"),
    ),
    (
        2,
        "crm_links",
        include_str!("../migrations/0002_crm_links.sql"),
    ),
    (
        3,
        "scim_autosync",
        include_str!("../migrations/0003_scim_autosync.sql"),
    ),
    (
        5,
        "scim_attributes",
        include_str!("../migrations/0005_scim_attributes.sql"),
    ),
    (
        6,
        "tracking",
        include_str!("../migrations/0006_tracking.sql"),
    ),
];

/// How long an SQLite writer waits for the lock before the request answers 503.
const BUSY_TIMEOUT_PRAGMA: &str = "PRAGMA busy_timeout = 3000";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL `{0}`: use sqlite://path/to/file.db or postgres://user:password@host/db")]
    UnsupportedUrl(String),
    #[error("could not open the database at {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("database migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: &'static str,
        source: sqlx::Error,
    },
    #[error("could not create the database file {path}: {source} (check the directory exists and is writable)")]
    CreateFile {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

impl Db {
    /// Opens (creating an SQLite file if needed) and migrates.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(DbError::UnsupportedUrl(redact(url)));
        };
        if backend == Backend::Sqlite {
            create_owner_only(url)?;
        }
        let url_with_mode = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options =
            AnyConnectOptions::from_str(&url_with_mode).map_err(|source| DbError::Connect {
                url: redact(url),
                source,
            })?;
        let pool_options = match backend {
            // SQLite: WAL lets readers run beside the one writer; busy_timeout makes writers
            // queue instead of failing; foreign keys are off by default in SQLite.
            Backend::Sqlite => AnyPoolOptions::new()
                .max_connections(8)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        // Short: a writer that waits longer answers 503 with Retry-After
                        // (error.rs) rather than holding the client.
                        conn.execute(BUSY_TIMEOUT_PRAGMA).await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        Ok(())
                    })
                }),
            Backend::Postgres => AnyPoolOptions::new().max_connections(16),
        }
        .acquire_timeout(Duration::from_secs(5));
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(|source| DbError::Connect {
                url: redact(url),
                source,
            })?;
        let db = Db { pool, backend };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), DbError> {
        self.pool
            .execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            )
            .await?;
        for &(version, name, sql) in MIGRATIONS {
            let mut tx = self.pool.begin().await?;
            // Claim the version first: with two servers starting at once against one
            // PostgreSQL, the loser's insert conflicts and it skips the migration.
            let claimed = sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING",
            )
            .bind(version)
            .bind(name)
            .bind(crate::ids::now_ms())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed == 0 {
                continue;
            }
            for statement in split_statements(sql) {
                tx.execute(statement.as_str())
                    .await
                    .map_err(|source| DbError::Migration {
                        version,
                        name,
                        source,
                    })?;
            }
            tx.commit().await?;
            tracing::info!(version, name, "applied database migration");
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates a missing SQLite file readable by its owner only (0600), like the key file;
/// SQLite gives its -wal and -shm files the database file's permissions.
fn create_owner_only(url: &str) -> Result<(), DbError> {
    let Some(path) = crate::config::sqlite_path(url) else {
        return Ok(());
    };
    match crate::config::write_private_file(&path, "") {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(DbError::CreateFile { path, source }),
    }
}

/// Splits a migration file into statements, dropping `--` comments. Our migrations hold no
/// semicolons inside strings, which keeps this simple.
fn split_statements(sql: &str) -> Vec<String> {
    let without_comments: String = sql
        .lines()
        .map(|line| match line.find("--") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A URL fit for logs and errors: the password replaced.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// True when SQLite gave up waiting for another writer's lock (SQLITE_BUSY, SQLITE_LOCKED
/// and their extended codes): the request can be tried again shortly.
pub fn is_busy(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|code| code.parse::<i64>().ok())
            .is_some_and(|code| matches!(code & 0xff, 5 | 6)),
        _ => false,
    }
}

/// True when the error is a unique-constraint violation (both backends).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_without_comments() {
        let parts = split_statements(
            "-- a; b\nCREATE TABLE a (x TEXT); -- c;\n\nCREATE INDEX i ON a (x);\n",
        );
        assert_eq!(
            parts,
            vec!["CREATE TABLE a (x TEXT)", "CREATE INDEX i ON a (x)"]
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
