//! The onboarding steps in order and where a user resumes, from the server's onboarding
//! state (pure: unit-tested natively).

use salespane_api::profile::{EmailClient, Onboarding};

/// One screen of onboarding, in the order a user meets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Welcome,
    Activate,
    Authorize,
    EmailClient,
    Signature,
    Finish,
    Tour,
    Done,
}

impl Step {
    /// The steps a progress indicator lists (the tour and the end are extras).
    pub const LISTED: [Step; 6] = [
        Step::Welcome,
        Step::Activate,
        Step::Authorize,
        Step::EmailClient,
        Step::Signature,
        Step::Finish,
    ];

    /// Stable name, used in `data-step` for tests and styles.
    pub fn name(self) -> &'static str {
        match self {
            Step::Welcome => "welcome",
            Step::Activate => "activate",
            Step::Authorize => "authorize",
            Step::EmailClient => "email-client",
            Step::Signature => "signature",
            Step::Finish => "finish",
            Step::Tour => "tour",
            Step::Done => "done",
        }
    }

    /// The `_locales` name of the step's title.
    pub fn title_message(self) -> &'static str {
        match self {
            Step::Welcome => "onbWelcomeTitle",
            Step::Activate => "onbActivateTitle",
            Step::Authorize => "onbAuthorizeTitle",
            Step::EmailClient => "onbEmailTitle",
            Step::Signature => "onbSignatureTitle",
            Step::Finish => "onbFinishTitle",
            Step::Tour => "onbTourTitle",
            Step::Done => "onbDoneTitle",
        }
    }
}

/// Where to resume. `started` says the user has left the welcome screen in this page (it
/// is not stored: nothing can be stored before sign-in).
pub fn resume(signed_in: bool, started: bool, state: Option<&Onboarding>) -> Step {
    let Some(state) = state.filter(|_| signed_in) else {
        return if started {
            Step::Activate
        } else {
            Step::Welcome
        };
    };
    if state.authorized.is_none() {
        Step::Authorize
    } else if state.email_client.is_none() || state.mailbox.is_none() {
        Step::EmailClient
    } else if state.signature.is_none() {
        Step::Signature
    } else if state.finished_at.is_none() {
        Step::Finish
    } else if state.tour.is_none() {
        Step::Tour
    } else {
        Step::Done
    }
}

/// Where "Open your mail" goes for the chosen client.
pub fn mail_url(client: Option<EmailClient>) -> &'static str {
    match client {
        Some(EmailClient::Outlook) => "https://outlook.office.com/mail/",
        _ => "https://mail.google.com/mail/u/0/",
    }
}

/// The Salesforce sign-in page (it forwards to the user's own org).
pub const SALESFORCE_URL: &str = "https://login.salesforce.com/";

/// The quick tour's slides: `_locales` names of each slide's title and text.
pub const TOUR: [(&str, &str); 3] = [
    ("onbTour1Title", "onbTour1Text"),
    ("onbTour2Title", "onbTour2Text"),
    ("onbTour3Title", "onbTour3Text"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use salespane_api::profile::StepChoice;

    #[test]
    fn signed_out_users_see_welcome_then_activate() {
        assert_eq!(resume(false, false, None), Step::Welcome);
        assert_eq!(resume(false, true, None), Step::Activate);
        // A stored state does not count before sign-in.
        let done = Onboarding {
            authorized: Some(StepChoice::Done),
            ..Default::default()
        };
        assert_eq!(resume(false, true, Some(&done)), Step::Activate);
    }

    #[test]
    fn resumes_at_the_first_step_not_passed() {
        let mut state = Onboarding {
            activated_at: Some(1),
            ..Default::default()
        };
        assert_eq!(resume(true, false, Some(&state)), Step::Authorize);
        state.authorized = Some(StepChoice::Skipped);
        assert_eq!(resume(true, false, Some(&state)), Step::EmailClient);
        state.email_client = Some(EmailClient::Outlook);
        // The client alone is not enough: the mailbox is part of the step.
        assert_eq!(resume(true, false, Some(&state)), Step::EmailClient);
        state.mailbox = Some("sam.seller@acme.example".into());
        assert_eq!(resume(true, false, Some(&state)), Step::Signature);
        state.signature = Some(StepChoice::Done);
        assert_eq!(resume(true, false, Some(&state)), Step::Finish);
        state.finished_at = Some(2);
        assert_eq!(resume(true, false, Some(&state)), Step::Tour);
        state.tour = Some(StepChoice::Skipped);
        assert_eq!(resume(true, false, Some(&state)), Step::Done);
        assert_eq!(
            mail_url(state.email_client),
            "https://outlook.office.com/mail/"
        );
    }

    #[test]
    fn steps_are_ordered_and_named_uniquely() {
        let mut sorted = Step::LISTED;
        sorted.sort();
        assert_eq!(sorted, Step::LISTED);
        let mut names: Vec<&str> = Step::LISTED.iter().map(|s| s.name()).collect();
        names.dedup();
        assert_eq!(names.len(), Step::LISTED.len());
    }
}
