//! Which Salesforce record a page shows, from its URL and the host spec's path templates.
//! Lightning: `/lightning/r/<Object>/<Id>/view` (or `/lightning/r/<Id>/view`); Classic:
//! `/<15 or 18 character id>`. Ids are always returned in their 18-character form.

use super::HostSpec;
use crate::weburl::WebUrl;
use salespane_api::sfid::{SfId, SfObject};
use serde::{Deserialize, Serialize};

/// A record shown on a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordRef {
    /// The object's API name (`Lead`, or a custom `Invoice__c`).
    pub object: String,
    pub id: SfId,
}

/// The record the page at `url` shows, if any template of `spec` matches it.
pub fn detect(spec: &HostSpec, url: &WebUrl) -> Option<RecordRef> {
    let hooks = spec.record.as_ref()?;
    let segments: Vec<&str> = url.segments().collect();
    hooks
        .urls
        .iter()
        .find_map(|template| match_template(template, &segments))
}

fn match_template(template: &str, segments: &[&str]) -> Option<RecordRef> {
    let parts: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut object: Option<&str> = None;
    let mut id: Option<SfId> = None;
    for (part, segment) in parts.iter().zip(segments) {
        match *part {
            "{object}" => object = Some(*segment).filter(|s| valid_api_name(s)),
            "{id}" => id = SfId::parse(segment).ok(),
            literal => {
                if literal != *segment {
                    return None;
                }
                continue;
            }
        }
        if (*part == "{object}" && object.is_none()) || (*part == "{id}" && id.is_none()) {
            return None;
        }
    }
    let id = id?;
    let by_prefix = id.object();
    let object = match (object, by_prefix) {
        // A known object whose key prefix disagrees with the id is not a record page.
        (Some(name), Some(prefixed)) if SfObject::from_api_name(name).is_some() => {
            (name == prefixed.api_name()).then(|| name.to_string())?
        }
        (Some(name), _) => name.to_string(),
        // Without an object in the URL only known key prefixes count: `/home`-like paths of
        // 15 letters must not pass for records.
        (None, Some(prefixed)) => prefixed.api_name().to_string(),
        (None, None) => return None,
    };
    Some(RecordRef { object, id })
}

/// Standard (`Lead`) and custom (`Invoice__c`, `ns__Thing__c`) object API names.
fn valid_api_name(name: &str) -> bool {
    name.len() <= 80
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::HostKind;

    fn record_at(kind: HostKind, url: &str) -> Option<(String, String)> {
        detect(&kind.spec(), &WebUrl::parse(url).unwrap()).map(|r| (r.object, r.id.to_string()))
    }

    const LEAD_15: &str = "00Q5g00000AbCdE";

    fn lead_18() -> String {
        SfId::parse(LEAD_15).unwrap().to_string()
    }

    #[test]
    fn lightning_record_pages() {
        let lightning = HostKind::SalesforceLightning;
        let base = "https://acme.lightning.force.com";
        assert_eq!(
            record_at(
                lightning,
                &format!("{base}/lightning/r/Lead/{LEAD_15}/view")
            ),
            Some(("Lead".into(), lead_18()))
        );
        assert_eq!(
            record_at(
                lightning,
                &format!("{base}/lightning/r/Lead/{}/view?ws=1", lead_18())
            ),
            Some(("Lead".into(), lead_18()))
        );
        // Object from the key prefix when the URL has none.
        assert_eq!(
            record_at(
                lightning,
                &format!("{base}/lightning/r/001A0000006Vm9rIAC/view")
            ),
            Some(("Account".into(), "001A0000006Vm9rIAC".into()))
        );
        // Custom objects keep their API name.
        assert_eq!(
            record_at(
                lightning,
                &format!("{base}/lightning/r/Invoice__c/a015g00000XyZaB/view")
            )
            .map(|r| r.0),
            Some("Invoice__c".into())
        );
    }

    #[test]
    fn lightning_pages_that_are_not_records() {
        let lightning = HostKind::SalesforceLightning;
        let base = "https://acme.lightning.force.com";
        for path in [
            "/lightning/o/Lead/list?filterName=Recent",
            "/lightning/page/home",
            &format!("/lightning/r/Lead/{LEAD_15}/related/Notes/view"),
            "/lightning/r/Lead/notanid/view",
            // A known object with another object's id.
            "/lightning/r/Contact/00Q5g00000AbCdE/view",
            "/lightning/r/Le-ad/00Q5g00000AbCdE/view",
            // Wrong checksum on an 18-character id.
            "/lightning/r/Lead/00Q5g00000AbCdEAAA/view",
        ] {
            assert_eq!(
                record_at(lightning, &format!("{base}{path}")),
                None,
                "{path}"
            );
        }
    }

    #[test]
    fn classic_record_pages() {
        let classic = HostKind::SalesforceClassic;
        assert_eq!(
            record_at(
                classic,
                &format!("https://acme.my.salesforce.com/{LEAD_15}")
            ),
            Some(("Lead".into(), lead_18()))
        );
        assert_eq!(
            record_at(
                classic,
                "https://acme.my.salesforce.com/006A0000006Vm9r/?retURL=%2Fhome"
            ),
            Some((
                "Opportunity".into(),
                SfId::parse("006A0000006Vm9r").unwrap().to_string()
            ))
        );
        for path in [
            "/home/home.jsp",
            "/",
            "/abcdefghijklmno",
            "/00Q5g00000AbCdE/e",
            "/00Q",
        ] {
            assert_eq!(
                record_at(classic, &format!("https://acme.my.salesforce.com{path}")),
                None,
                "{path}"
            );
        }
    }

    #[test]
    fn mail_hosts_have_no_records() {
        assert_eq!(
            record_at(HostKind::Gmail, "https://mail.google.com/00Q5g00000AbCdE"),
            None
        );
    }
}
