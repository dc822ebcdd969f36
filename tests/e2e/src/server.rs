//! The Salespane server as a real child process (`$SALESPANE_SERVER_BIN`), on a free loopback
//! port with its own SQLite database.

use crate::{env, Error, Result};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const READY_MARK: &str = "listening on http://";

/// A running `salespane-server`; dropping it kills the process and deletes its database.
pub struct ServerProcess {
    child: Child,
    base_url: String,
    output: Arc<Mutex<Vec<String>>>,
    _data: tempfile::TempDir,
}

impl ServerProcess {
    /// `salespane-server --sandbox --listen 127.0.0.1:0 --database sqlite://<tmp>/db.sqlite`,
    /// ready once it prints its `listening on http://…` line.
    pub fn start_sandbox() -> Result<ServerProcess> {
        ServerProcess::start(&["--sandbox"])
    }

    /// Starts the server with `extra_args` besides `--listen` and `--database`.
    pub fn start(extra_args: &[&str]) -> Result<ServerProcess> {
        let bin = env::server_bin()?;
        let data = tempfile::Builder::new()
            .prefix("salespane-e2e-server-")
            .tempdir()
            .map_err(Error::io("creating the server's data folder"))?;
        let database = format!("sqlite://{}", data.path().join("db.sqlite").display());
        let mut child = Command::new(&bin)
            .args(extra_args)
            .args(["--listen", "127.0.0.1:0", "--database", &database])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(Error::io(format!("starting {}", bin.display())))?;
        let output = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            collect_lines(stdout, Arc::clone(&output), Some(ready_tx));
        }
        if let Some(stderr) = child.stderr.take() {
            collect_lines(stderr, Arc::clone(&output), None);
        }
        let base_url = match ready_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let lines = output.lock().map(|o| o.join("\n")).unwrap_or_default();
                return Err(Error::Expectation(format!(
                    "{} did not print `salespane-server {READY_MARK}…` within 60s; it printed:\n{lines}",
                    bin.display()
                )));
            }
        };
        Ok(ServerProcess {
            child,
            base_url,
            output,
            _data: data,
        })
    }

    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Everything the server printed so far (stdout and stderr, by line).
    pub fn output(&self) -> Vec<String> {
        self.output.lock().map(|o| o.clone()).unwrap_or_default()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect_lines(
    stream: impl Read + Send + 'static,
    output: Arc<Mutex<Vec<String>>>,
    ready: Option<mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let (Some(tx), Some(at)) = (&ready, line.find(READY_MARK)) {
                let url = line[at + "listening on ".len()..]
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches('/')
                    .to_string();
                let _ = tx.send(url);
            }
            if let Ok(mut lines) = output.lock() {
                lines.push(line);
            }
        }
    });
}
