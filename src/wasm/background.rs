//! The background module's exports: background.js calls `handleMessage`, `forgetTab` and
//! `reobserveMessage`. Every decision is made in Rust (`crate::router`, `crate::auth`).

use crate::auth::session;
use crate::protocol::{Response, ToContent, Versioned};
use crate::router::{Privileged, Routed, Router, Sender};
use serde::Serialize;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

thread_local! {
    static ROUTER: RefCell<Router> = RefCell::new(Router::for_extension(&own_origin()));
}

/// The extension's origin (`chrome-extension://<id>`, `moz-extension://<uuid>`): the
/// background's own location, which no message can change.
fn own_origin() -> String {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("location"))
        .and_then(|location| js_sys::Reflect::get(&location, &JsValue::from_str("origin")))
        .ok()
        .and_then(|origin| origin.as_string())
        .filter(|origin| origin.contains("-extension://"))
        .unwrap_or_default()
}

/// `performance.now()` of the global scope: a service worker has no `window`, and its time
/// origin is the worker's start.
fn now_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance"))
        .ok()
        .filter(|p| p.is_object())
        .map(|p| p.unchecked_into::<web_sys::Performance>().now())
        .unwrap_or_default()
}

fn to_js<T: Serialize>(value: &T) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

/// Answers one runtime message. `message_json` is the message as JSON text; the other
/// arguments come from the browser's `MessageSender`, never from the message. The answer is
/// a plain object, or a promise of one for requests that need the network (sign-in, API).
#[wasm_bindgen(js_name = handleMessage)]
pub fn handle_message(
    message_json: &str,
    tab_id: Option<i32>,
    frame_id: Option<i32>,
    sender_url: Option<String>,
) -> JsValue {
    let sender = Sender {
        tab_id,
        frame_id,
        url: sender_url,
    };
    let routed = ROUTER.with(|router| {
        router
            .borrow_mut()
            .route_json(message_json, &sender, now_ms)
    });
    match routed {
        Routed::Answer(response) => to_js(&response),
        Routed::Privileged(request) => wasm_bindgen_futures::future_to_promise(async move {
            Ok(to_js(&Versioned::new(run_privileged(request).await)))
        })
        .into(),
    }
}

async fn run_privileged(request: Privileged) -> Response {
    match request {
        Privileged::SignIn {
            interactive,
            login_hint,
        } => session::sign_in(interactive, login_hint).await,
        Privileged::SignOut => session::sign_out().await,
        Privileged::AuthStatus => session::auth_status().await,
        Privileged::Api { method, path, body } => {
            session::api(method, &path, body).await.into_response()
        }
        Privileged::GetSettings => session::settings_response(session::load_settings().await),
        Privileged::SaveSettings(settings) => session::save_settings(settings)
            .await
            .unwrap_or_else(Response::from),
        Privileged::OpenPage(page) => session::open_page(page.path())
            .await
            .map(|()| Response::Ack { changed: true })
            .unwrap_or_else(Response::from),
        Privileged::TrackBody(body) => crate::tracking::run(body).await,
    }
}

/// The message asking a tab's content script to report its page again.
#[wasm_bindgen(js_name = reobserveMessage)]
pub fn reobserve_message() -> JsValue {
    to_js(&Versioned::new(ToContent::Reobserve))
}

/// Forgets a closed tab.
#[wasm_bindgen(js_name = forgetTab)]
pub fn forget_tab(tab_id: i32) {
    ROUTER.with(|router| router.borrow_mut().forget_tab(tab_id));
}
