//! Running one scenario in one browser, so that a failure says which browser and which
//! scenario, and leaves a screenshot behind.

use crate::fixtures::FixtureServer;
use crate::{Browser, BrowserKind, Error, Result};
use std::path::Path;
use std::time::{Duration, Instant};

/// A scenario: the same steps in every browser.
pub type Scenario = fn(&Browser, &FixtureServer) -> Result<()>;

/// Launches `kind` with the built extension and runs `scenario`; panics with
/// `[browser / scenario] what failed` and the screenshot's path on failure.
pub fn run(kind: BrowserKind, name: &str, scenario: Scenario) {
    run_with(kind, name, None, scenario);
}

/// Like [`run`], with another unpacked extension than the built one.
pub fn run_with(kind: BrowserKind, name: &str, extension: Option<&Path>, scenario: Scenario) {
    let label = format!("[{} / {name}]", kind.name());
    let started = Instant::now();
    let fixtures = FixtureServer::shared().unwrap_or_else(|err| panic!("{label} {err}"));
    let launched = match extension {
        Some(dir) => Browser::launch_with_extension(kind, dir),
        None => Browser::launch(kind),
    };
    let browser =
        launched.unwrap_or_else(|err| panic!("{label} could not start the browser: {err}"));
    if let Err(err) = scenario(&browser, fixtures) {
        let shot = match browser.screenshot_named(&format!("{}-{name}", kind.name())) {
            Ok(path) => path.display().to_string(),
            Err(shot_err) => format!("(none: {shot_err})"),
        };
        panic!("{label} {err}\n  screenshot: {shot}");
    }
    eprintln!("{label} passed in {:.1}s", started.elapsed().as_secs_f64());
}

/// Fails with `message` unless `condition` holds.
pub fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<()> {
    if condition {
        Ok(())
    } else {
        Err(Error::Expectation(message()))
    }
}

/// Opens `url` and waits for the fixture page's script to have run (`data-fixture-ready`);
/// returns the page's load id (it changes only if the page reloads).
pub fn open_fixture(browser: &Browser, url: &str) -> Result<String> {
    browser.navigate(url)?;
    crate::wait::until(
        &format!("{url} to load (data-fixture-ready)"),
        Duration::from_secs(20),
        || {
            let id = browser.execute(
                "return document.documentElement.getAttribute('data-fixture-ready');",
                vec![],
            )?;
            Ok(id.as_str().map(str::to_string))
        },
    )
}
