//! `POST /api/v1/messages/send`: the server sends mail as the signed-in user (From: their
//! email and name, their signature appended) through the configured SMTP relay, tracked with
//! their signing key unless they asked not to or it goes only to themselves, and records it.

use axum::extract::State;
use axum::http::StatusCode;
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use rand::RngCore;
use salespane_api::messages::{MessageDetail, MessageLink, MessageSource, SendMessage};
use salespane_api::profile::Profile;
use salespane_tracking::link::{self, LinkKey};
use salespane_tracking::rewrite::{rewrite, RewriteOptions};
use sqlx::Row;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::messages::{all_to_self, check_recipients, check_subject};
use super::store::{self, NewMessage};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::identity::auth::CurrentUser;
use crate::ids::now_ms;

/// Largest body the server sends (the request body limit is the outer bound).
const MAX_HTML_BYTES: usize = 1024 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(send_message))
}

/// Sends a mail from the server as the signed-in user, tracked when `track` is true.
#[utoipa::path(post, path = "/api/v1/messages/send", tag = "messages", security(("sso" = [])),
    request_body = SendMessage,
    responses(
        (status = 201, description = "Sent and recorded", body = MessageDetail),
        (status = 400, description = "invalid_message", body = salespane_api::error::ErrorBody),
        (status = 401, body = salespane_api::error::ErrorBody),
        (status = 403, body = salespane_api::error::ErrorBody),
        (status = 502, description = "smtp_failed: the relay refused the mail or could not be reached", body = salespane_api::error::ErrorBody),
        (status = 503, description = "smtp_not_configured", body = salespane_api::error::ErrorBody),
    ))]
async fn send_message(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<SendMessage>,
) -> ApiResult<(StatusCode, ApiJson<MessageDetail>)> {
    check_recipients(&body.to, &body.cc)?;
    check_subject(&body.subject)?;
    if body.html.len() > MAX_HTML_BYTES {
        return Err(ApiError::bad_request(
            "invalid_message",
            "html is larger than 1 MB. Send a shorter body, or link to large content.",
        ));
    }
    let Some(smtp_url) = state.settings.tracking.smtp_url.clone() else {
        return Err(ApiError::unavailable(
            "smtp_not_configured",
            "This Salespane server has no mail relay. Ask your administrator to start it with --smtp-url.",
        ));
    };
    let (name, signature) = sender(&state, &user).await?;
    let to_self = all_to_self(&user.email, &body.to, &body.cc);
    let track = body.track && !to_self;

    let mut random = [0u8; 16];
    rand::rng().fill_bytes(&mut random);
    let message_id = link::new_message_id(random);
    let mut html = body.html.clone();
    if !signature.trim().is_empty() {
        html.push_str("<div class=\"salespane-signature\"><br>");
        html.push_str(&signature);
        html.push_str("</div>");
    }
    let mut links = Vec::new();
    if track {
        let key = super::signing_keys::current(&state, &user.account_id, &user.user_id).await?;
        let secret = link::decode_secret(&key.secret).map_err(ApiError::internal)?;
        let rewritten = rewrite(
            &html,
            &RewriteOptions {
                base: &state.settings.public_url,
                message_id: &message_id,
                key: LinkKey {
                    id: &key.id,
                    secret: &secret,
                },
                add_pixel: true,
            },
        )
        .map_err(|e| {
            ApiError::bad_request(
                "invalid_message",
                format!("The body could not be prepared for tracking ({e}). Send it with \"track\": false, or simplify its HTML."),
            )
        })?;
        html = rewritten.html;
        links = rewritten
            .links
            .into_iter()
            .map(|l| MessageLink {
                index: l.index,
                destination: l.destination,
            })
            .collect();
    }

    let mail = build_mail(&user.email, &name, &body, html)?;
    let transport = transport(&state, &smtp_url)?;
    transport.send(mail).await.map_err(|e| {
        tracing::warn!(error = %e, "the mail relay did not take a message");
        ApiError::bad_gateway(
            "smtp_failed",
            format!("The mail relay did not take the message ({e}). Try again; if it persists, ask your administrator to check --smtp-url."),
        )
    })?;

    store::record_message(
        &state,
        &NewMessage {
            id: &message_id,
            account_id: &user.account_id,
            user_id: &user.user_id,
            subject: &body.subject,
            to: &body.to,
            cc: &body.cc,
            tracked: track,
            to_self,
            source: MessageSource::Server,
            sent_at_ms: now_ms(),
            links: &links,
        },
    )
    .await?;
    let detail = super::messages::load(&state, &user, &message_id).await?;
    Ok((StatusCode::CREATED, ApiJson(detail)))
}

/// The sender's display name and signature.
async fn sender(state: &AppState, user: &CurrentUser) -> ApiResult<(String, String)> {
    let row = sqlx::query("SELECT name FROM users WHERE id = $1 AND account_id = $2")
        .bind(&user.user_id)
        .bind(&user.account_id)
        .fetch_one(&state.db.pool)
        .await?;
    let name: String = row.try_get("name")?;
    let profile =
        sqlx::query("SELECT profile_json FROM profiles WHERE user_id = $1 AND account_id = $2")
            .bind(&user.user_id)
            .bind(&user.account_id)
            .fetch_optional(&state.db.pool)
            .await?;
    let signature = match profile {
        Some(row) => serde_json::from_str::<Profile>(&row.try_get::<String, _>("profile_json")?)
            .map(|p| p.signature)
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok((name, signature))
}

fn build_mail(
    email: &str,
    name: &str,
    body: &SendMessage,
    html: String,
) -> ApiResult<lettre::Message> {
    let address = |text: &str| {
        text.parse::<lettre::Address>().map_err(|_| {
            ApiError::bad_request(
                "invalid_message",
                format!("{text:?} is not an email address."),
            )
        })
    };
    let from_name = (!name.trim().is_empty()).then(|| name.trim().to_string());
    let mut builder = lettre::Message::builder()
        .from(Mailbox::new(from_name, address(email)?))
        .subject(body.subject.clone());
    for to in &body.to {
        builder = builder.to(Mailbox::new(None, address(to)?));
    }
    for cc in &body.cc {
        builder = builder.cc(Mailbox::new(None, address(cc)?));
    }
    builder
        .header(ContentType::TEXT_HTML)
        .body(html)
        .map_err(|e| {
            ApiError::bad_request(
                "invalid_message",
                format!("The mail could not be built: {e}."),
            )
        })
}

fn transport(state: &AppState, url: &str) -> ApiResult<AsyncSmtpTransport<Tokio1Executor>> {
    let settings = &state.settings.tracking;
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| ApiError::internal(format_args!("--smtp-url is not usable: {e}")))?;
    if let (Some(user), Some(password)) = (&settings.smtp_username, &settings.smtp_password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder
        .timeout(Some(std::time::Duration::from_secs(
            state.settings.upstream_timeout_seconds,
        )))
        .build())
}
