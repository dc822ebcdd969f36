//! The panel's time from iframe creation to first paint (DESIGN.md §7), in Chromium: a script
//! that runs before the host page's own (`Page.addScriptToEvaluateOnNewDocument`) notes when
//! the content script inserts `iframe[data-salespane-panel]`; the panel's document gives its
//! first contentful paint (its first text, drawn by the UI module once the background's state
//! arrives). Both as absolute times (`performance.timeOrigin + …`), so the two documents'
//! clocks compare.

use crate::panel::{self, PANEL_IFRAME};
use crate::scenario::open_fixture;
use crate::{wait, Browser, Error, Result};
use serde_json::{json, Value};
use std::time::Duration;

const NOTE_INSERTION: &str = r#"
new MutationObserver((records) => {
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (node instanceof HTMLIFrameElement && node.hasAttribute('data-salespane-panel')
          && window.__salespanePanelInsertedAt === undefined) {
        window.__salespanePanelInsertedAt = performance.timeOrigin + performance.now();
      }
    }
  }
}).observe(document, { subtree: true, childList: true });
"#;

const FIRST_PAINT: &str = r#"
const entry = performance.getEntriesByName('first-contentful-paint')[0];
return entry ? performance.timeOrigin + entry.startTime : null;
"#;

/// Milliseconds from the panel iframe's insertion to its first contentful paint, once per
/// load of `url` (a host page that gets a panel), in `browser` (Chromium: it uses DevTools).
pub fn panel_first_paint(browser: &Browser, url: &str, loads: usize) -> Result<Vec<f64>> {
    browser.raw(
        "POST",
        "/goog/cdp/execute",
        Some(json!({"cmd": "Page.addScriptToEvaluateOnNewDocument", "params": {"source": NOTE_INSERTION}})),
    )?;
    let mut samples = Vec::with_capacity(loads);
    for _ in 0..loads {
        open_fixture(browser, url)?;
        panel::wait_for(
            browser,
            PANEL_IFRAME,
            "a ready panel",
            Duration::from_secs(30),
            |v| v.is_ready(),
        )?;
        let inserted =
            browser.execute("return window.__salespanePanelInsertedAt ?? null;", vec![])?;
        let frame = browser
            .find(PANEL_IFRAME)?
            .ok_or_else(|| Error::Expectation("the panel iframe went away".into()))?;
        browser.switch_to_frame(&frame)?;
        let painted = wait::until(
            "the panel's first contentful paint",
            Duration::from_secs(10),
            || {
                let at = browser.execute(FIRST_PAINT, vec![])?;
                Ok(at.as_f64())
            },
        );
        browser.switch_to_top()?;
        match (inserted, painted?) {
            (Value::Number(at), painted) => samples.push(painted - at.as_f64().unwrap_or(painted)),
            (other, _) => {
                return Err(Error::Expectation(format!(
                    "the panel iframe's insertion was not seen ({other})"
                )))
            }
        }
    }
    Ok(samples)
}
