//! The popup's state and its talks with the background (`authStatus`, `getSettings`,
//! `signIn`, `signOut`); it never holds a token. WASM only.

use super::{view, Action, PopupCard, PopupInput, PopupView};
use crate::pages::rpc::send;
use crate::pages::PageError;
use crate::ui::browser;
use leptos::prelude::*;
use leptos::task::spawn_local;
use salespane_api::error::ErrorDetail;
use salespane_api::me::Me;
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthAnswer {
    #[serde(default)]
    signed_in: bool,
    #[serde(default)]
    me: Option<Me>,
    #[serde(default)]
    error: Option<ErrorDetail>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

fn auth_answer(value: Value) -> AuthAnswer {
    let mut answer: AuthAnswer = serde_json::from_value(value).unwrap_or_default();
    // A refused request (`{"type":"error"}`) is shown like any other problem.
    if let (None, Some(code)) = (&answer.error, answer.code.take()) {
        answer.error = Some(ErrorDetail {
            code,
            message: answer.message.take().unwrap_or_default(),
        });
    }
    answer
}

fn input_from(idp_name: &str, status: Result<Value, PageError>) -> PopupInput {
    let answer = match status {
        Ok(value) => auth_answer(value),
        Err(e) => AuthAnswer {
            error: Some(ErrorDetail {
                code: e.code,
                message: e.message,
            }),
            ..AuthAnswer::default()
        },
    };
    PopupInput {
        signed_in: answer.signed_in,
        me: answer.me,
        error: answer.error,
        idp_name: idp_name.to_string(),
    }
}

/// Loads the state from the background, then shows the popup and keeps it up to date.
pub fn start() -> Result<(), JsValue> {
    // Leptos' executor starts with the mount: before it, the browser's.
    wasm_bindgen_futures::spawn_local(async {
        let idp_name = send(json!({"v":1,"type":"getSettings"}))
            .await
            .ok()
            .and_then(|s| s.get("idpName").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| "Salesforce".into());
        let status = send(json!({"v":1,"type":"authStatus"})).await;
        let first = view(&input_from(&idp_name, status));
        if let Err(error) = browser::mount_in_place_of("salespane-popup", move || popup(first)) {
            web_sys::console::error_1(&error);
        }
        request_animation_frame(|| focus(None));
    });
    Ok(())
}

/// After a change: focus the action asked for, else the first one.
fn focus(action: Option<Action>) {
    match action {
        Some(action) => browser::focus(&format!("[data-testid={}]", action.testid())),
        None => browser::focus("#salespane-popup nav button"),
    }
}

fn popup(first: PopupView) -> impl IntoView {
    let shown = RwSignal::new(first);
    let working = RwSignal::new(None::<Action>);
    let act = Callback::new(move |action: Action| {
        let idp_name = shown.with_untracked(|v| v.idp_name.clone());
        let message = match action {
            Action::SignIn => json!({"v":1,"type":"signIn","interactive":true}),
            Action::SignOut => json!({"v":1,"type":"signOut"}),
            Action::Onboarding => return open_page("onboarding.html"),
            Action::Admin => return open_page("admin.html"),
            Action::Options => {
                let _ = browser::call_adapter("openOptions", &[]);
                return;
            }
        };
        working.set(Some(action));
        spawn_local(async move {
            let status = send(message).await;
            shown.set(view(&input_from(&idp_name, status)));
            working.set(None);
            // After signing out, signing in again is what comes next (once redrawn).
            request_animation_frame(move || {
                focus((action == Action::SignOut).then_some(Action::SignIn))
            });
        });
    });
    view! { <PopupCard view=shown working act/> }
}

fn open_page(path: &str) {
    let _ = browser::call_adapter("openPage", &[JsValue::from_str(path)]);
    if let Some(window) = web_sys::window() {
        let _ = window.close();
    }
}
