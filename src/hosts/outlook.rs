//! Outlook on the web (office.com, office365.com, live.com). Hooks from host-dom.md (toggl,
//! evicypher, common use). Aria labels are localized, so the French ones follow the English.

use super::{
    list, ComposeHooks, HostKind, HostSpec, PanelSlot, Placement, RecipientField, SPEC_VERSION,
};

fn recipients(labels: &[&str]) -> RecipientField {
    let mut chips: Vec<String> = labels
        .iter()
        .map(|label| {
            format!("div[aria-label=\"{label}\"][contenteditable=true] span[title*=\"@\"]")
        })
        .collect();
    chips.extend(
        labels
            .iter()
            .map(|label| format!("[aria-label=\"{label}\"] span[title*=\"@\"]")),
    );
    RecipientField {
        chips,
        address_attributes: list(&["title", "data-email", "aria-label"]),
    }
}

pub(super) fn spec() -> HostSpec {
    HostSpec {
        version: SPEC_VERSION,
        host: HostKind::Outlook,
        hostnames: list(&["outlook.office.com", "outlook.office365.com", "outlook.live.com"]),
        markers: Vec::new(),
        compose: Some(ComposeHooks {
            // The compose form is the nearest block holding both the command toolbar and a
            // subject field.
            root: list(&[
                "div[role=main] div:has(> [aria-label=\"Command toolbar\"]):has(input[aria-label=\"Add a subject\"])",
                "div:has(> [aria-label=\"Command toolbar\"]):has(input[aria-label=\"Add a subject\"])",
                "div:has(> [aria-label=\"Command toolbar\"]):has(input[aria-label=\"Ajouter un objet\"])",
            ]),
            anchors: list(&["input[aria-label=\"Add a subject\"]", "input[aria-label=\"Ajouter un objet\"]"]),
            to: recipients(&["To", "À"]),
            cc: recipients(&["Cc"]),
            bcc: recipients(&["Bcc", "Cci"]),
            subject: list(&[
                "input[aria-label=\"Add a subject\"]",
                "input[aria-label=\"Ajouter un objet\"]",
            ]),
            body: list(&[
                "div[role=textbox][aria-label=\"Message body\"][contenteditable=true]",
                "div[role=textbox][contenteditable=true]",
            ]),
            send: list(&[
                "button[aria-label=\"Send\"]",
                "button[aria-label=\"Envoyer\"]",
                "button[name=\"Send\"]",
                ".ms-Button--primary",
            ]),
        }),
        panel: PanelSlot {
            containers: list(&["[role=complementary]", "div[aria-label=\"Reading Pane\"]"]),
            placement: Placement::Append,
        },
        record: None,
    }
}
