//! The CRM side: personal and team-sync Salesforce connections (`link`), reaching Salesforce
//! on an account's behalf with owner mapping (`access`), and the built-in sandbox (`sandbox_mode`).

pub mod access;
pub mod link;
pub mod sandbox_mode;
