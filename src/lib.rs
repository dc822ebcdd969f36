//! Salespane extension core: the background's brain (message router, host specs, record
//! detection) and the panel's rendering. Pure logic builds natively and is unit-tested with
//! `cargo test -p salespane`; the browser glue is in `wasm` (wasm32 only).

pub mod email;
pub mod hosts;
pub mod limits;
pub mod observation;
pub mod panel;
pub mod protocol;
pub mod router;
pub mod weburl;

#[cfg(target_arch = "wasm32")]
mod wasm;
