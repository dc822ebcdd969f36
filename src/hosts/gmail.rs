//! Gmail (mail.google.com). Hooks from host-dom.md (InboxSDK, gmail.js, mail-tracker).

use super::{
    list, ComposeHooks, HostKind, HostSpec, PanelSlot, Placement, RecipientField, SPEC_VERSION,
};

fn recipients(field: &str) -> RecipientField {
    RecipientField {
        chips: vec![
            // Chips UI: one option per recipient, the address in data-hovercard-id.
            format!("div[name={field}] div[role=option][data-name]"),
            format!("div[name={field}] [data-hovercard-id]"),
            // Older UI: hidden inputs per chip, or the raw field.
            format!("div[name={field}] .vR input[type=hidden]"),
            format!("textarea[name={field}]"),
            format!("input[name={field}]"),
        ],
        address_attributes: list(&["data-hovercard-id", "email", "value"]),
    }
}

pub(super) fn spec() -> HostSpec {
    HostSpec {
        version: SPEC_VERSION,
        host: HostKind::Gmail,
        hostnames: list(&["mail.google.com"]),
        markers: Vec::new(),
        compose: Some(ComposeHooks {
            root: list(&[
                "div[role=dialog]:has(form)",
                // Inline replies have no dialog: the form around the subject field is the root.
                "form:has(input[name=subjectbox])",
                "form:has(input[name=composeid])",
                "div.M9:has(form)",
                "div.AD:has(form)",
            ]),
            anchors: list(&["input[name=subjectbox]"]),
            to: recipients("to"),
            cc: recipients("cc"),
            bcc: recipients("bcc"),
            subject: list(&["input[name=subjectbox]"]),
            body: list(&[
                "div[contenteditable=true][aria-label=\"Message Body\"]",
                "div[contenteditable=true][g_editable=true]",
                "div[contenteditable=true][aria-label*=\"Message\"]",
                "[role=textbox][contenteditable=true]",
                ".Ap [g_editable=true]",
            ]),
            send: list(&[
                "div[role=button][data-tooltip^=\"Send\"]",
                "div[role=button][aria-label^=\"Send\"]",
                "div[role=button][data-tooltip^=\"Envoyer\"]",
                "div[role=button][aria-label^=\"Envoyer\"]",
                ".IZ .Up div > div[role=button]:not(.Uo):not([aria-haspopup=true])",
                "div.T-I.T-I-atl",
            ]),
        }),
        panel: PanelSlot {
            containers: list(&["div.aUx"]),
            placement: Placement::Append,
        },
        record: None,
    }
}
