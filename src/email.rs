//! E-mail address syntax for recipients read off a host page: the common `local@domain` form
//! (RFC 5321 dot-atoms, no quoted local parts, no address literals), lower-cased so the same
//! person is one address.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{shown}` is not an e-mail address")]
pub struct EmailError {
    /// A shortened copy of the refused text, for the message only.
    shown: String,
}

/// A syntactically valid, lower-cased e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Accepts `a@b.example` and the display form `Name <a@b.example>`.
    pub fn parse(text: &str) -> Result<EmailAddress, EmailError> {
        let trimmed = text.trim();
        let address = match (trimmed.rfind('<'), trimmed.strip_suffix('>')) {
            (Some(open), Some(_)) => &trimmed[open + 1..trimmed.len() - 1],
            _ => trimmed,
        };
        if valid(address) {
            Ok(EmailAddress(address.to_lowercase()))
        } else {
            Err(EmailError {
                shown: text.chars().take(80).collect(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        EmailAddress::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> String {
        value.0
    }
}

fn valid(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    address.len() <= 254 && valid_local(local) && valid_domain(domain)
}

fn valid_local(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";
    !local.is_empty()
        && local.len() <= 64
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_alphanumeric() || SPECIALS.contains(c))
        })
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.chars().count() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_lower_cases_common_addresses() {
        let parse = |s| EmailAddress::parse(s).map(|a| a.to_string());
        assert_eq!(
            parse("Jane.Doe+deals@Acme.Example"),
            Ok("jane.doe+deals@acme.example".into())
        );
        assert_eq!(parse("  a@x.example "), Ok("a@x.example".into()));
        assert_eq!(
            parse("Jane Doe <JANE@x.example>"),
            Ok("jane@x.example".into())
        );
        assert_eq!(
            parse("o'brien@sub.x-y.example"),
            Ok("o'brien@sub.x-y.example".into())
        );
        assert_eq!(parse("rené@exämple.fr"), Ok("rené@exämple.fr".into()));
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "",
            "jane",
            "jane@",
            "@x.example",
            "jane@localhost",
            "ja ne@x.example",
            "jane..doe@x.example",
            ".jane@x.example",
            "jane@-x.example",
            "jane@x..example",
            "jane@x.example<script>",
            "\"quoted\"@x.example",
            "a@b@x.example",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} should be refused");
        }
        let long_local = format!("{}@x.example", "a".repeat(65));
        assert!(EmailAddress::parse(&long_local).is_err());
    }

    #[test]
    fn error_message_shows_a_bounded_copy() {
        let err = EmailAddress::parse(&"z".repeat(10_000)).unwrap_err();
        assert!(err.to_string().len() < 120);
    }
}
