//! Load figures (not a pass/fail test): requests/s and p99 latency of an authenticated read
//! (`GET /api/v1/me`, token cache warm) and of a one-user import, against a real server
//! process on loopback, on SQLite and PostgreSQL. Bounded in count and time.
//!
//! cargo test -p salespane-server --release --test bench_me_import -- --ignored --nocapture --test-threads 1

mod common;

use salespane_sandbox::seed;
use serde_json::json;
use std::time::{Duration, Instant};

const READS: usize = 4000;
const READ_CONCURRENCY: usize = 16;
const IMPORTS: usize = 300;
const IMPORT_CONCURRENCY: usize = 4;
const TIME_LIMIT: Duration = Duration::from_secs(30);

struct Figures {
    count: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Figures {
    fn report(&mut self, what: &str, backend: common::Backend) {
        self.latencies.sort();
        let pct = |p: f64| {
            let i = ((self.latencies.len() as f64 * p).ceil() as usize)
                .clamp(1, self.latencies.len())
                - 1;
            self.latencies[i].as_secs_f64() * 1000.0
        };
        println!(
            "{backend:?} {what}: {} requests in {:.2} s = {:.0} req/s; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.count,
            self.elapsed.as_secs_f64(),
            self.count as f64 / self.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
            pct(1.0),
        );
    }
}

async fn bench(backend: common::Backend) {
    let server = common::TestServer::start(backend).await;
    let admin = server.token_for(seed::ACME_ADMIN).await;
    // Warm: identity cached, signing key created.
    assert_eq!(
        server.get("/api/v1/me", &admin).await.status,
        common::StatusCode::OK
    );

    let started = Instant::now();
    let per_worker = READS / READ_CONCURRENCY;
    let workers = (0..READ_CONCURRENCY).map(|_| {
        let server = &server;
        let admin = &admin;
        async move {
            let mut latencies = Vec::with_capacity(per_worker);
            for _ in 0..per_worker {
                if started.elapsed() > TIME_LIMIT {
                    break;
                }
                let t = Instant::now();
                let reply = server.get("/api/v1/me", admin).await;
                assert_eq!(reply.status, common::StatusCode::OK);
                latencies.push(t.elapsed());
            }
            latencies
        }
    });
    let latencies: Vec<Duration> = futures::future::join_all(workers)
        .await
        .into_iter()
        .flatten()
        .collect();
    Figures {
        count: latencies.len(),
        elapsed: started.elapsed(),
        latencies,
    }
    .report("GET /api/v1/me", backend);

    // Imports: enough seats, and each imported user removed again (untimed) so the pool of
    // importable Salesforce users never runs out.
    let listing = server.admin_cli(&["list-accounts"]);
    let text = String::from_utf8_lossy(&listing.stdout).to_string();
    let acme = text
        .lines()
        .find(|l| l.contains(seed::ACME_ORG_NAME))
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_string();
    assert!(server
        .admin_cli(&["set-seats", "--account", &acme, "--seats", "100"])
        .status
        .success());
    let reps: Vec<String> = (1..=seed::ACME_GENERATED_REPS)
        .map(|i| {
            seed::user_id(&format!("rep{i:02}@acme.example"))
                .unwrap()
                .as_str()
                .to_string()
        })
        .collect();
    let started = Instant::now();
    let per_worker = IMPORTS / IMPORT_CONCURRENCY;
    let workers = (0..IMPORT_CONCURRENCY).map(|w| {
        let server = &server;
        let admin = &admin;
        let reps = &reps;
        async move {
            let mut latencies = Vec::with_capacity(per_worker);
            let mut busy = Duration::ZERO;
            for i in 0..per_worker {
                if started.elapsed() > TIME_LIMIT {
                    break;
                }
                // Workers use disjoint reps.
                let rep = &reps[(w + i * IMPORT_CONCURRENCY) % reps.len()];
                let t = Instant::now();
                let reply = server
                    .post(
                        "/api/v1/admin/users/import",
                        admin,
                        json!({"crm_user_ids": [rep]}),
                    )
                    .await;
                let took = t.elapsed();
                busy += took;
                latencies.push(took);
                let id = reply.body["imported"][0]["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{}", reply.text))
                    .to_string();
                let removed = server
                    .delete(&format!("/api/v1/admin/users/{id}"), admin)
                    .await;
                assert_eq!(removed.status, common::StatusCode::NO_CONTENT);
            }
            (latencies, busy)
        }
    });
    let results = futures::future::join_all(workers).await;
    let busy = results.iter().map(|(_, b)| *b).max().unwrap_or_default();
    let latencies: Vec<Duration> = results.into_iter().flat_map(|(l, _)| l).collect();
    // Throughput over the time spent importing (the untimed removals excluded).
    Figures {
        count: latencies.len(),
        elapsed: busy,
        latencies,
    }
    .report("POST /api/v1/admin/users/import (1 user)", backend);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load figures; run with --ignored --nocapture"]
async fn load_sqlite() {
    bench(common::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load figures; run with --ignored --nocapture"]
async fn load_postgres() {
    bench(common::Backend::Postgres).await;
}
