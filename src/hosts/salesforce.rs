//! Salesforce Lightning Experience and Salesforce Classic. Hooks from host-dom.md (Salesforce
//! Inspector Reloaded, toggl). Lightning components live in shadow DOM: only their host
//! elements are visible to document queries, so these selectors stop at component hosts.

use super::{list, HostKind, HostSpec, PanelSlot, Placement, RecordHooks, SPEC_VERSION};

pub(super) fn lightning() -> HostSpec {
    HostSpec {
        version: SPEC_VERSION,
        host: HostKind::SalesforceLightning,
        hostnames: list(&["*.lightning.force.com"]),
        markers: list(&["one-app-nav-bar", "#auraLoadingBox", ".oneHeader"]),
        compose: None,
        panel: PanelSlot {
            // The active tab body, beside the record's main column (not inside a component).
            containers: list(&[
                "div.windowViewMode-normal.active",
                "section.oneConsoleTab .windowViewMode-maximized.active",
            ]),
            placement: Placement::Append,
        },
        record: Some(RecordHooks {
            urls: list(&["/lightning/r/{object}/{id}/view", "/lightning/r/{id}/view"]),
            title: list(&[
                "div.windowViewMode-normal.active .slds-page-header__title lightning-formatted-name",
                "div.windowViewMode-normal.active .slds-page-header__title lightning-formatted-text",
                ".slds-page-header__title lightning-formatted-name",
                ".slds-page-header__title lightning-formatted-text",
                ".slds-page-header__title",
            ]),
        }),
    }
}

pub(super) fn classic() -> HostSpec {
    HostSpec {
        version: SPEC_VERSION,
        host: HostKind::SalesforceClassic,
        // My Domain: every org's Classic pages are served there since enhanced domains (legacy
        // instance hosts such as na1.salesforce.com only redirect to it).
        hostnames: list(&["*.my.salesforce.com"]),
        markers: list(&["body.sfdcBody"]),
        compose: None,
        panel: PanelSlot {
            containers: list(&["#bodyCell"]),
            placement: Placement::Prepend,
        },
        record: Some(RecordHooks {
            urls: list(&["/{id}"]),
            title: list(&[
                "#bodyCell .bPageTitle h2.pageDescription",
                "#bodyCell .bPageTitle h2",
                "#bodyCell .bPageTitle",
            ]),
        }),
    }
}
