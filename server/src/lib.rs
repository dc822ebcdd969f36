//! Salespane server: the provisioning and tracking API behind the extension, with a
//! built-in Salesforce sandbox. `main.rs` only calls [`cli::main`].
//!
//! Code is grouped by domain, each folder holding its routes, storage and types:
//! `identity` (who is calling), `provisioning` (users, seats, import, teams, privileges,
//! autosync, profiles, onboarding), `crm` (connections, owner mapping, the sandbox), `scim`,
//! and `tracking`. The files at this level are the platform they share: configuration, the
//! database, errors, secrets, the router and the OpenAPI frame.

pub mod admin_cli;
pub mod app;
pub mod cli;
pub mod client_addr;
pub mod config;
pub mod crm;
pub mod crypto;
pub mod db;
pub mod error;
pub mod extract;
pub mod health;
pub mod identity;
pub mod ids;
pub mod openapi;
pub mod provisioning;
pub mod scim;
pub mod serve;
pub mod tracking;
