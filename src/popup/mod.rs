//! The toolbar popup: signed out ("Sign in with Salesforce"), signed in (name, email,
//! account, links), or refused by the server (what to do). [`view`] decides what is shown
//! (pure, tested natively); `dom` (WASM only) builds it with web-sys, texts from `_locales`.

#[cfg(target_arch = "wasm32")]
pub mod dom;

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
}
