//! The server's frame: health, JSON errors for every kind of bad request, identity checks.

mod common;

use common::StatusCode;
use serde_json::json;

both_backends! {
    async fn health_reports_the_backend(server) {
        let reply = common::read(server.http.get(server.url("/healthz"))).await;
        assert_eq!(reply.status, StatusCode::OK);
        let expected = match server.backend {
            common::Backend::Sqlite => "sqlite",
            common::Backend::Postgres => "postgres",
        };
        assert_eq!(reply.body["database"], expected);
    }

    async fn unknown_paths_and_methods_answer_json_errors(server) {
        let reply = common::read(server.http.get(server.url("/no/such/thing"))).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert_eq!(reply.code(), "not_found");
        let reply = common::read(server.http.delete(server.url("/healthz"))).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(reply.code(), "method_not_allowed");
    }

    async fn openapi_document_is_served(server) {
        let reply = common::read(server.http.get(server.url("/openapi.json"))).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.body["paths"]["/healthz"]["get"].is_object(), "{}", reply.text);
        assert!(reply.body["components"]["securitySchemes"]["sso"].is_object());
    }

    async fn sandbox_is_mounted_with_this_servers_issuer(server) {
        let reply = common::read(
            server.http.get(format!("{}/.well-known/openid-configuration", server.sandbox)),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body["issuer"], json!(server.sandbox));
    }
}
