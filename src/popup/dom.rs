//! Builds the popup with web-sys and wires its buttons. Everything the server says is set as
//! text. The popup talks to the background only (`authStatus`, `getSettings`, `signIn`,
//! `signOut`); it never holds a token.

use super::{view, Action, PopupInput, PopupView};
use salespane_api::error::ErrorDetail;
use salespane_api::me::Me;
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;

use crate::pages::rpc::send;
use crate::pages::PageError;
use crate::ui::dom::{adapter, document, t_with};
use web_sys::{Document, Element};

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

fn call(name: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let adapter = adapter();
    let function: js_sys::Function = js_sys::Reflect::get(&adapter, &JsValue::from_str(name))?
        .dyn_into()
        .map_err(|_| JsValue::from_str("the browser adapter is missing; reload the extension"))?;
    let list: js_sys::Array = args.iter().collect();
    function.apply(&adapter, &list)
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

/// Loads the state from the background and renders it.
pub fn start() -> Result<(), JsValue> {
    spawn_local(async {
        let idp_name = send(json!({"v":1,"type":"getSettings"}))
            .await
            .ok()
            .and_then(|s| s.get("idpName").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| "Salesforce".into());
        let status = send(json!({"v":1,"type":"authStatus"})).await;
        show(&idp_name, status, None);
    });
    Ok(())
}

fn show(idp_name: &str, status: Result<Value, PageError>, focus: Option<Action>) {
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
    let input = PopupInput {
        signed_in: answer.signed_in,
        me: answer.me,
        error: answer.error,
        idp_name: idp_name.to_string(),
    };
    if let Err(e) = render(&view(&input), focus) {
        web_sys::console::error_1(&e);
    }
}

fn element(document: &Document, tag: &str, text: Option<&str>) -> Result<Element, JsValue> {
    let element = document.create_element(tag)?;
    if let Some(text) = text {
        element.set_text_content(Some(text));
    }
    Ok(element)
}

fn render(view: &PopupView, focus: Option<Action>) -> Result<(), JsValue> {
    let document = document()?;
    let main = element(&document, "main", None)?;
    main.set_id("salespane-popup");
    main.set_attribute("data-state", view.state)?;
    let header = element(&document, "header", None)?;
    let heading = element(&document, "h1", Some(&t_with("popupHeading", &[])))?;
    header.append_child(&heading)?;
    main.append_child(&header)?;

    if !view.fields.is_empty() {
        let list = element(&document, "dl", None)?;
        list.set_attribute("data-testid", "user")?;
        for field in &view.fields {
            let label = element(&document, "dt", Some(&t_with(field.label, &[])))?;
            list.append_child(&label)?;
            let value = element(&document, "dd", Some(&field.value))?;
            value.set_attribute("data-testid", field.testid)?;
            value.set_attribute("data-value", &field.value)?;
            list.append_child(&value)?;
        }
        main.append_child(&list)?;
    } else if view.state == "signed-out" {
        let intro = element(&document, "p", Some(&t_with("popupSignedOut", &[])))?;
        main.append_child(&intro)?;
    }

    if let Some(problem) = &view.problem {
        let alert = element(&document, "div", None)?;
        alert.set_attribute("role", "alert")?;
        alert.set_attribute("class", "problem")?;
        alert.set_attribute("data-testid", "problem")?;
        alert.set_attribute("data-code", &problem.code)?;
        let advice = element(&document, "p", Some(&t_with(problem.advice, &[])))?;
        alert.append_child(&advice)?;
        if !problem.detail.is_empty() {
            let detail = element(&document, "p", Some(&problem.detail))?;
            detail.set_attribute("class", "note")?;
            alert.append_child(&detail)?;
        }
        main.append_child(&alert)?;
    }

    let nav = element(&document, "nav", None)?;
    nav.set_attribute("class", "actions")?;
    let mut to_focus = None;
    for &action in &view.actions {
        let label = match action {
            Action::SignIn => t_with(action.label(), &[&view.idp_name]),
            _ => t_with(action.label(), &[]),
        };
        let button = element(&document, "button", Some(&label))?;
        button.set_attribute("type", "button")?;
        button.set_attribute("data-testid", action.testid())?;
        if matches!(action, Action::SignIn) {
            button.set_attribute("class", "primary")?;
        }
        let idp_name = view.idp_name.clone();
        let handler = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            event.prevent_default();
            act(action, idp_name.clone(), event.current_target());
        });
        button.add_event_listener_with_callback("click", handler.as_ref().unchecked_ref())?;
        handler.forget();
        if focus == Some(action) || (to_focus.is_none() && focus.is_none()) {
            to_focus = Some(button.clone());
        }
        nav.append_child(&button)?;
    }
    main.append_child(&nav)?;

    match document.get_element_by_id("salespane-popup") {
        Some(old) => old.replace_with_with_node_1(&main)?,
        None => {
            document
                .body()
                .ok_or_else(|| JsValue::from_str("the popup has no <body>"))?
                .append_child(&main)?;
        }
    }
    if let Some(button) = to_focus.and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = button.focus();
    }
    Ok(())
}

fn busy(target: Option<web_sys::EventTarget>) {
    if let Some(button) = target.and_then(|t| t.dyn_into::<Element>().ok()) {
        let _ = button.set_attribute("disabled", "");
        let _ = button.set_attribute("aria-busy", "true");
        if let Ok(Some(main)) = document().map(|d| d.get_element_by_id("salespane-popup")) {
            let _ = main.set_attribute("data-state", "working");
        }
    }
}

fn open_page(path: &str) {
    let _ = call("openPage", &[JsValue::from_str(path)]);
    if let Some(window) = web_sys::window() {
        let _ = window.close();
    }
}

fn act(action: Action, idp_name: String, target: Option<web_sys::EventTarget>) {
    match action {
        Action::SignIn => {
            busy(target);
            spawn_local(async move {
                let status = send(json!({"v":1,"type":"signIn","interactive":true})).await;
                show(&idp_name, status, None);
            });
        }
        Action::SignOut => {
            busy(target);
            spawn_local(async move {
                let status = send(json!({"v":1,"type":"signOut"})).await;
                show(&idp_name, status, Some(Action::SignIn));
            });
        }
        Action::Onboarding => open_page("onboarding.html"),
        Action::Admin => open_page("admin.html"),
        Action::Options => {
            let _ = call("openOptions", &[]);
        }
    }
}
