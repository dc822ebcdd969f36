//! Salespane server: the provisioning and tracking API behind the extension, with a
//! built-in Salesforce sandbox. `main.rs` only calls [`cli::main`].

pub mod admin_cli;
pub mod admin_users;
pub mod app;
pub mod auth;
pub mod autosync;
pub mod cli;
pub mod config;
pub mod crm_access;
pub mod crm_link;
pub mod crypto;
pub mod db;
pub mod error;
pub mod extract;
pub mod health;
pub mod identity;
pub mod ids;
pub mod me;
pub mod onboarding;
pub mod openapi;
pub mod privileges;
pub mod profile;
pub mod sandbox_mode;
pub mod scim;
pub mod signing_keys;
pub mod teams;
pub mod users;
