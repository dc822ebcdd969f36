//! The messages API: the extension records its sends (idempotent by message id), and the
//! sender reads their messages, links and classified opens and clicks. Everything is
//! scoped to the signed-in user's own messages in their account.

use axum::extract::State;
use axum::http::StatusCode;
use salespane_api::messages::{
    MessageDetail, MessageEvents, MessageLink, MessageSource, MessagesPage, RecordMessage,
};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::store::{self, NewMessage, Recorded};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::identity::auth::CurrentUser;

pub const MAX_RECIPIENTS: usize = 100;
pub const MAX_SUBJECT_CHARS: usize = 2_000;
pub const MAX_LINKS: usize = 2_000;
pub const MAX_URL_BYTES: usize = 8 * 1024;
const MAX_PAGE_SIZE: i64 = 200;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(record_message, list_messages))
        .routes(routes!(get_message))
        .routes(routes!(message_events))
}

/// Records a send made by the extension. The first call answers 201; a repeat with the
/// same id answers 200 with the record kept the first time.
#[utoipa::path(post, path = "/api/v1/messages", tag = "messages", security(("sso" = [])),
    request_body = RecordMessage,
    responses(
        (status = 201, description = "Recorded", body = MessageDetail),
        (status = 200, description = "Already recorded (same id)", body = MessageDetail),
        (status = 400, description = "invalid_message", body = salespane_api::error::ErrorBody),
        (status = 401, body = salespane_api::error::ErrorBody),
        (status = 403, body = salespane_api::error::ErrorBody),
        (status = 409, description = "message_id_taken", body = salespane_api::error::ErrorBody),
    ))]
async fn record_message(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<RecordMessage>,
) -> ApiResult<(StatusCode, ApiJson<MessageDetail>)> {
    if !salespane_tracking::link::is_valid_message_id(&body.id) {
        return Err(invalid(
            "id is not a message id made by Salespane (msg_…). Send the id the tracked body carries.",
        ));
    }
    check_recipients(&body.to, &body.cc)?;
    check_subject(&body.subject)?;
    check_links(&body.links)?;
    let Some(sent_at_ms) = store::parse_rfc3339(&body.sent_at) else {
        return Err(invalid(
            "sent_at must be an RFC 3339 time such as 2026-11-29T16:40:00Z.",
        ));
    };
    let to_self = all_to_self(&user.email, &body.to, &body.cc);
    let recorded = store::record_message(
        &state,
        &NewMessage {
            id: &body.id,
            account_id: &user.account_id,
            user_id: &user.user_id,
            subject: &body.subject,
            to: &body.to,
            cc: &body.cc,
            tracked: body.tracked && !to_self,
            to_self,
            source: MessageSource::Extension,
            sent_at_ms,
            links: &body.links,
        },
    )
    .await?;
    if recorded == Recorded::Created {
        // Hits that came before this record are classified again with its sent time.
        super::writer::reclassify_early_hits(&state, &user.account_id, &user.user_id, &body.id)
            .await?;
    }
    let detail = load(&state, &user, &body.id).await?;
    let status = match recorded {
        Recorded::Created => StatusCode::CREATED,
        Recorded::AlreadyRecorded => StatusCode::OK,
    };
    Ok((status, ApiJson(detail)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// 1-based page number (default 1).
    page: Option<i64>,
    /// Messages per page (default 25, at most 200).
    page_size: Option<i64>,
}

/// The signed-in user's sent messages, newest first, with counted opens and clicks.
#[utoipa::path(get, path = "/api/v1/messages", tag = "messages", security(("sso" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = MessagesPage),
        (status = 400, description = "invalid_page", body = salespane_api::error::ErrorBody),
        (status = 401, body = salespane_api::error::ErrorBody),
        (status = 403, body = salespane_api::error::ErrorBody),
    ))]
async fn list_messages(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<ApiJson<MessagesPage>> {
    let page = query.page.unwrap_or(1);
    let page_size = query.page_size.unwrap_or(25);
    if page < 1 || !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(ApiError::bad_request(
            "invalid_page",
            format!("page must be 1 or more and page_size between 1 and {MAX_PAGE_SIZE}."),
        ));
    }
    Ok(ApiJson(
        store::list_messages(&state, &user.account_id, &user.user_id, page, page_size).await?,
    ))
}

/// One of the user's messages, with its links and their counted clicks.
#[utoipa::path(get, path = "/api/v1/messages/{id}", tag = "messages", security(("sso" = [])),
    params(("id" = String, Path, description = "Message id (msg_…)")),
    responses(
        (status = 200, body = MessageDetail),
        (status = 401, body = salespane_api::error::ErrorBody),
        (status = 403, body = salespane_api::error::ErrorBody),
        (status = 404, description = "message_not_found", body = salespane_api::error::ErrorBody),
    ))]
async fn get_message(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<MessageDetail>> {
    Ok(ApiJson(load(&state, &user, &id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// true: every hit, with scanners, proxies' prefetches, the sender's own views and
    /// repeats; otherwise only the hits that count (people).
    all: Option<bool>,
}

/// The opens and clicks of one of the user's messages, oldest first, classified.
#[utoipa::path(get, path = "/api/v1/messages/{id}/events", tag = "messages", security(("sso" = [])),
    params(("id" = String, Path, description = "Message id (msg_…)"), EventsQuery),
    responses(
        (status = 200, body = MessageEvents),
        (status = 400, description = "invalid_query", body = salespane_api::error::ErrorBody),
        (status = 401, body = salespane_api::error::ErrorBody),
        (status = 403, body = salespane_api::error::ErrorBody),
        (status = 404, description = "message_not_found", body = salespane_api::error::ErrorBody),
    ))]
async fn message_events(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> ApiResult<ApiJson<MessageEvents>> {
    // 404 unless the message is the user's own.
    load(&state, &user, &id).await?;
    Ok(ApiJson(
        store::events(
            &state,
            &user.account_id,
            &user.user_id,
            &id,
            query.all.unwrap_or(false),
        )
        .await?,
    ))
}

pub async fn load(state: &AppState, user: &CurrentUser, id: &str) -> ApiResult<MessageDetail> {
    store::message_detail(state, &user.account_id, &user.user_id, id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(
                "message_not_found",
                "You have no sent message with this id. List yours with GET /api/v1/messages.",
            )
        })
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_message", message)
}

/// Recipients: at least one in `to`, at most 100 in all, each a plain address.
pub fn check_recipients(to: &[String], cc: &[String]) -> ApiResult<()> {
    if to.is_empty() {
        return Err(invalid("to needs at least one address."));
    }
    if to.len() + cc.len() > MAX_RECIPIENTS {
        return Err(invalid(format!(
            "A message takes at most {MAX_RECIPIENTS} recipients (to and cc together)."
        )));
    }
    for address in to.iter().chain(cc) {
        if address.parse::<lettre::Address>().is_err() || address.len() > 320 {
            return Err(invalid(format!(
                "{address:?} is not an email address (name@example.com)."
            )));
        }
    }
    Ok(())
}

pub fn check_subject(subject: &str) -> ApiResult<()> {
    if subject.chars().count() > MAX_SUBJECT_CHARS || subject.contains(['\r', '\n']) {
        return Err(invalid(format!(
            "subject must be one line of at most {MAX_SUBJECT_CHARS} characters."
        )));
    }
    Ok(())
}

fn check_links(links: &[MessageLink]) -> ApiResult<()> {
    if links.len() > MAX_LINKS {
        return Err(invalid(format!(
            "A message records at most {MAX_LINKS} links."
        )));
    }
    for link in links {
        if link.destination.len() > MAX_URL_BYTES
            || !url::Url::parse(&link.destination)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        {
            return Err(invalid(format!(
                "link {} is not an http(s) address of at most {MAX_URL_BYTES} bytes.",
                link.index
            )));
        }
    }
    Ok(())
}

/// True when every recipient is the sender (such mail is never tracked).
pub fn all_to_self(sender: &str, to: &[String], cc: &[String]) -> bool {
    to.iter()
        .chain(cc)
        .all(|a| a.trim().eq_ignore_ascii_case(sender.trim()))
}
