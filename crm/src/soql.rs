//! Building SOQL safely. Every string literal goes through [`soql_string`] (or [`soql_like`]
//! for LIKE patterns): CRM record text and user search input are untrusted.

use crate::CrmError;

/// A quoted SOQL string literal: quotes, backslashes and control characters escaped.
pub fn soql_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    push_escaped(&mut out, text, false);
    out.push('\'');
    out
}

/// A quoted LIKE pattern matching `text` anywhere: `%` and `_` in the text match only themselves.
pub fn soql_like_contains(text: &str) -> String {
    let mut out = String::from("'%");
    push_escaped(&mut out, text, true);
    out.push_str("%'");
    out
}

fn push_escaped(out: &mut String, text: &str, like: bool) {
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '%' | '_' if like => {
                out.push('\\');
                out.push(c);
            }
            // Other control characters have no SOQL escape; drop them.
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
}

/// An object or field API name, checked: names are spliced into SOQL and URLs unquoted.
pub fn api_name(name: &str) -> Result<&str, CrmError> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if valid {
        Ok(name)
    } else {
        Err(CrmError::InvalidRequest {
            code: "INVALID_NAME".into(),
            message: format!("'{name}' is not a Salesforce API name"),
        })
    }
}

/// A SOQL datetime literal (unquoted, UTC) from RFC 3339 or Salesforce's own
/// `2026-11-23T10:00:00.000+0000` form.
pub fn soql_datetime(text: &str) -> Result<String, CrmError> {
    let bad = || CrmError::InvalidRequest {
        code: "INVALID_DATETIME".into(),
        message: format!("'{text}' is not a datetime like 2026-11-23T10:00:00Z"),
    };
    let b = text.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let shape = digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && b.get(10) == Some(&b'T')
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19);
    if !shape {
        return Err(bad());
    }
    let mut rest = &text[19..];
    let mut fraction = "";
    if let Some(after_dot) = rest.strip_prefix('.') {
        let n = after_dot.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(bad());
        }
        fraction = &rest[..n + 1];
        rest = &after_dot[n..];
    }
    let zone = match rest {
        "Z" | "z" | "+0000" | "+00:00" | "-0000" | "-00:00" => "Z".to_string(),
        z if z.len() == 5
            && (z.starts_with('+') || z.starts_with('-'))
            && z[1..].bytes().all(|c| c.is_ascii_digit()) =>
        {
            format!("{}:{}", &z[..3], &z[3..])
        }
        z if z.len() == 6
            && (z.starts_with('+') || z.starts_with('-'))
            && z.as_bytes()[3] == b':' =>
        {
            z.to_string()
        }
        _ => return Err(bad()),
    };
    Ok(format!("{}{fraction}{zone}", &text[..19]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(soql_string("O'Brien"), "'O\\'Brien'");
        assert_eq!(soql_string("a\\b\nc"), "'a\\\\b\\nc'");
        assert_eq!(soql_like_contains("50%_off"), "'%50\\%\\_off%'");
        assert_eq!(
            soql_like_contains("x' OR Name LIKE '"),
            "'%x\\' OR Name LIKE \\'%'"
        );
    }

    #[test]
    fn names_and_datetimes_are_checked() {
        assert!(api_name("Owner.Email").is_ok());
        assert!(api_name("Lead WHERE").is_err());
        assert!(api_name("").is_err());
        assert_eq!(
            soql_datetime("2026-11-23T10:00:00.000+0000").unwrap(),
            "2026-11-23T10:00:00.000Z"
        );
        assert_eq!(
            soql_datetime("2026-11-23T10:00:00+01:00").unwrap(),
            "2026-11-23T10:00:00+01:00"
        );
        assert_eq!(
            soql_datetime("2026-11-23T10:00:00-0530").unwrap(),
            "2026-11-23T10:00:00-05:30"
        );
        assert!(soql_datetime("2026-11-23T10:00:00Z OR Id != null").is_err());
        assert!(soql_datetime("yesterday").is_err());
    }
}
