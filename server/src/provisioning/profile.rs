//! A sales user's own settings (`/api/v1/me/profile`): signature, alert preferences,
//! default Track, the never-log list, and personal details. Settings live as a JSON
//! document in `profiles`; personal details live on the `users` row, where admins see them.

use axum::extract::State;
use salespane_api::profile::{AlertPreferences, Profile, ProfileUpdate, QuietHours};
use sqlx::Row;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::app::AppState;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::identity::auth::CurrentUser;
use crate::ids::now_ms;

/// Signatures are pasted HTML; anything bigger than this is not a signature.
pub const SIGNATURE_MAX_BYTES: usize = 20 * 1024;
pub const NEVER_LOG_MAX_ENTRIES: usize = 1000;
const NAME_MAX_CHARS: usize = 200;
const PHONE_MAX_CHARS: usize = 40;
const PHOTO_URL_MAX_CHARS: usize = 2048;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_profile, put_profile))
}

/// The signed-in user's profile settings.
#[utoipa::path(get, path = "/api/v1/me/profile", tag = "me", security(("sso" = [])),
    responses((status = 200, body = Profile), (status = 401, body = salespane_api::error::ErrorBody)))]
async fn get_profile(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<ApiJson<Profile>> {
    Ok(ApiJson(
        load(&state.db, &user.account_id, &user.user_id).await?,
    ))
}

/// Changes the fields given (absent ones are kept). Personal details (name, title, phone,
/// photo URL) are saved on the user; empty title, phone or photo URL clears them.
#[utoipa::path(put, path = "/api/v1/me/profile", tag = "me", security(("sso" = [])),
    request_body = ProfileUpdate,
    responses((status = 200, body = Profile),
        (status = 400, description = "A field is invalid; the error names it", body = salespane_api::error::ErrorBody),
        (status = 401, body = salespane_api::error::ErrorBody)))]
async fn put_profile(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(update): ApiJson<ProfileUpdate>,
) -> ApiResult<ApiJson<Profile>> {
    // Validate everything before writing anything.
    let signature = update.signature.map(validate_signature).transpose()?;
    let alerts = update.alerts.map(validate_alerts).transpose()?;
    let never_log = update.never_log.map(validate_never_log).transpose()?;
    let name = update.name.map(validate_name).transpose()?;
    let title = update
        .title
        .map(|t| optional_text(t, "title", NAME_MAX_CHARS))
        .transpose()?;
    let phone = update.phone.map(validate_phone).transpose()?;
    let photo_url = update.photo_url.map(validate_photo_url).transpose()?;

    let mut profile = load(&state.db, &user.account_id, &user.user_id).await?;
    if let Some(signature) = signature {
        profile.signature = signature;
    }
    if let Some(alerts) = alerts {
        profile.alerts = alerts;
    }
    if let Some(track) = update.default_track {
        profile.default_track = track;
    }
    if let Some(never_log) = never_log {
        profile.never_log = never_log;
    }

    let now = now_ms();
    let mut tx = state.db.pool.begin().await?;
    // Touch the user row first (SQLite: take the write lock before reading).
    let mut sets = vec!["updated_at = $3".to_string()];
    let mut values: Vec<Option<String>> = Vec::new();
    for (column, value) in [
        ("name", name.map(Some)),
        ("title", title),
        ("phone", phone),
        ("photo_url", photo_url),
    ] {
        if let Some(value) = value {
            values.push(value);
            sets.push(format!("{column} = ${}", values.len() + 3));
        }
    }
    let sql = format!(
        "UPDATE users SET {} WHERE id = $1 AND account_id = $2",
        sets.join(", ")
    );
    let mut query = sqlx::query(&sql)
        .bind(&user.user_id)
        .bind(&user.account_id)
        .bind(now);
    for value in values {
        query = query.bind(value);
    }
    query.execute(&mut *tx).await?;
    save_profile_json(&mut tx, &user.account_id, &user.user_id, &profile, now).await?;
    tx.commit().await?;
    Ok(ApiJson(profile))
}

/// The user's profile settings (defaults when none are stored yet).
pub async fn load(db: &Db, account_id: &str, user_id: &str) -> Result<Profile, ApiError> {
    let row =
        sqlx::query("SELECT profile_json FROM profiles WHERE user_id = $1 AND account_id = $2")
            .bind(user_id)
            .bind(account_id)
            .fetch_optional(&db.pool)
            .await?;
    let Some(row) = row else {
        return Ok(Profile::default());
    };
    let text: String = row.try_get("profile_json")?;
    // A document from an older version that no longer parses falls back to defaults
    // rather than locking the user out of their settings.
    Ok(serde_json::from_str(&text).unwrap_or_default())
}

async fn save_profile_json(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    account_id: &str,
    user_id: &str,
    profile: &Profile,
    now: i64,
) -> Result<(), ApiError> {
    let json = serde_json::to_string(profile).map_err(ApiError::internal)?;
    let updated = sqlx::query("UPDATE profiles SET profile_json = $1, updated_at = $2 WHERE user_id = $3 AND account_id = $4")
        .bind(&json)
        .bind(now)
        .bind(user_id)
        .bind(account_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if updated == 0 {
        let onboarding = serde_json::to_string(&salespane_api::profile::Onboarding::default())
            .map_err(ApiError::internal)?;
        sqlx::query("INSERT INTO profiles (user_id, account_id, profile_json, onboarding_json, updated_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(user_id)
            .bind(account_id)
            .bind(&json)
            .bind(&onboarding)
            .bind(now)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn invalid(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(code, message)
}

fn validate_signature(signature: String) -> ApiResult<String> {
    if signature.len() > SIGNATURE_MAX_BYTES {
        return Err(invalid(
            "signature_too_large",
            format!(
                "signature: {} bytes is more than the {} KB a signature may take. Remove embedded images (link to them instead) or shorten it.",
                signature.len(),
                SIGNATURE_MAX_BYTES / 1024
            ),
        ));
    }
    Ok(signature)
}

fn validate_alerts(alerts: AlertPreferences) -> ApiResult<AlertPreferences> {
    if let Some(quiet) = &alerts.quiet_hours {
        let QuietHours {
            start,
            end,
            time_zone,
        } = quiet;
        for (field, value) in [
            ("alerts.quiet_hours.start", start),
            ("alerts.quiet_hours.end", end),
        ] {
            if !is_hh_mm(value) {
                return Err(invalid(
                    "invalid_quiet_hours",
                    format!(
                        "{field}: \"{}\" is not a time like 22:00 (24-hour HH:MM).",
                        clip(value)
                    ),
                ));
            }
        }
        if !is_time_zone_name(time_zone) {
            return Err(invalid(
                "invalid_time_zone",
                format!(
                    "alerts.quiet_hours.time_zone: \"{}\" is not a time zone name. Use an IANA name such as Europe/Paris or America/New_York, or UTC.",
                    clip(time_zone)
                ),
            ));
        }
    }
    Ok(alerts)
}

/// "HH:MM", 24-hour, two digits each.
pub fn is_hh_mm(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 5 || b[2] != b':' || !b[..2].iter().chain(&b[3..]).all(u8::is_ascii_digit) {
        return false;
    }
    let hours = (b[0] - b'0') * 10 + (b[1] - b'0');
    let minutes = (b[3] - b'0') * 10 + (b[4] - b'0');
    hours < 24 && minutes < 60
}

/// The shape of an IANA time zone name (`Area/Location[/Sub]`, or `UTC`). The server carries
/// no time zone database; clients resolve the name, and a well-formed unknown name is
/// harmless (they fall back to UTC).
pub fn is_time_zone_name(text: &str) -> bool {
    if text.is_empty() || text.len() > 64 {
        return false;
    }
    if matches!(text, "UTC" | "GMT" | "Etc/UTC" | "Etc/GMT") {
        return true;
    }
    let parts: Vec<&str> = text.split('/').collect();
    (2..=3).contains(&parts.len())
        && parts.iter().all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        })
}

fn validate_never_log(entries: Vec<String>) -> ApiResult<Vec<String>> {
    if entries.len() > NEVER_LOG_MAX_ENTRIES {
        return Err(invalid(
            "invalid_never_log",
            format!("never_log: {} entries is more than the {NEVER_LOG_MAX_ENTRIES} allowed. Use domains rather than single addresses.", entries.len()),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let normal = entry.trim().trim_start_matches('@').to_lowercase();
        let ok = match normal.split_once('@') {
            Some((local, domain)) => is_email_local(local) && is_domain(domain),
            None => is_domain(&normal),
        };
        if !ok {
            return Err(invalid(
                "invalid_never_log",
                format!(
                    "never_log[{i}]: \"{}\" is neither an email address (name@company.example) nor a domain (company.example).",
                    clip(entry)
                ),
            ));
        }
        if !out.contains(&normal) {
            out.push(normal);
        }
    }
    Ok(out)
}

/// A plausible address: what mail clients accept in practice, not the whole RFC 5322.
pub fn is_email(text: &str) -> bool {
    text.split_once('@')
        .is_some_and(|(local, domain)| is_email_local(local) && is_domain(domain))
}

fn is_email_local(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
}

/// A domain name with at least two labels and an alphabetic top-level label.
pub fn is_domain(domain: &str) -> bool {
    if domain.is_empty() || domain.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
}

fn validate_name(name: String) -> ApiResult<String> {
    let name = name.trim().to_string();
    if name.is_empty()
        || name.chars().count() > NAME_MAX_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(invalid(
            "invalid_name",
            format!(
                "name: give your name in 1 to {NAME_MAX_CHARS} characters, without line breaks."
            ),
        ));
    }
    Ok(name)
}

/// Empty means "clear it".
fn optional_text(text: String, field: &'static str, max: usize) -> ApiResult<Option<String>> {
    let text = text.trim().to_string();
    if text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(invalid(
            "invalid_title",
            format!("{field}: at most {max} characters, without line breaks."),
        ));
    }
    Ok(Some(text).filter(|t| !t.is_empty()))
}

fn validate_phone(phone: String) -> ApiResult<Option<String>> {
    let phone = phone.trim().to_string();
    if phone.is_empty() {
        return Ok(None);
    }
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().x/".contains(c));
    if !allowed || digits < 3 || phone.chars().count() > PHONE_MAX_CHARS {
        return Err(invalid(
            "invalid_phone",
            format!(
                "phone: \"{}\" is not a phone number. Use digits, spaces and + - ( ) . only, e.g. +1 415 555 0100.",
                clip(&phone)
            ),
        ));
    }
    Ok(Some(phone))
}

fn validate_photo_url(photo_url: String) -> ApiResult<Option<String>> {
    let text = photo_url.trim().to_string();
    if text.is_empty() {
        return Ok(None);
    }
    let ok = text.len() <= PHOTO_URL_MAX_CHARS
        && url::Url::parse(&text).is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some());
    if !ok {
        return Err(invalid(
            "invalid_photo_url",
            "photo_url: give an https:// address of an image (other schemes are refused so the photo cannot leak or run anything).",
        ));
    }
    Ok(Some(text))
}

/// Echoing user input in a message: short, one line.
pub fn clip(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() > 80 {
        format!("{}…", one_line.chars().take(80).collect::<String>())
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_zones() {
        assert!(is_hh_mm("00:00") && is_hh_mm("23:59") && is_hh_mm("07:30"));
        assert!(
            !is_hh_mm("24:00") && !is_hh_mm("7:30") && !is_hh_mm("12:60") && !is_hh_mm("ab:cd")
        );
        assert!(
            is_time_zone_name("Europe/Paris")
                && is_time_zone_name("America/Argentina/Buenos_Aires")
        );
        assert!(is_time_zone_name("UTC") && is_time_zone_name("Etc/GMT+5"));
        assert!(
            !is_time_zone_name("Paris")
                && !is_time_zone_name("Europe/")
                && !is_time_zone_name("../etc")
        );
    }

    #[test]
    fn addresses_and_domains() {
        assert!(is_email("a.b@c.example") && is_domain("sub.c.example"));
        assert!(
            !is_email("a@b")
                && !is_domain("localhost")
                && !is_domain("-a.example")
                && !is_email("a..b@c.example")
        );
    }
}
