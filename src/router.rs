//! The background's message router: decodes each request, checks it, answers from the state it
//! keeps per tab. Pure logic, so it is unit-tested natively; the WASM glue only passes in the
//! sender and the clock.

use crate::api_client::{validate_path, ApiMethod};
use crate::hosts;
use crate::observation::Observation;
use crate::protocol::{self, ExtensionPage, Request, RequestError, Response, Versioned};
use crate::settings::Settings;
use crate::weburl::WebUrl;
use std::collections::HashMap;

/// Who sent a message, as the browser (not the message) says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sender {
    pub tab_id: Option<i32>,
    /// 0 for a tab's top frame.
    pub frame_id: Option<i32>,
    /// The sending document's URL.
    pub url: Option<String>,
}

impl Sender {
    /// True when the sending document is one of the extension's own pages (popup, options,
    /// onboarding, admin, the panel): its URL is at `extension_origin`, which the browser
    /// (not the message) reports. A content script's sender URL is its host page's.
    pub fn is_extension_page(&self, extension_origin: &str) -> bool {
        let origin = extension_origin.trim_end_matches('/');
        !origin.is_empty()
            && self
                .url
                .as_deref()
                .and_then(|url| url.strip_prefix(origin))
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// Requests that need the network or storage: checked here, carried out by the background's
/// async part (`auth::session`, `api_client`).
#[derive(Debug, Clone, PartialEq)]
pub enum Privileged {
    SignIn {
        interactive: bool,
        login_hint: Option<String>,
    },
    SignOut,
    AuthStatus,
    Api {
        method: ApiMethod,
        path: String,
        body: Option<serde_json::Value>,
    },
    GetSettings,
    SaveSettings(Settings),
    OpenPage(ExtensionPage),
    /// From a content script too: reads the cached user's signing key (`crate::tracking`).
    TrackBody(crate::tracking::TrackBody),
}

/// What the router made of one message.
// Returned and matched at once, never stored: boxing would only add an allocation per message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Routed {
    /// Answered at once.
    Answer(Versioned<Response>),
    /// Accepted; the background's async part answers.
    Privileged(Privileged),
}

#[derive(Debug, Default)]
pub struct Router {
    tabs: HashMap<i32, Observation>,
    answered: u64,
    cold_start_ms: Option<f64>,
    /// `chrome-extension://<id>` / `moz-extension://<uuid>`; empty refuses every privileged request.
    extension_origin: String,
}

impl Router {
    pub fn new() -> Router {
        Router::default()
    }

    /// A router that accepts privileged requests from pages at `extension_origin`.
    pub fn for_extension(extension_origin: &str) -> Router {
        Router {
            extension_origin: extension_origin.trim_end_matches('/').to_string(),
            ..Router::default()
        }
    }

    /// Answers one message given as JSON text. `clock` reads the worker's clock; it is read
    /// once, when the first message is answered. Privileged requests cannot be answered
    /// here (they need the network): use [`Router::route_json`].
    pub fn handle_json(
        &mut self,
        json: &str,
        sender: &Sender,
        clock: impl FnOnce() -> f64,
    ) -> Versioned<Response> {
        match self.route_json(json, sender, clock) {
            Routed::Answer(answer) => answer,
            Routed::Privileged(_) => Versioned::new(RequestError::Forbidden.into()),
        }
    }

    /// Answers ordinary requests; hands privileged ones back, checked.
    pub fn route_json(
        &mut self,
        json: &str,
        sender: &Sender,
        clock: impl FnOnce() -> f64,
    ) -> Routed {
        self.answered += 1;
        let mut routed = match protocol::decode(json) {
            Err(err) => Routed::Answer(Versioned::new(err.into())),
            Ok(request) => match self.privileged(request, sender) {
                Err(err) => Routed::Answer(Versioned::new(err.into())),
                Ok(Ok(privileged)) => Routed::Privileged(privileged),
                Ok(Err(request)) => Routed::Answer(Versioned::new(
                    self.handle(request, sender).unwrap_or_else(Response::from),
                )),
            },
        };
        let cold_start = *self.cold_start_ms.get_or_insert_with(clock);
        if let Routed::Answer(Versioned {
            body: Response::Diagnostics { cold_start_ms, .. },
            ..
        }) = &mut routed
        {
            *cold_start_ms = cold_start;
        }
        routed
    }

    /// `Ok(privileged)` for a privileged request from an extension page, an error for one
    /// from anywhere else or with bad fields, and the other requests handed back.
    fn privileged(
        &self,
        request: Request,
        sender: &Sender,
    ) -> Result<Result<Privileged, Request>, RequestError> {
        let privileged = match request {
            Request::SignIn {
                interactive,
                login_hint,
            } => Privileged::SignIn {
                interactive,
                login_hint: login_hint.filter(|h| !h.trim().is_empty()),
            },
            Request::SignOut => Privileged::SignOut,
            Request::AuthStatus => Privileged::AuthStatus,
            Request::Api { method, path, body } => {
                let method = ApiMethod::parse(&method).ok_or_else(|| {
                    RequestError::invalid("method", "use GET, POST, PUT, PATCH or DELETE")
                })?;
                validate_path(&path).map_err(|reason| RequestError::invalid("path", reason))?;
                Privileged::Api { method, path, body }
            }
            Request::GetSettings => Privileged::GetSettings,
            Request::SaveSettings { settings } => Privileged::SaveSettings(
                settings
                    .validated()
                    .map_err(|e| RequestError::invalid("settings", e))?,
            ),
            Request::OpenPage { page } => Privileged::OpenPage(page),
            Request::TrackBody {
                html,
                subject,
                to,
                cc,
                bcc,
            } => {
                let fields = [("to", to), ("cc", cc), ("bcc", bcc)];
                return crate::tracking::route(
                    html,
                    subject,
                    fields,
                    sender,
                    &self.extension_origin,
                )
                .map(Ok);
            }
            other => return Ok(Err(other)),
        };
        if !sender.is_extension_page(&self.extension_origin) {
            return Err(RequestError::Forbidden);
        }
        Ok(Ok(privileged))
    }

    fn handle(&mut self, request: Request, sender: &Sender) -> Result<Response, RequestError> {
        match request {
            Request::HostSpec { url } => {
                let url = WebUrl::parse(&url).map_err(|e| RequestError::invalid("url", e))?;
                Ok(Response::HostSpec {
                    spec: hosts::spec_for_url(&url).map(Box::new),
                })
            }
            Request::Observed { url, page } => {
                let tab = sender.tab_id.ok_or(RequestError::NoTab)?;
                if sender.frame_id.is_some_and(|frame| frame != 0) {
                    return Err(RequestError::invalid(
                        "sender",
                        "only a tab's top frame reports its page",
                    ));
                }
                let observation = Observation::from_report(&url, page)?;
                // A page can only report about itself: its origin must be the sender's.
                if let Some(sender_url) = &sender.url {
                    let same_origin = WebUrl::parse(sender_url)
                        .is_ok_and(|s| WebUrl::parse(&url).is_ok_and(|u| u.origin() == s.origin()));
                    if !same_origin {
                        return Err(RequestError::invalid(
                            "url",
                            "not the sending page's origin",
                        ));
                    }
                }
                let changed = self.tabs.get(&tab) != Some(&observation);
                self.tabs.insert(tab, observation);
                Ok(Response::Ack { changed })
            }
            Request::PanelState => {
                let tab = sender.tab_id.ok_or(RequestError::NoTab)?;
                Ok(Response::PanelState {
                    observation: self.tabs.get(&tab).cloned(),
                })
            }
            // The cold start time is filled in by `handle_json` once it is known.
            Request::Diagnostics => Ok(Response::Diagnostics {
                cold_start_ms: 0.0,
                answered: self.answered,
            }),
            // Reached only through `handle_json` alone, which cannot do network work.
            Request::SignIn { .. }
            | Request::SignOut
            | Request::AuthStatus
            | Request::Api { .. }
            | Request::GetSettings
            | Request::SaveSettings { .. }
            | Request::OpenPage { .. }
            | Request::TrackBody { .. } => Err(RequestError::Forbidden),
        }
    }

    /// Drops what is known about a closed tab.
    pub fn forget_tab(&mut self, tab_id: i32) {
        self.tabs.remove(&tab_id);
    }

    pub fn tab_count(&self) -> usize {
        self.tabs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::HostKind;
    use crate::protocol::ErrorCode;
    use serde_json::{json, Value};

    fn tab(id: i32, url: &str) -> Sender {
        Sender {
            tab_id: Some(id),
            frame_id: Some(0),
            url: Some(url.into()),
        }
    }

    fn ask(router: &mut Router, message: Value, sender: &Sender) -> Value {
        serde_json::to_value(router.handle_json(&message.to_string(), sender, || 5.0)).unwrap()
    }

    const GMAIL: &str = "https://mail.google.com/mail/u/0/#inbox";
    const LEAD: &str = "https://acme.lightning.force.com/lightning/r/Lead/00Q5g00000AbCdE/view";

    fn observed(url: &str, composes: Value) -> Value {
        json!({"v":1,"type":"observed","url":url,"page":{"composes":composes}})
    }

    #[test]
    fn host_spec_is_answered_for_supported_pages_only() {
        let mut router = Router::new();
        let answer = ask(
            &mut router,
            json!({"v":1,"type":"hostSpec","url":GMAIL}),
            &Sender::default(),
        );
        assert_eq!(answer["type"], "hostSpec");
        assert_eq!(answer["v"], 1);
        assert_eq!(answer["spec"]["host"], "gmail");
        let none = ask(
            &mut router,
            json!({"v":1,"type":"hostSpec","url":"https://example.com/"}),
            &Sender::default(),
        );
        assert_eq!(none["spec"], Value::Null);
        let bad = ask(
            &mut router,
            json!({"v":1,"type":"hostSpec","url":"file:///etc/passwd"}),
            &Sender::default(),
        );
        assert_eq!(bad["code"], "invalid");
    }

    #[test]
    fn panel_sees_what_its_tab_observed_and_nothing_else() {
        let mut router = Router::new();
        let compose =
            json!([{"key":"c1","to":["A@x.example"],"cc":["b@y.example"],"subject":"Hi"}]);
        let ack = ask(
            &mut router,
            observed(GMAIL, compose.clone()),
            &tab(7, GMAIL),
        );
        assert_eq!(ack, json!({"v":1,"type":"ack","changed":true}));
        let again = ask(&mut router, observed(GMAIL, compose), &tab(7, GMAIL));
        assert_eq!(again["changed"], false);

        // The panel iframe lives in tab 7: its sender is that tab, at the extension's URL.
        let panel = Sender {
            tab_id: Some(7),
            frame_id: Some(3),
            url: Some("chrome-extension://x/panel.html".into()),
        };
        let state = ask(&mut router, json!({"v":1,"type":"panelState"}), &panel);
        assert_eq!(state["observation"]["host"], "gmail");
        assert_eq!(
            state["observation"]["composes"][0]["to"],
            json!(["a@x.example"])
        );
        let other = Sender {
            tab_id: Some(8),
            ..panel.clone()
        };
        assert_eq!(
            ask(&mut router, json!({"v":1,"type":"panelState"}), &other)["observation"],
            Value::Null
        );
        let popup = Sender::default();
        assert_eq!(
            ask(&mut router, json!({"v":1,"type":"panelState"}), &popup)["code"],
            "noTab"
        );

        router.forget_tab(7);
        assert_eq!(router.tab_count(), 0);
        assert_eq!(
            ask(&mut router, json!({"v":1,"type":"panelState"}), &panel)["observation"],
            Value::Null
        );
    }

    #[test]
    fn lightning_navigation_replaces_the_tab_observation() {
        let mut router = Router::new();
        ask(&mut router, observed(LEAD, json!([])), &tab(1, LEAD));
        let account =
            "https://acme.lightning.force.com/lightning/r/Account/001A0000006Vm9rIAC/view";
        let ack = ask(&mut router, observed(account, json!([])), &tab(1, LEAD));
        assert_eq!(ack["changed"], true);
        let panel = Sender {
            tab_id: Some(1),
            ..Sender::default()
        };
        let state = ask(&mut router, json!({"v":1,"type":"panelState"}), &panel);
        assert_eq!(
            state["observation"]["host"],
            HostKind::SalesforceLightning.as_str()
        );
        assert_eq!(state["observation"]["record"]["object"], "Account");
        assert_eq!(state["observation"]["record"]["id"], "001A0000006Vm9rIAC");
    }

    #[test]
    fn observations_from_the_wrong_place_are_refused() {
        let mut router = Router::new();
        let msg = observed(GMAIL, json!([]));
        let no_tab = Sender {
            tab_id: None,
            ..tab(0, GMAIL)
        };
        assert_eq!(ask(&mut router, msg.clone(), &no_tab)["code"], "noTab");
        let sub_frame = Sender {
            frame_id: Some(4),
            ..tab(1, GMAIL)
        };
        assert_eq!(ask(&mut router, msg.clone(), &sub_frame)["code"], "invalid");
        let elsewhere = tab(1, "https://evil.example/");
        assert_eq!(ask(&mut router, msg, &elsewhere)["code"], "invalid");
        assert_eq!(router.tab_count(), 0);
    }

    const EXT: &str = "chrome-extension://fhjdpaofeopnedbooopnkmdeclfpmkmd";

    fn route(router: &mut Router, message: Value, sender: &Sender) -> Result<Privileged, Value> {
        match router.route_json(&message.to_string(), sender, || 1.0) {
            Routed::Privileged(p) => Ok(p),
            Routed::Answer(answer) => Err(serde_json::to_value(answer).unwrap()),
        }
    }

    #[test]
    fn sign_in_and_api_are_refused_from_content_scripts() {
        let mut router = Router::for_extension(EXT);
        let popup = Sender {
            tab_id: None,
            frame_id: Some(0),
            url: Some(format!("{EXT}/popup.html")),
        };
        let panel_in_gmail = Sender {
            tab_id: Some(3),
            frame_id: Some(5),
            url: Some(format!("{EXT}/panel.html")),
        };
        let content_script = tab(3, GMAIL);
        let look_alike = tab(
            3,
            "chrome-extension://fhjdpaofeopnedbooopnkmdeclfpmkmdX/popup.html",
        );
        let sign_in =
            json!({"v":1,"type":"signIn","interactive":true,"loginHint":"ada.admin@acme.example"});
        let api = json!({"v":1,"type":"api","method":"GET","path":"/api/v1/me","body":null});
        for message in [
            sign_in.clone(),
            api.clone(),
            json!({"v":1,"type":"signOut"}),
            json!({"v":1,"type":"authStatus"}),
            json!({"v":1,"type":"getSettings"}),
            json!({"v":1,"type":"openPage","page":"options"}),
        ] {
            for sender in [&content_script, &look_alike, &Sender::default()] {
                let answer = route(&mut router, message.clone(), sender).unwrap_err();
                assert_eq!(answer["code"], "forbidden", "{message} from {sender:?}");
            }
            assert!(
                route(&mut router, message.clone(), &popup).is_ok(),
                "{message}"
            );
            assert!(route(&mut router, message, &panel_in_gmail).is_ok());
        }
        assert_eq!(
            route(&mut router, sign_in, &popup),
            Ok(Privileged::SignIn {
                interactive: true,
                login_hint: Some("ada.admin@acme.example".into())
            })
        );
        // A router that does not know its origin refuses everything privileged.
        let mut blind = Router::new();
        assert_eq!(
            route(&mut blind, api, &popup).unwrap_err()["code"],
            "forbidden"
        );
        // And the plain handler never does network work.
        let answer = serde_json::to_value(router.handle_json(
            r#"{"v":1,"type":"authStatus"}"#,
            &popup,
            || 1.0,
        ))
        .unwrap();
        assert_eq!(answer["code"], "forbidden");
    }

    #[test]
    fn api_requests_are_checked_before_anything_is_sent() {
        let mut router = Router::for_extension(EXT);
        let options = Sender {
            url: Some(format!("{EXT}/options.html")),
            ..Sender::default()
        };
        let call = |method: &str, path: &str| json!({"v":1,"type":"api","method":method,"path":path,"body":{"a":1}});
        assert_eq!(
            route(&mut router, call("PUT", "/api/v1/me/onboarding"), &options),
            Ok(Privileged::Api {
                method: ApiMethod::Put,
                path: "/api/v1/me/onboarding".into(),
                body: Some(json!({"a":1})),
            })
        );
        for (method, path) in [
            ("GET", "/api/v1/../sfdc/_sandbox/expire"),
            ("GET", "https://evil.example/api/v1/me"),
            ("GET", "/health"),
            ("TRACE", "/api/v1/me"),
        ] {
            let answer = route(&mut router, call(method, path), &options).unwrap_err();
            assert_eq!(answer["code"], "invalid", "{method} {path}");
        }
        let bad_settings = json!({"v":1,"type":"saveSettings","settings":{"serverUrl":"ftp://x"}});
        assert_eq!(
            route(&mut router, bad_settings, &options).unwrap_err()["code"],
            "invalid"
        );
        let good = json!({"v":1,"type":"saveSettings","settings":{"serverUrl":"http://127.0.0.1:9000/","loginHint":"ada.admin@acme.example"}});
        match route(&mut router, good, &options) {
            Ok(Privileged::SaveSettings(settings)) => {
                assert_eq!(settings.server_url, "http://127.0.0.1:9000");
                assert_eq!(settings.login_hint, "ada.admin@acme.example");
            }
            other => panic!("{other:?}"),
        }
        // Ordinary requests still get their answer from a router that knows its origin.
        let spec = route(
            &mut router,
            json!({"v":1,"type":"hostSpec","url":GMAIL}),
            &options,
        )
        .unwrap_err();
        assert_eq!(spec["type"], "hostSpec");
    }

    #[test]
    fn diagnostics_report_the_first_answer_time_and_count() {
        let mut router = Router::new();
        let s = Sender::default();
        router.handle_json(r#"{"v":1,"type":"panelState"}"#, &s, || 12.0);
        router.handle_json("garbage", &s, || 20.0);
        let diag = router.handle_json(r#"{"v":1,"type":"diagnostics"}"#, &s, || 30.0);
        let diag = serde_json::to_value(diag).unwrap();
        assert_eq!(
            diag,
            json!({"v":1,"type":"diagnostics","coldStartMs":12.0,"answered":3})
        );
        let err = serde_json::to_value(router.handle_json("garbage", &s, || 31.0)).unwrap();
        assert_eq!(
            err["code"],
            serde_json::to_value(ErrorCode::Malformed).unwrap()
        );
        // When diagnostics is the very first message, it reports its own answer time.
        let mut fresh = Router::new();
        let first =
            serde_json::to_value(fresh.handle_json(r#"{"v":1,"type":"diagnostics"}"#, &s, || 7.5))
                .unwrap();
        assert_eq!(first["coldStartMs"], 7.5);
        assert_eq!(first["answered"], 1);
    }
}
