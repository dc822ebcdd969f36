//! Profile and settings sections of the options page: personal details, signature, alert
//! preferences with quiet hours, default tracking and the never-log list. Each section saves
//! on its own (`PUT /api/v1/me/profile`); a server validation error shows beside its field.

use super::rpc;
use super::{fields, PageError};
use crate::ui::browser;
use crate::ui::components::{
    Button, ButtonRow, Checkbox, Loaded, Note, Section, Status, StatusLine, TextArea, TextInput,
};
use crate::ui::i18n::{t, t_with};
use leptos::prelude::*;
use leptos::task::spawn_local;
use salespane_api::me::UserSummary;
use salespane_api::profile::{AlertPreferences, Profile, QuietHours};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const PROFILE: &str = "/api/v1/me/profile";

/// Renders the sections into `container` (the options page's `#profile-settings`), which says
/// `data-settings="ready"` once they are drawn.
pub fn start(container: web_sys::Element) -> Result<(), JsValue> {
    let host: web_sys::HtmlElement = container.clone().dyn_into()?;
    container.set_text_content(None);
    container.set_attribute("data-settings", "loading")?;
    leptos::mount::mount_to(host, move || view! { <SettingsSections container/> }).forget();
    Ok(())
}

async fn load() -> Result<(UserSummary, Profile), PageError> {
    let auth = rpc::status().await?;
    let Some(me) = auth.me.filter(|_| auth.signed_in) else {
        return Err(PageError::local("not_signed_in", &t("settingsSignInFirst")));
    };
    let profile: Profile = rpc::api("GET", PROFILE, None).await?;
    Ok((me.user, profile))
}

#[component]
fn SettingsSections(container: web_sys::Element) -> impl IntoView {
    let data = LocalResource::new(load);
    Effect::new(move |_| {
        if data.with(|d| d.is_some()) {
            // Once drawn (after this turn's rendering).
            let container = container.clone();
            request_animation_frame(move || {
                let _ = container.set_attribute("data-settings", "ready");
            });
        }
    });
    view! {
        <Loaded
            data=Signal::derive(move || data.get())
            ready=|(user, profile): (UserSummary, Profile)| {
                view! {
                    <Details user/>
                    <Signature signature=profile.signature.clone()/>
                    <Alerts alerts=profile.alerts.clone()/>
                    <Tracking on=profile.default_track/>
                    <NeverLog list=profile.never_log.clone()/>
                }
            }
        />
    }
}

/// A field's error line, and the server's name for the field.
type FieldErrors = Vec<(&'static str, RwSignal<String>)>;

/// A section's form: its fields (children), then Save (Enter in a field too) sends `body()`
/// to the profile. `body` may refuse with a field's error; the server's field errors land
/// beside the field they name; `saved` runs after a save.
#[component]
fn SavingForm<B>(
    testid: &'static str,
    errors: FieldErrors,
    body: B,
    #[prop(optional)] saved: Option<Callback<()>>,
    children: Children,
) -> impl IntoView
where
    B: Fn() -> Result<Value, (RwSignal<String>, String)> + 'static,
{
    let status = RwSignal::new(Status::default());
    let busy = Signal::derive(move || status.with(Status::is_busy));
    let save = move || {
        for (_, error) in &errors {
            error.set(String::new());
        }
        let payload = match body() {
            Ok(payload) => payload,
            Err((error, message)) => {
                error.set(message);
                status.set(Status::problem(t("settingsFixFields")));
                return;
            }
        };
        status.set(Status::busy(t("settingsSaving")));
        let errors = errors.clone();
        spawn_local(async move {
            let result: Result<Profile, PageError> = rpc::api("PUT", PROFILE, Some(payload)).await;
            match result {
                Ok(_) => {
                    if let Some(saved) = saved {
                        saved.run(());
                    }
                    status.set(Status::ok(t("settingsSaved")));
                }
                Err(error) => {
                    let named = fields::field_of(&error.message);
                    if let Some((_, line)) =
                        errors.iter().find(|(f, _)| Some(*f) == named.as_deref())
                    {
                        line.set(error.message.clone());
                    }
                    status.set(Status::error(&error));
                }
            }
        });
    };
    view! {
        <form
            novalidate=true
            on:submit=move |event| {
                event.prevent_default();
                save();
            }
        >
            {children()}
            <ButtonRow>
                <Button label=t("settingsSave") testid=format!("{testid}-save") primary=true busy submit=true on_click=|| {}/>
            </ButtonRow>
            <StatusLine testid=format!("{testid}-status") status/>
        </form>
    }
}

#[component]
fn Details(user: UserSummary) -> impl IntoView {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let name = RwSignal::new(user.name.clone());
    let title = RwSignal::new(text(&user.title));
    let phone = RwSignal::new(text(&user.phone));
    let photo = RwSignal::new(text(&user.photo_url));
    let fields = [
        ("name", name),
        ("title", title),
        ("phone", phone),
        ("photo_url", photo),
    ];
    // What the server holds: only what the user changed is sent, so a value the CRM gave
    // (say, an http photo address) does not block saving another field.
    let baseline = RwSignal::new(fields.map(|(_, v)| v.get_untracked().trim().to_string()));
    let errors = [(); 4].map(|_| RwSignal::new(String::new()));
    let body = move || {
        if name.get_untracked().trim().is_empty() {
            return Err((errors[0], t("settingsNameRequired")));
        }
        let before = baseline.get_untracked();
        let mut body = serde_json::Map::new();
        for (i, (key, value)) in fields.iter().enumerate() {
            let now = value.get_untracked().trim().to_string();
            if now != before[i] {
                body.insert(key.to_string(), Value::from(now));
            }
        }
        Ok(Value::Object(body))
    };
    let saved = Callback::new(move |_| {
        baseline.set(fields.map(|(_, v)| v.get_untracked().trim().to_string()));
    });
    view! {
        <Section title="settingsDetailsHeading" testid="settings-details">
            <SavingForm
                testid="settings-details"
                errors=vec![("name", errors[0]), ("title", errors[1]), ("phone", errors[2]), ("photo_url", errors[3])]
                body
                saved
            >
                <p class="note">{t_with("settingsEmailIs", &[&user.email])}</p>
                <TextInput id="set-name" label=t("settingsName") value=name error=errors[0] autocomplete="name"/>
                <TextInput id="set-title" label=t("settingsJobTitle") value=title error=errors[1]/>
                <TextInput id="set-phone" label=t("settingsPhone") kind="tel" value=phone error=errors[2] autocomplete="tel"/>
                <TextInput id="set-photo" label=t("settingsPhotoUrl") kind="url" value=photo error=errors[3]/>
            </SavingForm>
        </Section>
    }
}

#[component]
fn Signature(signature: String) -> impl IntoView {
    let value = RwSignal::new(signature);
    let error = RwSignal::new(String::new());
    view! {
        <Section title="settingsSignatureHeading" testid="settings-signature">
            <Note message="settingsSignatureNote"/>
            <SavingForm
                testid="settings-signature"
                errors=vec![("signature", error)]
                body=move || Ok(json!({"signature": value.get_untracked()}))
            >
                <TextArea id="set-signature" label=t("settingsSignatureLabel") value rows=6 error/>
            </SavingForm>
        </Section>
    }
}

#[component]
fn Alerts(alerts: AlertPreferences) -> impl IntoView {
    let on_open = RwSignal::new(alerts.on_open);
    let on_click = RwSignal::new(alerts.on_click);
    let on_reply = RwSignal::new(alerts.on_reply);
    let on_visit = RwSignal::new(alerts.on_website_visit);
    let hours = alerts.quiet_hours.clone();
    let quiet_on = RwSignal::new(hours.is_some());
    let start = RwSignal::new(hours.as_ref().map_or("22:00".into(), |h| h.start.clone()));
    let end = RwSignal::new(hours.as_ref().map_or("07:00".into(), |h| h.end.clone()));
    let zone = RwSignal::new(
        hours
            .as_ref()
            .map(|h| h.time_zone.clone())
            .unwrap_or_else(browser::local_time_zone),
    );
    let (start_error, end_error, zone_error) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let body = move || {
        let quiet_hours = if quiet_on.get_untracked() {
            let (from, to) = (start.get_untracked(), end.get_untracked());
            for (error, value) in [(start_error, &from), (end_error, &to)] {
                if !fields::is_hh_mm(value) {
                    return Err((error, t("settingsTimeInvalid")));
                }
            }
            Some(QuietHours {
                start: from,
                end: to,
                time_zone: zone.get_untracked().trim().to_string(),
            })
        } else {
            None
        };
        let alerts = AlertPreferences {
            on_open: on_open.get_untracked(),
            on_click: on_click.get_untracked(),
            on_reply: on_reply.get_untracked(),
            on_website_visit: on_visit.get_untracked(),
            quiet_hours,
        };
        Ok(json!({"alerts": alerts}))
    };
    view! {
        <Section title="settingsAlertsHeading" testid="settings-alerts">
            <SavingForm
                testid="settings-alerts"
                errors=vec![
                    ("alerts.quiet_hours.start", start_error),
                    ("alerts.quiet_hours.end", end_error),
                    ("alerts.quiet_hours.time_zone", zone_error),
                ]
                body
            >
                <fieldset>
                    <legend>{t("settingsAlertsLegend")}</legend>
                    <Checkbox id="set-alert-open" label=t("settingsAlertOpen") checked=on_open/>
                    <Checkbox id="set-alert-click" label=t("settingsAlertClick") checked=on_click/>
                    <Checkbox id="set-alert-reply" label=t("settingsAlertReply") checked=on_reply/>
                    <Checkbox id="set-alert-visit" label=t("settingsAlertVisit") checked=on_visit/>
                </fieldset>
                <fieldset>
                    <legend>{t("settingsQuietLegend")}</legend>
                    <Checkbox id="set-quiet-on" label=t("settingsQuietOn") checked=quiet_on/>
                    <div class="field-row">
                        <TextInput id="set-quiet-start" label=t("settingsQuietStart") kind="time" value=start error=start_error/>
                        <TextInput id="set-quiet-end" label=t("settingsQuietEnd") kind="time" value=end error=end_error/>
                        <TextInput id="set-quiet-tz" label=t("settingsQuietZone") value=zone error=zone_error/>
                    </div>
                </fieldset>
            </SavingForm>
        </Section>
    }
}

#[component]
fn Tracking(on: bool) -> impl IntoView {
    let track = RwSignal::new(on);
    view! {
        <Section title="settingsTrackingHeading" testid="settings-tracking">
            <SavingForm
                testid="settings-tracking"
                errors=vec![]
                body=move || Ok(json!({"default_track": track.get_untracked()}))
            >
                <Checkbox id="set-default-track" label=t("settingsDefaultTrack") checked=track/>
            </SavingForm>
        </Section>
    }
}

#[component]
fn NeverLog(list: Vec<String>) -> impl IntoView {
    let value = RwSignal::new(list.join("\n"));
    let error = RwSignal::new(String::new());
    view! {
        <Section title="settingsNeverLogHeading" testid="settings-never-log">
            <Note message="settingsNeverLogNote"/>
            <SavingForm
                testid="settings-never-log"
                errors=vec![("never_log", error)]
                body=move || Ok(json!({"never_log": fields::parse_list(&value.get_untracked())}))
            >
                <TextArea id="set-never-log" label=t("settingsNeverLogLabel") value rows=5 error/>
            </SavingForm>
        </Section>
    }
}
