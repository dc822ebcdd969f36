//! Tracked mail, one implementation for the extension's background (compiled to WASM) and the
//! server (native): no tokio, no file system or network in the default build.
//!
//! - [`pixel`]: the 43-byte transparent GIF the open pixel answers.
//! - [`link`]: signed pixel and click URLs, parsing and verifying them, message ids.
//! - [`rewrite`]: the tracked body (links rewritten, pixel added, everything else kept).
//! - [`classify`]: who is behind a hit (person, image proxy, prefetch, scanner, sender,
//!   repeat), from documented signatures in `data/`.

pub mod classify;
mod href;
pub mod link;
pub mod pixel;
pub mod rewrite;
