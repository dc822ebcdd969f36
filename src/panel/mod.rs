//! The panel shown beside mail and CRM pages, as Leptos components. [`Panel`] shows the tab's
//! observation, held in a signal: when the background reports a change, only the parts that
//! depend on it redraw (the host line, the record, the one compose that changed). Visible text
//! comes from `_locales`; page data is shown as text, and machine-readable values sit in
//! `data-value` for tests and scripts.

use crate::hosts::HostKind;
use crate::observation::{Compose, Observation, ShownRecord};
use crate::ui::i18n::{t, t_with};
use leptos::prelude::*;

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

/// A value for tests and scripts: `data-testid` names it, `data-value` holds it, and it shows
/// `shown` (page data as text, or a message when there is none).
#[component]
fn Value(
    testid: &'static str,
    #[prop(into)] value: String,
    #[prop(into)] shown: String,
) -> impl IntoView {
    view! { <dd data-testid=testid data-value=value>{shown}</dd> }
}

/// The panel for a tab: `data-state="waiting"` until there is an observation, then `ready`.
#[component]
pub fn Panel(#[prop(into)] observation: Signal<Option<Observation>>) -> impl IntoView {
    let host = Memo::new(move |_| observation.with(|o| o.as_ref().map(|o| o.host)));
    let record =
        Memo::new(move |_| observation.with(|o| o.as_ref().and_then(|o| o.record.clone())));
    let composes = Memo::new(move |_| {
        observation.with(|o| o.as_ref().map(|o| o.composes.clone()).unwrap_or_default())
    });
    view! {
        <main id="salespane-panel" data-state=move || if host.get().is_some() { "ready" } else { "waiting" }>
            <header>
                <h1>{t("panelTitle")}</h1>
                {move || {
                    host.get()
                        .map(|host| {
                            view! {
                                <dl>
                                    <dt>{t("panelHostLabel")}</dt>
                                    <Value testid="host" value=host.as_str() shown=t(host_message(host))/>
                                </dl>
                            }
                        })
                }}
            </header>
            {move || match host.get() {
                None => view! { <p class="note">{t("panelWaiting")}</p> }.into_any(),
                Some(HostKind::Gmail | HostKind::Outlook) => view! { <Composes composes/> }.into_any(),
                Some(HostKind::SalesforceLightning | HostKind::SalesforceClassic) => {
                    view! { <Record record/> }.into_any()
                }
            }}
        </main>
    }
}

#[component]
fn Record(record: Memo<Option<ShownRecord>>) -> impl IntoView {
    view! {
        <section data-testid="record">
            <h2>{t("panelRecordHeading")}</h2>
            {move || match record.get() {
                None => view! { <p class="note">{t("panelNoRecord")}</p> }.into_any(),
                Some(shown) => {
                    let object = shown.record.object.clone();
                    let id = shown.record.id.to_string();
                    let name = shown.title.map(|title| {
                        view! {
                            <dt>{t("panelRecordName")}</dt>
                            <Value testid="record-name" value=title.clone() shown=title/>
                        }
                    });
                    view! {
                        <dl>
                            <dt>{t("panelRecordObject")}</dt>
                            <Value testid="record-object" value=object.clone() shown=object/>
                            <dt>{t("panelRecordId")}</dt>
                            <Value testid="record-id" value=id.clone() shown=id/>
                            {name}
                        </dl>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn Composes(composes: Memo<Vec<Compose>>) -> impl IntoView {
    // Keyed by what a compose shows: a compose that changed is redrawn alone.
    let numbered = move || composes.get().into_iter().enumerate().collect::<Vec<_>>();
    view! {
        <section data-testid="composes">
            <h2>{t("panelComposesHeading")}</h2>
            <Show when=move || composes.with(Vec::is_empty)>
                <p class="note">{t("panelNoCompose")}</p>
            </Show>
            <For
                each=numbered
                key=|(i, c)| (*i, c.key.clone(), c.recipients_value(), c.subject.clone())
                children=|(i, compose)| view! { <ComposeCard number=i + 1 compose/> }
            />
        </section>
    }
}

#[component]
fn ComposeCard(number: usize, compose: Compose) -> impl IntoView {
    let recipients = compose.recipients_value();
    let shown_recipients = if recipients.is_empty() {
        t("panelNoRecipients")
    } else {
        recipients.replace(',', ", ")
    };
    let shown_subject = if compose.subject.is_empty() {
        t("panelNoSubject")
    } else {
        compose.subject.clone()
    };
    view! {
        <article data-testid="compose" data-key=compose.key.clone()>
            <h3>{t_with("panelComposeHeading", &[&number.to_string()])}</h3>
            <dl>
                <dt>{t("panelRecipients")}</dt>
                <Value testid="recipients" value=recipients shown=shown_recipients/>
                <dt>{t("panelSubject")}</dt>
                <Value testid="subject" value=compose.subject.clone() shown=shown_subject/>
            </dl>
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observation::{ObservedCompose, ObservedPage};

    /// Renders in a reactive owner, as a mounted panel is (`<For>` needs one).
    fn render(view: impl FnOnce() -> String) -> String {
        Owner::new().with(view)
    }

    fn html(observation: Option<Observation>) -> String {
        render(|| view! { <Panel observation=Signal::stored(observation)/> }.to_html())
    }

    /// The `data-value`s of `testid` in rendered HTML, in order.
    fn values(html: &str, testid: &str) -> Vec<String> {
        let marker = format!(r#"data-testid="{testid}" data-value=""#);
        html.split(&marker)
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn waiting_until_the_tab_reports() {
        let page = html(None);
        assert!(
            page.contains(r#"<main id="salespane-panel" data-state="waiting""#),
            "{page}"
        );
        assert!(page.contains("panelWaiting"));
        assert!(values(&page, "host").is_empty());
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
        let page = html(Some(obs));
        assert!(page.contains(r#"data-state="ready""#), "{page}");
        assert_eq!(values(&page, "host"), ["outlook"]);
        assert_eq!(page.matches(r#"data-testid="compose""#).count(), 2);
        assert_eq!(values(&page, "recipients"), ["a@x.example,b@y.example", ""]);
        assert!(page.contains("panelComposeHeading(2)"), "{page}");
        assert!(page.contains("panelNoRecipients"), "{page}");
        // Page text stays data: shown as text, never parsed as markup.
        assert_eq!(
            values(&page, "subject"),
            ["Hello &lt;b&gt;there&lt;/b&gt;", ""]
        );
        assert!(!page.contains("<b>"), "{page}");
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
        let page = html(Some(obs));
        assert_eq!(values(&page, "host"), ["salesforce-classic"]);
        assert_eq!(values(&page, "record-object"), ["Lead"]);
        let id = values(&page, "record-id");
        assert_eq!(id[0].len(), 18);
        assert!(id[0].starts_with("00Q5g00000AbCdE"));
        assert_eq!(values(&page, "record-name"), ["Jane Doe"]);
    }

    #[test]
    fn a_new_report_redraws_what_changed() {
        let observation = RwSignal::new(None::<Observation>);
        let panel = move || render(|| view! { <Panel observation/> }.to_html());
        assert!(panel().contains("waiting"));
        let page = ObservedPage {
            record_title: None,
            composes: vec![ObservedCompose {
                key: "c1".into(),
                subject: Some("Renewal".into()),
                ..Default::default()
            }],
        };
        observation.set(Observation::from_report("https://mail.google.com/mail/u/0/", page).ok());
        let shown = panel();
        assert_eq!(values(&shown, "host"), ["gmail"]);
        assert_eq!(values(&shown, "subject"), ["Renewal"]);
    }

    #[test]
    fn every_message_exists_in_english_and_french() {
        let en: serde_json::Value =
            serde_json::from_str(include_str!("../../extension/_locales/en/messages.json"))
                .unwrap();
        let fr: serde_json::Value =
            serde_json::from_str(include_str!("../../extension/_locales/fr/messages.json"))
                .unwrap();
        // Natively a message renders as its name: every camelCase word the panel shows must
        // be listed.
        let mut shown = html(None);
        for host in [
            "https://mail.google.com/",
            "https://acme.lightning.force.com/lightning/page/home",
        ] {
            let obs = Observation::from_report(host, ObservedPage::default()).unwrap();
            shown.push_str(&html(Some(obs)));
        }
        for name in MESSAGES {
            for (lang, locale) in [("en", &en), ("fr", &fr)] {
                assert!(
                    locale[name]["message"].is_string(),
                    "{name} missing in {lang}"
                );
            }
        }
        for word in shown.split(|c: char| !c.is_ascii_alphanumeric()) {
            if (word.starts_with("panel") || word.starts_with("host"))
                && word.len() > 5
                && word.chars().any(|c| c.is_ascii_uppercase())
            {
                assert!(MESSAGES.contains(&word), "{word} missing from MESSAGES");
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
