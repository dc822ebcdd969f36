//! End-to-end harness for Salespane: the built extension in real browsers (Debian's Chromium
//! through chromedriver, Firefox ESR through geckodriver) against fixture copies of the host
//! pages, served over HTTPS on loopback under the hosts' real names, and a real
//! `salespane-server --sandbox` process.
//!
//! - [`env`]: where the built extension and the server binary are (`SALESPANE_DIST`,
//!   `SALESPANE_SERVER_BIN`, set by `cargo xtask test`).
//! - [`webdriver`]: a small W3C WebDriver client.
//! - [`browser`]: launching a browser with the extension loaded, one API for both browsers.
//! - [`fixtures`]: the HTTPS fixture server for `tests/fixtures/<host>/`.
//! - [`panel`]: reading what the extension's panel shows.
//! - [`paint`]: the panel's time from iframe creation to first paint (benchmarks).
//! - [`server`]: the Salespane server as a child process.
//! - [`listener`]: a loopback HTTP listener that records what reaches it (a stand-in attacker).

pub mod browser;
pub mod env;
pub mod error;
pub mod fixtures;
pub mod listener;
pub mod paint;
pub mod panel;
pub mod scenario;
pub mod server;
pub mod wait;
pub mod webdriver;

pub use browser::{Browser, BrowserKind};
pub use error::{Error, Result};
