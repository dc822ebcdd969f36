//! Command line and environment. Every flag has an environment variable, so the same
//! binary is configured by hand, by a service manager or by a container.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

pub const SALESFORCE_LOGIN_URL: &str = "https://login.salesforce.com";

#[derive(Debug, Parser)]
#[command(
    name = "salespane-server",
    version,
    about = "Salespane server: the provisioning and tracking API behind the Salespane extension.",
    long_about = "Salespane server: the provisioning and tracking API behind the Salespane extension.\n\n\
Runs with an embedded SQLite file by default, or PostgreSQL when --database is a postgres:// URL; \
migrations run at start. With --sandbox it also serves a local stand-in for a Salesforce org under \
/sfdc (seeded users and records) and signs users in against it, for demos and tests.\n\n\
Examples:\n  salespane-server --sandbox\n  salespane-server --database postgres://salespane:pw@db/salespane --public-url https://salespane.example.com\n  salespane-server admin create-account --name Acme --org-id 00D... --seats 10 --admin-email admin@acme.example"
)]
pub struct Cli {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Operator tasks run against the database, without the extension.
    Admin {
        #[command(subcommand)]
        action: crate::admin_cli::AdminCommand,
    },
    /// Print the OpenAPI document of the HTTP API.
    Openapi,
}

#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(
        long,
        env = "SALESPANE_LISTEN",
        default_value = "127.0.0.1:8787",
        global = true
    )]
    pub listen: SocketAddr,

    /// sqlite://path/to/file.db (created if missing) or postgres://user:password@host/db.
    #[arg(
        long,
        env = "SALESPANE_DATABASE_URL",
        default_value = "sqlite://salespane.db",
        global = true
    )]
    pub database: String,

    /// URL at which browsers reach this server (for OAuth callbacks and the sandbox);
    /// defaults to http://<listen address>.
    #[arg(long, env = "SALESPANE_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Serve a local Salesforce stand-in under /sfdc, seeded with users and records, and
    /// sign users in against it (demo and tests).
    #[arg(long, env = "SALESPANE_SANDBOX", global = true)]
    pub sandbox: bool,

    /// Let --sandbox listen on a non-loopback address. The sandbox signs anyone in as any
    /// seeded user without a password: never expose it unless that is what you want.
    #[arg(long, env = "SALESPANE_ALLOW_PUBLIC_SANDBOX", global = true)]
    pub allow_public_sandbox: bool,

    /// Default identity provider (OpenID Connect issuer) of user tokens. Salesforce by
    /// default; the sandbox's own in --sandbox mode.
    #[arg(long, env = "SALESPANE_IDP_ISSUER", global = true)]
    pub idp_issuer: Option<String>,

    /// More OpenID Connect issuers whose tokens are accepted (repeatable), e.g. an Okta org.
    #[arg(
        long = "trusted-issuer",
        env = "SALESPANE_TRUSTED_ISSUERS",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_issuers: Vec<String>,

    /// OAuth client ids whose user tokens are accepted (repeatable): a token the identity
    /// provider issued to any other application is refused. Defaults to
    /// --salesforce-client-id; with --sandbox, the sandbox tests' and the demo extension's too.
    #[arg(
        long = "accepted-client-id",
        env = "SALESPANE_ACCEPTED_CLIENT_IDS",
        value_delimiter = ',',
        global = true
    )]
    pub accepted_client_ids: Vec<String>,

    /// Token checks that reach the identity provider, per client address and minute; past
    /// it the address gets 429 with Retry-After. Tokens already verified are not counted.
    /// Behind a load balancer every client shares its address: raise it, or 0 for no limit.
    #[arg(
        long,
        env = "SALESPANE_TOKEN_CHECKS_PER_MINUTE",
        default_value_t = 120,
        global = true
    )]
    pub token_checks_per_minute: u32,

    /// Calls to identity providers in flight at once (more wait their turn).
    #[arg(
        long,
        env = "SALESPANE_IDP_MAX_CONCURRENT_CALLS",
        default_value_t = 16,
        global = true
    )]
    pub idp_max_concurrent_calls: usize,

    /// Salesforce login URL for CRM connections (https://login.salesforce.com, or
    /// https://test.salesforce.com for a Salesforce sandbox org).
    #[arg(long, env = "SALESPANE_SALESFORCE_LOGIN_URL", global = true)]
    pub salesforce_login_url: Option<String>,

    /// OAuth client id of the Salesforce connected app.
    #[arg(
        long,
        env = "SALESPANE_SALESFORCE_CLIENT_ID",
        default_value = "salespane",
        global = true
    )]
    pub salesforce_client_id: String,

    /// OAuth client secret of the Salesforce connected app, when it has one.
    #[arg(
        long,
        env = "SALESPANE_SALESFORCE_CLIENT_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub salesforce_client_secret: Option<String>,

    /// Key sealing secrets at rest (32 bytes, base64). With SQLite and no key, one is
    /// generated into <database>.key on first start; PostgreSQL deployments must set it.
    #[arg(
        long,
        env = "SALESPANE_SECRET_KEY",
        hide_env_values = true,
        global = true
    )]
    pub secret_key: Option<String>,

    /// How long a verified user token is trusted before the identity provider is asked again.
    #[arg(
        long,
        env = "SALESPANE_TOKEN_CACHE_SECONDS",
        default_value_t = 60,
        global = true
    )]
    pub token_cache_seconds: u64,

    /// Time-out for calls to Salesforce and identity providers.
    #[arg(
        long,
        env = "SALESPANE_UPSTREAM_TIMEOUT_SECONDS",
        default_value_t = 15,
        global = true
    )]
    pub upstream_timeout_seconds: u64,

    /// Seconds between automatic user sync passes (accounts with the setting on); 0 turns
    /// the background worker off (passes then run only when an admin asks).
    #[arg(
        long,
        env = "SALESPANE_AUTOSYNC_INTERVAL_SECONDS",
        default_value_t = 300,
        global = true
    )]
    pub autosync_interval_seconds: u64,

    /// Seconds a client has to send a request's headers (after connecting or after its
    /// previous answer) before the connection is closed.
    #[arg(
        long,
        env = "SALESPANE_HEADER_READ_TIMEOUT_SECONDS",
        default_value_t = 15,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    pub header_read_timeout_seconds: u64,

    /// Seconds a request body may stall (no data arriving) before the request is refused
    /// with 408 and the connection closed.
    #[arg(
        long,
        env = "SALESPANE_BODY_READ_TIMEOUT_SECONDS",
        default_value_t = 15,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    pub body_read_timeout_seconds: u64,

    /// Most connections served at once; further clients wait in the listen backlog.
    #[arg(
        long,
        env = "SALESPANE_MAX_CONNECTIONS",
        default_value_t = 1024,
        value_parser = clap::value_parser!(u64).range(1..=1_000_000),
        global = true
    )]
    pub max_connections: u64,

    /// Seconds after SIGTERM or Ctrl-C within which the process exits: requests in flight
    /// finish within it, whatever is still open then is cut.
    #[arg(
        long,
        env = "SALESPANE_SHUTDOWN_TIMEOUT_SECONDS",
        default_value_t = 25,
        global = true
    )]
    pub shutdown_timeout_seconds: u64,

    /// Extension origin allowed to call the API from the browser (CORS), repeatable:
    /// chrome-extension://<id> or moz-extension://<uuid> (Firefox gives each install its own
    /// UUID: see about:debugging). A bare Chrome id is taken as chrome-extension://<id>.
    /// Default: the Salespane Chrome extension. Extension backgrounds with host
    /// permissions (both browsers) do not need CORS.
    #[arg(
        long = "extension-origin",
        env = "SALESPANE_EXTENSION_ORIGINS",
        value_delimiter = ',',
        default_value = DEFAULT_EXTENSION_ORIGIN,
        value_parser = parse_extension_origin,
        global = true
    )]
    pub extension_origins: Vec<String>,

    /// Adds GET /api/v1/_test/panic, a handler that panics (tests of panic handling only).
    #[arg(
        long,
        env = "SALESPANE_ENABLE_TEST_PANIC_ROUTE",
        hide = true,
        global = true
    )]
    pub enable_test_panic_route: bool,

    #[command(flatten)]
    pub tracking: crate::tracking::config::TrackingArgs,

    /// Log format.
    #[arg(long, env = "SALESPANE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// The Chrome extension's fixed id (from the `key` in its manifest).
pub const DEFAULT_EXTENSION_ORIGIN: &str = "chrome-extension://fhjdpaofeopnedbooopnkmdeclfpmkmd";

/// `chrome-extension://<32 letters a-p>`, `moz-extension://<uuid>`, or a bare Chrome id.
fn parse_extension_origin(value: &str) -> Result<String, String> {
    let value = value.trim().trim_end_matches('/').to_ascii_lowercase();
    let chrome_id = |id: &str| id.len() == 32 && id.bytes().all(|b| (b'a'..=b'p').contains(&b));
    if chrome_id(&value) {
        return Ok(format!("chrome-extension://{value}"));
    }
    if let Some(id) = value.strip_prefix("chrome-extension://") {
        if chrome_id(id) {
            return Ok(value);
        }
    }
    if let Some(uuid) = value.strip_prefix("moz-extension://") {
        let groups: Vec<&str> = uuid.split('-').collect();
        let lengths = [8, 4, 4, 4, 12];
        if groups.len() == 5
            && groups
                .iter()
                .zip(lengths)
                .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Ok(value);
        }
    }
    Err(format!(
        "`{value}` is not an extension origin: give chrome-extension://<32-letter id> or moz-extension://<uuid> (Firefox shows it in about:debugging)"
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("PostgreSQL deployments need a secret key: set SALESPANE_SECRET_KEY (generate one with `openssl rand -base64 32`)")]
    MissingSecretKey,
    #[error("could not read or create the key file {path}: {source}")]
    KeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error("--sandbox signs anyone in without a password, so it listens on loopback only; {0} is not a loopback address. Use --listen 127.0.0.1:<port>, or add --allow-public-sandbox if you really mean to expose it")]
    PublicSandbox(SocketAddr),
}

/// Resolved settings once the listener is bound (the public URL may depend on the port).
#[derive(Debug, Clone)]
pub struct Settings {
    pub public_url: String,
    pub sandbox: bool,
    pub idp_issuer: String,
    pub trusted_issuers: Vec<String>,
    pub salesforce_login_url: String,
    pub salesforce_client_id: String,
    pub salesforce_client_secret: Option<String>,
    pub token_cache_seconds: u64,
    pub upstream_timeout_seconds: u64,
    pub autosync_interval_seconds: u64,
    pub accepted_client_ids: Vec<String>,
    pub token_checks_per_minute: u32,
    pub idp_max_concurrent_calls: usize,
    pub body_read_timeout_seconds: u64,
    /// Origins CORS lets call the API (see `--extension-origin`).
    pub extension_origins: Vec<String>,
    pub test_panic_route: bool,
    pub tracking: crate::tracking::config::TrackingSettings,
}

/// The demo extension's client id (`DEFAULT_CLIENT_ID` in the extension's `src/settings.rs`),
/// accepted by default in sandbox mode.
pub const DEMO_EXTENSION_CLIENT_ID: &str = "salespane-extension";

impl Settings {
    /// How user tokens are verified.
    pub fn verifier(&self) -> crate::identity::verifier::VerifierSettings {
        crate::identity::verifier::VerifierSettings {
            default_issuer: self.idp_issuer.clone(),
            trusted_issuers: self.trusted_issuers.clone(),
            accepted_client_ids: self.accepted_client_ids.clone(),
            client_id: self.salesforce_client_id.clone(),
            client_secret: self.salesforce_client_secret.clone(),
            ttl: std::time::Duration::from_secs(self.token_cache_seconds),
            verifications_per_minute: self.token_checks_per_minute,
            max_concurrent_calls: self.idp_max_concurrent_calls,
        }
    }
}

impl ServerArgs {
    /// Refuses to expose the sandbox on a non-loopback address unless asked to.
    pub fn check_listen(&self) -> Result<(), ConfigError> {
        if self.sandbox && !self.listen.ip().is_loopback() && !self.allow_public_sandbox {
            return Err(ConfigError::PublicSandbox(self.listen));
        }
        Ok(())
    }

    pub fn settings(&self, bound: SocketAddr) -> Settings {
        let public_url = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
            .trim_end_matches('/')
            .to_string();
        let sandbox_base = format!("{public_url}{}", crate::crm::sandbox_mode::PREFIX);
        let default_idp = if self.sandbox {
            sandbox_base.clone()
        } else {
            SALESFORCE_LOGIN_URL.to_string()
        };
        let idp_issuer = self.idp_issuer.clone().unwrap_or(default_idp);
        let mut trusted_issuers = vec![idp_issuer.clone()];
        for issuer in &self.trusted_issuers {
            let issuer = issuer.trim().trim_end_matches('/').to_string();
            if !issuer.is_empty() && !trusted_issuers.contains(&issuer) {
                trusted_issuers.push(issuer);
            }
        }
        let salesforce_login_url = self
            .salesforce_login_url
            .clone()
            .unwrap_or(if self.sandbox {
                sandbox_base
            } else {
                SALESFORCE_LOGIN_URL.to_string()
            });
        let mut accepted_client_ids: Vec<String> = Vec::new();
        let mut accept = |id: &str| {
            let id = id.trim();
            if !id.is_empty() && !accepted_client_ids.iter().any(|a| a == id) {
                accepted_client_ids.push(id.to_string());
            }
        };
        self.accepted_client_ids.iter().for_each(|id| accept(id));
        if self.accepted_client_ids.is_empty() {
            accept(&self.salesforce_client_id);
        }
        if self.sandbox {
            accept(&self.salesforce_client_id);
            accept(salespane_sandbox::TEST_CLIENT_ID);
            accept(DEMO_EXTENSION_CLIENT_ID);
        }
        Settings {
            public_url,
            sandbox: self.sandbox,
            idp_issuer,
            trusted_issuers,
            salesforce_login_url,
            salesforce_client_id: self.salesforce_client_id.clone(),
            salesforce_client_secret: self.salesforce_client_secret.clone(),
            token_cache_seconds: self.token_cache_seconds,
            upstream_timeout_seconds: self.upstream_timeout_seconds,
            autosync_interval_seconds: self.autosync_interval_seconds,
            accepted_client_ids,
            token_checks_per_minute: self.token_checks_per_minute,
            idp_max_concurrent_calls: self.idp_max_concurrent_calls,
            body_read_timeout_seconds: self.body_read_timeout_seconds,
            extension_origins: self.extension_origins.clone(),
            test_panic_route: self.enable_test_panic_route,
            tracking: self.tracking.settings(&self.database),
        }
    }

    /// The key sealing secrets at rest: given, or (SQLite only) kept in a file beside the
    /// database, created on first start with owner-only permissions.
    pub fn secret_box(&self) -> Result<crate::crypto::SecretBox, ConfigError> {
        if let Some(key) = &self.secret_key {
            return Ok(crate::crypto::SecretBox::from_base64(key)?);
        }
        let Some(path) = sqlite_path(&self.database) else {
            return Err(ConfigError::MissingSecretKey);
        };
        let key_path = PathBuf::from(format!("{}.key", path.display()));
        let key = match std::fs::read_to_string(&key_path) {
            Ok(key) => key,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let key = crate::crypto::SecretBox::generate_key();
                write_private_file(&key_path, &key).map_err(|source| ConfigError::KeyFile {
                    path: key_path.clone(),
                    source,
                })?;
                key
            }
            Err(source) => {
                return Err(ConfigError::KeyFile {
                    path: key_path,
                    source,
                })
            }
        };
        Ok(crate::crypto::SecretBox::from_base64(&key)?)
    }
}

pub(crate) fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(PathBuf::from(path))
}

pub(crate) fn write_private_file(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_origins_are_checked() {
        assert_eq!(
            parse_extension_origin("fhjdpaofeopnedbooopnkmdeclfpmkmd").unwrap(),
            DEFAULT_EXTENSION_ORIGIN
        );
        assert_eq!(
            parse_extension_origin("moz-extension://0A1B2C3D-1111-2222-3333-444455556666/")
                .unwrap(),
            "moz-extension://0a1b2c3d-1111-2222-3333-444455556666"
        );
        assert!(parse_extension_origin("chrome-extension://short").is_err());
        assert!(parse_extension_origin("https://evil.example").is_err());
        assert!(parse_extension_origin("moz-extension://*").is_err());
    }
}
