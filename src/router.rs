//! The background's message router: decodes each request, checks it, answers from the state it
//! keeps per tab. Pure logic, so it is unit-tested natively; the WASM glue only passes in the
//! sender and the clock.

use crate::hosts;
use crate::observation::Observation;
use crate::protocol::{self, Request, RequestError, Response, Versioned};
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

#[derive(Debug, Default)]
pub struct Router {
    tabs: HashMap<i32, Observation>,
    answered: u64,
    cold_start_ms: Option<f64>,
}

impl Router {
    pub fn new() -> Router {
        Router::default()
    }

    /// Answers one message given as JSON text. `clock` reads the worker's clock; it is read
    /// once, when the first message is answered.
    pub fn handle_json(
        &mut self,
        json: &str,
        sender: &Sender,
        clock: impl FnOnce() -> f64,
    ) -> Versioned<Response> {
        self.answered += 1;
        let mut response = match protocol::decode(json) {
            Err(err) => err.into(),
            Ok(request) => self.handle(request, sender).unwrap_or_else(Response::from),
        };
        let cold_start = *self.cold_start_ms.get_or_insert_with(clock);
        if let Response::Diagnostics { cold_start_ms, .. } = &mut response {
            *cold_start_ms = cold_start;
        }
        Versioned::new(response)
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
