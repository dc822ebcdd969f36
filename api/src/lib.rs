//! Wire types of the Salespane HTTP API, shared by the server and the extension: one
//! definition of every request and response. Pure data (serde), builds for wasm32 too.

pub mod sfid;
