//! The SCIM filters identity providers send when looking users up (RFC 7644 §3.4.2.2):
//! `userName eq "…"`, `externalId eq "…"`, `emails.value eq "…"`, `id eq "…"`. Anything else
//! is refused with `invalidFilter` rather than silently matching everything.

use super::ScimError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Case-insensitive (userName is caseExact=false in RFC 7643).
    UserName(String),
    /// Case-sensitive (caseExact=true).
    ExternalId(String),
    Email(String),
    Id(String),
}

pub fn parse(text: &str) -> Result<Filter, ScimError> {
    let unsupported = || {
        ScimError::bad(
            "invalidFilter",
            format!(
                "The filter {} is not supported. Supported: userName eq \"…\", externalId eq \"…\", emails.value eq \"…\", id eq \"…\".",
                crate::provisioning::profile::clip(text)
            ),
        )
    };
    let text = text.trim();
    let (attribute, rest) = text
        .split_once(char::is_whitespace)
        .ok_or_else(unsupported)?;
    let rest = rest.trim_start();
    let (operator, value) = rest
        .split_once(char::is_whitespace)
        .ok_or_else(unsupported)?;
    if !operator.eq_ignore_ascii_case("eq") {
        return Err(unsupported());
    }
    let value = parse_string(value.trim()).ok_or_else(unsupported)?;
    let attribute = attribute
        .to_ascii_lowercase()
        .trim_start_matches("urn:ietf:params:scim:schemas:core:2.0:user:")
        .to_string();
    match attribute.as_str() {
        "username" => Ok(Filter::UserName(value)),
        "externalid" => Ok(Filter::ExternalId(value)),
        "emails.value" | "emails" | "emails[type eq \"work\"].value" => Ok(Filter::Email(value)),
        "id" => Ok(Filter::Id(value)),
        _ => Err(unsupported()),
    }
}

/// A JSON string literal (the whole remaining text), unescaped.
fn parse_string(text: &str) -> Option<String> {
    if !(text.len() >= 2 && text.starts_with('"') && text.ends_with('"')) {
        return None;
    }
    serde_json::from_str::<String>(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_idps_send() {
        assert_eq!(
            parse("userName eq \"Sam.Seller@acme.example\"").unwrap(),
            Filter::UserName("Sam.Seller@acme.example".into())
        );
        assert_eq!(
            parse("externalId EQ \"00u1\"").unwrap(),
            Filter::ExternalId("00u1".into())
        );
        assert_eq!(
            parse("emails.value eq \"a@b.example\"").unwrap(),
            Filter::Email("a@b.example".into())
        );
        assert_eq!(
            parse("userName eq \"with \\\"quote\\\"\"").unwrap(),
            Filter::UserName("with \"quote\"".into())
        );
    }

    #[test]
    fn others_are_refused() {
        assert!(parse("userName sw \"a\"").is_err());
        assert!(parse("title eq \"x\"").is_err());
        assert!(parse("userName eq a").is_err());
        assert!(parse("").is_err());
    }
}
