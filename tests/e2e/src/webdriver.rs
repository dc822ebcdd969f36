//! A small W3C WebDriver client (the commands the scenarios need, nothing more), over plain
//! HTTP to a chromedriver or geckodriver on loopback.

use crate::{Error, Result};
use base64::Engine;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// The W3C key under which an element reference travels.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A reference to an element of the current browsing context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element(String);

impl Element {
    /// The JSON form, to pass an element as a script argument or a frame id.
    pub fn to_json(&self) -> Value {
        json!({ ELEMENT_KEY: self.0 })
    }

    fn from_json(value: &Value) -> Option<Element> {
        value
            .get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .map(|id| Element(id.to_string()))
    }
}

/// One WebDriver session.
pub struct Session {
    agent: ureq::Agent,
    base: String,
    id: String,
}

impl Session {
    /// Opens a session on the driver at `driver_url` (e.g. `http://127.0.0.1:4444`).
    pub fn create(driver_url: &str, capabilities: Value) -> Result<Session> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
        let value = send(&agent, "POST", &format!("{driver_url}/session"), Some(body))?;
        let id = value
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Http {
                what: "new session".into(),
                detail: format!("no sessionId in {value}"),
            })?
            .to_string();
        Ok(Session {
            agent,
            base: driver_url.to_string(),
            id,
        })
    }

    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}/session/{}{}", self.base, self.id, path);
        send(&self.agent, method, &url, body)
    }

    /// Sends a driver-specific command (such as geckodriver's `/moz/addon/install`).
    pub fn raw(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        self.command(method, path, body)
    }

    pub fn navigate(&self, url: &str) -> Result<()> {
        self.command("POST", "/url", Some(json!({ "url": url })))
            .map(drop)
    }

    pub fn current_url(&self) -> Result<String> {
        let value = self.command("GET", "/url", None)?;
        Ok(value.as_str().unwrap_or_default().to_string())
    }

    /// The first element matching a CSS selector, or `None`.
    pub fn find(&self, css: &str) -> Result<Option<Element>> {
        Ok(self.find_all(css)?.into_iter().next())
    }

    pub fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let value = self.command(
            "POST",
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        )?;
        Ok(value
            .as_array()
            .map(|items| items.iter().filter_map(Element::from_json).collect())
            .unwrap_or_default())
    }

    pub fn click(&self, element: &Element) -> Result<()> {
        self.command(
            "POST",
            &format!("/element/{}/click", element.0),
            Some(json!({})),
        )
        .map(drop)
    }

    pub fn send_keys(&self, element: &Element, text: &str) -> Result<()> {
        self.command(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        )
        .map(drop)
    }

    pub fn attribute(&self, element: &Element, name: &str) -> Result<Option<String>> {
        let value = self.command(
            "GET",
            &format!("/element/{}/attribute/{name}", element.0),
            None,
        )?;
        Ok(value.as_str().map(str::to_string))
    }

    /// Runs `body` as a function body in the page (`arguments` holds `args`) and returns what
    /// it returns.
    pub fn execute(&self, body: &str, args: Vec<Value>) -> Result<Value> {
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({ "script": body, "args": args })),
        )
    }

    /// Like [`Session::execute`], but the script finishes by calling its last argument.
    pub fn execute_async(&self, body: &str, args: Vec<Value>) -> Result<Value> {
        self.command(
            "POST",
            "/execute/async",
            Some(json!({ "script": body, "args": args })),
        )
    }

    /// Sets the script time-out (how long an async script may take before it fails).
    pub fn set_script_timeout(&self, timeout: Duration) -> Result<()> {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.command("POST", "/timeouts", Some(json!({ "script": ms })))
            .map(drop)
    }

    /// Makes the iframe `frame` the current browsing context.
    pub fn switch_to_frame(&self, frame: &Element) -> Result<()> {
        self.command("POST", "/frame", Some(json!({ "id": frame.to_json() })))
            .map(drop)
    }

    /// Back to the top-level document of the current window.
    pub fn switch_to_top(&self) -> Result<()> {
        self.command("POST", "/frame", Some(json!({ "id": null })))
            .map(drop)
    }

    pub fn switch_to_parent(&self) -> Result<()> {
        self.command("POST", "/frame/parent", Some(json!({})))
            .map(drop)
    }

    pub fn window_handles(&self) -> Result<Vec<String>> {
        let value = self.command("GET", "/window/handles", None)?;
        Ok(value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default())
    }

    pub fn switch_to_window(&self, handle: &str) -> Result<()> {
        self.command("POST", "/window", Some(json!({ "handle": handle })))
            .map(drop)
    }

    /// Opens a new tab and returns its handle (the current window does not change).
    pub fn new_tab(&self) -> Result<String> {
        let value = self.command("POST", "/window/new", Some(json!({ "type": "tab" })))?;
        Ok(value
            .get("handle")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string())
    }

    /// Saves a PNG of the current window to `path`.
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        let value = self.command("GET", "/screenshot", None)?;
        let encoded = value.as_str().unwrap_or_default();
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|err| Error::Http {
                what: "screenshot".into(),
                detail: err.to_string(),
            })?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(Error::io(format!("creating {}", parent.display())))?;
        }
        std::fs::write(path, png).map_err(Error::io(format!("writing {}", path.display())))
    }

    /// Ends the session (closing the browser).
    pub fn delete(&self) -> Result<()> {
        self.command("DELETE", "", None).map(drop)
    }
}

/// Sends one command and unwraps the W3C `{"value": ...}` envelope, turning W3C errors into
/// [`Error::WebDriver`].
fn send(agent: &ureq::Agent, method: &str, url: &str, body: Option<Value>) -> Result<Value> {
    let http_error = |detail: String| Error::Http {
        what: format!("{method} {url}"),
        detail,
    };
    let response = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        ("DELETE", _) => agent.delete(url).call(),
        (_, Some(body)) => agent.post(url).send_json(&body),
        (_, None) => agent.post(url).send_json(json!({})),
    }
    .map_err(|err| http_error(err.to_string()))?;
    let status = response.status();
    let envelope: Value = response
        .into_body()
        .read_json()
        .map_err(|err| http_error(format!("status {status}, unreadable body: {err}")))?;
    let value = envelope.get("value").cloned().unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(value);
    }
    let field = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let path = url.split("/session").nth(1).unwrap_or(url);
    Err(Error::WebDriver {
        command: format!("{method} /session{path}"),
        error: field("error"),
        message: field("message"),
    })
}
