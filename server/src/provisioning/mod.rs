//! Provisioning: sales users and seats, import from the CRM, teams, privileges, automatic
//! user sync, profiles and onboarding. Every query is scoped by the caller's account.

pub mod admin_users;
pub mod autosync;
pub mod onboarding;
pub mod privileges;
pub mod profile;
pub mod teams;
pub mod users;
