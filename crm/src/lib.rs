//! Salespane server's Salesforce client: the OAuth 2.0 / OpenID Connect flow (PKCE), token
//! refresh and revocation, UserInfo, and the REST API (SOQL queries with paging, records,
//! composite). Works the same against a real org and the built-in sandbox: only the login URL
//! and the instance URL differ.

mod error;
mod http;
mod oauth;
mod people;
mod session;
pub mod soql;
mod users;

pub use error::CrmError;
pub use http::{CrmHttp, DEFAULT_TIMEOUT};
pub use oauth::{pkce_challenge, pkce_pair, OidcMetadata, PkcePair, SalesforceOAuth, TokenSet, UserInfo, DEFAULT_SCOPE};
pub use people::{CrmOwner, CrmPerson, PersonKind};
pub use session::{
    ChangedRecord, CompositeSubrequest, CompositeSubresponse, QueryPage, SalesforceSession, SessionTokens,
    DEFAULT_API_VERSION,
};
pub use users::{CrmUser, UserQuery, UsersPage};
