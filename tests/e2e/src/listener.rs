//! A plain HTTP listener on a free loopback port that records every request it gets: the
//! "attacker's endpoint" a test points tampered state at, to show nothing reaches it.
//!
//! Written on a bare `TcpListener` on purpose: it must record anything that arrives (even a
//! request no HTTP library would parse), and it only ever answers `{}` and closes.

use crate::{Error, Result};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How much of one request is kept (head and the start of the body: enough to show a token).
const KEEP_BYTES: usize = 16 * 1024;

pub struct Listener {
    base_url: String,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    pub fn start() -> Result<Listener> {
        let socket = TcpListener::bind("127.0.0.1:0").map_err(Error::io("binding the listener"))?;
        let address = socket
            .local_addr()
            .map_err(Error::io("reading the listener's address"))?;
        socket
            .set_nonblocking(true)
            .map_err(Error::io("setting up the listener"))?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (kept, stopping) = (Arc::clone(&requests), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                match socket.accept() {
                    Ok((stream, _)) => {
                        let text = answer(stream);
                        if let Ok(mut all) = kept.lock() {
                            all.push(text);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Ok(Listener {
            base_url: format!("http://{address}"),
            requests,
            stop,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Every request received so far, as text (request line, headers, start of the body); a
    /// connection that sent nothing is recorded as an empty string.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// Reads what the client sends (until a short pause), answers `200 {}` and closes.
fn answer(mut stream: TcpStream) -> String {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(300)));
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while received.len() < KEEP_BYTES {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
    let _ = stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    );
    String::from_utf8_lossy(&received).into_owned()
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
