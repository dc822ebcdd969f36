//! What a content script reports about its page ([`ObservedPage`], untrusted) and what the
//! background keeps once it has checked it ([`Observation`]).

use crate::email::EmailAddress;
use crate::hosts::{self, record::RecordRef, HostKind};
use crate::limits::{
    MAX_COMPOSES, MAX_COMPOSE_KEY_CHARS, MAX_RECIPIENTS_PER_FIELD, MAX_SUBJECT_CHARS,
    MAX_TITLE_CHARS,
};
use crate::protocol::RequestError;
use crate::weburl::WebUrl;
use serde::{Deserialize, Serialize};

/// The page as the content script reads it. Every field is untrusted page text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedPage {
    #[serde(default)]
    pub record_title: Option<String>,
    #[serde(default)]
    pub composes: Vec<ObservedCompose>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedCompose {
    /// Stable for as long as this compose stays open; chosen by the content script.
    pub key: String,
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    #[serde(default)]
    pub bcc: Vec<String>,
    #[serde(default)]
    pub subject: Option<String>,
}

/// A checked observation of one tab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    pub host: HostKind,
    pub url: String,
    pub record: Option<ShownRecord>,
    pub composes: Vec<Compose>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShownRecord {
    #[serde(flatten)]
    pub record: RecordRef,
    /// The name the page shows for it, if found.
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Compose {
    pub key: String,
    pub to: Vec<EmailAddress>,
    pub cc: Vec<EmailAddress>,
    pub bcc: Vec<EmailAddress>,
    pub subject: String,
}

impl Compose {
    /// To, then Cc, then Bcc, without repeats, comma-joined.
    pub fn recipients_value(&self) -> String {
        let mut seen: Vec<&str> = Vec::new();
        for address in self.to.iter().chain(&self.cc).chain(&self.bcc) {
            if !seen.contains(&address.as_str()) {
                seen.push(address.as_str());
            }
        }
        seen.join(",")
    }
}

impl Observation {
    /// Checks a content script's report for the page at `url`.
    pub fn from_report(url: &str, page: ObservedPage) -> Result<Observation, RequestError> {
        let parsed = WebUrl::parse(url).map_err(|e| RequestError::invalid("url", e))?;
        let spec = hosts::spec_for_url(&parsed).ok_or(RequestError::UnsupportedPage)?;
        let title = page
            .record_title
            .map(|t| bounded_text("page.recordTitle", &t, MAX_TITLE_CHARS))
            .transpose()?
            .filter(|t| !t.is_empty());
        let record =
            hosts::record::detect(&spec, &parsed).map(|record| ShownRecord { record, title });
        if page.composes.len() > MAX_COMPOSES {
            return Err(RequestError::invalid(
                "page.composes",
                format!("more than {MAX_COMPOSES} open composes"),
            ));
        }
        if spec.compose.is_none() && !page.composes.is_empty() {
            return Err(RequestError::invalid(
                "page.composes",
                format!("{} pages have no compose windows", spec.host.as_str()),
            ));
        }
        let mut composes: Vec<Compose> = Vec::with_capacity(page.composes.len());
        for (i, raw) in page.composes.into_iter().enumerate() {
            let compose = check_compose(i, raw)?;
            if composes.iter().any(|c| c.key == compose.key) {
                return Err(RequestError::invalid(
                    format!("page.composes[{i}].key"),
                    "two composes share this key",
                ));
            }
            composes.push(compose);
        }
        Ok(Observation {
            host: spec.host,
            url: url.to_string(),
            record,
            composes,
        })
    }
}

fn check_compose(i: usize, raw: ObservedCompose) -> Result<Compose, RequestError> {
    let field = |name: &str| format!("page.composes[{i}].{name}");
    let key_ok = !raw.key.is_empty()
        && raw.key.chars().count() <= MAX_COMPOSE_KEY_CHARS
        && raw
            .key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'));
    if !key_ok {
        return Err(RequestError::invalid(
            field("key"),
            format!("a key has 1 to {MAX_COMPOSE_KEY_CHARS} letters, digits, `-`, `_`, `:` or `.`"),
        ));
    }
    let addresses = |name: &str, list: Vec<String>| -> Result<Vec<EmailAddress>, RequestError> {
        if list.len() > MAX_RECIPIENTS_PER_FIELD {
            return Err(RequestError::invalid(
                field(name),
                format!("more than {MAX_RECIPIENTS_PER_FIELD} recipients"),
            ));
        }
        let mut out: Vec<EmailAddress> = Vec::with_capacity(list.len());
        for text in list {
            let address =
                EmailAddress::parse(&text).map_err(|e| RequestError::invalid(field(name), e))?;
            if !out.contains(&address) {
                out.push(address);
            }
        }
        Ok(out)
    };
    Ok(Compose {
        to: addresses("to", raw.to)?,
        cc: addresses("cc", raw.cc)?,
        bcc: addresses("bcc", raw.bcc)?,
        subject: bounded_text(
            &field("subject"),
            raw.subject.as_deref().unwrap_or(""),
            MAX_SUBJECT_CHARS,
        )?,
        key: raw.key,
    })
}

/// Page text, trimmed, with control characters refused and a length bound.
fn bounded_text(field: &str, text: &str, max_chars: usize) -> Result<String, RequestError> {
    if text.chars().count() > max_chars {
        return Err(RequestError::invalid(
            field,
            format!("longer than {max_chars} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control() && c != '\t') {
        return Err(RequestError::invalid(field, "holds control characters"));
    }
    Ok(text.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ErrorCode;

    fn compose(key: &str, to: &[&str], subject: &str) -> ObservedCompose {
        ObservedCompose {
            key: key.into(),
            to: to.iter().map(|s| s.to_string()).collect(),
            subject: Some(subject.into()),
            ..Default::default()
        }
    }

    #[test]
    fn gmail_report_becomes_an_observation() {
        let page = ObservedPage {
            record_title: None,
            composes: vec![
                ObservedCompose {
                    cc: vec!["B@Y.example".into(), "a@x.example".into()],
                    bcc: vec!["c@z.example".into()],
                    ..compose("c1", &["A@X.example"], "  Quarterly review ")
                },
                compose("c2", &[], ""),
            ],
        };
        let obs =
            Observation::from_report("https://mail.google.com/mail/u/0/#inbox", page).unwrap();
        assert_eq!(obs.host, HostKind::Gmail);
        assert_eq!(obs.record, None);
        assert_eq!(obs.composes.len(), 2);
        assert_eq!(obs.composes[0].subject, "Quarterly review");
        assert_eq!(
            obs.composes[0].recipients_value(),
            "a@x.example,b@y.example,c@z.example"
        );
        assert_eq!(obs.composes[1].recipients_value(), "");
    }

    #[test]
    fn lightning_report_names_the_record_from_the_url() {
        let obs = Observation::from_report(
            "https://acme.lightning.force.com/lightning/r/Lead/00Q5g00000AbCdE/view",
            ObservedPage {
                record_title: Some(" Jane Doe ".into()),
                composes: vec![],
            },
        )
        .unwrap();
        let shown = obs.record.unwrap();
        assert_eq!(shown.record.object, "Lead");
        assert_eq!(shown.record.id.as_str().len(), 18);
        assert_eq!(shown.title.as_deref(), Some("Jane Doe"));
        let json = serde_json::to_value(
            Observation::from_report(
                "https://acme.lightning.force.com/lightning/r/Lead/00Q5g00000AbCdE/view",
                ObservedPage::default(),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(json["record"]["object"], "Lead");
        assert_eq!(
            json["record"]["id"],
            salespane_api::sfid::SfId::parse("00Q5g00000AbCdE")
                .unwrap()
                .as_str()
        );
    }

    #[test]
    fn untrusted_reports_are_refused_with_the_field_named() {
        let refuse = |url: &str, page: ObservedPage| {
            let err = Observation::from_report(url, page).unwrap_err();
            (err.code(), err.to_string())
        };
        let gmail = "https://mail.google.com/";
        assert_eq!(
            refuse("https://example.com/", ObservedPage::default()).0,
            ErrorCode::UnsupportedPage
        );
        assert_eq!(
            refuse("javascript:x", ObservedPage::default()).0,
            ErrorCode::Invalid
        );
        let (code, message) = refuse(
            gmail,
            ObservedPage {
                composes: vec![compose("c1", &["not an address"], "")],
                ..Default::default()
            },
        );
        assert_eq!(code, ErrorCode::Invalid);
        assert!(message.contains("page.composes[0].to"), "{message}");
        let bad_keys = ["", "has space", "<b>", &"k".repeat(65)];
        for key in bad_keys {
            let page = ObservedPage {
                composes: vec![compose(key, &[], "")],
                ..Default::default()
            };
            assert_eq!(refuse(gmail, page).0, ErrorCode::Invalid, "{key:?}");
        }
        let dup = ObservedPage {
            composes: vec![compose("c1", &[], ""), compose("c1", &[], "")],
            ..Default::default()
        };
        assert!(refuse(gmail, dup).1.contains("share"));
        let many = ObservedPage {
            composes: (0..=MAX_COMPOSES)
                .map(|i| compose(&format!("c{i}"), &[], ""))
                .collect(),
            ..Default::default()
        };
        assert_eq!(refuse(gmail, many).0, ErrorCode::Invalid);
        let crowd: Vec<String> = (0..=MAX_RECIPIENTS_PER_FIELD)
            .map(|i| format!("p{i}@x.example"))
            .collect();
        let crowd: Vec<&str> = crowd.iter().map(String::as_str).collect();
        let page = ObservedPage {
            composes: vec![compose("c1", &crowd, "")],
            ..Default::default()
        };
        assert_eq!(refuse(gmail, page).0, ErrorCode::Invalid);
        let page = ObservedPage {
            composes: vec![compose("c1", &[], &"s".repeat(MAX_SUBJECT_CHARS + 1))],
            ..Default::default()
        };
        assert_eq!(refuse(gmail, page).0, ErrorCode::Invalid);
        let page = ObservedPage {
            composes: vec![compose("c1", &[], "a\u{0}b")],
            ..Default::default()
        };
        assert_eq!(refuse(gmail, page).0, ErrorCode::Invalid);
        // Composes on a CRM page make no sense.
        let page = ObservedPage {
            composes: vec![compose("c1", &[], "")],
            ..Default::default()
        };
        assert_eq!(
            refuse("https://acme.my.salesforce.com/", page).0,
            ErrorCode::Invalid
        );
    }
}
