//! Form input as the server wants it, and server validation errors placed beside the field
//! they name (the server starts such messages with the field's path, e.g.
//! `never_log[2]: "x" is neither…`).

/// The form field a server message is about: its leading `path:` with any `[index]`
/// removed, e.g. `alerts.quiet_hours.start`. `None` when the message names no field.
pub fn field_of(message: &str) -> Option<String> {
    let (head, _) = message.split_once(": ")?;
    let well_formed = !head.is_empty()
        && head.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '[' | ']')
        })
        && head.starts_with(|c: char| c.is_ascii_lowercase());
    if !well_formed {
        return None;
    }
    let mut field = String::with_capacity(head.len());
    let mut in_index = false;
    for c in head.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            _ if !in_index => field.push(c),
            _ => {}
        }
    }
    Some(field)
}

/// The never-log list from a text area: one address or domain per line (commas and
/// spaces also separate), trimmed, without empties or repeats. The server checks each.
pub fn parse_list(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for entry in text.split(|c: char| c == '\n' || c == ',' || c.is_whitespace()) {
        let entry = entry.trim().to_lowercase();
        if !entry.is_empty() && !out.contains(&entry) {
            out.push(entry);
        }
    }
    out
}

/// "HH:MM", 24-hour (what `<input type=time>` gives).
pub fn is_hh_mm(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 5 || b[2] != b':' || !b[..2].iter().chain(&b[3..]).all(u8::is_ascii_digit) {
        return false;
    }
    let hours = (b[0] - b'0') * 10 + (b[1] - b'0');
    let minutes = (b[3] - b'0') * 10 + (b[4] - b'0');
    hours < 24 && minutes < 60
}

/// An optional text field: empty after trimming means "none".
pub fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_name_their_field() {
        assert_eq!(
            field_of(r#"never_log[2]: "x" is neither an email address"#).as_deref(),
            Some("never_log")
        );
        assert_eq!(
            field_of(r#"alerts.quiet_hours.start: "25:00" is not a time"#).as_deref(),
            Some("alerts.quiet_hours.start")
        );
        assert_eq!(
            field_of("signature: 70000 bytes is more").as_deref(),
            Some("signature")
        );
        assert_eq!(field_of("Only administrators can do this."), None);
        assert_eq!(field_of("The mailbox a@b.example: no"), None);
    }

    #[test]
    fn list_entries_are_split_trimmed_and_unique() {
        assert_eq!(
            parse_list(" Ann@X.example\n\nx.example, competitor.example\nx.example "),
            ["ann@x.example", "x.example", "competitor.example"]
        );
        assert!(parse_list("  \n ").is_empty());
    }

    #[test]
    fn times_are_24_hour() {
        assert!(is_hh_mm("22:00"));
        assert!(is_hh_mm("07:05"));
        assert!(!is_hh_mm("24:00"));
        assert!(!is_hh_mm("7:00"));
        assert!(!is_hh_mm("07:60"));
        assert_eq!(optional("  "), None);
        assert_eq!(optional(" CEO ").as_deref(), Some("CEO"));
    }
}
