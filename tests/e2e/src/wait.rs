//! Polling until a condition holds: browsers and extensions are asynchronous, and a fixed
//! sleep is either too short on a busy 2-core machine or wastes time.

use crate::{Error, Result};
use std::time::{Duration, Instant};

/// Calls `probe` every `interval` until it returns `Some`, an error, or `timeout` passes.
/// On time-out, the error names `what` and the last thing `describe_last` reports.
pub fn until<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let started = Instant::now();
    let interval = Duration::from_millis(50);
    loop {
        if let Some(value) = probe()? {
            return Ok(value);
        }
        if started.elapsed() >= timeout {
            return Err(Error::Timeout {
                what: what.to_string(),
                seconds: timeout.as_secs_f64(),
            });
        }
        std::thread::sleep(interval);
    }
}
