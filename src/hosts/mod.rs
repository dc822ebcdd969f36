//! Host specs: for each host page Salespane works on, where its hooks are found. This is data,
//! not code: the background serialises a [`HostSpec`] to the content script, which only runs the
//! selectors it is given. A newer spec (higher `version`) may later come from the server, so a
//! host's markup change can be fixed without a store release.
//!
//! Every selector list is ordered: ARIA roles and labels or stable attributes first, document
//! structure next, obfuscated class names last. The content script takes the first that matches.

mod gmail;
mod outlook;
pub mod record;
mod salesforce;
#[cfg(test)]
mod selector_check;

use crate::weburl::WebUrl;
use serde::{Deserialize, Serialize};

/// The version of the built-in specs. Bump it whenever a selector or URL rule changes.
pub const SPEC_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostKind {
    Gmail,
    Outlook,
    SalesforceLightning,
    SalesforceClassic,
}

impl HostKind {
    pub const ALL: [HostKind; 4] = [
        HostKind::Gmail,
        HostKind::Outlook,
        HostKind::SalesforceLightning,
        HostKind::SalesforceClassic,
    ];

    /// The machine name, as serialised (`salesforce-lightning`...).
    pub fn as_str(self) -> &'static str {
        match self {
            HostKind::Gmail => "gmail",
            HostKind::Outlook => "outlook",
            HostKind::SalesforceLightning => "salesforce-lightning",
            HostKind::SalesforceClassic => "salesforce-classic",
        }
    }

    pub fn spec(self) -> HostSpec {
        match self {
            HostKind::Gmail => gmail::spec(),
            HostKind::Outlook => outlook::spec(),
            HostKind::SalesforceLightning => salesforce::lightning(),
            HostKind::SalesforceClassic => salesforce::classic(),
        }
    }
}

/// Everything the content script needs to know about one host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostSpec {
    pub version: u32,
    pub host: HostKind,
    /// Host names this spec applies to; `*.` matches any sub-domain (not the bare domain).
    pub hostnames: Vec<String>,
    /// Elements that confirm the host's app has loaded; empty when the URL is enough.
    pub markers: Vec<String>,
    /// Compose windows (mail hosts only).
    pub compose: Option<ComposeHooks>,
    pub panel: PanelSlot,
    /// Record pages (CRM hosts only).
    pub record: Option<RecordHooks>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComposeHooks {
    /// Compose roots, searched in the whole document; several may be open at once. A match
    /// inside (or around) an already found root is the same compose, not a new one.
    pub root: Vec<String>,
    /// Fields found only in a compose (the subject). One that no root match surrounds still
    /// marks a compose: its smallest ancestor that also holds a body (see `body`) is the root.
    pub anchors: Vec<String>,
    /// The fields below are searched inside each compose root.
    pub to: RecipientField,
    pub cc: RecipientField,
    pub bcc: RecipientField,
    pub subject: Vec<String>,
    pub body: Vec<String>,
    pub send: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecipientField {
    /// One element per recipient; the first selector that finds any is used.
    pub chips: Vec<String>,
    /// Attributes holding the address on a chip, tried in order (`value` for inputs).
    pub address_attributes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PanelSlot {
    /// Where the panel iframe goes: the first selector that matches.
    pub containers: Vec<String>,
    pub placement: Placement,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Placement {
    /// As the container's last child.
    Append,
    /// As the container's first child.
    Prepend,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordHooks {
    /// Path templates of record pages: literal segments, `{object}` (an API name) and `{id}`
    /// (a 15- or 18-character id). Matched by the background, see [`record`].
    pub urls: Vec<String>,
    /// The record's display name on the page.
    pub title: Vec<String>,
}

/// The spec for the page at `url`, if Salespane works there.
pub fn spec_for_url(url: &WebUrl) -> Option<HostSpec> {
    HostKind::ALL
        .into_iter()
        .map(HostKind::spec)
        .find(|spec| spec.matches_host(&url.host))
}

impl HostSpec {
    pub fn matches_host(&self, host: &str) -> bool {
        self.hostnames
            .iter()
            .any(|pattern| match pattern.strip_prefix("*.") {
                Some(domain) => host
                    .strip_suffix(domain)
                    .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
                None => host == pattern,
            })
    }

    /// Every selector the spec holds, for checks.
    pub fn all_selectors(&self) -> Vec<&str> {
        let mut lists: Vec<&Vec<String>> = vec![&self.markers, &self.panel.containers];
        if let Some(c) = &self.compose {
            lists.extend([
                &c.root,
                &c.anchors,
                &c.to.chips,
                &c.cc.chips,
                &c.bcc.chips,
                &c.subject,
                &c.body,
                &c.send,
            ]);
        }
        if let Some(record) = &self.record {
            lists.push(&record.title);
        }
        lists.into_iter().flatten().map(String::as_str).collect()
    }
}

/// Builds an owned selector list from literals.
fn list(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_of(url: &str) -> Option<HostKind> {
        spec_for_url(&WebUrl::parse(url).unwrap()).map(|s| s.host)
    }

    #[test]
    fn urls_map_to_their_host() {
        assert_eq!(
            host_of("https://mail.google.com/mail/u/0/#inbox"),
            Some(HostKind::Gmail)
        );
        for outlook in [
            "https://outlook.office.com/mail/",
            "https://outlook.office365.com/mail/inbox",
            "https://outlook.live.com/mail/0/",
        ] {
            assert_eq!(host_of(outlook), Some(HostKind::Outlook), "{outlook}");
        }
        assert_eq!(
            host_of("https://acme.lightning.force.com/lightning/r/Lead/00Q5g00000AbCdE/view"),
            Some(HostKind::SalesforceLightning)
        );
        assert_eq!(
            host_of("https://acme.my.salesforce.com/00Q5g00000AbCdE"),
            Some(HostKind::SalesforceClassic)
        );
        // Not every *.salesforce.com page: legacy instance hosts redirect to My Domain.
        assert_eq!(host_of("https://na1.salesforce.com/001"), None);
        assert_eq!(host_of("https://help.salesforce.com/s/"), None);
        assert_eq!(host_of("https://salesforce.com/"), None);
        assert_eq!(host_of("https://lightning.force.com/"), None);
        assert_eq!(host_of("https://evilsalesforce.com/"), None);
        assert_eq!(host_of("https://mail.google.com.evil.example/"), None);
        assert_eq!(host_of("https://example.com/"), None);
    }

    #[test]
    fn every_spec_is_current_and_complete() {
        for kind in HostKind::ALL {
            let spec = kind.spec();
            assert_eq!(spec.host, kind);
            assert_eq!(spec.version, SPEC_VERSION);
            assert!(!spec.hostnames.is_empty());
            assert!(
                !spec.panel.containers.is_empty(),
                "{kind:?} has no panel slot"
            );
            let mail = matches!(kind, HostKind::Gmail | HostKind::Outlook);
            assert_eq!(spec.compose.is_some(), mail, "{kind:?}");
            assert_eq!(spec.record.is_some(), !mail, "{kind:?}");
            if let Some(c) = &spec.compose {
                for (name, hook) in [
                    ("root", &c.root),
                    ("anchors", &c.anchors),
                    ("to", &c.to.chips),
                    ("cc", &c.cc.chips),
                    ("bcc", &c.bcc.chips),
                    ("subject", &c.subject),
                    ("body", &c.body),
                    ("send", &c.send),
                ] {
                    assert!(!hook.is_empty(), "{kind:?} {name} has no selector");
                }
                for field in [&c.to, &c.cc, &c.bcc] {
                    assert!(!field.address_attributes.is_empty());
                }
            }
            if let Some(r) = &spec.record {
                assert!(!r.urls.is_empty() && !r.title.is_empty());
            }
        }
    }

    #[test]
    fn every_selector_is_valid_css() {
        for kind in HostKind::ALL {
            for selector in kind.spec().all_selectors() {
                if let Err(why) = selector_check::check(selector) {
                    panic!("{kind:?}: `{selector}` is not a valid selector: {why}");
                }
            }
        }
    }

    #[test]
    fn lists_put_stable_hooks_before_obfuscated_classes() {
        // Within a list, once a selector relies on a bare class name, no later selector may be
        // an attribute/role one: that would be trying the fragile hook first.
        for kind in HostKind::ALL {
            let spec = kind.spec();
            let mut lists: Vec<&Vec<String>> = vec![&spec.panel.containers];
            if let Some(c) = &spec.compose {
                lists.extend([&c.root, &c.subject, &c.body, &c.send]);
            }
            for list in lists {
                let first_class_only = list
                    .iter()
                    .position(|s| !s.contains('[') && s.contains('.'));
                if let Some(i) = first_class_only {
                    assert!(
                        list[i..]
                            .iter()
                            .all(|s| !s.contains("[role") && !s.contains("[aria-label")),
                        "{kind:?}: {list:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn fixture_contract_hooks_come_first() {
        // The hooks the end-to-end fixtures (and host-dom.md's primary findings) rely on.
        let gmail = HostKind::Gmail.spec();
        let c = gmail.compose.as_ref().unwrap();
        assert_eq!(c.root[0], "div[role=dialog]:has(form)");
        assert_eq!(c.to.chips[0], "div[name=to] div[role=option][data-name]");
        assert_eq!(c.to.address_attributes[0], "data-hovercard-id");
        assert_eq!(c.subject[0], "input[name=subjectbox]");
        assert_eq!(gmail.panel.containers, ["div.aUx"]);
        let outlook = HostKind::Outlook.spec();
        assert_eq!(outlook.panel.containers[0], "[role=complementary]");
        assert_eq!(
            outlook.panel.containers[1],
            "div[aria-label=\"Reading Pane\"]"
        );
        let c = outlook.compose.as_ref().unwrap();
        assert_eq!(c.subject[0], "input[aria-label=\"Add a subject\"]");
        assert_eq!(c.to.address_attributes[0], "title");
        let lightning = HostKind::SalesforceLightning.spec();
        assert_eq!(
            lightning.panel.containers[0],
            "div.windowViewMode-normal.active"
        );
        assert_eq!(lightning.panel.placement, Placement::Append);
        let classic = HostKind::SalesforceClassic.spec();
        assert_eq!(classic.panel.containers[0], "#bodyCell");
        assert_eq!(classic.panel.placement, Placement::Prepend);
    }

    #[test]
    fn spec_serialises_to_the_shape_the_content_script_reads() {
        let json = serde_json::to_value(HostKind::Outlook.spec()).unwrap();
        assert_eq!(json["host"], "outlook");
        assert_eq!(json["version"], SPEC_VERSION);
        assert!(json["compose"]["to"]["addressAttributes"].is_array());
        assert_eq!(json["panel"]["placement"], "append");
        assert!(json["record"].is_null());
        let back: HostSpec = serde_json::from_value(json).unwrap();
        assert_eq!(back, HostKind::Outlook.spec());
    }
}
