//! The toolbar popup: signed out ("Sign in with Salesforce"), signed in (name, email,
//! account, links), or refused by the server (what to do). [`view`] decides what is shown
//! (pure, tested natively); [`PopupCard`] shows it (a Leptos component, texts from
//! `_locales`); `app` (WASM only) talks to the background and keeps the card's state.

#[cfg(target_arch = "wasm32")]
pub mod app;

use crate::ui::i18n::{t, t_with};
use leptos::prelude::*;
use salespane_api::error::ErrorDetail;
use salespane_api::me::{Me, Role};

/// What the popup knows when it renders.
#[derive(Debug, Clone, PartialEq)]
pub struct PopupInput {
    pub signed_in: bool,
    pub me: Option<Me>,
    pub error: Option<ErrorDetail>,
    /// The configured identity provider's name ("Salesforce", "Okta").
    pub idp_name: String,
}

/// One visible line of the signed-in user's card: text from the server, shown as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub testid: &'static str,
    pub label: &'static str,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignIn,
    Onboarding,
    Admin,
    Options,
    SignOut,
}

impl Action {
    pub fn testid(self) -> &'static str {
        match self {
            Action::SignIn => "sign-in",
            Action::Onboarding => "open-onboarding",
            Action::Admin => "open-admin",
            Action::Options => "open-options",
            Action::SignOut => "sign-out",
        }
    }

    /// The `_locales` message of its label.
    pub fn label(self) -> &'static str {
        match self {
            Action::SignIn => "popupSignIn",
            Action::Onboarding => "popupOnboarding",
            Action::Admin => "popupAdmin",
            Action::Options => "popupOptions",
            Action::SignOut => "popupSignOut",
        }
    }
}

/// A problem to show: a `_locales` message saying what to do, and the detail as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: String,
    pub advice: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopupView {
    /// `signed-out`, `signed-in` or `refused`: on `<main data-state>` for tests and styles.
    pub state: &'static str,
    pub idp_name: String,
    pub fields: Vec<Field>,
    pub problem: Option<Problem>,
    pub actions: Vec<Action>,
}

/// The advice for an error code from the server or the background.
pub fn advice_for(code: &str) -> &'static str {
    match code {
        "not_imported" => "popupErrorNotImported",
        "no_seat" => "popupErrorNoSeat",
        "account_not_connected" | "unknown_account" => "popupErrorAccountNotConnected",
        "deactivated" | "user_deactivated" => "popupErrorDeactivated",
        "server_unreachable" | "server_timeout" | "no_host_permission" => {
            "popupErrorServerUnreachable"
        }
        "sign_in_cancelled" => "popupErrorCancelled",
        "idp_discovery_failed" => "popupErrorIdp",
        "session_ended" | "not_signed_in" | "invalid_token" | "unauthorized" => {
            "popupErrorSessionEnded"
        }
        "stored_state_refused" => "popupErrorStateRefused",
        "no_server" => "popupErrorNoServer",
        _ => "popupErrorOther",
    }
}

pub fn view(input: &PopupInput) -> PopupView {
    let problem = input.error.as_ref().map(|e| Problem {
        code: e.code.clone(),
        advice: advice_for(&e.code),
        detail: e.message.clone(),
    });
    match (&input.me, input.signed_in) {
        (Some(me), true) => {
            let mut actions = Vec::new();
            if me.onboarding.finished_at.is_none() {
                actions.push(Action::Onboarding);
            }
            // Sales users never see the admin entry; the server still checks every admin call.
            if me.user.role == Role::Admin {
                actions.push(Action::Admin);
            }
            actions.extend([Action::Options, Action::SignOut]);
            PopupView {
                state: "signed-in",
                idp_name: input.idp_name.clone(),
                fields: vec![
                    Field {
                        testid: "user-name",
                        label: "popupName",
                        value: me.user.name.clone(),
                    },
                    Field {
                        testid: "user-email",
                        label: "popupEmail",
                        value: me.user.email.clone(),
                    },
                    Field {
                        testid: "account-name",
                        label: "popupAccount",
                        value: me.account.name.clone(),
                    },
                ],
                problem,
                actions,
            }
        }
        (_, true) => PopupView {
            state: "refused",
            idp_name: input.idp_name.clone(),
            fields: Vec::new(),
            problem,
            actions: vec![Action::Options, Action::SignOut],
        },
        (_, false) => PopupView {
            state: "signed-out",
            idp_name: input.idp_name.clone(),
            fields: Vec::new(),
            problem,
            actions: vec![Action::SignIn, Action::Options],
        },
    }
}

/// The popup's card for `view`. `working` marks the popup busy while an action runs (the
/// pressed button says so too); `act` runs a pressed action.
#[component]
pub fn PopupCard(
    #[prop(into)] view: Signal<PopupView>,
    working: RwSignal<Option<Action>>,
    act: Callback<Action>,
) -> impl IntoView {
    let state = move || {
        if working.get().is_some() {
            "working"
        } else {
            view.with(|v| v.state)
        }
    };
    let fields = move || {
        view.with(|v| {
            if v.fields.is_empty() {
                let intro = (v.state == "signed-out").then(|| view! { <p>{t("popupSignedOut")}</p> });
                return intro.into_any();
            }
            let rows = v
                .fields
                .iter()
                .map(|field| {
                    view! {
                        <dt>{t(field.label)}</dt>
                        <dd data-testid=field.testid data-value=field.value.clone()>{field.value.clone()}</dd>
                    }
                })
                .collect_view();
            view! { <dl data-testid="user">{rows}</dl> }.into_any()
        })
    };
    let problem = move || {
        view.with(|v| {
            v.problem.clone().map(|problem| {
                let detail = (!problem.detail.is_empty())
                    .then(|| view! { <p class="note">{problem.detail.clone()}</p> });
                view! {
                    <div role="alert" class="problem" data-testid="problem" data-code=problem.code.clone()>
                        <p>{t(problem.advice)}</p>
                        {detail}
                    </div>
                }
            })
        })
    };
    let actions = move || {
        let (actions, idp_name) = view.with(|v| (v.actions.clone(), v.idp_name.clone()));
        actions
            .into_iter()
            .map(|action| {
                let label = match action {
                    Action::SignIn => t_with(action.label(), &[&idp_name]),
                    _ => t(action.label()),
                };
                let busy = move || working.get() == Some(action);
                view! {
                    <button
                        type="button"
                        class=(action == Action::SignIn).then_some("primary")
                        data-testid=action.testid()
                        disabled=move || working.get().is_some()
                        aria-busy=move || busy().then_some("true")
                        on:click=move |_| act.run(action)
                    >
                        {label}
                    </button>
                }
            })
            .collect_view()
    };
    view! {
        <main id="salespane-popup" data-state=state>
            <header>
                <h1>{t("popupHeading")}</h1>
            </header>
            {fields}
            {problem}
            <nav class="actions">{actions}</nav>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn me(role: &str, finished: bool) -> Me {
        serde_json::from_value(json!({
            "account": {"id":"a1","name":"Acme Sandbox","seat_limit":5,"seats_used":2,"crm_connected":true},
            "user": {"id":"u1","email":"ada.admin@acme.example","name":"Ada Admin","title":null,"phone":null,
                     "photo_url":null,"role":role,"status":"active","crm_user_id":null},
            "privileges": {"hidden_components":[],"can_manage_users":role == "admin"},
            "profile": serde_json::to_value(salespane_api::profile::Profile::default()).unwrap(),
            "onboarding": {"activated_at":1,"authorized":null,"email_client":null,"mailbox":null,
                           "signature":null,"finished_at": if finished { json!(5) } else { json!(null) },"tour":null},
            "signing_key": {"id":"k","secret":"","created_at":1},
            "crm_owner": null
        }))
        .unwrap()
    }

    fn input(me: Option<Me>, error: Option<(&str, &str)>) -> PopupInput {
        PopupInput {
            signed_in: me.is_some() || error.is_some_and(|(c, _)| c == "not_imported"),
            me,
            error: error.map(|(code, message)| ErrorDetail {
                code: code.into(),
                message: message.into(),
            }),
            idp_name: "Salesforce".into(),
        }
    }

    #[test]
    fn admins_see_admin_and_sales_users_never_do() {
        let admin = view(&input(Some(me("admin", false)), None));
        assert_eq!(admin.state, "signed-in");
        assert_eq!(
            admin.actions,
            vec![
                Action::Onboarding,
                Action::Admin,
                Action::Options,
                Action::SignOut
            ]
        );
        assert_eq!(admin.fields[0].value, "Ada Admin");
        assert_eq!(admin.fields[2].value, "Acme Sandbox");
        let seller = view(&input(Some(me("sales_user", true)), None));
        assert!(!seller.actions.contains(&Action::Admin));
        assert!(!seller.actions.contains(&Action::Onboarding));
    }

    #[test]
    fn errors_say_what_to_do() {
        let refused = view(&input(None, Some(("not_imported", "Ask your admin"))));
        assert_eq!(refused.state, "refused");
        let problem = refused.problem.unwrap();
        assert_eq!(problem.advice, "popupErrorNotImported");
        assert_eq!(problem.detail, "Ask your admin");
        assert!(refused.actions.contains(&Action::SignOut));
        let offline = view(&input(None, Some(("server_unreachable", "x"))));
        assert_eq!(offline.state, "signed-out");
        assert_eq!(
            offline.problem.unwrap().advice,
            "popupErrorServerUnreachable"
        );
        assert_eq!(offline.actions, vec![Action::SignIn, Action::Options]);
        assert_eq!(advice_for("something_new"), "popupErrorOther");
    }

    #[test]
    fn the_card_shows_server_text_as_text_and_marks_the_pressed_action() {
        let mut signed_in = view(&input(Some(me("admin", false)), None));
        signed_in.fields[0].value = "<b>Ada</b>".into();
        let shown = RwSignal::new(signed_in);
        let working = RwSignal::new(None);
        let act = Callback::new(|_: Action| {});
        let html = move || view! { <PopupCard view=shown working act/> }.to_html();
        let page = html();
        assert!(page.contains(r#"data-state="signed-in""#), "{page}");
        assert!(
            page.contains(r#"data-testid="user-name" data-value="&lt;b&gt;Ada&lt;/b&gt;""#),
            "{page}"
        );
        assert!(page.contains(r#"data-testid="open-admin""#), "{page}");
        assert!(!page.contains("disabled"), "{page}");
        working.set(Some(Action::SignOut));
        let busy = html();
        assert!(busy.contains(r#"data-state="working""#), "{busy}");
        assert_eq!(busy.matches("disabled").count(), 4, "{busy}");
        assert_eq!(busy.matches(r#"aria-busy="true""#).count(), 1, "{busy}");
        shown.set(view(&input(None, Some(("server_unreachable", "x")))));
        working.set(None);
        let out = html();
        assert!(out.contains(r#"data-code="server_unreachable""#), "{out}");
        assert!(out.contains("popupSignIn(Salesforce)"), "{out}");
    }
}
