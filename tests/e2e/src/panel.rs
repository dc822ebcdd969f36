//! Reading what the extension's panel shows. The panel is an extension page in an iframe
//! (`iframe[data-salespane-panel]`) that the content script places into the host page; its
//! document exposes `<main id="salespane-panel" data-state>` and `[data-testid]` elements
//! whose `data-value` holds what the scenarios check.

use crate::webdriver::Session;
use crate::{Error, Result};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The panel iframe anywhere in the page.
pub const PANEL_IFRAME: &str = "iframe[data-salespane-panel]";

/// What the panel shows, as read from its `data-value`s.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PanelView {
    pub state: Option<String>,
    pub host: Option<String>,
    pub record_object: Option<String>,
    pub record_id: Option<String>,
    pub composes: Vec<ComposeView>,
}

/// One compose window as the panel lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComposeView {
    /// To, Cc and Bcc addresses, lower-cased, comma-joined.
    pub recipients: Option<String>,
    pub subject: Option<String>,
}

impl PanelView {
    pub fn is_ready(&self) -> bool {
        self.state.as_deref() == Some("ready")
    }

    fn from_json(value: &Value) -> PanelView {
        let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
        PanelView {
            state: text(value, "state"),
            host: text(value, "host"),
            record_object: text(value, "recordObject"),
            record_id: text(value, "recordId"),
            composes: value
                .get("composes")
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .map(|c| ComposeView {
                            recipients: text(c, "recipients"),
                            subject: text(c, "subject"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

const READ_PANEL: &str = r#"
const main = document.getElementById('salespane-panel');
if (!main) { return null; }
const value = (root, id) => {
  const el = root.querySelector('[data-testid="' + id + '"]');
  return el ? el.getAttribute('data-value') : null;
};
return {
  state: main.getAttribute('data-state'),
  host: value(main, 'host'),
  recordObject: value(main, 'record-object'),
  recordId: value(main, 'record-id'),
  composes: Array.from(main.querySelectorAll('[data-testid="compose"]')).map((c) => ({
    recipients: value(c, 'recipients'),
    subject: value(c, 'subject'),
  })),
};
"#;

/// Reads the panel found by `iframe_css` in the top-level document, or `None` while there is
/// no panel (or its document has not rendered yet). Leaves the top-level document current.
pub fn read(session: &Session, iframe_css: &str) -> Result<Option<PanelView>> {
    session.switch_to_top()?;
    let Some(frame) = session.find(iframe_css)? else {
        return Ok(None);
    };
    // The frame can be replaced between finding and switching (single-page navigation).
    if session.switch_to_frame(&frame).is_err() {
        session.switch_to_top()?;
        return Ok(None);
    }
    let value = session.execute(READ_PANEL, vec![]);
    session.switch_to_top()?;
    match value {
        Ok(Value::Null) => Ok(None),
        Ok(value) => Ok(Some(PanelView::from_json(&value))),
        // A document that is navigating away answers with an error: try again later.
        Err(Error::WebDriver { .. }) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Polls the panel until `accept` holds; on time-out, the error shows the last view seen.
pub fn wait_for(
    session: &Session,
    iframe_css: &str,
    what: &str,
    timeout: Duration,
    accept: impl Fn(&PanelView) -> bool,
) -> Result<PanelView> {
    let started = Instant::now();
    let mut last: Option<PanelView> = None;
    loop {
        let view = read(session, iframe_css)?;
        if let Some(view) = &view {
            if accept(view) {
                return Ok(view.clone());
            }
        }
        last = view.or(last);
        if started.elapsed() >= timeout {
            return Err(Error::Expectation(format!(
                "timed out after {:.1}s waiting for the panel ({iframe_css}) to show {what}; \
                 last seen: {}",
                timeout.as_secs_f64(),
                match &last {
                    Some(view) => format!("{view:?}"),
                    None => "no panel iframe with a rendered #salespane-panel".to_string(),
                }
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Asks the background for its diagnostics (`{"v":1,"type":"diagnostics"}`) from inside the
/// panel (an extension page, so it may message the background).
pub fn diagnostics(session: &Session, iframe_css: &str) -> Result<Value> {
    session.switch_to_top()?;
    let frame = session
        .find(iframe_css)?
        .ok_or_else(|| Error::Expectation(format!("no panel iframe ({iframe_css})")))?;
    session.switch_to_frame(&frame)?;
    let answer = session.execute_async(
        r#"
const done = arguments[arguments.length - 1];
const api = (typeof browser !== 'undefined' && browser.runtime) ? browser : chrome;
Promise.resolve(api.runtime.sendMessage({ v: 1, type: 'diagnostics' }))
  .then((answer) => done({ answer }), (err) => done({ error: String(err) }));
"#,
        vec![],
    );
    session.switch_to_top()?;
    let answer = answer?;
    if let Some(error) = answer.get("error") {
        return Err(Error::Expectation(format!(
            "the background refused the diagnostics message: {error}"
        )));
    }
    Ok(answer.get("answer").cloned().unwrap_or(Value::Null))
}
