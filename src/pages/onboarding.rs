//! Onboarding (onboarding.html): Welcome → Activate with Salesforce → Authorize → email
//! client and mailbox → Signature → Finish → quick tour → open Salesforce or the mail.
//! Each step is stored on the server (`PUT /api/v1/me/onboarding`), so a reload resumes.

use super::flow::{self, Step};
use super::rpc::{self, AuthStatus};
use super::view::{actions, error_box, note, page_root};
use super::{fields, PageError};
use crate::ui::dom::{self, el, msg, t, t_with, text, with_class};
use salespane_api::me::{CrmUserCandidate, MyCrmConnection};
use salespane_api::profile::{EmailClient, Onboarding, Profile};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::Element;

const ONBOARDING: &str = "/api/v1/me/onboarding";

#[derive(Default)]
struct State {
    loaded: bool,
    auth: Option<AuthStatus>,
    onboarding: Option<Onboarding>,
    started: bool,
    tour_slide: usize,
    busy: bool,
    error: Option<PageError>,
    /// Set when the authorize window was opened: offer to check the connection.
    authorize_opened: bool,
    connection: Option<MyCrmConnection>,
    /// After a mailbox mismatch: the Salesforce users the user may say they are.
    candidates: Vec<CrmUserCandidate>,
    /// The mailbox was refused as not the user's Salesforce address.
    mismatch: bool,
    /// What the user last entered on the email step, kept across redraws.
    draft: Option<(&'static str, String)>,
    /// Field errors: (field id, message).
    field_error: Option<(String, String)>,
}

type Shared = Rc<RefCell<State>>;

pub fn start() -> Result<(), JsValue> {
    let shared: Shared = Rc::new(RefCell::new(State::default()));
    render(&shared)?;
    let s = shared.clone();
    act(&shared, async move {
        let auth = rpc::status().await?;
        load_after_auth(&s, auth).await
    });
    Ok(())
}

async fn load_after_auth(shared: &Shared, auth: AuthStatus) -> Result<(), PageError> {
    let signed_in = auth.signed_in;
    let auth_error = auth.error.clone();
    {
        let mut state = shared.borrow_mut();
        state.auth = Some(auth);
        state.loaded = true;
    }
    if signed_in {
        let onboarding: Onboarding = rpc::api("GET", ONBOARDING, None).await?;
        shared.borrow_mut().onboarding = Some(onboarding);
    } else if let Some(detail) = auth_error {
        shared.borrow_mut().started = true;
        return Err(PageError {
            status: 403,
            code: detail.code,
            message: detail.message,
        });
    }
    Ok(())
}

/// Runs an action: busy while it runs, its error shown after, then the page redrawn.
fn act(shared: &Shared, work: impl std::future::Future<Output = Result<(), PageError>> + 'static) {
    {
        let mut state = shared.borrow_mut();
        state.busy = true;
        state.error = None;
        state.field_error = None;
    }
    let _ = render(shared);
    let s = shared.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let result = work.await;
        {
            let mut state = s.borrow_mut();
            state.busy = false;
            state.loaded = true;
            if let Err(error) = result {
                // The mailbox errors do not always start with the field's name.
                let field = match error.code.as_str() {
                    "mailbox_mismatch" | "invalid_mailbox" => Some("mailbox".to_string()),
                    _ => fields::field_of(&error.message),
                };
                if let Some(field) = field {
                    // The alert above holds the server's whole message; the field says why
                    // in a few words.
                    let short = match error.advice_message() {
                        Some(advice) => t(advice),
                        None => error.message.clone(),
                    };
                    state.field_error = Some((field, short));
                }
                state.error = Some(error);
            }
        }
        let _ = render(&s);
    });
}

async fn put(shared: &Shared, update: Value) -> Result<(), PageError> {
    let onboarding: Onboarding = rpc::api("PUT", ONBOARDING, Some(update)).await?;
    shared.borrow_mut().onboarding = Some(onboarding);
    Ok(())
}

fn current_step(state: &State) -> Step {
    let signed_in = state.auth.as_ref().is_some_and(|a| a.signed_in);
    flow::resume(signed_in, state.started, state.onboarding.as_ref())
}

fn render(shared: &Shared) -> Result<(), JsValue> {
    let root = page_root()?;
    dom::clear(&root);
    root.set_attribute("data-page", "onboarding")?;
    let state = shared.borrow();
    let header = el("header")?;
    dom::append(
        &header,
        &[
            &msg("h1", "onbHeading")?,
            &with_class(msg("p", "onbIntro")?, "note"),
        ],
    )?;
    root.append_child(&header)?;
    if !state.loaded {
        root.set_attribute("data-step", "loading")?;
        root.append_child(&*note("pageLoading")?)?;
        return Ok(());
    }
    let step = current_step(&state);
    root.set_attribute("data-step", step.name())?;
    root.set_attribute("aria-busy", if state.busy { "true" } else { "false" })?;
    root.append_child(&*progress_list(step)?)?;
    let card = with_class(el("section")?, "card");
    dom::testid(&card, &format!("step-{}", step.name()))?;
    let title = msg("h2", step.title_message())?;
    title.set_id("step-title");
    title.set_attribute("tabindex", "-1")?;
    card.set_attribute("aria-labelledby", "step-title")?;
    card.append_child(&title)?;
    if let Some(error) = &state.error {
        card.append_child(&*error_box(error)?)?;
    }
    let body = match step {
        Step::Welcome => welcome(shared)?,
        Step::Activate => activate(shared)?,
        Step::Authorize => authorize(shared, &state)?,
        Step::EmailClient => email_client(shared, &state)?,
        Step::Signature => signature(shared, &state)?,
        Step::Finish => finish(shared)?,
        Step::Tour => tour(shared, state.tour_slide)?,
        Step::Done => done(&state)?,
    };
    card.append_child(&body)?;
    root.append_child(&card)?;
    if let Some((field, message)) = &state.field_error {
        dom::set_field_error(&field_id(field), message);
    }
    if state.busy {
        for button in root.query_selector_all("button")?.values() {
            if let Ok(b) = button?.dyn_into::<web_sys::HtmlButtonElement>() {
                b.set_disabled(true);
            }
        }
    } else {
        dom::focus(&title);
    }
    Ok(())
}

use wasm_bindgen::JsCast;

/// The page's id for a server field path.
fn field_id(field: &str) -> String {
    match field {
        "mailbox" => "onb-mailbox".into(),
        "signature" => "onb-signature".into(),
        other => format!("onb-{}", other.replace('.', "-")),
    }
}

fn progress_list(current: Step) -> Result<Element, JsValue> {
    let nav = el("nav")?;
    nav.set_attribute("aria-label", &t("onbStepsLabel"))?;
    let list = with_class(el("ol")?, "steps");
    for step in Step::LISTED {
        let item = msg("li", step.title_message())?;
        if step == current {
            item.set_attribute("aria-current", "step")?;
        } else if step < current {
            item.set_attribute("data-done", "true")?;
        }
        list.append_child(&item)?;
    }
    nav.append_child(&list)?;
    Ok(nav)
}

fn welcome(shared: &Shared) -> Result<Element, JsValue> {
    let body = el("div")?;
    body.append_child(&*msg("p", "onbWelcomeText")?)?;
    let s = shared.clone();
    let go = dom::primary(&t("onbStart"), "start", move || {
        s.borrow_mut().started = true;
        let _ = render(&s);
    })?;
    body.append_child(&*actions(&[&go])?)?;
    Ok(body)
}

fn activate(shared: &Shared) -> Result<Element, JsValue> {
    let body = el("div")?;
    body.append_child(&*msg("p", "onbActivateText")?)?;
    body.append_child(&*note("onbActivateApiNote")?)?;
    let s = shared.clone();
    let sign_in = dom::primary(&t("onbSignIn"), "sign-in", move || {
        let inner = s.clone();
        act(&s, async move {
            let hint = dom::query_param("login_hint");
            let auth = rpc::sign_in(hint.as_deref()).await?;
            load_after_auth(&inner, auth).await
        });
    })?;
    body.append_child(&*actions(&[&sign_in])?)?;
    Ok(body)
}

fn authorize(shared: &Shared, state: &State) -> Result<Element, JsValue> {
    let body = el("div")?;
    body.append_child(&*msg("p", "onbAuthorizeText")?)?;
    if let Some(connection) = &state.connection {
        if connection.connected {
            let who = connection.crm_username.clone().unwrap_or_default();
            let line = text("p", &t_with("onbAuthorizeConnectedAs", &[&who]))?;
            dom::testid(&line, "connected-as")?;
            body.append_child(&line)?;
            if !connection.api_enabled {
                body.append_child(&*error_box(&PageError::local(
                    "no_api_access",
                    &t("errNoApiAccessDetail"),
                ))?)?;
            }
        } else {
            body.append_child(&*note("onbAuthorizeNotYet")?)?;
        }
    }
    let s = shared.clone();
    let connect = dom::primary(&t("onbAuthorizeConnect"), "authorize-connect", move || {
        let inner = s.clone();
        act(&s, async move {
            let hint = dom::query_param("login_hint");
            let connection: MyCrmConnection = rpc::connect_crm(hint.as_deref()).await?;
            let ready = connection.connected && connection.api_enabled;
            {
                let mut state = inner.borrow_mut();
                state.authorize_opened = true;
                state.connection = Some(connection);
            }
            if ready {
                put(&inner, json!({"authorized": "done"})).await?;
            }
            Ok(())
        });
    })?;
    let s = shared.clone();
    let check = dom::button(&t("onbAuthorizeCheck"), "authorize-check", move || {
        let inner = s.clone();
        act(&s, async move {
            let connection: MyCrmConnection =
                rpc::api("GET", "/api/v1/me/crm-connection", None).await?;
            let ready = connection.connected && connection.api_enabled;
            inner.borrow_mut().connection = Some(connection);
            if ready {
                put(&inner, json!({"authorized": "done"})).await?;
            }
            Ok(())
        });
    })?;
    let s = shared.clone();
    let skip = dom::button(&t("onbSkip"), "authorize-skip", move || {
        let inner = s.clone();
        act(&s, async move {
            put(&inner, json!({"authorized": "skipped"})).await
        });
    })?;
    let row = if state.authorize_opened || state.connection.is_some() {
        // Back from Salesforce, checking is the next thing to do.
        check.set_class_name("primary");
        connect.set_class_name("");
        actions(&[&check, &connect, &skip])?
    } else {
        actions(&[&connect, &check, &skip])?
    };
    body.append_child(&row)?;
    body.append_child(&*note("onbAuthorizeSkipNote")?)?;
    Ok(body)
}

fn me_email(state: &State) -> String {
    state
        .auth
        .as_ref()
        .and_then(|a| a.me.as_ref())
        .map(|me| me.user.email.clone())
        .unwrap_or_default()
}

fn email_client(shared: &Shared, state: &State) -> Result<Element, JsValue> {
    let form = el("form")?;
    form.set_attribute("novalidate", "")?;
    form.append_child(&*msg("p", "onbEmailText")?)?;
    let chosen = match &state.draft {
        Some((client, _)) => Some(if *client == "outlook" {
            EmailClient::Outlook
        } else {
            EmailClient::Gmail
        }),
        None => state.onboarding.as_ref().and_then(|o| o.email_client),
    };
    let fieldset = el("fieldset")?;
    fieldset.append_child(&*msg("legend", "onbEmailClientLegend")?)?;
    let (gmail_label, gmail) = dom::radio(
        "client",
        "onb-client-gmail",
        "gmail",
        &t("onbGmail"),
        chosen != Some(EmailClient::Outlook),
    )?;
    let (outlook_label, outlook) = dom::radio(
        "client",
        "onb-client-outlook",
        "outlook",
        &t("onbOutlook"),
        chosen == Some(EmailClient::Outlook),
    )?;
    dom::append(&fieldset, &[&gmail_label, &outlook_label])?;
    form.append_child(&fieldset)?;
    let mailbox_value = state
        .draft
        .as_ref()
        .map(|(_, mailbox)| mailbox.clone())
        .or_else(|| state.onboarding.as_ref().and_then(|o| o.mailbox.clone()))
        .unwrap_or_else(|| me_email(state));
    let (mailbox_field, mailbox) = dom::input_field(
        "onb-mailbox",
        &t("onbMailboxLabel"),
        "email",
        &mailbox_value,
    )?;
    mailbox.set_attribute("autocomplete", "email")?;
    form.append_child(&mailbox_field)?;
    form.append_child(&*note("onbMailboxNote")?)?;

    if state.mismatch && state.candidates.is_empty() {
        // To say which Salesforce user they are, the user connects Salesforce first.
        let help = el("div")?;
        dom::testid(&help, "mismatch-help")?;
        help.append_child(&*msg("p", "onbMismatchConnect")?)?;
        let s = shared.clone();
        let connect = dom::button(&t("onbAuthorizeConnect"), "mismatch-connect", move || {
            let inner = s.clone();
            act(&s, async move {
                let hint = dom::query_param("login_hint");
                let connection: MyCrmConnection = rpc::connect_crm(hint.as_deref()).await?;
                inner.borrow_mut().candidates = connection.candidates;
                Ok(())
            });
        })?;
        let s = shared.clone();
        let reload = dom::button(&t("onbMismatchReload"), "mismatch-reload", move || {
            let inner = s.clone();
            act(&s, async move {
                let connection: MyCrmConnection =
                    rpc::api("GET", "/api/v1/me/crm-connection", None).await?;
                inner.borrow_mut().candidates = connection.candidates;
                Ok(())
            });
        })?;
        help.append_child(&*actions(&[&connect, &reload])?)?;
        form.append_child(&help)?;
    }

    if !state.candidates.is_empty() {
        let confirm = el("fieldset")?;
        dom::testid(&confirm, "crm-user-choice")?;
        confirm.append_child(&*msg("legend", "onbWhichCrmUser")?)?;
        for (i, candidate) in state.candidates.iter().enumerate() {
            let label = format!(
                "{} ({}, {})",
                candidate.name, candidate.username, candidate.email
            );
            let (row, _) = dom::radio(
                "crm-user",
                &format!("onb-crm-user-{i}"),
                &candidate.crm_user_id,
                &label,
                i == 0,
            )?;
            confirm.append_child(&row)?;
        }
        let s = shared.clone();
        let m = mailbox.clone();
        let confirm_button = dom::button(&t("onbConfirmCrmUser"), "confirm-crm-user", move || {
            let chosen = dom::document()
                .ok()
                .and_then(|d| {
                    d.query_selector("input[name=crm-user]:checked")
                        .ok()
                        .flatten()
                })
                .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
                .map(|i| i.value());
            let Some(crm_user_id) = chosen else { return };
            let client = if outlook.checked() {
                "outlook"
            } else {
                "gmail"
            };
            let address = m.value();
            let inner = s.clone();
            act(&s, async move {
                let _: Value = rpc::api(
                    "POST",
                    "/api/v1/me/crm-user",
                    Some(json!({"crm_user_id": crm_user_id})),
                )
                .await?;
                {
                    let mut state = inner.borrow_mut();
                    state.candidates.clear();
                    state.mismatch = false;
                }
                put(&inner, json!({"email_client": client, "mailbox": address})).await
            });
        })?;
        confirm.append_child(&*actions(&[&confirm_button])?)?;
        form.append_child(&confirm)?;
    }

    let s = shared.clone();
    let submit = dom::primary(&t("onbContinue"), "email-continue", move || {
        let client = if gmail.checked() { "gmail" } else { "outlook" };
        let address = mailbox.value().trim().to_string();
        if address.is_empty() {
            dom::set_field_error("onb-mailbox", &t("onbMailboxRequired"));
            return;
        }
        s.borrow_mut().draft = Some((client, address.clone()));
        let inner = s.clone();
        act(&s, async move {
            let result = put(&inner, json!({"email_client": client, "mailbox": address})).await;
            inner.borrow_mut().mismatch =
                matches!(&result, Err(error) if error.code == "mailbox_mismatch");
            match result {
                Err(error) if error.code == "mailbox_mismatch" => {
                    // The server lets the user say which Salesforce user they are.
                    let connection: Result<MyCrmConnection, _> =
                        rpc::api("GET", "/api/v1/me/crm-connection", None).await;
                    if let Ok(connection) = connection {
                        inner.borrow_mut().candidates = connection.candidates;
                    }
                    Err(error)
                }
                other => other,
            }
        });
    })?;
    form.append_child(&*actions(&[&submit])?)?;
    let submit_on_enter = submit.clone();
    dom::on(&form, "submit", move |event| {
        event.prevent_default();
        submit_on_enter.click();
    });
    Ok(form)
}

fn signature(shared: &Shared, state: &State) -> Result<Element, JsValue> {
    let body = el("div")?;
    body.append_child(&*msg("p", "onbSignatureText")?)?;
    let current = state
        .auth
        .as_ref()
        .and_then(|a| a.me.as_ref())
        .map(|me| me.profile.signature.clone())
        .unwrap_or_default();
    let (field, area) =
        dom::textarea_field("onb-signature", &t("settingsSignatureLabel"), &current, 6)?;
    body.append_child(&field)?;
    let s = shared.clone();
    let save = dom::primary(&t("onbSaveSignature"), "signature-save", move || {
        let signature = area.value();
        let inner = s.clone();
        act(&s, async move {
            let profile: Profile = rpc::api(
                "PUT",
                "/api/v1/me/profile",
                Some(json!({"signature": signature})),
            )
            .await?;
            if let Some(me) = inner.borrow_mut().auth.as_mut().and_then(|a| a.me.as_mut()) {
                me.profile = profile;
            }
            put(&inner, json!({"signature": "done"})).await
        });
    })?;
    let s = shared.clone();
    let skip = dom::button(&t("onbSkip"), "signature-skip", move || {
        let inner = s.clone();
        act(&s, async move {
            put(&inner, json!({"signature": "skipped"})).await
        });
    })?;
    body.append_child(&*actions(&[&save, &skip])?)?;
    Ok(body)
}

fn finish(shared: &Shared) -> Result<Element, JsValue> {
    let body = el("div")?;
    body.append_child(&*msg("p", "onbFinishText")?)?;
    let s = shared.clone();
    let done = dom::primary(&t("onbFinish"), "finish", move || {
        let inner = s.clone();
        act(
            &s,
            async move { put(&inner, json!({"finished": true})).await },
        );
    })?;
    body.append_child(&*actions(&[&done])?)?;
    Ok(body)
}

fn tour(shared: &Shared, slide: usize) -> Result<Element, JsValue> {
    let body = el("div")?;
    let index = slide.min(flow::TOUR.len() - 1);
    let (title, text_name) = flow::TOUR[index];
    let slide_el = with_class(el("div")?, "tour");
    dom::testid(&slide_el, "tour-slide")?;
    slide_el.set_attribute("data-slide", &(index + 1).to_string())?;
    slide_el.append_child(&*msg("h3", title)?)?;
    slide_el.append_child(&*msg("p", text_name)?)?;
    let count = text(
        "p",
        &t_with(
            "progressOf",
            &[&(index + 1).to_string(), &flow::TOUR.len().to_string()],
        ),
    )?;
    count.set_class_name("note");
    slide_el.append_child(&count)?;
    body.append_child(&slide_el)?;
    let last = index + 1 >= flow::TOUR.len();
    let s = shared.clone();
    let next = dom::primary(
        &t(if last { "onbTourDone" } else { "onbTourNext" }),
        "tour-next",
        move || {
            if last {
                let inner = s.clone();
                act(
                    &s,
                    async move { put(&inner, json!({"tour": "done"})).await },
                );
            } else {
                s.borrow_mut().tour_slide = index + 1;
                let _ = render(&s);
            }
        },
    )?;
    let s = shared.clone();
    let later = dom::button(&t("onbTourNotNow"), "tour-not-now", move || {
        let inner = s.clone();
        act(
            &s,
            async move { put(&inner, json!({"tour": "skipped"})).await },
        );
    })?;
    body.append_child(&*actions(&[&next, &later])?)?;
    Ok(body)
}

fn done(state: &State) -> Result<Element, JsValue> {
    let body = el("div")?;
    body.append_child(&*msg("p", "onbDoneText")?)?;
    let client = state.onboarding.as_ref().and_then(|o| o.email_client);
    let mail_label = match client {
        Some(EmailClient::Outlook) => "onbOpenOutlook",
        _ => "onbOpenGmail",
    };
    let salesforce = dom::link_button(
        &t("onbOpenSalesforce"),
        flow::SALESFORCE_URL,
        "open-salesforce",
    )?;
    let mail = dom::link_button(&t(mail_label), flow::mail_url(client), "open-mail")?;
    body.append_child(&*actions(&[&salesforce, &mail])?)?;
    Ok(body)
}
