//! The panel shown beside mail and CRM pages. [`view`] turns the tab's observation into a small
//! element tree (pure, tested natively); `dom` (WASM only) builds it with web-sys. Visible text
//! comes from `_locales` by message name; machine-readable values sit in `data-value`.

#[cfg(target_arch = "wasm32")]
pub mod dom;

use crate::hosts::HostKind;
use crate::observation::{Compose, Observation};

/// Text of an element: a `_locales` message (with substitutions), or page data shown as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    Message(&'static str, Vec<String>),
    Data(String),
}

/// An element to build: tag, attributes, text, children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub tag: &'static str,
    pub attributes: Vec<(&'static str, String)>,
    pub text: Option<Text>,
    pub children: Vec<Node>,
}

impl Node {
    fn new(tag: &'static str) -> Node {
        Node {
            tag,
            attributes: Vec::new(),
            text: None,
            children: Vec::new(),
        }
    }

    fn attr(mut self, name: &'static str, value: impl Into<String>) -> Node {
        self.attributes.push((name, value.into()));
        self
    }

    fn message(mut self, name: &'static str) -> Node {
        self.text = Some(Text::Message(name, Vec::new()));
        self
    }

    fn message_with(mut self, name: &'static str, substitutions: Vec<String>) -> Node {
        self.text = Some(Text::Message(name, substitutions));
        self
    }

    fn data(mut self, text: impl Into<String>) -> Node {
        self.text = Some(Text::Data(text.into()));
        self
    }

    fn child(mut self, child: Node) -> Node {
        self.children.push(child);
        self
    }

    /// A field for tests and scripts: `data-testid` names it, `data-value` holds the value.
    fn field(testid: &'static str, value: &str) -> Node {
        Node::new("dd")
            .attr("data-testid", testid)
            .attr("data-value", value)
    }

    /// Depth-first search by `data-testid`, for tests.
    pub fn find_all<'a>(&'a self, testid: &str, out: &mut Vec<&'a Node>) {
        if self.attribute("data-testid") == Some(testid) {
            out.push(self);
        }
        for child in &self.children {
            child.find_all(testid, out);
        }
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every `_locales` message the panel uses (checked against both locales in tests).
pub const MESSAGES: &[&str] = &[
    "panelTitle",
    "panelWaiting",
    "panelHostLabel",
    "hostGmail",
    "hostOutlook",
    "hostSalesforceLightning",
    "hostSalesforceClassic",
    "panelRecordHeading",
    "panelRecordObject",
    "panelRecordId",
    "panelRecordName",
    "panelNoRecord",
    "panelComposesHeading",
    "panelNoCompose",
    "panelComposeHeading",
    "panelRecipients",
    "panelNoRecipients",
    "panelSubject",
    "panelNoSubject",
];

fn host_message(host: HostKind) -> &'static str {
    match host {
        HostKind::Gmail => "hostGmail",
        HostKind::Outlook => "hostOutlook",
        HostKind::SalesforceLightning => "hostSalesforceLightning",
        HostKind::SalesforceClassic => "hostSalesforceClassic",
    }
}

/// The panel for a tab: `data-state="ready"` once there is an observation to show.
pub fn view(observation: Option<&Observation>) -> Node {
    let main = Node::new("main").attr("id", "salespane-panel");
    let header = Node::new("header").child(Node::new("h1").message("panelTitle"));
    let Some(obs) = observation else {
        return main
            .attr("data-state", "waiting")
            .child(header)
            .child(Node::new("p").attr("class", "note").message("panelWaiting"));
    };
    let header = header.child(
        Node::new("dl")
            .child(Node::new("dt").message("panelHostLabel"))
            .child(Node::field("host", obs.host.as_str()).message(host_message(obs.host))),
    );
    let main = main.attr("data-state", "ready").child(header);
    match obs.host {
        HostKind::Gmail | HostKind::Outlook => main.child(composes_section(&obs.composes)),
        HostKind::SalesforceLightning | HostKind::SalesforceClassic => {
            main.child(record_section(obs))
        }
    }
}

fn record_section(obs: &Observation) -> Node {
    let section = Node::new("section")
        .attr("data-testid", "record")
        .child(Node::new("h2").message("panelRecordHeading"));
    let Some(shown) = &obs.record else {
        return section.child(
            Node::new("p")
                .attr("class", "note")
                .message("panelNoRecord"),
        );
    };
    let mut list = Node::new("dl")
        .child(Node::new("dt").message("panelRecordObject"))
        .child(Node::field("record-object", &shown.record.object).data(shown.record.object.clone()))
        .child(Node::new("dt").message("panelRecordId"))
        .child(
            Node::field("record-id", shown.record.id.as_str()).data(shown.record.id.to_string()),
        );
    if let Some(title) = &shown.title {
        list = list
            .child(Node::new("dt").message("panelRecordName"))
            .child(Node::field("record-name", title).data(title.clone()));
    }
    section.child(list)
}

fn composes_section(composes: &[Compose]) -> Node {
    let mut section = Node::new("section")
        .attr("data-testid", "composes")
        .child(Node::new("h2").message("panelComposesHeading"));
    if composes.is_empty() {
        return section.child(
            Node::new("p")
                .attr("class", "note")
                .message("panelNoCompose"),
        );
    }
    for (i, compose) in composes.iter().enumerate() {
        let recipients = compose.recipients_value();
        let shown_recipients = if recipients.is_empty() {
            Node::field("recipients", "").message("panelNoRecipients")
        } else {
            Node::field("recipients", &recipients).data(recipients.replace(',', ", "))
        };
        let subject = if compose.subject.is_empty() {
            Node::field("subject", "").message("panelNoSubject")
        } else {
            Node::field("subject", &compose.subject).data(compose.subject.clone())
        };
        section = section.child(
            Node::new("article")
                .attr("data-testid", "compose")
                .attr("data-key", compose.key.clone())
                .child(
                    Node::new("h3").message_with("panelComposeHeading", vec![(i + 1).to_string()]),
                )
                .child(
                    Node::new("dl")
                        .child(Node::new("dt").message("panelRecipients"))
                        .child(shown_recipients)
                        .child(Node::new("dt").message("panelSubject"))
                        .child(subject),
                ),
        );
    }
    section
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observation::{ObservedCompose, ObservedPage};

    fn values(tree: &Node, testid: &str) -> Vec<String> {
        let mut found = Vec::new();
        tree.find_all(testid, &mut found);
        found
            .iter()
            .map(|n| n.attribute("data-value").unwrap_or_default().to_string())
            .collect()
    }

    fn messages_used(node: &Node, out: &mut Vec<&'static str>) {
        if let Some(Text::Message(name, _)) = &node.text {
            out.push(name);
        }
        for child in &node.children {
            messages_used(child, out);
        }
    }

    #[test]
    fn waiting_until_the_tab_reports() {
        let tree = view(None);
        assert_eq!(tree.attribute("id"), Some("salespane-panel"));
        assert_eq!(tree.attribute("data-state"), Some("waiting"));
        assert!(values(&tree, "host").is_empty());
    }

    #[test]
    fn mail_page_lists_each_compose_with_its_recipients_and_subject() {
        let page = ObservedPage {
            record_title: None,
            composes: vec![
                ObservedCompose {
                    key: "c1".into(),
                    to: vec!["A@x.example".into()],
                    bcc: vec!["b@y.example".into()],
                    subject: Some("Hello <b>there</b>".into()),
                    ..Default::default()
                },
                ObservedCompose {
                    key: "c2".into(),
                    ..Default::default()
                },
            ],
        };
        let obs = Observation::from_report("https://outlook.office.com/mail/", page).unwrap();
        let tree = view(Some(&obs));
        assert_eq!(tree.attribute("data-state"), Some("ready"));
        assert_eq!(values(&tree, "host"), ["outlook"]);
        assert_eq!(values(&tree, "compose").len(), 2);
        assert_eq!(values(&tree, "recipients"), ["a@x.example,b@y.example", ""]);
        // Page text stays data: shown as text, never parsed as markup.
        assert_eq!(values(&tree, "subject"), ["Hello <b>there</b>", ""]);
        let mut subjects = Vec::new();
        tree.find_all("subject", &mut subjects);
        assert_eq!(
            subjects[0].text,
            Some(Text::Data("Hello <b>there</b>".into()))
        );
    }

    #[test]
    fn record_page_shows_object_and_eighteen_character_id() {
        let obs = Observation::from_report(
            "https://acme.my.salesforce.com/00Q5g00000AbCdE",
            ObservedPage {
                record_title: Some("Jane Doe".into()),
                composes: vec![],
            },
        )
        .unwrap();
        let tree = view(Some(&obs));
        assert_eq!(values(&tree, "host"), ["salesforce-classic"]);
        assert_eq!(values(&tree, "record-object"), ["Lead"]);
        let id = values(&tree, "record-id");
        assert_eq!(id[0].len(), 18);
        assert!(id[0].starts_with("00Q5g00000AbCdE"));
        assert_eq!(values(&tree, "record-name"), ["Jane Doe"]);
    }

    #[test]
    fn every_message_exists_in_english_and_french() {
        let en: serde_json::Value =
            serde_json::from_str(include_str!("../../extension/_locales/en/messages.json"))
                .unwrap();
        let fr: serde_json::Value =
            serde_json::from_str(include_str!("../../extension/_locales/fr/messages.json"))
                .unwrap();
        let mut used = Vec::new();
        for host in [
            "https://mail.google.com/",
            "https://acme.lightning.force.com/lightning/page/home",
        ] {
            let obs = Observation::from_report(host, ObservedPage::default()).unwrap();
            messages_used(&view(Some(&obs)), &mut used);
        }
        messages_used(&view(None), &mut used);
        for name in used {
            assert!(MESSAGES.contains(&name), "{name} missing from MESSAGES");
        }
        for name in MESSAGES {
            for (lang, locale) in [("en", &en), ("fr", &fr)] {
                assert!(
                    locale[name]["message"].is_string(),
                    "{name} missing in {lang}"
                );
            }
        }
        // And the two locales hold the same names.
        let names = |v: &serde_json::Value| {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(names(&en), names(&fr));
    }
}
