//! The server helper runs the real `salespane-server --sandbox` binary
//! (`$SALESPANE_SERVER_BIN`): it becomes ready on its own port and answers HTTP there.

use salespane_e2e::server::ServerProcess;
use std::time::Duration;

#[test]
fn sandbox_server_starts_and_answers_health() {
    let server = ServerProcess::start_sandbox().unwrap_or_else(|err| panic!("[server] {err}"));
    let url = format!("{}/healthz", server.base_url());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into();
    let response = agent
        .get(&url)
        .call()
        .unwrap_or_else(|err| panic!("[server] GET {url}: {err}\n{}", server.output().join("\n")));
    assert!(
        response.status().is_success(),
        "[server] GET {url} answered {}\n{}",
        response.status(),
        server.output().join("\n")
    );
}
