//! The harness's errors. Their messages say what went wrong in terms a test reader can act on.

use std::io;

/// Anything that can stop an end-to-end scenario.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The machine or the environment is not ready (a tool or a build output is missing).
    #[error("{0}")]
    Setup(String),
    /// The WebDriver server answered a command with an error.
    #[error("WebDriver `{command}` failed: {error}: {message}")]
    WebDriver {
        command: String,
        error: String,
        message: String,
    },
    /// The WebDriver server or the Salespane server could not be reached, or answered garbage.
    #[error("HTTP to {what} failed: {detail}")]
    Http { what: String, detail: String },
    /// Something did not happen in time; the message says what was awaited and what was seen.
    #[error("timed out after {seconds:.1}s waiting for {what}")]
    Timeout { what: String, seconds: f64 },
    /// A scenario's expectation does not hold.
    #[error("{0}")]
    Expectation(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn io(context: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
        let context = context.into();
        move |source| Error::Io { context, source }
    }
}
