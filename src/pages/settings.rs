//! Profile and settings sections of the options page: personal details, signature, alert
//! preferences with quiet hours, default tracking and the never-log list. Each section saves
//! on its own (`PUT /api/v1/me/profile`); a server validation error shows beside its field.

use super::rpc;
use super::view::{self, error_box, section};
use super::{fields, PageError};
use crate::ui::dom::{self, el, t, with_class};
use salespane_api::me::UserSummary;
use salespane_api::profile::{AlertPreferences, Profile, QuietHours};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlButtonElement};

const PROFILE: &str = "/api/v1/me/profile";

pub fn start(container: Element) -> Result<(), JsValue> {
    dom::clear(&container);
    container.set_attribute("data-settings", "loading")?;
    container.append_child(&*view::note("pageLoading")?)?;
    wasm_bindgen_futures::spawn_local(async move {
        let loaded = async {
            let auth = rpc::status().await?;
            let Some(me) = auth.me.filter(|_| auth.signed_in) else {
                return Err(PageError::local("not_signed_in", &t("settingsSignInFirst")));
            };
            let profile: Profile = rpc::api("GET", PROFILE, None).await?;
            Ok((me.user, profile))
        }
        .await;
        dom::clear(&container);
        // A failure to build elements leaves what was drawn so far; nothing else to do.
        let _ = match loaded {
            Ok((user, profile)) => draw(&container, &user, &profile),
            Err(error) => error_box(&error).and_then(|b| container.append_child(&b).map(|_| ())),
        };
        let _ = container.set_attribute("data-settings", "ready");
    });
    Ok(())
}

fn draw(container: &Element, user: &UserSummary, profile: &Profile) -> Result<(), JsValue> {
    container.append_child(&*details_section(user)?)?;
    container.append_child(&*signature_section(profile)?)?;
    container.append_child(&*alerts_section(&profile.alerts)?)?;
    container.append_child(&*tracking_section(profile)?)?;
    container.append_child(&*never_log_section(profile)?)?;
    Ok(())
}

/// The page's field id for a server field path.
fn field_id(field: &str) -> &'static str {
    match field {
        "signature" => "set-signature",
        "alerts.quiet_hours.start" => "set-quiet-start",
        "alerts.quiet_hours.end" => "set-quiet-end",
        "alerts.quiet_hours.time_zone" => "set-quiet-tz",
        "never_log" => "set-never-log",
        "name" => "set-name",
        "title" => "set-title",
        "phone" => "set-phone",
        "photo_url" => "set-photo",
        _ => "",
    }
}

/// A form whose Save button (and Enter in a field) sends `body()` to the profile.
fn saving_form(
    section: &Element,
    testid: &str,
    fields_ids: &'static [&'static str],
    body: impl Fn() -> Result<Value, (String, String)> + 'static,
) -> Result<(), JsValue> {
    let status = dom::status_line(&format!("{testid}-status"))?;
    let save: HtmlButtonElement =
        dom::primary(&t("settingsSave"), &format!("{testid}-save"), || {})?;
    let form = el("form")?;
    let line = status.clone();
    let button = save.clone();
    let saved_form = form.clone();
    dom::on(&save, "click", move |_| {
        for id in fields_ids {
            dom::set_field_error(id, "");
        }
        let payload = match body() {
            Ok(payload) => payload,
            Err((field, message)) => {
                dom::set_field_error(&field, &message);
                dom::set_status(&line, "error", &t("settingsFixFields"));
                return;
            }
        };
        view::set_busy(&button, true);
        dom::set_status(&line, "busy", &t("settingsSaving"));
        let (line, button, saved_form) = (line.clone(), button.clone(), saved_form.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let saved: Result<Profile, PageError> = rpc::api("PUT", PROFILE, Some(payload)).await;
            view::set_busy(&button, false);
            match saved {
                Ok(_) => {
                    // What is saved becomes the baseline for "changed" next time.
                    dom::mark_saved(&saved_form);
                    dom::set_status(&line, "ok", &t("settingsSaved"));
                }
                Err(error) => {
                    if let Some(field) = fields::field_of(&error.message) {
                        let id = field_id(&field);
                        if !id.is_empty() {
                            dom::set_field_error(id, &error.message);
                        }
                    }
                    view::show_error_in(&line, &error);
                }
            }
        });
    });
    form.set_attribute("novalidate", "")?;
    // Everything after the heading moves into the form.
    if let Some(heading) = section.first_element_child() {
        while let Some(child) = heading.next_element_sibling() {
            form.append_child(&child)?;
        }
    }
    form.append_child(&*view::actions(&[&save])?)?;
    form.append_child(&status)?;
    let submit = save.clone();
    dom::on(&form, "submit", move |event| {
        event.prevent_default();
        submit.click();
    });
    section.append_child(&form)?;
    Ok(())
}

fn details_section(user: &UserSummary) -> Result<Element, JsValue> {
    let s = section("settingsDetailsHeading", "settings-details")?;
    let (name_f, name) = dom::input_field("set-name", &t("settingsName"), "text", &user.name)?;
    name.set_attribute("autocomplete", "name")?;
    let (title_f, title) = dom::input_field(
        "set-title",
        &t("settingsJobTitle"),
        "text",
        user.title.as_deref().unwrap_or(""),
    )?;
    let (phone_f, phone) = dom::input_field(
        "set-phone",
        &t("settingsPhone"),
        "tel",
        user.phone.as_deref().unwrap_or(""),
    )?;
    phone.set_attribute("autocomplete", "tel")?;
    let (photo_f, photo) = dom::input_field(
        "set-photo",
        &t("settingsPhotoUrl"),
        "url",
        user.photo_url.as_deref().unwrap_or(""),
    )?;
    let email = with_class(
        dom::text("p", &dom::t_with("settingsEmailIs", &[&user.email]))?,
        "note",
    );
    dom::append(&s, &[&email, &name_f, &title_f, &phone_f, &photo_f])?;
    saving_form(
        &s,
        "settings-details",
        &["set-name", "set-title", "set-phone", "set-photo"],
        move || {
            let name_value = name.value().trim().to_string();
            if name_value.is_empty() {
                return Err(("set-name".into(), t("settingsNameRequired")));
            }
            // Only what the user changed is sent: a value the CRM gave (say, an http photo
            // address) must not block saving another field.
            let mut body = serde_json::Map::new();
            for (key, input) in [
                ("name", &name),
                ("title", &title),
                ("phone", &phone),
                ("photo_url", &photo),
            ] {
                let value = input.value().trim().to_string();
                if value != input.default_value().trim() {
                    body.insert(key.to_string(), Value::from(value));
                }
            }
            Ok(Value::Object(body))
        },
    )?;
    Ok(s)
}

fn signature_section(profile: &Profile) -> Result<Element, JsValue> {
    let s = section("settingsSignatureHeading", "settings-signature")?;
    let (field, area) = dom::textarea_field(
        "set-signature",
        &t("settingsSignatureLabel"),
        &profile.signature,
        6,
    )?;
    s.append_child(&*view::note("settingsSignatureNote")?)?;
    s.append_child(&field)?;
    saving_form(&s, "settings-signature", &["set-signature"], move || {
        Ok(json!({"signature": area.value()}))
    })?;
    Ok(s)
}

/// The browser's own time zone name (a sensible default for quiet hours).
fn local_time_zone() -> String {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &JsValue::from_str("timeZone"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| "UTC".to_string())
}

fn alerts_section(alerts: &AlertPreferences) -> Result<Element, JsValue> {
    let s = section("settingsAlertsHeading", "settings-alerts")?;
    let events = el("fieldset")?;
    events.append_child(&*dom::msg("legend", "settingsAlertsLegend")?)?;
    let (open_l, on_open) =
        dom::checkbox("set-alert-open", &t("settingsAlertOpen"), alerts.on_open)?;
    let (click_l, on_click) =
        dom::checkbox("set-alert-click", &t("settingsAlertClick"), alerts.on_click)?;
    let (reply_l, on_reply) =
        dom::checkbox("set-alert-reply", &t("settingsAlertReply"), alerts.on_reply)?;
    let (visit_l, on_visit) = dom::checkbox(
        "set-alert-visit",
        &t("settingsAlertVisit"),
        alerts.on_website_visit,
    )?;
    dom::append(&events, &[&open_l, &click_l, &reply_l, &visit_l])?;

    let quiet = el("fieldset")?;
    quiet.append_child(&*dom::msg("legend", "settingsQuietLegend")?)?;
    let hours = alerts.quiet_hours.clone();
    let (quiet_l, quiet_on) =
        dom::checkbox("set-quiet-on", &t("settingsQuietOn"), hours.is_some())?;
    let (start_f, start) = dom::input_field(
        "set-quiet-start",
        &t("settingsQuietStart"),
        "time",
        hours.as_ref().map_or("22:00", |h| h.start.as_str()),
    )?;
    let (end_f, end) = dom::input_field(
        "set-quiet-end",
        &t("settingsQuietEnd"),
        "time",
        hours.as_ref().map_or("07:00", |h| h.end.as_str()),
    )?;
    let zone = hours
        .as_ref()
        .map(|h| h.time_zone.clone())
        .unwrap_or_else(local_time_zone);
    let (tz_f, tz) = dom::input_field("set-quiet-tz", &t("settingsQuietZone"), "text", &zone)?;
    let row = with_class(el("div")?, "field-row");
    dom::append(&row, &[&start_f, &end_f, &tz_f])?;
    dom::append(&quiet, &[&quiet_l, &row])?;
    dom::append(&s, &[&events, &quiet])?;
    saving_form(
        &s,
        "settings-alerts",
        &["set-quiet-start", "set-quiet-end", "set-quiet-tz"],
        move || {
            let quiet_hours = if quiet_on.checked() {
                let (start, end) = (start.value(), end.value());
                for (id, value) in [("set-quiet-start", &start), ("set-quiet-end", &end)] {
                    if !fields::is_hh_mm(value) {
                        return Err((id.to_string(), t("settingsTimeInvalid")));
                    }
                }
                Some(QuietHours {
                    start,
                    end,
                    time_zone: tz.value().trim().to_string(),
                })
            } else {
                None
            };
            let alerts = AlertPreferences {
                on_open: on_open.checked(),
                on_click: on_click.checked(),
                on_reply: on_reply.checked(),
                on_website_visit: on_visit.checked(),
                quiet_hours,
            };
            Ok(json!({"alerts": alerts}))
        },
    )?;
    Ok(s)
}

fn tracking_section(profile: &Profile) -> Result<Element, JsValue> {
    let s = section("settingsTrackingHeading", "settings-tracking")?;
    let (track_l, track) = dom::checkbox(
        "set-default-track",
        &t("settingsDefaultTrack"),
        profile.default_track,
    )?;
    s.append_child(&track_l)?;
    saving_form(&s, "settings-tracking", &[], move || {
        Ok(json!({"default_track": track.checked()}))
    })?;
    Ok(s)
}

fn never_log_section(profile: &Profile) -> Result<Element, JsValue> {
    let s = section("settingsNeverLogHeading", "settings-never-log")?;
    s.append_child(&*view::note("settingsNeverLogNote")?)?;
    let (field, area) = dom::textarea_field(
        "set-never-log",
        &t("settingsNeverLogLabel"),
        &profile.never_log.join("\n"),
        5,
    )?;
    s.append_child(&field)?;
    saving_form(&s, "settings-never-log", &["set-never-log"], move || {
        Ok(json!({"never_log": fields::parse_list(&area.value())}))
    })?;
    Ok(s)
}
