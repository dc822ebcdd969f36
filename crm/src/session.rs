//! A signed-in user's connection to their org's REST API. A call answered 401 refreshes the
//! access token once (when a refresh token is known) and is retried once; new tokens are
//! reported through [`SalesforceSession::on_refresh`] so the caller can persist them.

use crate::http::{parse_json, rest_error, CrmHttp};
use crate::oauth::{SalesforceOAuth, TokenSet};
use crate::soql::api_name;
use crate::CrmError;
use reqwest::{Method, StatusCode};
use salespane_api::sfid::SfId;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The REST API version Salespane speaks (Spring '26).
pub const DEFAULT_API_VERSION: &str = "66.0";

/// The tokens a session uses; what the server stores per CRM connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTokens {
    pub instance_url: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
}

type RefreshCallback = Arc<dyn Fn(&TokenSet) + Send + Sync>;

pub struct SalesforceSession {
    http: CrmHttp,
    tokens: Mutex<SessionTokens>,
    oauth: Option<SalesforceOAuth>,
    on_refresh: Option<RefreshCallback>,
    refresh_lock: tokio::sync::Mutex<()>,
    api_version: String,
    batch_size: Option<u32>,
}

/// One page of a query.
#[derive(Debug, Clone, Deserialize)]
pub struct QueryPage<T> {
    #[serde(rename = "totalSize")]
    pub total_size: u64,
    pub done: bool,
    pub records: Vec<T>,
    #[serde(rename = "nextRecordsUrl", default)]
    pub next_records_url: Option<String>,
}

#[derive(Deserialize)]
struct SaveResult {
    #[serde(default)]
    id: Option<String>,
    success: bool,
    #[serde(default)]
    errors: Vec<SaveError>,
}

#[derive(Deserialize)]
struct SaveError {
    #[serde(rename = "statusCode", default)]
    status_code: String,
    #[serde(default)]
    message: String,
}

impl SaveResult {
    fn into_result(self) -> Result<SfId, CrmError> {
        match (self.success, self.id.as_deref().map(SfId::parse)) {
            (true, Some(Ok(id))) => Ok(id),
            (true, _) => Err(CrmError::MalformedResponse(
                "a saved record came back without a valid id".into(),
            )),
            (false, _) => {
                let first = self.errors.into_iter().next();
                Err(CrmError::InvalidRequest {
                    code: first
                        .as_ref()
                        .map(|e| e.status_code.clone())
                        .unwrap_or_default(),
                    message: first.map(|e| e.message).unwrap_or_default(),
                })
            }
        }
    }
}

#[derive(Deserialize)]
struct CreateResult {
    id: String,
}

/// One subrequest of a composite call. A relative `url` (`sobjects/Account`) is resolved under
/// `/services/data/vNN.N/`; bodies and urls may name earlier results as `@{referenceId.id}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompositeSubrequest {
    pub method: String,
    pub url: String,
    #[serde(rename = "referenceId")]
    pub reference_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl CompositeSubrequest {
    pub fn create(reference_id: &str, object: &str, body: Value) -> CompositeSubrequest {
        CompositeSubrequest {
            method: "POST".into(),
            url: format!("sobjects/{object}"),
            reference_id: reference_id.into(),
            body: Some(body),
        }
    }

    /// `id` may be a reference such as `@{newLead.id}`.
    pub fn update(reference_id: &str, object: &str, id: &str, body: Value) -> CompositeSubrequest {
        CompositeSubrequest {
            method: "PATCH".into(),
            url: format!("sobjects/{object}/{id}"),
            reference_id: reference_id.into(),
            body: Some(body),
        }
    }

    pub fn get(reference_id: &str, url: &str) -> CompositeSubrequest {
        CompositeSubrequest {
            method: "GET".into(),
            url: url.into(),
            reference_id: reference_id.into(),
            body: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CompositeSubresponse {
    #[serde(default)]
    pub body: Value,
    #[serde(rename = "httpHeaders", default)]
    pub http_headers: HashMap<String, String>,
    #[serde(rename = "httpStatusCode")]
    pub http_status_code: u16,
    #[serde(rename = "referenceId")]
    pub reference_id: String,
}

impl CompositeSubresponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.http_status_code)
    }

    /// The id a successful create returned.
    pub fn created_id(&self) -> Option<SfId> {
        self.body
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| SfId::parse(s).ok())
    }

    /// The error this subrequest ended with, if it failed.
    pub fn error(&self) -> Option<CrmError> {
        if self.is_success() {
            return None;
        }
        let status = StatusCode::from_u16(self.http_status_code).unwrap_or(StatusCode::BAD_REQUEST);
        Some(rest_error(status, self.body.to_string().as_bytes()))
    }
}

#[derive(Deserialize)]
struct CompositeResult {
    #[serde(rename = "compositeResponse")]
    composite_response: Vec<CompositeSubresponse>,
}

/// A record's ownership and audit fields, from [`SalesforceSession::changed_since`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChangedRecord {
    #[serde(rename = "Id")]
    pub id: SfId,
    #[serde(rename = "OwnerId", default)]
    pub owner_id: Option<SfId>,
    #[serde(rename = "CreatedById")]
    pub created_by_id: SfId,
    #[serde(rename = "LastModifiedById")]
    pub last_modified_by_id: SfId,
    #[serde(rename = "CreatedDate")]
    pub created_date: String,
    #[serde(rename = "LastModifiedDate")]
    pub last_modified_date: String,
    /// Every field returned, including any extra ones asked for.
    #[serde(flatten)]
    pub fields: serde_json::Map<String, Value>,
}

/// Objects with an `OwnerId`.
fn is_owned(object: &str) -> bool {
    matches!(
        object,
        "Lead" | "Contact" | "Account" | "Opportunity" | "Task" | "Event" | "Case"
    )
}

impl SalesforceSession {
    pub fn new(http: CrmHttp, tokens: SessionTokens) -> SalesforceSession {
        SalesforceSession {
            http,
            tokens: Mutex::new(SessionTokens {
                instance_url: tokens.instance_url.trim_end_matches('/').to_string(),
                ..tokens
            }),
            oauth: None,
            on_refresh: None,
            refresh_lock: tokio::sync::Mutex::new(()),
            api_version: DEFAULT_API_VERSION.to_string(),
            batch_size: None,
        }
    }

    /// The connected app used to refresh the access token on 401.
    pub fn with_refresher(mut self, oauth: SalesforceOAuth) -> SalesforceSession {
        self.oauth = Some(oauth);
        self
    }

    /// Called with the token response after each refresh, to persist the new access token.
    pub fn on_refresh(
        mut self,
        callback: impl Fn(&TokenSet) + Send + Sync + 'static,
    ) -> SalesforceSession {
        self.on_refresh = Some(Arc::new(callback));
        self
    }

    pub fn with_api_version(mut self, version: &str) -> SalesforceSession {
        self.api_version = version.trim_start_matches('v').to_string();
        self
    }

    /// Rows per query page (`Sforce-Query-Options: batchSize=N`; Salesforce takes 200–2000).
    pub fn with_batch_size(mut self, rows: u32) -> SalesforceSession {
        self.batch_size = Some(rows);
        self
    }

    /// The tokens in use now (after any refresh).
    pub fn tokens(&self) -> SessionTokens {
        self.tokens
            .lock()
            .map(|t| t.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    fn set_access_token(&self, set: &TokenSet) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens.access_token = set.access_token.clone();
        if let Some(refresh) = &set.refresh_token {
            tokens.refresh_token = Some(refresh.clone());
        }
        if let Some(instance) = &set.instance_url {
            tokens.instance_url = instance.trim_end_matches('/').to_string();
        }
    }

    fn data_path(&self, rest: &str) -> String {
        format!(
            "/services/data/v{}/{}",
            self.api_version,
            rest.trim_start_matches('/')
        )
    }

    /// Refreshes unless another call already did since `used_token` was sent.
    async fn refresh_after_401(&self, used_token: &str) -> Result<(), CrmError> {
        let _guard = self.refresh_lock.lock().await;
        let tokens = self.tokens();
        if tokens.access_token != used_token {
            return Ok(());
        }
        let (Some(oauth), Some(refresh_token)) = (&self.oauth, tokens.refresh_token.as_deref())
        else {
            return Err(CrmError::InvalidSession);
        };
        let set = oauth.refresh(refresh_token).await?;
        self.set_access_token(&set);
        if let Some(callback) = &self.on_refresh {
            callback(&set);
        }
        Ok(())
    }

    /// Sends a request to `path` (absolute path on the instance) and returns the body of a
    /// 2xx answer; refreshes and retries once on 401.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Vec<u8>, CrmError> {
        let mut retried = false;
        loop {
            let tokens = self.tokens();
            let mut request = self
                .http
                .client
                .request(method.clone(), format!("{}{}", tokens.instance_url, path))
                .bearer_auth(&tokens.access_token)
                .header(reqwest::header::ACCEPT, "application/json");
            if !query.is_empty() {
                request = request.query(query);
            }
            if let Some(rows) = self.batch_size {
                request = request.header("Sforce-Query-Options", format!("batchSize={rows}"));
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let (status, bytes) = self.http.send(request).await?;
            if status.is_success() {
                return Ok(bytes);
            }
            if status == StatusCode::UNAUTHORIZED && !retried {
                retried = true;
                self.refresh_after_401(&tokens.access_token).await?;
                continue;
            }
            return Err(rest_error(status, &bytes));
        }
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, CrmError> {
        parse_json(&self.call(Method::GET, path, query, None).await?)
    }

    /// The first page of a query.
    pub async fn query_page<T: DeserializeOwned>(
        &self,
        soql: &str,
    ) -> Result<QueryPage<T>, CrmError> {
        self.get_json(&self.data_path("query"), &[("q", soql)])
            .await
    }

    /// The page a `nextRecordsUrl` names.
    pub async fn query_more<T: DeserializeOwned>(
        &self,
        next_records_url: &str,
    ) -> Result<QueryPage<T>, CrmError> {
        if !next_records_url.starts_with("/services/data/") {
            return Err(CrmError::MalformedResponse(format!(
                "unexpected nextRecordsUrl {next_records_url}"
            )));
        }
        self.get_json(next_records_url, &[]).await
    }

    /// Every record of a query, following `nextRecordsUrl`.
    pub async fn query<T: DeserializeOwned>(&self, soql: &str) -> Result<Vec<T>, CrmError> {
        let mut page: QueryPage<T> = self.query_page(soql).await?;
        let mut all = std::mem::take(&mut page.records);
        while let Some(next) = page.next_records_url.take() {
            page = self.query_more(&next).await?;
            all.append(&mut page.records);
        }
        Ok(all)
    }

    /// `totalSize` of a `SELECT COUNT() …` query.
    pub async fn count(&self, soql: &str) -> Result<u64, CrmError> {
        let page: QueryPage<Value> = self.query_page(soql).await?;
        Ok(page.total_size)
    }

    /// One record, all fields.
    pub async fn get_record(&self, object: &str, id: &SfId) -> Result<Value, CrmError> {
        let path = self.data_path(&format!("sobjects/{}/{id}", api_name(object)?));
        self.get_json(&path, &[]).await
    }

    /// Creates a record; returns its id.
    pub async fn create(&self, object: &str, fields: Value) -> Result<SfId, CrmError> {
        let path = self.data_path(&format!("sobjects/{}", api_name(object)?));
        let result: CreateResult =
            parse_json(&self.call(Method::POST, &path, &[], Some(&fields)).await?)?;
        SfId::parse(&result.id)
            .map_err(|e| CrmError::MalformedResponse(format!("created id {}: {e}", result.id)))
    }

    pub async fn update(&self, object: &str, id: &SfId, fields: Value) -> Result<(), CrmError> {
        let path = self.data_path(&format!("sobjects/{}/{id}", api_name(object)?));
        self.call(Method::PATCH, &path, &[], Some(&fields))
            .await
            .map(|_| ())
    }

    pub async fn delete(&self, object: &str, id: &SfId) -> Result<(), CrmError> {
        let path = self.data_path(&format!("sobjects/{}/{id}", api_name(object)?));
        self.call(Method::DELETE, &path, &[], None)
            .await
            .map(|_| ())
    }

    /// Up to 25 subrequests in one call. With `all_or_none`, one failure rolls back all.
    /// The call fails only if the composite request itself fails; check each subresponse.
    pub async fn composite(
        &self,
        all_or_none: bool,
        requests: Vec<CompositeSubrequest>,
    ) -> Result<Vec<CompositeSubresponse>, CrmError> {
        let requests: Vec<CompositeSubrequest> = requests
            .into_iter()
            .map(|mut r| {
                if !r.url.starts_with('/') {
                    r.url = self.data_path(&r.url);
                }
                r
            })
            .collect();
        let body = serde_json::json!({ "allOrNone": all_or_none, "compositeRequest": requests });
        let result: CompositeResult = parse_json(
            &self
                .call(Method::POST, &self.data_path("composite"), &[], Some(&body))
                .await?,
        )?;
        Ok(result.composite_response)
    }

    /// Creates up to 200 records of any types in one call (`/composite/sobjects`); one result
    /// per record, in order. With `all_or_none`, one failure fails them all.
    pub async fn create_many(
        &self,
        all_or_none: bool,
        records: &[(&str, Value)],
    ) -> Result<Vec<Result<SfId, CrmError>>, CrmError> {
        let mut list = Vec::with_capacity(records.len());
        for (object, fields) in records {
            let mut record = match fields {
                Value::Object(map) => map.clone(),
                _ => serde_json::Map::new(),
            };
            record.insert(
                "attributes".into(),
                serde_json::json!({ "type": api_name(object)? }),
            );
            list.push(Value::Object(record));
        }
        let body = serde_json::json!({ "allOrNone": all_or_none, "records": list });
        let results: Vec<SaveResult> = parse_json(
            &self
                .call(
                    Method::POST,
                    &self.data_path("composite/sobjects"),
                    &[],
                    Some(&body),
                )
                .await?,
        )?;
        Ok(results.into_iter().map(SaveResult::into_result).collect())
    }

    /// Records of `object` modified after `since` (RFC 3339 or Salesforce's datetime form),
    /// oldest first, with owner and audit fields plus `extra_fields`.
    pub async fn changed_since(
        &self,
        object: &str,
        since: &str,
        extra_fields: &[&str],
    ) -> Result<Vec<ChangedRecord>, CrmError> {
        self.query(&changed_since_soql(object, since, extra_fields)?)
            .await
    }

    /// The first page of [`SalesforceSession::changed_since`]; follow `next_records_url` with
    /// [`SalesforceSession::query_more`] to handle one page at a time.
    pub async fn changed_since_page(
        &self,
        object: &str,
        since: &str,
        extra_fields: &[&str],
    ) -> Result<QueryPage<ChangedRecord>, CrmError> {
        self.query_page(&changed_since_soql(object, since, extra_fields)?)
            .await
    }
}

/// The query of records of `object` modified after `since`, oldest first.
fn changed_since_soql(
    object: &str,
    since: &str,
    extra_fields: &[&str],
) -> Result<String, CrmError> {
    {
        let object = api_name(object)?;
        let mut fields = vec![
            "Id",
            "CreatedById",
            "LastModifiedById",
            "CreatedDate",
            "LastModifiedDate",
        ];
        if is_owned(object) {
            fields.push("OwnerId");
        }
        for extra in extra_fields {
            let name = api_name(extra)?;
            if !fields.iter().any(|f| f.eq_ignore_ascii_case(name)) {
                fields.push(name);
            }
        }
        Ok(format!(
            "SELECT {} FROM {object} WHERE LastModifiedDate > {} ORDER BY LastModifiedDate ASC",
            fields.join(", "),
            crate::soql::soql_datetime(since)?
        ))
    }
}
