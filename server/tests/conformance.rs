//! Independent conformance tools against the real server process: scim2-tester (the SCIM
//! 2.0 suite; every check must pass) and schemathesis (a fuzzer driven by /openapi.json: no
//! 5xx, every status, content type and body as documented). Both come from
//! `tests/python-requirements.txt`, installed by `cargo xtask test` into `target/python`,
//! whose Python it passes as `SALESPANE_TEST_PYTHON`. Without it these tests are skipped
//! with a line saying how to run them (and fail when `SALESPANE_TEST_REQUIRE_PYTHON` is set).

mod common;

use common::{Backend, StatusCode, TestServer};
use salespane_sandbox::seed;
use std::path::{Path, PathBuf};
use std::process::Command;

fn test_python() -> Option<PathBuf> {
    if let Some(python) = std::env::var_os("SALESPANE_TEST_PYTHON") {
        return Some(PathBuf::from(python));
    }
    assert!(
        std::env::var_os("SALESPANE_TEST_REQUIRE_PYTHON").is_none(),
        "SALESPANE_TEST_PYTHON is not set"
    );
    eprintln!(
        "skipped the SCIM and OpenAPI conformance tools: run `cargo xtask test --only unit` (it installs them), or set SALESPANE_TEST_PYTHON to a Python with tests/python-requirements.txt installed"
    );
    None
}

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// A scratch directory for the tools' own files (hypothesis and schemathesis write some).
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "salespane-conformance-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Acme's SCIM token, with seats enough for everything the tools create.
fn scim_token(server: &TestServer) -> String {
    let accounts = server.admin_cli(&["list-accounts"]);
    let listing = String::from_utf8_lossy(&accounts.stdout).into_owned();
    let account = listing
        .lines()
        .find(|line| line.contains(seed::ACME_ORG_NAME))
        .and_then(|line| line.split('\t').next())
        .unwrap_or_else(|| panic!("Acme in the account list: {listing}"))
        .to_string();
    let seats = server.admin_cli(&["set-seats", "--account", &account, "--seats", "1000"]);
    assert!(seats.status.success(), "{seats:?}");
    let issued = server.admin_cli(&[
        "issue-scim-token",
        "--account",
        &account,
        "--name",
        "conformance",
    ]);
    assert!(issued.status.success(), "{issued:?}");
    String::from_utf8_lossy(&issued.stdout)
        .lines()
        .find(|line| line.starts_with("spscim_"))
        .expect("the token is printed")
        .trim()
        .to_string()
}

fn run(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
}

async fn scim2_tester(backend: Backend) {
    let Some(python) = test_python() else {
        return;
    };
    let server = TestServer::start(backend).await;
    let token = scim_token(&server);
    run(
        Command::new(&python)
            .arg(repo_file("tests/conformance/scim_check.py"))
            .arg(server.url("/scim/v2"))
            .arg(&token)
            .current_dir(scratch()),
        "scim2-tester",
    );
}

/// schemathesis over every documented operation: SCIM ones with a SCIM token first (the
/// others, as an admin, may revoke SCIM tokens), then the rest with an admin's SSO token.
async fn schemathesis(backend: Backend) {
    let Some(python) = test_python() else {
        return;
    };
    let server = TestServer::start(backend).await;
    let scim = scim_token(&server);
    let admin = server.token_for(seed::ACME_ADMIN).await;
    assert_eq!(
        server.get("/api/v1/me", &admin).await.status,
        StatusCode::OK
    );
    let schemathesis = python
        .parent()
        .map(|bin| bin.join("st"))
        .expect("the virtualenv's bin directory");
    let dir = scratch();
    for (token, tag_filter) in [(&scim, "--include-tag"), (&admin, "--exclude-tag")] {
        run(
            Command::new(&schemathesis)
                .arg("run")
                .arg(server.url("/openapi.json"))
                .args([
                    "--checks",
                    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                    tag_filter,
                    "scim",
                    "--header",
                ])
                .arg(format!("Authorization: Bearer {token}"))
                .args([
                    "--max-examples",
                    "15",
                    "--workers",
                    "1",
                    "--phases",
                    "examples,coverage,fuzzing",
                    "--seed",
                    "20261129",
                    "--no-color",
                ])
                .current_dir(&dir),
            "schemathesis",
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_scim2_tester_passes_in_full() {
    scim2_tester(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_scim2_tester_passes_in_full() {
    if common::postgres_configured() {
        scim2_tester(Backend::Postgres).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_schemathesis_finds_no_server_error_or_undocumented_answer() {
    schemathesis(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_schemathesis_finds_no_server_error_or_undocumented_answer() {
    if common::postgres_configured() {
        schemathesis(Backend::Postgres).await;
    }
}
