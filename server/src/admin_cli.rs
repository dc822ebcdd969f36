//! `salespane-server admin …`: operator tasks run straight against the database.

use clap::Subcommand;

use crate::config::ServerArgs;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// List accounts.
    ListAccounts,
}

pub async fn run(_args: &ServerArgs, command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::ListAccounts => anyhow::bail!("not written yet"),
    }
}
