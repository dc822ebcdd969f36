//! Onboarding (onboarding.html): Welcome → Activate with Salesforce → Authorize → email
//! client and mailbox → Signature → Finish → quick tour → open Salesforce or the mail.
//! Each step is stored on the server (`PUT /api/v1/me/onboarding`), so a reload resumes.
//! The page's state lives in signals ([`Ctx`]): the step card redraws when the step changes;
//! busy buttons, errors and the tour's slide update in place.

use super::flow::{self, Step};
use super::rpc::{self, AuthStatus};
use super::{fields, PageError};
use crate::ui::browser;
use crate::ui::components::{
    Button, ButtonRow, ErrorBox, LinkButton, Loading, Note, PageFrame, Radio, Section, TextArea,
    TextInput,
};
use crate::ui::i18n::{t, t_with};
use leptos::prelude::*;
use leptos::task::spawn_local;
use salespane_api::me::{CrmUserCandidate, MyCrmConnection};
use salespane_api::profile::{EmailClient, Onboarding, Profile};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

const ONBOARDING: &str = "/api/v1/me/onboarding";

/// The page's state, one signal per part that changes on its own.
#[derive(Clone, Copy)]
struct Ctx {
    loaded: RwSignal<bool>,
    auth: RwSignal<Option<AuthStatus>>,
    onboarding: RwSignal<Option<Onboarding>>,
    /// The user has left the welcome screen in this page (nothing is stored before sign-in).
    started: RwSignal<bool>,
    tour_slide: RwSignal<usize>,
    busy: RwSignal<bool>,
    error: RwSignal<Option<PageError>>,
    /// The authorize window was opened: checking the connection comes next.
    authorize_opened: RwSignal<bool>,
    connection: RwSignal<Option<MyCrmConnection>>,
    /// After a mailbox mismatch: the Salesforce users the user may say they are.
    candidates: RwSignal<Vec<CrmUserCandidate>>,
    /// The mailbox was refused as not the user's Salesforce address.
    mismatch: RwSignal<bool>,
    /// The email step's choices (kept while the page lives).
    client: RwSignal<String>,
    mailbox: RwSignal<String>,
    mailbox_error: RwSignal<String>,
    signature_error: RwSignal<String>,
}

impl Ctx {
    fn new() -> Ctx {
        Ctx {
            loaded: RwSignal::new(false),
            auth: RwSignal::new(None),
            onboarding: RwSignal::new(None),
            started: RwSignal::new(false),
            tour_slide: RwSignal::new(0),
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
            authorize_opened: RwSignal::new(false),
            connection: RwSignal::new(None),
            candidates: RwSignal::new(Vec::new()),
            mismatch: RwSignal::new(false),
            client: RwSignal::new(String::new()),
            mailbox: RwSignal::new(String::new()),
            mailbox_error: RwSignal::new(String::new()),
            signature_error: RwSignal::new(String::new()),
        }
    }

    fn step(&self) -> Step {
        let signed_in = self.auth.with(|a| a.as_ref().is_some_and(|a| a.signed_in));
        self.onboarding
            .with(|o| flow::resume(signed_in, self.started.get(), o.as_ref()))
    }

    fn me_email(&self) -> String {
        self.auth.with_untracked(|a| {
            a.as_ref()
                .and_then(|a| a.me.as_ref())
                .map(|me| me.user.email.clone())
                .unwrap_or_default()
        })
    }

    /// Runs an action: busy while it runs; its error shown after, beside its field too.
    fn act(self, work: impl std::future::Future<Output = Result<(), PageError>> + 'static) {
        self.busy.set(true);
        self.error.set(None);
        self.mailbox_error.set(String::new());
        self.signature_error.set(String::new());
        spawn_local(async move {
            let result = work.await;
            self.busy.set(false);
            self.loaded.set(true);
            if let Err(error) = result {
                // The mailbox errors do not always start with the field's name.
                let field = match error.code.as_str() {
                    "mailbox_mismatch" | "invalid_mailbox" => Some("mailbox".to_string()),
                    _ => fields::field_of(&error.message),
                };
                // The alert holds the server's whole message; the field says why in a few words.
                let short = match error.advice_message() {
                    Some(advice) => t(advice),
                    None => error.message.clone(),
                };
                match field.as_deref() {
                    Some("mailbox") => self.mailbox_error.set(short),
                    Some("signature") => self.signature_error.set(short),
                    _ => {}
                }
                self.error.set(Some(error));
            }
        });
    }

    async fn put(self, update: Value) -> Result<(), PageError> {
        let onboarding: Onboarding = rpc::api("PUT", ONBOARDING, Some(update)).await?;
        self.onboarding.set(Some(onboarding));
        Ok(())
    }

    async fn load_after_auth(self, auth: AuthStatus) -> Result<(), PageError> {
        let signed_in = auth.signed_in;
        let auth_error = auth.error.clone();
        self.auth.set(Some(auth));
        self.loaded.set(true);
        if signed_in {
            let onboarding: Onboarding = rpc::api("GET", ONBOARDING, None).await?;
            self.onboarding.set(Some(onboarding));
        } else if let Some(detail) = auth_error {
            self.started.set(true);
            return Err(PageError {
                status: 403,
                code: detail.code,
                message: detail.message,
            });
        }
        Ok(())
    }
}

/// Renders the page in place of onboarding.html's `#salespane-page`.
pub fn start() -> Result<(), JsValue> {
    browser::mount_in_place_of("salespane-page", || view! { <OnboardingPage/> })
}

#[component]
fn OnboardingPage() -> impl IntoView {
    let ctx = Ctx::new();
    ctx.act(async move {
        let auth = rpc::status().await?;
        ctx.load_after_auth(auth).await
    });
    let step = Memo::new(move |_| ctx.step());
    let shown_step = Signal::derive(move || {
        if ctx.loaded.get() {
            step.get().name().to_string()
        } else {
            "loading".to_string()
        }
    });
    view! {
        <PageFrame page="onboarding" heading="onbHeading" subtitle=t("onbIntro") step=shown_step busy=ctx.busy>
            {move || {
                if !ctx.loaded.get() {
                    return view! { <Loading/> }.into_any();
                }
                view! {
                    <Steps current=step/>
                    <StepCard ctx step/>
                }
                    .into_any()
            }}
        </PageFrame>
    }
}

/// Where the user is among the listed steps.
#[component]
fn Steps(current: Memo<Step>) -> impl IntoView {
    let items = Step::LISTED
        .into_iter()
        .map(|step| {
            view! {
                <li
                    aria-current=move || (current.get() == step).then_some("step")
                    data-done=move || (step < current.get()).then_some("true")
                >
                    {t(step.title_message())}
                </li>
            }
        })
        .collect_view();
    view! {
        <nav aria-label=t("onbStepsLabel")>
            <ol class="steps">{items}</ol>
        </nav>
    }
}

/// The current step's card; drawn again only when the step changes, and then focused.
#[component]
fn StepCard(ctx: Ctx, step: Memo<Step>) -> impl IntoView {
    move || {
        let step = step.get();
        let heading = NodeRef::<leptos::html::H2>::new();
        Effect::new(move |_| {
            if let Some(heading) = heading.get() {
                let _ = heading.focus();
            }
        });
        let body = match step {
            Step::Welcome => welcome(ctx).into_any(),
            Step::Activate => activate(ctx).into_any(),
            Step::Authorize => view! { <AuthorizeStep ctx/> }.into_any(),
            Step::EmailClient => email_client(ctx).into_any(),
            Step::Signature => signature(ctx).into_any(),
            Step::Finish => finish(ctx).into_any(),
            Step::Tour => tour(ctx).into_any(),
            Step::Done => done(ctx).into_any(),
        };
        view! {
            <Section title=step.title_message() testid=format!("step-{}", step.name()) heading_ref=heading>
                {move || ctx.error.get().map(|error| view! { <ErrorBox error/> })}
                {body}
            </Section>
        }
    }
}

fn welcome(ctx: Ctx) -> impl IntoView {
    view! {
        <p>{t("onbWelcomeText")}</p>
        <ButtonRow>
            <Button label=t("onbStart") testid="start" primary=true disabled=ctx.busy on_click=move || ctx.started.set(true)/>
        </ButtonRow>
    }
}

fn activate(ctx: Ctx) -> impl IntoView {
    let sign_in = move || {
        ctx.act(async move {
            let hint = browser::query_param("login_hint");
            let auth = rpc::sign_in(hint.as_deref()).await?;
            ctx.load_after_auth(auth).await
        })
    };
    view! {
        <p>{t("onbActivateText")}</p>
        <Note message="onbActivateApiNote"/>
        <ButtonRow>
            <Button label=t("onbSignIn") testid="sign-in" primary=true disabled=ctx.busy on_click=sign_in/>
        </ButtonRow>
    }
}

/// Connects the user's own Salesforce user (a personal connection): Salesforce's sign-in runs
/// in the browser's identity window and the background hands the code to the server under
/// this user's token, so only the person who started it can finish it.
async fn connect_own_salesforce() -> Result<MyCrmConnection, PageError> {
    let hint = browser::query_param("login_hint");
    rpc::connect_crm(hint.as_deref()).await
}

/// The CRM "authorize" step on its own: connect Salesforce (the browser's sign-in window), check
/// the connection (it must allow API access), or skip.
#[component]
fn AuthorizeStep(ctx: Ctx) -> impl IntoView {
    let connect = move || {
        ctx.act(async move {
            let connection = connect_own_salesforce().await?;
            let ready = connection.connected && connection.api_enabled;
            ctx.authorize_opened.set(true);
            ctx.connection.set(Some(connection));
            if ready {
                ctx.put(json!({"authorized": "done"})).await?;
            }
            Ok(())
        })
    };
    let check = move || {
        ctx.act(async move {
            let connection: MyCrmConnection =
                rpc::api("GET", "/api/v1/me/crm-connection", None).await?;
            let ready = connection.connected && connection.api_enabled;
            ctx.connection.set(Some(connection));
            if ready {
                ctx.put(json!({"authorized": "done"})).await?;
            }
            Ok(())
        })
    };
    let skip = move || ctx.act(async move { ctx.put(json!({"authorized": "skipped"})).await });
    // Back from Salesforce, checking is the next thing to do.
    let checking_next =
        Signal::derive(move || ctx.authorize_opened.get() || ctx.connection.with(Option::is_some));
    let state = move || {
        ctx.connection.get().map(|connection| {
            if !connection.connected {
                return view! { <Note message="onbAuthorizeNotYet"/> }.into_any();
            }
            let who = connection.crm_username.clone().unwrap_or_default();
            let no_api = (!connection.api_enabled).then(|| {
                view! { <ErrorBox error=PageError::local("no_api_access", &t("errNoApiAccessDetail"))/> }
            });
            view! {
                <p data-testid="connected-as">{t_with("onbAuthorizeConnectedAs", &[&who])}</p>
                {no_api}
            }
                .into_any()
        })
    };
    let connect_button = move || {
        view! {
            <Button label=t("onbAuthorizeConnect") testid="authorize-connect" primary=Signal::derive(move || !checking_next.get()) disabled=ctx.busy on_click=connect/>
        }
    };
    view! {
        <p>{t("onbAuthorizeText")}</p>
        {state}
        <ButtonRow>
            <Show when=move || !checking_next.get()>{connect_button}</Show>
            <Button label=t("onbAuthorizeCheck") testid="authorize-check" primary=checking_next disabled=ctx.busy on_click=check/>
            <Show when=move || checking_next.get()>{connect_button}</Show>
            <Button label=t("onbSkip") testid="authorize-skip" disabled=ctx.busy on_click=skip/>
        </ButtonRow>
        <Note message="onbAuthorizeSkipNote"/>
    }
}

fn email_client(ctx: Ctx) -> impl IntoView {
    // First time on this step: what the server holds, else the user's own address.
    if ctx.client.get_untracked().is_empty() {
        let stored = ctx
            .onboarding
            .with_untracked(|o| o.as_ref().and_then(|o| o.email_client));
        ctx.client.set(
            if stored == Some(EmailClient::Outlook) {
                "outlook"
            } else {
                "gmail"
            }
            .into(),
        );
    }
    if ctx.mailbox.get_untracked().is_empty() {
        let stored = ctx
            .onboarding
            .with_untracked(|o| o.as_ref().and_then(|o| o.mailbox.clone()));
        ctx.mailbox.set(stored.unwrap_or_else(|| ctx.me_email()));
    }
    let submit = move || {
        let client = ctx.client.get_untracked();
        let address = ctx.mailbox.get_untracked().trim().to_string();
        if address.is_empty() {
            ctx.mailbox_error.set(t("onbMailboxRequired"));
            return;
        }
        ctx.act(async move {
            let result = ctx
                .put(json!({"email_client": client, "mailbox": address}))
                .await;
            let mismatch = matches!(&result, Err(error) if error.code == "mailbox_mismatch");
            ctx.mismatch.set(mismatch);
            if mismatch {
                // The server lets the user say which Salesforce user they are.
                let connection: Result<MyCrmConnection, _> =
                    rpc::api("GET", "/api/v1/me/crm-connection", None).await;
                if let Ok(connection) = connection {
                    ctx.candidates.set(connection.candidates);
                }
            }
            result
        });
    };
    view! {
        <form
            novalidate=true
            on:submit=move |event| {
                event.prevent_default();
                submit();
            }
        >
            <p>{t("onbEmailText")}</p>
            <fieldset>
                <legend>{t("onbEmailClientLegend")}</legend>
                <Radio name="client" id="onb-client-gmail" value="gmail" label=t("onbGmail") group=ctx.client/>
                <Radio name="client" id="onb-client-outlook" value="outlook" label=t("onbOutlook") group=ctx.client/>
            </fieldset>
            <TextInput id="onb-mailbox" label=t("onbMailboxLabel") kind="email" value=ctx.mailbox error=ctx.mailbox_error autocomplete="email"/>
            <Note message="onbMailboxNote"/>
            <Show when=move || ctx.mismatch.get() && ctx.candidates.with(Vec::is_empty)>
                <MismatchHelp ctx/>
            </Show>
            <Show when=move || !ctx.candidates.with(Vec::is_empty)>
                <CrmUserChoice ctx/>
            </Show>
            <ButtonRow>
                <Button label=t("onbContinue") testid="email-continue" primary=true disabled=ctx.busy submit=true on_click=|| {}/>
            </ButtonRow>
        </form>
    }
}

/// To say which Salesforce user they are, the user connects Salesforce first.
#[component]
fn MismatchHelp(ctx: Ctx) -> impl IntoView {
    let connect = move || {
        ctx.act(async move {
            let connection = connect_own_salesforce().await?;
            ctx.candidates.set(connection.candidates);
            Ok(())
        })
    };
    let reload = move || {
        ctx.act(async move {
            let connection: MyCrmConnection =
                rpc::api("GET", "/api/v1/me/crm-connection", None).await?;
            ctx.candidates.set(connection.candidates);
            Ok(())
        })
    };
    view! {
        <div data-testid="mismatch-help">
            <p>{t("onbMismatchConnect")}</p>
            <ButtonRow>
                <Button label=t("onbAuthorizeConnect") testid="mismatch-connect" disabled=ctx.busy on_click=connect/>
                <Button label=t("onbMismatchReload") testid="mismatch-reload" disabled=ctx.busy on_click=reload/>
            </ButtonRow>
        </div>
    }
}

/// After a mailbox mismatch: which Salesforce user the user is.
#[component]
fn CrmUserChoice(ctx: Ctx) -> impl IntoView {
    let candidates = ctx.candidates.get_untracked();
    let chosen = RwSignal::new(
        candidates
            .first()
            .map(|c| c.crm_user_id.clone())
            .unwrap_or_default(),
    );
    let options = candidates
        .into_iter()
        .enumerate()
        .map(|(i, candidate)| {
            let label = format!("{} ({}, {})", candidate.name, candidate.username, candidate.email);
            view! {
                <Radio name="crm-user" id=format!("onb-crm-user-{i}") value=candidate.crm_user_id label group=chosen/>
            }
        })
        .collect_view();
    let confirm = move || {
        let crm_user_id = chosen.get_untracked();
        if crm_user_id.is_empty() {
            return;
        }
        let (client, address) = (ctx.client.get_untracked(), ctx.mailbox.get_untracked());
        ctx.act(async move {
            let _: Value = rpc::api(
                "POST",
                "/api/v1/me/crm-user",
                Some(json!({"crm_user_id": crm_user_id})),
            )
            .await?;
            ctx.candidates.set(Vec::new());
            ctx.mismatch.set(false);
            ctx.put(json!({"email_client": client, "mailbox": address}))
                .await
        });
    };
    view! {
        <fieldset data-testid="crm-user-choice">
            <legend>{t("onbWhichCrmUser")}</legend>
            {options}
            <ButtonRow>
                <Button label=t("onbConfirmCrmUser") testid="confirm-crm-user" disabled=ctx.busy on_click=confirm/>
            </ButtonRow>
        </fieldset>
    }
}

fn signature(ctx: Ctx) -> impl IntoView {
    let current = ctx.auth.with_untracked(|a| {
        a.as_ref()
            .and_then(|a| a.me.as_ref())
            .map(|me| me.profile.signature.clone())
            .unwrap_or_default()
    });
    let value = RwSignal::new(current);
    let save = move || {
        let signature = value.get_untracked();
        ctx.act(async move {
            let profile: Profile = rpc::api(
                "PUT",
                "/api/v1/me/profile",
                Some(json!({"signature": signature})),
            )
            .await?;
            ctx.auth.update(|a| {
                if let Some(me) = a.as_mut().and_then(|a| a.me.as_mut()) {
                    me.profile = profile;
                }
            });
            ctx.put(json!({"signature": "done"})).await
        })
    };
    let skip = move || ctx.act(async move { ctx.put(json!({"signature": "skipped"})).await });
    view! {
        <p>{t("onbSignatureText")}</p>
        <TextArea id="onb-signature" label=t("settingsSignatureLabel") value rows=6 error=ctx.signature_error/>
        <ButtonRow>
            <Button label=t("onbSaveSignature") testid="signature-save" primary=true disabled=ctx.busy on_click=save/>
            <Button label=t("onbSkip") testid="signature-skip" disabled=ctx.busy on_click=skip/>
        </ButtonRow>
    }
}

fn finish(ctx: Ctx) -> impl IntoView {
    let done = move || ctx.act(async move { ctx.put(json!({"finished": true})).await });
    view! {
        <p>{t("onbFinishText")}</p>
        <ButtonRow>
            <Button label=t("onbFinish") testid="finish" primary=true disabled=ctx.busy on_click=done/>
        </ButtonRow>
    }
}

fn tour(ctx: Ctx) -> impl IntoView {
    let count = flow::TOUR.len();
    let index = Memo::new(move |_| ctx.tour_slide.get().min(count - 1));
    let last = move || index.get() + 1 >= count;
    let next = move || {
        if last() {
            ctx.act(async move { ctx.put(json!({"tour": "done"})).await });
        } else {
            ctx.tour_slide.set(index.get_untracked() + 1);
        }
    };
    let later = move || ctx.act(async move { ctx.put(json!({"tour": "skipped"})).await });
    view! {
        <div class="tour" data-testid="tour-slide" data-slide=move || (index.get() + 1).to_string()>
            <h3>{move || t(flow::TOUR[index.get()].0)}</h3>
            <p>{move || t(flow::TOUR[index.get()].1)}</p>
            <p class="note">
                {move || t_with("progressOf", &[&(index.get() + 1).to_string(), &count.to_string()])}
            </p>
        </div>
        <ButtonRow>
            <Button
                label=Signal::derive(move || t(if last() { "onbTourDone" } else { "onbTourNext" }))
                testid="tour-next"
                primary=true
                disabled=ctx.busy
                on_click=next
            />
            <Button label=t("onbTourNotNow") testid="tour-not-now" disabled=ctx.busy on_click=later/>
        </ButtonRow>
    }
}

fn done(ctx: Ctx) -> impl IntoView {
    let client = ctx
        .onboarding
        .with_untracked(|o| o.as_ref().and_then(|o| o.email_client));
    let mail_label = match client {
        Some(EmailClient::Outlook) => "onbOpenOutlook",
        _ => "onbOpenGmail",
    };
    view! {
        <p>{t("onbDoneText")}</p>
        <ButtonRow>
            <LinkButton label=t("onbOpenSalesforce") href=flow::SALESFORCE_URL testid="open-salesforce"/>
            <LinkButton label=t(mail_label) href=flow::mail_url(client) testid="open-mail"/>
        </ButtonRow>
    }
}
