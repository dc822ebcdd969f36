//! Process entry: parse flags, set up logging, then serve, run an admin command, or print
//! the OpenAPI document.

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

use crate::app::{self, AppState};
use crate::config::{Cli, Command, LogFormat, ServerArgs};
use crate::db::Db;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.server.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("salespane-server: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(cli.server).await,
            Command::Admin { action } => crate::admin_cli::run(&cli.server, action).await,
            Command::Openapi => print_openapi(),
        }
    });
    // Tasks still running (connections cut at the shutdown deadline) are dropped now.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("salespane-server: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("SALESPANE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn print_openapi() -> anyhow::Result<()> {
    let text = app::openapi_document().to_pretty_json()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")?;
    Ok(())
}

async fn serve(args: ServerArgs) -> anyhow::Result<()> {
    args.check_listen()?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e} (is another server running there? pick another with --listen)", args.listen))?;
    let bound = listener.local_addr()?;
    let settings = args.settings(bound);
    let secrets = args.secret_box()?;
    let db = Db::connect(&args.database).await?;
    let state = AppState::new(db.clone(), settings, secrets)?;
    crate::crm::access::reseal_unbound_secrets(&state).await?;
    crate::tracking::signing_keys::reseal_unbound(&state).await?;
    if state.settings.sandbox {
        crate::crm::sandbox_mode::seed_accounts(&state).await?;
    }
    let mut workers = crate::provisioning::autosync::spawn_workers(&state);
    workers.extend(crate::tracking::start(&state)?);
    let router = app::router(state.clone());
    if state.settings.sandbox {
        crate::crm::link::connect_sandbox_team_sync(&state, router.clone()).await;
    }

    // The line test harnesses and the demo wait for; printed once the socket accepts.
    println!("salespane-server listening on http://{bound}");
    if state.settings.sandbox {
        println!("{}", crate::crm::sandbox_mode::sign_in_help(&state).await);
    }
    let _ = std::io::stdout().flush();
    tracing::info!(%bound, database = %crate::db::redact(&args.database), "serving");

    let shutdown = state.shutdown.clone();
    let limits = crate::serve::Limits {
        header_read: Duration::from_secs(args.header_read_timeout_seconds),
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        shutdown_deadline: Duration::from_secs(args.shutdown_timeout_seconds),
    };
    let mut stopping_at = None;
    let stopped = crate::serve::serve(listener, router, limits, async {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
        stopping_at = Some(tokio::time::Instant::now());
        shutdown.cancel();
    })
    .await;
    if stopped == crate::serve::Stopped::DeadlineReached {
        tracing::warn!(
            seconds = args.shutdown_timeout_seconds,
            "shutdown deadline reached: closed the connections still open"
        );
    }
    // Requests in flight have finished (or were cut at the deadline); let workers finish
    // their step, then close the database so every accepted write is on disk, all within
    // what is left of the deadline.
    let deadline = stopping_at.unwrap_or_else(tokio::time::Instant::now) + limits.shutdown_deadline;
    let finish = async {
        for worker in workers {
            let _ = worker.await;
        }
        db.close().await;
    };
    if tokio::time::timeout_at(deadline, finish).await.is_err() {
        tracing::warn!("shutdown deadline reached before workers and the database closed");
    }
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
