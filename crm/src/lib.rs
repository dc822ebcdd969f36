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
pub use http::{CrmHttp, DEFAULT_TIMEOUT, MAX_RESPONSE_BYTES};
pub use oauth::{
    pkce_challenge, pkce_pair, Introspection, OidcMetadata, PkcePair, SalesforceOAuth, TokenSet,
    UserInfo, DEFAULT_SCOPE,
};
pub use people::{CrmOwner, CrmPerson, PersonKind};
pub use session::{
    ChangedRecord, CompositeSubrequest, CompositeSubresponse, QueryPage, SalesforceSession,
    SessionTokens, DEFAULT_API_VERSION,
};
pub use users::{CrmUser, UserQuery, UsersPage};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}
    fn assert_sync<T: Send + Sync>() {}

    #[test]
    fn sessions_can_be_shared_across_tasks() {
        assert_sync::<SalesforceSession>();
        assert_sync::<SalesforceOAuth>();
        let http = CrmHttp::with_default_timeout().unwrap();
        let session = SalesforceSession::new(
            http,
            SessionTokens {
                instance_url: "http://127.0.0.1:9".into(),
                access_token: "t".into(),
                refresh_token: None,
            },
        );
        let query = UserQuery::default();
        let future = session.list_users(&query);
        assert_send(&future);
    }
}
