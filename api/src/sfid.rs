//! Salesforce record ids: parsing, the 15 → 18 character checksum, and the object a key
//! prefix names. Shared by the extension (record detection) and the server and sandbox.
//!
//! A 15-character id is case-sensitive; the 18-character form appends three characters that
//! encode which of the 15 are upper-case, so ids can be compared case-insensitively and
//! always in the 18-character form.

use serde::{Deserialize, Serialize};
use std::fmt;

const CHECKSUM_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// Why a string is not a Salesforce id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SfIdError {
    #[error("a Salesforce id has 15 or 18 characters, this one has {0}")]
    Length(usize),
    #[error("a Salesforce id holds only letters and digits")]
    Character,
    #[error("the last three characters of this 18-character id do not match its first 15 (mistyped or truncated id)")]
    Checksum,
}

/// A Salesforce record id, always held in its 18-character form.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SfId(String);

impl SfId {
    /// Parses a 15- or 18-character id. An 18-character id must carry the right checksum
    /// for its first 15 characters (the case of the suffix itself does not matter).
    pub fn parse(text: &str) -> Result<SfId, SfIdError> {
        let len = text.chars().count();
        if len != 15 && len != 18 {
            return Err(SfIdError::Length(len));
        }
        if !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(SfIdError::Character);
        }
        let (base, suffix) = text.split_at(15);
        let expected = checksum(base);
        if len == 18 && !suffix.eq_ignore_ascii_case(&expected) {
            return Err(SfIdError::Checksum);
        }
        Ok(SfId(format!("{base}{expected}")))
    }

    /// The 18-character form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-sensitive 15-character form.
    pub fn short(&self) -> &str {
        &self.0[..15]
    }

    /// The three-character key prefix (`00Q` for a Lead...).
    pub fn key_prefix(&self) -> &str {
        &self.0[..3]
    }

    /// The object this id's key prefix names, when it is one Salespane knows.
    pub fn object(&self) -> Option<SfObject> {
        SfObject::from_key_prefix(self.key_prefix())
    }
}

impl fmt::Display for SfId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SfId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SfId({})", self.0)
    }
}

impl TryFrom<String> for SfId {
    type Error = SfIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        SfId::parse(&value)
    }
}

impl From<SfId> for String {
    fn from(id: SfId) -> String {
        id.0
    }
}

impl std::str::FromStr for SfId {
    type Err = SfIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SfId::parse(s)
    }
}

/// The three checksum characters of a 15-character id: for each block of five characters,
/// a five-bit mask of which are upper-case letters, mapped through `A..Z0..5`.
pub fn checksum(base15: &str) -> String {
    base15
        .as_bytes()
        .chunks(5)
        .map(|block| {
            let mask = block
                .iter()
                .enumerate()
                .filter(|(_, b)| b.is_ascii_uppercase())
                .fold(0usize, |mask, (i, _)| mask | (1 << i));
            CHECKSUM_ALPHABET[mask] as char
        })
        .collect()
}

/// The Salesforce objects Salespane works with, by API name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SfObject {
    Lead,
    Contact,
    Account,
    Opportunity,
    Task,
    Event,
    User,
    EmailMessage,
    Organization,
}

impl SfObject {
    pub const ALL: [SfObject; 9] = [
        SfObject::Lead,
        SfObject::Contact,
        SfObject::Account,
        SfObject::Opportunity,
        SfObject::Task,
        SfObject::Event,
        SfObject::User,
        SfObject::EmailMessage,
        SfObject::Organization,
    ];

    pub fn key_prefix(self) -> &'static str {
        match self {
            SfObject::Lead => "00Q",
            SfObject::Contact => "003",
            SfObject::Account => "001",
            SfObject::Opportunity => "006",
            SfObject::Task => "00T",
            SfObject::Event => "00U",
            SfObject::User => "005",
            SfObject::EmailMessage => "02s",
            SfObject::Organization => "00D",
        }
    }

    pub fn api_name(self) -> &'static str {
        match self {
            SfObject::Lead => "Lead",
            SfObject::Contact => "Contact",
            SfObject::Account => "Account",
            SfObject::Opportunity => "Opportunity",
            SfObject::Task => "Task",
            SfObject::Event => "Event",
            SfObject::User => "User",
            SfObject::EmailMessage => "EmailMessage",
            SfObject::Organization => "Organization",
        }
    }

    pub fn from_key_prefix(prefix: &str) -> Option<SfObject> {
        SfObject::ALL.into_iter().find(|o| o.key_prefix() == prefix)
    }

    /// Case-sensitive, as Salesforce API names are.
    pub fn from_api_name(name: &str) -> Option<SfObject> {
        SfObject::ALL.into_iter().find(|o| o.api_name() == name)
    }

    /// The record types a panel is shown for.
    pub fn has_panel(self) -> bool {
        matches!(
            self,
            SfObject::Lead | SfObject::Contact | SfObject::Account | SfObject::Opportunity
        )
    }
}

impl fmt::Display for SfObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.api_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifteen_character_ids_gain_their_checksum() {
        // Known pair from Salesforce documentation examples.
        let id = SfId::parse("001A0000006Vm9r").unwrap();
        assert_eq!(id.as_str(), "001A0000006Vm9rIAC");
        assert_eq!(id.short(), "001A0000006Vm9r");
        assert_eq!(id.object(), Some(SfObject::Account));
    }

    #[test]
    fn checksum_reflects_case_so_ids_differing_in_case_differ() {
        let lower = SfId::parse("00q5g00000abcde").unwrap();
        let upper = SfId::parse("00Q5G00000ABCDE").unwrap();
        assert_ne!(lower, upper);
        assert_eq!(checksum("000000000000000"), "AAA");
        assert_eq!(checksum("AAAAAAAAAAAAAAA"), "555");
    }

    #[test]
    fn eighteen_character_ids_are_checked_and_suffix_case_is_ignored() {
        assert!(SfId::parse("001A0000006Vm9rIAC").is_ok());
        assert_eq!(
            SfId::parse("001A0000006Vm9riac").unwrap().as_str(),
            "001A0000006Vm9rIAC"
        );
        assert_eq!(SfId::parse("001A0000006Vm9rAAA"), Err(SfIdError::Checksum));
    }

    #[test]
    fn bad_input_is_an_error_never_a_panic() {
        assert_eq!(SfId::parse(""), Err(SfIdError::Length(0)));
        assert_eq!(SfId::parse("00Q5g00000abcd"), Err(SfIdError::Length(14)));
        assert_eq!(SfId::parse("00Q5g00000abc-e"), Err(SfIdError::Character));
        // Multi-byte characters must not split a char boundary.
        assert_eq!(SfId::parse("00Q5g00000abcdé"), Err(SfIdError::Character));
        assert!(SfId::parse("ééééééééééééééé").is_err());
    }

    #[test]
    fn prefixes_name_objects() {
        for object in SfObject::ALL {
            assert_eq!(SfObject::from_key_prefix(object.key_prefix()), Some(object));
            assert_eq!(SfObject::from_api_name(object.api_name()), Some(object));
        }
        assert_eq!(SfObject::from_key_prefix("zzz"), None);
        assert_eq!(SfObject::from_api_name("lead"), None);
    }

    #[test]
    fn serde_accepts_both_forms_and_writes_eighteen() {
        let id: SfId = serde_json::from_str("\"00Q5g00000AbCdE\"").unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            format!("\"{}\"", id.as_str())
        );
        assert!(serde_json::from_str::<SfId>("\"nope\"").is_err());
    }
}
