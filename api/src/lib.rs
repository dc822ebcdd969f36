//! Wire types of the Salespane HTTP API, shared by the server and the extension: one
//! definition of every request and response. Pure data (serde); builds for wasm32 too.
//! With the `openapi` feature the types also describe themselves for the server's
//! OpenAPI document.

pub mod admin;
pub mod error;
pub mod me;
pub mod messages;
pub mod profile;
pub mod settings;
pub mod sfid;

/// Version prefix of every API path.
pub const API_PREFIX: &str = "/api/v1";
